//! The appliance pieces without MariaDB: the `iptables`, `service` and
//! `sysconf` stand-ins, the my.cnf `bind-address` and TLS rewrites; and
//! [`XopServer::enable_tls`](super::XopServer::enable_tls) on a real MariaDB.

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
    crate::process::write_executable(&bin, &scripts::iptables_script("xop1", &rules)).unwrap();
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

/// An `iptables` and a `service` stand-in sharing one rules file, like an appliance's `bin/`.
fn firewall() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let (dir, ipt, rules) = iptables();
    let saved = dir.path().join("etc/sysconfig/iptables");
    let service = dir.path().join("service");
    crate::process::write_executable(&service, &scripts::service_script("xop1", &rules, &saved))
        .unwrap();
    (dir, ipt, service, saved)
}

/// `Mon Jan  1 12:00:00 2024` (ctime form, as iptables-save writes it).
fn is_ctime(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 24
        && ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&&s[..3])
        && b[3] == b' '
        && [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .contains(&&s[4..7])
        && b[7] == b' '
        && (b[8] == b' ' || b[8].is_ascii_digit())
        && b[9].is_ascii_digit()
        && b[10] == b' '
        && s[11..19].bytes().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                c == b':'
            } else {
                c.is_ascii_digit()
            }
        })
        && b[19] == b' '
        && s[20..].bytes().all(|c| c.is_ascii_digit())
}

const SAVED_OK: &str = "iptables: Saving firewall rules to /etc/sysconfig/iptables:[  OK  ]\n";

