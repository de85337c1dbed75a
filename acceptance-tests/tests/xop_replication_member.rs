//! `xop_replication_member` with real Terraform, real MariaDB servers and a real OpenSSH sshd:
//! primary + two secondaries built from the seed's procedure, data flow checked row by row,
//! drift (stopped replica, edited my.cnf) planned and healed, the upgrade step
//! (`replication_enabled = false` then `true`), a primary that is down, validation, destroy; every
//! case on every Terraform found (`on_each_terraform`), the house protocol through `Protocol`.

use uccluster_harness::*;
use uccluster_lab::xop::{Sshd, XopServer, XopServerSpec};

/// The primary opens MySQL to the two secondaries' (documentation) addresses.
const FIREWALL: &str = "  firewall_allow = [\"192.0.2.12\", \"192.0.2.13\"]\n";

struct Site {
    tf: Tf,
    sshd: Sshd,
    servers: Vec<XopServer>,
}

fn member(
    s: &XopServer,
    role: &str,
    server_id: u32,
    primary: Option<&XopServer>,
    extra: &str,
) -> String {
    let primary_block = primary
        .map(|p| {
            format!(
                "  replication_password = var.replication_password\n  primary {{\n    address = \"127.0.0.1\"\n    port    = {}\n  }}\n  depends_on = [xop_replication_member.{}]\n",
                p.mysql_port(),
                p.name()
            )
        })
        .unwrap_or_default();
    format!(
        r#"resource "xop_replication_member" "{name}" {{
  name                 = "{name}"
  role                 = "{role}"
  server_id            = {server_id}
  cluster_size         = 3
{extra}{host}  mysql {{
    port = {port}
  }}
{primary_block}}}
"#,
        name = s.name(),
        host = xop_host_block(s),
        port = s.mysql_port(),
    )
}

/// The import ID of a lab server: every path that differs from the appliance's default (the
/// SSH port is the provider's, so the ID leaves it out).
/// The resource address of a lab server's member.
fn address(s: &XopServer) -> String {
    format!("xop_replication_member.{}", s.name())
}

/// One admin password for the lab's servers, given once in the provider block.
fn admin_password() -> String {
    test_secret("mysql-admin")
}

fn replication_password() -> String {
    test_secret("replication")
}

impl Site {
    async fn start(tf: Tf) -> Site {
        let sshd = Sshd::start(&tf.dir.join("sshd"))
            .await
            .expect("sshd starts (make tools installs openssh-server)");
        let mut servers = Vec::new();
        for (i, name) in ["xop1", "xop2", "xop3"].iter().enumerate() {
            let spec = XopServerSpec {
                name: name.to_string(),
                server_id: i as u32 + 1,
            };
            servers.push(
                XopServer::start_with_admin_password(
                    &spec,
                    &tf.dir.join(name),
                    &sshd,
                    &admin_password(),
                )
                .await
                .expect("MariaDB starts"),
            );
        }
        Site { tf, sshd, servers }
    }

    /// The documented layout: every secret in a sensitive variable (set in
    /// `secrets.auto.tfvars.json`), the MySQL admin account given once in the provider block.
    /// (With Terraform 1.0.3, a sensitive variable inside a resource's nested block crashes the
    /// plan of an update; the protocol test plans many updates with this layout, on 1.0.3 and
    /// on 1.11.4, which does not crash.)
    fn provider(&self) -> String {
        let secrets = serde_json::json!({
            "mysql_admin_password": admin_password(),
            "replication_password": replication_password(),
        });
        self.tf
            .write("secrets.auto.tfvars.json", &secrets.to_string());
        format!(
            "variable \"mysql_admin_password\" {{\n  type      = string\n  sensitive = true\n}}\n\nvariable \"replication_password\" {{\n  type      = string\n  sensitive = true\n}}\n\n{}",
            xop_provider(&self.sshd, self.servers[0].admin_user(), "var.mysql_admin_password")
        )
    }

    /// The three members; `primary_extra` goes into the primary, `secondary_extra` into both
    /// secondaries.
    fn config(&self, primary_extra: &str, secondary_extra: &str) -> String {
        let [p, s2, s3] = [&self.servers[0], &self.servers[1], &self.servers[2]];
        format!(
            "{}\n{}\n{}\n{}",
            self.provider(),
            member(p, "primary", 1, None, &format!("{FIREWALL}{primary_extra}")),
            member(s2, "secondary", 2, Some(p), secondary_extra),
            member(s3, "secondary", 3, Some(p), secondary_extra)
        )
    }

    /// Writes [`Site::config`] with nothing in the primary.
    fn write(&self, secondary_extra: &str) {
        self.tf.write("main.tf", &self.config("", secondary_extra));
    }

    async fn value(&self, server: usize, sql: &str) -> Vec<Vec<Option<String>>> {
        self.servers[server]
            .sql(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql} on {}: {e}", self.servers[server].name()))
    }

    async fn slave_field(&self, server: usize, field: &str) -> Option<String> {
        let status = self.servers[server].slave_status().await.unwrap()?;
        status
            .into_iter()
            .find(|(k, _)| k == field)
            .and_then(|(_, v)| v)
    }

