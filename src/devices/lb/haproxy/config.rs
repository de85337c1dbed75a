//! The marked section of `haproxy.cfg` that holds one virtual server, rendered from the model
//! and read back into it.
//!
//! ```text
//! # BEGIN uccluster lb_virtual_server pop3
//! # managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
//! frontend pop3
//!     mode tcp
//!     bind 64.173.55.164:110
//!     default_backend pop3
//! backend pop3
//!     mode tcp
//!     balance roundrobin
//!     option tcp-check
//!     server fe5 64.173.55.180:110 weight 1 check
//!     server fe6 64.173.55.181:110 weight 1 check disabled
//! # END uccluster lb_virtual_server pop3
//! ```
//!
//! The frontend and the backend share the virtual server's name: HAProxy keeps frontends and
//! backends apart (`haproxy -c` on 2.6.12 accepts `frontend pop3` + `backend pop3`), and the
//! runtime API names the backend (`pop3/fe5`), so a member's runtime name is
//! `<virtual server>/<member>`.
//!
//! What HAProxy is (configuration manual 2.6, §4 "Proxies", `bind`, `balance`, `server`,
//! `option smtpchk`, `stick-table`, `stick on`): a full proxy for TCP. It opens its own
//! connection to the member, so the member sees HAProxy's address and answers HAProxy:
//! `direct_routing` (DSR) and `no_translation` are other balancers' (`ipvs`, `f5`); it does not
//! balance UDP; it listens on one port per `bind` (no "any port" virtual server) and checks
//! members over TCP (`option tcp-check` without rules: a connection attempt) or SMTP
//! (`option smtpchk`: a `2xx` answer to `HELO`), not ICMP.
//!
//! Everything the section needs is written in it (`mode tcp`, the check's kind), so a
//! `defaults` section cannot change it, with one exception the site must avoid: a
//! `default-server` line in `defaults` applies to the section's servers too.

use super::names::{check_name, check_server_name};
use crate::devices::lb::virtual_server::{
    at_member, unsupported, F5Options, Forwarding, Member, Method, Monitor, Persistence, Protocol,
    Unsupported, VirtualServer,
};
use crate::devices::marked::{self, Markers, Region};
use std::net::IpAddr;

/// The section's first and last lines are `<begin> <name>` and `<end> <name>`.
pub const MARKERS: Markers = Markers {
    begin: "# BEGIN uccluster lb_virtual_server",
    end: "# END uccluster lb_virtual_server",
};

/// The section's second line.
pub const NOTICE: &str =
    "# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section";

/// The stick table of `persistence = "source_address"`: one entry per client address, kept
/// this long after the client's last connection (HAProxy's `stick-table ... expire`).
pub const STICK_TABLE_SIZE: &str = "1m";
pub const STICK_EXPIRE: &str = "30m";

/// HAProxy's bounds for a server's weight (`weight of server x is not within 0 and 256`).
pub const MAX_WEIGHT: u32 = 256;

/// How the backend checks its members: at most one health check per server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    None,
    Tcp,
    Smtp,
}

pub(crate) fn check_kind(monitors: &[Monitor]) -> Result<Check, Unsupported> {
    if monitors.contains(&Monitor::Icmp) {
        return Err(unsupported(
            "monitors",
            "HAProxy checks a member over TCP (\"tcp\") or SMTP (\"smtp\"), not ICMP; use monitors = [\"tcp\"], or the f5 backend for an ICMP monitor",
        ));
    }
    match monitors {
        [] => Ok(Check::None),
        [Monitor::Tcp] => Ok(Check::Tcp),
        [Monitor::Smtp] => Ok(Check::Smtp),
        _ => Err(unsupported(
            "monitors",
            format!(
                "HAProxy runs one health check per member; {} is more than one (the \"smtp\" check already opens the TCP connection): use [\"tcp\"] or [\"smtp\"]",
                monitor_words(monitors)
            ),
        )),
    }
}

fn monitor_words(monitors: &[Monitor]) -> String {
    let words: Vec<String> = monitors
        .iter()
        .map(|m| match m {
            Monitor::Icmp => "\"icmp\"",
            Monitor::Tcp => "\"tcp\"",
            Monitor::Smtp => "\"smtp\"",
        })
        .map(String::from)
        .collect();
    format!("[{}]", words.join(", "))
}

