//! Foundry ServerIron: `server real` per member with its ports (and `keepalive` health checks),
//! then one `server virtual` per VIP with its predictor, ports (`dsr` for direct routing) and
//! `bind` lines (seed: the ServerIron "Startup configuration").

use super::{by_address, port_name, port_of, reals, Site, Unrenderable};
use crate::devices::lb::virtual_server::{Forwarding, Method, Persistence};
use std::fmt::Write;

const VENDOR: &str = "ServerIron";

pub fn render(site: &Site) -> Result<String, Unrenderable> {
    for (i, vs) in site.virtual_servers.iter().enumerate() {
        if vs.forwarding == Forwarding::NoTranslation {
            return Err(Unrenderable {
                virtual_server: i,
                attribute: "forwarding",
                detail: "a ServerIron either translates (\"nat\") or returns directly (\"direct_routing\", `dsr`); \"no_translation\" is F5's `translate address disable`".into(),
            });
        }
    }
    let mut out = String::new();
    for real in reals(site, VENDOR)? {
        let _ = writeln!(out, "server real {} {}", real.name, real.address);
        for port in &real.ports {
            let p = port_name(*port);
            let _ = writeln!(out, " port {p}");
            if monitored(site, real.name) {
                let _ = writeln!(out, " port {p} keepalive");
            }
        }
        out.push_str("!\n");
    }
    out.push_str("!\n");
    for (n, (address, services)) in by_address(site).into_iter().enumerate() {
        let (first, vs) = services[0];
        if let Some((i, _)) = services.iter().find(|(_, o)| o.method != vs.method) {
            return Err(Unrenderable {
                virtual_server: *i,
                attribute: "method",
                detail: format!("a ServerIron virtual server has one predictor: every service on {address} must use the same method as virtual_server[{first}]"),
            });
        }
        let _ = writeln!(out, "server virtual vip{} {address}", n + 1);
        let predictor = match vs.method {
            Method::RoundRobin => "round-robin",
            Method::LeastConnections => "least-conn",
        };
        let _ = writeln!(out, " predictor {predictor}");
        for (i, vs) in &services {
            let p = port_name(port_of(VENDOR, *i, vs, None)?);
            let _ = writeln!(out, " port {p}");
            if vs.forwarding == Forwarding::DirectRouting {
                let _ = writeln!(out, " port {p} dsr");
            }
            if vs.persistence == Persistence::SourceAddress {
                let _ = writeln!(out, " port {p} sticky");
            }
        }
        for (i, vs) in &services {
            let _ = write!(out, " bind {}", port_name(port_of(VENDOR, *i, vs, None)?));
            for m in vs.enabled_members() {
                let _ = write!(
                    out,
                    " {} {}",
                    m.name,
                    port_name(port_of(VENDOR, *i, vs, Some(m))?)
                );
            }
            out.push('\n');
        }
        out.push_str("!\n");
    }
    Ok(out)
}

/// Whether any service the real server is bound to has a health check (`keepalive`).
fn monitored(site: &Site, real: &str) -> bool {
    site.virtual_servers
        .iter()
        .any(|vs| !vs.monitors.is_empty() && vs.enabled_members().any(|m| m.name == real))
}
