use super::*;
use crate::devices::lb::virtual_server::*;

const VIP: &str = "64.173.55.164";
const FRONTENDS: [(&str, &str); 4] = [
    ("fe5", "64.173.55.180"),
    ("fe6", "64.173.55.181"),
    ("fe7", "64.173.55.182"),
    ("fe8", "64.173.55.183"),
];

fn members() -> Vec<Member> {
    FRONTENDS
        .iter()
        .map(|(name, address)| Member {
            name: name.to_string(),
            address: address.parse().unwrap(),
            port: None,
            weight: 1,
            enabled: true,
        })
        .collect()
}

fn service(name: &str, port: u16, monitor: Monitor) -> VirtualServer {
    VirtualServer {
        name: name.into(),
        address: VIP.parse().unwrap(),
        port: Some(port),
        protocol: Protocol::Tcp,
        method: Method::RoundRobin,
        forwarding: Forwarding::Nat,
        persistence: Persistence::None,
        monitors: vec![monitor],
        members: members(),
        f5: F5Options::default(),
    }
}

fn member(name: &str, address: &str, port: u16, weight: u32, enabled: bool) -> Member {
    Member {
        name: name.into(),
        address: address.parse().unwrap(),
        port: Some(port),
        weight,
        enabled,
    }
}

/// The virtual servers of the capture: every member state HAProxy reports.
pub(super) fn captured_site() -> Vec<VirtualServer> {
    let lo = |name: &str, port: u16, monitors: Vec<Monitor>, members: Vec<Member>| VirtualServer {
        name: name.into(),
        address: "127.0.0.1".parse().unwrap(),
        port: Some(port),
        protocol: Protocol::Tcp,
        method: Method::RoundRobin,
        forwarding: Forwarding::Nat,
        persistence: Persistence::None,
        monitors,
        members,
        f5: F5Options::default(),
    };
    let pop3 = lo(
        "pop3",
        18110,
        vec![Monitor::Tcp],
        vec![
            member("fe5", "127.0.0.1", 18111, 1, true),
            member("fe6", "127.0.0.1", 18112, 2, false),
            member("fe7", "127.0.0.1", 18119, 1, true),
            member("fe8", "127.0.0.1", 18114, 1, true),
        ],
    );
    let mut smtp = lo(
        "smtp",
        18125,
        vec![Monitor::Smtp],
        vec![
            member("fe5", "127.0.0.1", 18111, 1, true),
            member("fe6", "127.0.0.1", 18112, 1, true),
            member("fe7", "127.0.0.1", 18114, 1, false),
        ],
    );
    smtp.method = Method::LeastConnections;
    smtp.persistence = Persistence::SourceAddress;
    let plain = lo(
        "plain",
        18130,
        vec![],
        vec![
            member("a", "127.0.0.1", 18111, 1, true),
            member("b", "::1", 18119, 1, true),
            member("c", "127.0.0.1", 18112, 1, true),
        ],
    );
    vec![pop3, smtp, plain]
}

/// The lab's base configuration (acceptance-tests/src/haproxy: `BASE_MARKER`, global,
/// defaults), whose every byte must survive the splices.
const BASE: &str = "# uccluster lab: base configuration (global, defaults)
global
    stats socket ipv4@127.0.0.1:19999 level admin
    stats timeout 30s
    pidfile /tmp/hx/haproxy.pid
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
";

/// The seed's POP3 service on HAProxy. `BASE` followed by this and the other three TCP
/// services of the seed (imap4 143, the smtp variant below, http_user 8100) was checked by hand
/// with `haproxy -c -f` (HAProxy 2.6.12: `Configuration file is valid`), as LF and as CRLF file.
const SEED_POP3: &str = "# BEGIN uccluster lb_virtual_server pop3
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
frontend pop3
    mode tcp
    bind 64.173.55.164:110
    default_backend pop3
backend pop3
    mode tcp
    balance roundrobin
    option tcp-check
    server fe5 64.173.55.180:110 weight 1 check
    server fe6 64.173.55.181:110 weight 1 check
    server fe7 64.173.55.182:110 weight 1 check
    server fe8 64.173.55.183:110 weight 1 check
# END uccluster lb_virtual_server pop3
";

/// The seed's SMTP service with everything a section can say: least connections, the SMTP
/// monitor, source-address persistence, a disabled member, a weight, a member port (checked
/// with `haproxy -c` as above).
const SEED_SMTP: &str = "# BEGIN uccluster lb_virtual_server smtp
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
frontend smtp
    mode tcp
    bind 64.173.55.164:25
    default_backend smtp
backend smtp
    mode tcp
    balance leastconn
    option smtpchk
    stick-table type ip size 1m expire 30m
    stick on src
    server fe5 64.173.55.180:25 weight 1 check
    server fe6 64.173.55.181:25 weight 1 check disabled
    server fe7 64.173.55.182:25 weight 3 check
    server fe8 64.173.55.183:2525 weight 1 check
# END uccluster lb_virtual_server smtp
";

fn seed_smtp() -> VirtualServer {
    let mut smtp = service("smtp", 25, Monitor::Smtp);
    smtp.method = Method::LeastConnections;
    smtp.persistence = Persistence::SourceAddress;
    smtp.members[1].enabled = false;
    smtp.members[2].weight = 3;
    smtp.members[3].port = Some(2525);
    smtp
}

/// An IPv6 virtual server (checked with `haproxy -c` in the same shape: `bind [v6]:port`,
/// `stick-table type ipv6`, weights 0 and 256, a v4 member behind a v6 VIP).
fn v6() -> VirtualServer {
    VirtualServer {
        name: "xmpp.v6".into(),
        address: "2001:db8::10".parse().unwrap(),
        port: Some(5222),
        protocol: Protocol::Tcp,
        method: Method::LeastConnections,
        forwarding: Forwarding::Nat,
        persistence: Persistence::SourceAddress,
        monitors: vec![Monitor::Tcp],
        members: vec![
            Member {
                port: None,
                ..member("a", "2001:db8::20", 5222, 0, true)
            },
            member("b", "192.0.2.7", 5223, 256, false),
        ],
        f5: F5Options::default(),
    }
}

