use super::config::MAX_WEIGHT;
use super::fixtures::*;
use super::*;
use crate::devices::lb::ipvs::parse_save;
use crate::devices::lb::rules::tests::sip;
use crate::devices::lb::virtual_server::*;

/// The seed's SIP VIP as `section(&sip(), true)` writes it; `keepalived -t -f` 2.2.7 on this
/// text alone: no output, exit status 0.
const SIP: &str = "# BEGIN uccluster lb_virtual_server sip
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 64.173.55.164 5060 {
    protocol UDP
    lvs_sched wrr
    lvs_method DR
    ops
    delay_loop 5
    real_server 64.173.55.180 5060 {
        weight 1
        PING_CHECK {
        }
    }
    real_server 64.173.55.181 5060 {
        weight 1
        PING_CHECK {
        }
    }
}
# END uccluster lb_virtual_server sip
";

/// [`smtp`] as `section(&smtp(), true)` writes it (`ops` on neither block: TCP only); checked
/// with `keepalived -t -f` 2.2.7: no output, exit status 0.
const SMTP: &str = "# BEGIN uccluster lb_virtual_server smtp
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 10.0.0.1 25 {
    protocol TCP
    lvs_sched wlc
    lvs_method NAT
    persistence_timeout 360
    delay_loop 5
    real_server 10.0.1.1 2525 {
        weight 3
        TCP_CHECK {
        }
        SMTP_CHECK {
        }
    }
    real_server 10.0.1.2 25 {
        weight 0 # uccluster: enabled = false, weight 2
        TCP_CHECK {
        }
        SMTP_CHECK {
        }
    }
}
virtual_server 10.0.0.1 25 {
    protocol UDP
    lvs_sched wlc
    lvs_method NAT
    ops
    persistence_timeout 360
    delay_loop 5
    real_server 10.0.1.1 2525 {
        weight 3
        TCP_CHECK {
        }
        SMTP_CHECK {
        }
    }
    real_server 10.0.1.2 25 {
        weight 0 # uccluster: enabled = false, weight 2
        TCP_CHECK {
        }
        SMTP_CHECK {
        }
    }
}
# END uccluster lb_virtual_server smtp
";

/// `both`, NAT, persistence, least connections, a TCP and an SMTP check, a member on its own
/// port and a disabled one. Members carry the names keepalived reads back (it keeps none).
fn smtp() -> VirtualServer {
    let member = |address: &str, port, weight, enabled| Member {
        name: match port {
            Some(p) => format!("{address}:{p}"),
            None => format!("{address}:25"),
        },
        address: address.parse().unwrap(),
        port,
        weight,
        enabled,
    };
    VirtualServer {
        name: "smtp".into(),
        address: "10.0.0.1".parse().unwrap(),
        port: Some(25),
        protocol: Protocol::Both,
        method: Method::LeastConnections,
        forwarding: Forwarding::Nat,
        persistence: Persistence::SourceAddress,
        monitors: vec![Monitor::Tcp, Monitor::Smtp],
        members: vec![
            member("10.0.1.1", Some(2525), 3, true),
            member("10.0.1.2", None, 2, false),
        ],
        f5: F5Options::default(),
    }
}

/// The SIP VIP with the names keepalived reads back.
fn sip_as_read() -> VirtualServer {
    let mut vs = sip();
    for m in &mut vs.members {
        m.name = format!("{}:5060", m.address);
    }
    vs
}

#[test]
fn the_seeds_sip_vip_renders_the_checked_text() {
    assert_eq!(section(&sip(), true).unwrap(), SIP);
}

#[test]
fn both_nat_persistence_least_connections_and_two_checkers() {
    assert_eq!(section(&smtp(), true).unwrap(), SMTP);
    // Without one-packet scheduling the UDP block has no `ops`.
    let without = section(&smtp(), false).unwrap();
    assert_eq!(without, SMTP.replace("    ops\n", ""));
}

#[test]
fn sections_read_back_the_same_virtual_server() {
    for (vs, text) in [(sip_as_read(), SIP), (smtp(), SMTP)] {
        let config = format!("global_defs {{\n    router_id lb1\n}}\n\n{text}");
        let found = sections(&config).unwrap();
        assert_eq!(found.len(), 1);
        let s = &found[0];
        assert_eq!((s.name.as_str(), s.line), (vs.name.as_str(), 5));
        assert_eq!(s.vs.as_ref(), Some(&vs));
        assert!(s.one_packet);
        assert_eq!(s.foreign, vec![]);
        assert!(!s.edited_by_hand(), "{text}");
        assert_eq!(s.text, text);
    }
}