/// The port a member is sent traffic on (the virtual server's when the member has none).
pub(crate) fn member_port(vs: &VirtualServer, member: &Member) -> Result<u16, Unsupported> {
    vs.member_port(member)
        .ok_or_else(|| unsupported("port", any_port()))
}

fn any_port() -> String {
    "HAProxy listens on one port per virtual server; \"any\" port is an F5 (or IPVS firewall-mark) virtual server: set port, or use the f5 backend".into()
}

/// `address:port` as HAProxy's `bind` and `server` take it (`[v6]:port`).
pub(crate) fn endpoint(address: IpAddr, port: u16) -> String {
    match address {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Everything that decides whether `vs` can be an HAProxy virtual server at all.
pub(crate) fn check_supported(vs: &VirtualServer) -> Result<Check, Unsupported> {
    check_name(&vs.name).map_err(|e| unsupported("name", e))?;
    match vs.protocol {
        Protocol::Tcp => {}
        Protocol::Udp | Protocol::Both => {
            return Err(unsupported(
                "protocol",
                "HAProxy balances TCP only; for UDP (SIP over UDP) use the ipvs or f5 backend",
            ))
        }
    }
    match vs.forwarding {
        Forwarding::Nat => {}
        Forwarding::DirectRouting => return Err(unsupported(
            "forwarding",
            "HAProxy is a full proxy: it opens its own connection to the member, which answers HAProxy, never the client directly; direct routing (DSR) needs the ipvs (or f5) backend, or use forwarding = \"nat\"",
        )),
        Forwarding::NoTranslation => return Err(unsupported(
            "forwarding",
            "HAProxy is a full proxy: the member receives HAProxy's connection to the member's own address, so the VIP cannot be kept as the destination; \"no_translation\" needs the f5 backend, or use forwarding = \"nat\"",
        )),
    }
    if vs.port.is_none() {
        return Err(unsupported("port", any_port()));
    }
    let check = check_kind(&vs.monitors)?;
    for (i, m) in vs.members.iter().enumerate() {
        let at = |attribute, detail: String| at_member(i, attribute, detail);
        check_server_name(&m.name).map_err(|e| at("member.name", e))?;
        if vs.members[..i].iter().any(|o| o.name == m.name) {
            return Err(at(
                "member.name",
                format!(
                    "member name {:?} is used twice; HAProxy names each server of a backend once",
                    m.name
                ),
            ));
        }
        if m.weight > MAX_WEIGHT {
            return Err(at(
                "member.weight",
                format!(
                    "member {:?}: HAProxy takes a weight from 0 to {MAX_WEIGHT}, not {}",
                    m.name, m.weight
                ),
            ));
        }
    }
    Ok(check)
}

/// One `server` line (without its indentation).
pub(crate) fn server_words(
    vs: &VirtualServer,
    member: &Member,
    check: Check,
) -> Result<String, Unsupported> {
    let mut line = format!(
        "server {} {} weight {}",
        member.name,
        endpoint(member.address, member_port(vs, member)?),
        member.weight
    );
    if check != Check::None {
        line.push_str(" check");
    }
    if !member.enabled {
        line.push_str(" disabled");
    }
    Ok(line)
}

fn stick_table(address: IpAddr) -> String {
    let kind = match address {
        IpAddr::V4(_) => "ip",
        IpAddr::V6(_) => "ipv6",
    };
    format!("stick-table type {kind} size {STICK_TABLE_SIZE} expire {STICK_EXPIRE}")
}

/// The marked section of `vs`, markers included, each line ending with `\n`.
pub fn section(vs: &VirtualServer) -> Result<String, Unsupported> {
    let check = check_supported(vs)?;
    let name = &vs.name;
    let port = vs.port.ok_or_else(|| unsupported("port", any_port()))?;
    let mut lines = vec![
        MARKERS.begin_line(name),
        NOTICE.to_string(),
        format!("frontend {name}"),
        "    mode tcp".into(),
        format!("    bind {}", endpoint(vs.address, port)),
        format!("    default_backend {name}"),
        format!("backend {name}"),
        "    mode tcp".into(),
        format!(
            "    balance {}",
            match vs.method {
                Method::RoundRobin => "roundrobin",
                Method::LeastConnections => "leastconn",
            }
        ),
    ];
    // The check's kind is said even for the plain TCP check: a backend inherits `option
    // smtpchk` / `httpchk` from a `defaults` section (captured: under `defaults` with `option
    // smtpchk`, a backend's `check` servers answered L7OK; with `option tcp-check`, L4OK).
    match check {
        Check::None => {}
        Check::Tcp => lines.push("    option tcp-check".into()),
        Check::Smtp => lines.push("    option smtpchk".into()),
    }
    if vs.persistence == Persistence::SourceAddress {
        lines.push(format!("    {}", stick_table(vs.address)));
        lines.push("    stick on src".into());
    }
    for m in &vs.members {
        lines.push(format!("    {}", server_words(vs, m, check)?));
    }
    lines.push(MARKERS.end_line(name));
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// `config` with the section of `name` replaced by `section` (appended at the end after a
/// blank line when it has none) or removed (`None`); every byte outside the section is kept.
/// An unterminated, nested or duplicated marker anywhere in the file is an error naming its
/// line, and nothing is spliced.
pub fn splice(config: &str, name: &str, section: Option<&str>) -> Result<String, String> {
    check_name(name)?;
    marked::splice(config, &MARKERS, name, section)
}

/// One of uccluster's sections as `haproxy.cfg` has it.
///
/// A section is read line by line: the lines [`section`] writes become the model; any other
/// line (a hand edit, a line out of its place) is listed in `foreign` and is not read. Whether
/// the section is what uccluster would write for the model it holds is
/// [`Section::edited_by_hand`], so the caller can show a hand edit as drift (the next apply
/// writes the section again) instead of failing the read. Only a file whose markers are broken
/// is an error ([`sections`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    /// 1-based line of the BEGIN marker in the file.
    pub line: usize,
    /// The section as the file has it, markers included, with `\n` line breaks (a CRLF file's
    /// section compares equal to [`section`]'s text).
    pub text: String,
    /// What the section configures; `None` when a line it needs is missing or foreign (the
    /// frontend's `bind`, the backend).
    pub vs: Option<VirtualServer>,
    /// Lines that [`section`] would not have written: (1-based line in the file, the line).
    pub foreign: Vec<(usize, String)>,
}

impl Section {
    /// Whether the section differs from what uccluster writes for the model it holds: a hand
    /// edit, a missing line, lines in another order.
    pub fn edited_by_hand(&self) -> bool {
        match &self.vs {
            Some(vs) => section(vs).as_deref() != Ok(self.text.as_str()),
            None => true,
        }
    }
}

/// uccluster's sections of `config`, in file order.
pub fn sections(config: &str) -> Result<Vec<Section>, String> {
    marked::regions(config, &MARKERS)?
        .into_iter()
        .map(|r| Ok(read_section(r)))
        .collect()
}

/// The section of the virtual server `name`, if the file has one.
pub fn find_section(config: &str, name: &str) -> Result<Option<Section>, String> {
    Ok(sections(config)?.into_iter().find(|s| s.name == name))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Top,
    Frontend,
    Backend,
    Foreign,
}

#[derive(Default)]
struct Read {
    bind: Option<(IpAddr, u16)>,
    backend: bool,
    method: Option<Method>,
    smtp: bool,
    tcp_check: bool,
    stick_table: bool,
    stick_on_src: bool,
    servers: Vec<(Member, u16, bool)>,
}

fn parse_endpoint(text: &str) -> Option<(IpAddr, u16)> {
    let (address, port) = match text.strip_prefix('[') {
        Some(rest) => {
            let (a, p) = rest.split_once("]:")?;
            (a.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)?, p)
        }
        None => {
            let (a, p) = text.rsplit_once(':')?;
            (a.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)?, p)
        }
    };
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((address, port.parse().ok()?))
}