#[test]
fn the_seeds_tcp_services_render_as_haproxy_checked_them() {
    assert_eq!(
        section(&service("pop3", 110, Monitor::Tcp)).unwrap(),
        SEED_POP3
    );
    assert_eq!(section(&seed_smtp()).unwrap(), SEED_SMTP);
    let v6 = section(&v6()).unwrap();
    assert!(v6.contains("\n    bind [2001:db8::10]:5222\n"), "{v6}");
    assert!(
        v6.contains("\n    stick-table type ipv6 size 1m expire 30m\n"),
        "{v6}"
    );
    assert!(
        v6.contains("\n    server a [2001:db8::20]:5222 weight 0 check\n"),
        "{v6}"
    );
    assert!(
        v6.contains("\n    server b 192.0.2.7:5223 weight 256 check disabled\n"),
        "{v6}"
    );
    // No monitor: no `check`, members unchecked.
    let plain = section(&captured_site()[2]).unwrap();
    assert!(
        plain.contains("\n    server a 127.0.0.1:18111 weight 1\n"),
        "{plain}"
    );
    // The seed's SMTP and HTTP-user services use DSR: not on HAProxy.
    let mut dsr = service("smtp", 25, Monitor::Smtp);
    dsr.forwarding = Forwarding::DirectRouting;
    assert_eq!(section(&dsr).unwrap_err().attribute, "forwarding");
}

#[test]
fn a_section_reads_back_as_the_model_it_was_written_from() {
    let mut site = captured_site();
    site.extend([
        service("pop3s", 995, Monitor::Tcp),
        VirtualServer {
            name: "smtp_seed".into(),
            ..seed_smtp()
        },
        v6(),
        VirtualServer {
            monitors: vec![],
            ..service("imap4", 143, Monitor::Tcp)
        },
    ]);
    let mut config = BASE.to_string();
    for vs in &site {
        config = splice(&config, &vs.name, Some(&section(vs).unwrap())).unwrap();
    }
    assert!(config.starts_with(BASE));
    let read = sections(&config).unwrap();
    assert_eq!(read.len(), site.len());
    for (vs, s) in site.iter().zip(&read) {
        assert_eq!(s.name, vs.name);
        assert_eq!(s.vs.as_ref(), Some(vs), "{}", s.text);
        assert_eq!(s.foreign, vec![]);
        assert!(!s.edited_by_hand(), "{}", s.text);
        assert_eq!(s.text, section(vs).unwrap());
        assert_eq!(
            config.lines().nth(s.line - 1),
            section(vs).unwrap().lines().next()
        );
    }
    assert_eq!(
        find_section(&config, "smtp").unwrap().unwrap().vs,
        Some(captured_site().remove(1))
    );
    assert_eq!(find_section(&config, "absent").unwrap(), None);

    // HAProxy's text cannot say "the member's own port, equal to the VIP's": it reads back as
    // no port of its own (the plan should normalise the same way).
    let mut explicit = service("pop3", 110, Monitor::Tcp);
    explicit.members[0].port = Some(110);
    let text = section(&explicit).unwrap();
    assert_eq!(text, SEED_POP3);
    let back = sections(&text).unwrap().remove(0).vs.unwrap();
    assert_eq!(back.members[0].port, None);
    // The f5 options are not HAProxy's: not written, read back at their defaults.
    let mut with_f5 = service("pop3", 110, Monitor::Tcp);
    with_f5.f5.pool = Some("Frontends".into());
    assert_eq!(section(&with_f5).unwrap(), SEED_POP3);
}

#[test]
fn splice_keeps_every_byte_outside_the_section() {
    let pop3 = section(&service("pop3", 110, Monitor::Tcp)).unwrap();
    let smtp = section(&seed_smtp()).unwrap();
    // Append after a blank line, replace in place, remove with the blank line appending wrote.
    let one = splice(BASE, "pop3", Some(&pop3)).unwrap();
    assert_eq!(one, format!("{BASE}\n{pop3}"));
    let two = splice(&one, "smtp", Some(&smtp)).unwrap();
    assert_eq!(two, format!("{BASE}\n{pop3}\n{smtp}"));
    let mut fewer = service("pop3", 110, Monitor::Tcp);
    fewer.members.truncate(2);
    let fewer = section(&fewer).unwrap();
    let replaced = splice(&two, "pop3", Some(&fewer)).unwrap();
    assert_eq!(replaced, format!("{BASE}\n{fewer}\n{smtp}"));
    assert_eq!(
        splice(&replaced, "pop3", None).unwrap(),
        format!("{BASE}\n{smtp}")
    );
    assert_eq!(
        splice(&splice(&replaced, "pop3", None).unwrap(), "smtp", None).unwrap(),
        BASE
    );
    // Hand-written proxies around the section, in the middle of the file, stay as they are.
    let around = format!("{BASE}listen stats\n    bind :8404\n\n{pop3}\nbackend hand\n    server x 10.0.0.1:1 # note\n");
    let spliced = splice(&around, "pop3", Some(&fewer)).unwrap();
    assert_eq!(spliced, around.replace(&pop3, &fewer));
    assert_eq!(
        splice(&around, "pop3", None).unwrap(),
        format!(
            "{BASE}listen stats\n    bind :8404\n\nbackend hand\n    server x 10.0.0.1:1 # note\n"
        )
    );

    // A file without a final line break gets one before the appended section.
    let unterminated = BASE.trim_end();
    let appended = splice(unterminated, "pop3", Some(&pop3)).unwrap();
    assert_eq!(appended, format!("{unterminated}\n\n{pop3}"));
    assert_eq!(
        splice(&appended, "pop3", None).unwrap(),
        format!("{unterminated}\n")
    );

    // A CRLF file keeps its CRLF, and the section is written with CRLF too.
    let crlf = BASE.replace('\n', "\r\n");
    let with = splice(&crlf, "pop3", Some(&pop3)).unwrap();
    assert_eq!(with, format!("{crlf}\r\n{}", pop3.replace('\n', "\r\n")));
    let read = sections(&with).unwrap();
    assert_eq!(read[0].text, pop3, "a CRLF section reads as the LF text");
    assert!(!read[0].edited_by_hand());
    let replaced = splice(&with, "pop3", Some(&fewer)).unwrap();
    assert_eq!(
        replaced,
        format!("{crlf}\r\n{}", fewer.replace('\n', "\r\n"))
    );
    assert_eq!(splice(&replaced, "pop3", None).unwrap(), crlf);
    // An empty file.
    assert_eq!(splice("", "pop3", Some(&pop3)).unwrap(), pop3);
}