#[test]
fn the_layouts_keepalived_accepts_read_as_the_same_model() {
    // Tabs, `{` on the next line, blocks on one line, braces stuck to words, trailing `!` and
    // `#` comments, the older `lb_algo`/`lb_kind`: `keepalived -t` 2.2.7 accepts this text
    // (exit status 0), and it is the SIP VIP.
    let text = "# BEGIN uccluster lb_virtual_server sip
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 64.173.55.164 5060
{
\tprotocol UDP   ! SIP over UDP
\tlb_algo wrr
\tlb_kind DR
\tops
\tdelay_loop 5
\treal_server 64.173.55.180 5060 { weight 1
\t\tPING_CHECK { }
\t}
\treal_server 64.173.55.181 5060{
\t\tweight 1 # fe6
\t\tPING_CHECK
\t\t{
\t\t}}
}
# END uccluster lb_virtual_server sip
";
    let s = sections(text).unwrap().remove(0);
    assert_eq!(s.vs, Some(sip_as_read()));
    assert_eq!(s.foreign, vec![]);
    assert!(
        s.edited_by_hand(),
        "another layout is not what uccluster writes"
    );
}

#[test]
fn a_hand_edit_is_foreign_with_its_line_number() {
    let config = format!(
        "# site\n{}",
        SIP.replace("    ops\n", "    ops\n    sorry_server 10.9.9.9 5060\n")
    );
    let s = sections(&config).unwrap().remove(0);
    assert_eq!(
        s.foreign,
        vec![(9, "    sorry_server 10.9.9.9 5060".to_string())]
    );
    assert_eq!(
        s.vs,
        Some(sip_as_read()),
        "the lines it knows are still read"
    );
    assert!(s.edited_by_hand());

    // A scheduler the model has no word for, a comment line, a checker with options.
    let edited = SIP
        .replace("lvs_sched wrr", "lvs_sched sh")
        .replace("    delay_loop 5\n", "    delay_loop 5\n! moved by ops\n")
        .replacen(
            "        PING_CHECK {\n",
            "        PING_CHECK {\n            retry 4\n",
            1,
        );
    let s = sections(&edited).unwrap().remove(0);
    let lines: Vec<usize> = s.foreign.iter().map(|(n, _)| *n).collect();
    assert_eq!(lines, vec![5, 9, 13]);
    assert!(s.edited_by_hand());

    // A brace that does not balance: nothing is read.
    let broken = SIP.replacen("        }\n", "", 1);
    let s = sections(&broken).unwrap().remove(0);
    assert_eq!(s.vs, None);
    assert_eq!(
        s.foreign,
        vec![(3, "virtual_server 64.173.55.164 5060 {".to_string())]
    );
    assert!(s.edited_by_hand());
    // A `}` too many.
    let s = sections(&SIP.replace("# END", "}\n# END"))
        .unwrap()
        .remove(0);
    assert_eq!((s.vs.is_none(), s.foreign[0].0), (true, 20));
}

#[test]
fn an_unknown_keyword_is_foreign_where_keepalived_points() {
    // keepalived -t: "(badkw.conf: Line 5) Unknown keyword 'lvs_schedd'".
    let s = sections(UNKNOWN_KEYWORD_CONF).unwrap().remove(0);
    assert_eq!(s.foreign, vec![(5, "    lvs_schedd wrr".to_string())]);
    let vs = s.vs.unwrap();
    // keepalived's own default without a scheduler: "setting default 'wlc'".
    assert_eq!(vs.method, Method::LeastConnections);
    // The draft's comment is not uccluster's: the weight is the 0 it says.
    assert_eq!((vs.members[1].enabled, vs.members[1].weight), (true, 0));
}

