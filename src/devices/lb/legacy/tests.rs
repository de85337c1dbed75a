//! The seed's SIP-farm site, declared once per vendor, renders to the seed's own lines.

use super::seed;
use super::*;
use crate::devices::lb::virtual_server::*;

const VIP: &str = "64.173.55.164";
const FRONTENDS: [(&str, &str); 4] = [
    ("fe5", "64.173.55.180"),
    ("fe6", "64.173.55.181"),
    ("fe7", "64.173.55.182"),
    ("fe8", "64.173.55.183"),
];

fn members(order: &[usize]) -> Vec<Member> {
    order
        .iter()
        .map(|&i| Member {
            name: FRONTENDS[i].0.into(),
            address: FRONTENDS[i].1.parse().unwrap(),
            port: None,
            weight: 1,
            enabled: true,
        })
        .collect()
}

fn service(name: &str, port: u16, protocol: Protocol, forwarding: Forwarding) -> VirtualServer {
    VirtualServer {
        name: name.into(),
        address: VIP.parse().unwrap(),
        port: Some(port),
        protocol,
        method: Method::RoundRobin,
        forwarding,
        persistence: Persistence::None,
        monitors: vec![Monitor::Tcp],
        members: members(&[0, 1, 2, 3]),
        f5: F5Options::default(),
    }
}

/// The seed's site: POP3 and IMAP4 "normal", SIP 5060, SMTP and 8100 with DSR; the seed binds
/// SIP and SMTP to the frontends in reverse order.
fn sip_farm_site() -> Site {
    let reversed = members(&[3, 2, 1, 0]);
    Site {
        virtual_servers: vec![
            service("pop3", 110, Protocol::Tcp, Forwarding::Nat),
            service("imap4", 143, Protocol::Tcp, Forwarding::Nat),
            VirtualServer {
                members: reversed.clone(),
                ..service("sip", 5060, Protocol::Udp, Forwarding::DirectRouting)
            },
            VirtualServer {
                members: reversed,
                ..service("smtp", 25, Protocol::Tcp, Forwarding::DirectRouting)
            },
            service("http_user", 8100, Protocol::Tcp, Forwarding::DirectRouting),
        ],
        alteon_first_real: 5,
        alteon_group_names: vec!["all-services".into()],
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// `text` without the phrases that configure the box rather than a virtual server.
fn without(text: &str, phrases: &[&str]) -> String {
    phrases
        .iter()
        .fold(text.to_string(), |t, p| t.replace(p, " "))
}

#[test]
fn serveriron_renders_the_seeds_lines() {
    let text = render(Vendor::ServerIron, &sip_farm_site()).unwrap();
    assert_eq!(words(&text), words(seed::SERVERIRON), "{text}");
}

#[test]
fn alteon_renders_the_seeds_lines() {
    let text = render(Vendor::Alteon, &sip_farm_site()).unwrap();
    // The switch's physical ports are not virtual-server configuration.
    let ports = [
        "/c/slb/port 1 client ena",
        "/c/slb/port 5 server ena",
        "/c/slb/port 6 server ena",
        "/c/slb/port 7 server ena",
        "/c/slb/port 8 server ena",
    ];
    assert_eq!(
        words(&text),
        words(&without(seed::ALTEON, &ports)),
        "{text}"
    );
}

#[test]
fn f5_renders_the_seeds_lines() {
    // The seed's F5 is one virtual server on any port, not translating addresses.
    let site = Site {
        virtual_servers: vec![VirtualServer {
            name: "External".into(),
            port: None,
            protocol: Protocol::Both,
            forwarding: Forwarding::NoTranslation,
            monitors: vec![Monitor::Smtp, Monitor::Icmp],
            f5: F5Options {
                pool: Some("Frontends".into()),
                profile: Some("CGS_fastL4".into()),
                smtp_monitor: Some("MySMTP".into()),
                idle_timeout: Some(60),
                tcp_handshake_timeout: Some(15),
                tcp_close_timeout: Some(60),
                loose_initiation: Some(false),
                loose_close: Some(true),
                software_syncookie: Some(false),
                floating: false,
            },
            ..service("External", 0, Protocol::Both, Forwarding::NoTranslation)
        }],
        alteon_first_real: 1,
        alteon_group_names: vec![],
    };
    let text = render(Vendor::F5Tmsh, &site).unwrap();
    // `node * monitor MySMTP` sets the default monitor of every node on the box.
    let box_wide = without(seed::F5, &["node * monitor MySMTP"]);
    assert_eq!(words(&text), words(&box_wide), "{text}");
}

#[test]
fn a_disabled_member_takes_no_traffic_in_any_rendering() {
    let mut site = sip_farm_site();
    site.virtual_servers[0].members[1].enabled = false;
    let si = render(Vendor::ServerIron, &site).unwrap();
    assert!(
        si.contains(" bind pop3 fe5 pop3 fe7 pop3 fe8 pop3\n"),
        "{si}"
    );
    let f5 = render(Vendor::F5Tmsh, &site).unwrap();
    assert!(
        f5.contains("members 64.173.55.180:110 64.173.55.182:110"),
        "{f5}"
    );
    let alteon = render(Vendor::Alteon, &site).unwrap();
    assert!(alteon.contains("/c/slb/group 1\n\tadd 5\n\tadd 7\n\tadd 8\n\tname \"all-services\"\n/c/slb/group 2\n\tadd 5\n\tadd 6"), "{alteon}");
}

#[test]
fn what_a_vendor_cannot_say_is_an_error_naming_the_attribute() {
    let mut site = sip_farm_site();
    site.virtual_servers[1].port = None;
    for vendor in [Vendor::ServerIron, Vendor::Alteon] {
        let e = render(vendor, &site).unwrap_err();
        assert_eq!((e.virtual_server, e.attribute), (1, "port"), "{e:?}");
    }
    assert!(render(Vendor::F5Tmsh, &site).is_ok(), "F5 takes any port");
    let mut site = sip_farm_site();
    site.virtual_servers[2].forwarding = Forwarding::NoTranslation;
    let e = render(Vendor::ServerIron, &site).unwrap_err();
    assert_eq!((e.virtual_server, e.attribute), (2, "forwarding"));
    let mut site = sip_farm_site();
    site.virtual_servers[3].method = Method::LeastConnections;
    let e = render(Vendor::ServerIron, &site).unwrap_err();
    assert_eq!((e.virtual_server, e.attribute), (3, "method"));
    let mut site = sip_farm_site();
    site.virtual_servers[4].members[0].address = "10.9.9.9".parse().unwrap();
    let e = render(Vendor::Alteon, &site).unwrap_err();
    assert_eq!((e.virtual_server, e.attribute), (4, "member"));
}