#[test]
fn service_iptables_save_writes_the_rules_in_iptables_save_form() {
    let (_d, ipt, service, saved) = firewall();
    // nothing saved yet; a save before any rule writes the empty table
    assert!(!saved.exists());
    let r = run(&service, &["iptables", "save"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, SAVED_OK, "")
    );
    let empty = rules(&saved);
    assert_eq!(empty.len(), 8, "{empty:?}");
    assert_eq!(
        empty[1..7],
        [
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":RH-Firewall-1-INPUT - [0:0]",
            "COMMIT"
        ]
    );

    // rules of several chains, added in interleaved order
    let ok = |args: &[&str]| {
        let r = run(&ipt, args);
        assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{args:?}");
    };
    ok(&[
        "-I", "INPUT", "-p", "tcp", "-s", "10.0.0.2", "--dport", "3306", "-j", "ACCEPT",
    ]);
    ok(&["-A", "RH-Firewall-1-INPUT", "-i", "lo", "-j", "ACCEPT"]);
    ok(&[
        "-I", "INPUT", "-p", "tcp", "-s", "10.0.0.3", "--dport", "3306", "-j", "ACCEPT",
    ]);
    ok(&["-A", "FORWARD", "-j", "RH-Firewall-1-INPUT"]);
    ok(&[
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
    ]);
    let r = run(&service, &["iptables", "save"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (0, SAVED_OK, "")
    );
    let lines = rules(&saved);
    let generated = lines[0]
        .strip_prefix("# Generated by iptables-save v1.4.7 on ")
        .unwrap_or_else(|| panic!("{:?}", lines[0]));
    assert!(is_ctime(generated), "{generated:?}");
    let completed = lines
        .last()
        .unwrap()
        .strip_prefix("# Completed on ")
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(is_ctime(completed), "{completed:?}");
    assert_eq!(
        lines[1..lines.len() - 1],
        [
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":OUTPUT ACCEPT [0:0]",
            ":RH-Firewall-1-INPUT - [0:0]",
            R3,
            R2,
            "-A FORWARD -j RH-Firewall-1-INPUT",
            "-A RH-Firewall-1-INPUT -i lo -j ACCEPT",
            "-A RH-Firewall-1-INPUT -p tcp -m state --state NEW -m tcp --dport 3306 -j ACCEPT",
            "COMMIT",
        ]
    );
    // the init script leaves it readable by root only
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&saved).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // a later save replaces the file; the running rules are not touched
    ok(&["-D", "INPUT", "1"]);
    let r = run(&service, &["iptables", "save"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a: Vec<String> = rules(&saved)
        .into_iter()
        .filter(|l| l.starts_with("-A "))
        .collect();
    assert_eq!(
        a,
        [
            R2,
            "-A FORWARD -j RH-Firewall-1-INPUT",
            "-A RH-Firewall-1-INPUT -i lo -j ACCEPT",
            "-A RH-Firewall-1-INPUT -p tcp -m state --state NEW -m tcp --dport 3306 -j ACCEPT",
        ]
    );
    assert_eq!(
        run(&ipt, &["-S", "INPUT"]).stdout,
        format!("-P INPUT ACCEPT\n{R2}\n")
    );
    let leftovers: Vec<_> = std::fs::read_dir(saved.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["iptables"]);
}

#[test]
fn service_rejects_other_services_and_actions() {
    let (_d, ipt, service, saved) = firewall();
    assert_eq!(
        run(&ipt, &["-A", "INPUT", "-j", "ACCEPT"]).code,
        0,
        "a rule that a wrong call must not save"
    );
    let r = run(&service, &["voxd", "stop"]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (1, "", "voxd: unrecognized service\n")
    );
    let r = run(&service, &["ip6tables", "save"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "ip6tables: unrecognized service\n")
    );
    let usage = "Usage: iptables {start|stop|restart|condrestart|status|panic|save}\n";
    for args in [
        &["iptables", "reload"][..],
        &["iptables", "status"],
        &["iptables", "Save"],
        &["iptables"],
        &["iptables", "save", "now"],
    ] {
        let r = run(&service, args);
        assert_eq!(
            (r.code, r.stdout.as_str(), r.stderr.as_str()),
            (2, usage, ""),
            "{args:?}"
        );
    }
    let r = run(&service, &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("Usage: service "), "{:?}", r.stderr);
    assert!(
        !saved.exists(),
        "only `service iptables save` writes the file"
    );
}

#[test]
fn bind_address_is_rewritten_outside_the_managed_section_only() {
    use super::mariadb::set_bind_address;
    let to = std::net::Ipv4Addr::new(127, 0, 0, 2);
    let head = "# XOP appliance my.cnf (uccluster lab)\n[mariadbd]\ndatadir=/x/data\n";
    let tail = "port=3306\n#bind-address=127.0.0.9\nskip-name-resolve\n";
    let managed =
        "# BEGIN uccluster xop_replication_member (managed; edits here are overwritten)\n\
                   [mysqld]\nserver-id=1\nbind-address=0.0.0.0\n\
                   # END uccluster xop_replication_member\n";
    let cnf = format!("{head}bind-address=127.0.0.1\n{tail}\n{managed}after=1\n");
    assert_eq!(
        set_bind_address(&cnf, to).unwrap(),
        format!("{head}bind-address=127.0.0.2\n{tail}\n{managed}after=1\n")
    );
    // spelling, spacing, CRLF and a line after the managed section are kept
    let cnf = format!("{managed}[mysqld]\r\n  bind_address = 127.0.0.1\r\nport=1\r\n");
    assert_eq!(
        set_bind_address(&cnf, to).unwrap(),
        format!("{managed}[mysqld]\r\n  bind_address = 127.0.0.2\r\nport=1\r\n")
    );
    // the last line without a newline
    assert_eq!(
        set_bind_address("[mysqld]\nbind-address=localhost", to).unwrap(),
        "[mysqld]\nbind-address=127.0.0.2"
    );
    // nothing to move: no line, only a commented one, only one inside the managed section,
    // or one after an unterminated section (which counts as managed to its end)
    for cnf in [
        String::from("[mysqld]\nport=1\n"),
        String::from("[mysqld]\n# bind-address=127.0.0.1\nbind-addressx=1\n"),
        format!("[mysqld]\n{managed}"),
        String::from("# BEGIN uccluster x\nbind-address=127.0.0.1\n"),
    ] {
        let e = set_bind_address(&cnf, to).unwrap_err();
        assert!(
            format!("{e}").contains("no bind-address line"),
            "{cnf:?}: {e}"
        );
    }
}

#[test]
fn sysconf_validates_and_records() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sysconf.log");
    let hosts = dir.path().join("hosts");
    let bin = dir.path().join("sysconf");
    crate::process::write_executable(&bin, &scripts::sysconf_script("xop1", &log, &hosts)).unwrap();
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
    let e = crate::process::require_program("no-such-program-xyz", "some-package").unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("`no-such-program-xyz` not found"), "{msg}");
    assert!(msg.contains("make tools"), "{msg}");
}

