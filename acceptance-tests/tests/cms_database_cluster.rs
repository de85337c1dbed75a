//! `cms_database_cluster` with real Terraform against the simulated Meeting Server lab, following
//! the house protocol (apply, empty plan, import and compare, drift, heal, destroy, device clean),
//! plus failover, growth and shrinkage, slow and broken joins, and plan-time validation; every
//! case on every Terraform found (`on_each_terraform`).

use base64::Engine;
use uccluster_harness::*;
use uccluster_lab::cms_mmp::{DbRole, NodeControl};
use uccluster_lab::lab::Lab;

const CERT_ATTRIBUTES: [(&str, &str, &str); 5] = [
    ("server_key", "server.key", "PRIVATE KEY"),
    ("server_certificate", "server.crt", "CERTIFICATE"),
    ("client_key", "client.key", "PRIVATE KEY"),
    ("client_certificate", "client.crt", "CERTIFICATE"),
    ("ca_bundle", "ca.crt", "CERTIFICATE"),
];

/// A PEM block with random content: the simulator, like the MMP, checks the PEM form.
fn pem(label: &str) -> String {
    let bytes: Vec<u8> = (0..48).map(|_| rand::random::<u8>()).collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Writes fresh certificate files into the workspace; returns them by attribute.
fn write_certs(tf: &Tf) -> Vec<(&'static str, String)> {
    std::fs::create_dir_all(tf.dir.join("certs")).unwrap();
    CERT_ATTRIBUTES
        .iter()
        .map(|(attribute, file, label)| {
            let content = pem(label);
            std::fs::write(tf.dir.join("certs").join(file), &content).unwrap();
            (*attribute, content)
        })
        .collect()
}

#[derive(Clone)]
struct Node<'a> {
    name: &'a str,
    address: String,
    port: u16,
    extra: &'a str,
}

fn cluster_hcl(master: &str, nodes: &[Node<'_>], extra: &str) -> String {
    let certs: String = CERT_ATTRIBUTES
        .iter()
        .map(|(a, f, _)| format!("  {a} = file(\"${{path.module}}/certs/{f}\")\n"))
        .collect();
    let blocks: String = nodes
        .iter()
        .map(|n| format!("  node {{\n    name     = \"{}\"\n    address  = \"{}\"\n    ssh_port = {}\n{}  }}\n", n.name, n.address, n.port, n.extra))
        .collect();
    format!("resource \"cms_database_cluster\" \"db\" {{\n  initial_master = \"{master}\"\n{certs}{extra}{blocks}}}\n")
}

fn lab_nodes<'a>(lab: &Lab, names: &[&'a str]) -> Vec<Node<'a>> {
    let endpoints = cms_nodes(lab);
    names
        .iter()
        .map(|name| {
            let i: usize = name.trim_start_matches("cms").parse::<usize>().unwrap() - 1;
            Node {
                name,
                address: endpoints[i].0.clone(),
                port: endpoints[i].1,
                extra: "",
            }
        })
        .collect()
}

fn controls(lab: &Lab) -> Vec<NodeControl> {
    lab.cms_names().iter().map(|n| lab.cms(n)).collect()
}

/// `field` of each `node` block in a resource's values.
fn node_field<'v>(values: &'v serde_json::Value, field: &str) -> Vec<&'v str> {
    values["node"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n[field].as_str().unwrap())
        .collect()
}

fn roles(ctl: &[NodeControl]) -> Vec<DbRole> {
    ctl.iter().map(|c| c.db_role()).collect()
}

const ADDRESS: &str = "cms_database_cluster.db";

fn cluster_config(lab: &Lab, master: &str, names: &[&str], extra: &str) -> String {
    format!(
        "{}\n{}",
        cms_provider(lab),
        cluster_hcl(master, &lab_nodes(lab, names), extra)
    )
}

async fn setup(tf: &Tf, lab: &Lab, master: &str, names: &[&str], extra: &str) {
    tf.write("main.tf", &cluster_config(lab, master, names, extra));
}

fn import_id(lab: &Lab, names: &[&str]) -> String {
    lab_nodes(lab, names)
        .iter()
        .map(|n| format!("{}={}:{}", n.name, n.address, n.port))
        .collect::<Vec<_>>()
        .join(",")
}