#[test]
fn splice_keeps_every_byte_outside_the_section() {
    let config = "! Configuration File for keepalived\r\nglobal_defs {\r\n\trouter_id lb1\r\n}\r\n";
    let with = splice(config, "sip", Some(SIP)).unwrap();
    assert!(with.starts_with(config));
    assert_eq!(
        &with[config.len()..],
        format!("\r\n{}", SIP.replace('\n', "\r\n"))
    );
    let s = sections(&with).unwrap().remove(0);
    assert!(!s.edited_by_hand(), "a CRLF file's section compares equal");
    let both = splice(&with, "smtp", Some(SMTP)).unwrap();
    let changed = splice(
        &both,
        "sip",
        Some(&SIP.replace("weight 1\n        PING", "weight 2\n        PING")),
    )
    .unwrap();
    assert!(changed.starts_with(config));
    assert_eq!(
        splice(&splice(&changed, "sip", None).unwrap(), "smtp", None).unwrap(),
        config
    );
    assert!(
        splice(config, "sip", Some(SMTP)).is_err(),
        "the text must be the named section"
    );
    assert!(splice(config, "two words", Some(SIP)).is_err());
    let broken = format!("{config}# BEGIN uccluster lb_virtual_server x\n");
    assert!(splice(&broken, "sip", Some(SIP))
        .unwrap_err()
        .starts_with("line 5:"));
}

#[test]
fn what_keepalived_cannot_express_names_its_attribute() {
    let member = |vs: &mut VirtualServer, f: fn(&mut Member)| f(&mut vs.members[1]);
    let cases: Vec<(VirtualServer, bool, &str, Option<usize>)> = vec![
        (
            VirtualServer {
                port: None,
                ..sip()
            },
            true,
            "port",
            None,
        ),
        (
            VirtualServer {
                forwarding: Forwarding::NoTranslation,
                ..sip()
            },
            true,
            "forwarding",
            None,
        ),
        (
            VirtualServer {
                protocol: Protocol::Tcp,
                ..sip()
            },
            true,
            "ipvs.one_packet_scheduling",
            None,
        ),
        (
            VirtualServer {
                monitors: vec![Monitor::Tcp, Monitor::Tcp],
                ..sip()
            },
            true,
            "monitors",
            None,
        ),
        (
            VirtualServer {
                members: vec![],
                ..sip()
            },
            true,
            "member",
            None,
        ),
        (
            VirtualServer {
                name: "two words".into(),
                ..sip()
            },
            true,
            "name",
            None,
        ),
        (
            {
                let mut vs = sip();
                member(&mut vs, |m| m.weight = MAX_WEIGHT + 1);
                vs
            },
            true,
            "member.weight",
            Some(1),
        ),
        (
            {
                let mut vs = sip();
                member(&mut vs, |m| m.address = "2001:db8::5".parse().unwrap());
                vs
            },
            true,
            "member.address",
            Some(1),
        ),
        (
            {
                let mut vs = sip();
                member(&mut vs, |m| m.port = Some(5070));
                vs
            },
            true,
            "member.port",
            Some(1),
        ),
        (
            {
                let mut vs = sip();
                member(&mut vs, |m| m.address = "64.173.55.180".parse().unwrap());
                vs
            },
            true,
            "member.address",
            Some(1),
        ),
        (
            {
                let mut vs = sip();
                vs.members.iter_mut().for_each(|m| m.enabled = false);
                vs
            },
            true,
            "member",
            None,
        ),
    ];
    for (vs, one_packet, attribute, member) in cases {
        let e = section(&vs, one_packet).unwrap_err();
        assert_eq!((e.attribute, e.member), (attribute, member), "{}", e.detail);
        assert!(!e.detail.is_empty());
    }
    // What it can: several checkers, the largest weight, another port behind NAT.
    let mut vs = smtp();
    vs.members[0].weight = MAX_WEIGHT;
    vs.monitors.push(Monitor::Icmp);
    assert!(section(&vs, false).is_ok());
    assert!(section(
        &VirtualServer {
            protocol: Protocol::Tcp,
            ..sip()
        },
        false
    )
    .is_ok());
}

#[test]
fn config_test_errors_are_keepalived_s_lines_once_each() {
    assert_eq!(config_test_errors(""), Vec::<String>::new());
    assert_eq!(
        config_test_errors(UNKNOWN_KEYWORD),
        [
            "(badkw.conf: Line 5) Unknown keyword 'lvs_schedd'",
            "Virtual server [64.173.55.164]:udp:5060: no scheduler set, setting default 'wlc'"
        ]
    );
    assert_eq!(
        config_test_errors(BAD_SCHEDULER)[0],
        "(badsched.conf: Line 5) Invalid lvs_scheduler 'wrrr' - ignoring"
    );
    let brace = config_test_errors(MISSING_BRACE);
    assert_eq!(brace[0], "There are 1 missing '}'s or extra '{'s");
    assert_eq!(brace.len(), 5, "the repeated line once: {brace:?}");
    for output in [
        ZERO_TOTAL_WEIGHT,
        NO_REAL_SERVER,
        DR_PORT_AND_DUPLICATE,
        ADDRESS_FAMILY,
        OPS_ON_TCP,
    ] {
        assert!(!config_test_errors(output).is_empty());
    }
}

