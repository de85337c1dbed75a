//! `imp_intercluster_peer` with real Terraform on every Terraform found, against two (or three)
//! simulated IM&P clusters of two nodes each, a provider alias per cluster. `axl_sql`: the house
//! protocol over both directions of a pair, Cisco XCP Router restarted on every node exactly once
//! per change (the control log proves it), a peer deleted behind terraform's back planned as a
//! create and healed, a stopped XCP Router healed, TCP → TLS in place, a regenerated Tomcat
//! certificate out of sync and healed by Force Sync, the `force_sync` trigger, destroy with its
//! restarts. `verify`: the GUI steps while the peer is missing, everything else done once it is
//! there. Wrong remote credentials, a missing prerequisite service, a node that is not the
//! publisher and the 30-cluster limit refused before anything changes; bad input refused at plan
//! time naming the attribute.

use uccluster_harness::*;
use uccluster_lab::imp::lab_device::ImpCluster;
use uccluster_lab::imp::messages::{ICSA, XCP_ROUTER};
use uccluster_lab::imp::world::ServiceState;
use uccluster_lab::lab::{Lab, LabSpec};

async fn lab_of(tf: &Tf, n: usize) -> (Lab, Vec<ImpLabCluster>) {
    let lab = Lab::start(
        &LabSpec::default().with_imp_clusters(n),
        &tf.dir.join("lab"),
    )
    .await
    .expect("lab starts");
    let clusters = imp_clusters(&lab);
    (lab, clusters)
}

/// The providers of every cluster.
fn providers(c: &[ImpLabCluster]) -> String {
    let blocks: String = c.iter().map(|c| imp_provider(c, "")).collect();
    format!("{}{blocks}", imp_terraform_block())
}

/// Both directions of the pair imp1 ↔ imp2, `extra` lines in each resource.
fn pair(c: &[ImpLabCluster], extra: &str) -> String {
    format!(
        "{}{}{}",
        providers(c),
        imp_peer(&c[0], &c[1], extra),
        imp_peer(&c[1], &c[0], extra)
    )
}

fn address(local: &ImpLabCluster, remote: &ImpLabCluster) -> String {
    format!("imp_intercluster_peer.{}", imp_peer_name(local, remote))
}

/// The control log lines that restart Cisco XCP Router.
fn xcp_restarts(cluster: &ImpCluster) -> Vec<String> {
    cluster
        .control_log()
        .into_iter()
        .filter(|l| l.ends_with(&format!("Restart {XCP_ROUTER}")))
        .collect()
}

/// How often the publisher's Cisco Intercluster Sync Agent was restarted (Force Sync).
fn icsa_restarts(cluster: &ImpCluster) -> usize {
    let line = format!("{} Restart {ICSA}", cluster.publisher_name());
    cluster.control_log().iter().filter(|l| **l == line).count()
}

/// Every node's XCP Router restarted `times` times in all, one node after the other.
fn assert_xcp_restarts(cluster: &ImpCluster, times: usize) {
    let nodes: Vec<String> = cluster.nodes().into_iter().map(|(n, _)| n).collect();
    let want: Vec<String> = (0..times)
        .flat_map(|_| nodes.iter().map(|n| format!("{n} Restart {XCP_ROUTER}")))
        .collect();
    assert_eq!(xcp_restarts(cluster), want, "{}", cluster.name());
}

