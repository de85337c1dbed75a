//! MySQL over TLS against a real MariaDB 10.11 whose admin account is `REQUIRE SSL`
//! ([`XopServer::enable_tls`]; a plain login is refused, so a working session proves TLS):
//! the provider's transport (`uccluster::transport::mysql`) with the right CA, without one,
//! with an unrelated CA and with a name the certificate does not carry; then
//! `xop_replication_member` with `mysql { tls_ca_file }` through real Terraform.

use std::path::Path;
use std::time::Duration;

use uccluster::devices::xop::replication::Row;
use uccluster::transport::mysql::{MysqlPool, MysqlTarget};
use uccluster::transport::TransportError;
use uccluster_harness::*;
use uccluster_lab::xop::{Sshd, XopServer, XopServerSpec};

/// The admin password of the lab's server, given once in the provider block.
fn admin_password() -> String {
    test_secret("mysql-admin")
}

/// A TLS-only appliance `xop1` in `dir/xop1` (its sshd in `dir/sshd`).
async fn tls_server(dir: &Path) -> (Sshd, XopServer) {
    let sshd = Sshd::start(&dir.join("sshd"))
        .await
        .expect("sshd starts (make tools installs openssh-server)");
    let spec = XopServerSpec {
        name: "xop1".into(),
        server_id: 1,
    };
    let mut server =
        XopServer::start_with_admin_password(&spec, &dir.join("xop1"), &sshd, &admin_password())
            .await
            .expect("MariaDB starts");
    server
        .enable_tls()
        .await
        .expect("TLS on (make tools installs openssl)");
    (sshd, server)
}

/// The server's admin account at `host`, verified against `ca` (`None`: plain TCP).
fn target(server: &XopServer, host: &str, ca: Option<&Path>) -> MysqlTarget {
    MysqlTarget {
        host: host.into(),
        port: server.mysql_port(),
        user: server.admin_user().into(),
        password: admin_password(),
        tls_ca_file: ca.map(Path::to_path_buf),
        connect_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(10),
    }
}

/// `statement` on a fresh pool (a new connection, as in a new provider process).
async fn query(target: &MysqlTarget, statement: &str) -> Result<Vec<Row>, TransportError> {
    MysqlPool::default()
        .session(target)
        .await
        .query(statement)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_speaks_tls_only_to_a_server_the_ca_vouches_for() {
    let dir = tempfile::tempdir().unwrap();
    let (_sshd, server) = tls_server(dir.path()).await;
    let ca = server.tls_ca_path().unwrap();
    let other_ca = server.other_ca_path().unwrap();
    let endpoint = format!("mysql://xopadmin@127.0.0.1:{}", server.mysql_port());

    // The right CA: an encrypted session, as the admin.
    let right = target(&server, "127.0.0.1", Some(ca));
    let rows = query(
        &right,
        "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')",
    )
    .await
    .unwrap();
    let status = |name: &str| {
        rows.iter()
            .find(|r| r.get("Variable_name").cloned().flatten().as_deref() == Some(name))
            .and_then(|r| r.get("Value").cloned().flatten())
            .unwrap_or_default()
    };
    assert!(!status("Ssl_cipher").is_empty(), "{rows:?}");
    assert!(status("Ssl_version").starts_with("TLSv1."), "{rows:?}");
    let rows = query(&right, "SELECT CURRENT_USER() AS u").await.unwrap();
    assert_eq!(rows[0]["u"].as_deref(), Some("xopadmin@%"));

    // No CA: plain TCP, which the server refuses for this account (a refused login, not a
    // server that is down: not retried).
    let plain = target(&server, "127.0.0.1", None);
    let e = query(&plain, "SELECT 1").await.unwrap_err();
    assert!(e.to_string().contains(&endpoint), "{e}");
    assert!(!e.is_retryable() && !e.is_unreachable(), "{e:?}");

    // An unrelated CA: the handshake fails on the certificate, naming the endpoint.
    let e = query(&target(&server, "127.0.0.1", Some(other_ca)), "SELECT 1")
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(message.contains(&endpoint), "{message}");
    assert!(
        message.contains("invalid peer certificate: UnknownIssuer"),
        "{message}"
    );

    // The right CA but a name the certificate does not carry (it names IP 127.0.0.1 only):
    // the name is checked, not just the chain.
    let e = query(&target(&server, "localhost", Some(ca)), "SELECT 1")
        .await
        .unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "mysql://xopadmin@localhost:{}",
            server.mysql_port()
        )),
        "{message}"
    );
    assert!(
        message.contains(r#"certificate not valid for name "localhost""#),
        "{message}"
    );

    // The server side agrees: TLS is on and the admin requires it.
    let rows = server
        .sql("SELECT @@have_ssl, ssl_type FROM mysql.user WHERE User = 'xopadmin'")
        .await
        .unwrap();
    assert_eq!(rows, [vec![Some("YES".into()), Some("ANY".into())]]);
}

