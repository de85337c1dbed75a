//! HAProxy's runtime API (the stats socket at `level admin`, management guide 2.6 §9.3): the
//! commands that change a running backend's members without a reload, how their replies read,
//! and the framing of one long-lived connection ([`RuntimeApi`]).
//!
//! Runtime changes are not kept across a reload (the guide, `add server`: "A dynamic server
//! not present in the configuration won't be restored after a reload operation"), so they are
//! always made together with the same change to the configuration file: the file is the
//! truth, the runtime commands only spare the reload.

use super::config::{self, check_supported, server_words, Check, MAX_WEIGHT};
use super::names::{check_name, check_server_name};
use crate::devices::lb::virtual_server::{Member, VirtualServer};
use crate::transport::line::LineProtocol;

/// The prompt that ends every reply in interactive mode.
pub const PROMPT: &[u8] = b"\n> ";

/// Replies of the commands built here that mean success (HAProxy 2.6.12: `add server` answers
/// `New server registered.`, `del server` `Server deleted.`, `set server`, `enable health` and
/// `shutdown sessions server` an empty line).
pub const SUCCESS: &[&str] = &["New server registered.", "Server deleted."];

/// `del server`'s answer while the server still has a connection (also just after
/// `shutdown sessions server`: the sessions close asynchronously), worth asking again after a
/// short wait; every other error is final.
pub const STILL_HAS_CONNECTIONS: &str =
    "Server still has connections attached to it, cannot remove it.";

/// Switches the connection to interactive mode (see [`RuntimeApi`]).
pub const INTERACTIVE: &str = "prompt";
/// Answers the session's level: `admin`, `operator` or `user`.
pub const SHOW_LEVEL: &str = "show cli level";
/// `show info`: its `Pid:` line names the worker that answers (see [`parse_info_pid`]).
pub const SHOW_INFO: &str = "show info";

/// A reply's text: the bytes as UTF-8 (lossy), without the trailing prompt and line breaks.
pub fn reply_text(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply);
    let text = match text.strip_suffix("\n> ") {
        Some(t) => t,
        None => text
            .strip_prefix("> ")
            .filter(|t| t.is_empty())
            .unwrap_or(&text),
    };
    text.trim_end_matches(['\n', '\r']).to_string()
}

/// Whether the reply to one of the commands built here is an error, and which, in HAProxy's
/// words (the reply's first paragraph: `No such server.`, `Only servers in maintenance mode
/// can be deleted.`, `Permission denied`, `Unknown command, ...`). `None`: the command was
/// done. Not for `show` commands, whose data would read as an error.
pub fn runtime_error(reply: &str) -> Option<String> {
    let text = reply_text(reply.as_bytes());
    let text = text.trim();
    if text.is_empty() || SUCCESS.contains(&text) {
        return None;
    }
    let first = text.split("\n\n").next().unwrap_or(text).trim();
    Some(first.to_string())
}

/// `backend/server` after checking both names, so neither can split the command.
fn target(backend: &str, server: &str) -> Result<String, String> {
    check_name(backend)?;
    check_server_name(server)?;
    Ok(format!("{backend}/{server}"))
}

/// `set server <b>/<s> state ...` (management guide: "Force a server's administrative state").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// Normal mode, the same as `enable server`.
    Ready,
    /// No traffic and no health checks, the same as `disable server`.
    Maint,
    /// Out of load balancing; still checked, still takes persistent connections.
    Drain,
}

pub fn set_state(backend: &str, server: &str, state: AdminCommand) -> Result<String, String> {
    let word = match state {
        AdminCommand::Ready => "ready",
        AdminCommand::Maint => "maint",
        AdminCommand::Drain => "drain",
    };
    Ok(format!(
        "set server {} state {word}",
        target(backend, server)?
    ))
}

/// `set server <b>/<s> weight <n>` (0..=256: `Absolute weight can only be between 0 and 256
/// inclusive.`).
pub fn set_weight(backend: &str, server: &str, weight: u32) -> Result<String, String> {
    if weight > MAX_WEIGHT {
        return Err(format!(
            "HAProxy takes a weight from 0 to {MAX_WEIGHT}, not {weight}"
        ));
    }
    Ok(format!(
        "set server {} weight {weight}",
        target(backend, server)?
    ))
}

/// `enable health <b>/<s>`: starts a dynamic server's configured health check.
pub fn enable_health(backend: &str, server: &str) -> Result<String, String> {
    Ok(format!("enable health {}", target(backend, server)?))
}

