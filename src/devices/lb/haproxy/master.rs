//! HAProxy's master CLI (master-worker mode, `-S <socket>`; management guide 2.6 §9.4): the
//! hitless reload and `show proc`, which tells whether it happened and was accepted.
//!
//! `reload` re-executes the master, which reads the configuration again, and closes the
//! connection without an answer (guide: "a reload will close the connection to the master
//! CLI"; captured: no byte). The master CLI is back a moment later; `show proc` then says how
//! it went (captured on 2.6.12):
//! - the master's `<reloads>` counts every reload asked for, accepted or refused;
//! - `[failed: N]` counts the reloads refused since the last accepted one (a refused reload
//!   leaves the old workers serving the old configuration: `3 [failed: 1]`, then
//!   `6 [failed: 2]` after two more refusals, and `7 [failed: 0]` after the next accepted one);
//! - an accepted reload forks a new worker (`# workers`), the workers of the previous
//!   configuration stay under `# old workers` until their connections close.
//!
//! So a reload was accepted when `<reloads>` went up and `failed` is 0 ([`reload_outcome`]).
//! In interactive mode the master's prompt says it too: `master[ReloadFailed]> `.

use crate::transport::line::LineProtocol;

pub const RELOAD: &str = "reload";
pub const SHOW_PROC: &str = "show proc";

/// One process line of `show proc`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// For a worker: the reloads it has lived through.
    pub reloads: u32,
    pub uptime: String,
    pub version: String,
}

/// What `show proc` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Processes {
    pub master: Process,
    /// Reloads refused since the last accepted one.
    pub failed: u32,
    /// Workers of the current configuration.
    pub workers: Vec<Process>,
    /// Workers of earlier configurations, finishing their connections.
    pub old_workers: Vec<Process>,
}

impl Processes {
    /// `(reloads, failed)` of the master line.
    pub fn counters(&self) -> (u32, u32) {
        (self.master.reloads, self.failed)
    }
}

fn number(word: &str, what: &str, line: usize) -> Result<u32, String> {
    match !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        true => word
            .parse()
            .map_err(|_| format!("`show proc` line {line}: {what} {word:?} is out of range")),
        false => Err(format!(
            "`show proc` line {line}: {what} {word:?} is not a number"
        )),
    }
}

/// `show proc`'s answer (with or without the interactive prompt): the master line
/// `<pid> master <reloads> [failed: <n>] <uptime> <version>`, then `# workers`,
/// `# old workers` and `# programs` with `<pid> <type> <reloads> <uptime> <version>` lines.
pub fn parse_show_proc(text: &str) -> Result<Processes, String> {
    #[derive(PartialEq)]
    enum Part {
        Head,
        Workers,
        OldWorkers,
        Programs,
    }
    let mut part = Part::Head;
    let mut master: Option<(Process, u32)> = None;
    let (mut workers, mut old_workers) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        let number_of_line = i + 1;
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            part = match comment.trim() {
                "workers" => Part::Workers,
                "old workers" => Part::OldWorkers,
                "programs" => Part::Programs,
                _ => part, // the column header `#<PID> <type> ...`
            };
            continue;
        }
        if trimmed.is_empty() || trimmed.ends_with('>') {
            continue; // the end of the answer, or the interactive prompt
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        match (&part, words.as_slice()) {
            (Part::Head, [pid, "master", reloads, "[failed:", failed, uptime, version]) => {
                let failed = failed.strip_suffix(']').ok_or_else(|| {
                    format!("`show proc` line {number_of_line}: no `]` after `[failed:`")
                })?;
                let process = Process {
                    pid: number(pid, "pid", number_of_line)?,
                    reloads: number(reloads, "reloads", number_of_line)?,
                    uptime: uptime.to_string(),
                    version: version.to_string(),
                };
                master = Some((process, number(failed, "failed", number_of_line)?));
            }
            (Part::Workers | Part::OldWorkers, [pid, "worker", reloads, uptime, version]) => {
                let process = Process {
                    pid: number(pid, "pid", number_of_line)?,
                    reloads: number(reloads, "reloads", number_of_line)?,
                    uptime: uptime.to_string(),
                    version: version.to_string(),
                };
                match part {
                    Part::Workers => workers.push(process),
                    _ => old_workers.push(process),
                }
            }
            (Part::Programs, _) => {}
            _ => {
                return Err(format!(
                    "`show proc` line {number_of_line}: {:?} is not a process line",
                    trimmed.chars().take(120).collect::<String>()
                ))
            }
        }
    }
    let (master, failed) = master.ok_or_else(|| {
        format!(
            "`show proc` has no master line with its reload counters: {:?}",
            text.trim().chars().take(200).collect::<String>()
        )
    })?;
    Ok(Processes {
        master,
        failed,
        workers,
        old_workers,
    })
}

/// Where a reload asked for after `before` stands in `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The master has not reloaded yet (ask `show proc` again).
    Pending,
    /// The new configuration runs.
    Accepted,
    /// HAProxy refused the configuration (its log says why); the old workers keep serving.
    Refused { failed: u32 },
}

pub fn reload_outcome(before: &Processes, after: &Processes) -> ReloadOutcome {
    if after.master.reloads <= before.master.reloads {
        return ReloadOutcome::Pending;
    }
    match after.failed {
        0 => ReloadOutcome::Accepted,
        failed => ReloadOutcome::Refused { failed },
    }
}

/// The master CLI as a [`LineProtocol`], for a master socket on TCP (`-S ipv4@host:port`), in
/// interactive mode: every answer ends with the master's prompt, `master> `, with flags in
/// parentheses (`master(e)> `) or `master[ReloadFailed]> ` after a refused reload (guide
/// §9.4.1 `prompt`; captured: `prompt` → `master> `, then `show proc` → `...\n\nmaster> `).
/// `reload` closes the connection without an answer, which the transport reports as a lost
/// reply: the caller expects it, and asks `show proc` on a new connection.
pub struct MasterCli;

impl MasterCli {
    /// Whether a master prompt says the last reload was refused.
    pub fn reload_failed(reply: &[u8]) -> bool {
        String::from_utf8_lossy(reply)
            .trim_end()
            .ends_with("master[ReloadFailed]>")
    }
}

impl LineProtocol for MasterCli {
    fn greets(&self) -> bool {
        false
    }

    fn reply_len(&self, received: &[u8]) -> Option<usize> {
        let mut line_start = 0;
        loop {
            let rest = &received[line_start..];
            let line_end = rest.iter().position(|&b| b == b'\n');
            let line = &rest[..line_end.unwrap_or(rest.len())];
            if line.starts_with(b"master") {
                if let Some(at) = line.windows(2).position(|w| w == b"> ") {
                    return Some(line_start + at + 2);
                }
            }
            line_start += line_end? + 1;
        }
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
        Ok(vec!["prompt".to_string()])
    }

    fn login_reply(&self, reply: &[u8]) -> Result<(), String> {
        match String::from_utf8_lossy(reply)
            .trim_start()
            .starts_with("master")
        {
            true => Ok(()),
            false => Err(format!(
                "not HAProxy's master CLI: `prompt` answered {:?}",
                String::from_utf8_lossy(reply)
                    .chars()
                    .take(200)
                    .collect::<String>()
            )),
        }
    }
}
