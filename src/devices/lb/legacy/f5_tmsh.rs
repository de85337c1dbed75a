//! F5 BIG-IP v9 configuration (`bigip.conf` syntax, as the seed shows it): the SMTP monitor, a
//! fastL4 profile with the seed's settings, the pool with its monitors and members, the virtual
//! address and the virtual server (seed: the F5 example, `profile fastL4 CGS_fastL4`, `pool
//! Frontends`, `virtual External`).

use super::{by_address, Site};
use crate::devices::lb::virtual_server::{
    F5Options, Method, Monitor, Persistence, Protocol, VirtualServer,
};
use std::fmt::Write;

pub fn render(site: &Site) -> String {
    let mut out = String::new();
    for vs in &site.virtual_servers {
        if vs.monitors.contains(&Monitor::Smtp) {
            let _ = writeln!(
                out,
                "monitor {} {{\n   defaults from smtp\n   dest *:smtp\n   debug \"no\"\n}}",
                smtp_monitor(vs)
            );
        }
        if let Some(body) = fastl4_settings(&vs.f5).filter(|_| vs.protocol != Protocol::Udp) {
            let _ = writeln!(
                out,
                "profile fastL4 {} {{\n   defaults from fastL4\n{body}}}",
                profile(vs)
            );
        }
        if vs.protocol == Protocol::Udp {
            // Datagram load balancing: every UDP packet balanced on its own (no session binding).
            let _ = writeln!(
                out,
                "profile udp {} {{\n   defaults from udp\n   datagram lb enable\n}}",
                profile(vs)
            );
        }
        let _ = writeln!(out, "pool {} {{", pool(vs));
        if vs.method == Method::LeastConnections {
            out.push_str("   lb method least conn\n");
        }
        if !vs.monitors.is_empty() {
            let monitors: Vec<String> = vs.monitors.iter().map(|m| monitor_name(vs, *m)).collect();
            let _ = writeln!(out, "   monitor all {}", monitors.join(" and "));
        }
        let _ = write!(out, "   members");
        for m in vs.enabled_members() {
            let _ = write!(out, " {}:{}", m.address, port(vs.member_port(m)));
            if m.weight != 1 {
                let _ = write!(out, " ratio {}", m.weight);
            }
        }
        out.push_str("\n}\n");
    }
    for (address, services) in by_address(site) {
        let floating = services.iter().any(|(_, vs)| vs.f5.floating);
        let (state, unit) = match floating {
            true => ("enable", 1),
            false => ("disable", 0),
        };
        let _ = writeln!(
            out,
            "virtual address {address} {{\n   floating {state}\n   unit {unit}\n}}"
        );
    }
    for vs in &site.virtual_servers {
        let _ = writeln!(out, "virtual {} {{", vs.name);
        if !vs.translates_address() {
            out.push_str("   translate address disable\n");
        }
        let _ = writeln!(out, "   pool {}", pool(vs));
        let _ = writeln!(out, "   destination {}:{}", vs.address, port(vs.port));
        match vs.protocol {
            Protocol::Tcp => out.push_str("   ip protocol tcp\n"),
            Protocol::Udp => out.push_str("   ip protocol udp\n"),
            Protocol::Both => {}
        }
        let _ = writeln!(out, "   profiles {}", profile(vs));
        if vs.persistence == Persistence::SourceAddress {
            out.push_str("   persist source_addr\n");
        }
        out.push_str("}\n");
    }
    out
}

fn port(p: Option<u16>) -> String {
    p.map_or("any".into(), |p| p.to_string())
}

pub(crate) fn pool(vs: &VirtualServer) -> String {
    vs.f5
        .pool
        .clone()
        .unwrap_or_else(|| format!("{}_pool", vs.name))
}

pub(crate) fn smtp_monitor(vs: &VirtualServer) -> String {
    vs.f5
        .smtp_monitor
        .clone()
        .unwrap_or_else(|| format!("{}_smtp", vs.name))
}

/// The virtual server's profile: the one named, else a UDP profile of its own for UDP, else
/// the built-in `fastL4`, or one of its own when fastL4 settings are given.
pub(crate) fn profile(vs: &VirtualServer) -> String {
    if let Some(name) = &vs.f5.profile {
        return name.clone();
    }
    match (vs.protocol, fastl4_settings(&vs.f5)) {
        (Protocol::Udp, _) => format!("{}_udp", vs.name),
        (_, Some(_)) => format!("{}_fastL4", vs.name),
        (_, None) => "fastL4".into(),
    }
}

/// The fastL4 settings lines, in the seed's order; `None` when none is set (the built-in
/// profile serves).
pub(crate) fn fastl4_settings(f5: &F5Options) -> Option<String> {
    let mut body = String::new();
    let number = |body: &mut String, name: &str, v: Option<u32>| {
        if let Some(v) = v {
            let _ = writeln!(body, "   {name} {v}");
        }
    };
    let flag = |body: &mut String, name: &str, v: Option<bool>| {
        if let Some(v) = v {
            let _ = writeln!(body, "   {name} {}", if v { "enable" } else { "disable" });
        }
    };
    number(&mut body, "idle timeout", f5.idle_timeout);
    number(&mut body, "tcp handshake timeout", f5.tcp_handshake_timeout);
    number(&mut body, "tcp close timeout", f5.tcp_close_timeout);
    flag(&mut body, "loose initiation", f5.loose_initiation);
    flag(&mut body, "loose close", f5.loose_close);
    flag(&mut body, "software syncookie", f5.software_syncookie);
    (!body.is_empty()).then_some(body)
}

pub(crate) fn monitor_name(vs: &VirtualServer, m: Monitor) -> String {
    match m {
        Monitor::Icmp => "gateway_icmp".into(),
        Monitor::Tcp => "tcp".into(),
        Monitor::Smtp => smtp_monitor(vs),
    }
}