    /// Wait (bounded) until a secondary has applied everything.
    /// Wait (bounded) until a secondary has executed everything the primary has logged so far.
    async fn caught_up(&self, server: usize) {
        let master = self.value(0, "SHOW MASTER STATUS").await;
        let (file, position) = (
            master[0][0].clone(),
            master[0][1]
                .clone()
                .unwrap_or_default()
                .parse::<u64>()
                .unwrap(),
        );
        for _ in 0..200 {
            let executed = self
                .slave_field(server, "Exec_Master_Log_Pos")
                .await
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(0);
            if self.slave_field(server, "Relay_Master_Log_File").await == file
                && executed >= position
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "{} did not catch up with {file:?}:{position}: {:?}",
            self.servers[server].name(),
            self.servers[server].slave_status().await
        );
    }

    /// Drop a member from the state and import it again by its ID.
    async fn reimport(&self, server: usize) {
        let s = &self.servers[server];
        self.tf.reimport(&address(s), &xop_import_id(s)).await;
    }

    async fn stop(self) {
        for s in self.servers {
            s.stop().await;
        }
    }
}

fn count(rows: &[Vec<Option<String>>]) -> String {
    rows[0][0].clone().unwrap_or_default()
}

/// `COUNT(*)` of `sql` on `server`.
async fn count_of(site: &Site, server: usize, sql: &str) -> String {
    count(&site.value(server, sql).await)
}

/// Writes call_log row `v` on `server`, with xopdb as the default database.
async fn insert(site: &Site, server: usize, v: &str) {
    site.value(
        server,
        &format!("USE xopdb; INSERT INTO call_log(v) VALUES ('{v}')"),
    )
    .await;
}

