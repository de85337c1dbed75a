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
    host.stop().await;
}
