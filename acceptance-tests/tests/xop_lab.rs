//! The XOP lab against the real programs: MariaDB servers laid out like XOP
//! appliances, the restart command, replication set up by hand (the seed's
//! SQL), moving MySQL to another loopback address, the stand-ins and the
//! shared sshd driven by the real OpenSSH client, and a lab with two XOP
//! servers writing its files.
//!
//! The tests of this file share one template datadir (`mariadb-install-db`
//! runs once per test process).

use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use uccluster_lab::lab::{Lab, LabSpec};
use uccluster_lab::xop::{Sshd, XopServer, XopServerSpec};

fn spec(name: &str, server_id: u32) -> XopServerSpec {
    XopServerSpec {
        name: name.into(),
        server_id,
    }
}

fn cell(rows: &[Vec<Option<String>>]) -> Option<String> {
    rows.first().and_then(|r| r.first()).cloned().flatten()
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn run_restart(server: &XopServer) -> Duration {
    let t = Instant::now();
    let out = std::process::Command::new(server.restart_command())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "restart failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_answers_as_admin_and_restarts_after_a_my_cnf_change() {
    let install = uccluster_lab::xop::template_install_time().await.unwrap();
    let sshd = Sshd::start_in_temp_dir().await.unwrap();
    let server = XopServer::start_in_temp_dir(&spec("xop1", 1), &sshd)
        .await
        .unwrap();
    eprintln!(
        "template install {install:?}, instance start {:?}",
        server.start_time()
    );

    // admin over TCP; the XOP schema is there; root needs the password now
    assert_eq!(server.admin_user(), "xopadmin");
    // A lab secret: quotes, a backslash and shell characters (the lab's SQL and option files
    // quote it; the login below proves it).
    assert!(server
        .admin_password()
        .ends_with(uccluster_lab::secrets::AWKWARD_CHARACTERS));
    let rows = server.sql("SELECT CURRENT_USER()").await.unwrap();
    assert_eq!(cell(&rows).as_deref(), Some("xopadmin@%"));
    let tables = server
        .sql("SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables WHERE table_schema IN ('xopdb','xopdb_local') ORDER BY 1")
        .await
        .unwrap();
    let tables: Vec<_> = tables.into_iter().map(|r| r[0].clone().unwrap()).collect();
    for t in [
        "xopdb.call_log",
        "xopdb.sessions",
        "xopdb.system_parms",
        "xopdb_local.settings",
    ] {
        assert!(tables.contains(&t.to_string()), "{t} missing: {tables:?}");
    }
    let rows = server
        .sql("SELECT value FROM xopdb.system_parms WHERE name = 'hostname'")
        .await
        .unwrap();
    assert_eq!(cell(&rows).as_deref(), Some("xop1"));
    let rows = server.sql("SELECT NULL, 42, 'x'").await.unwrap();
    assert_eq!(rows, [vec![None, Some("42".into()), Some("x".into())]]);
    let root_no_pw = std::process::Command::new(server.mariadb_client_path())
        .args(["--no-defaults", "-h127.0.0.1", "-uroot", "-e", "select 1"])
        .arg(format!("-P{}", server.mysql_port()))
        .output()
        .unwrap();
    assert!(
        !root_no_pw.status.success(),
        "root without password must fail"
    );

    // my.cnf: lab lines only, no replication
    let cnf = std::fs::read_to_string(server.my_cnf_path()).unwrap();
    assert!(cnf.starts_with("# XOP appliance my.cnf (uccluster lab)\n[mariadbd]\n"));
    assert!(cnf.contains(&format!("port={}\n", server.mysql_port())));
    assert!(!cnf.contains("server-id") && !cnf.contains("log-bin"));
    assert_eq!(server.my_cnf_path(), server.dir().join("etc/my.cnf"));

    // the provider appends its section under [mysqld] and runs the restart command
    let pid_before = server.mysql_pid().unwrap();
    append(
        &server.my_cnf_path(),
        "\n# managed by uccluster\n[mysqld]\nserver-id=7\nlog-bin=mysql-bin\nauto_increment_offset=1\nauto_increment_increment=2\n",
    );
    let restart = run_restart(&server);
    eprintln!("restart after my.cnf change {restart:?}");
    let rows = server
        .sql("SELECT @@server_id, @@log_bin, @@auto_increment_increment")
        .await
        .unwrap();
    assert_eq!(
        rows,
        [vec![Some("7".into()), Some("1".into()), Some("2".into())]]
    );
    let pid_after = server.mysql_pid().unwrap();
    assert_ne!(pid_before, pid_after);

    // a broken my.cnf: non-zero with the error.log tail
    append(&server.my_cnf_path(), "no-such-option-xyz=1\n");
    let out = std::process::Command::new(server.restart_command())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such-option-xyz"), "{stderr}");
    // repair and restart again
    let cnf = std::fs::read_to_string(server.my_cnf_path()).unwrap();
    std::fs::write(
        server.my_cnf_path(),
        cnf.replace("no-such-option-xyz=1\n", ""),
    )
    .unwrap();
    run_restart(&server);

    // primary down / up
    server.stop_mysql().await;
    assert!(server.mysql_pid().is_none());
    assert!(server.sql("SELECT 1").await.is_err());
    server.start_mysql().await;
    let rows = server.sql("SELECT @@server_id").await.unwrap();
    assert_eq!(cell(&rows).as_deref(), Some("7"));

    // no default database; errors carry the server's message
    let rows = server.sql("SELECT DATABASE()").await.unwrap();
    assert_eq!(cell(&rows), None);
    let err = server.sql("SELECT * FROM nope.t").await.unwrap_err();
    assert!(format!("{err:#}").contains("1146"), "{err:#}");

    let pid = server.mysql_pid().unwrap();
    drop(server);
    assert!(
        wait_until(|| !Path::new(&format!("/proc/{pid}")).exists()).await,
        "mariadbd {pid} survived the drop"
    );
}

async fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_replicate_xopdb_set_up_by_hand() {
    let sshd = Sshd::start_in_temp_dir().await.unwrap();
    let (s1, s2) = (spec("xop1", 1), spec("xop2", 2));
    let (primary, secondary) = tokio::join!(
        XopServer::start_in_temp_dir(&s1, &sshd),
        XopServer::start_in_temp_dir(&s2, &sshd)
    );
    let (primary, secondary) = (primary.unwrap(), secondary.unwrap());
    // the seed's my.cnf sections (log-bin under the lab's datadir)
    append(
        &primary.my_cnf_path(),
        "[mysqld]\nserver-id=1\nauto_increment_offset=1\nauto_increment_increment=2\nlog-bin=mysql-bin\nbinlog-do-db=xopdb\nbinlog-ignore-db=xopdb_local\nexpire_logs_days=14\nmax_binlog_size=500M\n",
    );
    append(
        &secondary.my_cnf_path(),
        "[mysqld]\nserver-id=2\nauto_increment_offset=2\nauto_increment_increment=2\nreplicate-do-db=xopdb\nreplicate-ignore-db=xopdb_local\nreplicate-ignore-table=xopdb.sessions\nreplicate-ignore-table=xopdb.system_parms\n",
    );
    run_restart(&primary);
    run_restart(&secondary);

    primary
        .sql("CREATE USER 'repl'@'%' IDENTIFIED BY 'slavepass'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'")
        .await
        .unwrap();
    let status = primary.sql("SHOW MASTER STATUS").await.unwrap();
    let (file, pos) = (status[0][0].clone().unwrap(), status[0][1].clone().unwrap());
    secondary
        .sql(&format!(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='repl', \
             MASTER_PASSWORD='slavepass', MASTER_LOG_FILE='{file}', MASTER_LOG_POS={pos}, \
             MASTER_CONNECT_RETRY=1; START SLAVE",
            primary.mysql_port()
        ))
        .await
        .unwrap();
    primary
        .sql("USE xopdb; INSERT INTO call_log (v) VALUES ('replicated'); INSERT INTO sessions (caller) VALUES ('not replicated')")
        .await
        .unwrap();
    let mut seen = None;
    for _ in 0..200 {
        let rows = secondary
            .sql("SELECT id, v FROM xopdb.call_log")
            .await
            .unwrap();
        if !rows.is_empty() {
            seen = Some(rows);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        seen.expect("row did not replicate"),
        [vec![Some("1".into()), Some("replicated".into())]]
    );
    let status = secondary.slave_status().await.unwrap().unwrap();
    let get = |k: &str| {
        status
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(get("Slave_IO_Running").as_deref(), Some("Yes"));
    assert_eq!(get("Slave_SQL_Running").as_deref(), Some("Yes"));
    let sessions = secondary
        .sql("SELECT COUNT(*) FROM xopdb.sessions")
        .await
        .unwrap();
    assert_eq!(cell(&sessions).as_deref(), Some("0"));
    assert!(primary.slave_status().await.unwrap().is_none());

    // primary down: the IO thread reconnects after the primary comes back
    primary.stop_mysql().await;
    primary.start_mysql().await;
    primary
        .sql("USE xopdb; INSERT INTO call_log (v) VALUES ('after restart')")
        .await
        .unwrap();
    let mut n = None;
    for _ in 0..400 {
        let rows = secondary
            .sql("SELECT COUNT(*) FROM xopdb.call_log")
            .await
            .unwrap();
        n = cell(&rows);
        if n.as_deref() == Some("2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(n.as_deref(), Some("2"));
}

async fn wait_for_rows(server: &XopServer, sql: &str, want: usize) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for _ in 0..400 {
        rows = server.sql(sql).await.unwrap();
        if rows.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebind_moves_mysql_to_another_loopback_address() {
    let sshd = Sshd::start_in_temp_dir().await.unwrap();
    let (s1, s2) = (spec("xop1", 1), spec("xop2", 2));
    let (primary, secondary) = tokio::join!(
        XopServer::start_in_temp_dir(&s1, &sshd),
        XopServer::start_in_temp_dir(&s2, &sshd)
    );
    let (mut primary, mut secondary) = (primary.unwrap(), secondary.unwrap());
    assert_eq!(primary.mysql_address(), "127.0.0.1");
    // a provider section after the lab lines, as the provider splices it in
    append(
        &primary.my_cnf_path(),
        "\n# BEGIN uccluster xop_replication_member (managed; edits here are overwritten)\n\
         [mysqld]\nserver-id=1\nlog-bin=mysql-bin\nbinlog-do-db=xopdb\n\
         # END uccluster xop_replication_member\n",
    );
    run_restart(&primary);
    primary
        .sql("USE xopdb; INSERT INTO call_log (v) VALUES ('before rebind')")
        .await
        .unwrap();
    let port = primary.mysql_port();
    let cnf_before = std::fs::read_to_string(primary.my_cnf_path()).unwrap();
    assert_eq!(cnf_before.matches("bind-address=127.0.0.1\n").count(), 1);

    // only loopback addresses: nothing changes otherwise
    let err = primary
        .rebind(Ipv4Addr::new(10, 0, 0, 1))
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("127.0.0.0/8"), "{err:#}");
    assert_eq!(
        std::fs::read_to_string(primary.my_cnf_path()).unwrap(),
        cnf_before
    );
    assert_eq!(primary.mysql_address(), "127.0.0.1");

    // a failed move (the port is taken there) puts my.cnf and the address back
    let squatter = std::net::TcpListener::bind(("127.0.0.5", port)).unwrap();
    let err = primary
        .rebind(Ipv4Addr::new(127, 0, 0, 5))
        .await
        .unwrap_err();
    drop(squatter);
    assert!(format!("{err:#}").contains("127.0.0.5"), "{err:#}");
    assert_eq!(
        std::fs::read_to_string(primary.my_cnf_path()).unwrap(),
        cnf_before
    );
    assert_eq!(primary.mysql_address(), "127.0.0.1");
    let rows = primary.sql("SELECT v FROM xopdb.call_log").await.unwrap();
    assert_eq!(cell(&rows).as_deref(), Some("before rebind"));

    let pid_before = primary.mysql_pid().unwrap();
    let t = Instant::now();
    primary.rebind(Ipv4Addr::new(127, 0, 0, 2)).await.unwrap();
    eprintln!("rebind {:?}", t.elapsed());
    assert_eq!(primary.mysql_address(), "127.0.0.2");
    assert_ne!(primary.mysql_pid().unwrap(), pid_before, "restarted");

    // SQL goes to 127.0.0.2 and sees the row; the managed section still applies
    let rows = primary
        .sql("SELECT v FROM xopdb.call_log; SELECT @@bind_address, @@server_id")
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            vec![Some("before rebind".to_string())],
            vec![Some("127.0.0.2".to_string()), Some("1".to_string())]
        ]
    );
    // the old address refuses, the new one takes TCP connections
    let refused = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    TcpStream::connect(("127.0.0.2", port)).expect("mariadbd listens on 127.0.0.2");
    // the real client with the admin account, as on the box
    let client = |host: &str| {
        std::process::Command::new(primary.mariadb_client_path())
            .args(["--no-defaults", "--connect-timeout=5", "-N", "-e"])
            .arg("SELECT CURRENT_USER()")
            .arg(format!("-h{host}"))
            .arg(format!("-P{port}"))
            .arg(format!("-u{}", primary.admin_user()))
            .arg(format!("-p{}", primary.admin_password()))
            .output()
            .unwrap()
    };
    let out = client("127.0.0.2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "xopadmin@%");
    assert!(!client("127.0.0.1").status.success());

    // my.cnf: only the bind-address line changed (the managed section byte for byte)
    assert_eq!(
        std::fs::read_to_string(primary.my_cnf_path()).unwrap(),
        cnf_before.replace("bind-address=127.0.0.1\n", "bind-address=127.0.0.2\n")
    );

    // the restart command and stop/start keep to the new address
    run_restart(&primary);
    primary.stop_mysql().await;
    primary.start_mysql().await;
    let rows = primary.sql("SELECT @@bind_address").await.unwrap();
    assert_eq!(cell(&rows).as_deref(), Some("127.0.0.2"));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());

    // replication to and from moved servers: a '%' replication user on 127.0.0.2,
    // a replica moved to 127.0.0.3
    secondary.rebind(Ipv4Addr::new(127, 0, 0, 3)).await.unwrap();
    assert_eq!(secondary.mysql_address(), "127.0.0.3");
    append(&secondary.my_cnf_path(), "[mysqld]\nserver-id=2\n");
    run_restart(&secondary);
    primary
        .sql("CREATE USER 'repl'@'%' IDENTIFIED BY 'slavepass'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'")
        .await
        .unwrap();
    let status = primary.sql("SHOW MASTER STATUS").await.unwrap();
    let (file, pos) = (status[0][0].clone().unwrap(), status[0][1].clone().unwrap());
    secondary
        .sql(&format!(
            "CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT={port}, MASTER_USER='repl', \
             MASTER_PASSWORD='slavepass', MASTER_LOG_FILE='{file}', MASTER_LOG_POS={pos}, \
             MASTER_CONNECT_RETRY=1; START SLAVE",
            primary.mysql_address()
        ))
        .await
        .unwrap();
    primary
        .sql("USE xopdb; INSERT INTO call_log (v) VALUES ('after rebind')")
        .await
        .unwrap();
    let rows = wait_for_rows(
        &secondary,
        "SELECT v FROM xopdb.call_log WHERE v = 'after rebind'",
        1,
    )
    .await;
    assert_eq!(rows, [vec![Some("after rebind".to_string())]]);
    let status = secondary.slave_status().await.unwrap().unwrap();
    let get = |k: &str| {
        status
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.clone())
    };
    assert_eq!(get("Master_Host").as_deref(), Some("127.0.0.2"));
    assert_eq!(get("Slave_IO_Running").as_deref(), Some("Yes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sshd_logs_in_with_the_client_key_only_and_runs_the_stand_ins() {
    let sshd = Sshd::start_in_temp_dir().await.unwrap();
    let server = XopServer::start_in_temp_dir(&spec("xop1", 1), &sshd)
        .await
        .unwrap();
    assert!(sshd.host_key_fingerprint().starts_with("SHA256:"));
    let kh = std::fs::read_to_string(sshd.known_hosts_path()).unwrap();
    assert_eq!(
        kh,
        format!("[127.0.0.1]:{} {}\n", sshd.port(), sshd.host_key_openssh())
    );
    assert!(sshd.host_key_openssh().starts_with("ssh-ed25519 AAAA"));
    assert!(sshd
        .client_private_key_openssh()
        .starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));

    // the real OpenSSH client reads the appliance's my.cnf
    let out = sshd
        .ssh_command(&format!("cat {}", server.my_cnf_path().display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        std::fs::read_to_string(server.my_cnf_path()).unwrap()
    );
    let out = sshd.ssh_command("id -un").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), sshd.user());

    // an unknown key is rejected
    let other = tempfile::tempdir().unwrap();
    let other_key = other.path().join("k");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other_key)
        .status()
        .unwrap();
    assert!(st.success());
    let out = sshd
        .ssh_command_with_key(&other_key, "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // the stand-ins over SSH, as the provider will run them
    let out = sshd
        .ssh_command(&format!(
            "{} -I INPUT -p tcp -s 10.0.0.2 --dport 3306 -j ACCEPT && {} -S INPUT",
            server.iptables_command(),
            server.iptables_command()
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "-P INPUT ACCEPT\n-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT\n"
    );
    assert_eq!(
        server.iptables_rules(),
        ["-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT"]
    );
    assert!(server.saved_firewall_rules().is_empty());
    let out = sshd
        .ssh_command(&server.firewall_save_command())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "iptables: Saving firewall rules to /etc/sysconfig/iptables:[  OK  ]\n"
    );
    assert_eq!(server.saved_firewall_rules(), server.iptables_rules());
    let saved = std::fs::read_to_string(server.dir().join("etc/sysconfig/iptables")).unwrap();
    assert!(
        saved.contains("\n*filter\n:INPUT ACCEPT [0:0]\n"),
        "{saved}"
    );
    assert!(saved.contains("\nCOMMIT\n# Completed on "), "{saved}");
    let out = sshd
        .ssh_command(&format!(
            "{} member 10.0.0.3 10.0.0.2",
            server.sysconf_command()
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = sshd
        .ssh_command(&format!("{} reboot-now", server.sysconf_command()))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sysconf: unknown command"));
    assert_eq!(server.sysconf_calls(), ["member 10.0.0.3 10.0.0.2"]);

    // the restart command over SSH returns (daemon stdio redirected) with MariaDB up
    append(&server.my_cnf_path(), "[mysqld]\nserver-id=5\n");
    let t = Instant::now();
    let out = sshd
        .ssh_command(&server.restart_command())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("restart over ssh {:?}", t.elapsed());
    let rows = server.sql("SELECT @@server_id").await.unwrap();
    assert_eq!(cell(&rows).as_deref(), Some("5"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_with_two_xop_servers_writes_its_files() {
    let out = tempfile::tempdir().unwrap();
    let spec: LabSpec = serde_json::from_str(
        r#"{"xop_servers":[{"name":"xop1","server_id":1},{"name":"xop2","server_id":2}]}"#,
    )
    .unwrap();
    let mut lab = Lab::start(&spec, out.path()).await.unwrap();
    let endpoints: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("lab.json")).unwrap())
            .unwrap();
    assert_eq!(endpoints, lab.endpoints());
    let servers = endpoints["xop_servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2);
    let sshd = lab.sshd().unwrap();
    for (i, s) in servers.iter().enumerate() {
        let name = format!("xop{}", i + 1);
        let x = lab.xop(&name);
        assert_eq!(s["name"], name);
        assert_eq!(s["ssh"]["host"], "127.0.0.1");
        assert_eq!(s["ssh"]["port"], sshd.port());
        assert_eq!(s["ssh"]["user"], sshd.user());
        assert_eq!(
            s["ssh"]["host_key_fingerprint"],
            sshd.host_key_fingerprint()
        );
        assert_eq!(
            s["ssh"]["known_hosts"],
            sshd.known_hosts_path().to_string_lossy().as_ref()
        );
        assert_eq!(s["mysql"]["host"], "127.0.0.1");
        assert_eq!(s["mysql"]["port"], x.mysql_port());
        assert_eq!(s["mysql"]["admin_user"], "xopadmin");
        assert_eq!(s["mysql"]["admin_password"], lab.password());
        assert_eq!(s["my_cnf_path"], x.my_cnf_path().to_string_lossy().as_ref());
        assert_eq!(s["restart_command"], x.restart_command());
        assert_eq!(s["iptables_command"], x.iptables_command());
        assert_eq!(s["firewall_save_command"], x.firewall_save_command());
        assert_eq!(
            s["firewall_save_command"],
            format!("{} iptables save", x.dir().join("bin/service").display())
        );
        assert_eq!(s["sysconf_command"], x.sysconf_command());
        assert!(x
            .dir()
            .starts_with(std::fs::canonicalize(out.path()).unwrap()));
        let rows = x.sql("SELECT 1").await.unwrap();
        assert_eq!(rows, [vec![Some("1".to_string())]]);
    }
    assert_ne!(lab.xop("xop1").mysql_port(), lab.xop("xop2").mysql_port());

    let tfvars: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("lab.auto.tfvars.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(tfvars["xop_ssh_user"], sshd.user());
    let key_file = tfvars["xop_ssh_private_key_file"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(key_file).unwrap(),
        sshd.client_private_key_openssh()
    );
    let kh = tfvars["xop_known_hosts_file"].as_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(kh).unwrap(),
        sshd.known_hosts_line() + "\n"
    );
    assert!(tfvars.get("cms_nodes").is_none(), "XOP-only lab: {tfvars}");
    let xs = tfvars["xop_servers"].as_array().unwrap();
    assert_eq!(xs[1]["name"], "xop2");
    assert_eq!(xs[1]["ssh_port"], sshd.port());
    assert_eq!(xs[1]["mysql_port"], lab.xop("xop2").mysql_port());
    for key in [
        "admin_user",
        "admin_password",
        "my_cnf_path",
        "restart_command",
        "iptables_command",
        "firewall_save_command",
        "sysconf_command",
    ] {
        assert!(xs[0][key].is_string(), "{key}");
    }
    assert_eq!(xs[0]["mysql_host"], "127.0.0.1");

    // moving one server's MySQL rewrites both files
    lab.rebind_xop("xop2", Ipv4Addr::new(127, 0, 0, 4))
        .await
        .unwrap();
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.path().join(name)).unwrap()).unwrap()
    };
    let (endpoints, tfvars) = (read("lab.json"), read("lab.auto.tfvars.json"));
    assert_eq!(endpoints["xop_servers"][1]["mysql"]["host"], "127.0.0.4");
    assert_eq!(endpoints["xop_servers"][0]["mysql"]["host"], "127.0.0.1");
    assert_eq!(tfvars["xop_servers"][1]["mysql_host"], "127.0.0.4");
    let rows = lab.xop("xop2").sql("SELECT @@bind_address").await.unwrap();
    assert_eq!(rows, [vec![Some("127.0.0.4".to_string())]]);

    let pids: Vec<i32> = lab
        .xop_names()
        .iter()
        .map(|n| lab.xop(n).mysql_pid().unwrap())
        .collect();
    let ssh_port = lab.sshd().unwrap().port();
    lab.stop().await;
    // xop2's mariadbd was started by the restart script (rebind), so it is no child
    // of this process: init reaps it a moment after it dies.
    for pid in pids {
        assert!(
            wait_until(|| !Path::new(&format!("/proc/{pid}")).exists()).await,
            "mariadbd {pid} survived lab.stop()"
        );
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", ssh_port)).is_err());
}

#[test]
fn lab_binary_starts_xop_servers_only_with_the_flag() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_uccluster-lab"))
        .args(["--xop-servers", "2", "--stop-on-stdin-eof", "--out"])
        .arg(out.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let Some(Ok(first)) = lines.next() else {
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        panic!("uccluster-lab printed nothing: {:?}\n{err}", child.wait());
    };
    let endpoints: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "READY");
    assert_eq!(endpoints["cms_nodes"].as_array().unwrap().len(), 0);
    let xs = endpoints["xop_servers"].as_array().unwrap();
    assert_eq!(xs.len(), 2);
    assert_eq!(xs[1]["name"], "xop2");
    assert_eq!(xs[1]["server_id"], 2);
    let mysql = ("127.0.0.1", xs[0]["mysql"]["port"].as_u64().unwrap() as u16);
    let ssh = ("127.0.0.1", xs[0]["ssh"]["port"].as_u64().unwrap() as u16);
    std::net::TcpStream::connect(mysql).expect("mariadbd listens");
    std::net::TcpStream::connect(ssh).expect("sshd listens");

    drop(child.stdin.take()); // EOF -> clean stop
    assert!(child.wait().unwrap().success());
    assert!(std::net::TcpStream::connect(mysql).is_err());
    assert!(std::net::TcpStream::connect(ssh).is_err());
}