/// Waits until each secondary has executed everything, then checks it has one call_log row `v`.
async fn secondaries_have_row(site: &Site, v: &str, why: &str) {
    for s in [1, 2] {
        site.caught_up(s).await;
        let sql = format!("SELECT COUNT(*) FROM xopdb.call_log WHERE v = '{v}'");
        assert_eq!(count_of(site, s, &sql).await, "1", "{why}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_and_two_secondaries_replicate_heal_and_come_apart() {
    on_each_terraform("xop-protocol", |tf| async move {
        let site = Site::start(tf).await;
        let port = site.servers[0].mysql_port();
        let rule = |peer: &str| format!("-A INPUT -s {peer}/32 -p tcp -m tcp --dport {port} -j ACCEPT");
        let cnf = site.servers[2].my_cnf_path();
        let mut protocol = Protocol::new(&site.tf, site.config("", ""))
            .applied(async {
                // The managed section is in each my.cnf; everything else in the file is untouched.
                for s in &site.servers {
                    let cnf = std::fs::read_to_string(s.my_cnf_path()).unwrap();
                    assert!(cnf.starts_with("# XOP appliance my.cnf (uccluster lab)"), "{cnf}");
                    assert!(cnf.contains("# BEGIN uccluster xop_replication_member"), "{cnf}");
                }
                assert_eq!(site.slave_field(1, "Slave_IO_Running").await.as_deref(), Some("Yes"));
                assert_eq!(site.slave_field(2, "Slave_SQL_Running").await.as_deref(), Some("Yes"));

                // Data: xopdb replicates; xopdb_local and the seed's per-server tables do not.
                // Like XOP's applications, write with the database as the default one:
                // binlog-do-db/-ignore-db and replicate-do-db filter on it (real MariaDB
                // behaviour, reference/real-components.md).
                insert(&site, 0, "from-primary").await;
                site.value(0, "USE xopdb; INSERT INTO sessions(id) VALUES (42)").await;
                site.value(0, "USE xopdb_local; INSERT INTO settings(k, v) VALUES ('local', 'x')").await;
                secondaries_have_row(&site, "from-primary", "replicated").await;
                for s in [1, 2] {
                    assert_eq!(count_of(&site, s, "SELECT COUNT(*) FROM xopdb.sessions").await, "0", "ignored table");
                    assert_eq!(
                        count_of(&site, s, "SELECT COUNT(*) FROM xopdb_local.settings WHERE k = 'local'").await,
                        "0",
                        "local database"
                    );
                }
                // Auto-increment values never collide: each member allocates ids = its offset
                // modulo 3.
                for (s, offset) in [(0, 1), (1, 2), (2, 0)] {
                    let settings = site
                        .value(s, "SELECT @@auto_increment_increment, @@auto_increment_offset")
                        .await;
                    assert_eq!(settings[0][0].as_deref(), Some("3"));
                    let id: u64 = count_of(
                        &site,
                        s,
                        "USE xopdb; INSERT INTO call_log(v) VALUES ('own'); SELECT LAST_INSERT_ID()",
                    )
                    .await
                    .parse()
                    .unwrap();
                    assert_eq!(id % 3, offset, "{} allocates ids with its own offset", site.servers[s].name());
                }
            })
            // Each member dropped from the state and imported by its ID (the server's address
            // and paths; credentials come from the provider block).
            .refresh_before_import()
            .sensitive_variables();
        for s in &site.servers {
            protocol = protocol.import(&address(s), xop_import_id(s));
        }
        protocol
            // After an import, a resync_trigger the configuration has is adopted, not run: a row
            // only xop2 has (a resync would drop it) survives the apply.
            .step(
                Step::new("an imported member adopts its resync_trigger")
                    .before(async {
                        site.value(1, "INSERT INTO xopdb.call_log(v) VALUES ('only-on-xop2')").await;
                        site.reimport(1).await;
                    })
                    .config(site.config("", "  resync_trigger = \"2026-11\"\n"))
                    .plan(Plan::any().shows("resync_trigger of imported member xop2 adopted"))
                    .apply(async {
                        assert_eq!(
                            count_of(&site, 1, "SELECT COUNT(*) FROM xopdb.call_log WHERE v = 'only-on-xop2'").await,
                            "1",
                            "no resync ran"
                        );
                    }),
            )
            // A later change of the trigger is a request: both secondaries resync, by GTID, to
            // exactly the primary's rows (the row only xop2 had is gone).
            .step(
                Step::new("a changed resync_trigger resyncs")
                    .config(site.config("", "  resync_trigger = \"2026-12\"\n"))
                    .apply(async {
                        let primary_rows = count_of(&site, 0, "SELECT COUNT(*) FROM xopdb.call_log").await;
                        for s in [1, 2] {
                            site.caught_up(s).await;
                            assert_eq!(site.slave_field(s, "Using_Gtid").await.as_deref(), Some("Slave_Pos"));
                            assert_eq!(
                                count_of(&site, s, "SELECT COUNT(*) FROM xopdb.call_log").await,
                                primary_rows,
                                "{} resynced",
                                site.servers[s].name()
                            );
                        }
                    }),
            )
            .step(
                Step::new("the resync_trigger removed")
                    .config(site.config("", ""))
                    .apply(async {})
                    .empty_plan(),
            )
            // Firewall: one ACCEPT rule per peer on the primary's MySQL port; a rule deleted by
            // hand is drift, and the apply puts it back.
            .step(
                Step::drift("a firewall rule deleted", async {
                    let rules = site.servers[0].iptables_rules();
                    assert_eq!(rules.len(), 2, "{rules:?}");
                    assert!(rules.contains(&rule("192.0.2.13")));
                    // Saved, so they survive a reboot (the appliance's /etc/sysconfig/iptables).
                    assert_eq!(site.servers[0].saved_firewall_rules(), rules);
                    let deleted = std::process::Command::new(site.servers[0].iptables_command())
                        .args(["-D", "INPUT", "-p", "tcp", "-s", "192.0.2.13", "--dport", &port.to_string(), "-j", "ACCEPT"])
                        .status()
                        .unwrap();
                    assert!(deleted.success());
                })
                .plan(Plan::changes().shows(r#"+ "192.0.2.13""#))
                .apply(async { assert!(site.servers[0].iptables_rules().contains(&rule("192.0.2.13"))) })
                .empty_plan(),
            )
            .step(
                Step::drift("a replica stopped", async { site.value(1, "STOP SLAVE").await; })
                    .plan(Plan::changes().shows(r#"~ io_running = "No" -> "Yes""#))
                    .apply(async { assert_eq!(site.slave_field(1, "Slave_IO_Running").await.as_deref(), Some("Yes")) })
                    .empty_plan(),
            )
            .step(
                Step::drift("the managed section edited by hand", async {
                    let edited = std::fs::read_to_string(&cnf)
                        .unwrap()
                        .replace("auto_increment_increment=3", "auto_increment_increment=2");
                    std::fs::write(&cnf, edited).unwrap();
                })
                .plan(Plan::any().shows("my_cnf_section"))
                .apply(async {
                    assert!(std::fs::read_to_string(&cnf).unwrap().contains("auto_increment_increment=3"));
                })
                .empty_plan(),
            )
            // The state says the member is ours, so the plan is an update that writes it again
            // (not a create that would refuse a server "set up outside this resource").
            .step(
                Step::drift("the managed section deleted from a secondary", async {
                    let whole = std::fs::read_to_string(&cnf).unwrap();
                    let end_marker = "# END uccluster xop_replication_member\n";
                    let begin = whole.find("# BEGIN uccluster").unwrap();
                    let end = whole.find(end_marker).unwrap() + end_marker.len();
                    std::fs::write(&cnf, format!("{}{}", &whole[..begin], &whole[end..])).unwrap();
                })
                .plan(
                    Plan::changes()
                        .update("xop_replication_member.xop3")
                        .shows("xop_replication_member.xop3 will be updated in-place")
                        .shows("+ my_cnf_section")
                        .shows("Plan: 0 to add, 1 to change, 0 to destroy."),
                )
                .apply(async {
                    assert!(std::fs::read_to_string(&cnf)
                        .unwrap()
                        .contains("# BEGIN uccluster xop_replication_member"));
                })
                .empty_plan(),
            )
            // The replication account the primary keeps (with replication_password set there
            // too), dropped by hand: the plan shows it and the apply creates it again, before a
            // secondary's next reconnect would fail.
            .step(
                Step::new("the primary keeps the replication account")
                    .config(site.config("  replication_password = var.replication_password\n", ""))
                    .apply(async {})
                    .empty_plan(),
            )
            .step(
                Step::drift("the replication account dropped", async {
                    site.value(0, "DROP USER 'repl'@'%'").await;
                })
                .plan(Plan::changes().shows(r#"~ replication_account = "missing" -> "present""#))
                .apply(async {
                    assert_eq!(
                        count_of(&site, 0, "SELECT COUNT(*) FROM mysql.user WHERE User = 'repl' AND Host = '%'").await,
                        "1"
                    );
                })
                .empty_plan(),
            )
            // The secondaries log in with it again and receive what the primary writes next.
            .step(Step::new("the secondaries log in again").before(async {
                for s in [1, 2] {
                    site.value(s, "STOP SLAVE; START SLAVE").await;
                }
                insert(&site, 0, "after-account").await;
                secondaries_have_row(&site, "after-account", "replicated").await;
            }))
            // Upgrade choreography: replication stopped, then started and verified.
            .step(
                Step::new("replication stopped for an upgrade")
                    .config(site.config("", "  replication_enabled = false\n"))
                    .apply(async { assert_eq!(site.slave_field(1, "Slave_IO_Running").await.as_deref(), Some("No")) })
                    .empty_plan(),
            )
            .step(
                Step::new("replication started after the upgrade")
                    .before(insert(&site, 0, "during-upgrade"))
                    .config(site.config("", ""))
                    .apply(secondaries_have_row(&site, "during-upgrade", "nothing lost"))
                    .empty_plan(),
            )
            // Replicas reset, sections gone, the replication account dropped.
            .device_clean(async {
                for s in &site.servers {
                    let cnf = std::fs::read_to_string(s.my_cnf_path()).unwrap();
                    assert!(!cnf.contains("BEGIN uccluster"), "{cnf}");
                    assert!(s.slave_status().await.unwrap().is_none(), "{} is no replica", s.name());
                }
                assert!(site.servers[0].iptables_rules().is_empty(), "firewall rules removed");
                assert!(site.servers[0].saved_firewall_rules().is_empty(), "and saved without them");
                assert_eq!(count_of(&site, 0, "SELECT COUNT(*) FROM mysql.user WHERE user = 'repl'").await, "0");
            })
            .run()
            .await;
        site.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_down_is_a_clear_error_and_a_reapply_converges() {
    on_each_terraform("xop-down", |tf| async move {
        let site = Site::start(tf).await;
        site.write("");
        site.tf.init().await;
        site.tf.apply_ok().await;
        site.servers[0].stop_mysql().await;
        site.write("  replication_user = \"repl2\"\n");
        let out = site.tf.apply().await;
        out.assert_error(&[
            &format!("127.0.0.1:{}", site.servers[0].mysql_port()),
            "Replication member xop2 not in place",
        ]);
        site.servers[0].start_mysql().await;
        site.tf.apply_ok().await;
        assert_eq!(
            site.slave_field(1, "Master_User").await.as_deref(),
            Some("repl2")
        );
        assert_eq!(
            site.slave_field(2, "Slave_IO_Running").await.as_deref(),
            Some("Yes")
        );
        site.tf.assert_empty_plan().await;
        site.stop().await;
    })
    .await;
}

/// The table of bad inputs: each is refused by `terraform validate` (which never reaches a
/// device) with its summary, its detail and the configuration line of the attribute at fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_at_plan_time() {
    on_each_terraform("xop-validate", |tf| async move {
    let provider = |extra: &str| {
        format!("terraform {{\n  required_providers {{\n    xop = {{\n      source = \"uccluster/xop\"\n    }}\n  }}\n}}\nprovider \"xop\" {{\n  password = \"x-unused-x\"\n{extra}}}\n")
    };
    // `host` and `mysql` lines are given whole, so a case can replace them.
    let member = |body: &str, host: &str, mysql: &str| {
        format!("resource \"xop_replication_member\" \"m\" {{\n  name                 = \"m\"\n  replication_password = \"pw-123456\"\n{body}  host {{\n    address = \"127.0.0.1\"\n{host}  }}\n  mysql {{\n{mysql}  }}\n}}\n")
    };
    let resource = |body: &str| member(body, "", "");
    let primary = "  primary {\n    address = \"127.0.0.9\"\n  }\n";
    let secondary = |extra: &str| {
        resource(&format!(
            "  role = \"secondary\"\n  server_id = 2\n  cluster_size = 2\n{extra}{primary}"
        ))
    };
    let p = |extra: &str| {
        resource(&format!(
            "  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n{extra}"
        ))
    };
    // (provider extra, resource, summary, detail, the line Terraform points at)
    let cases: Vec<(String, String, &str, &str, &str)> = vec![
        (String::new(), resource("  role = \"primary\"\n  server_id = 3\n  cluster_size = 2\n"), "auto_increment_offset larger than the increment", "server_id", "server_id = 3"),
        (String::new(), resource("  role = \"secondary\"\n  server_id = 2\n  cluster_size = 2\n"), "Secondary without a primary", "role", "role = \"secondary\""),
        (String::new(), secondary("  ignored_databases = [\"xopdb\"]\n"), "Database both replicated and ignored", "xopdb", "ignored_databases"),
        (String::new(), resource("  role = \"leader\"\n  server_id = 1\n  cluster_size = 2\n"), "Invalid role", "leader", "role = \"leader\""),
        (String::new(), p("  auto_increment_offset = 5\n"), "auto_increment_offset larger than the increment", "auto_increment_offset", "auto_increment_offset = 5"),
        // Numbers the server refuses (its ranges).
        (String::new(), resource("  role = \"primary\"\n  server_id = 5000000000\n  cluster_size = 2\n"), "Value out of range", "between 1 and 4294967295", "server_id = 5000000000"),
        (String::new(), resource("  role = \"primary\"\n  server_id = 1\n  cluster_size = 70000\n"), "Value out of range", "between 1 and 65535", "cluster_size = 70000"),
        (String::new(), p("  expire_logs_days = -1\n"), "Value out of range", "between 0 and 99", "expire_logs_days = -1"),
        (String::new(), p("  innodb_flush_log_at_trx_commit = 7\n"), "Value out of range", "between 0 and 3", "innodb_flush_log_at_trx_commit = 7"),
        (String::new(), p("  max_binlog_size = \"lots\"\n"), "Invalid value", "is not a size", "max_binlog_size = \"lots\""),
        (String::new(), p("  max_binlog_size = \"2G\"\n"), "Invalid value", "between 4096 bytes and 1G", "max_binlog_size = \"2G\""),
        // Values that would add lines to my.cnf (option injection) or are not identifiers.
        (String::new(), p("  replicated_databases = [\"xopdb\\nmax_connections=77\"]\n"), "Invalid value", "contains '\\n'", "replicated_databases"),
        (String::new(), p("  replicated_databases = [\"\"]\n"), "Invalid value", "must be 1 to 64 characters", "replicated_databases = [\"\"]"),
        (String::new(), secondary("  ignored_tables = [\"xopdb.t\\nskip-grant-tables\"]\n"), "Invalid value", "contains '\\n'", "ignored_tables"),
        (String::new(), secondary("  ignored_tables = [\"sessions\"]\n"), "Invalid value", "<database>.<table>", "ignored_tables"),
        (String::new(), p("  log_bin = \"bin\\nskip-grant-tables\"\n"), "Invalid value", "binlog base name", "log_bin"),
        (String::new(), p("  replication_user = \"repl\\nx\"\n"), "Invalid value", "'\\n' is not allowed", "replication_user"),
        // Connection settings that reach the device.
        (String::new(), member("  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n", "", "    port = 70000\n"), "Invalid port", "between 1 and 65535, got 70000", "port = 70000"),
        (String::new(), member("  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n", "    port = 0\n", ""), "Invalid port", "got 0", "port = 0"),
        (String::new(), resource("  role = \"secondary\"\n  server_id = 2\n  cluster_size = 2\n  primary {\n    address = \"\"\n  }\n"), "Invalid value", "neither an IP address nor a valid host name", "address = \"\""),
        (String::new(), resource("  role = \"secondary\"\n  server_id = 2\n  cluster_size = 2\n  primary {\n    address = \"127.0.0.9\"\n    port = 0\n  }\n"), "Invalid port", "got 0", "port = 0"),
        (String::new(), p("  firewall_allow = [\"not an address\"]\n"), "Invalid value", "not an IPv4 address or network", "firewall_allow"),
        (String::new(), p("  firewall_allow = [\"10.0.0.5/24\"]\n"), "Invalid value", "10.0.0.0/24", "firewall_allow"),
        (String::new(), member("  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n", "    username = \"root\\nx\"\n", ""), "Invalid username", "contains '\\n'", "username"),
        (String::new(), member("  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n", "    my_cnf_path = \"etc/my.cnf\"\n", ""), "Invalid value", "not an absolute path", "my_cnf_path = \"etc/my.cnf\""),
        (String::new(), member("  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n", "    restart_command = \"service mysqld restart\\nreboot\"\n", ""), "Invalid value", "control character", "restart_command"),
        (String::new(), member("  role = \"primary\"\n  server_id = 1\n  cluster_size = 2\n", "", "    admin_user = \"root'x\"\n"), "Invalid value", "is not allowed", "admin_user"),
        // Durations: overflowing parts, out of bounds, zero.
        (String::new(), p("  timeouts {\n    read = \"18446744073709551615s1s\"\n  }\n"), "Invalid timeout", "too large", "read = \"18446744073709551615s1s\""),
        (String::new(), p("  timeouts {\n    create = \"9999999999999999999s\"\n  }\n"), "Invalid timeout", "out of range", "create = \"9999999999999999999s\""),
        (String::new(), p("  timeouts {\n    create = \"0s\"\n  }\n"), "Invalid timeout", "between 1s and 168h", "create = \"0s\""),
        // The provider block.
        ("  username = \"root\\nx\"\n".into(), p(""), "Invalid value", "contains '\\n'", "username"),
        ("  private_key = \"not a key\"\n".into(), p(""), "Invalid private key", "not a usable OpenSSH or PEM private key", "private_key"),
        ("  command_timeout = \"18446744073709551615s1s\"\n".into(), p(""), "Invalid duration", "too large", "command_timeout"),
        ("  connect_timeout = \"0s\"\n".into(), p(""), "Invalid duration", "between 1s and 10m", "connect_timeout"),
        ("  mysql_admin_user = \"root\\nx\"\n".into(), p(""), "Invalid value", "is not allowed", "mysql_admin_user"),
    ];
    let cases: Vec<Invalid> = cases
        .into_iter()
        .flat_map(|(provider_extra, resource, summary, detail, line)| {
            Invalid::after(&provider(&provider_extra), [(resource, summary, detail, line)])
        })
        .collect();
    assert_all_invalid(&tf, &cases).await;
    })
    .await;
}

/// Secondaries whose updates give up after a minute, so a failing case cannot hang the suite.
/// Bounded updates, and replication by binlog file and position (the seed's way; the protocol
/// test covers the GTID resync): the resync's dump then sets the coordinates itself.
const BOUNDED: &str = "  gtid = \"off\"\n  timeouts {\n    update = \"60s\"\n  }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_key_break_shows_last_error_and_resync_heals_without_losing_rows() {
    on_each_terraform("xop-resync", |tf| async move {
        let site = Site::start(tf).await;
        site.write(BOUNDED);
        site.tf.init().await;
        site.tf.apply_ok().await;

        // 100k rows in xopdb (MariaDB's sequence engine), replicated normally.
        site.value(
            0,
            "USE xopdb; INSERT INTO call_log(v) SELECT CONCAT('row-', seq) FROM seq_1_to_100000",
        )
        .await;
        site.caught_up(1).await;
        // Break: the same key written on the secondary first, then on the primary.
        site.value(
            1,
            "USE xopdb; INSERT INTO call_log(id, v) VALUES (900001, 'secondary-only')",
        )
        .await;
        site.value(
            0,
            "USE xopdb; INSERT INTO call_log(id, v) VALUES (900001, 'primary-row')",
        )
        .await;
        for _ in 0..50 {
            if site.slave_field(1, "Slave_SQL_Running").await.as_deref() == Some("No") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        site.tf.refresh().await;
        let state = site.tf.resource_values("xop_replication_member.xop2").await;
        assert_eq!(state["sql_running"], "No");
        assert!(
            state["last_error"]
                .as_str()
                .unwrap_or_default()
                .contains("Duplicate entry '900001'"),
            "{state}"
        );
        let plan = site.tf.plan().await;
        assert!(
            plan.text().contains(r#"~ sql_running = "No" -> "Yes""#),
            "{}",
            plan.stdout
        );

        // Starting the replica again cannot fix it: the apply says so, with the server's words.
        let out = site.tf.apply().await;
        out.assert_error(&["Duplicate entry '900001'", "set resync_trigger"]);

        // The resync heals it: every primary row, the per-server table untouched.
        let local_before = site
            .value(
                1,
                "SELECT value FROM xopdb.system_parms WHERE name = 'hostname'",
            )
            .await;
        let members = format!(
            "{}\n{}\n{}\n{}",
            site.provider(),
            member(&site.servers[0], "primary", 1, None, FIREWALL),
            member(
                &site.servers[1],
                "secondary",
                2,
                Some(&site.servers[0]),
                &format!("{BOUNDED}  resync_trigger = \"2026-11-23\"\n")
            ),
            member(
                &site.servers[2],
                "secondary",
                3,
                Some(&site.servers[0]),
                BOUNDED
            )
        );
        site.tf.write("main.tf", &members);
        let started = std::time::Instant::now();
        site.tf.apply_ok().await;
        eprintln!(
            "resync of a 100k-row table (plan + apply) took {:?}",
            started.elapsed()
        );
        site.caught_up(1).await;
        let primary_rows = count_of(&site, 0, "SELECT COUNT(*) FROM xopdb.call_log").await;
        assert_eq!(
            count_of(&site, 1, "SELECT COUNT(*) FROM xopdb.call_log").await,
            primary_rows,
            "no row lost"
        );
        assert_eq!(
            site.slave_field(1, "Using_Gtid").await.as_deref(),
            Some("No"),
            "resynced by file and position"
        );
        assert_eq!(
            count_of(&site, 1, "SELECT v FROM xopdb.call_log WHERE id = 900001").await,
            "primary-row"
        );
        assert_eq!(
            site.value(
                1,
                "SELECT value FROM xopdb.system_parms WHERE name = 'hostname'"
            )
            .await,
            local_before,
            "local table kept"
        );
        insert(&site, 0, "after-resync").await;
        site.caught_up(1).await;
        assert_eq!(
            count_of(
                &site,
                1,
                "SELECT COUNT(*) FROM xopdb.call_log WHERE v = 'after-resync'"
            )
            .await,
            "1"
        );
        site.tf.assert_empty_plan().await;
        site.stop().await;
    })
    .await;
}

/// xop2 and xop3 with their cluster addresses and the primary's shell (for `sysconf member`),
/// replicating from the primary at `primary_address`; xop2 by GTID, xop3 with `xop3_gtid`.
fn network_config(
    site: &Site,
    primary_address: &str,
    xop2_address: &str,
    xop3_id: u32,
    xop3_gtid: &str,
) -> String {
    let [p, s2, s3] = [&site.servers[0], &site.servers[1], &site.servers[2]];
    let primary_host = format!(
        "  primary_host {{\n    address         = \"127.0.0.1\"\n    sysconf_command = \"{}\"\n  }}\n",
        p.sysconf_command()
    );
    // The secondaries' own sysconf (their hosts entry for the primary).
    let own_sysconf = |s: &XopServer, text: String| {
        text.replace(
            "    iptables_command",
            &format!(
                "    sysconf_command = \"{}\"\n    iptables_command",
                s.sysconf_command()
            ),
        )
    };
    let with_primary_at = |text: String| {
        text.replace(
            "  primary {\n    address = \"127.0.0.1\"",
            &format!("  primary {{\n    address = \"{primary_address}\""),
        )
    };
    let primary = member(p, "primary", 1, None, FIREWALL).replace(
        "  mysql {\n",
        &format!("  mysql {{\n    address = \"{primary_address}\"\n"),
    );
    let s2_text = member(
        s2,
        "secondary",
        2,
        Some(p),
        &format!("  cluster_address = \"{xop2_address}\"\n{primary_host}"),
    );
    let s3_text = member(
        s3,
        "secondary",
        xop3_id,
        Some(p),
        &format!("  cluster_address = \"192.0.2.13\"\n  gtid            = \"{xop3_gtid}\"\n{primary_host}"),
    );
    format!(
        "{}\n{}\n{}\n{}",
        site.provider(),
        primary,
        with_primary_at(own_sysconf(s2, s2_text)),
        with_primary_at(own_sysconf(s3, s3_text))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_change_follows_the_seed_and_server_ids_must_differ() {
    on_each_terraform("xop-network", |tf| async move {
    let mut site = Site::start(tf).await;
    site.tf.write(
        "main.tf",
        &network_config(&site, "127.0.0.1", "192.0.2.12", 3, "off"),
    );
    site.tf.init().await;
    site.tf.apply_ok().await;
    site.tf.assert_empty_plan().await;
    assert!(
        site.servers[0].sysconf_calls().is_empty(),
        "create runs no network step"
    );

    // A server id shared with the primary, or with another replica, is refused before the
    // member changes; state and server stay as they were.
    for (id, says) in [
        (1, "server_id 1 is the primary's server-id too"),
        (2, "server_id 2 is already used by replica \"xop2\""),
    ] {
        site.tf.write(
            "main.tf",
            &network_config(&site, "127.0.0.1", "192.0.2.12", id, "off"),
        );
        let out = site.tf.apply().await;
        out.assert_error(&[says]);
        assert_eq!(
            count_of(&site, 2, "SELECT @@server_id").await,
            "3",
            "xop3 untouched"
        );
    }
    site.tf.write(
        "main.tf",
        &network_config(&site, "127.0.0.1", "192.0.2.12", 3, "off"),
    );
    site.tf.assert_empty_plan().await;

    // xop2 was re-addressed at its console (seed steps 4-6): the primary's hosts entry and HA
    // membership follow, in the seed's order.
    let hostname = count_of(&site, 1, "SELECT @@hostname").await;
    site.tf.write(
        "main.tf",
        &network_config(&site, "127.0.0.1", "192.0.2.22", 3, "off"),
    );
    let plan = site.tf.plan().await;
    assert!(
        plan.text()
            .contains(r#"~ cluster_address = "192.0.2.12" -> "192.0.2.22""#),
        "{}",
        plan.stdout
    );
    site.tf.apply_ok().await;
    assert_eq!(
        site.servers[0].sysconf_calls(),
        [
            "delhost 192.0.2.12".to_string(),
            format!("addhost 192.0.2.22 {hostname}"),
            "member 192.0.2.22 192.0.2.12".to_string(),
        ]
    );
    site.tf.assert_empty_plan().await;

    // The primary moves to 127.0.0.2. Rows written while the secondaries still look for it at
    // the old address arrive once they follow: replication continues from what each executed.
    insert(&site, 0, "before-move").await;
    site.caught_up(1).await;
    site.caught_up(2).await;
    site.servers[0]
        .rebind(std::net::Ipv4Addr::new(127, 0, 0, 2))
        .await
        .expect("primary moves");
    insert(&site, 0, "while-moving").await;
    site.tf.write(
        "main.tf",
        &network_config(&site, "127.0.0.2", "192.0.2.22", 3, "off"),
    );
    site.tf.apply_ok().await;
    for s in [1, 2] {
        site.caught_up(s).await;
        assert_eq!(
            count_of(&site, s, "SELECT COUNT(*) FROM xopdb.call_log WHERE v IN ('before-move', 'while-moving')").await,
            "2",
            "{}: nothing skipped, nothing twice",
            site.servers[s].name()
        );
        assert_eq!(
            site.slave_field(s, "Master_Host").await.as_deref(),
            Some("127.0.0.2")
        );
        let primary_name = count_of(&site, 0, "SELECT @@hostname").await;
        assert_eq!(
            site.servers[s].sysconf_calls(),
            [
                "delhost 127.0.0.1".to_string(),
                format!("addhost 127.0.0.2 {primary_name}"),
            ],
            "{}'s hosts entry for the primary follows",
            site.servers[s].name()
        );
    }
    site.tf.assert_empty_plan().await;
    // Both ways of following the primary were exercised: xop2 by GTID (MariaDB on both sides,
    // gtid = "auto"), xop3 by binlog file and position (gtid = "off").
    for (s, using) in [(1, "Slave_Pos"), (2, "No")] {
        assert_eq!(
            site.slave_field(s, "Using_Gtid").await.as_deref(),
            Some(using)
        );
        let values = site
            .tf
            .resource_values(&format!(
                "xop_replication_member.{}",
                site.servers[s].name()
            ))
            .await;
        assert_eq!(values["using_gtid"], serde_json::json!(using != "No"));
    }

    // Switching xop3 to GTID keeps its place: what it had not executed yet arrives, once.
    site.value(2, "STOP SLAVE").await;
    insert(&site, 0, "during-switch").await;
    site.tf.write(
        "main.tf",
        &network_config(&site, "127.0.0.2", "192.0.2.22", 3, "auto"),
    );
    site.tf.apply_ok().await;
    site.caught_up(2).await;
    assert_eq!(
        site.slave_field(2, "Using_Gtid").await.as_deref(),
        Some("Slave_Pos")
    );
    assert_eq!(
        count_of(&site, 2, "SELECT COUNT(*) FROM xopdb.call_log WHERE v IN ('before-move', 'while-moving', 'during-switch')").await,
        "3"
    );
    site.tf.assert_empty_plan().await;
    site.tf.destroy_ok().await;
    site.stop().await;
    })
    .await;
}

/// The seed's hand-made configuration of one server, appended to its my.cnf.
fn seed_options(server_id: u32, primary: bool) -> String {
    let mut lines = vec![
        "\n# Set up by hand from the XOP best practice\n[mysqld]".to_string(),
        format!("server-id = {server_id}"),
        format!("auto_increment_offset    = {server_id}"),
        "auto_increment_increment = 3".to_string(),
    ];
    if primary {
        lines.extend(
            [
                "log-bin = hand-bin",
                "binlog-do-db = xopdb",
                "binlog-ignore-db = xopdb_local",
                "expire_logs_days        = 14",
                "max_binlog_size         = 500M",
                "innodb_flush_log_at_trx_commit = 1",
                "sync_binlog = 1",
            ]
            .map(String::from),
        );
    } else {
        lines.extend(
            [
                "replicate-do-db = xopdb",
                "replicate-ignore-db = xopdb_local",
            ]
            .map(String::from),
        );
        lines.extend(
            [
                "ports",
                "system_parms",
                "sessions",
                "session_keys",
                "session_parms",
                "circuit_groups",
            ]
            .map(|t| format!("replicate-ignore-table = xopdb.{t}")),
        );
    }
    lines.join("\n") + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_built_pair_is_refused_then_adopted_without_losing_its_place() {
    on_each_terraform("xop-adopt", |tf| async move {
    let site = Site::start(tf).await;
    let [p, s2] = [&site.servers[0], &site.servers[1]];
    // The seed's procedure by hand: options in my.cnf, restart, account, CHANGE MASTER.
    for (s, primary) in [(p, true), (s2, false)] {
        let mut cnf = std::fs::read_to_string(s.my_cnf_path()).unwrap();
        cnf += &seed_options(s.server_id(), primary);
        std::fs::write(s.my_cnf_path(), cnf).unwrap();
        s.restart_mysql()
            .await
            .expect("restarts with the hand-made options");
    }
    site.value(
        0,
        &format!(
            "CREATE USER 'repl'@'%' IDENTIFIED BY {}; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'",
            sql_string(&replication_password())
        ),
    )
    .await;
    let master = site.value(0, "SHOW MASTER STATUS").await;
    let (file, position) = (master[0][0].clone().unwrap(), master[0][1].clone().unwrap());
    assert!(file.starts_with("hand-bin."), "{file}");
    site.value(
        1,
        &format!(
            "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={}, MASTER_USER='repl', MASTER_PASSWORD={}, MASTER_LOG_FILE='{file}', MASTER_LOG_POS={position}; START SLAVE",
            p.mysql_port(),
            sql_string(&replication_password())
        ),
    )
    .await;
    insert(&site, 0, "hand-built").await;
    site.caught_up(1).await;

    let config = |extra: &str| {
        format!(
            "{}\n{}\n{}",
            site.provider(),
            member(
                p,
                "primary",
                1,
                None,
                &format!("  log_bin = \"hand-bin\"\n{extra}")
            ),
            member(s2, "secondary", 2, Some(p), extra)
        )
    };
    // Without the dependency both members are tried, so both refusals show.
    site.tf.write(
        "main.tf",
        &config("").replace("  depends_on = [xop_replication_member.xop1]\n", ""),
    );
    site.tf.init().await;
    site.tf.apply().await.assert_error(&[
        "xop1 is already set up outside this resource",
        "sets replication options by hand (line",
        "`server-id = 1`",
        "xop2 is already set up outside this resource",
        "it already replicates from 127.0.0.1",
        "adopt_existing = true",
    ]);
    let listed = site.tf.state_list().await;
    assert_eq!(listed, "", "nothing taken over, nothing in state");
    // Import is for members uccluster made; a hand-built one is pointed to adopt_existing.
    let import = site.tf.import(&address(p), &xop_import_id(p)).await;
    import.assert_error(&["not a member uccluster made", "adopt_existing = true"]);
    assert!(!std::fs::read_to_string(p.my_cnf_path())
        .unwrap()
        .contains("BEGIN uccluster"));

    site.tf
        .write("main.tf", &config("  adopt_existing = true\n"));
    site.tf.apply_ok().await;
    for s in [p, s2] {
        let cnf = std::fs::read_to_string(s.my_cnf_path()).unwrap();
        assert!(
            cnf.contains("# uccluster: now in the managed section: server-id = "),
            "{cnf}"
        );
        assert!(cnf.contains("# BEGIN uccluster"), "{cnf}");
    }
    insert(&site, 0, "after-adoption").await;
    site.caught_up(1).await;
    assert_eq!(
        count_of(&site, 1, "SELECT COUNT(*) FROM xopdb.call_log WHERE v IN ('hand-built', 'after-adoption')").await,
        "2",
        "kept its place: nothing twice, nothing lost"
    );
    assert!(site
        .slave_field(1, "Relay_Master_Log_File")
        .await
        .is_some_and(|f| f.starts_with("hand-bin.")));
    site.tf.assert_empty_plan().await;
    site.tf.destroy_ok().await;
    site.stop().await;
    })
    .await;
}
