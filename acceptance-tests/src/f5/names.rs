//! Object names as iControl REST writes them: `~Common~Frontends` in a URL (go-bigip replaces
//! `/` by `~`, devices.md §4), `/Common/Frontends` as a full path in a body, a plain
//! `Frontends` meaning the `Common` partition; a virtual's `destination`
//! (`/Common/64.173.55.164:5060`, IPv6 `/Common/2001:db8::1.5060`) and a member's name
//! (`64.173.55.180:5060`). Port `any` is kept as `0`, as BIG-IP lists it over REST
//! (a forwarding virtual's `"destination":"/Common/0.0.0.0:0"` in an F5 lab guide; that a
//! member named `...:any` reads back as `...:0` is unconfirmed).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The only partition a fresh BIG-IP has.
pub const COMMON: &str = "Common";

/// A name inside a partition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FullName {
    pub partition: String,
    pub name: String,
}

impl FullName {
    pub fn common(name: &str) -> FullName {
        FullName {
            partition: COMMON.into(),
            name: name.into(),
        }
    }

    /// `/Common/name`.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.partition, self.name)
    }
}

/// Whether `name` is a name BIG-IP takes: letters, digits and `._-:%` (IPv6 and member names
/// carry `:`), at most 255 bytes [the character set is unconfirmed; tmsh refuses `/` and
/// spaces].
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:%".contains(&b))
}

/// A URL segment: `~Partition~name` or a plain `name` (partition `Common`). Sub-folders
/// (`~Common~app~x`) are not simulated: `None`.
pub fn from_url(segment: &str) -> Option<FullName> {
    let full = match segment.strip_prefix('~') {
        Some(rest) => {
            let (partition, name) = rest.split_once('~')?;
            FullName {
                partition: partition.into(),
                name: name.into(),
            }
        }
        None => FullName::common(segment),
    };
    (valid_name(&full.partition) && valid_name(&full.name)).then_some(full)
}

/// A reference in a body: `/Partition/name` or a plain `name` (partition `Common`).
pub fn from_reference(text: &str) -> Option<FullName> {
    let full = match text.strip_prefix('/') {
        Some(rest) => {
            let (partition, name) = rest.split_once('/')?;
            FullName {
                partition: partition.into(),
                name: name.into(),
            }
        }
        None => FullName::common(text),
    };
    (valid_name(&full.partition) && valid_name(&full.name)).then_some(full)
}

/// Ports by the service names tmsh shows (`/etc/services` on the box); the seed's `:any`,
/// `:smtp`.
fn port(text: &str) -> Option<u16> {
    let named = match text {
        "any" => 0,
        "ftp" => 21,
        "ssh" => 22,
        "smtp" => 25,
        "domain" => 53,
        "http" => 80,
        "pop3" => 110,
        "imap" => 143,
        "https" => 443,
        "sip" => 5060,
        "sips" => 5061,
        _ => return text.parse().ok(),
    };
    Some(named)
}

/// An address and a port: `a.b.c.d:port` (IPv4) or `v6addr.port` (IPv6, as BIG-IP writes it).
pub fn address_port(text: &str) -> Option<(IpAddr, u16)> {
    if let Some((a, p)) = text.rsplit_once(':') {
        if let Ok(v4) = a.parse::<Ipv4Addr>() {
            return Some((IpAddr::V4(v4), port(p)?));
        }
    }
    let (a, p) = text.rsplit_once('.')?;
    let v6 = a.parse::<Ipv6Addr>().ok()?;
    Some((IpAddr::V6(v6), port(p)?))
}

/// `addr:port` or `v6.port`.
pub fn join_address_port(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(_) => format!("{ip}:{port}"),
        IpAddr::V6(_) => format!("{ip}.{port}"),
    }
}

/// A virtual's destination: partition, address, port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub partition: String,
    pub address: IpAddr,
    pub port: u16,
}

impl Destination {
    /// `/Common/64.173.55.164:5060`, `64.173.55.164:any`; route domains (`%1`) are not
    /// simulated.
    pub fn parse(text: &str) -> Option<Destination> {
        let (partition, rest) = match text.strip_prefix('/') {
            Some(r) => {
                let (p, rest) = r.split_once('/')?;
                (p.to_string(), rest)
            }
            None => (COMMON.to_string(), text),
        };
        let (address, port) = address_port(rest)?;
        valid_name(&partition).then_some(Destination {
            partition,
            address,
            port,
        })
    }

    /// As BIG-IP lists it: `/Common/64.173.55.164:0`.
    pub fn text(&self) -> String {
        format!(
            "/{}/{}",
            self.partition,
            join_address_port(self.address, self.port)
        )
    }

    /// The virtual address it names.
    pub fn address_name(&self) -> FullName {
        FullName {
            partition: self.partition.clone(),
            name: self.address.to_string(),
        }
    }
}
