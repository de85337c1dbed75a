//! The stand-in answers as ipvsadm 1.31 does (see [`super::standin`] for the sources): the
//! save format, the kernel's refusals with exit 255, option errors with exit 2; and it is
//! reached over the director's real sshd.

use super::standin::ipvsadm_script;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A stand-in in a scratch directory, run with `sh` directly.
struct Table {
    _dir: tempfile::TempDir,
    script: PathBuf,
}

impl Table {
    fn new() -> Table {
        let dir = tempfile::Builder::new()
            .prefix("ucl-ipvs-")
            .tempdir()
            .unwrap();
        let script = dir.path().join("ipvsadm");
        std::fs::write(&script, ipvsadm_script(&dir.path().join("rules"))).unwrap();
        Table { _dir: dir, script }
    }

    /// (exit code, stdout, stderr)
    fn run(&self, args: &str) -> (i32, String, String) {
        run(&self.script, args)
    }

    fn ok(&self, args: &str) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "ipvsadm {args}: {err}");
        out
    }
}

fn run(script: &Path, args: &str) -> (i32, String, String) {
    let out = Command::new("sh")
        .arg(script)
        .args(args.split_whitespace())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_sip_udp_service_with_one_packet_scheduling_and_direct_routing_saves_as_ipvsadm_does() {
    let t = Table::new();
    t.ok("-A -u 10.0.0.100:5060 -s rr -o");
    t.ok("-a -u 10.0.0.100:5060 -r 10.0.0.11 -g -w 1");
    // Direct routing cannot translate: the real server's port is the service's.
    t.ok("-a -u 10.0.0.100:5060 -r 10.0.0.12:5070 -g -w 2");
    t.ok("-A -t 10.0.0.100:8100 -p");
    t.ok("-a -t 10.0.0.100:8100 -r 10.0.0.11:8080 -m");
    assert_eq!(
        t.ok("-S -n"),
        "-A -u 10.0.0.100:5060 -s rr ops\n\
         -a -u 10.0.0.100:5060 -r 10.0.0.11:5060 -g -w 1\n\
         -a -u 10.0.0.100:5060 -r 10.0.0.12:5060 -g -w 2\n\
         -A -t 10.0.0.100:8100 -s wlc -p 360\n\
         -a -t 10.0.0.100:8100 -r 10.0.0.11:8080 -m -w 1\n"
    );
    t.ok("-e -u 10.0.0.100:5060 -r 10.0.0.12 -g -w 5");
    t.ok("-d -u 10.0.0.100:5060 -r 10.0.0.11");
    t.ok("-E -u 10.0.0.100:5060 -s wrr -o");
    t.ok("-D -t 10.0.0.100:8100");
    assert_eq!(
        t.ok("-S -n"),
        "-A -u 10.0.0.100:5060 -s wrr ops\n-a -u 10.0.0.100:5060 -r 10.0.0.12:5060 -g -w 5\n"
    );
    t.ok("-C");
    assert_eq!(t.ok("-S -n"), "");
}

#[test]
fn refusals_carry_ipvsadms_words_and_exit_codes() {
    let t = Table::new();
    t.ok("-A -u 10.0.0.100:5060 -s rr");
    for (args, code, text) in [
        ("-A -u 10.0.0.100:5060 -s rr", 255, "Service already exists"),
        ("-E -u 10.0.0.9:5060 -s rr", 255, "No such service"),
        ("-D -u 10.0.0.9:5060", 255, "No such service"),
        (
            "-a -u 10.0.0.9:5060 -r 10.0.0.11",
            255,
            "Service not defined",
        ),
        (
            "-e -u 10.0.0.100:5060 -r 10.0.0.11",
            255,
            "No such destination",
        ),
        (
            "-A -u 10.0.0.101:5060 -s nosuch",
            255,
            "Scheduler not found",
        ),
        (
            "-A -t 10.0.0.100:25 -o",
            2,
            "One-Packet Scheduling is only for UDP virtual services",
        ),
        (
            "-A -t 10.0.0.100 -s rr",
            2,
            "Zero port specified for non-persistent service",
        ),
        (
            "-A -s rr",
            2,
            "You need to supply the 'service-address' option for the 'add-service' command",
        ),
        ("-A -u 10.0.0.100:5060 -x", 2, "invalid option `-x'"),
        (
            "-a -u 10.0.0.100:5060 -r 10.0.0.11 -w many",
            2,
            "illegal weight specified",
        ),
    ] {
        let (got, _, err) = t.run(args);
        assert_eq!((got, err.trim()), (code, text), "ipvsadm {args}");
    }
    t.ok("-a -u 10.0.0.100:5060 -r 10.0.0.11");
    let (code, _, err) = t.run("-a -u 10.0.0.100:5060 -r 10.0.0.11");
    assert_eq!((code, err.trim()), (255, "Destination already exists"));
}

#[tokio::test]
async fn the_director_is_reached_over_its_real_sshd() {
    let dir = tempfile::Builder::new()
        .prefix("ucl-ipvs-host-")
        .tempdir()
        .unwrap();
    let host = super::IpvsHost::start("ipvs1", dir.path()).await.unwrap();
    let command = format!(
        "{} -A -u 10.0.0.100:5060 -s rr -o && {} -S -n",
        host.ipvsadm_command().display(),
        host.ipvsadm_command().display()
    );
    let out = host.sshd().ssh_command(&command).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "-A -u 10.0.0.100:5060 -s rr ops\n"
    );
    assert_eq!(host.rules(), "-A -u 10.0.0.100:5060 -s rr ops\n");
    // The keepalived reload stand-in runs over SSH too (a bare PATH: absolute paths only).
    let base = std::fs::read_to_string(host.keepalived_config_path()).unwrap();
    std::fs::write(
        host.keepalived_config_path(),
        format!("{base}virtual_server 10.0.0.100 8100 {{\n    lb_algo rr\n}}\n"),
    )
    .unwrap();
    let command = format!(
        "{} && {} -S -n",
        host.keepalived_reload_command().display(),
        host.ipvsadm_command().display()
    );
    let out = host.sshd().ssh_command(&command).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "-A -u 10.0.0.100:5060 -s rr ops\n-A -t 10.0.0.100:8100 -s rr\n"
    );
    assert_eq!(host.keepalived_reloads(), 1);
    host.stop().await;
}