#[test]
fn broken_markers_are_errors_naming_the_line_and_nothing_is_spliced() {
    let pop3 = section(&service("pop3", 110, Monitor::Tcp)).unwrap();
    let smtp = section(&seed_smtp()).unwrap();
    let unterminated = format!(
        "{BASE}\n{}",
        pop3.replace("# END uccluster lb_virtual_server pop3\n", "")
    );
    let duplicated = format!("{BASE}\n{pop3}\n{pop3}");
    let nested = format!(
        "{BASE}\n{}",
        pop3.replace("# END uccluster lb_virtual_server pop3\n", &smtp)
    );
    for (config, line) in [
        (unterminated, "line 12: `# BEGIN uccluster lb_virtual_server pop3` has no `# END uccluster lb_virtual_server pop3` after it"),
        (duplicated, "line 28: a second `# BEGIN uccluster lb_virtual_server pop3` (the first is on line 12)"),
        (nested, "line 26: `# BEGIN uccluster lb_virtual_server smtp` inside the region `pop3` opened on line 12"),
    ] {
        let e = sections(&config).unwrap_err();
        assert!(e.starts_with(line), "{e}");
        assert_eq!(splice(&config, "smtp", Some(&smtp)).unwrap_err(), e);
        assert_eq!(splice(&config, "pop3", None).unwrap_err(), e);
    }
    // The text spliced must be the named section, and the name a name.
    assert!(splice(BASE, "smtp", Some(&pop3))
        .unwrap_err()
        .starts_with("refusing to splice"));
    assert!(splice(BASE, "pop3", Some("frontend x\n")).is_err());
    assert!(splice(BASE, "a b", None).is_err());
}

#[test]
fn a_hand_edit_is_listed_and_shows_as_drift() {
    let smtp = section(&seed_smtp()).unwrap();
    let edited = smtp
        .replace("weight 3 check", "weight 5 check")
        .replace(
            "    option smtpchk\n",
            "    option smtpchk\n    timeout server 1h\n",
        )
        .replace(
            "    server fe8 64.173.55.183:2525 weight 1 check\n",
            "    server fe8 64.173.55.183:2525 weight 1 check inter 5s\n",
        );
    let config = format!("{BASE}\n{edited}");
    let s = sections(&config).unwrap().remove(0);
    assert!(s.edited_by_hand());
    assert_eq!(s.text, edited);
    assert_eq!(
        s.foreign,
        vec![
            (22, "    timeout server 1h".to_string()),
            (
                28,
                "    server fe8 64.173.55.183:2525 weight 1 check inter 5s".to_string()
            ),
        ]
    );
    // What uccluster wrote still reads: the weight is the file's, the foreign server is not a
    // member.
    let vs = s.vs.unwrap();
    assert_eq!(
        vs.members
            .iter()
            .map(|m| (m.name.as_str(), m.weight))
            .collect::<Vec<_>>(),
        [("fe5", 1), ("fe6", 1), ("fe7", 5)]
    );
    assert_eq!(vs.monitors, vec![Monitor::Smtp]);

    // Without its bind line the section holds no virtual server, and says so.
    let no_bind = smtp.replace("    bind 64.173.55.164:25\n", "");
    let s = sections(&no_bind).unwrap().remove(0);
    assert!(s.edited_by_hand());
    assert_eq!((s.vs, s.foreign), (None, vec![]));
    // Lines in another order, or a proxy of another name inside the section, are drift too.
    let swapped = smtp.replace(
        "    mode tcp\n    balance leastconn\n",
        "    balance leastconn\n    mode tcp\n",
    );
    assert!(sections(&swapped).unwrap()[0].edited_by_hand());
    // (`default_backend other` and the whole `backend other`.)
    let other = smtp.replace("backend smtp\n", "backend other\n");
    let s = sections(&other).unwrap().remove(0);
    assert_eq!(s.vs, None);
    assert_eq!(s.foreign.len(), 11, "{:?}", s.foreign);
    // A weight HAProxy would refuse, typed by hand, reads but is drift.
    let heavy = smtp.replace("weight 3 check", "weight 300 check");
    let s = sections(&heavy).unwrap().remove(0);
    assert_eq!(s.vs.as_ref().unwrap().members[2].weight, 300);
    assert!(s.edited_by_hand());
}

