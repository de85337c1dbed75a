//! Drives SFTP uploads and the `database cluster` commands of several simulated
//! MMP nodes on one fabric, with a real russh SSH client and the russh-sftp client.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use russh::client;
use russh_sftp::client::SftpSession;
use tokio::io::AsyncWriteExt;

use super::database::{CONFIRM_PROMPT, INITIALIZE_WARNING, JOIN_WARNING};
use super::tests::{login, Term, TestClient, PASSWORD, TIMEOUT};
use super::{CmsNode, CmsNodeConfig, DbRole, Fabric, NodeControl};

const CERT: &str = "-----BEGIN CERTIFICATE-----\nc2ltdWxhdGVkIGRhdGFiYXNlIGNsdXN0ZXIgY2VydGlmaWNhdGUgZm9yIHVjY2x1c3RlciB0ZXN0cw==\n-----END CERTIFICATE-----\n";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nc2ltdWxhdGVkIHByaXZhdGUga2V5IG1hdGVyaWFsLCBub3QgYSByZWFsIGtleSEh\n-----END PRIVATE KEY-----\n";
const CERTS_CMD: &str =
    "database cluster certs dbserver.key dbserver.crt dbclient.key dbclient.crt dbca.crt";
/// Long enough for a status command to see `(In progress)` on a loaded machine.
const JOIN_DELAY: Duration = Duration::from_secs(1);
const FAILOVER_DELAY: Duration = Duration::from_secs(1);

/// Nodes `cms1..cmsN` at `127.77.<net>.1..N` on one fabric.
struct Site {
    nodes: Vec<CmsNode>,
}

impl Site {
    async fn start(net: u8, n: u8) -> Site {
        let fabric = Fabric::default();
        let mut nodes = Vec::new();
        for i in 1..=n {
            let node = CmsNode::start_in(
                CmsNodeConfig {
                    hostname: format!("cms{i}"),
                    bind: IpAddr::V4(Ipv4Addr::new(127, 77, net, i)),
                    port: 0,
                    username: "admin".into(),
                    password: PASSWORD.into(),
                    xmpp_domain: "conf.example.com".into(),
                },
                fabric.clone(),
            )
            .await
            .unwrap();
            let ctl = node.control();
            ctl.set_join_delay(JOIN_DELAY);
            ctl.set_failover_delay(FAILOVER_DELAY);
            nodes.push(node);
        }
        Site { nodes }
    }

    /// Control of `cms<i>` (1-based).
    fn ctl(&self, i: usize) -> NodeControl {
        self.nodes[i - 1].control()
    }

    fn addr(&self, i: usize) -> String {
        self.nodes[i - 1].addr().ip().to_string()
    }

    /// A logged-in shell on `cms<i>`, past the banner.
    async fn shell(&self, i: usize) -> (client::Handle<TestClient>, Term) {
        let h = login(self.nodes[i - 1].addr()).await;
        let mut t = Term::open_on(&h, true, &format!("cms{i}> ")).await;
        t.read_until(&format!("cms{i}> ")).await;
        (h, t)
    }

    async fn stop(self) {
        for n in self.nodes {
            n.stop().await;
        }
    }
}

/// Uploads the five database cluster files to the node (behind the scenes).
fn upload_certs(ctl: &NodeControl) {
    for (name, content) in [
        ("dbserver.key", KEY),
        ("dbserver.crt", CERT),
        ("dbclient.key", KEY),
        ("dbclient.crt", CERT),
        ("dbca.crt", CERT),
    ] {
        ctl.put_file(name, content);
    }
}

/// Runs a command that asks `(y/n)`; returns (text before the question, output after the answer).
async fn confirmed(t: &mut Term, prompt: &str, cmd: &str, answer: &str) -> (String, String) {
    t.send(&format!("{cmd}\r")).await;
    let question = t.read_until(CONFIRM_PROMPT).await;
    let question = question
        .strip_prefix(&format!("{cmd}\r\n"))
        .unwrap_or_else(|| panic!("no echo in {question:?}"))
        .strip_suffix(CONFIRM_PROMPT)
        .unwrap()
        .to_string();
    t.send(&format!("{answer}\r")).await;
    let out = t.read_until(prompt).await;
    let out = out
        .strip_prefix(&format!("{answer}\r\n"))
        .unwrap_or_else(|| panic!("answer not echoed in {out:?}"))
        .strip_suffix(prompt)
        .unwrap()
        .to_string();
    (question, out)
}