/// `shutdown sessions server <b>/<s>`: closes the server's connections at once.
pub fn shutdown_sessions(backend: &str, server: &str) -> Result<String, String> {
    Ok(format!(
        "shutdown sessions server {}",
        target(backend, server)?
    ))
}

/// `del server <b>/<s>`: only a server in maintenance without connections.
pub fn del_server(backend: &str, server: &str) -> Result<String, String> {
    Ok(format!("del server {}", target(backend, server)?))
}

/// `show servers state <b>`.
pub fn show_servers_state(backend: &str) -> Result<String, String> {
    check_name(backend)?;
    Ok(format!("show servers state {backend}"))
}

/// The commands that add `member` to the running backend of `vs` as the configuration has it.
///
/// `add server` takes the configuration's server keywords (`weight`, `check`, `disabled` are
/// among the guide's list; the backend's `option tcp-check` / `smtpchk` applies to the new
/// server too, captured L4OK / L7OK); a new server starts in maintenance unless told `enabled`,
/// and its health check stays off until `enable health` (guide, `add server`). The check is
/// enabled before `state ready`, so the server never serves unchecked (captured: made ready
/// first, a server on a closed port stays `UP` until `enable health`). Like a server loaded
/// from the configuration at a reload, a new server counts as up until its first check fails
/// (captured: `UP` right after `state ready`, `DOWN` at the first check, within the default
/// 2 s `inter`; `set server .. health down` before `ready` does not change it). A disabled
/// member is added `disabled`, which gives the state a reload gives its `disabled` server line
/// (captured: admin state 5, check state 14, the same row as a configured one).
pub fn add_server(vs: &VirtualServer, member: &Member) -> Result<Vec<String>, String> {
    let check = check_supported(vs).map_err(|u| u.detail)?;
    check_server_name(&member.name)?;
    let backend = &vs.name;
    // The configuration's words, after `server <name> `.
    let line = server_words(vs, member, check).map_err(|u| u.detail)?;
    let keywords = line
        .strip_prefix(&format!("server {} ", member.name))
        .unwrap_or(&line);
    let mut commands = vec![format!(
        "add server {} {keywords}",
        target(backend, &member.name)?
    )];
    if check != Check::None {
        commands.push(enable_health(backend, &member.name)?);
    }
    if member.enabled {
        commands.push(set_state(backend, &member.name, AdminCommand::Ready)?);
    }
    Ok(commands)
}

/// The commands that take `server` out of the running backend: maintenance (no new
/// connection), its sessions closed, then `del server`, which the guide allows only "in
/// maintenance mode" and cancels while "the server still has active or idle connection";
/// the caller asks `del server` again after a short wait while it answers
/// [`STILL_HAS_CONNECTIONS`].
pub fn remove_server(backend: &str, server: &str) -> Result<Vec<String>, String> {
    Ok(vec![
        set_state(backend, server, AdminCommand::Maint)?,
        shutdown_sessions(backend, server)?,
        del_server(backend, server)?,
    ])
}