#[test]
fn tls_options_go_into_the_first_server_group_outside_the_managed_section() {
    use super::mariadb::set_tls_options;
    let (ca, cert, key) = (
        Path::new("/t/tls/ca.pem"),
        Path::new("/t/tls/server-cert.pem"),
        Path::new("/t/tls/server-key.pem"),
    );
    let tls =
        "ssl-ca=/t/tls/ca.pem\nssl-cert=/t/tls/server-cert.pem\nssl-key=/t/tls/server-key.pem\n";
    let managed =
        "# BEGIN uccluster xop_replication_member (managed; edits here are overwritten)\n\
                   [mysqld]\nserver-id=1\nssl-ca=/keep/me.pem\n\
                   # END uccluster xop_replication_member\n";
    // the lab's file: right after [mariadbd]; the managed section and the rest byte for byte
    let head = "# XOP appliance my.cnf (uccluster lab)\n";
    let body = "datadir=/x/data\nport=3306\n";
    let cnf = format!("{head}[mariadbd]\n{body}\n{managed}after=1\n");
    assert_eq!(
        set_tls_options(&cnf, ca, cert, key).unwrap(),
        format!("{head}[mariadbd]\n{tls}{body}\n{managed}after=1\n")
    );
    // again (other files): earlier values go, in either spelling and in any server group
    // outside the managed section; [client] options and comments stay
    let cnf = format!(
        "[client]\nssl-ca=/client.pem\n[mysqld]\nssl_ca = /old/ca.pem\n#ssl-key=/c.pem\nport=1\n{managed}[server]\nssl-key=/old/key.pem\n"
    );
    assert_eq!(
        set_tls_options(&cnf, ca, cert, key).unwrap(),
        format!("[client]\nssl-ca=/client.pem\n[mysqld]\n{tls}#ssl-key=/c.pem\nport=1\n{managed}[server]\n")
    );
    // CRLF files get CRLF lines; a header on the last line without a newline
    assert_eq!(
        set_tls_options("[client]\r\nx=1\r\n[mysqld]", ca, cert, key).unwrap(),
        format!(
            "[client]\r\nx=1\r\n[mysqld]\r\n{}",
            tls.replace('\n', "\r\n")
        )
    );
    // no server group of its own: only [client], only the managed section's, none
    for cnf in [
        String::from("[client]\nport=1\n"),
        format!("[client]\n{managed}"),
        String::from("port=1\n"),
    ] {
        let e = set_tls_options(&cnf, ca, cert, key).unwrap_err();
        assert!(format!("{e}").contains("no [mysqld]"), "{cnf:?}: {e}");
    }
}

