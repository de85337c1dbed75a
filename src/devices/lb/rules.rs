//! The seed's rules for a load-balanced UC service, checked before any balancer is touched
//! (seed: communigate-cluster-sip-farm-lb). Each finding names the attribute it is about.

use super::virtual_server::{Forwarding, Persistence, VirtualServer};

/// SIP's well-known port, where the seed's SIP Farm rules apply.
pub const SIP_PORT: u16 = 5060;

/// The seed's words on UDP session binding, quoted in the error.
pub const SESSION_BINDING_REASON: &str = "CommuniGate Pro SIP Farm distributes SIP request packets by relaying them between the frontend Servers ... These CommuniGate Pro SIP Farm features make the Load Balancer \"session binding\" table useless (when used for SIP UDP)";

/// Where a finding points: an attribute of the virtual server, or of its member `i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    Attribute(&'static str),
    Member(usize, &'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub at: At,
    pub summary: &'static str,
    pub detail: String,
}

/// Every way `vs` breaks the seed's rules.
pub fn check(vs: &VirtualServer) -> Vec<Finding> {
    let mut out = Vec::new();
    let sip_udp = vs.carries_udp() && vs.port.is_none_or(|p| p == SIP_PORT);
    if sip_udp && vs.persistence != Persistence::None {
        out.push(Finding {
            at: At::Attribute("persistence"),
            summary: "Persistence on a SIP UDP virtual server",
            detail: format!(
                "UDP port {} would get \"session binding\" from persistence; the seed: \"{SESSION_BINDING_REASON}\". Use persistence = \"none\"",
                vs.port.map_or("any".to_string(), |p| p.to_string())
            ),
        });
    }
    for (i, m) in vs.members.iter().enumerate() {
        if vs.members[..i]
            .iter()
            .any(|o| o.address == m.address && vs.member_port(o) == vs.member_port(m))
        {
            out.push(Finding {
                at: At::Member(i, "address"),
                summary: "Duplicate member",
                detail: format!(
                    "{} port {} is listed twice; each member must appear once",
                    m.address,
                    vs.member_port(m)
                        .map_or("any".to_string(), |p| p.to_string())
                ),
            });
        }
        let translated = m.port.is_some_and(|p| Some(p) != vs.port);
        if vs.forwarding == Forwarding::DirectRouting && translated {
            out.push(Finding {
                at: At::Member(i, "port"),
                summary: "Port translation with direct routing",
                detail: "with forwarding = \"direct_routing\" (DSR) the packet reaches the member unchanged, so the member must listen on the virtual server's port: remove the member's port or make it equal".into(),
            });
        }
        // The VIP's own address serves as a member only behind a proxy's NAT, on another port
        // (a service on the balancer's host); otherwise traffic would loop to the VIP.
        let loops = vs.forwarding != Forwarding::Nat || vs.member_port(m) == vs.port;
        if m.address == vs.address && loops {
            out.push(Finding {
                at: At::Member(i, "address"),
                summary: "Member at the VIP",
                detail: format!("{} is the virtual server's own address", m.address),
            });
        }
    }
    if vs.members.is_empty() {
        out.push(Finding {
            at: At::Attribute("member"),
            summary: "No members",
            detail: "a virtual server needs at least one member block".into(),
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::devices::lb::virtual_server::*;

    /// The seed's SIP VIP on two frontends (also the IPVS codec's fixture).
    pub fn sip() -> VirtualServer {
        VirtualServer {
            name: "sip".into(),
            address: "64.173.55.164".parse().unwrap(),
            port: Some(5060),
            protocol: Protocol::Udp,
            method: Method::RoundRobin,
            forwarding: Forwarding::DirectRouting,
            persistence: Persistence::None,
            monitors: vec![Monitor::Icmp],
            members: ["64.173.55.180", "64.173.55.181"]
                .iter()
                .enumerate()
                .map(|(i, a)| Member {
                    name: format!("fe{}", i + 5),
                    address: a.parse().unwrap(),
                    port: None,
                    weight: 1,
                    enabled: true,
                })
                .collect(),
            f5: F5Options::default(),
        }
    }

    #[test]
    fn the_seeds_sip_farm_vip_passes() {
        assert_eq!(check(&sip()), vec![]);
    }

    #[test]
    fn persistence_on_sip_udp_quotes_the_seed() {
        let vs = VirtualServer {
            persistence: Persistence::SourceAddress,
            ..sip()
        };
        let found = check(&vs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at, At::Attribute("persistence"));
        assert!(found[0].detail.contains("session binding"));
        // Over TCP, or on another port, persistence is the site's choice.
        for vs in [
            VirtualServer {
                protocol: Protocol::Tcp,
                ..vs.clone()
            },
            VirtualServer {
                port: Some(8100),
                ..vs.clone()
            },
        ] {
            assert_eq!(check(&vs), vec![]);
        }
    }

    #[test]
    fn duplicates_port_translation_under_dsr_and_the_vip_as_member() {
        let mut vs = sip();
        vs.members.push(vs.members[0].clone());
        vs.members[1].port = Some(5070);
        vs.members.push(Member {
            address: vs.address,
            name: "self".into(),
            ..vs.members[0].clone()
        });
        let at: Vec<At> = check(&vs).into_iter().map(|f| f.at).collect();
        assert_eq!(
            at,
            vec![
                At::Member(1, "port"),
                At::Member(2, "address"),
                At::Member(3, "address")
            ]
        );
        vs.forwarding = Forwarding::Nat;
        assert_eq!(check(&vs).len(), 2, "NAT may translate ports");
        vs.members[3].port = Some(8110);
        assert_eq!(
            check(&vs).len(),
            1,
            "behind NAT the VIP's address may serve on another port"
        );
    }
}
