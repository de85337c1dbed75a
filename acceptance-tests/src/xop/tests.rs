//! The appliance scripts without MariaDB: the `iptables` and `sysconf` stand-ins.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::scripts;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(script: &Path, args: &[&str]) -> Run {
    // ETXTBSY: see process::output_retrying_busy (the script was written just before).
    let mut attempts = 0;
    let out = loop {
        match Command::new(script).args(args).output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn iptables() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("iptables.rules");
    let bin = dir.path().join("iptables");
    super::process::write_executable(&bin, &scripts::iptables_script("xop1", &rules)).unwrap();
    (dir, bin, rules)
}

fn rules(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

const R2: &str = "-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT";
const R3: &str = "-A INPUT -s 10.0.0.3/32 -p tcp -m tcp --dport 3306 -j ACCEPT";

#[test]
fn iptables_insert_list_check_delete() {
    let (_d, ipt, file) = iptables();
    let add = |ip: &str| {
        run(
            &ipt,
            &[
                "-I", "INPUT", "-p", "tcp", "-s", ip, "--dport", "3306", "-j", "ACCEPT",
            ],
        )
    };
    let r = add("10.0.0.2");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    assert_eq!(rules(&file), [R2]);
    // -I inserts at the top; options in another order give the same rule
    let r = run(
        &ipt,
        &[
            "-I", "INPUT", "-s", "10.0.0.3", "-j", "ACCEPT", "-p", "tcp", "--dport", "3306",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(rules(&file), [R3, R2]);
    let r = run(&ipt, &["-S", "INPUT"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, format!("-P INPUT ACCEPT\n{R3}\n{R2}\n"));
    // -C: present / absent
    let check = |ip: &str| {
        run(
            &ipt,
            &[
                "-C", "INPUT", "-p", "tcp", "-s", ip, "--dport", "3306", "-j", "ACCEPT",
            ],
        )
    };
    assert_eq!(check("10.0.0.2").code, 0);
    let r = check("10.0.0.9");
    assert_eq!(r.code, 1);
    assert!(r
        .stderr
        .contains("Bad rule (does a matching rule exist in that chain?)"));
    // -D by spec
    let r = run(
        &ipt,
        &[
            "-D", "INPUT", "-p", "tcp", "-s", "10.0.0.2", "--dport", "3306", "-j", "ACCEPT",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(rules(&file), [R3]);
    let r = run(
        &ipt,
        &[
            "-D", "INPUT", "-p", "tcp", "-s", "10.0.0.2", "--dport", "3306", "-j", "ACCEPT",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Bad rule"));
    // -A appends, -I n inserts at n, -D n deletes rule n
    assert_eq!(add("10.0.0.4").code, 0);
    let r = run(
        &ipt,
        &[
            "-A",
            "INPUT",
            "-p",
            "tcp",
            "-s",
            "10.0.0.5/24",
            "--dport",
            "3306",
            "-j",
            "DROP",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(
        &ipt,
        &[
            "-I", "INPUT", "2", "-p", "udp", "--dport", "5060", "-j", "ACCEPT",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        rules(&file),
        [
            "-A INPUT -s 10.0.0.4/32 -p tcp -m tcp --dport 3306 -j ACCEPT",
            "-A INPUT -p udp -m udp --dport 5060 -j ACCEPT",
            R3,
            "-A INPUT -s 10.0.0.0/24 -p tcp -m tcp --dport 3306 -j DROP",
        ]
    );
    assert_eq!(run(&ipt, &["-D", "INPUT", "2"]).code, 0);
    assert_eq!(rules(&file).len(), 3);
    let r = run(&ipt, &["-D", "INPUT", "9"]);
    assert_eq!(
        (r.code, r.stderr.trim()),
        (1, "iptables: Index of deletion too big.")
    );
    // the seed's state-match form
    let r = run(
        &ipt,
        &[
            "-A",
            "RH-Firewall-1-INPUT",
            "-p",
            "tcp",
            "-m",
            "state",
            "--state",
            "NEW",
            "-m",
            "tcp",
            "--dport",
            "3306",
            "-j",
            "ACCEPT",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        run(&ipt, &["-S", "RH-Firewall-1-INPUT"]).stdout,
        "-N RH-Firewall-1-INPUT\n-A RH-Firewall-1-INPUT -p tcp -m state --state NEW -m tcp --dport 3306 -j ACCEPT\n"
    );
    // -w is accepted and ignored
    assert_eq!(run(&ipt, &["-w", "-S", "INPUT"]).code, 0);
}

#[test]
fn iptables_rejects_malformed_arguments() {
    let (_d, ipt, file) = iptables();
    let cases: &[(&[&str], i32, &str)] = &[
        (&[], 2, "iptables v1.4.7: no command specified"),
        (
            &["-X", "INPUT"],
            2,
            "iptables v1.4.7: unknown option \"-X\"",
        ),
        (&["-I"], 2, "option \"-I\" requires an argument"),
        (
            &[
                "-I",
                "INPUT",
                "-p",
                "tcp",
                "-s",
                "10.0.0.300",
                "--dport",
                "3306",
                "-j",
                "ACCEPT",
            ],
            2,
            "iptables v1.4.7: host/network `10.0.0.300' not found",
        ),
        (
            &[
                "-I", "INPUT", "-s", "10.0.0.2", "--dport", "3306", "-j", "ACCEPT",
            ],
            2,
            "iptables v1.4.7: unknown option \"--dport\"",
        ),
        (
            &[
                "-I", "INPUT", "-p", "tcp", "--dport", "99999", "-j", "ACCEPT",
            ],
            2,
            "invalid port/service `99999' specified",
        ),
        (
            &["-I", "INPUT", "-p", "sctpx"],
            2,
            "unknown protocol `sctpx' specified",
        ),
        (
            &["-I", "INPUT", "-p", "tcp", "--bogus", "1"],
            2,
            "unknown option \"--bogus\"",
        ),
        (
            &["-I", "INPUT", "-p", "tcp", "-s"],
            2,
            "option \"-s\" requires an argument",
        ),
        (
            &["-I", "NOPE", "-p", "tcp", "-j", "ACCEPT"],
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            &["-I", "INPUT", "-j", "MAYBE"],
            1,
            "iptables: No chain/target/match by that name.",
        ),
        (
            &["-I", "INPUT", "5", "-j", "ACCEPT"],
            1,
            "iptables: Index of insertion too big.",
        ),
    ];
    for (args, code, msg) in cases {
        let r = run(&ipt, args);
        assert_eq!(r.code, *code, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(msg), "{args:?}: {:?}", r.stderr);
    }
    assert!(rules(&file).is_empty());
}

#[test]
fn sysconf_validates_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sysconf.log");
    let hosts = dir.path().join("hosts");
    let bin = dir.path().join("sysconf");
    super::process::write_executable(&bin, &scripts::sysconf_script("xop1", &log, &hosts)).unwrap();
    let ok: &[&[&str]] = &[
        &["member", "10.0.0.3", "10.0.0.2"],
        &["addhost", "10.0.0.3", "xop2"],
        &["addhost", "10.0.0.4", "xop3.example.com"],
        &["addhost", "10.0.0.3", "xop2b"],
        &["delhost", "10.0.0.4"],
        &["net", "xop1", "10.0.0.1", "255.255.255.0", "10.0.0.254"],
        &["net2", "10.1.0.1", "255.255.255.0", "10.1.0.254"],
        &["dns", "10.0.0.53"],
        &["dns", "10.0.0.53", "10.0.0.54"],
        &["delhost", "10.0.0.8", "10.0.0.9"],
    ];
    for args in ok {
        let r = run(&bin, args);
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{args:?}");
    }
    let bad: &[(&[&str], &str)] = &[
        (&["frobnicate"], "sysconf: unknown command: frobnicate"),
        (&[], "sysconf: usage: sysconf <command>"),
        (
            &["member", "10.0.0.3"],
            "sysconf: usage: sysconf member <new_ip> <old_ip>",
        ),
        (
            &["member", "10.0.0.3", "10.0.0.2", "x"],
            "sysconf: usage: sysconf member",
        ),
        (
            &["member", "10.0.0.256", "10.0.0.2"],
            "sysconf: invalid IP address: 10.0.0.256",
        ),
        (
            &["member", "xop2", "10.0.0.2"],
            "sysconf: invalid IP address: xop2",
        ),
        (
            &["addhost", "10.0.0.3"],
            "sysconf: usage: sysconf addhost <ip> <name>",
        ),
        (
            &["addhost", "10.0.0.3", "bad name!"],
            "sysconf: invalid host name: bad name!",
        ),
        (&["delhost"], "sysconf: usage: sysconf delhost <ip>"),
        (&["delhost", "1.2.3"], "sysconf: invalid IP address: 1.2.3"),
    ];
    for (args, msg) in bad {
        let r = run(&bin, args);
        assert_eq!(r.code, 2, "{args:?}");
        assert!(r.stderr.starts_with(msg), "{args:?}: {:?}", r.stderr);
    }
    let calls: Vec<String> = ok.iter().map(|a| a.join(" ")).collect();
    assert_eq!(rules(&log), calls);
    assert_eq!(rules(&hosts), ["10.0.0.3 xop2b"]);
}

#[test]
fn a_missing_program_names_make_tools() {
    let e = super::process::require_program("no-such-program-xyz", "some-package").unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("`no-such-program-xyz` not found"), "{msg}");
    assert!(msg.contains("make tools"), "{msg}");
}