/// A login refused with MySQL error 1045 keeps the server's reason, and without `tls_ca_file`
/// the hint says the account may require TLS (here: `REQUIRE SSL`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_plain_login_keeps_the_servers_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_sshd, server) = tls_server(dir.path()).await;
    let e = query(&target(&server, "127.0.0.1", None), "SELECT 1")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("Access denied for user 'xopadmin'@'127.0.0.1'"),
        "the server's reason is lost: {e}"
    );
}

/// A certificate that fails verification is its own error, never retried and not taken for an
/// unreachable server (the TLS form of an untrusted host key), worded by rustls alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_failure_is_not_retried_as_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let (_sshd, server) = tls_server(dir.path()).await;
    let other = target(&server, "127.0.0.1", server.other_ca_path());
    let e = query(&other, "SELECT 1").await.unwrap_err();
    assert!(e.to_string().contains("UnknownIssuer"), "{e}");
    assert!(
        !e.is_retryable() && !e.is_unreachable(),
        "an untrusted certificate is retried as an unreachable server: {e:?}"
    );
    assert_eq!(
        e.to_string().matches("Input/output error").count(),
        0,
        "{e}"
    );
}

/// A `tls_ca_file` that does not exist is named, and not retried like a server that is down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_ca_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (_sshd, server) = tls_server(dir.path()).await;
    let missing = dir.path().join("no-such-ca.pem");
    let e = query(&target(&server, "127.0.0.1", Some(&missing)), "SELECT 1")
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "the error does not name the file: {e}"
    );
    assert!(!e.is_retryable(), "{e:?}");
}

/// The pool never hands a connection made for one target to a target with other TLS settings:
/// a target whose CA does not vouch for the server gets no session, even after a good one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_does_not_share_a_connection_across_tls_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (_sshd, server) = tls_server(dir.path()).await;
    let pool = MysqlPool::default();
    let right = target(&server, "127.0.0.1", server.tls_ca_path());
    pool.session(&right).await.query("SELECT 1").await.unwrap();
    let other = target(&server, "127.0.0.1", server.other_ca_path());
    let result = pool.session(&other).await.query("SELECT 1").await;
    assert!(
        result.is_err(),
        "a target whose CA does not vouch for the server got a session: {result:?}"
    );
}

/// A primary member of `s` whose `mysql` block has `mysql_extra` (e.g. `tls_ca_file`).
fn primary_member(s: &XopServer, mysql_extra: &str) -> String {
    format!(
        r#"resource "xop_replication_member" "{name}" {{
  name         = "{name}"
  role         = "primary"
  server_id    = 1
  cluster_size = 2
{host}  mysql {{
    port = {port}
{mysql_extra}  }}
  timeouts {{
    create = "60s"
  }}
}}
"#,
        name = s.name(),
        host = xop_host_block(s),
        port = s.mysql_port(),
    )
}

/// The member's apply error ("not created" when nothing was changed yet, else "not in place").
fn failed_to_apply(text: &str) -> bool {
    text.contains("Error: Replication member xop1 not created")
        || text.contains("Error: Replication member xop1 not in place")
}