#[test]
fn what_haproxy_cannot_do_names_its_attribute() {
    let base = || service("sip", 5060, Monitor::Tcp);
    let cases: Vec<(VirtualServer, &str, Option<usize>, &str)> = vec![
        (
            VirtualServer {
                protocol: Protocol::Udp,
                ..base()
            },
            "protocol",
            None,
            "ipvs or f5",
        ),
        (
            VirtualServer {
                protocol: Protocol::Both,
                ..base()
            },
            "protocol",
            None,
            "ipvs or f5",
        ),
        (
            VirtualServer {
                forwarding: Forwarding::DirectRouting,
                ..base()
            },
            "forwarding",
            None,
            "full proxy",
        ),
        (
            VirtualServer {
                forwarding: Forwarding::NoTranslation,
                ..base()
            },
            "forwarding",
            None,
            "f5 backend",
        ),
        (
            VirtualServer {
                monitors: vec![Monitor::Icmp],
                ..base()
            },
            "monitors",
            None,
            "not ICMP",
        ),
        (
            VirtualServer {
                monitors: vec![Monitor::Smtp, Monitor::Icmp],
                ..base()
            },
            "monitors",
            None,
            "not ICMP",
        ),
        (
            VirtualServer {
                monitors: vec![Monitor::Tcp, Monitor::Smtp],
                ..base()
            },
            "monitors",
            None,
            "one health check",
        ),
        (
            VirtualServer {
                monitors: vec![Monitor::Tcp, Monitor::Tcp],
                ..base()
            },
            "monitors",
            None,
            "one health check",
        ),
        (
            VirtualServer {
                port: None,
                ..base()
            },
            "port",
            None,
            "\"any\" port",
        ),
        (
            VirtualServer {
                name: "sip farm".into(),
                ..base()
            },
            "name",
            None,
            "not allowed",
        ),
        (
            VirtualServer {
                name: "sip;del".into(),
                ..base()
            },
            "name",
            None,
            "not allowed",
        ),
    ];
    for (vs, attribute, member, words) in cases {
        let e = section(&vs).unwrap_err();
        assert_eq!((e.attribute, e.member), (attribute, member), "{e:?}");
        assert!(e.detail.contains(words), "{e:?}");
    }
    let with_member = |f: &dyn Fn(&mut Member)| {
        let mut vs = base();
        f(&mut vs.members[2]);
        section(&vs).unwrap_err()
    };
    let e = with_member(&|m| m.weight = 257);
    assert_eq!((e.attribute, e.member), ("member.weight", Some(2)));
    assert!(e.detail.contains("0 to 256"), "{e:?}");
    for bad in ["fe 7", "fe7;", "fe#7", "fe7\n", "", "fe\\7", "fe7\u{7}"] {
        let e = with_member(&|m| m.name = bad.into());
        assert_eq!((e.attribute, e.member), ("member.name", Some(2)), "{bad:?}");
    }
    let e = with_member(&|m| m.name = "fe5".into());
    assert_eq!((e.attribute, e.member), ("member.name", Some(2)));
    assert!(e.detail.contains("used twice"));
}

fn state<'a>(all: &'a [ServerState], backend: &str, server: &str) -> &'a ServerState {
    all.iter()
        .find(|s| s.backend == backend && s.server == server)
        .unwrap()
}

#[test]
fn show_servers_state_from_the_real_haproxy() {
    assert_eq!(
        fixtures::SERVERS_STATE.len(),
        1151,
        "the fixture is the capture"
    );
    let all = parse_servers_state(fixtures::SERVERS_STATE).unwrap();
    assert_eq!(all.len(), 12);
    let fe5 = state(&all, "pop3", "fe5");
    assert_eq!(
        fe5,
        &ServerState {
            backend: "pop3".into(),
            server: "fe5".into(),
            address: Some("127.0.0.1".parse().unwrap()),
            port: 18111,
            operational: state::Operational::Up,
            admin: Admin::Ready,
            admin_flags: 0,
            disabled_in_configuration: false,
            weight: 1,
            initial_weight: 1,
            check_configured: true,
            check_enabled: true,
            check_paused: false,
        }
    );
    // `disabled` in the file: maintenance from the configuration, check paused.
    let fe6 = state(&all, "pop3", "fe6");
    assert_eq!(
        (fe6.admin, fe6.admin_flags, fe6.disabled_in_configuration),
        (Admin::Maint(Maint::Configuration), 5, true)
    );
    assert_eq!(
        (fe6.weight, fe6.check_paused, fe6.enabled()),
        (2, true, false)
    );
    // Runtime maintenance of a member enabled in the file.
    assert_eq!(
        state(&all, "smtp", "fe6").admin,
        Admin::Maint(Maint::Runtime)
    );
    // Disabled in the file, set ready since: serves, CMAINT still set.
    let fe7 = state(&all, "smtp", "fe7");
    assert_eq!(
        (
            fe7.admin,
            fe7.admin_flags,
            fe7.disabled_in_configuration,
            fe7.enabled()
        ),
        (Admin::Ready, 4, true, true)
    );
    assert_eq!(state(&all, "pop3", "fe8").admin, Admin::Drain);
    assert_eq!(
        state(&all, "pop3", "fe7").operational,
        state::Operational::Down
    );
    assert_eq!(
        state(&all, "plain", "c").operational,
        state::Operational::Stopping
    );
    // Dynamic servers: one made ready after `enable health`, one left as `add server` leaves it.
    let fe9 = state(&all, "pop3", "fe9");
    assert_eq!(
        (fe9.weight, fe9.initial_weight, fe9.checked()),
        (4, 4, true)
    );
    let fe10 = state(&all, "pop3", "fe10");
    assert_eq!(
        (fe10.admin, fe10.check_configured),
        (Admin::Maint(Maint::Runtime), false)
    );
    // `set server .. weight 0` moves the user weight only.
    let a = state(&all, "plain", "a");
    assert_eq!(
        (a.weight, a.initial_weight, a.check_configured),
        (0, 1, false)
    );
    assert_eq!(
        state(&all, "plain", "b").address,
        Some("::1".parse().unwrap())
    );
    // The status words are `show stat`'s, server by server.
    for (backend, server, status) in fixtures::SHOW_STAT_STATUS {
        let report = member_report(state(&all, backend, server));
        assert_eq!(report.status, *status, "{backend}/{server}");
    }
    let health = |b, s| member_report(state(&all, b, s)).health;
    assert_eq!(health("pop3", "fe5"), Health::Up);
    assert_eq!(health("pop3", "fe7"), Health::Down);
    assert_eq!(
        health("pop3", "fe8"),
        Health::Up,
        "a draining member is still checked"
    );
    assert_eq!(
        health("pop3", "fe6"),
        Health::Unchecked,
        "maintenance pauses the check"
    );
    assert_eq!(health("smtp", "fe5"), Health::Up);
    assert_eq!(health("plain", "a"), Health::Unchecked);
    assert_eq!(
        health("plain", "b"),
        Health::Unchecked,
        "no check: HAProxy sends traffic to a closed port"
    );
    // The same reply through the interactive prompt.
    let prompted = format!("{}> ", fixtures::SERVERS_STATE);
    assert_eq!(parse_servers_state(&prompted).unwrap(), all);
}

