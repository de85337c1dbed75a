//! `show servers state [<backend>]`: what the running HAProxy holds of each server, and the
//! health and status words a member report shows.
//!
//! Format version 1 (management guide 2.6, §9.3 "show servers state"): a version line `1`, a
//! header line of column names prefixed with `# `, then one line per server, space separated,
//! ending with an empty line. Columns are found by their header names, so a later version that
//! appends columns still reads. The numbers (same section):
//! - `srv_op_state`: 0 `SRV_ST_STOPPED` (down), 1 `SRV_ST_STARTING` (up, warming up),
//!   2 `SRV_ST_RUNNING` (up), 3 `SRV_ST_STOPPING` (up but soft-stopping);
//! - `srv_admin_state`, a mask: 0x01 `FMAINT` (forced into maintenance: `state maint`, or
//!   `disabled` in the configuration), 0x02 `IMAINT` (inherited from a tracked server), 0x04
//!   `CMAINT` (`disabled` in the configuration; it stays set after `state ready`, when the
//!   server serves again: captured `4` with op state 2), 0x08 `FDRAIN`, 0x10 `IDRAIN`, 0x20
//!   `RMAINT` (address resolution failed), 0x40 `HMAINT` (FQDN set from the socket);
//! - `srv_check_state`, a mask: 0x01 in progress, 0x02 `CONFIGURED` (`check` on the server
//!   line), 0x04 `ENABLED` (a dynamic server's check stays off until `enable health`), 0x08
//!   `PAUSED` (maintenance).

use crate::devices::lb::virtual_server::{Health, MemberReport, VirtualServer};
use std::net::IpAddr;

const FMAINT: u32 = 0x01;
const IMAINT: u32 = 0x02;
const CMAINT: u32 = 0x04;
const DRAIN: u32 = 0x08 | 0x10;
const RMAINT: u32 = 0x20;
/// HAProxy's `SRV_ADMF_MAINT`: the bits that keep a server out of service (CMAINT is not one).
const MAINT: u32 = FMAINT | IMAINT | RMAINT;

const CHECK_CONFIGURED: u32 = 0x02;
const CHECK_ENABLED: u32 = 0x04;
const CHECK_PAUSED: u32 = 0x08;

/// `srv_op_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operational {
    Down,
    Starting,
    Up,
    Stopping,
}

/// Why a server is in maintenance (the first bit that says so, in HAProxy's own order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maint {
    /// `disabled` in the configuration, not set ready since (FMAINT with CMAINT).
    Configuration,
    /// `set server .. state maint` / `disable server`, or a dynamic server not yet made ready
    /// (FMAINT alone).
    Runtime,
    /// Its tracked server is in maintenance (IMAINT).
    Tracked,
    /// Its address did not resolve (RMAINT).
    Resolution,
}

/// The administrative state `srv_admin_state` adds up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admin {
    Ready,
    Maint(Maint),
    Drain,
}

/// One server of the running HAProxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerState {
    pub backend: String,
    pub server: String,
    /// `None` when HAProxy has no address for it (`-`).
    pub address: Option<IpAddr>,
    /// 0 when the server has no port of its own.
    pub port: u16,
    pub operational: Operational,
    pub admin: Admin,
    /// The raw `srv_admin_state` mask.
    pub admin_flags: u32,
    /// `disabled` on the configuration's server line (CMAINT), even when set ready since.
    pub disabled_in_configuration: bool,
    /// `srv_uweight`: the weight now (after `set server .. weight`).
    pub weight: u32,
    /// `srv_iweight`: the weight the configuration (or `add server`) gave.
    pub initial_weight: u32,
    /// A health check is configured (`check`).
    pub check_configured: bool,
    /// ... and enabled (a dynamic server's only after `enable health`).
    pub check_enabled: bool,
    /// ... and paused by maintenance.
    pub check_paused: bool,
}

impl ServerState {
    /// Health checks run against it: configured, enabled, not paused.
    pub fn checked(&self) -> bool {
        self.check_configured && self.check_enabled && !self.check_paused
    }

    /// Whether the model's `enabled` holds: neither in maintenance nor draining.
    pub fn enabled(&self) -> bool {
        self.admin == Admin::Ready
    }
}

/// The columns read, by their version-1 header names.
const COLUMNS: [&str; 10] = [
    "be_name",
    "srv_name",
    "srv_addr",
    "srv_op_state",
    "srv_admin_state",
    "srv_uweight",
    "srv_iweight",
    "srv_check_state",
    "srv_port",
    "be_id",
];

fn number(field: &str, column: &str, line: usize) -> Result<u32, String> {
    match !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit()) {
        true => field
            .parse()
            .map_err(|_| format!("line {line}: {column} {field:?} is out of range")),
        false => Err(format!("line {line}: {column} {field:?} is not a number")),
    }
}

