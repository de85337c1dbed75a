//! `cms_xmpp_cluster` with real Terraform against the simulated Meeting Server lab, on every
//! Terraform found: the house protocol (apply → empty plan → import and compare → drift → heal
//! → destroy → nodes out of cluster mode), a node that joins late, shrinking by the leader (no
//! duplicate entry left behind), a cluster made elsewhere refused with its import command, and
//! bad input refused at plan time naming the attribute.

use uccluster_harness::*;
use uccluster_lab::cms_mmp::{NodeControl, Service, TlsFiles, XmppClusterRole};
use uccluster_lab::lab::Lab;
use uccluster_lab::lab_ca::LabCa;

const ADDRESS: &str = "cms_xmpp_cluster.xmpp";

struct Site {
    lab: Lab,
    nodes: Vec<(String, u16)>,
    ctl: Vec<NodeControl>,
}

/// A lab of `n` nodes whose XMPP servers run (what `cms_node_services` sets up), and the trust
/// bundle of their certificates in the workspace.
async fn site(tf: &Tf, n: usize) -> Site {
    let lab = cms_lab(n, tf).await;
    let nodes = cms_nodes(&lab);
    let ctl: Vec<NodeControl> = lab.cms_names().iter().map(|name| lab.cms(name)).collect();
    let ca = LabCa::new("xmpp cluster test CA").unwrap();
    let mut bundle = String::new();
    for (node, c) in nodes.iter().zip(&ctl) {
        let cert = ca.issue_server_cert(&[node.0.parse().unwrap()]).unwrap();
        c.put_file("xmpp.key", cert.key_pem.as_bytes());
        c.put_file("xmpp.crt", cert.cert_pem.as_bytes());
        c.update_xmpp(|x| {
            x.listen = vec!["a".into()];
            x.domain = Some("conf.example.com".into());
            x.tls = Some(TlsFiles::new("xmpp.key", "xmpp.crt"));
            x.enabled = true;
        });
        bundle.push_str(&cert.cert_pem);
    }
    std::fs::write(tf.dir.join("cluster-trust.crt"), bundle).unwrap();
    Site { lab, nodes, ctl }
}

fn cluster_hcl(site: &Site, which: &[usize]) -> String {
    let blocks: String = which
        .iter()
        .map(|&i| {
            let (address, port) = &site.nodes[i];
            format!("  node {{\n    name     = \"cms{}\"\n    address  = \"{address}\"\n    ssh_port = {port}\n  }}\n", i + 1)
        })
        .collect();
    format!(
        "{}\nresource \"cms_xmpp_cluster\" \"xmpp\" {{\n  trust_bundle = file(\"${{path.module}}/cluster-trust.crt\")\n{blocks}}}\n",
        cms_provider(&site.lab)
    )
}

fn import_id(site: &Site, which: &[usize]) -> String {
    which
        .iter()
        .map(|&i| format!("cms{}={}:{}", i + 1, site.nodes[i].0, site.nodes[i].1))
        .collect::<Vec<_>>()
        .join(",")
}

/// Each node's peer list as addresses, sorted.
fn peer_lists(ctl: &[NodeControl]) -> Vec<Vec<String>> {
    ctl.iter()
        .map(|c| {
            let mut p: Vec<String> = c
                .xmpp_cluster_peers()
                .into_iter()
                .map(|p| p.address)
                .collect();
            p.sort();
            p
        })
        .collect()
}

fn roles(ctl: &[NodeControl]) -> Vec<XmppClusterRole> {
    ctl.iter().map(|c| c.xmpp_cluster_state()).collect()
}