fn openssl_out(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enable_tls_requires_tls_of_the_admin_and_keeps_the_managed_section() {
    use super::mariadb::Account;
    use super::{Sshd, XopServer, XopServerSpec, XOP_ADMIN_USER};
    let sshd = Sshd::start_in_temp_dir().await.unwrap();
    let spec = XopServerSpec {
        name: "xop1".into(),
        server_id: 1,
    };
    let mut server = XopServer::start_in_temp_dir(&spec, &sshd).await.unwrap();
    assert_eq!(server.tls_ca_path(), None);
    assert_eq!(server.other_ca_path(), None);
    // a section as the provider writes it: kept byte for byte and still in effect
    let managed =
        "\n# BEGIN uccluster xop_replication_member (managed; edits here are overwritten)\n\
                   [mysqld]\nserver-id=7\n# END uccluster xop_replication_member\n";
    let cnf_path = server.my_cnf_path();
    let lab_cnf = std::fs::read_to_string(&cnf_path).unwrap();
    std::fs::write(&cnf_path, format!("{lab_cnf}{managed}")).unwrap();

    let files = server.enable_tls().await.unwrap();
    let tls_dir = server.dir().join("tls");
    assert_eq!(files.ca, tls_dir.join("ca.pem"));
    assert_eq!(files.other_ca, tls_dir.join("other-ca.pem"));
    assert_eq!(server.tls_ca_path(), Some(files.ca.as_path()));
    assert_eq!(server.other_ca_path(), Some(files.other_ca.as_path()));
    assert_eq!(server.tls(), Some(&files));
    let cnf = std::fs::read_to_string(&cnf_path).unwrap();
    assert!(cnf.ends_with(managed), "{cnf}");
    let (lab_part, _) = cnf.split_at(cnf.len() - managed.len());
    assert!(
        lab_part.starts_with(&format!(
            "# XOP appliance my.cnf (uccluster lab)\n[mariadbd]\nssl-ca={}\nssl-cert={}\nssl-key={}\n",
            files.ca.display(),
            files.cert.display(),
            files.key.display()
        )),
        "{cnf}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // the certificate: signed by the CA (not by the other one), for 127.0.0.1
    let cert = files.cert.to_str().unwrap();
    let (ok, out) = openssl_out(&["verify", "-CAfile", files.ca.to_str().unwrap(), cert]);
    assert!(ok, "{out}");
    let (ok, out) = openssl_out(&["verify", "-CAfile", files.other_ca.to_str().unwrap(), cert]);
    assert!(!ok, "{out}");
    let (ok, out) = openssl_out(&["x509", "-in", cert, "-noout", "-ext", "subjectAltName"]);
    assert!(ok && out.contains("IP Address:127.0.0.1"), "{out}");

    // the lab's own admin session is encrypted; the managed section still applies
    let rows = server
        .sql("SHOW SESSION STATUS LIKE 'Ssl_version'; SELECT @@server_id, @@have_ssl")
        .await
        .unwrap();
    assert!(
        rows[0][1].as_deref().unwrap_or("").starts_with("TLSv1"),
        "{rows:?}"
    );
    assert_eq!(rows[1], [Some("7".into()), Some("YES".into())]);

    // the admin over plain TCP is refused; with the other CA the certificate is
    let account = |tls_ca: Option<PathBuf>| Account {
        host: std::net::Ipv4Addr::LOCALHOST,
        port: server.mysql_port(),
        user: XOP_ADMIN_USER.into(),
        password: server.admin_password().into(),
        tls_ca,
    };
    let e = account(None).query("SELECT 1").await.unwrap_err();
    assert!(format!("{e:#}").contains("Access denied"), "{e:#}");
    let e = account(Some(files.other_ca.clone()))
        .query("SELECT 1")
        .await
        .unwrap_err();
    assert!(format!("{e:#}").contains("UnknownIssuer"), "{e:#}");
    account(Some(files.ca.clone()))
        .query("SELECT 1")
        .await
        .unwrap();

    // the restart command's check goes over TLS too (a plain one would be refused)
    let admin_cnf = std::fs::read_to_string(server.dir().join("etc/admin.cnf")).unwrap();
    assert!(
        admin_cnf.contains(&format!("ssl-ca={}\n", files.ca.display())),
        "{admin_cnf}"
    );
    let pid = server.mysql_pid();
    server.restart_mysql().await.unwrap();
    assert_ne!(server.mysql_pid(), pid);
    // ... and verifies the server: the same check with the other CA fails
    let client = |ca: &Path| {
        Command::new(server.mariadb_client_path())
            .arg(format!(
                "--defaults-file={}",
                server.dir().join("etc/admin.cnf").display()
            ))
            .arg(format!("--ssl-ca={}", ca.display()))
            .args(["-e", "SHOW SESSION STATUS LIKE 'Ssl_version'"])
            .output()
            .unwrap()
    };
    let out = client(&files.ca);
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("TLSv1"),
        "{out:?}"
    );
    let out = client(&files.other_ca);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("TLS/SSL error"),
        "{out:?}"
    );

    // moving keeps TLS working: the new certificate names the new address as well
    let moved = std::net::Ipv4Addr::new(127, 0, 0, 9);
    server.rebind(moved).await.unwrap();
    let (_, out) = openssl_out(&["x509", "-in", cert, "-noout", "-ext", "subjectAltName"]);
    assert!(
        out.contains("IP Address:127.0.0.1") && out.contains("IP Address:127.0.0.9"),
        "{out}"
    );
    let rows = server
        .sql("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .await
        .unwrap();
    assert!(!rows[0][1].as_deref().unwrap_or("").is_empty(), "{rows:?}");

    // again: the same CA, a fresh server certificate
    let ca_before = std::fs::read(&files.ca).unwrap();
    let cert_before = std::fs::read(&files.cert).unwrap();
    let again = server.enable_tls().await.unwrap();
    assert_eq!(again, files);
    assert_eq!(std::fs::read(&files.ca).unwrap(), ca_before);
    assert_ne!(std::fs::read(&files.cert).unwrap(), cert_before);
    let cnf = std::fs::read_to_string(&cnf_path).unwrap();
    assert_eq!(cnf.matches("ssl-ca=").count(), 1, "{cnf}");
    assert!(cnf.ends_with(managed), "{cnf}");
    server.sql("SELECT 1").await.unwrap();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_components_take_the_faults_they_have_hooks_for_and_refuse_the_others() {
    use crate::device::FaultError;
    use crate::faults::Fault;
    use crate::lab::{Lab, LabSpec};
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab::start(&LabSpec::with_cms_nodes(0).with_xop_servers(1), dir.path())
        .await
        .unwrap();
    let (server, sshd) = (lab.xop("xop1"), lab.sshd().unwrap());
    let faults = lab.faults("xop1").unwrap();

    // a refused login: the admin's new sessions are refused until cleared
    faults.inject(Fault::RefuseLogin).await.unwrap();
    let e = server.sql("SELECT 1").await.unwrap_err();
    assert!(format!("{e:#}").contains("locked"), "{e:#}");
    faults.clear().await.unwrap();
    server.sql("SELECT 1").await.unwrap();

    // a rotated identity: sshd shows a new host key; the known_hosts it started with is refused
    let ssh_true = || sshd.ssh_command("true").output().unwrap();
    assert!(ssh_true().status.success());
    let before = sshd.known_hosts_line();
    faults.inject(Fault::RotateIdentity).await.unwrap();
    assert_ne!(sshd.known_hosts_line(), before);
    let out = ssh_true();
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("Host key verification failed"),
        "{out:?}"
    );
    assert_eq!(lab.known_hosts(), sshd.known_hosts_line() + "\n");
    std::fs::write(sshd.known_hosts_path(), sshd.known_hosts_line() + "\n").unwrap();
    assert!(ssh_true().status.success());

    // the rest: a clear error naming the device and the fault, nothing pretended
    for fault in [
        Fault::ReplyDelay(std::time::Duration::from_secs(1)),
        Fault::DropAfter {
            prefix: "SELECT".into(),
            times: 1,
        },
        Fault::DropBefore {
            prefix: "SELECT".into(),
            times: 1,
        },
    ] {
        let name = fault.name();
        let e = faults.inject(fault).await.unwrap_err();
        assert!(matches!(e, FaultError::Unsupported { .. }), "{e:?}");
        assert!(
            e.to_string()
                .starts_with(&format!("xop1: {name} is not supported")),
            "{e}"
        );
    }
    assert!(matches!(
        faults.command_log(),
        Err(FaultError::Unsupported { .. })
    ));
    assert!(matches!(
        faults.sessions(),
        Err(FaultError::Unsupported { .. })
    ));
    server.sql("SELECT 1").await.unwrap();
    drop(faults);
    lab.stop().await;
}
