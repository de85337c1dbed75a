//! The marked section of `keepalived.conf` that holds one virtual server, rendered from the
//! model.
//!
//! ```text
//! # BEGIN uccluster lb_virtual_server sip
//! # managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
//! virtual_server 64.173.55.164 5060 {
//!     protocol UDP
//!     lvs_sched wrr
//!     lvs_method DR
//!     ops
//!     delay_loop 5
//!     real_server 64.173.55.180 5060 {
//!         weight 1
//!         PING_CHECK {
//!         }
//!     }
//!     real_server 64.173.55.181 5060 {
//!         weight 0 # uccluster: enabled = false, weight 1
//!         PING_CHECK {
//!         }
//!     }
//! }
//! # END uccluster lb_virtual_server sip
//! ```
//!
//! Rules, each from keepalived.conf(5) 2.2.7 ("Virtual server(s)") unless said otherwise:
//! - comments start with `#` or `!` "and can start anywhere in a line" (DESCRIPTION), so the
//!   markers and the notice are `#` lines keepalived ignores;
//! - `virtual_server <IPADDR> [<PORT>] { ... }` with `protocol TCP|UDP|SCTP`: one block per
//!   protocol, so `both` is a TCP and a UDP block of the same address and port (two such blocks
//!   pass `keepalived -t`);
//! - `lvs_sched rr|wrr|lc|wlc|...`: `round_robin` is `wrr` and `least_connections` is `wlc`, the
//!   weighted schedulers, as the ipvsadm codec maps them, so members' weights count. The man
//!   page names the keyword `lvs_sched` and the forwarding `lvs_method NAT|DR|TUN`; the samples
//!   2.2.7 ships (`keepalived.conf.SMTP_CHECK`, `.PING_CHECK`, ...) still spell them `lb_algo`
//!   and `lb_kind`, which `keepalived -t` 2.2.7 accepts silently too. uccluster writes the man
//!   page's words and reads both;
//! - `nat` is `lvs_method NAT`, `direct_routing` is `lvs_method DR`; no method keeps the VIP as
//!   the destination and routes answers back through the balancer, so `no_translation` is
//!   refused;
//! - `ops`: "Enable One-Packet-Scheduling for UDP (-o in ipvsadm)"; on a TCP block
//!   `keepalived -t` fails ("one packet scheduling requires UDP - resetting"), so it is written
//!   on the UDP block only and refused for a TCP-only virtual server;
//! - `persistence_timeout [<INTEGER>]`: "LVS persistence timeout in seconds, default 6
//!   minutes"; written as 360, the ipvsadm codec's `-p`;
//! - `delay_loop <TIMER>`: "delay timer for checker polling (60 seconds if not specified)";
//! - `real_server <IPADDR> [<PORT>] { weight <INTEGER> ... }`, "relative weight to use,
//!   default: 1"; `keepalived -t` 2.2.7 bounds it: "Real server weight -1 is outside range
//!   0-2147483647" (ipvsadm(8) 1.31 gives the same 0 to 2147483647 for `-w`);
//! - checkers inside `real_server`: "healthcheckers. Can be multiple of each type", among them
//!   `TCP_CHECK { # No additional options }`, `SMTP_CHECK { helo_name ... }` and
//!   `PING_CHECK { # No additional options }`; a checker connects to "the realserver IP" and
//!   "the realserver port" by default, which is what the model's monitors mean.
//!
//! What `keepalived -t` 2.2.7 refuses that the man page does not say (captured, exit status 5,
//! `fixtures.rs`): a virtual server without real servers ("has no real servers - ignoring"),
//! one whose real servers' weights total 0 ("quorum 1 ... exceeds total weight of real servers
//! 0"; `quorum 0` is out of its range 1..), a DR real server on another port than the virtual
//! server ("ports don't match - resetting"), the same real server twice ("is duplicated"), and
//! real servers of another address family than a non-tunnelled virtual server (also in the man
//! page's LVS notes). The codec refuses each before a file is written.

use crate::devices::lb::virtual_server::{
    at_member, unsupported, Forwarding, Member, Method, Monitor, Persistence, Protocol,
    Unsupported, VirtualServer,
};
use crate::devices::marked::{self, Markers};
use std::net::IpAddr;

/// The section's first and last lines are `<begin> <name>` and `<end> <name>`.
pub const MARKERS: Markers = Markers {
    begin: "# BEGIN uccluster lb_virtual_server",
    end: "# END uccluster lb_virtual_server",
};

/// The section's second line.
pub const NOTICE: &str =
    "# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section";