/// The runtime commands that take the running backend `running` to `wanted` when only members
/// changed (added, removed, enabled or disabled, weight), in a safe order: new members first
/// (their check on before they take traffic), then weights, members enabled, members disabled, and
/// removals last (each: maintenance, sessions closed, deleted).
///
/// `Ok(None)`: a reload is needed: anything but members differs (address, port, method,
/// persistence, monitors, ...), a member's address or port changed (`set server .. addr`
/// exists but answers its success in prose and moves only new connections: the reload is the
/// plain way), or `running` is not something this module writes. `Err`: `wanted` cannot be an
/// HAProxy virtual server (no command is built from a name outside the grammar).
///
/// `add server` needs a backend with a dynamic algorithm ("Backend must use a dynamic load
/// balancing to support dynamic servers.": `static-rr` and non-consistent `source` refuse);
/// `roundrobin` and `leastconn` (the two methods written here) are dynamic, and a backend with
/// a stick table on `src` takes new servers too (captured on 2.6.12).
pub fn live_changes(
    running: &VirtualServer,
    wanted: &VirtualServer,
) -> Result<Option<Vec<String>>, String> {
    let check = check_supported(wanted).map_err(|u| match u.member {
        Some(i) => format!("{} (member {i}): {}", u.attribute, u.detail),
        None => format!("{}: {}", u.attribute, u.detail),
    })?;
    if check_supported(running).is_err() {
        return Ok(None);
    }
    let same_frame = running.name == wanted.name
        && running.address == wanted.address
        && running.port == wanted.port
        && running.protocol == wanted.protocol
        && running.method == wanted.method
        && running.forwarding == wanted.forwarding
        && running.persistence == wanted.persistence
        && config::check_kind(&running.monitors).ok() == Some(check);
    if !same_frame {
        return Ok(None);
    }
    let backend = &wanted.name;
    let (mut adds, mut weights, mut enables, mut disables, mut removals) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for m in &wanted.members {
        let Some(r) = running.members.iter().find(|r| r.name == m.name) else {
            adds.extend(add_server(wanted, m)?);
            continue;
        };
        if r.address != m.address || running.member_port(r) != wanted.member_port(m) {
            return Ok(None);
        }
        if r.weight != m.weight {
            weights.push(set_weight(backend, &m.name, m.weight)?);
        }
        match (r.enabled, m.enabled) {
            (false, true) => enables.push(set_state(backend, &m.name, AdminCommand::Ready)?),
            (true, false) => disables.push(set_state(backend, &m.name, AdminCommand::Maint)?),
            _ => {}
        }
    }
    for r in &running.members {
        if !wanted.members.iter().any(|m| m.name == r.name) {
            removals.extend(remove_server(backend, &r.name)?);
        }
    }
    Ok(Some([adds, weights, enables, disables, removals].concat()))
}

/// The worker that answered `show info` (its `Pid:` line).
pub fn parse_info_pid(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|l| l.strip_prefix("Pid:"))
        .and_then(|p| p.trim().parse().ok())
}

/// The runtime API as a [`LineProtocol`]: one connection carries every command, in HAProxy's
/// interactive mode.
///
/// By default the socket takes one line and closes after its answer (guide §9.3,
/// "non-interactive mode"), and answers end with an empty line, except some that end with a
/// single line break (2.6.12: `del server`'s every answer, `add server` on an unknown backend:
/// `No such backend.\n`), so only the close would end them: a reply cannot be framed on a kept
/// connection. `prompt`, sent first (the login step), switches to interactive mode, where
/// HAProxy keeps the connection and ends every answer with the prompt `\n> ` (captured:
/// `set server ..` → `\n> `, `del server ..` → `Server deleted.\n> `); a reply is everything up
/// to the first `\n> `. None of the commands built here can print `\n> ` inside an answer
/// (names are words without `>`).
///
/// There is no login: the socket's `level admin` gives the rights. The second login step,
/// `show cli level`, refuses a socket at `operator` or `user` level up front, where every
/// change would answer `Permission denied`. The username and password of the target are not
/// used.
///
/// For the caller: HAProxy closes an idle interactive connection after the `stats timeout`
/// (default 10s; captured: closed after 30.0 s with `stats timeout 30s`), so `idle_reconnect`
/// should stay below it. A connection opened before a reload keeps talking to the old worker
/// (captured: `show info` still gave the old `Pid` after the reload), which keeps the old
/// configuration and keeps that worker alive: drop the connection after every reload.
pub struct RuntimeApi;

impl LineProtocol for RuntimeApi {
    fn greets(&self) -> bool {
        false
    }

    fn reply_len(&self, received: &[u8]) -> Option<usize> {
        received
            .windows(PROMPT.len())
            .position(|w| w == PROMPT)
            .map(|at| at + PROMPT.len())
    }

    fn encode(&self, request: &str) -> Vec<u8> {
        format!("{request}\n").into_bytes()
    }

    fn login(
        &self,
        _greeting: &[u8],
        _username: &str,
        _password: &str,
    ) -> Result<Vec<String>, String> {
        Ok(vec![INTERACTIVE.to_string(), SHOW_LEVEL.to_string()])
    }

    fn login_reply(&self, reply: &[u8]) -> Result<(), String> {
        match reply_text(reply).trim() {
            "" | "admin" => Ok(()),
            level @ ("operator" | "user") => Err(format!(
                "HAProxy's runtime API is at level {level} on this socket; uccluster changes servers, which needs `stats socket ... level admin`"
            )),
            other => Err(format!(
                "HAProxy's runtime API answered {:?} to `{INTERACTIVE}` / `{SHOW_LEVEL}`",
                other.chars().take(200).collect::<String>()
            )),
        }
    }
}