/// The servers of `show servers state` (`text`: the reply, with or without the runtime API's
/// prompt). An error says why, in HAProxy's words for its own errors (`Can't find backend.`).
pub fn parse_servers_state(text: &str) -> Result<Vec<ServerState>, String> {
    let text = super::runtime::reply_text(text.as_bytes());
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let version = lines.next().map(|(_, l)| l.trim()).unwrap_or_default();
    if version != "1" {
        return Err(match version.parse::<u32>() {
            Ok(v) => format!("`show servers state` format version {v}; uccluster reads version 1"),
            Err(_) if version.is_empty() => "`show servers state` answered nothing".into(),
            Err(_) => format!("`show servers state` answered {:?}", text.trim()),
        });
    }
    let header: Vec<&str> = match lines.next() {
        Some((_, l)) if l.starts_with('#') => {
            l.trim_start_matches('#').split_whitespace().collect()
        }
        _ => {
            return Err(
                "`show servers state`: no `# be_id be_name ...` header after the version".into(),
            )
        }
    };
    let mut at = [0usize; COLUMNS.len()];
    for (slot, column) in at.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| *h == column)
            .ok_or_else(|| format!("`show servers state`: no {column} column"))?;
    }
    let mut servers = Vec::new();
    for (number_of_line, line) in lines {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != header.len() {
            return Err(format!(
                "line {number_of_line}: {} fields where the header names {}",
                fields.len(),
                header.len()
            ));
        }
        let field = |i: usize| fields[at[i]];
        let num = |i: usize| number(field(i), COLUMNS[i], number_of_line);
        let operational = match num(3)? {
            0 => Operational::Down,
            1 => Operational::Starting,
            2 => Operational::Up,
            3 => Operational::Stopping,
            n => {
                return Err(format!(
                    "line {number_of_line}: srv_op_state {n} is not one of 0..3"
                ))
            }
        };
        let flags = num(4)?;
        let admin = if flags & MAINT == 0 {
            match flags & DRAIN {
                0 => Admin::Ready,
                _ => Admin::Drain,
            }
        } else if flags & RMAINT != 0 {
            Admin::Maint(Maint::Resolution)
        } else if flags & IMAINT != 0 {
            Admin::Maint(Maint::Tracked)
        } else if flags & CMAINT != 0 {
            Admin::Maint(Maint::Configuration)
        } else {
            Admin::Maint(Maint::Runtime)
        };
        let address = match field(2) {
            "-" => None,
            a => Some(a.parse().map_err(|_| {
                format!("line {number_of_line}: srv_addr {a:?} is not an IP address")
            })?),
        };
        let port = num(8)?;
        let check = num(7)?;
        servers.push(ServerState {
            backend: field(0).to_string(),
            server: field(1).to_string(),
            address,
            port: u16::try_from(port)
                .map_err(|_| format!("line {number_of_line}: srv_port {port} is not a port"))?,
            operational,
            admin,
            admin_flags: flags,
            disabled_in_configuration: flags & CMAINT != 0,
            weight: num(5)?,
            initial_weight: num(6)?,
            check_configured: check & CHECK_CONFIGURED != 0,
            check_enabled: check & CHECK_ENABLED != 0,
            check_paused: check & CHECK_PAUSED != 0,
        });
    }
    Ok(servers)
}

/// The member's health and HAProxy's word for its state, as `show stat`'s `status` column
/// prints it (HAProxy 2.6 `stats_fill_sv_stats`: `MAINT`, `MAINT (resolution)`, `DRAIN`,
/// `NOLB`, `UP`, `DOWN`, `no check`), without the rise/fall progress `show stat` appends to a
/// state in transition (`UP 1/3`, `DOWN 1/2`): `show servers state` does not carry rise and
/// fall.
///
/// Health: `Unchecked` when no health check runs (none configured, not enabled, or paused by
/// maintenance); otherwise `Down` when HAProxy marked the server down, else `Up`.
pub fn member_report(state: &ServerState) -> MemberReport {
    let health = match (state.checked(), state.operational) {
        (false, _) => Health::Unchecked,
        (true, Operational::Down) => Health::Down,
        (true, _) => Health::Up,
    };
    let status = match state.admin {
        Admin::Maint(Maint::Resolution) => "MAINT (resolution)",
        Admin::Maint(Maint::Tracked) => "MAINT (via its tracked server)",
        Admin::Maint(_) => "MAINT",
        _ => match state.operational {
            Operational::Stopping => "NOLB",
            Operational::Down => "DOWN",
            _ if state.admin == Admin::Drain => "DRAIN",
            _ if !state.check_enabled => "no check",
            _ => "UP",
        },
    };
    MemberReport {
        health,
        status: status.to_string(),
    }
}

/// Status of a member the running HAProxy does not have (deleted at runtime, or its section
/// not loaded yet).
pub const ABSENT: &str = "absent from the running HAProxy";

/// For each of `vs.members` in order, its report from the servers of backend `vs.name`; a
/// member HAProxy does not run is `Down` with status [`ABSENT`].
pub fn member_reports(vs: &VirtualServer, states: &[ServerState]) -> Vec<MemberReport> {
    vs.members
        .iter()
        .map(|m| {
            states
                .iter()
                .find(|s| s.backend == vs.name && s.server == m.name)
                .map(member_report)
                .unwrap_or_else(|| MemberReport {
                    health: Health::Down,
                    status: ABSENT.into(),
                })
        })
        .collect()
}
