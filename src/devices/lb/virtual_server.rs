//! One load-balanced service as a site declares it, whatever balancer runs it: the VIP and
//! port, how traffic reaches the members (the seed's "normal" NAT, DSR, or no translation), and
//! the members (seed: communigate-cluster-sip-farm-lb).

use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    /// TCP and UDP on the same port (SIP over both).
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    RoundRobin,
    LeastConnections,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarding {
    /// The balancer rewrites the destination to the member ("normal" in the seed).
    Nat,
    /// DSR: the packet reaches the member unchanged (VIP on the member's loopback), the
    /// member answers the client directly.
    DirectRouting,
    /// The destination address is kept, answers come back through the balancer (the seed's
    /// F5 `translate address disable`).
    NoTranslation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    None,
    SourceAddress,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Monitor {
    Icmp,
    Tcp,
    Smtp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub address: IpAddr,
    /// `None`: the virtual server's port.
    pub port: Option<u16>,
    pub weight: u32,
    pub enabled: bool,
}

/// F5 objects the virtual server's text names, and the seed's fastL4 profile settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct F5Options {
    pub pool: Option<String>,
    pub profile: Option<String>,
    pub smtp_monitor: Option<String>,
    pub idle_timeout: Option<u32>,
    pub tcp_handshake_timeout: Option<u32>,
    pub tcp_close_timeout: Option<u32>,
    pub loose_initiation: Option<bool>,
    pub loose_close: Option<bool>,
    pub software_syncookie: Option<bool>,
    /// The virtual address moves with the active unit of an HA pair.
    pub floating: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualServer {
    pub name: String,
    pub address: IpAddr,
    /// `None`: any port.
    pub port: Option<u16>,
    pub protocol: Protocol,
    pub method: Method,
    pub forwarding: Forwarding,
    pub persistence: Persistence,
    pub monitors: Vec<Monitor>,
    pub members: Vec<Member>,
    pub f5: F5Options,
}

impl VirtualServer {
    /// The port a member is sent traffic on (`None`: any).
    pub fn member_port(&self, member: &Member) -> Option<u16> {
        member.port.or(self.port)
    }

    pub fn carries_udp(&self) -> bool {
        matches!(self.protocol, Protocol::Udp | Protocol::Both)
    }

    pub fn translates_address(&self) -> bool {
        self.forwarding == Forwarding::Nat
    }

    /// The members that take traffic.
    pub fn enabled_members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.enabled)
    }
}

/// What a backend's configuration cannot express of a virtual server, naming the attribute as
/// the resource spells it (and the member, for a member's attribute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    pub attribute: &'static str,
    /// Index in `vs.members` when the attribute is a member's.
    pub member: Option<usize>,
    pub detail: String,
}

pub fn unsupported(attribute: &'static str, detail: impl Into<String>) -> Unsupported {
    Unsupported {
        attribute,
        member: None,
        detail: detail.into(),
    }
}

/// [`Unsupported`] for attribute `attribute` of member `i`.
pub fn at_member(i: usize, attribute: &'static str, detail: String) -> Unsupported {
    Unsupported {
        attribute,
        member: Some(i),
        detail,
    }
}

/// Words of the attribute values, as the configuration spells them.
pub const PROTOCOLS: &[(&str, Protocol)] = &[
    ("tcp", Protocol::Tcp),
    ("udp", Protocol::Udp),
    ("both", Protocol::Both),
];
pub const METHODS: &[(&str, Method)] = &[
    ("round_robin", Method::RoundRobin),
    ("least_connections", Method::LeastConnections),
];
pub const FORWARDINGS: &[(&str, Forwarding)] = &[
    ("nat", Forwarding::Nat),
    ("direct_routing", Forwarding::DirectRouting),
    ("no_translation", Forwarding::NoTranslation),
];
pub const PERSISTENCES: &[(&str, Persistence)] = &[
    ("none", Persistence::None),
    ("source_address", Persistence::SourceAddress),
];
pub const MONITORS: &[(&str, Monitor)] = &[
    ("icmp", Monitor::Icmp),
    ("tcp", Monitor::Tcp),
    ("smtp", Monitor::Smtp),
];

/// The value a word names in `table`, or an error listing the words.
pub fn word<T: Copy>(table: &[(&str, T)], text: &str) -> Result<T, String> {
    table
        .iter()
        .find(|(w, _)| *w == text)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let words: Vec<String> = table.iter().map(|(w, _)| format!("\"{w}\"")).collect();
            format!("{text:?}: use one of {}", words.join(", "))
        })
}

/// A word's check, for attribute declarations.
pub fn check_word<T: Copy>(table: &[(&str, T)], text: &str) -> Result<(), String> {
    word(table, text).map(|_| ())
}

/// A balancer's health verdict on one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Its monitors pass.
    Up,
    /// Its monitors fail (or the balancer marked it down).
    Down,
    /// No monitor runs against it (or the balancer has none, as IPVS).
    Unchecked,
}

pub const HEALTHS: &[(&str, Health)] = &[
    ("up", Health::Up),
    ("down", Health::Down),
    ("unchecked", Health::Unchecked),
];

impl Health {
    pub fn word(self) -> &'static str {
        HEALTHS
            .iter()
            .find(|(_, h)| *h == self)
            .map_or("unchecked", |(w, _)| w)
    }
}

/// What a balancer reports about one member beyond its configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberReport {
    pub health: Health,
    /// The balancer's own words for the member's state (HAProxy `UP`/`MAINT`, F5
    /// `up, enabled`, IPVS `weight 0`), for the operator.
    pub status: String,
}

/// One virtual server as a balancer reports it: what it is configured as (only what the
/// balancer holds; the rest at the model's defaults) and, for each of `vs.members` in order,
/// its health.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    pub vs: VirtualServer,
    pub members: Vec<MemberReport>,
}