/// What the peer's state says at `key` of `status`.
async fn status(tf: &Tf, address: &str, key: &str) -> String {
    tf.resource_values(address).await["status"][key]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axl_sql_pair_apply_import_drift_heal_tls_force_sync_destroy() {
    on_each_terraform("imp-peer-pair", |tf| async move {
        let (lab, c) = lab_of(&tf, 2).await;
        let (imp1, imp2) = (lab.imp("imp1"), lab.imp("imp2"));
        let (a12, a21) = (address(&c[0], &c[1]), address(&c[1], &c[0]));
        let tcp = pair(&c, "  peer_store        = \"axl_sql\"\n");
        let tls = pair(
            &c,
            "  peer_store        = \"axl_sql\"\n  protocol          = \"tls\"\n",
        );
        let (tf, c, a12, a21) = (&tf, &c, &a12, &a21);
        Protocol::new(tf, tcp.clone())
            .applied(async move {
                for (local, remote) in [(imp1, &c[1]), (imp2, &c[0])] {
                    let peers = local.peers();
                    assert_eq!(peers.len(), 1, "{peers:?}");
                    assert_eq!(peers[0].address, remote.publisher());
                    assert_eq!(peers[0].username, remote.intercluster.0);
                    assert_eq!(peers[0].protocol, "tcp");
                    assert!(local.peer_good(remote.publisher()));
                    assert_xcp_restarts(local, 1);
                    assert!(local.synced_users(remote.publisher()) > 0);
                }
                let v = tf.resource_values(a12).await;
                assert_eq!(v["status"]["connectivity"], "reachable", "{v}");
                assert_eq!(v["status"]["far_side"], "points back", "{v}");
                assert_eq!(v["status"]["sync"], "in sync", "{v}");
                assert_eq!(v["certificate_status"], "not used", "{v}");
                assert_eq!(v["associated_users"], 3, "{v}");
                let states = v["service_states"].as_object().expect("a map");
                assert_eq!(
                    states.len(),
                    7,
                    "3 services per node, the Sync Agent on the publisher: {v}"
                );
                assert!(states.values().all(|s| s == "Started"), "{v}");
            })
            .import(a12, imp_peer_import_id(&c[0], &c[1], ";peer_store=axl_sql"))
            .import(a21, imp_peer_import_id(&c[1], &c[0], ";peer_store=axl_sql"))
            .step(
                Step::drift("peer deleted in the GUI of imp1", async move {
                    assert!(imp1.gui_delete_peer(c[1].publisher()));
                })
                .plan(
                    // imp2's side sees its far side gone: drift there too.
                    Plan::changes()
                        .create(a12)
                        .update(a21)
                        .shows("no peer for imp2-pub.lab.example on imp1-pub.lab.example"),
                )
                .apply(async move {
                    assert_eq!(imp1.peers().len(), 1);
                    assert_xcp_restarts(imp1, 2);
                    assert_xcp_restarts(imp2, 1);
                })
                .empty_plan(),
            )
            .step(
                Step::drift("XCP Router stopped on imp2's subscriber", async move {
                    imp2.set_service(&c[1].nodes[1].0, XCP_ROUTER, ServiceState::Stopped);
                })
                .plan(Plan::changes().update(a21).shows("Stopped"))
                .apply(async move {
                    let sub = &c[1].nodes[1].0;
                    assert_eq!(
                        xcp_restarts(imp2).last(),
                        Some(&format!("{sub} Restart {XCP_ROUTER}"))
                    );
                    assert_eq!(xcp_restarts(imp2).len(), 3, "only the stopped router");
                })
                .empty_plan(),
            )
            .step(
                Step::new("TCP to TLS in place, restarts on every node")
                    .config(tls.clone())
                    .plan(Plan::changes().update(a12).update(a21))
                    .apply(async move {
                        for (local, remote) in [(imp1, &c[1]), (imp2, &c[0])] {
                            assert_eq!(local.peers()[0].protocol, "tls");
                            assert!(local.peer_good(remote.publisher()));
                        }
                        assert_xcp_restarts(imp1, 3);
                        let imp2_restarts = xcp_restarts(imp2);
                        assert_eq!(imp2_restarts.len(), 5, "{imp2_restarts:?}");
                        assert_eq!(
                            imp2_restarts[3..],
                            c[1].nodes
                                .iter()
                                .map(|(n, _)| format!("{n} Restart {XCP_ROUTER}"))
                                .collect::<Vec<_>>()[..]
                        );
                        // TLS: the Sync Agent copies the peer's certificates (Force Sync).
                        assert_eq!(icsa_restarts(imp1), 1);
                        assert_eq!(icsa_restarts(imp2), 1);
                        assert_eq!(status(tf, a12, "connectivity").await, "reachable");
                        let v = tf.resource_values(a12).await;
                        assert_eq!(v["certificate_status"], "in sync", "{v}");
                    })
                    .empty_plan(),
            )
            .step(
                Step::drift(
                    "imp2's publisher has a new Tomcat certificate",
                    async move {
                        imp2.regenerate_tomcat(c[1].publisher());
                    },
                )
                .plan(Plan::changes().update(a12).shows("out of sync"))
                .apply(async move {
                    assert_eq!(
                        icsa_restarts(imp1),
                        2,
                        "Force Sync: {:?}",
                        imp1.control_log()
                    );
                    assert_eq!(icsa_restarts(imp2), 1);
                    assert_xcp_restarts(imp1, 3);
                    let v = tf.resource_values(a12).await;
                    assert_eq!(v["certificate_status"], "in sync", "{v}");
                })
                .empty_plan(),
            )
            .step(
                Step::new("the force_sync trigger restarts the Sync Agent once")
                    .config(tls.replace(
                        "  protocol          = \"tls\"\n",
                        "  protocol          = \"tls\"\n  force_sync        = \"1\"\n",
                    ))
                    .plan(Plan::changes().update(a12).update(a21))
                    .apply(async move {
                        assert_eq!(icsa_restarts(imp1), 3, "{:?}", imp1.control_log());
                        assert_eq!(icsa_restarts(imp2), 2, "{:?}", imp2.control_log());
                        assert_xcp_restarts(imp1, 3);
                        assert_eq!(xcp_restarts(imp2).len(), 5);
                    })
                    .empty_plan(),
            )
            .device_clean(async move {
                assert!(imp1.peers().is_empty() && imp2.peers().is_empty());
                assert_xcp_restarts(imp1, 4);
                assert_eq!(xcp_restarts(imp2).len(), 7);
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_mode_gives_the_gui_steps_and_does_the_rest() {
    on_each_terraform("imp-peer-verify", |tf| async move {
        let (lab, c) = lab_of(&tf, 2).await;
        let (imp1, imp2) = (lab.imp("imp1"), lab.imp("imp2"));
        tf.write("main.tf", &pair(&c, ""));
        tf.init().await;
        let out = tf.apply().await;
        out.assert_error(&[
            "has no intercluster peer",
            "Presence > Inter-Clustering",
            "Add New",
            c[1].publisher(),
        ]);
        assert!(imp1.control_log().is_empty() && imp2.control_log().is_empty());
        assert!(
            tf.state_list().await.trim().is_empty(),
            "nothing recorded while the peer is missing"
        );

        // The operator follows the steps on both sides.
        for (local, remote) in [(imp1, &c[1]), (imp2, &c[0])] {
            local
                .gui_add_peer(
                    remote.publisher(),
                    &remote.intercluster.0,
                    &remote.intercluster.1,
                    "tcp",
                )
                .expect("GUI add");
        }
        tf.apply_ok().await;
        assert_xcp_restarts(imp1, 1);
        assert_xcp_restarts(imp2, 1);
        tf.assert_empty_plan().await;
        let a12 = address(&c[0], &c[1]);
        let applied = tf.resource_values(&a12).await;
        tf.reimport(&a12, &imp_peer_import_id(&c[0], &c[1], ""))
            .await;
        assert_eq!(tf.resource_values(&a12).await, applied);

        // The password changed in the GUI behind terraform's back: the plan shows it, the
        // apply names the field to set; set back, nothing to do (the routers never restarted
        // with the wrong one).
        let regui = |local: &ImpCluster, remote: &ImpLabCluster, password: &str, protocol: &str| {
            assert!(local.gui_delete_peer(remote.publisher()));
            local
                .gui_add_peer(
                    remote.publisher(),
                    &remote.intercluster.0,
                    password,
                    protocol,
                )
                .expect("GUI add");
        };
        regui(imp1, &c[1], "wrong", "tcp");
        let plan = tf.plan().await;
        assert!(
            plan.text().contains("differs: AXL Password") && plan.text().contains("Not reachable"),
            "{}",
            plan.all()
        );
        tf.apply().await.assert_error(&[
            "differs from the configuration",
            "AXL Password",
            "Presence > Inter-Clustering",
        ]);
        regui(imp1, &c[1], &c[1].intercluster.1, "tcp");
        tf.assert_empty_plan().await;
        assert_xcp_restarts(imp1, 1);

        // TLS in the configuration: the GUI steps, then after the GUI edit the restarts.
        let tls = pair(&c, "  protocol          = \"tls\"\n");
        tf.write("main.tf", &tls);
        tf.apply()
            .await
            .assert_error(&["differs from the configuration", "Protocol (is TCP)"]);
        assert_xcp_restarts(imp1, 1);
        for (local, remote) in [(imp1, &c[1]), (imp2, &c[0])] {
            regui(local, remote, &remote.intercluster.1, "tls");
        }
        tf.apply_ok().await;
        assert_xcp_restarts(imp1, 2);
        assert_xcp_restarts(imp2, 2);
        tf.assert_empty_plan().await;
        let v = tf.resource_values(&a12).await;
        assert_eq!(v["certificate_status"], "in sync", "{v}");

        // Destroy: the GUI's Delete first; the destroy then restarts the routers.
        let out = tf.run(&["destroy", "-auto-approve", "-no-color"]).await;
        out.assert_error(&["still has the intercluster peer", "Delete Selected"]);
        assert_xcp_restarts(imp1, 2);
        for (local, remote) in [(imp1, &c[1]), (imp2, &c[0])] {
            assert!(local.gui_delete_peer(remote.publisher()));
        }
        tf.destroy_ok().await;
        assert!(tf.state_list().await.trim().is_empty());
        assert_xcp_restarts(imp1, 3);
        assert_xcp_restarts(imp2, 3);
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_missing_services_and_the_mesh_limit_change_nothing() {
    on_each_terraform("imp-peer-refusals", |tf| async move {
        let (lab, c) = lab_of(&tf, 2).await;
        let (imp1, imp2) = (lab.imp("imp1"), lab.imp("imp2"));
        let axl_sql = "  peer_store        = \"axl_sql\"\n";
        let one_way = |remote_password: &str| {
            let mut remote = c[1].clone();
            remote.intercluster.1 = remote_password.to_string();
            format!(
                "{}{}",
                providers(&c),
                imp_peer(
                    &c[0],
                    &remote,
                    &format!("{axl_sql}  wait_for_sync     = false\n")
                )
            )
        };
        let untouched = || {
            assert!(imp1.peers().is_empty(), "{:?}", imp1.peers());
            assert!(imp1.control_log().is_empty(), "{:?}", imp1.control_log());
        };

        tf.write("main.tf", &one_way("not-the-password"));
        tf.init().await;
        tf.apply().await.assert_error(&[
            "Not reachable",
            c[1].publisher(),
            &c[1].intercluster.0,
            "Nothing was changed",
        ]);
        untouched();

        // A prerequisite service stopped on the subscriber.
        let sub = c[0].nodes[1].0.clone();
        imp1.set_service(&sub, ICSA, ServiceState::Deactivated);
        tf.write("main.tf", &one_way(&c[1].intercluster.1));
        tf.apply().await.assert_error(&[
            &format!("{ICSA} on {sub} is Stopped"),
            "Service Activation",
            "Nothing was changed",
        ]);
        untouched();
        imp1.set_service(&sub, ICSA, ServiceState::Started);

        // The publisher block names the subscriber.
        let mut swapped = c[0].clone();
        swapped.nodes.swap(0, 1);
        tf.write(
            "main.tf",
            &format!(
                "{}{}",
                providers(&c),
                imp_peer(&swapped, &c[1], axl_sql).replace(
                    &format!("provider          = imp.{}", swapped.name),
                    "provider          = imp.imp1"
                )
            ),
        );
        tf.apply()
            .await
            .assert_error(&["is not the database publisher", c[0].publisher()]);
        untouched();

        // 29 peers already: with imp2 the mesh would have 31 clusters.
        for k in 1..=29 {
            imp1.gui_add_peer(&format!("fake{k}-pub.lab.example"), "u", "p", "tcp")
                .expect("GUI add");
        }
        tf.write("main.tf", &one_way(&c[1].intercluster.1));
        tf.apply()
            .await
            .assert_error(&["29 intercluster peers", "up to 30"]);
        assert_eq!(imp1.peers().len(), 29);
        assert!(imp1.control_log().is_empty());
        assert!(imp1.gui_delete_peer("fake29-pub.lab.example"));
        tf.apply_ok().await;
        assert_eq!(imp1.peers().len(), 29);
        assert_xcp_restarts(imp1, 1);
        // The far side never pointed back: reported, not drift, with wait_for_sync = false.
        tf.assert_empty_plan().await;
        let a12 = address(&c[0], &c[1]);
        assert_eq!(
            status(&tf, &a12, "far_side").await,
            format!("no peer for {} on {}", c[0].publisher(), c[1].publisher())
        );
        assert!(imp2.peers().is_empty());
        tf.destroy_ok().await;
        assert_eq!(imp1.peers().len(), 28);
        assert_xcp_restarts(imp1, 2);
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_tables_data_source_finds_the_peer_table() {
    on_each_terraform("imp-database-tables", |tf| async move {
        let (lab, c) = lab_of(&tf, 1).await;
        let config = |extra: &str| {
            format!(
                "{}{}\ndata \"imp_database_tables\" \"peers\" {{\n  provider = imp.imp1\n  address  = \"{}\"\n}}\n\noutput \"tables\" {{\n  value = data.imp_database_tables.peers.tables\n}}\n\noutput \"found\" {{\n  value = data.imp_database_tables.peers.peer_table_found\n}}\n",
                imp_terraform_block(),
                imp_provider(&c[0], extra),
                c[0].publisher_endpoint()
            )
        };
        tf.write("main.tf", &config(""));
        tf.init().await;
        tf.apply_ok().await;
        let out = tf.run(&["output", "-json", "-no-color"]).await;
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(v["tables"]["value"], serde_json::json!(["cupsinterclusterpeers"]), "{v}");
        assert_eq!(v["found"]["value"], true, "{v}");
        tf.write(
            "main.tf",
            &config("  sql_overrides = [\"peer_table=interclusterpeer\"]\n"),
        );
        tf.apply_ok().await;
        let out = tf.run(&["output", "-json", "-no-color"]).await;
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("json");
        assert_eq!(v["found"]["value"], false, "{v}");
        let log = lab.imp("imp1").command_log(c[0].publisher());
        assert!(
            log.iter().all(|l| !l.contains("executeSQLUpdate")),
            "a data source only reads: {log:?}"
        );
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_at_plan_time_naming_the_attribute() {
    let tf = Tf::new("imp-peer-validation", oldest_terraform());
    let local = ImpLabCluster {
        name: "imp1".into(),
        nodes: vec![
            ("imp1-pub.example.com".into(), "10.0.0.1:8443".into()),
            ("imp1-sub1.example.com".into(), "10.0.0.2:8443".into()),
        ],
        admin: ("admin".into(), "x-unused-x".into()),
        intercluster: ("imp1-icsa".into(), "x".into()),
        ca_file: "/nonexistent/ca.pem".into(),
    };
    let mut remote = local.clone();
    remote.name = "imp2".into();
    remote.nodes = vec![("imp2-pub.example.com".into(), "10.0.1.1:8443".into())];
    let good = imp_peer(&local, &remote, "");
    let with = |from: &str, to: &str| {
        assert!(good.contains(from), "{from}");
        good.replace(from, to)
    };
    let provider = format!("{}{}", imp_terraform_block(), imp_provider(&local, ""));
    let cases = Invalid::after(
        &provider,
        [
            (
                with("\"imp2-pub.example.com\"", "\"imp2 pub\""),
                "Invalid peer_address",
                "imp2 pub",
                "peer_address",
            ),
            (
                good.replace("  peer_axl_password", "  protocol          = \"udp\"\n  peer_axl_password"),
                "Invalid protocol",
                "use one of tcp, tls",
                "protocol",
            ),
            (
                good.replace("  peer_axl_password", "  peer_store        = \"sql\"\n  peer_axl_password"),
                "Invalid peer_store",
                "use one of verify, axl_sql",
                "peer_store",
            ),
            (
                with("\"imp1-sub1.example.com\"", "\"imp1-pub.example.com\""),
                "Duplicate node",
                "named twice",
                "imp1-pub.example.com",
            ),
            (
                with("\"imp2-pub.example.com\"", "\"imp1-sub1.example.com\""),
                "Invalid peer_address",
                "is a node of the local cluster",
                "peer_address",
            ),
            (
                with("\"10.0.0.2:8443\"", "\"10.0.0.2:port\""),
                "Invalid address",
                "port",
                "10.0.0.2:port",
            ),
            (
                with("peer_axl_password = \"x\"", "peer_axl_password = \"a\\nb\""),
                "Invalid peer_axl_password",
                "",
                "peer_axl_password",
            ),
            (
                good.replace(
                    "  publisher {\n    name    = \"imp1-pub.example.com\"\n    address = \"10.0.0.1:8443\"\n  }\n",
                    "",
                ),
                "Missing publisher block",
                "is required here",
                "",
            ),
        ],
    );
    assert_all_invalid(&tf, &cases).await;
    let bad_override = format!(
        "{}{}{good}",
        imp_terraform_block(),
        imp_provider(&local, "  sql_overrides = [\"peers=x\"]\n")
    );
    assert_invalid(
        &tf,
        &Invalid {
            config: bad_override,
            summary: "Invalid SQL name override",
            detail: "peer_table",
            line: "sql_overrides",
        },
    )
    .await;
}