#[test]
fn member_reports_follow_the_members_of_the_model() {
    let all = parse_servers_state(fixtures::SERVERS_STATE).unwrap();
    let mut pop3 = captured_site().remove(0);
    pop3.members.push(member("gone", "127.0.0.1", 1, 1, true));
    pop3.members.swap(0, 3);
    let reports = member_reports(&pop3, &all);
    let words: Vec<(Health, &str)> = reports
        .iter()
        .map(|r| (r.health, r.status.as_str()))
        .collect();
    assert_eq!(
        words,
        [
            (Health::Up, "DRAIN"),
            (Health::Unchecked, "MAINT"),
            (Health::Down, "DOWN"),
            (Health::Up, "UP"),
            (Health::Down, state::ABSENT),
        ]
    );
}

#[test]
fn show_servers_state_errors_are_errors() {
    let e = parse_servers_state(fixtures::SERVERS_STATE_NO_BACKEND).unwrap_err();
    assert!(e.contains("Can't find backend."), "{e}");
    assert!(parse_servers_state("")
        .unwrap_err()
        .contains("answered nothing"));
    assert!(parse_servers_state("2\n# be_id\n")
        .unwrap_err()
        .contains("format version 2"));
    let header = fixtures::SERVERS_STATE.lines().nth(1).unwrap();
    let row = fixtures::SERVERS_STATE.lines().nth(2).unwrap();
    for (bad, says) in [
        (
            format!("1\n{header}\n{}\n", row.replace(" 18111 ", " x ")),
            "srv_port \"x\"",
        ),
        (
            format!("1\n{header}\n{}\n", row.replace("127.0.0.1", "localhost")),
            "srv_addr",
        ),
        (
            format!("1\n{header}\n{} extra\n", row),
            "fields where the header names",
        ),
        (
            format!(
                "1\n{header}\n{}\n",
                row.replace(" fe5 127.0.0.1 2 0 ", " fe5 127.0.0.1 9 0 ")
            ),
            "srv_op_state 9",
        ),
        (
            format!("1\n{header}\n{}\n", row.replace(" 18111 ", " 70000 ")),
            "srv_port 70000",
        ),
        (
            format!(
                "1\n{header}\n{}\n",
                row.replace(" fe5 127.0.0.1 2 0 1 ", " fe5 127.0.0.1 2 0 99999999999 ")
            ),
            "out of range",
        ),
        (
            format!("1\n{}\n", header.replace(" srv_admin_state", "")),
            "no srv_admin_state column",
        ),
        (
            "1\n3 pop3 1 fe5\n".to_string(),
            "no `# be_id be_name ...` header",
        ),
    ] {
        let e = parse_servers_state(&bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
    // A backend without servers (captured after deleting every server of `plain`: the version,
    // the header, the empty line).
    assert_eq!(
        parse_servers_state(&format!("1\n{header}\n\n")).unwrap(),
        vec![]
    );
}

#[test]
fn runtime_commands_are_the_ones_haproxy_took() {
    use runtime::*;
    assert_eq!(
        set_state("pop3", "fe5", AdminCommand::Drain).unwrap(),
        fixtures::REPLIES[0].0
    );
    assert_eq!(
        set_state("pop3", "fe5", AdminCommand::Ready).unwrap(),
        fixtures::REPLIES[1].0
    );
    assert_eq!(
        set_state("pop3", "fe5", AdminCommand::Maint).unwrap(),
        "set server pop3/fe5 state maint"
    );
    assert_eq!(
        set_weight("pop3", "fe5", 7).unwrap(),
        fixtures::REPLIES[2].0
    );
    assert_eq!(
        enable_health("pop3", "fe8").unwrap(),
        fixtures::REPLIES[3].0
    );
    assert_eq!(
        shutdown_sessions("pop3", "fe7").unwrap(),
        fixtures::REPLIES[4].0
    );
    assert_eq!(del_server("pop3", "fe7").unwrap(), fixtures::REPLIES[6].0);
    assert_eq!(
        show_servers_state("pop3").unwrap(),
        "show servers state pop3"
    );
    assert!(set_weight("pop3", "fe5", 257)
        .unwrap_err()
        .contains("0 to 256"));
    let pop3 = &captured_site()[0];
    let fe8 = member("fe8", "127.0.0.1", 18114, 3, true);
    assert_eq!(
        add_server(pop3, &fe8).unwrap(),
        [
            fixtures::REPLIES[5].0,
            "enable health pop3/fe8",
            "set server pop3/fe8 state ready"
        ]
    );
    // The captured `add server ... check disabled` + `enable health` gave the state a reload
    // gives a `disabled` line (admin 5, check paused: 14).
    let off = member("d", "127.0.0.1", 18111, 2, false);
    assert_eq!(
        add_server(pop3, &off).unwrap(),
        [
            "add server pop3/d 127.0.0.1:18111 weight 2 check disabled",
            "enable health pop3/d"
        ]
    );
    let plain = &captured_site()[2];
    assert_eq!(
        add_server(plain, &member("v6", "::1", 18119, 1, true)).unwrap(),
        [
            "add server plain/v6 [::1]:18119 weight 1",
            "set server plain/v6 state ready"
        ]
    );
    assert_eq!(
        remove_server("pop3", "fe7").unwrap(),
        [
            "set server pop3/fe7 state maint",
            "shutdown sessions server pop3/fe7",
            "del server pop3/fe7"
        ]
    );
}

#[test]
fn replies_read_as_done_or_as_haproxys_error() {
    for (command, reply) in fixtures::REPLIES {
        assert_eq!(runtime_error(reply), None, "{command}");
        assert_eq!(
            runtime_error(&format!("{reply}> ")),
            None,
            "{command}, interactive"
        );
    }
    for (command, reply) in fixtures::ERRORS {
        let e = runtime_error(reply).unwrap_or_else(|| panic!("{command}: {reply:?} is an error"));
        assert_eq!(e, reply.trim_end(), "{command}");
    }
    let (command, reply) = fixtures::SEMICOLON_SPLITS;
    assert_eq!(
        runtime_error(reply).as_deref(),
        Some("'server' expects <name> and <addr>[:<port>] as arguments."),
        "{command}"
    );
    assert_eq!(
        runtime_error("Unknown command, but maybe one of the following ones is a better match:\n  set server <bk>/<srv> [opts]  : change\n\n> ").as_deref(),
        Some("Unknown command, but maybe one of the following ones is a better match:\n  set server <bk>/<srv> [opts]  : change")
    );
    assert_eq!(
        runtime_error(&format!("{}\n", runtime::STILL_HAS_CONNECTIONS)).as_deref(),
        Some(runtime::STILL_HAS_CONNECTIONS)
    );
}

#[test]
fn no_name_can_become_a_second_command() {
    use runtime::*;
    for bad in [
        "fe;9",
        "fe 9",
        "fe9\nshow info",
        "fe9\r",
        "",
        "fe\\9",
        "#1",
        "a/b",
        "fe9\u{0}",
        &"x".repeat(64),
    ] {
        assert!(
            set_state("pop3", bad, AdminCommand::Maint).is_err(),
            "{bad:?}"
        );
        assert!(
            set_state(bad, "fe5", AdminCommand::Maint).is_err(),
            "{bad:?}"
        );
        assert!(set_weight("pop3", bad, 1).is_err(), "{bad:?}");
        assert!(enable_health(bad, "fe5").is_err(), "{bad:?}");
        assert!(shutdown_sessions("pop3", bad).is_err(), "{bad:?}");
        assert!(del_server("pop3", bad).is_err(), "{bad:?}");
        assert!(remove_server("pop3", bad).is_err(), "{bad:?}");
        assert!(show_servers_state(bad).is_err(), "{bad:?}");
        let pop3 = &captured_site()[0];
        assert!(
            add_server(pop3, &member(bad, "127.0.0.1", 1, 1, true)).is_err(),
            "{bad:?}"
        );
        let mut wanted = pop3.clone();
        wanted.members[0].name = bad.to_string();
        assert!(live_changes(pop3, &wanted).is_err(), "{bad:?}");
    }
}

#[test]
fn live_changes_take_the_running_backend_to_the_wanted_one() {
    let running = captured_site().remove(0); // fe5 on, fe6 off (weight 2), fe7 on, fe8 on
    let same = live_changes(&running, &running).unwrap();
    assert_eq!(same, Some(vec![]));

    let mut wanted = running.clone();
    wanted.members[0].weight = 5; // fe5 heavier
    wanted.members[1].enabled = true; // fe6 on
    wanted.members[3].enabled = false; // fe8 off
    wanted.members.remove(2); // fe7 gone
    wanted
        .members
        .push(member("fe9", "127.0.0.1", 18114, 4, true));
    wanted
        .members
        .push(member("fe10", "127.0.0.1", 18111, 1, false));
    assert_eq!(
        live_changes(&running, &wanted).unwrap().unwrap(),
        [
            // New members first, checked before they take traffic.
            "add server pop3/fe9 127.0.0.1:18114 weight 4 check",
            "enable health pop3/fe9",
            "set server pop3/fe9 state ready",
            "add server pop3/fe10 127.0.0.1:18111 weight 1 check disabled",
            "enable health pop3/fe10",
            // Then weights, members enabled, members disabled.
            "set server pop3/fe5 weight 5",
            "set server pop3/fe6 state ready",
            "set server pop3/fe8 state maint",
            // Removals last: maintenance, sessions closed, deleted.
            "set server pop3/fe7 state maint",
            "shutdown sessions server pop3/fe7",
            "del server pop3/fe7",
        ]
    );
    // Members in another order: nothing to do at runtime (the file gets the new order).
    let mut reordered = running.clone();
    reordered.members.reverse();
    assert_eq!(live_changes(&running, &reordered).unwrap(), Some(vec![]));
    // The model's port "none" and the VIP's port are the same server.
    let mut explicit = running.clone();
    explicit.port = Some(18111);
    let mut implicit = explicit.clone();
    implicit.members[0].port = None;
    assert_eq!(live_changes(&explicit, &implicit).unwrap(), Some(vec![]));

    // Anything else needs a reload.
    let reload: [fn(&mut VirtualServer); 8] = [
        |vs| vs.port = Some(18200),
        |vs| vs.address = "127.0.0.2".parse().unwrap(),
        |vs| vs.method = Method::LeastConnections,
        |vs| vs.persistence = Persistence::SourceAddress,
        |vs| vs.monitors = vec![Monitor::Smtp],
        |vs| vs.monitors = vec![],
        |vs| vs.members[0].address = "127.0.0.2".parse().unwrap(),
        |vs| vs.members[0].port = Some(18200),
    ];
    for (i, change) in reload.iter().enumerate() {
        let mut wanted = running.clone();
        change(&mut wanted);
        assert_eq!(live_changes(&running, &wanted).unwrap(), None, "change {i}");
    }
    // A running backend this module would not write (here: a hand-edited ICMP monitor) is
    // reloaded; a wanted one HAProxy cannot run is an error naming the attribute.
    let mut odd = running.clone();
    odd.monitors = vec![Monitor::Icmp];
    assert_eq!(live_changes(&odd, &running).unwrap(), None);
    let e = live_changes(&running, &odd).unwrap_err();
    assert!(e.starts_with("monitors: "), "{e}");
    let mut heavy = running.clone();
    heavy.members[1].weight = 300;
    assert!(live_changes(&running, &heavy)
        .unwrap_err()
        .starts_with("member.weight (member 1): "));
}

/// Splits `received` into replies the way the transport does.
fn frame(
    protocol: &dyn crate::transport::line::LineProtocol,
    received: &[u8],
) -> (Vec<String>, usize) {
    let mut replies = Vec::new();
    let mut at = 0;
    while let Some(len) = protocol.reply_len(&received[at..]) {
        assert!(len > 0 && at + len <= received.len());
        replies.push(String::from_utf8_lossy(&received[at..at + len]).into_owned());
        at += len;
    }
    (replies, at)
}

#[test]
fn the_runtime_api_is_framed_by_its_interactive_prompt() {
    use crate::transport::line::LineProtocol;
    let api = RuntimeApi;
    assert!(!api.greets());
    assert_eq!(
        api.encode("show servers state pop3"),
        b"show servers state pop3\n"
    );
    assert_eq!(
        api.login(b"", "", "").unwrap(),
        ["prompt", "show cli level"]
    );
    assert_eq!(
        fixtures::INTERACTIVE_SESSION.len(),
        166,
        "the fixture is the capture"
    );
    let (replies, used) = frame(&api, fixtures::INTERACTIVE_SESSION.as_bytes());
    assert_eq!(used, fixtures::INTERACTIVE_SESSION.len());
    assert_eq!(
        replies,
        [
            "\n> ",
            "admin\n\n> ",
            "\n> ",
            "Only servers in maintenance mode can be deleted.\n> ",
            "No such backend.\n> ",
            "Absolute weight can only be between 0 and 256 inclusive.\n\n> ",
            "\n> ",
            "Server deleted.\n> ",
        ]
    );
    // The two login steps' replies, then the commands'.
    assert_eq!(api.login_reply(replies[0].as_bytes()), Ok(()));
    assert_eq!(api.login_reply(replies[1].as_bytes()), Ok(()));
    let e = api.login_reply(b"operator\n\n> ").unwrap_err();
    assert!(
        e.contains("level operator") && e.contains("level admin"),
        "{e}"
    );
    assert!(api.login_reply(b"Unknown command.\n\n> ").is_err());
    let errors: Vec<Option<String>> = replies[2..].iter().map(|r| runtime_error(r)).collect();
    assert_eq!(
        errors,
        [
            None,
            Some("Only servers in maintenance mode can be deleted.".into()),
            Some("No such backend.".into()),
            Some("Absolute weight can only be between 0 and 256 inclusive.".into()),
            None,
            None,
        ]
    );
    // A reply is complete only with its prompt.
    for cut in [
        "",
        "admin\n",
        "admin\n\n",
        "Server deleted.\n>",
        "1\n# be_id be_name\n3 pop3 1 fe5",
    ] {
        assert_eq!(api.reply_len(cut.as_bytes()), None, "{cut:?}");
    }
    let state = format!("{}> ", fixtures::SERVERS_STATE);
    assert_eq!(api.reply_len(state.as_bytes()), Some(state.len()));
    assert_eq!(
        runtime::reply_text(state.as_bytes()),
        fixtures::SERVERS_STATE.trim_end()
    );
    assert_eq!(
        runtime::parse_info_pid(fixtures::SHOW_INFO_HEAD),
        Some(28612)
    );
    assert_eq!(runtime::parse_info_pid("Name: HAProxy\n"), None);
}

#[test]
fn show_proc_says_whether_a_reload_was_accepted() {
    let start = parse_show_proc(fixtures::SHOW_PROC_START).unwrap();
    assert_eq!(start.counters(), (0, 0));
    assert_eq!(start.master.pid, 28609);
    assert_eq!(start.master.version, "2.6.12-1+deb12u4");
    assert_eq!(
        start.workers.iter().map(|w| w.pid).collect::<Vec<_>>(),
        [28612]
    );
    let old = parse_show_proc(fixtures::SHOW_PROC_OLD_WORKER).unwrap();
    assert_eq!(old.counters(), (2, 0));
    assert_eq!(
        (
            old.workers[0].pid,
            old.old_workers[0].pid,
            old.old_workers[0].reloads
        ),
        (14314, 14166, 1)
    );
    let refused = parse_show_proc(fixtures::SHOW_PROC_REFUSED).unwrap();
    assert_eq!(refused.counters(), (3, 1));
    assert_eq!(refused.workers[0].pid, 14314, "the old worker serves on");
    let twice = parse_show_proc(fixtures::SHOW_PROC_REFUSED_TWICE_MORE).unwrap();
    assert_eq!(twice.counters(), (6, 2));
    let accepted = parse_show_proc(fixtures::SHOW_PROC_ACCEPTED_AFTER_REFUSAL).unwrap();
    assert_eq!(accepted.counters(), (7, 0));

    assert_eq!(reload_outcome(&start, &start), ReloadOutcome::Pending);
    assert_eq!(reload_outcome(&start, &old), ReloadOutcome::Accepted);
    assert_eq!(
        reload_outcome(&old, &refused),
        ReloadOutcome::Refused { failed: 1 }
    );
    assert_eq!(
        reload_outcome(&refused, &twice),
        ReloadOutcome::Refused { failed: 2 }
    );
    assert_eq!(reload_outcome(&twice, &accepted), ReloadOutcome::Accepted);

    // The lab's own parser agrees (acceptance-tests/src/haproxy/tests.rs).
    let lab = "#<PID>          <type>          <reloads>       <uptime>        <version>\n\
               4242            master          3 [failed: 1]   0d00h00m07s     2.6.12-1+deb12u4\n\
               # workers\n\
               4300            worker          0               0d00h00m01s     2.6.12-1+deb12u4\n";
    assert_eq!(parse_show_proc(lab).unwrap().counters(), (3, 1));
    // The guide's example, with programs.
    let guide = "#<PID>          <type>          <reloads>       <uptime>        <version>\n\
                 1162            master          5 [failed: 0]   0d00h02m07s     2.5-dev13\n\
                 # workers\n\
                 1271            worker          1               0d00h00m00s     2.5-dev13\n\
                 # old workers\n\
                 1233            worker          3               0d00h00m43s     2.0-dev3-6019f6-289\n\
                 # programs\n\
                 1244            foo             0               0d00h00m00s     -\n\
                 1255            bar             0               0d00h00m00s     -\n";
    let g = parse_show_proc(guide).unwrap();
    assert_eq!(
        (g.counters(), g.workers.len(), g.old_workers.len()),
        ((5, 0), 1, 1)
    );

    for (bad, says) in [
        ("", "no master line"),
        ("# workers\n", "no master line"),
        ("Unknown command.\n", "is not a process line"),
        ("1 master x [failed: 0] 0d 2.6\n", "reloads \"x\""),
        ("1 master 1 [failed: 0 0d 2.6\n", "no `]`"),
        (
            "1 master 1 [failed: 0] 0d 2.6\n# workers\n2 worker\n",
            "not a process line",
        ),
    ] {
        let e = parse_show_proc(bad).unwrap_err();
        assert!(e.contains(says), "{bad:?}: {e}");
    }
}

#[test]
fn the_master_cli_is_framed_by_its_prompt() {
    use crate::transport::line::LineProtocol;
    let cli = MasterCli;
    assert_eq!(cli.login(b"", "", "").unwrap(), ["prompt"]);
    assert_eq!(
        fixtures::MASTER_INTERACTIVE.len(),
        306,
        "the fixture is the capture"
    );
    let (replies, used) = frame(&cli, fixtures::MASTER_INTERACTIVE.as_bytes());
    assert_eq!(used, fixtures::MASTER_INTERACTIVE.len());
    assert_eq!(replies.len(), 3);
    assert_eq!(replies[0], "master> ");
    assert_eq!(cli.login_reply(replies[0].as_bytes()), Ok(()));
    assert!(
        cli.login_reply(b"\n> ").is_err(),
        "a worker's socket is not the master's"
    );
    assert_eq!(parse_show_proc(&replies[1]).unwrap().counters(), (7, 0));
    assert_eq!(replies[2], "2.6.12-1+deb12u4\n\nmaster> ");
    assert_eq!(
        cli.reply_len(b"#<PID> <type>\n12361 master 7 [failed: 0]"),
        None
    );
    let failed = format!("\n{}", fixtures::MASTER_PROMPT_RELOAD_FAILED);
    assert_eq!(cli.reply_len(failed.as_bytes()), Some(failed.len()));
    assert!(MasterCli::reload_failed(failed.as_bytes()));
    assert!(!MasterCli::reload_failed(replies[2].as_bytes()));
    assert_eq!(cli.reply_len(b"master(e)> "), Some(11));
}

/// Every parser on every cut and corruption of every capture: an answer or an error, never a
/// panic.
#[test]
fn malformed_input_is_an_error_never_a_panic() {
    use crate::transport::line::LineProtocol;
    let config = {
        let mut c = BASE.to_string();
        for vs in captured_site() {
            c = splice(&c, &vs.name, Some(&section(&vs).unwrap())).unwrap();
        }
        c
    };
    let texts = [
        fixtures::SERVERS_STATE,
        fixtures::INTERACTIVE_SESSION,
        fixtures::SHOW_PROC_OLD_WORKER,
        fixtures::MASTER_INTERACTIVE,
        config.as_str(),
    ];
    for text in texts {
        for cut in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            for variant in [
                text[..cut].to_string(),
                format!(
                    "{}\u{0}\r\n>  # END uccluster lb_virtual_server {}",
                    &text[..cut],
                    &text[cut..]
                ),
                text[cut..].to_string(),
            ] {
                let _ = parse_servers_state(&variant);
                let _ = parse_show_proc(&variant);
                let _ = runtime_error(&variant);
                let _ = RuntimeApi.reply_len(variant.as_bytes());
                let _ = MasterCli.reply_len(variant.as_bytes());
                let _ = RuntimeApi.login_reply(variant.as_bytes());
                if let Ok(found) = sections(&variant) {
                    for s in found {
                        let _ = s.edited_by_hand();
                    }
                }
                let _ = splice(&variant, "pop3", None);
            }
        }
    }
}