/// How often the checkers poll, seconds: F5's default monitor interval (5 s), so a member that
/// stops answering leaves the pool about as fast on either balancer; keepalived's own default
/// (60 s) would keep a dead SIP frontend in rotation for a minute.
pub const DELAY_LOOP: u32 = 5;

/// ipvsadm's default persistence timeout, the same as the ipvsadm codec's `-p`.
pub const PERSISTENCE_SECONDS: u32 = crate::devices::lb::ipvs::PERSISTENCE_SECONDS;

/// keepalived's bound for a real server's weight (`keepalived -t` 2.2.7: "outside range
/// 0-2147483647").
pub const MAX_WEIGHT: u32 = i32::MAX as u32;

/// The longest virtual server name (`lb_config`'s `object_name`, as HAProxy's codec takes it).
pub const MAX_NAME: usize = 63;

/// The trailing comment that keeps a disabled member's weight: keepalived has no "disabled"
/// for a real server, only weight 0, and a comment "can start anywhere in a line"
/// (keepalived.conf(5) DESCRIPTION), so `weight 0 # uccluster: enabled = false, weight 3`
/// quiesces the member (ipvsadm(8): weight 0 "will receive no new jobs but still serve the
/// existing jobs") and the section still says what its weight comes back as.
pub const DISABLED_COMMENT: &str = "uccluster: enabled = false, weight";

/// The virtual server's name: one word, so it can end a marker line.
fn check_name(name: &str) -> Result<(), String> {
    crate::grammar::check_word(name, MAX_NAME).map_err(|e| format!("{name:?} {e}"))
}

pub(crate) fn protocol_word(p: Protocol) -> &'static str {
    match p {
        Protocol::Udp => "UDP",
        Protocol::Tcp | Protocol::Both => "TCP",
    }
}

pub(crate) fn scheduler(m: Method) -> &'static str {
    match m {
        Method::RoundRobin => "wrr",
        Method::LeastConnections => "wlc",
    }
}

pub(crate) fn checker(m: Monitor) -> &'static str {
    match m {
        Monitor::Tcp => "TCP_CHECK",
        Monitor::Smtp => "SMTP_CHECK",
        Monitor::Icmp => "PING_CHECK",
    }
}

/// The single-protocol blocks of a virtual server: `both` is a TCP and a UDP block.
pub(crate) fn protocols(p: Protocol) -> &'static [Protocol] {
    match p {
        Protocol::Tcp => &[Protocol::Tcp],
        Protocol::Udp => &[Protocol::Udp],
        Protocol::Both => &[Protocol::Tcp, Protocol::Udp],
    }
}

fn check_virtual_server(vs: &VirtualServer, one_packet: bool) -> Result<u16, Unsupported> {
    check_name(&vs.name).map_err(|e| unsupported("name", e))?;
    let port = vs.port.ok_or_else(|| unsupported(
        "port",
        "keepalived serves \"any\" port only as a firewall-mark virtual server (`virtual_server fwmark`), or without a port for a persistent service (keepalived.conf(5)); uccluster writes neither: set port",
    ))?;
    if vs.forwarding == Forwarding::NoTranslation {
        return Err(unsupported(
            "forwarding",
            "keepalived forwards with `lvs_method NAT`, `DR` or `TUN` (keepalived.conf(5)); none keeps the VIP as the destination and routes answers back through the balancer: use forwarding = \"direct_routing\", or the f5 backend",
        ));
    }
    if one_packet && vs.protocol == Protocol::Tcp {
        return Err(unsupported(
            "ipvs.one_packet_scheduling",
            "one-packet scheduling is for UDP (keepalived.conf(5) `ops`; keepalived -t: \"one packet scheduling requires UDP\")",
        ));
    }
    let twice = (1..vs.monitors.len()).find(|&i| vs.monitors[..i].contains(&vs.monitors[i]));
    if let Some(twice) = twice.map(|i| vs.monitors[i]) {
        return Err(unsupported(
            "monitors",
            format!(
                "{} is listed twice: keepalived would run the same check twice",
                checker(twice)
            ),
        ));
    }
    if vs.members.is_empty() {
        return Err(unsupported(
            "member",
            "keepalived -t refuses a virtual server without real servers (\"has no real servers - ignoring\"): add a member",
        ));
    }
    Ok(port)
}

