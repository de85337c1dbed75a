//! What keepalived says back: the diagnostics of `keepalived -t`, and the checkers' verdicts
//! as the kernel's IPVS table shows them.

use super::config::protocols;
use crate::devices::lb::ipvs::{Proto, Service};
use crate::devices::lb::virtual_server::{Health, Member, MemberReport, Protocol, VirtualServer};
use std::net::SocketAddr;

/// The diagnostics of `keepalived -t -f <file>` (its stderr), one per line, each once.
///
/// keepalived(8) 2.2.7 `--config-test`: "Rather that writing to syslog, it will write
/// diagnostic messages to stderr", and it exits non-zero "if there are errors". A file that
/// passes prints nothing at all (captured), so every line it prints is a reason the file fails.
/// The exit status is the verdict, not these lines: 2.2.7 exited 5 for an unknown keyword, a
/// bad scheduler and a missing brace alike (captured), where keepalived(8) lists 5 as "script
/// security hasn't been enabled but scripts are configured" and 4 as "configuration errors but
/// keepalived will run": the caller treats any non-zero status as refused. keepalived repeats
/// some lines ("There are 1 missing '}'s or extra '{'s" four times), so each is kept once.
pub fn config_test_errors(output: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.iter().any(|o| o == line) {
            out.push(line.to_string());
        }
    }
    out
}

fn proto(p: Protocol) -> Proto {
    match p {
        Protocol::Udp => Proto::Udp,
        Protocol::Tcp | Protocol::Both => Proto::Tcp,
    }
}

/// The kernel services of `vs`, one per protocol block; `None` for a block keepalived has not
/// put in the table.
fn services<'a>(vs: &VirtualServer, kernel: &'a [Service]) -> Vec<Option<&'a Service>> {
    let Some(port) = vs.port else {
        return vec![None];
    };
    let address = SocketAddr::new(vs.address, port);
    protocols(vs.protocol)
        .iter()
        .map(|p| {
            kernel
                .iter()
                .find(|s| s.proto == proto(*p) && s.address == address)
        })
        .collect()
}

fn report(health: Health, status: impl Into<String>) -> MemberReport {
    MemberReport {
        health,
        status: status.into(),
    }
}

/// One member's verdict from the services of its virtual server.
fn member_report(vs: &VirtualServer, m: &Member, services: &[Option<&Service>]) -> MemberReport {
    let Some(port) = vs.member_port(m) else {
        return report(Health::Down, "not in the IPVS table");
    };
    let address = SocketAddr::new(m.address, port);
    let reals: Option<Vec<_>> = services
        .iter()
        .map(|s| s.and_then(|s| s.reals.iter().find(|r| r.address == address)))
        .collect();
    let checked = !vs.monitors.is_empty();
    match (reals.as_deref(), checked) {
        (Some([real, ..]), true) => report(Health::Up, format!("weight {}", real.weight)),
        (Some([real, ..]), false) => report(Health::Unchecked, format!("weight {}", real.weight)),
        (_, true) if services.iter().all(Option::is_some) => {
            report(Health::Down, "removed by keepalived (check failed)")
        }
        // Without a checker keepalived never removes a real server: absent means keepalived
        // has not loaded the section (not reloaded, or refused it).
        _ => report(Health::Down, "not in the IPVS table"),
    }
}

/// For each of `vs.members` in order, its health from the kernel table (`ipvsadm -S -n`,
/// [`crate::devices::lb::ipvs::parse_save`]).
///
/// keepalived removes a real server whose checker fails from the table and adds it back when
/// the checker passes: "A checker test if realserver is alive, this test end on a binary
/// decision : remove or add realserver from/into the LVS topology" (acassen/keepalived
/// `doc/source/software_design.rst`, "Checkers"); keeping it with weight 0 instead is
/// `inhibit_on_failure` (keepalived.conf(5): "Set weight to 0 when healthchecker detects
/// failure"; sample `keepalived.conf.inhibit`: "set weight to 0 instead of removing service"),
/// which uccluster does not write. So a member with a checker that the table holds is up, one
/// without a checker is unchecked, and a checked member the table lacks is down. `both` needs
/// the member in the TCP and the UDP service. keepalived's `alpha` (also not written) would
/// start members as down; without it a member is in the table until its first check fails.
pub fn member_reports(vs: &VirtualServer, kernel: &[Service]) -> Vec<MemberReport> {
    let services = services(vs, kernel);
    vs.members
        .iter()
        .map(|m| member_report(vs, m, &services))
        .collect()
}

/// Whether the kernel's table runs the configuration keepalived was given for `vs`: each of
/// its services is there with the configured scheduler, persistence and one-packet setting, and
/// every real server the table has is a configured one with the configured weight. Real
/// servers may be missing: keepalived keeps a member whose check fails out of the table.
/// `present = false`: none of `wanted` is in the table any more.
pub fn programmed(wanted: &[Service], kernel: &[Service], present: bool) -> bool {
    wanted.iter().all(|w| {
        let k = kernel
            .iter()
            .find(|k| k.proto == w.proto && k.address == w.address);
        match (k, present) {
            (None, present) => !present,
            (Some(_), false) => false,
            (Some(k), true) => {
                k.scheduler == w.scheduler
                    && k.persistent == w.persistent
                    && k.ops == w.ops
                    && k.reals.iter().all(|r| w.reals.contains(r))
            }
        }
    })
}