/// A director with its stand-ins installed (the real sshd runs but these tests drive the
/// scripts directly, as the provider's commands would over SSH).
struct Director {
    _dir: tempfile::TempDir,
    host: super::IpvsHost,
}

impl Director {
    async fn start() -> Director {
        let dir = tempfile::Builder::new()
            .prefix("ucl-ipvs-ka-")
            .tempdir()
            .unwrap();
        let host = super::IpvsHost::start("ipvs1", dir.path()).await.unwrap();
        Director { _dir: dir, host }
    }

    /// The lab's base configuration followed by `blocks`.
    fn configure(&self, blocks: &str) {
        let path = self.host.keepalived_config_path();
        let base = super::keepalived::base_config(self.host.name());
        std::fs::write(path, format!("{base}{blocks}")).unwrap();
    }

    /// (exit code, stderr) of the reload command.
    fn reload(&self) -> (i32, String) {
        // The script was just written: a fork elsewhere in this test process may still hold it
        // open for writing for a moment (ETXTBSY), so a busy file is tried again.
        let mut attempts = 0;
        let out = loop {
            match Command::new(self.host.keepalived_reload_command()).output() {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.unwrap(),
            }
        };
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn reload_ok(&self) {
        let (code, err) = self.reload();
        assert_eq!(code, 0, "keepalived-reload: {err}");
    }

    fn ipvsadm(&self, args: &str) -> String {
        let (code, out, err) = run(&self.host.ipvsadm_command(), args);
        assert_eq!(code, 0, "ipvsadm {args}: {err}");
        out
    }
}

/// The seed's SIP farm (UDP, direct routing, one-packet scheduling) and a TCP NAT service with
/// persistence, with the comments, nesting and keywords keepalived.conf(5) allows.
const SIP_AND_HTTP: &str = "\
! the SIP farm
virtual_server 10.0.0.100 5060 {
    delay_loop 6          # checker polling, no part of the table
    lb_algo rr
    lb_kind DR
    protocol UDP
    ops
    real_server 10.0.0.11 5060 {
        weight 1
        PING_CHECK {
            retry 2
        }
    }
    real_server 10.0.0.12 5060 {
        weight 2
        MISC_CHECK {
            misc_path \"/usr/bin/test -e /nonexistent # not a comment\"
        }
    }
}
virtual_server 10.0.0.100 8100
{
    lvs_sched wlc
    lvs_method NAT
    protocol TCP
    persistence_timeout 300
    quorum 1
    real_server 10.0.0.11 8080 {
        weight 3
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 3
        }
    }
    real_server 10.0.0.13 8080 {
    }
}
";