async fn fast_lab(n: usize, tf: &Tf) -> Lab {
    let lab = cms_lab(n, tf).await;
    for c in controls(&lab) {
        c.set_join_delay(std::time::Duration::from_millis(300));
        c.set_failover_delay(std::time::Duration::from_millis(300));
    }
    lab
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_create_plan_import_drift_heal_destroy() {
    on_each_terraform("db-protocol", |tf| async move {
        let lab = fast_lab(3, &tf).await;
        let ctl = controls(&lab);
        let certs = write_certs(&tf);
        let all = ["cms1", "cms2", "cms3"];
        let joined = || {
            assert_eq!(
                roles(&ctl),
                vec![DbRole::Primary, DbRole::Replica, DbRole::Replica]
            )
        };
        Protocol::new(&tf, cluster_config(&lab, "cms1", &all, ""))
            .applied(async {
                joined();
                for c in &ctl {
                    assert_eq!(c.db_cluster_members().len(), 3);
                    assert_eq!(
                        c.file("uccluster-dbcluster-ca.crt").unwrap(),
                        certs[4].1.as_bytes(),
                        "certificates uploaded by SFTP"
                    );
                    assert_eq!(c.db_interface().as_deref(), Some("a"));
                }
                let applied = tf.resource_values(ADDRESS).await;
                assert_eq!(applied["current_master"], "cms1");
                assert_eq!(node_field(&applied, "state"), vec!["connected"; 3]);
            })
            .import(ADDRESS, import_id(&lab, &all))
            .step(
                Step::drift("cms3 leaves the cluster", async {
                    ctl[2].leave_cluster_behind_the_back();
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(r#"~ state = "standalone" -> "connected""#)
                        .shows("node cms3")
                        .shows("is standalone; the plan joins it again"),
                ),
            )
            .step(Step::heal(async { joined() }))
            // every node standalone, replicas before the master
            .device_clean(async {
                assert_eq!(roles(&ctl), vec![DbRole::Standalone; 3]);
                let log = ctl[0].command_log();
                assert!(log.iter().any(|c| c == "database cluster remove"));
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_made_elsewhere_is_refused_with_its_import_command() {
    on_each_terraform("db-exists", |tf| async move {
        let lab = fast_lab(2, &tf).await;
        let ctl = controls(&lab);
        let both = ["cms1", "cms2"];
        // Another configuration (an operator, or another state) built the cluster.
        let other = tf.sibling("db-exists-other");
        write_certs(&other);
        setup(&other, &lab, "cms1", &both, "").await;
        other.init().await;
        other.apply_ok().await;
        let log_before = ctl[1].command_log().len();
        write_certs(&tf);
        setup(&tf, &lab, "cms1", &both, "").await;
        tf.init().await;
        let out = tf.apply().await;
        out.assert_error(&[
            "Node already in a database cluster",
            "node cms1 is already in a database cluster (it reports primary)",
            &format!(
                "terraform import <resource address> '{}'",
                import_id(&lab, &both)
            ),
        ]);
        assert_eq!(tf.state_list().await.trim(), "", "nothing recorded");
        assert_eq!(roles(&ctl), vec![DbRole::Primary, DbRole::Replica]);
        assert!(
            ctl[1].command_log()[log_before..]
                .iter()
                .all(|c| c.starts_with("database cluster status")
                    || !c.starts_with("database cluster")),
            "only status was asked: {:?}",
            &ctl[1].command_log()[log_before..]
        );
        // The command it names takes the cluster over.
        let import = tf.import(ADDRESS, &import_id(&lab, &both)).await;
        assert_eq!(import.code, 0, "{}", import.all());
        other.destroy_ok().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_is_not_drift_and_shows_in_current_master() {
    on_each_terraform("db-failover", |tf| async move {
        let lab = fast_lab(3, &tf).await;
        let ctl = controls(&lab);
        write_certs(&tf);
        setup(&tf, &lab, "cms1", &["cms1", "cms2", "cms3"], "").await;
        tf.init().await;
        tf.apply_ok().await;

        ctl[0].stop_database();
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        assert_eq!(
            ctl[1].db_role(),
            DbRole::Primary,
            "the simulator failed over to the lowest in-sync replica"
        );
        ctl[0].start_database();
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        tf.refresh().await;
        let state = tf.resource_values(ADDRESS).await;
        assert_eq!(state["current_master"], "cms2");
        assert_eq!(
            node_field(&state, "role"),
            vec!["replica", "primary", "replica"]
        );
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grow_with_replica_and_client_then_shrink_including_the_master() {
    on_each_terraform("db-grow", |tf| async move {
        let lab = fast_lab(4, &tf).await;
        let ctl = controls(&lab);
        write_certs(&tf);
        let config = |master: &str, nodes: &[Node]| {
            format!("{}\n{}", cms_provider(&lab), cluster_hcl(master, nodes, ""))
        };
        let mut nodes = lab_nodes(&lab, &["cms1", "cms2", "cms3", "cms4"]);
        nodes[3].extra = "    membership = \"client\"\n";
        use DbRole::*;
        Protocol::new(&tf, config("cms1", &nodes[..2]))
            .applied(async { assert_eq!(roles(&ctl[..2]), vec![Primary, Replica]) })
            .step(
                Step::new("grow: a third database node and a database client")
                    .config(config("cms1", &nodes))
                    .plan(Plan::any().shows("1 to change"))
                    .apply(async {
                        assert_eq!(roles(&ctl), vec![Primary, Replica, Replica, Client])
                    })
                    .empty_plan(),
            )
            .step(
                Step::new(
                    "shrink: the master leaves; an in-sync replica takes over before it goes",
                )
                .config(config("cms2", &nodes[1..]))
                .apply(async {
                    assert_eq!(roles(&ctl[..3]), vec![Standalone, Primary, Replica]);
                    let state = tf.resource_values(ADDRESS).await;
                    assert_eq!(state["current_master"], "cms2");
                })
                .empty_plan(),
            )
            .device_clean(async { assert_eq!(roles(&ctl), vec![Standalone; 4]) })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_that_never_completes_times_out_naming_the_node_then_converges() {
    on_each_terraform("db-timeout", |tf| async move {
        let lab = fast_lab(3, &tf).await;
        let ctl = controls(&lab);
        write_certs(&tf);
        setup(
            &tf,
            &lab,
            "cms1",
            &["cms1", "cms2", "cms3"],
            "  timeouts {\n    create = \"4s\"\n  }\n",
        )
        .await;
        tf.init().await;
        ctl[2].set_join_never_completes(true);
        let out = tf.apply().await;
        out.assert_error(&["node cms3", "did not reach a connected in-sync replica"]);
        // State keeps what exists: the cluster with two connected nodes and one still connecting.
        let state = tf.resource_values(ADDRESS).await;
        assert_eq!(
            node_field(&state, "state"),
            vec!["connected", "connected", "connecting"]
        );

        ctl[2].set_join_never_completes(false);
        tf.apply_ok().await;
        assert_eq!(
            roles(&ctl),
            vec![DbRole::Primary, DbRole::Replica, DbRole::Replica]
        );
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_during_join_converges_without_joining_twice() {
    on_each_terraform("db-drop", |tf| async move {
        let lab = fast_lab(3, &tf).await;
        let ctl = controls(&lab);
        write_certs(&tf);
        setup(&tf, &lab, "cms1", &["cms1", "cms2", "cms3"], "").await;
        tf.init().await;
        ctl[1].drop_connection_after("database cluster join", 1);
        tf.apply_ok().await;
        assert_eq!(
            roles(&ctl),
            vec![DbRole::Primary, DbRole::Replica, DbRole::Replica]
        );
        let joins = ctl[1]
            .command_log()
            .iter()
            .filter(|c| c.starts_with("database cluster join"))
            .count();
        assert_eq!(
            joins, 1,
            "the provider found the join under way instead of starting it again"
        );
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_uploads_and_reselects_everywhere() {
    on_each_terraform("db-certs", |tf| async move {
        let lab = fast_lab(2, &tf).await;
        let ctl = controls(&lab);
        write_certs(&tf);
        setup(&tf, &lab, "cms1", &["cms1", "cms2"], "").await;
        tf.init().await;
        tf.apply_ok().await;
        // someone replaces the CA file by hand on cms2: drift
        ctl[1].put_file("uccluster-dbcluster-ca.crt", pem("CERTIFICATE").as_bytes());
        let plan = tf.plan().await;
        assert!(
            plan.text()
                .contains(r#"~ certificates = "outdated" -> "current""#),
            "{}",
            plan.all()
        );
        // a new CA bundle in the configuration goes to every node
        let new_ca = pem("CERTIFICATE");
        std::fs::write(tf.dir.join("certs/ca.crt"), &new_ca).unwrap();
        tf.apply_ok().await;
        for c in &ctl {
            assert_eq!(
                c.file("uccluster-dbcluster-ca.crt").unwrap(),
                new_ca.as_bytes()
            );
        }
        let certs_runs = ctl[1]
            .command_log()
            .iter()
            .filter(|c| c.starts_with("database cluster certs"))
            .count();
        assert_eq!(certs_runs, 2, "certs selected again after the new upload");
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_at_plan_time_naming_the_attribute() {
    on_each_terraform("db-validate", |tf| async move {
        write_certs(&tf);
        let node = |name: &str, address: &str, extra: &str| Node {
            name: Box::leak(name.to_string().into_boxed_str()),
            address: address.into(),
            port: 22,
            extra: Box::leak(extra.to_string().into_boxed_str()),
        };
        let six: Vec<Node> = (1..=6)
            .map(|i| node(&format!("cms{i}"), &format!("10.0.0.{i}"), ""))
            .collect();
        let cases: Vec<(String, &str, &str)> = vec![
            (
                cluster_hcl("cms1", &[node("cms1", "10.0.0.1", "")], ""),
                "Too few nodes",
                "at least 2",
            ),
            (
                cluster_hcl(
                    "cms9",
                    &[node("cms1", "10.0.0.1", ""), node("cms2", "10.0.0.2", "")],
                    "",
                ),
                "Unknown initial master",
                "cms9",
            ),
            (
                cluster_hcl(
                    "cms1",
                    &[node("cms1", "10.0.0.1", ""), node("cms1", "10.0.0.2", "")],
                    "",
                ),
                "Duplicate node name",
                "cms1",
            ),
            (
                cluster_hcl(
                    "cms1",
                    &[node("cms1", "10.0.0.1", ""), node("cms2", "10.0.0.1", "")],
                    "",
                ),
                "Duplicate node address",
                "10.0.0.1",
            ),
            (
                cluster_hcl(
                    "cms1",
                    &[
                        node("cms1", "10.0.0.1", "    interface = \"e\"\n"),
                        node("cms2", "10.0.0.2", ""),
                    ],
                    "",
                ),
                "Invalid interface",
                "\"e\"",
            ),
            (
                cluster_hcl("cms1", &six, ""),
                "Too many database nodes",
                "at most 5",
            ),
            (
                cluster_hcl(
                    "cms1",
                    &[
                        node("cms1", "10.0.0.1", "    membership = \"client\"\n"),
                        node("cms2", "10.0.0.2", ""),
                    ],
                    "",
                ),
                "Initial master is a client",
                "cms1",
            ),
            (
                cluster_hcl(
                    "cms1",
                    &[node("cms1", "10.0.0.1", ""), node("cms2", "10.0.0.2", "")],
                    "",
                )
                .replace(
                    "file(\"${path.module}/certs/ca.crt\")",
                    "\"not a certificate\"",
                ),
                "Invalid PEM",
                "ca_bundle",
            ),
        ];
        let two = |a: Node<'static>, b: Node<'static>| cluster_hcl("cms1", &[a, b], "");
        // (resource, summary, detail, the line Terraform points at)
        let mut cases: Vec<(String, &str, &str, &str)> = cases
            .into_iter()
            .map(|(resource, summary, detail)| (resource, summary, detail, ""))
            .collect();
        cases.extend([
            (
                two(node("", "10.0.0.1", ""), node("cms2", "10.0.0.2", "")),
                "Invalid node name",
                "must not be empty",
                "name = \"\"",
            ),
            (
                two(node("cms1", "10.0.0.1", ""), node("cms,2", "10.0.0.2", "")),
                "Invalid node name",
                "',' is not allowed",
                "name = \"cms,2\"",
            ),
            (
                two(
                    node("cms1", "10.0.0.1", ""),
                    node("cms2", "10.0.0.2", "    membership = \"client\"\n"),
                ),
                "Too few database nodes",
                "2 to 5 database nodes",
                "",
            ),
            (
                two(
                    Node {
                        port: 0,
                        ..node("cms1", "10.0.0.1", "")
                    },
                    node("cms2", "10.0.0.2", ""),
                ),
                "Invalid port",
                "got 0",
                "ssh_port = 0",
            ),
            (
                two(
                    node("cms1", "10.0.0.1", "    ssh_address = \"bad host\"\n"),
                    node("cms2", "10.0.0.2", ""),
                ),
                "Invalid address",
                "neither an IP address nor a valid host name",
                "ssh_address = \"bad host\"",
            ),
            (
                two(
                    node("cms1", "10.0.0.1", "    username = \"admin\\nx\"\n"),
                    node("cms2", "10.0.0.2", ""),
                ),
                "Invalid username",
                "contains '\\n'",
                "username",
            ),
        ]);
        assert_all_invalid(&tf, &Invalid::after(&cms_unused_provider(""), cases)).await;
    })
    .await;
}

/// A node name computed from another resource is unknown at validate, so the check that
/// `initial_master` names a node can only run at apply: there it is an error naming
/// `initial_master`, never a crash of the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_master_missing_among_computed_names_is_an_apply_error() {
    on_each_terraform("db-computed-master", |tf| async move {
        let lab = fast_lab(2, &tf).await;
        write_certs(&tf);
        let nodes = lab_nodes(&lab, &["cms1", "cms2"]);
        // The XMPP domain is known only after the account exists: the name "cms9" is unknown at plan.
        let computed = Node {
            name: "${replace(cms_xmpp_callbridge.cb.domain, \"/.*/\", \"\")}cms9",
            ..nodes[0].clone()
        };
        tf.write(
            "main.tf",
            &format!(
                "{}\n{}\n{}",
                cms_provider(&lab),
                callbridge("cb", "cb1", &cms_nodes(&lab)[..1], ""),
                cluster_hcl("cms1", &[computed, nodes[1].clone()], "")
            ),
        );
        tf.init().await;
        let out = tf.apply().await;
        out.assert_error(&["initial_master \"cms1\" is not the name of a node block"]);
        assert!(!out.text().contains("panic"), "{}", out.all());
        lab.stop().await;
    })
    .await;
}
