//! Alteon AD3: `/c/slb/real` per member with `addport` per service (and `submac ena` where a
//! service returns directly), `/c/slb/group` per distinct set of members, and `/c/slb/virt`
//! per VIP with one `service` per port (`udp enabled`/`udp stateless` for UDP, `nonat ena` when
//! the address is not translated) (seed: the Alteon AD3 configuration dump).

use super::{by_address, port_name, port_of, reals, Site, Unrenderable};
use crate::devices::lb::virtual_server::{Method, Persistence, VirtualServer};
use std::fmt::Write;

const VENDOR: &str = "Alteon";

pub fn render(site: &Site) -> Result<String, Unrenderable> {
    let reals = reals(site, VENDOR)?;
    let real_id = |name: &str| {
        let at = reals.iter().position(|r| r.name == name).unwrap_or(0);
        site.alteon_first_real + at as u32
    };
    let mut out = String::from("/c/slb on\n");
    for real in &reals {
        let state = if real.enabled { "ena" } else { "dis" };
        let _ = writeln!(
            out,
            "/c/slb/real {}\n\t{state}\n\trip {}",
            real_id(real.name),
            real.address
        );
        for port in &real.ports {
            let _ = writeln!(out, "\taddport {port}");
        }
        if real.dsr {
            out.push_str("\tsubmac ena\n");
        }
        let weight = site
            .virtual_servers
            .iter()
            .flat_map(|vs| vs.enabled_members())
            .find(|m| m.name == real.name)
            .map_or(1, |m| m.weight);
        if weight != 1 {
            let _ = writeln!(out, "\tweight {weight}");
        }
    }
    // One group per distinct (members, method), in the order the services use them.
    let mut groups: Vec<(Vec<u32>, Method)> = Vec::new();
    // A group is a set of reals: the order a service lists its members in does not matter.
    let group_of = |vs: &VirtualServer| -> (Vec<u32>, Method) {
        let mut ids: Vec<u32> = vs.enabled_members().map(|m| real_id(&m.name)).collect();
        ids.sort_unstable();
        ids.dedup();
        (ids, vs.method)
    };
    for vs in &site.virtual_servers {
        let g = group_of(vs);
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    for (n, (members, method)) in groups.iter().enumerate() {
        let _ = writeln!(out, "/c/slb/group {}", n + 1);
        for id in members {
            let _ = writeln!(out, "\tadd {id}");
        }
        if *method == Method::LeastConnections {
            out.push_str("\tmetric leastconns\n");
        }
        if let Some(name) = site.alteon_group_names.get(n) {
            let _ = writeln!(out, "\tname {name:?}");
        }
    }
    for (n, (address, services)) in by_address(site).into_iter().enumerate() {
        let virt = n + 1;
        let _ = writeln!(out, "/c/slb/virt {virt}\n\tena\n\tvip {address}");
        for (i, vs) in services {
            let port = port_name(port_of(VENDOR, i, vs, None)?);
            let group = groups.iter().position(|g| *g == group_of(vs)).unwrap_or(0) + 1;
            let _ = writeln!(out, "/c/slb/virt {virt}/service {port}\n\tgroup {group}");
            if vs.carries_udp() {
                // Stateless: every datagram balanced on its own, no session binding (the seed's SIP rule).
                out.push_str("\tudp enabled\n\tudp stateless\n");
            }
            if !vs.translates_address() {
                out.push_str("\tnonat ena\n");
            }
            if vs.persistence == Persistence::SourceAddress {
                out.push_str("\tpbind clientip\n");
            }
        }
    }
    Ok(out)
}