const SIP_AND_HTTP_RULES: &str = "\
-A -u 10.0.0.100:5060 -s rr ops
-a -u 10.0.0.100:5060 -r 10.0.0.11:5060 -g -w 1
-a -u 10.0.0.100:5060 -r 10.0.0.12:5060 -g -w 2
-A -t 10.0.0.100:8100 -s wlc -p 300
-a -t 10.0.0.100:8100 -r 10.0.0.11:8080 -m -w 3
-a -t 10.0.0.100:8100 -r 10.0.0.13:8080 -m -w 1
";

#[tokio::test]
async fn a_reload_programs_the_configured_services_in_ipvsadms_save_format() {
    let d = Director::start().await;
    assert_eq!(d.host.keepalived_reloads(), 0);
    d.configure(SIP_AND_HTTP);
    d.reload_ok();
    assert_eq!(d.ipvsadm("-S -n"), SIP_AND_HTTP_RULES);
    assert_eq!(d.host.keepalived_reloads(), 1);
    // The same configuration again changes nothing.
    d.reload_ok();
    assert_eq!(d.ipvsadm("-S -n"), SIP_AND_HTTP_RULES);
    assert_eq!(d.host.keepalived_reloads(), 2);
    d.host.stop().await;
}

#[tokio::test]
async fn a_block_removed_deletes_only_its_service_and_hand_added_ones_stay() {
    let d = Director::start().await;
    d.ipvsadm("-A -t 10.0.0.200:443 -s rr");
    d.ipvsadm("-a -t 10.0.0.200:443 -r 10.0.0.21:443 -m -w 1");
    d.configure(SIP_AND_HTTP);
    d.reload_ok();
    let hand = "-A -t 10.0.0.200:443 -s rr\n-a -t 10.0.0.200:443 -r 10.0.0.21:443 -m -w 1\n";
    assert_eq!(d.ipvsadm("-S -n"), format!("{hand}{SIP_AND_HTTP_RULES}"));
    // Only the SIP block is left in the configuration.
    let sip = &SIP_AND_HTTP[..SIP_AND_HTTP.find("virtual_server 10.0.0.100 8100").unwrap()];
    d.configure(sip);
    d.reload_ok();
    assert_eq!(
        d.ipvsadm("-S -n"),
        format!(
            "{hand}{}",
            &SIP_AND_HTTP_RULES[..SIP_AND_HTTP_RULES.find("-A -t").unwrap()]
        )
    );
    // No virtual_server at all: keepalived's services go, the hand-added one stays.
    d.configure("");
    d.reload_ok();
    assert_eq!(d.ipvsadm("-S -n"), hand);
    d.host.stop().await;
}

