//! `keepalived -t -f <file>` 2.2.7 (Debian, `/usr/sbin/keepalived`): its stderr as it came, for
//! the file quoted above it (drafts of the SIP section and small cases). Exit status 5 for each;
//! a file that passes prints nothing and exits 0.

/// `lvs_sched` misspelt `lvs_schedd` on line 5.
pub const UNKNOWN_KEYWORD_CONF: &str = r#"# BEGIN uccluster lb_virtual_server sip
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 64.173.55.164 5060 {
    delay_loop 10
    lvs_schedd wrr
    lvs_method DR
    protocol UDP
    ops
    real_server 64.173.55.180 5060 {
        weight 1
        PING_CHECK {
        }
    }
    real_server 64.173.55.181 5060 {
        weight 0 # uccluster: disabled, weight 3
        PING_CHECK {
        }
    }
}
# END uccluster lb_virtual_server sip
"#;
pub const UNKNOWN_KEYWORD: &str = r#"(badkw.conf: Line 5) Unknown keyword 'lvs_schedd'
Virtual server [64.173.55.164]:udp:5060: no scheduler set, setting default 'wlc'
"#;

/// `lvs_sched wrrr` on line 5.
pub const BAD_SCHEDULER_CONF: &str = r#"# BEGIN uccluster lb_virtual_server sip
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 64.173.55.164 5060 {
    delay_loop 10
    lvs_sched wrrr
    lvs_method DR
    protocol UDP
    ops
    real_server 64.173.55.180 5060 {
        weight 1
        PING_CHECK {
        }
    }
    real_server 64.173.55.181 5060 {
        weight 0 # uccluster: disabled, weight 3
        PING_CHECK {
        }
    }
}
# END uccluster lb_virtual_server sip
"#;
pub const BAD_SCHEDULER: &str = r#"(badsched.conf: Line 5) Invalid lvs_scheduler 'wrrr' - ignoring
Virtual server [64.173.55.164]:udp:5060: no scheduler set, setting default 'wlc'
"#;

/// The first `PING_CHECK {` without its `}` (and no `ops`).
pub const MISSING_BRACE_CONF: &str = r#"# BEGIN uccluster lb_virtual_server sip
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 64.173.55.164 5060 {
    delay_loop 10
    lvs_sched wrr
    lvs_method DR
    protocol UDP
    real_server 64.173.55.180 5060 {
        weight 1
        PING_CHECK {
    }
    real_server 64.173.55.181 5060 {
        weight 0 # uccluster: disabled, weight 3
        PING_CHECK {
        }
    }
}
# END uccluster lb_virtual_server sip
"#;
pub const MISSING_BRACE: &str = r#"There are 1 missing '}'s or extra '{'s
(nobrace.conf: Line 12) Unknown keyword 'real_server'
(nobrace.conf: Line 12) Unexpected '{' - ignoring
There are 1 missing '}'s or extra '{'s
Warning - quorum 1 for [64.173.55.164]:udp:5060 exceeds total weight of real servers 0, reducing quorum to 0
Virtual server [64.173.55.164]:udp:5060: hysteresis 0 >= quorum 0; setting hysteresis to 4294967295
There are 1 missing '}'s or extra '{'s
There are 1 missing '}'s or extra '{'s
"#;

/// One real server, `weight 0`.
pub const ZERO_TOTAL_WEIGHT_CONF: &str = r#"virtual_server 10.0.0.1 25 {
    lvs_sched wlc
    lvs_method NAT
    protocol TCP
    real_server 10.0.1.1 25 {
        weight 0 # disabled
    }
}
"#;
pub const ZERO_TOTAL_WEIGHT: &str = r#"Warning - quorum 1 for [10.0.0.1]:tcp:25 exceeds total weight of real servers 0, reducing quorum to 0
Virtual server [10.0.0.1]:tcp:25: hysteresis 0 >= quorum 0; setting hysteresis to 4294967295
"#;

/// A `virtual_server` block without `real_server`.
pub const NO_REAL_SERVER_CONF: &str = r#"virtual_server 10.0.0.1 25 {
    lvs_sched wlc
    lvs_method NAT
    protocol TCP
}
"#;
pub const NO_REAL_SERVER: &str = r#"Virtual server [10.0.0.1]:tcp:25 has no real servers - ignoring
"#;

/// `lvs_method DR`, VIP port 25, the same real server on 2525 twice.
pub const DR_PORT_AND_DUPLICATE_CONF: &str = r#"virtual_server 10.0.0.1 25 {
    lvs_sched wlc
    lvs_method DR
    protocol TCP
    real_server 10.0.1.1 2525 {
        weight 1
    }
    real_server 10.0.1.1 2525 {
        weight 1
    }
}
"#;
pub const DR_PORT_AND_DUPLICATE: &str = r#"VS [10.0.0.1]:tcp:25: real server [10.0.1.1]:tcp:2525 is duplicated - removing second rs
WARNING - virtual server [10.0.0.1]:tcp:25 and real server [10.0.1.1]:tcp:2525 ports don't match - resetting
"#;

/// An IPv6 VIP, an IPv4 real server.
pub const ADDRESS_FAMILY_CONF: &str = r#"virtual_server 2001:db8::1 25 {
    lvs_sched wlc
    lvs_method NAT
    protocol TCP
    real_server 10.0.1.1 25 {
        weight 1
    }
}
"#;
pub const ADDRESS_FAMILY: &str = r#"(v6mix.conf: Line 7) Address family of virtual server and real server 10.0.1.1 don't match - skipping real server.
Virtual server [2001:db8::1]:tcp:25 has no real servers - ignoring
"#;

/// `ops` in a `protocol TCP` block.
pub const OPS_ON_TCP_CONF: &str = r#"# BEGIN uccluster lb_virtual_server sip
# managed by uccluster (lb_virtual_server): do not edit, the next apply overwrites this section
virtual_server 64.173.55.164 5060 {
    delay_loop 10
    lvs_sched wrr
    lvs_method DR
    protocol TCP
    ops
    real_server 64.173.55.180 5060 {
        weight 1
        PING_CHECK {
        }
    }
    real_server 64.173.55.181 5060 {
        weight 0 # uccluster: disabled, weight 3
        PING_CHECK {
        }
    }
}
# END uccluster lb_virtual_server sip
"#;
pub const OPS_ON_TCP: &str = r#"Virtual server [64.173.55.164]:tcp:5060: one packet scheduling requires UDP - resetting
"#;