fn check_member(vs: &VirtualServer, i: usize, port: u16) -> Result<(), Unsupported> {
    let m = &vs.members[i];
    if m.weight > MAX_WEIGHT {
        return Err(at_member(
            i,
            "member.weight",
            format!(
                "keepalived takes a weight from 0 to {MAX_WEIGHT}, not {}",
                m.weight
            ),
        ));
    }
    if m.address.is_ipv4() != vs.address.is_ipv4() {
        return Err(at_member(
            i,
            "member.address",
            format!(
                "{} is not of the VIP's address family: keepalived skips such a real server unless it is tunnelled (keepalived.conf(5), LVS notes)",
                m.address
            ),
        ));
    }
    let member_port = vs.member_port(m).unwrap_or(port);
    if vs.forwarding == Forwarding::DirectRouting && member_port != port {
        return Err(at_member(
            i,
            "member.port",
            format!("direct routing cannot change the port: keepalived -t resets real server port {member_port} to the virtual server's {port} (\"ports don't match\")"),
        ));
    }
    let same =
        |o: &Member| o.address == m.address && vs.member_port(o).unwrap_or(port) == member_port;
    if vs.members[..i].iter().any(same) {
        return Err(at_member(
            i,
            "member.address",
            format!("{} port {member_port} is a member twice: keepalived -t removes the second (\"is duplicated\")", m.address),
        ));
    }
    Ok(())
}

/// The weight IPVS is given: a disabled member is quiesced with weight 0.
fn live_weight(m: &Member) -> u32 {
    match m.enabled {
        true => m.weight,
        false => 0,
    }
}

/// Everything that decides whether `vs` can be a keepalived virtual server; its port.
pub(crate) fn check_supported(vs: &VirtualServer, one_packet: bool) -> Result<u16, Unsupported> {
    let port = check_virtual_server(vs, one_packet)?;
    for i in 0..vs.members.len() {
        check_member(vs, i, port)?;
    }
    if vs.members.iter().all(|m| live_weight(m) == 0) {
        return Err(unsupported(
            "member",
            "keepalived -t refuses a virtual server whose real servers' weights total 0 (\"quorum 1 ... exceeds total weight of real servers 0\"): keep one member enabled with a weight above 0",
        ));
    }
    Ok(port)
}

/// `address port` as `virtual_server` and `real_server` take them: two words, IPv6 bare.
fn endpoint(address: IpAddr, port: u16) -> String {
    format!("{address} {port}")
}

fn weight_line(m: &Member) -> String {
    match m.enabled {
        true => format!("weight {}", m.weight),
        false => format!("weight 0 # {DISABLED_COMMENT} {}", m.weight),
    }
}

fn real_server(vs: &VirtualServer, m: &Member, port: u16, lines: &mut Vec<String>) {
    let member_port = vs.member_port(m).unwrap_or(port);
    lines.push(format!(
        "    real_server {} {{",
        endpoint(m.address, member_port)
    ));
    lines.push(format!("        {}", weight_line(m)));
    for monitor in &vs.monitors {
        lines.push(format!("        {} {{", checker(*monitor)));
        lines.push("        }".into());
    }
    lines.push("    }".into());
}

fn block(vs: &VirtualServer, protocol: Protocol, one_packet: bool, port: u16) -> Vec<String> {
    let mut lines = vec![
        format!("virtual_server {} {{", endpoint(vs.address, port)),
        format!("    protocol {}", protocol_word(protocol)),
        format!("    lvs_sched {}", scheduler(vs.method)),
        format!(
            "    lvs_method {}",
            match vs.forwarding {
                Forwarding::Nat => "NAT",
                Forwarding::DirectRouting | Forwarding::NoTranslation => "DR",
            }
        ),
    ];
    if one_packet && protocol == Protocol::Udp {
        lines.push("    ops".into());
    }
    if vs.persistence == Persistence::SourceAddress {
        lines.push(format!("    persistence_timeout {PERSISTENCE_SECONDS}"));
    }
    lines.push(format!("    delay_loop {DELAY_LOOP}"));
    for m in &vs.members {
        real_server(vs, m, port, &mut lines);
    }
    lines.push("}".into());
    lines
}

/// The marked section of `vs`, markers included, each line ending with `\n`
/// (`one_packet`: one-packet scheduling on its UDP block).
pub fn section(vs: &VirtualServer, one_packet: bool) -> Result<String, Unsupported> {
    let port = check_supported(vs, one_packet)?;
    let mut lines = vec![MARKERS.begin_line(&vs.name), NOTICE.to_string()];
    for protocol in protocols(vs.protocol) {
        lines.extend(block(vs, *protocol, one_packet, port));
    }
    lines.push(MARKERS.end_line(&vs.name));
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// `config` with the section of `name` replaced by `section` (appended at the end after a
/// blank line when it has none) or removed (`None`); every byte outside the section is kept.
/// A broken marker structure anywhere in the file is an error naming its line.
pub fn splice(config: &str, name: &str, section: Option<&str>) -> Result<String, String> {
    check_name(name)?;
    marked::splice(config, &MARKERS, name, section)
}