fn sorted(site: &Site, which: &[usize]) -> Vec<String> {
    let mut a: Vec<String> = which.iter().map(|&i| site.nodes[i].0.clone()).collect();
    a.sort();
    a
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_import_drift_heal_destroy() {
    on_each_terraform("xmpp-protocol", |tf| async move {
        let site = site(&tf, 3).await;
        let all = [0, 1, 2];
        let everyone = sorted(&site, &all);
        let ctl = &site.ctl;
        Protocol::new(&tf, cluster_hcl(&site, &all))
            .applied(async {
                assert_eq!(
                    roles(ctl)[0],
                    XmppClusterRole::Leader,
                    "the first node initialized"
                );
                assert_eq!(
                    &roles(ctl)[1..],
                    &[XmppClusterRole::Follower, XmppClusterRole::Follower]
                );
                assert_eq!(peer_lists(ctl), vec![everyone.clone(); 3]);
                let log = ctl[0].command_log();
                let order: Vec<&String> = log
                    .iter()
                    .filter(|c| c.starts_with("xmpp ") && c.as_str() != "xmpp cluster status")
                    .filter(|c| c.as_str() != "xmpp")
                    .collect();
                assert_eq!(
                    order,
                    vec![
                        "xmpp cluster trust uccluster-xmpp-cluster-trust.crt",
                        "xmpp disable",
                        "xmpp cluster enable",
                        "xmpp cluster initialize",
                        "xmpp enable"
                    ],
                    "TAC 213479's order on the first node"
                );
                assert!(ctl[2]
                    .command_log()
                    .contains(&format!("xmpp cluster join {}", site.nodes[0].0)));
                let applied = tf.resource_values(ADDRESS).await;
                assert_eq!(applied["leader"], "cms1");
                for node in applied["node"].as_array().unwrap() {
                    assert_eq!(node["state"], "clustered");
                    assert_eq!(node["trust"], "current");
                }
            })
            .import(ADDRESS, import_id(&site, &all))
            .step(
                Step::drift(
                    "node 3 reset without leaving the cluster (CSCvi67717)",
                    async {
                        assert!(ctl[2].reset_xmpp_cluster_behind_the_back());
                    },
                )
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(r#""not_clustered" -> "clustered""#)
                        .shows("node cms3 is not in the XMPP cluster"),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(
                    peer_lists(ctl),
                    vec![everyone.clone(); 3],
                    "node 3 back, listed once: its stale entry went before it joined"
                );
            }))
            .step(
                Step::drift("node 2's XMPP server disabled", async {
                    ctl[1].set_service_enabled(Service::Xmpp, false);
                })
                .plan(Plan::any().shows(r#""inactive" -> "clustered""#)),
            )
            .step(Step::heal(async {
                assert!(ctl[1].service_enabled(Service::Xmpp));
                assert_eq!(peer_lists(ctl), vec![everyone.clone(); 3]);
            }))
            .device_clean(async {
                assert_eq!(roles(ctl), vec![XmppClusterRole::Disabled; 3]);
                for c in ctl {
                    let x = c.xmpp_config();
                    assert!(x.enabled, "the XMPP server runs on, standalone");
                    assert_eq!(x.cluster_trust, None);
                    assert!(c.file("uccluster-xmpp-cluster-trust.crt").is_none());
                }
            })
            .run()
            .await;
        site.lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_node_joins_and_the_leader_leaves_without_a_duplicate() {
    on_each_terraform("xmpp-grow", |tf| async move {
        let site = site(&tf, 3).await;
        let ctl = &site.ctl;
        tf.write("main.tf", &cluster_hcl(&site, &[0, 1]));
        tf.init().await;
        let out = tf.apply_ok().await;
        assert!(out.all().contains("Two-node XMPP cluster"), "{}", out.all());
        assert_eq!(peer_lists(&ctl[..2]), vec![sorted(&site, &[0, 1]); 2]);

        // The third node joins late.
        tf.write("main.tf", &cluster_hcl(&site, &[0, 1, 2]));
        Plan::changes()
            .update(ADDRESS)
            .shows("+ node {")
            .check(&tf)
            .await;
        tf.apply_ok().await;
        assert_eq!(peer_lists(ctl), vec![sorted(&site, &[0, 1, 2]); 3]);
        tf.assert_empty_plan().await;

        // The first node, the leader, leaves: removed from the cluster first, then out of
        // cluster mode; the others elect a leader.
        tf.write("main.tf", &cluster_hcl(&site, &[1, 2]));
        tf.apply_ok().await;
        assert_eq!(ctl[0].xmpp_cluster_state(), XmppClusterRole::Disabled);
        assert_eq!(peer_lists(&ctl[1..]), vec![sorted(&site, &[1, 2]); 2]);
        assert!(ctl[1]
            .command_log()
            .iter()
            .chain(ctl[2].command_log().iter())
            .any(|c| c == &format!("xmpp cluster remove {}", site.nodes[0].0)));
        let state = tf.resource_values(ADDRESS).await;
        assert!(
            ["cms2", "cms3"].contains(&state["leader"].as_str().unwrap()),
            "{state}"
        );
        tf.assert_empty_plan().await;

        // It can come back: no stale entry blocks it.
        tf.write("main.tf", &cluster_hcl(&site, &[1, 2, 0]));
        tf.apply_ok().await;
        assert_eq!(peer_lists(ctl), vec![sorted(&site, &[0, 1, 2]); 3]);
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        assert_eq!(roles(ctl), vec![XmppClusterRole::Disabled; 3]);
        site.lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_made_elsewhere_is_refused_with_its_import_command() {
    on_each_terraform("xmpp-exists", |tf| async move {
        let site = site(&tf, 3).await;
        let other = tf.sibling("xmpp-exists-other");
        std::fs::copy(
            tf.dir.join("cluster-trust.crt"),
            other.dir.join("cluster-trust.crt"),
        )
        .unwrap();
        other.write("main.tf", &cluster_hcl(&site, &[0, 1, 2]));
        other.init().await;
        other.apply_ok().await;
        tf.write("main.tf", &cluster_hcl(&site, &[0, 1, 2]));
        tf.init().await;
        tf.apply().await.assert_error(&[
            "Node already in an XMPP cluster",
            "node cms1 is already in an XMPP cluster",
            &format!(
                "terraform import <resource address> '{}'",
                import_id(&site, &[0, 1, 2])
            ),
        ]);
        assert_eq!(tf.state_list().await.trim(), "", "nothing recorded");
        let import = tf.import(ADDRESS, &import_id(&site, &[0, 1, 2])).await;
        assert_eq!(import.code, 0, "{}", import.all());
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        assert_eq!(roles(&site.ctl), vec![XmppClusterRole::Disabled; 3]);
        site.lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_at_plan_time_naming_the_attribute() {
    on_each_terraform("xmpp-validate", |tf| async move {
        std::fs::write(
            tf.dir.join("cluster-trust.crt"),
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let node = |name: &str, address: &str| {
            format!("  node {{\n    name    = \"{name}\"\n    address = \"{address}\"\n  }}\n")
        };
        let resource = |trust: &str, nodes: &[String]| {
            format!(
                "resource \"cms_xmpp_cluster\" \"xmpp\" {{\n  trust_bundle = {trust}\n{}}}\n",
                nodes.concat()
            )
        };
        let trust = "file(\"${path.module}/cluster-trust.crt\")";
        let three = |a: String, b: String, c: String| resource(trust, &[a, b, c]);
        let cases: Vec<(String, &str, &str, &str)> = vec![
            (
                resource(trust, &[node("cms1", "10.0.0.1")]),
                "Too few nodes",
                "at least 2",
                "",
            ),
            (
                three(
                    node("cms1", "10.0.0.1"),
                    node("cms2", "10.0.0.1"),
                    node("cms3", "10.0.0.3"),
                ),
                "Duplicate node address",
                "10.0.0.1 is used by two nodes",
                "address = \"10.0.0.1\"",
            ),
            (
                three(
                    node("cms1", "10.0.0.1"),
                    node("cms 2", "10.0.0.2"),
                    node("cms3", "10.0.0.3"),
                ),
                "Invalid node name",
                "' ' is not allowed",
                "name = \"cms 2\"",
            ),
            (
                three(
                    node("cms1", "10.0.0.1"),
                    node("cms2", "10.0.0.2\\nxmpp reset"),
                    node("cms3", "10.0.0.3"),
                ),
                "Invalid address",
                "",
                "address",
            ),
            (
                resource(
                    "\"not a certificate\"",
                    &[
                        node("cms1", "10.0.0.1"),
                        node("cms2", "10.0.0.2"),
                        node("cms3", "10.0.0.3"),
                    ],
                ),
                "Invalid PEM",
                "trust_bundle",
                "trust_bundle",
            ),
        ];
        assert_all_invalid(&tf, &Invalid::after(&cms_unused_provider(""), cases)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_that_never_commits_times_out_naming_the_node_then_converges() {
    on_each_terraform("xmpp-timeout", |tf| async move {
        let site = site(&tf, 3).await;
        let ctl = &site.ctl;
        let config = cluster_hcl(&site, &[0, 1, 2]).replace(
            "  trust_bundle",
            "  timeouts {\n    create = \"6s\"\n  }\n  trust_bundle",
        );
        tf.write("main.tf", &config);
        tf.init().await;
        ctl[2].set_xmpp_join_never_converges(true);
        tf.apply()
            .await
            .assert_error(&["node cms3", "did not reach an XMPP cluster of"]);
        // The state keeps what exists: two nodes clustered, the third still joining.
        let state = tf.resource_values(ADDRESS).await;
        let states: Vec<&str> = state["node"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, vec!["clustered", "clustered", "joining"]);

        ctl[2].set_xmpp_join_never_converges(false);
        tf.apply_ok().await;
        assert_eq!(peer_lists(ctl), vec![sorted(&site, &[0, 1, 2]); 3]);
        tf.assert_empty_plan().await;
        site.lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_after_join_does_not_join_twice() {
    on_each_terraform("xmpp-drop", |tf| async move {
        let site = site(&tf, 3).await;
        let ctl = &site.ctl;
        ctl[1].drop_connection_after("xmpp cluster join", 1);
        tf.write("main.tf", &cluster_hcl(&site, &[0, 1, 2]));
        tf.init().await;
        tf.apply_ok().await;
        let joins = ctl[1]
            .command_log()
            .iter()
            .filter(|c| c.starts_with("xmpp cluster join"))
            .count();
        assert_eq!(joins, 1, "the retry saw the join under way");
        assert_eq!(peer_lists(ctl), vec![sorted(&site, &[0, 1, 2]); 3]);
        tf.assert_empty_plan().await;
        site.lab.stop().await;
    })
    .await;
}
