//! `cms_database_cluster` with real Terraform against the simulated Meeting Server lab, following
//! the house protocol (apply, empty plan, import and compare, drift, heal, destroy, device clean),
//! plus failover, growth and shrinkage, slow and broken joins, and plan-time validation.

mod support;

use base64::Engine;
use support::*;
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

fn roles(ctl: &[NodeControl]) -> Vec<DbRole> {
    ctl.iter().map(|c| c.db_role()).collect()
}

async fn setup(tf: &Tf, lab: &Lab, master: &str, names: &[&str], extra: &str) {
    tf.write(
        "main.tf",
        &format!(
            "{}\n{}",
            cms_provider(lab),
            cluster_hcl(master, &lab_nodes(lab, names), extra)
        ),
    );
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
    let tf = Tf::new("db-protocol");
    let lab = fast_lab(3, &tf).await;
    let ctl = controls(&lab);
    let certs = write_certs(&tf);
    setup(&tf, &lab, "cms1", &["cms1", "cms2", "cms3"], "").await;
    tf.init().await;

    let started = std::time::Instant::now();
    tf.apply_ok().await;
    eprintln!("3-node create took {:?}", started.elapsed());
    assert_eq!(
        roles(&ctl),
        vec![DbRole::Primary, DbRole::Replica, DbRole::Replica]
    );
    for c in &ctl {
        assert_eq!(c.db_cluster_members().len(), 3);
        assert_eq!(
            c.file("uccluster-dbcluster-ca.crt").unwrap(),
            certs[4].1.as_bytes(),
            "certificates uploaded by SFTP"
        );
        assert_eq!(c.db_interface().as_deref(), Some("a"));
    }
    let applied = tf.resource_values("cms_database_cluster.db").await;
    assert_eq!(applied["current_master"], "cms1");
    let states: Vec<&str> = applied["node"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["connected"; 3]);
    tf.assert_empty_plan().await;

    // import and compare, nothing ignored
    assert_eq!(
        tf.run(&["state", "rm", "cms_database_cluster.db"])
            .await
            .code,
        0
    );
    let imported = tf
        .run(&[
            "import",
            "-input=false",
            "-no-color",
            "cms_database_cluster.db",
            &import_id(&lab, &["cms1", "cms2", "cms3"]),
        ])
        .await;
    assert_eq!(imported.code, 0, "{}", imported.all());
    assert_eq!(
        tf.resource_values("cms_database_cluster.db").await,
        applied,
        "imported state equals applied state"
    );
    tf.assert_empty_plan().await;

    // drift: cms3 leaves the cluster behind terraform's back
    ctl[2].leave_cluster_behind_the_back();
    let plan = tf.plan().await;
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(
        plan.text()
            .contains(r#"~ state = "standalone" -> "connected""#),
        "{}",
        plan.stdout
    );
    assert!(
        plan.text().contains("node cms3")
            && plan
                .text()
                .contains("is standalone; the plan joins it again"),
        "{}",
        plan.all()
    );
    tf.apply_ok().await;
    assert_eq!(
        roles(&ctl),
        vec![DbRole::Primary, DbRole::Replica, DbRole::Replica]
    );
    tf.assert_empty_plan().await;

    // destroy: every node standalone, replicas before the master
    tf.destroy_ok().await;
    assert_eq!(roles(&ctl), vec![DbRole::Standalone; 3]);
    let log = ctl[0].command_log();
    assert!(log.iter().any(|c| c == "database cluster remove"));
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_is_not_drift_and_shows_in_current_master() {
    let tf = Tf::new("db-failover");
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
    let refreshed = tf
        .run(&[
            "apply",
            "-refresh-only",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ])
        .await;
    assert_eq!(refreshed.code, 0, "{}", refreshed.all());
    let state = tf.resource_values("cms_database_cluster.db").await;
    assert_eq!(state["current_master"], "cms2");
    let node_roles: Vec<&str> = state["node"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["role"].as_str().unwrap())
        .collect();
    assert_eq!(node_roles, vec!["replica", "primary", "replica"]);
    tf.assert_empty_plan().await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grow_with_replica_and_client_then_shrink_including_the_master() {
    let tf = Tf::new("db-grow");
    let lab = fast_lab(4, &tf).await;
    let ctl = controls(&lab);
    write_certs(&tf);
    setup(&tf, &lab, "cms1", &["cms1", "cms2"], "").await;
    tf.init().await;
    tf.apply_ok().await;
    assert_eq!(roles(&ctl[..2]), vec![DbRole::Primary, DbRole::Replica]);

    // grow: a third database node and a database client
    let mut nodes = lab_nodes(&lab, &["cms1", "cms2", "cms3", "cms4"]);
    nodes[3].extra = "    membership = \"client\"\n";
    tf.write(
        "main.tf",
        &format!(
            "{}\n{}",
            cms_provider(&lab),
            cluster_hcl("cms1", &nodes, "")
        ),
    );
    let plan = tf.plan().await;
    assert!(plan.text().contains("1 to change"), "{}", plan.all());
    tf.apply_ok().await;
    assert_eq!(
        roles(&ctl),
        vec![
            DbRole::Primary,
            DbRole::Replica,
            DbRole::Replica,
            DbRole::Client
        ]
    );
    tf.assert_empty_plan().await;

    // shrink: the master leaves; an in-sync replica takes over before it goes
    let nodes: Vec<Node> = nodes.into_iter().skip(1).collect();
    tf.write(
        "main.tf",
        &format!(
            "{}\n{}",
            cms_provider(&lab),
            cluster_hcl("cms2", &nodes, "")
        ),
    );
    tf.apply_ok().await;
    assert_eq!(ctl[0].db_role(), DbRole::Standalone);
    assert_eq!(ctl[1].db_role(), DbRole::Primary);
    assert_eq!(ctl[2].db_role(), DbRole::Replica);
    let state = tf.resource_values("cms_database_cluster.db").await;
    assert_eq!(state["current_master"], "cms2");
    tf.assert_empty_plan().await;
    tf.destroy_ok().await;
    assert_eq!(roles(&ctl), vec![DbRole::Standalone; 4]);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_that_never_completes_times_out_naming_the_node_then_converges() {
    let tf = Tf::new("db-timeout");
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
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.text().contains("node cms3"), "{}", out.all());
    assert!(
        out.text()
            .contains("did not reach a connected in-sync replica"),
        "{}",
        out.all()
    );
    // State keeps what exists: the cluster with two connected nodes and one still connecting.
    let state = tf.resource_values("cms_database_cluster.db").await;
    let states: Vec<&str> = state["node"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["connected", "connected", "connecting"]);

    ctl[2].set_join_never_completes(false);
    tf.apply_ok().await;
    assert_eq!(
        roles(&ctl),
        vec![DbRole::Primary, DbRole::Replica, DbRole::Replica]
    );
    tf.assert_empty_plan().await;
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_during_join_converges_without_joining_twice() {
    let tf = Tf::new("db-drop");
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_uploads_and_reselects_everywhere() {
    let tf = Tf::new("db-certs");
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_at_plan_time_naming_the_attribute() {
    let tf = Tf::new("db-validate");
    write_certs(&tf);
    let provider = "terraform {\n  required_providers {\n    cms = {\n      source = \"uccluster/cms\"\n    }\n  }\n}\nprovider \"cms\" {\n  password = \"x-unused-x\"\n}\n";
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
    assert_all_invalid(&tf, provider, &cases).await;
}

/// A node name computed from another resource is unknown at validate, so the check that
/// `initial_master` names a node can only run at apply: there it is an error naming
/// `initial_master`, never a crash of the provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn initial_master_missing_among_computed_names_is_an_apply_error() {
    let tf = Tf::new("db-computed-master");
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
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.text()
            .contains("initial_master \"cms1\" is not the name of a node block"),
        "{}",
        out.all()
    );
    assert!(!out.text().contains("panic"), "{}", out.all());
    lab.stop().await;
}