#[tokio::test]
async fn a_failing_checker_takes_its_real_server_out_and_back_without_a_reload() {
    let d = Director::start().await;
    d.configure(SIP_AND_HTTP);
    d.reload_ok();
    d.host.set_real_down("10.0.0.12:5060", true).unwrap();
    // inhibit_on_failure: weight 0 instead of removal. 10.0.0.13 has no checker: never down.
    d.host.set_real_down("10.0.0.11:8080", true).unwrap();
    d.host.set_real_down("10.0.0.13:8080", true).unwrap();
    assert_eq!(
        d.ipvsadm("-S -n"),
        SIP_AND_HTTP_RULES
            .replace("-a -u 10.0.0.100:5060 -r 10.0.0.12:5060 -g -w 2\n", "")
            .replace("10.0.0.11:8080 -m -w 3", "10.0.0.11:8080 -m -w 0")
    );
    assert_eq!(d.host.keepalived_reloads(), 1, "a checker does not reload");
    // A reload keeps the checkers' verdicts.
    d.reload_ok();
    assert!(!d.ipvsadm("-S -n").contains("10.0.0.12:5060"));
    for real in ["10.0.0.12:5060", "10.0.0.11:8080", "10.0.0.13:8080"] {
        d.host.set_real_down(real, false).unwrap();
    }
    assert_eq!(d.ipvsadm("-S -n"), SIP_AND_HTTP_RULES);
    d.host.stop().await;
}

#[tokio::test]
async fn a_broken_configuration_fails_the_reload_and_leaves_the_table() {
    let d = Director::start().await;
    d.configure(SIP_AND_HTTP);
    d.reload_ok();
    // The SIP block loses its last '}'.
    d.configure(&SIP_AND_HTTP.replacen("    }\n}\nvirtual_server", "    }\nvirtual_server", 1));
    let (code, err) = d.reload();
    assert_eq!(code, 1);
    assert!(
        err.contains("There are 1 missing '}'s or extra '{'s")
            && err.contains("the running configuration is kept"),
        "{err}"
    );
    assert_eq!(d.ipvsadm("-S -n"), SIP_AND_HTTP_RULES);
    assert_eq!(
        d.host.keepalived_reloads(),
        2,
        "the refused reload is counted"
    );
    d.configure("}\n");
    assert_eq!(d.reload().0, 1);
    // The checker still works from the running (last good) configuration.
    d.host.set_real_down("10.0.0.11:5060", true).unwrap();
    assert!(!d.ipvsadm("-S -n").contains("10.0.0.11:5060"));
    d.host.stop().await;
}

#[tokio::test]
async fn the_real_keepalived_accepts_the_lab_configuration_with_a_virtual_server() {
    let d = Director::start().await;
    // PING_CHECK and TCP_CHECK only: MISC_CHECK needs script_security, which keepalived -t
    // reports as an error here (it runs as root).
    let blocks = SIP_AND_HTTP.replace(
        "MISC_CHECK {\n            misc_path \"/usr/bin/test -e /nonexistent # not a comment\"\n",
        "TCP_CHECK {\n            connect_port 5061\n",
    );
    d.configure(&blocks);
    for config in [blocks.as_str(), ""] {
        d.configure(config);
        let out = Command::new(d.host.keepalived_program())
            .arg("-t")
            .arg("-f")
            .arg(d.host.keepalived_config_path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "keepalived -t: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    d.configure(&blocks);
    d.reload_ok();
    assert_eq!(d.ipvsadm("-S -n"), SIP_AND_HTTP_RULES);
    // And both refuse the same unbalanced braces.
    d.configure(&blocks.replacen("    }\n}\nvirtual_server", "    }\nvirtual_server", 1));
    let out = Command::new(d.host.keepalived_program())
        .args(["-t", "-f"])
        .arg(d.host.keepalived_config_path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(d.reload().0, 1);
    d.host.stop().await;
}

#[test]
fn the_down_file_keeps_one_line_per_real_server() {
    use super::keepalived::set_down;
    let f = set_down("", "10.0.0.11:80", true);
    let f = set_down(&f, "10.0.0.12:80", true);
    assert_eq!(
        set_down(&f, "10.0.0.11:80", true),
        "10.0.0.12:80\n10.0.0.11:80\n"
    );
    assert_eq!(set_down(&f, "10.0.0.11:80", false), "10.0.0.12:80\n");
}