/// Certs + localnode a, through the shell.
async fn configure(t: &mut Term) {
    assert_eq!(t.cmd(CERTS_CMD).await, "");
    assert_eq!(t.cmd("database cluster localnode a").await, "");
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

const CERT_LINES: [&str; 6] = [
    "Certificates",
    "  Server Key             : dbserver.key",
    "  Server Certificate     : dbserver.crt",
    "  Client Key             : dbclient.key",
    "  Client Certificate     : dbclient.crt",
    "  CA Certificate         : dbca.crt",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_upload_list_overwrite_rename_remove_and_pki_list() {
    let site = Site::start(11, 1).await;
    let ctl = site.ctl(1);
    let (h, mut t) = site.shell(1).await;
    // SFTP on the same connection as the shell.
    let channel = h.channel_open_session().await.unwrap();
    channel.request_subsystem(true, "sftp").await.unwrap();
    let sftp = SftpSession::new(channel.into_stream()).await.unwrap();
    assert_eq!(sftp.canonicalize(".").await.unwrap(), "/");
    assert_eq!(sftp.canonicalize("dbca.crt").await.unwrap(), "/dbca.crt");

    let mut f = sftp.create("/dbca.crt").await.unwrap();
    f.write_all(CERT.as_bytes()).await.unwrap();
    f.shutdown().await.unwrap();
    let mut f = sftp.create("dbserver.key").await.unwrap();
    f.write_all(KEY.as_bytes()).await.unwrap();
    f.shutdown().await.unwrap();
    assert_eq!(ctl.files(), vec!["dbca.crt", "dbserver.key"]);
    assert_eq!(ctl.file("/dbca.crt").unwrap(), CERT.as_bytes());
    assert_eq!(
        sftp.metadata("/dbca.crt").await.unwrap().len(),
        CERT.len() as u64
    );
    assert!(sftp.metadata("dbca.crt").await.unwrap().is_regular());
    assert!(sftp.metadata("/").await.unwrap().is_dir());
    assert!(!sftp.try_exists("nope.crt").await.unwrap());
    assert_eq!(sftp.read("dbca.crt").await.unwrap(), CERT.as_bytes());

    let mut names: Vec<String> = sftp
        .read_dir("/")
        .await
        .unwrap()
        .map(|e| e.file_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["dbca.crt", "dbserver.key"]);
    assert_eq!(t.cmd("pki list").await, "dbca.crt\r\ndbserver.key\r\n");
    assert_eq!(t.cmd("pki list x").await, "Usage: pki list\r\n");

    // Overwrite with shorter content: truncated.
    let mut f = sftp.create("dbca.crt").await.unwrap();
    f.write_all(b"short").await.unwrap();
    f.shutdown().await.unwrap();
    assert_eq!(ctl.file("dbca.crt").unwrap(), b"short");

    sftp.rename("dbca.crt", "/ca.crt").await.unwrap();
    assert!(sftp.rename("ca.crt", "dbserver.key").await.is_err());
    assert!(sftp.rename("gone", "x").await.is_err());
    assert_eq!(ctl.files(), vec!["ca.crt", "dbserver.key"]);
    sftp.remove_file("/ca.crt").await.unwrap();
    assert!(sftp.remove_file("ca.crt").await.is_err());
    assert!(sftp.create_dir("certs").await.is_err());
    assert!(sftp.open("missing").await.is_err());

    // Files put behind the scenes are visible over SFTP; removed ones vanish.
    ctl.put_file("licence.dat", "L");
    assert_eq!(sftp.read("/licence.dat").await.unwrap(), b"L");
    assert!(ctl.remove_file("/licence.dat"));
    assert!(!ctl.remove_file("licence.dat"));
    assert_eq!(t.cmd("pki list").await, "dbserver.key\r\n");
    sftp.close().await.unwrap();
    // The shell still works after the SFTP channel closed.
    assert_eq!(t.cmd("hostname").await, "cms1\r\n");
    site.stop().await;
}

/// Real OpenSSH `sftp` and `scp` (which speaks SFTP) against the node, when
/// installed: batch upload, listing, rename, download, remove; exit status 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssh_sftp_and_scp_clients() {
    use std::process::Command;
    // `make tools` installs them (openssh-client in tools/debian-packages.tsv): missing is a failure.
    for tool in ["ssh-keygen", "sftp", "scp"] {
        assert!(
            crate::process::find_program(tool).is_some(),
            "`{tool}` not found (Debian package openssh-client): run `make tools`"
        );
    }
    let site = Site::start(19, 1).await;
    let ctl = site.ctl(1);
    let dir = std::env::temp_dir().join(format!("uccluster-sftp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("id");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(keygen.success());
    ctl.authorize_key(&std::fs::read_to_string(dir.join("id.pub")).unwrap());
    std::fs::write(dir.join("dbca.crt"), CERT).unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("batch"),
        format!(
            "pwd\nput {d}/dbca.crt\nput {d}/dbca.crt /copy.crt\nrename copy.crt moved.crt\n\
             get moved.crt {d}/back.crt\nrm dbca.crt\nls -l\n"
        ),
    )
    .unwrap();
    let addr = site.nodes[0].addr();
    let common = |cmd: &mut Command| {
        cmd.args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args(["-o", "BatchMode=yes", "-i"])
        .arg(&key)
        .arg("-P")
        .arg(addr.port().to_string());
    };
    let mut sftp = Command::new("sftp");
    common(&mut sftp);
    sftp.arg("-b")
        .arg(dir.join("batch"))
        .arg(format!("admin@{}", addr.ip()));
    let mut scp = Command::new("scp");
    common(&mut scp);
    scp.arg(dir.join("dbca.crt"))
        .arg(format!("admin@{}:/scp.crt", addr.ip()));
    let (sftp_out, scp_out) =
        tokio::task::spawn_blocking(move || (sftp.output().unwrap(), scp.output().unwrap()))
            .await
            .unwrap();
    let stdout = String::from_utf8_lossy(&sftp_out.stdout);
    assert!(
        sftp_out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&sftp_out.stderr)
    );
    assert!(stdout.contains("Remote working directory: /"), "{stdout}");
    assert!(stdout.contains(" moved.crt"), "{stdout}");
    assert!(
        scp_out.status.success(),
        "{}",
        String::from_utf8_lossy(&scp_out.stderr)
    );
    assert_eq!(std::fs::read_to_string(dir.join("back.crt")).unwrap(), CERT);
    assert_eq!(ctl.files(), vec!["moved.crt", "scp.crt"]);
    assert_eq!(ctl.file("scp.crt").unwrap(), CERT.as_bytes());
    let _ = std::fs::remove_dir_all(&dir);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certs_and_localnode_validation() {
    let site = Site::start(12, 1).await;
    let ctl = site.ctl(1);
    let (_h, mut t) = site.shell(1).await;
    assert_eq!(
        t.cmd(CERTS_CMD).await,
        "Failure: dbserver.key: file not found\r\n"
    );
    upload_certs(&ctl);
    ctl.put_file("dbclient.key", CERT);
    assert_eq!(
        t.cmd(CERTS_CMD).await,
        "Failure: dbclient.key: not a valid PEM private key\r\n"
    );
    ctl.put_file("dbclient.key", KEY);
    ctl.put_file(
        "dbca.crt",
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    );
    assert_eq!(
        t.cmd(CERTS_CMD).await,
        "Failure: dbca.crt: not a valid PEM certificate\r\n"
    );
    assert_eq!(
        t.cmd("database cluster certs a b c d").await,
        "Usage: database cluster certs [<server_key> <server_crt>] <client_key> <client_crt> <ca_crt>\r\n"
    );
    assert!(ctl.db_certs().is_empty());
    ctl.put_file("dbca.crt", CERT);
    assert_eq!(
        t.cmd("database cluster certs dbclient.key dbclient.crt dbca.crt")
            .await,
        ""
    );
    assert_eq!(
        ctl.db_certs(),
        vec!["dbclient.key", "dbclient.crt", "dbca.crt"]
    );
    assert_eq!(
        t.cmd("database cluster localnode e").await,
        "Failure: invalid interface e\r\n"
    );
    assert_eq!(
        t.cmd("database cluster localnode").await,
        "Usage: database cluster localnode <a|b|c|d>\r\n"
    );
    assert_eq!(ctl.db_interface(), None);
    assert_eq!(t.cmd("database cluster localnode c").await, "");
    assert_eq!(ctl.db_interface().as_deref(), Some("c"));
    // Client-only certificates: enough to connect, not to initialize.
    assert_eq!(
        t.cmd("database cluster initialize").await,
        "Failure: database cluster certificates not configured\r\n"
    );
    assert_eq!(
        t.cmd("database cluster status").await,
        crlf(&[
            "Status                   : Disabled",
            "Interface                : c",
            "Certificates",
            "  Client Key             : dbclient.key",
            "  Client Certificate     : dbclient.crt",
            "  CA Certificate         : dbca.crt",
        ])
    );
    assert_eq!(
        t.cmd("database cluster frob").await,
        "Unknown command: database cluster frob\r\n"
    );
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initialize_asks_first() {
    let site = Site::start(13, 1).await;
    let ctl = site.ctl(1);
    let (_h, mut t) = site.shell(1).await;
    assert_eq!(
        t.cmd("database cluster status").await,
        "Status                   : Disabled\r\n"
    );
    assert_eq!(
        t.cmd("database cluster initialize").await,
        "Failure: database cluster certificates not configured\r\n"
    );
    upload_certs(&ctl);
    assert_eq!(t.cmd(CERTS_CMD).await, "");
    assert_eq!(
        t.cmd("database cluster initialize").await,
        "Failure: database cluster interface not configured\r\n"
    );
    assert_eq!(t.cmd("database cluster localnode a").await, "");

    let (question, out) = confirmed(&mut t, "cms1> ", "database cluster initialize", "n").await;
    assert_eq!(question, format!("{INITIALIZE_WARNING}\r\n"));
    assert_eq!(out, "Aborted\r\n");
    assert_eq!(ctl.db_role(), DbRole::Standalone);
    let mut standalone = vec![
        "Status                   : Disabled",
        "Interface                : a",
    ];
    standalone.extend(CERT_LINES);
    assert_eq!(t.cmd("database cluster status").await, crlf(&standalone));

    let (_, out) = confirmed(&mut t, "cms1> ", "database cluster initialize", "y").await;
    assert_eq!(out, "Initialising database cluster\r\nSuccess\r\n");
    assert_eq!(ctl.db_role(), DbRole::Primary);
    assert_eq!(ctl.db_cluster_members(), vec![site.addr(1)]);
    let me = format!(
        "    {:<21}: Connected Primary",
        format!("{} (me)", site.addr(1))
    );
    let in_use = format!("Node in use              : {}", site.addr(1));
    let mut primary = vec![
        "Status                   : Enabled",
        "Nodes:",
        &me,
        &in_use,
        "Interface                : a",
    ];
    primary.extend(CERT_LINES);
    primary.push("Last command             : 'database cluster initialize' (Success)");
    assert_eq!(t.cmd("database cluster status").await, crlf(&primary));

    // Answers are not logged as commands.
    let log = ctl.command_log();
    assert_eq!(
        log.iter()
            .filter(|l| *l == "database cluster initialize")
            .count(),
        4
    );
    assert!(!log.iter().any(|l| l == "y" || l == "n"), "{log:?}");
    site.stop().await;
}

/// The example of the brief (TAC 210530 layout): cms1 primary, cms2 and cms3 replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_join_then_in_sync() {
    let site = Site::start(5, 3).await;
    let mut terms = Vec::new();
    for i in 1..=3 {
        upload_certs(&site.ctl(i));
        let (h, mut t) = site.shell(i).await;
        configure(&mut t).await;
        terms.push((h, t));
    }
    let (_, out) = confirmed(
        &mut terms[0].1,
        "cms1> ",
        "database cluster initialize",
        "y",
    )
    .await;
    assert_eq!(out, "Initialising database cluster\r\nSuccess\r\n");

    let (question, out) = confirmed(
        &mut terms[1].1,
        "cms2> ",
        "database cluster join 127.77.5.1",
        "y",
    )
    .await;
    assert_eq!(question, format!("{JOIN_WARNING}\r\n"));
    assert_eq!(out, "Joining database cluster\r\n");
    assert_eq!(site.ctl(2).db_role(), DbRole::Joining);
    assert!(site.ctl(2).db_cluster_members().is_empty());
    let mut joining = vec![
        "Status                   : Enabled",
        "Nodes:",
        "    127.77.5.1           : Connected Primary",
        "    127.77.5.2 (me)      : Connecting Replica",
        "Node in use              : 127.77.5.1",
        "Interface                : a",
    ];
    joining.extend(CERT_LINES);
    joining.push("Last command             : 'database cluster join 127.77.5.1' (In progress)");
    assert_eq!(
        terms[1].1.cmd("database cluster status").await,
        crlf(&joining)
    );
    let (_, out) = confirmed(
        &mut terms[2].1,
        "cms3> ",
        "database cluster join 127.77.5.1",
        "y",
    )
    .await;
    assert_eq!(out, "Joining database cluster\r\n");

    let (c2, c3) = (site.ctl(2), site.ctl(3));
    wait_for("both replicas", || {
        c2.db_role() == DbRole::Replica && c3.db_role() == DbRole::Replica
    })
    .await;
    let mut replica = vec![
        "Status                   : Enabled",
        "Nodes:",
        "    127.77.5.1           : Connected Primary",
        "    127.77.5.2 (me)      : Connected Replica ( In Sync )",
        "    127.77.5.3           : Connected Replica ( In Sync )",
        "Node in use              : 127.77.5.1",
        "Interface                : a",
    ];
    replica.extend(CERT_LINES);
    replica.push("Last command             : 'database cluster join 127.77.5.1' (Success)");
    assert_eq!(
        terms[1].1.cmd("database cluster status").await,
        crlf(&replica)
    );
    let mut primary = vec![
        "Status                   : Enabled",
        "Nodes:",
        "    127.77.5.1 (me)      : Connected Primary",
        "    127.77.5.2           : Connected Replica ( In Sync )",
        "    127.77.5.3           : Connected Replica ( In Sync )",
        "Node in use              : 127.77.5.1",
        "Interface                : a",
    ];
    primary.extend(CERT_LINES);
    primary.push("Last command             : 'database cluster initialize' (Success)");
    assert_eq!(
        terms[0].1.cmd("database cluster status").await,
        crlf(&primary)
    );
    let all = vec!["127.77.5.1", "127.77.5.2", "127.77.5.3"];
    for i in 1..=3 {
        assert_eq!(site.ctl(i).db_cluster_members(), all);
    }
    assert_eq!(
        c3.db_last_command(),
        Some((
            "database cluster join 127.77.5.1".to_string(),
            "Success".to_string()
        ))
    );
    site.stop().await;
}

async fn initialize(t: &mut Term, prompt: &str) {
    let (_, out) = confirmed(t, prompt, "database cluster initialize", "y").await;
    assert_eq!(out, "Initialising database cluster\r\nSuccess\r\n");
}

async fn join(t: &mut Term, prompt: &str, verb: &str, address: &str) -> String {
    let (_, out) = confirmed(
        t,
        prompt,
        &format!("database cluster {verb} {address}"),
        "y",
    )
    .await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_fails_without_a_running_primary() {
    let site = Site::start(14, 3).await;
    let mut terms = Vec::new();
    for i in 1..=3 {
        upload_certs(&site.ctl(i));
        let (h, mut t) = site.shell(i).await;
        configure(&mut t).await;
        terms.push((h, t));
    }
    let (a1, a2) = (site.addr(1), site.addr(2));
    // cms2 joins cms1, which is not a cluster primary.
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    let c2 = site.ctl(2);
    assert_eq!(c2.db_role(), DbRole::Joining);
    wait_for("failed join", || c2.db_role() == DbRole::Error).await;
    assert!(c2.db_cluster_members().is_empty());
    let mut failed = vec![
        format!("ERROR                    : {a1} is not a database cluster primary"),
        "Status                   : Error".to_string(),
        "Interface                : a".to_string(),
    ];
    failed.extend(CERT_LINES.iter().map(|s| s.to_string()));
    failed.push(format!(
        "Last command             : 'database cluster join {a1}' (Failed)"
    ));
    let failed: Vec<&str> = failed.iter().map(String::as_str).collect();
    assert_eq!(
        terms[1].1.cmd("database cluster status").await,
        crlf(&failed)
    );

    // Nobody at that address.
    join(&mut terms[1].1, "cms2> ", "join", "127.77.14.99").await;
    wait_for("failed join", || c2.db_role() == DbRole::Error).await;
    assert!(terms[1]
        .1
        .cmd("database cluster status")
        .await
        .starts_with("ERROR                    : unable to contact 127.77.14.99\r\n"));

    // The primary's database is stopped.
    initialize(&mut terms[0].1, "cms1> ").await;
    site.ctl(1).stop_database();
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    wait_for("failed join", || c2.db_role() == DbRole::Error).await;
    assert_eq!(
        c2.db_last_command().unwrap().1,
        "Failed",
        "{:?}",
        c2.db_last_command()
    );
    site.ctl(1).start_database();
    assert_eq!(site.ctl(1).db_role(), DbRole::Primary);

    // A failed node may join again; the clear error command resets it.
    join(&mut terms[2].1, "cms3> ", "join", &a2).await;
    wait_for("failed join", || site.ctl(3).db_role() == DbRole::Error).await;
    assert_eq!(terms[2].1.cmd("database cluster clear error").await, "");
    assert_eq!(site.ctl(3).db_role(), DbRole::Standalone);
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    wait_for("join", || c2.db_role() == DbRole::Replica).await;
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixth_database_node_is_refused_but_clients_may_connect() {
    let site = Site::start(15, 7).await;
    let mut terms = Vec::new();
    for i in 1..=7 {
        upload_certs(&site.ctl(i));
        let (h, mut t) = site.shell(i).await;
        configure(&mut t).await;
        terms.push((h, t));
    }
    let a1 = site.addr(1);
    initialize(&mut terms[0].1, "cms1> ").await;
    for i in 2..=5 {
        join(&mut terms[i - 1].1, &format!("cms{i}> "), "join", &a1).await;
    }
    wait_for("four replicas", || {
        (2..=5).all(|i| site.ctl(i).db_role() == DbRole::Replica)
    })
    .await;
    join(&mut terms[5].1, "cms6> ", "join", &a1).await;
    wait_for("refused join", || site.ctl(6).db_role() == DbRole::Error).await;
    assert!(terms[5].1.cmd("database cluster status").await.starts_with(&format!(
        "ERROR                    : database cluster at {a1} already has 5 database nodes\r\nStatus                   : Error\r\n"
    )));

    let out = join(&mut terms[6].1, "cms7> ", "connect", &a1).await;
    assert_eq!(out, "Connecting to database cluster\r\n");
    let c7 = site.ctl(7);
    assert_eq!(c7.db_role(), DbRole::Joining);
    wait_for("client", || c7.db_role() == DbRole::Client).await;
    let status = terms[6].1.cmd("database cluster status").await;
    let me = format!(
        "    {:<21}: Connected Client\r\n",
        format!("{} (me)", site.addr(7))
    );
    assert!(status.contains(&me), "{status}");
    assert!(status.contains(&format!(
        "Last command             : 'database cluster connect {a1}' (Success)"
    )));
    assert_eq!(site.ctl(1).db_cluster_members().len(), 6);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_replicas_then_the_primary() {
    let site = Site::start(16, 3).await;
    let mut terms = Vec::new();
    for i in 1..=3 {
        upload_certs(&site.ctl(i));
        site.ctl(i).set_join_delay(Duration::from_millis(50));
        let (h, mut t) = site.shell(i).await;
        configure(&mut t).await;
        terms.push((h, t));
    }
    let a1 = site.addr(1);
    assert_eq!(
        terms[0].1.cmd("database cluster remove").await,
        "Failure: this node is not in a database cluster\r\n"
    );
    initialize(&mut terms[0].1, "cms1> ").await;
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    join(&mut terms[2].1, "cms3> ", "join", &a1).await;
    wait_for("replicas", || site.ctl(1).db_cluster_members().len() == 3).await;

    assert_eq!(terms[1].1.cmd("database cluster remove").await, "");
    assert_eq!(site.ctl(2).db_role(), DbRole::Standalone);
    let mut removed = vec![
        "Status                   : Disabled",
        "Interface                : a",
    ];
    removed.extend(CERT_LINES);
    removed.push("Last command             : 'database cluster remove' (Success)");
    assert_eq!(
        terms[1].1.cmd("database cluster status").await,
        crlf(&removed)
    );
    assert_eq!(
        site.ctl(1).db_cluster_members(),
        vec![a1.clone(), site.addr(3)]
    );

    // Behind terraform's back.
    assert!(site.ctl(3).leave_cluster_behind_the_back());
    assert!(!site.ctl(3).leave_cluster_behind_the_back());
    assert_eq!(site.ctl(3).db_role(), DbRole::Standalone);
    assert!(!site
        .ctl(3)
        .command_log()
        .contains(&"database cluster remove".to_string()));
    assert_eq!(
        site.ctl(3).db_last_command().unwrap().0,
        format!("database cluster join {a1}")
    );
    assert_eq!(site.ctl(1).db_cluster_members(), vec![a1.clone()]);

    assert_eq!(terms[0].1.cmd("database cluster remove").await, "");
    assert_eq!(site.ctl(1).db_role(), DbRole::Standalone);
    assert!(site.ctl(1).db_cluster_members().is_empty());

    // A primary leaving while a replica remains hands over to it.
    initialize(&mut terms[0].1, "cms1> ").await;
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    wait_for("replica", || site.ctl(2).db_role() == DbRole::Replica).await;
    assert_eq!(terms[0].1.cmd("database cluster remove").await, "");
    assert_eq!(site.ctl(2).db_role(), DbRole::Primary);
    assert_eq!(site.ctl(2).db_cluster_members(), vec![site.addr(2)]);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_and_the_old_primary_returns_as_replica() {
    let site = Site::start(17, 3).await;
    let mut terms = Vec::new();
    for i in 1..=3 {
        upload_certs(&site.ctl(i));
        let (h, mut t) = site.shell(i).await;
        configure(&mut t).await;
        terms.push((h, t));
    }
    let (a1, a2, a3) = (site.addr(1), site.addr(2), site.addr(3));
    initialize(&mut terms[0].1, "cms1> ").await;
    join(&mut terms[2].1, "cms3> ", "join", &a1).await;
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    let (c1, c2, c3) = (site.ctl(1), site.ctl(2), site.ctl(3));
    wait_for("replicas", || {
        c2.db_role() == DbRole::Replica && c3.db_role() == DbRole::Replica
    })
    .await;

    c1.stop_database();
    assert!(!c1.database_running());
    let status = terms[1].1.cmd("database cluster status").await;
    assert!(
        status.contains(&format!("    {a1:<21}: Disconnected Primary\r\n")),
        "{status}"
    );
    let own = terms[0].1.cmd("database cluster status").await;
    assert!(
        own.starts_with(
            "ERROR                    : local database not running\r\nStatus                   : Error\r\nNodes:\r\n"
        ),
        "{own}"
    );
    wait_for("failover", || c2.db_role() == DbRole::Primary).await;
    assert_eq!(c3.db_role(), DbRole::Replica);
    let status = terms[2].1.cmd("database cluster status").await;
    assert!(status.contains(&format!("    {a1:<21}: Disconnected Replica\r\n")));
    assert!(status.contains(&format!("    {a2:<21}: Connected Primary\r\n")));
    assert!(status.contains(&format!("Node in use              : {a2}\r\n")));

    c1.start_database();
    assert!(c1.database_running());
    assert_eq!(c1.db_role(), DbRole::Joining);
    let status = terms[0].1.cmd("database cluster status").await;
    assert!(
        status.contains(&format!(
            "    {:<21}: Connecting Replica\r\n",
            format!("{a1} (me)")
        )),
        "{status}"
    );
    wait_for("old primary in sync", || c1.db_role() == DbRole::Replica).await;
    let status = terms[0].1.cmd("database cluster status").await;
    assert!(status.starts_with("Status                   : Enabled\r\n"));
    assert!(status.contains(&format!(
        "    {:<21}: Connected Replica ( In Sync )\r\n",
        format!("{a1} (me)")
    )));
    assert!(status.contains(&format!("Node in use              : {a2}\r\n")));
    assert_eq!(c1.db_cluster_members(), vec![a1, a2, a3]);
    site.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_that_never_completes_and_faults() {
    let site = Site::start(18, 2).await;
    let mut terms = Vec::new();
    for i in 1..=2 {
        upload_certs(&site.ctl(i));
        site.ctl(i).set_join_delay(Duration::from_millis(50));
        let (h, mut t) = site.shell(i).await;
        configure(&mut t).await;
        terms.push((h, t));
    }
    let a1 = site.addr(1);
    let c2 = site.ctl(2);
    initialize(&mut terms[0].1, "cms1> ").await;
    c2.set_join_never_completes(true);
    join(&mut terms[1].1, "cms2> ", "join", &a1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(c2.db_role(), DbRole::Joining);
    assert!(terms[1]
        .1
        .cmd("database cluster status")
        .await
        .contains(&format!(
            "Last command             : 'database cluster join {a1}' (In progress)\r\n"
        )));
    c2.set_join_never_completes(false);
    assert_eq!(c2.db_role(), DbRole::Replica);

    // A drop fault on join: the answer is applied, then the connection is cut.
    assert_eq!(terms[1].1.cmd("database cluster remove").await, "");
    c2.drop_connection_after("database cluster join", 1);
    let t = &mut terms[1].1;
    t.send(&format!("database cluster join {a1}\r")).await;
    t.read_until(CONFIRM_PROMPT).await;
    t.send("y\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert_eq!(
        c2.db_last_command().unwrap().0,
        format!("database cluster join {a1}")
    );
    wait_for("join", || c2.db_role() == DbRole::Replica).await;

    // drop before: nothing asked, nothing applied.
    let (_h, mut t) = site.shell(1).await;
    site.ctl(1)
        .drop_connection_before("database cluster remove", 1);
    t.send("database cluster remove\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert_eq!(site.ctl(1).db_role(), DbRole::Primary);

    // exec cannot answer the question.
    let h = login(site.nodes[0].addr()).await;
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "database cluster initialize").await.unwrap();
    let mut out = Vec::new();
    while let Some(msg) = tokio::time::timeout(TIMEOUT, ch.wait()).await.unwrap() {
        if let russh::ChannelMsg::Data { data } = msg {
            out.extend_from_slice(&data);
        }
    }
    assert!(String::from_utf8(out).unwrap().starts_with("Failure: "));
    assert_eq!(site.ctl(1).db_role(), DbRole::Primary);
    site.stop().await;
}