fn parse_server(words: &[&str]) -> Option<(Member, u16, bool)> {
    let [name, address, "weight", weight, flags @ ..] = words else {
        return None;
    };
    check_server_name(name).ok()?;
    let (address, port) = parse_endpoint(address)?;
    if weight.is_empty() || !weight.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let weight: u32 = weight.parse().ok()?;
    let (check, enabled) = match flags {
        [] => (false, true),
        ["check"] => (true, true),
        ["disabled"] => (false, false),
        ["check", "disabled"] => (true, false),
        _ => return None,
    };
    let member = Member {
        name: name.to_string(),
        address,
        port: Some(port),
        weight,
        enabled,
    };
    Some((member, port, check))
}

fn read_section(region: Region) -> Section {
    let name = region.name.clone();
    let text = region.text(&MARKERS);
    let mut read = Read::default();
    let mut foreign = Vec::new();
    let mut block = Block::Top;
    let mut seen_frontend = false;
    let mut seen_notice = false;
    for (number, line) in &region.body {
        let words: Vec<&str> = line.split_whitespace().collect();
        let known = match (block, words.as_slice()) {
            (Block::Top, _) if line.trim() == NOTICE && !seen_notice => {
                seen_notice = true;
                true
            }
            (_, ["frontend", n]) if *n == name && !seen_frontend => {
                seen_frontend = true;
                block = Block::Frontend;
                true
            }
            (_, ["backend", n]) if *n == name && !read.backend => {
                read.backend = true;
                block = Block::Backend;
                true
            }
            (_, ["frontend" | "backend" | "listen" | "defaults" | "global", ..]) => {
                block = Block::Foreign;
                false
            }
            (Block::Frontend | Block::Backend, ["mode", "tcp"]) => true,
            (Block::Frontend, ["bind", endpoint]) if read.bind.is_none() => {
                read.bind = parse_endpoint(endpoint);
                read.bind.is_some()
            }
            (Block::Frontend, ["default_backend", n]) => *n == name,
            (Block::Backend, ["balance", algorithm]) if read.method.is_none() => {
                read.method = match *algorithm {
                    "roundrobin" => Some(Method::RoundRobin),
                    "leastconn" => Some(Method::LeastConnections),
                    _ => None,
                };
                read.method.is_some()
            }
            (Block::Backend, ["option", "smtpchk"]) if !read.smtp && !read.tcp_check => {
                read.smtp = true;
                true
            }
            (Block::Backend, ["option", "tcp-check"]) if !read.smtp && !read.tcp_check => {
                read.tcp_check = true;
                true
            }
            (Block::Backend, ["stick-table", "type", kind, "size", size, "expire", expire])
                if !read.stick_table =>
            {
                read.stick_table = matches!(*kind, "ip" | "ipv6")
                    && *size == STICK_TABLE_SIZE
                    && *expire == STICK_EXPIRE;
                read.stick_table
            }
            (Block::Backend, ["stick", "on", "src"]) if !read.stick_on_src => {
                read.stick_on_src = true;
                true
            }
            (Block::Backend, ["server", rest @ ..]) => match parse_server(rest) {
                Some(s) if !read.servers.iter().any(|(m, ..)| m.name == s.0.name) => {
                    read.servers.push(s);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !known {
            foreign.push((*number, line.clone()));
        }
    }
    let vs = match (read.bind, read.backend) {
        (Some((address, port)), true) => {
            let any_check = read.servers.iter().any(|(.., check)| *check);
            let monitors = match (read.smtp, read.tcp_check || any_check) {
                (true, _) => vec![Monitor::Smtp],
                (false, true) => vec![Monitor::Tcp],
                (false, false) => vec![],
            };
            let members = read
                .servers
                .into_iter()
                .map(|(mut m, p, _)| {
                    // A member on the virtual server's port is written with that port; the model
                    // holds it as "no port of its own".
                    m.port = (p != port).then_some(p);
                    m
                })
                .collect();
            Some(VirtualServer {
                name: name.clone(),
                address,
                port: Some(port),
                protocol: Protocol::Tcp,
                method: read.method.unwrap_or(Method::RoundRobin),
                forwarding: Forwarding::Nat,
                persistence: match read.stick_table && read.stick_on_src {
                    true => Persistence::SourceAddress,
                    false => Persistence::None,
                },
                monitors,
                members,
                f5: F5Options::default(),
            })
        }
        _ => None,
    };
    Section {
        name,
        line: region.begin_line,
        text,
        vs,
        foreign,
    }
}
