//! Configuration text for balancers that have no API (seed: communigate-cluster-sip-farm-lb,
//! which shows the same SIP-farm site on a Foundry ServerIron, an Alteon AD3 and an F5 BIG-IP
//! v9): rendered from the virtual servers a site declares, for review in a pull request and for
//! an operator to paste. Every keyword comes from [`syntax::KEYWORDS`], which says where it was
//! seen.

pub mod alteon;
pub mod f5_tmsh;
pub mod serveriron;
pub mod syntax;

use super::virtual_server::{Member, VirtualServer};
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    ServerIron,
    Alteon,
    F5Tmsh,
}

pub const VENDORS: &[(&str, Vendor)] = &[
    ("serveriron", Vendor::ServerIron),
    ("alteon", Vendor::Alteon),
    ("f5_tmsh", Vendor::F5Tmsh),
];

/// A site's virtual servers and the numbering the Alteon's objects need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub virtual_servers: Vec<VirtualServer>,
    /// The Alteon's first real-server number (the seed numbers fe5..fe8 as 5..8).
    pub alteon_first_real: u32,
    /// Names of the Alteon's server groups, in the order the groups are first used.
    pub alteon_group_names: Vec<String>,
}

/// What cannot be rendered for a vendor, naming the attribute (`virtual_server[i].<attr>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrenderable {
    pub virtual_server: usize,
    pub attribute: &'static str,
    pub detail: String,
}

/// The configuration text of `site` for `vendor`.
pub fn render(vendor: Vendor, site: &Site) -> Result<String, Unrenderable> {
    check_member_names(site)?;
    match vendor {
        Vendor::ServerIron => serveriron::render(site),
        Vendor::Alteon => alteon::render(site),
        Vendor::F5Tmsh => Ok(f5_tmsh::render(site)),
    }
}

/// A member name is one real server of the box: the same name must mean the same address.
fn check_member_names(site: &Site) -> Result<(), Unrenderable> {
    let mut seen: Vec<(&str, IpAddr)> = Vec::new();
    for (i, vs) in site.virtual_servers.iter().enumerate() {
        for m in &vs.members {
            match seen.iter().find(|(n, _)| *n == m.name) {
                Some((_, a)) if *a != m.address => {
                    return Err(Unrenderable {
                        virtual_server: i,
                        attribute: "member",
                        detail: format!(
                            "member {} is {} here and {a} in another virtual server; a member name is one real server of the balancer",
                            m.name, m.address
                        ),
                    })
                }
                Some(_) => {}
                None => seen.push((&m.name, m.address)),
            }
        }
    }
    Ok(())
}

/// The real servers of a site in the order they first appear (enabled or not, so numbering
/// does not move when a member is disabled), each with the ports its enabled memberships use
/// (in virtual-server order) and whether a DSR service uses it.
pub(crate) struct Real<'s> {
    pub name: &'s str,
    pub address: IpAddr,
    pub ports: Vec<u16>,
    pub dsr: bool,
    /// Enabled in at least one virtual server.
    pub enabled: bool,
}

/// A port, or the error naming `port` for a vendor that binds named ports only.
pub(crate) fn port_of(
    vendor: &str,
    i: usize,
    vs: &VirtualServer,
    m: Option<&Member>,
) -> Result<u16, Unrenderable> {
    let port = match m {
        Some(m) => vs.member_port(m),
        None => vs.port,
    };
    port.ok_or_else(|| Unrenderable {
        virtual_server: i,
        attribute: "port",
        detail: format!(
            "{vendor} binds each service to a port: set port (\"any\" is an F5 virtual server)"
        ),
    })
}

pub(crate) fn reals<'s>(site: &'s Site, vendor: &str) -> Result<Vec<Real<'s>>, Unrenderable> {
    let mut reals: Vec<Real<'s>> = Vec::new();
    for (i, vs) in site.virtual_servers.iter().enumerate() {
        for m in &vs.members {
            let at = match reals.iter().position(|r| r.name == m.name) {
                Some(at) => at,
                None => {
                    reals.push(Real {
                        name: &m.name,
                        address: m.address,
                        ports: vec![],
                        dsr: false,
                        enabled: false,
                    });
                    reals.len() - 1
                }
            };
            if m.enabled {
                let real = &mut reals[at];
                real.ports.push(port_of(vendor, i, vs, Some(m))?);
                real.dsr |= !vs.translates_address();
                real.enabled = true;
            }
        }
    }
    Ok(reals)
}

/// The virtual servers grouped by VIP, in the order the VIPs first appear.
pub(crate) fn by_address(site: &Site) -> Vec<(IpAddr, Vec<(usize, &VirtualServer)>)> {
    let mut out: Vec<(IpAddr, Vec<(usize, &VirtualServer)>)> = Vec::new();
    for (i, vs) in site.virtual_servers.iter().enumerate() {
        match out.iter_mut().find(|(a, _)| *a == vs.address) {
            Some((_, list)) => list.push((i, vs)),
            None => out.push((vs.address, vec![(i, vs)])),
        }
    }
    out
}

#[cfg(test)]
mod seed;
#[cfg(test)]
mod tests;

/// The port names ServerIron and Alteon both write for well-known ports (seed: `port pop3`,
/// `service imap4`, `service smtp`); any other port is written as its number.
const PORT_NAMES: &[(u16, &str)] = &[(25, "smtp"), (110, "pop3"), (143, "imap4")];

pub(crate) fn port_name(port: u16) -> String {
    PORT_NAMES
        .iter()
        .find(|(p, _)| *p == port)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| port.to_string())
}