#[test]
fn the_captured_refusals_are_the_codec_s_refusals() {
    // Each captured failure is a file the codec refuses to write, read back from its text.
    for conf in [
        ZERO_TOTAL_WEIGHT_CONF,
        NO_REAL_SERVER_CONF,
        DR_PORT_AND_DUPLICATE_CONF,
        ADDRESS_FAMILY_CONF,
        OPS_ON_TCP_CONF,
        BAD_SCHEDULER_CONF,
        MISSING_BRACE_CONF,
    ] {
        let wrapped = match conf.starts_with("# BEGIN") {
            true => conf.to_string(),
            false => format!("# BEGIN uccluster lb_virtual_server x\n{conf}# END uccluster lb_virtual_server x\n"),
        };
        let s = sections(&wrapped).unwrap().remove(0);
        assert!(s.edited_by_hand(), "{conf}");
    }
}

/// The kernel table while keepalived runs SIP: fe5 passes its check, fe6 failed and was
/// removed (the save format the ipvsadm codec reads).
const KERNEL: &str = "-A -u 64.173.55.164:5060 -s wrr ops
-a -u 64.173.55.164:5060 -r 64.173.55.180:5060 -g -w 1
";

#[test]
fn member_reports_come_from_the_kernel_table() {
    let kernel = parse_save(KERNEL).unwrap();
    let reports = member_reports(&sip(), &kernel);
    assert_eq!(
        reports,
        [
            MemberReport {
                health: Health::Up,
                status: "weight 1".into()
            },
            MemberReport {
                health: Health::Down,
                status: "removed by keepalived (check failed)".into()
            },
        ]
    );
    let unchecked = member_reports(
        &VirtualServer {
            monitors: vec![],
            ..sip()
        },
        &kernel,
    );
    assert_eq!(unchecked[0].health, Health::Unchecked);
    assert_eq!(
        (unchecked[1].health, unchecked[1].status.as_str()),
        (Health::Down, "not in the IPVS table")
    );
    // A quiesced member stays in the table with weight 0.
    let quiesced = parse_save(&KERNEL.replace("-w 1", "-w 0")).unwrap();
    assert_eq!(member_reports(&sip(), &quiesced)[0].status, "weight 0");
    // Not loaded at all, and `both` with only its UDP half.
    assert!(member_reports(&sip(), &[])
        .iter()
        .all(|r| r.status == "not in the IPVS table"));
    let both = member_reports(
        &VirtualServer {
            protocol: Protocol::Both,
            ..sip()
        },
        &kernel,
    );
    assert!(both.iter().all(|r| r.health == Health::Down), "{both:?}");
}

#[test]
fn programmed_once_the_table_runs_the_configuration() {
    use crate::devices::lb::ipvs::services;
    let wanted = services(&sip(), true).unwrap();
    let running = parse_save(
        "-A -u 64.173.55.164:5060 -s wrr ops\n-a -u 64.173.55.164:5060 -r 64.173.55.180:5060 -g -w 1\n",
    )
    .unwrap();
    assert!(
        programmed(&wanted, &running, true),
        "a member down is still programmed"
    );
    let old_scheduler = parse_save("-A -u 64.173.55.164:5060 -s wlc ops\n").unwrap();
    assert!(!programmed(&wanted, &old_scheduler, true));
    let stale = parse_save(
        "-A -u 64.173.55.164:5060 -s wrr ops\n-a -u 64.173.55.164:5060 -r 64.173.55.182:5060 -g -w 1\n",
    )
    .unwrap();
    assert!(
        !programmed(&wanted, &stale, true),
        "a member keepalived no longer has"
    );
    assert!(!programmed(&wanted, &[], true));
    assert!(programmed(&wanted, &[], false));
    assert!(!programmed(&wanted, &running, false));
}
