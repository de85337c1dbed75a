//! keepalived on the lab's IPVS directors: the provider's keepalived mode writes
//! `virtual_server` blocks into `<dir>/keepalived.conf` over SSH, checks the candidate with the
//! real `keepalived -t -f` (Debian's keepalived 2.2.7; `-t` needs no IPVS), runs
//! `<dir>/bin/keepalived-reload` and reads the table back with `ipvsadm -S -n`. A real keepalived
//! cannot program a table here (no IPVS), so `keepalived-reload` ([`reload_script`], the
//! `keepalived_reload.py` next to this file; /usr/bin/python3, absolute paths only since it runs
//! over SSH with a bare PATH) does to the ipvsadm stand-in's rules file what a reload does to the
//! kernel's table.
//!
//! From keepalived's own documents (acassen/keepalived; Debian ships the same 2.2.7 text in
//! /usr/share/man):
//! - keepalived(8) SIGNALS: HUP makes keepalived "reload its configuration, and start up with the
//!   new configuration";
//! - keepalived.conf(5) DESCRIPTION: blocks are delimited by '{' and '}' pairs, comments start
//!   with '#' or '!' anywhere in a line; "Virtual server(s)": `virtual_server <IPADDR> [<PORT>]`,
//!   `lvs_sched` (`lb_algo` in doc/samples/keepalived.conf.*), `lvs_method NAT|DR|TUN` ("default
//!   is NAT"; `lb_kind` in the samples), `protocol TCP|UDP`, `persistence_timeout [<INTEGER>]`
//!   ("default 6 minutes"), `persistence_granularity` (-M), `ops` ("One-Packet-Scheduling for
//!   UDP (-o in ipvsadm)"), `real_server <IPADDR> [<PORT>]` with `weight` ("default: 1"), its own
//!   `lvs_method`, and checker blocks (HTTP_GET|SSL_GET|TCP_CHECK|SMTP_CHECK|DNS_CHECK|MISC_CHECK|
//!   BFD_CHECK|UDP_CHECK|PING_CHECK|FILE_CHECK);
//! - health checks: doc/source/software_design.rst (Checkers): a checker's test "end on a binary
//!   decision : remove or add realserver from/into the LVS topology"; keepalived.conf(5)
//!   `inhibit_on_failure`: "Set weight to 0 when healthchecker detects failure" (on the virtual
//!   server, or `inhibit_on_failure <BOOL>` on a real server; doc/samples/keepalived.conf.inhibit:
//!   "set weight to 0 instead of removing service");
//! - a bad configuration on reload: keepalived.conf(5) `reload_check_config` (which the lab's base
//!   configuration sets): keepalived "will attempt to validate the configuration before initiating
//!   a reload, and only initiate the reload if the configuration is valid" (without it, "keepalived
//!   may terminate").
//!
//! From keepalived's source, not its documents: a reload deletes the services of the previous
//! configuration that the new one lacks and touches no other (check/ipwrapper.c
//! `clear_diff_services`, "remove negative diff entries"); the default scheduler is wlc
//! (`IPVS_DEF_SCHED`).
//!
//! Assumptions of the lab (no document says): the default protocol is TCP; a real server without
//! a checker is always in the table; a real server's missing port is the service's; a configured
//! service that someone added by hand is taken over; the checkers' verdicts are the lab's file
//! `<dir>/keepalived.down` (`ip:port` lines), with no probing, no `alpha`, retries or delays;
//! quorum, sorry servers, virtual server groups, fwmarks, IPv6, SCTP and `include` are not
//! imitated (the last four are refused). A real `kill -HUP` (or `systemctl reload`) succeeds
//! whatever the configuration and keepalived logs the errors; the stand-in exits 1 with the
//! error on stderr instead, so the provider's failure path can be driven. Every run of the reload
//! command is counted in `<dir>/keepalived.reloads`, a refused one included (the signal was sent).

use std::path::{Path, PathBuf};

/// The lab's base configuration: the provider owns marked sections appended to it. `router_id`
/// names the director; `reload_check_config` is why a bad candidate leaves the running
/// configuration in place (see the module's documentation).
pub(crate) fn base_config(name: &str) -> String {
    format!(
        "! keepalived configuration of the uccluster lab's IPVS director {name}\n\
         global_defs {{\n    router_id {name}\n    reload_check_config\n}}\n"
    )
}

/// Where the stand-in keeps its state, under the director's directory.
pub(crate) struct Files {
    pub config: PathBuf,
    pub rules: PathBuf,
    /// The configuration the last good reload loaded, as JSON: what keepalived programmed.
    pub running: PathBuf,
    pub down: PathBuf,
    pub reloads: PathBuf,
}

impl Files {
    pub(crate) fn under(dir: &Path, rules: &Path) -> Files {
        Files {
            config: dir.join("keepalived.conf"),
            rules: rules.to_path_buf(),
            running: dir.join("keepalived.running.json"),
            down: dir.join("keepalived.down"),
            reloads: dir.join("keepalived.reloads"),
        }
    }
}

/// The `keepalived-reload` program for these files.
pub(crate) fn reload_script(files: &Files) -> String {
    // A JSON string is a Python string literal (serde_json escapes only what Python reads back).
    let lit = |p: &Path| serde_json::to_string(&p.to_string_lossy()).expect("a string");
    include_str!("keepalived_reload.py")
        .replace("\"@CONF@\"", &lit(&files.config))
        .replace("\"@RULES@\"", &lit(&files.rules))
        .replace("\"@RUNNING@\"", &lit(&files.running))
        .replace("\"@DOWN@\"", &lit(&files.down))
        .replace("\"@RELOADS@\"", &lit(&files.reloads))
}

/// Adds or removes `addr_port` in the down file's lines.
pub(crate) fn set_down(current: &str, addr_port: &str, down: bool) -> String {
    let mut lines: Vec<&str> = current
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != addr_port)
        .collect();
    if down {
        lines.push(addr_port);
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}