fn tls_ca(path: &Path) -> String {
    format!("    tls_ca_file = \"{}\"\n", path.display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_over_tls_applies_replans_empty_and_destroys_and_a_wrong_ca_fails() {
    on_each_terraform("xop-mysql-tls", |tf| async move {
        let (sshd, server) = tls_server(&tf.dir).await;
        let provider = xop_provider(&sshd, server.admin_user(), &hcl_string(&admin_password()));
        let endpoint = format!("mysql://xopadmin@127.0.0.1:{}", server.mysql_port());
        let cnf_before = std::fs::read_to_string(server.my_cnf_path()).unwrap();
        let unchanged = |what: &str| {
            assert_eq!(
                std::fs::read_to_string(server.my_cnf_path()).unwrap(),
                cnf_before,
                "{what}: my.cnf changed"
            );
        };

        // The right CA: applies, re-plans empty, destroys; the lab's TLS lines stay.
        let config = format!(
            "{provider}\n{}",
            primary_member(&server, &tls_ca(server.tls_ca_path().unwrap()))
        );
        Protocol::new(&tf, config)
            .applied(async {
                let cnf = std::fs::read_to_string(server.my_cnf_path()).unwrap();
                assert!(
                    cnf.contains("# BEGIN uccluster xop_replication_member"),
                    "{cnf}"
                );
                assert!(
                    cnf.contains(&format!(
                        "ssl-ca={}\n",
                        server.tls_ca_path().unwrap().display()
                    )),
                    "{cnf}"
                );
                let rows = server
                    .sql("SELECT @@server_id, @@log_bin, @@have_ssl")
                    .await
                    .unwrap();
                assert_eq!(
                    rows,
                    [vec![Some("1".into()), Some("1".into()), Some("YES".into())]]
                );
                let member = tf.resource_values("xop_replication_member.xop1").await;
                assert_eq!(
                    member["mysql"]["tls_ca_file"].as_str(),
                    server.tls_ca_path().unwrap().to_str(),
                    "{member}"
                );
            })
            .device_clean(async { unchanged("destroy") })
            .run()
            .await;

        // Without a CA the provider connects in plain text: refused, nothing changed.
        tf.write(
            "main.tf",
            &format!("{provider}\n{}", primary_member(&server, "")),
        );
        let out = tf.apply().await;
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(failed_to_apply(&out.text()), "{}", out.all());
        assert!(out.text().contains(&endpoint), "{}", out.all());
        unchanged("apply without tls_ca_file");

        // An unrelated CA: the apply fails on the certificate, naming it and the server.
        let tf = tf.sibling("xop-mysql-tls-other-ca");
        tf.write(
            "main.tf",
            &format!(
                "{provider}\n{}",
                primary_member(&server, &tls_ca(server.other_ca_path().unwrap()))
            ),
        );
        tf.init().await;
        let out = tf.apply().await;
        assert_eq!(out.code, 1, "{}", out.all());
        let text = out.text();
        assert!(failed_to_apply(&text), "{}", out.all());
        assert!(text.contains(&endpoint), "{}", out.all());
        assert!(
            text.contains("invalid peer certificate: UnknownIssuer"),
            "{}",
            out.all()
        );
        unchanged("apply with the other CA");
        server.stop().await;
    })
    .await;
}

/// `SHOW SLAVE STATUS` field of a lab server.
async fn slave_field(server: &XopServer, field: &str) -> Option<String> {
    server
        .slave_status()
        .await
        .unwrap()?
        .into_iter()
        .find(|(k, _)| k == field)
        .and_then(|(_, v)| v)
}

/// Wait (bounded) until `server` has the call_log row `v`.
async fn has_row(server: &XopServer, v: &str) -> bool {
    for _ in 0..100 {
        let rows = server
            .sql(&format!(
                "SELECT COUNT(*) FROM xopdb.call_log WHERE v = '{v}'"
            ))
            .await
            .unwrap();
        if rows[0][0].as_deref() == Some("1") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_replication_stream_is_encrypted_with_replication_tls_ca_path() {
    on_each_terraform("xop-repl-tls", |tf| async move {
    let (sshd, primary) = tls_server(&tf.dir).await;
    let spec = XopServerSpec {
        name: "xop2".into(),
        server_id: 2,
    };
    let secondary =
        XopServer::start_with_admin_password(&spec, &tf.dir.join("xop2"), &sshd, &admin_password())
            .await
            .expect("MariaDB starts");
    let ca = primary.tls_ca_path().unwrap().display().to_string();
    let config = format!(
        "{}\n{}\nresource \"xop_replication_member\" \"xop2\" {{\n  name                    = \"xop2\"\n  role                    = \"secondary\"\n  server_id               = 2\n  cluster_size            = 2\n  replication_password    = {}\n  replication_tls_ca_path = \"{ca}\"\n{}  mysql {{\n    port = {}\n  }}\n  primary {{\n    address     = \"127.0.0.1\"\n    port        = {}\n    tls_ca_file = \"{ca}\"\n  }}\n  depends_on = [xop_replication_member.xop1]\n}}\n",
        xop_provider(&sshd, primary.admin_user(), &hcl_string(&admin_password())),
        primary_member(&primary, &format!("    tls_ca_file = \"{ca}\"\n")),
        hcl_string(&test_secret("replication")),
        xop_host_block(&secondary),
        secondary.mysql_port(),
        primary.mysql_port(),
    );
    Protocol::new(&tf, config)
        .applied(async {
            assert_eq!(slave_field(&secondary, "Master_SSL_Allowed").await.as_deref(), Some("Yes"));
            assert_eq!(
                slave_field(&secondary, "Master_SSL_CA_File").await.as_deref(),
                Some(ca.as_str())
            );
        })
        // Proof it is encrypted: the replication account now requires TLS and rows still arrive.
        .step(Step::new("the replication account requires TLS").before(async {
            primary.sql("ALTER USER 'repl'@'%' REQUIRE SSL").await.unwrap();
            secondary.sql("STOP SLAVE; START SLAVE").await.unwrap();
            primary.sql("USE xopdb; INSERT INTO call_log(v) VALUES ('over-tls')").await.unwrap();
            assert!(has_row(&secondary, "over-tls").await);
        }))
        // TLS switched off by hand; the account refuses the plain stream. The plan shows it, the
        // apply puts TLS back, and what was written meanwhile arrives.
        .step(
            Step::drift("TLS switched off by hand", async {
                secondary.sql("STOP SLAVE; CHANGE MASTER TO MASTER_SSL=0; START SLAVE").await.unwrap();
                primary.sql("USE xopdb; INSERT INTO call_log(v) VALUES ('while-plain')").await.unwrap();
            })
            .plan(Plan::changes().shows(format!("+ replication_tls_ca_path = \"{ca}\"")))
            .apply(async { assert!(has_row(&secondary, "while-plain").await) })
            .empty_plan(),
        )
        .run()
        .await;
    secondary.stop().await;
    primary.stop().await;
    })
    .await;
}
