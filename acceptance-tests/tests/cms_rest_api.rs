//! The resources reached through the Meeting Server REST API (`cms_callbridge_cluster`,
//! `cms_callbridge_xmpp`, `cms_webbridge`) with real Terraform against the simulated lab, whose
//! nodes serve the API over HTTPS on their Web Admin port with lab-CA certificates, on every
//! Terraform found. Each resource runs the house protocol (apply → empty plan → import and
//! compare → changes behind Terraform's back shown and healed → destroy → node clean); bad
//! input is refused at plan time naming the attribute.

use std::net::IpAddr;
use uccluster_harness::*;
use uccluster_lab::cms_mmp::NodeControl;
use uccluster_lab::lab::Lab;
use uccluster_lab::lab_ca::LabCa;

/// The Web Admin port of the lab nodes: unprivileged, so the tests need no root.
const WEB_ADMIN_PORT: u16 = 7445;
const API_USER: &str = "api";

/// A lab of `n` nodes, each serving the API with a certificate of `ca`, and the appadmin user.
async fn api_lab(n: usize, tf: &Tf, password: &str) -> (Lab, Vec<NodeControl>, Vec<String>) {
    let lab = cms_lab(n, tf).await;
    let ca = LabCa::new("cms api test CA").unwrap();
    std::fs::write(tf.dir.join("api-ca.crt"), ca.cert_pem()).unwrap();
    let mut controls = Vec::new();
    let mut addresses = Vec::new();
    for (name, (address, _)) in lab.cms_names().iter().zip(cms_nodes(&lab)) {
        let ctl = lab.cms(name);
        let ip: IpAddr = address.parse().unwrap();
        let cert = ca.issue_server_cert(&[ip]).unwrap();
        ctl.enable_webadmin_api(WEB_ADMIN_PORT, &cert.key_pem, &cert.cert_pem)
            .unwrap();
        ctl.add_user(API_USER, "appadmin", password);
        controls.push(ctl);
        addresses.push(format!("{address}:{WEB_ADMIN_PORT}"));
    }
    (lab, controls, addresses)
}

/// The provider block with the API account and the test CA.
fn provider(lab: &Lab, tf: &Tf, password: &str) -> String {
    cms_provider(lab).replacen(
        "  command_timeout",
        &format!(
            "  api_username     = \"{API_USER}\"\n  api_password     = {}\n  api_ca_file      = \"{}\"\n  command_timeout",
            hcl_string(password),
            tf.dir.join("api-ca.crt").display()
        ),
        1,
    )
}

fn cluster(names: &[&str], addresses: &[String]) -> String {
    let nodes: String = names
        .iter()
        .zip(addresses)
        .map(|(n, a)| {
            format!("  node {{\n    unique_name = \"{n}\"\n    address     = \"{a}\"\n  }}\n")
        })
        .collect();
    format!("resource \"cms_callbridge_cluster\" \"this\" {{\n{nodes}}}\n")
}

fn peers_of(ctl: &NodeControl) -> Vec<String> {
    let mut p: Vec<String> = ctl
        .api_call_bridges()
        .into_iter()
        .map(|b| format!("{}={}", b.name, b.address))
        .collect();
    p.sort();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbridge_cluster_protocol() {
    on_each_terraform("cbcluster-protocol", |tf| async move {
        let password = test_secret("api-user");
        let (lab, ctls, addresses) = api_lab(3, &tf, &password).await;
        let names = ["callbridge01", "callbridge02", "callbridge03"];
        let wanted: Vec<String> = names
            .iter()
            .zip(&addresses)
            .map(|(n, a)| format!("{n}={a}"))
            .collect();
        let config = format!(
            "{}\n{}",
            provider(&lab, &tf, &password),
            cluster(&names, &addresses)
        );
        let address = "cms_callbridge_cluster.this";
        let import_id: Vec<String> = names
            .iter()
            .zip(&addresses)
            .map(|(n, a)| format!("{n}={a}"))
            .collect();
        Protocol::new(&tf, config)
            .applied(async {
                for (ctl, name) in ctls.iter().zip(names) {
                    assert_eq!(ctl.api_cluster_config().unique_name.as_deref(), Some(name));
                    assert_eq!(
                        peers_of(ctl),
                        wanted,
                        "every node lists every Call Bridge once"
                    );
                }
                let applied = tf.resource_values(address).await;
                assert_eq!(applied["id"], "callbridge01");
                assert_eq!(applied["node"][1]["peers"].as_array().unwrap().len(), 3);
            })
            .import(address, import_id.join(","))
            .step(
                Step::drift("a peer removed and another renamed on node 2", async {
                    assert!(ctls[1].api_remove_call_bridge("callbridge03"));
                    ctls[1].api_update_call_bridge("callbridge01", |b| b.name = "renamed".into());
                })
                .plan(
                    Plan::changes()
                        .update(address)
                        .shows("~ peers")
                        .shows("renamed=")
                        .shows("1 to change"),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(peers_of(&ctls[1]), wanted);
            }))
            .step(
                Step::drift("a unique name changed on node 3", async {
                    ctls[2].update_api_cluster_config(|c| c.unique_name = Some("other".into()));
                })
                .plan(
                    Plan::changes()
                        .update(address)
                        .shows(r#"~ unique_name = "other" -> "callbridge03""#),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(
                    ctls[2].api_cluster_config().unique_name.as_deref(),
                    Some("callbridge03")
                );
            }))
            .device_clean(async {
                for ctl in &ctls {
                    assert!(ctl.api_call_bridges().is_empty(), "no entry left");
                    assert_eq!(ctl.api_cluster_config().unique_name.unwrap_or_default(), "");
                }
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

/// A third node joins a two-node cluster, then the first leaves: every node lists exactly the
/// block's nodes, the one that left lists nothing and has no identity; a create over a node
/// that already lists peers is refused with the import command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbridge_cluster_grows_shrinks_and_refuses_an_existing_cluster() {
    on_each_terraform("cbcluster-grow", |tf| async move {
        let password = test_secret("api-user");
        let (lab, ctls, addresses) = api_lab(3, &tf, &password).await;
        let head = provider(&lab, &tf, &password);
        ctls[0].api_add_call_bridge("by-hand", "10.9.9.9:445", None);
        tf.write(
            "main.tf",
            &format!("{head}\n{}", cluster(&["cb1", "cb2"], &addresses[..2])),
        );
        tf.init().await;
        tf.apply().await.assert_error(&[
            "Call Bridge already clustered",
            "by-hand",
            "terraform import",
        ]);
        assert!(ctls[0].api_remove_call_bridge("by-hand"));

        tf.apply_ok().await;
        assert_eq!(peers_of(&ctls[1]).len(), 2);
        tf.write(
            "main.tf",
            &format!("{head}\n{}", cluster(&["cb1", "cb2", "cb3"], &addresses)),
        );
        tf.apply_ok().await;
        for ctl in &ctls {
            assert_eq!(peers_of(ctl).len(), 3);
        }
        tf.write(
            "main.tf",
            &format!("{head}\n{}", cluster(&["cb2", "cb3"], &addresses[1..])),
        );
        tf.apply_ok().await;
        assert!(
            ctls[0].api_call_bridges().is_empty(),
            "the node that left lists nothing"
        );
        assert_eq!(
            ctls[0].api_cluster_config().unique_name.unwrap_or_default(),
            ""
        );
        for ctl in &ctls[1..] {
            assert_eq!(
                peers_of(ctl),
                vec![
                    format!("cb2={}", addresses[1]),
                    format!("cb3={}", addresses[2])
                ]
            );
        }
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        lab.stop().await;
    })
    .await;
}

/// One node with its API (at the address returned), the account `callbridge01` (with the
/// secret returned) on its enabled XMPP server, and the provider block.
struct XmppNode {
    lab: Lab,
    ctl: NodeControl,
    address: String,
    head: String,
    secret: String,
}

async fn xmpp_node(tf: &Tf) -> XmppNode {
    let password = test_secret("api-user");
    let secret = test_secret("xmpp-secret");
    let (lab, mut ctls, mut addresses) = api_lab(1, tf, &password).await;
    let ctl = ctls.remove(0);
    ctl.add_callbridge("callbridge01", &secret);
    ctl.set_service_enabled(uccluster_lab::cms_mmp::Service::Xmpp, true);
    let head = provider(&lab, tf, &password);
    XmppNode {
        lab,
        ctl,
        address: addresses.remove(0),
        head,
        secret,
    }
}

/// `cms_callbridge_xmpp.this`: the node's Call Bridge logging in as `callbridge01` with `secret`.
fn xmpp_resource(node: &XmppNode, secret: &str) -> String {
    format!(
        "resource \"cms_callbridge_xmpp\" \"this\" {{\n  api_address   = \"{}\"\n  unique_name   = \"callbridge01\"\n  domain        = \"{}\"\n  shared_secret = {}\n}}\n",
        node.address,
        node.ctl.xmpp_domain(),
        hcl_string(secret)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbridge_xmpp_protocol() {
    on_each_terraform("cbxmpp-protocol", |tf| async move {
        let node = xmpp_node(&tf).await;
        let (ctl, head, secret) = (&node.ctl, &node.head, &node.secret);
        let address = "cms_callbridge_xmpp.this";
        let resource = |secret: &str| xmpp_resource(&node, secret);
        // A secret the XMPP server does not know: the apply says the Call Bridge did not connect.
        // The apply waits for the connection until the create timeout (at most a minute).
        let wrong = resource("wrong-secret")
            .replace("\n}\n", "\n  timeouts {\n    create = \"3s\"\n  }\n}\n");
        tf.write("main.tf", &format!("{head}\n{wrong}"));
        tf.init().await;
        let failed = tf.apply().await;
        failed.assert_error(&["Call Bridge not connected to XMPP", "callbridge01"]);
        assert!(
            !failed.all().contains("wrong-secret"),
            "no secret in messages"
        );
        tf.destroy_ok().await;

        Protocol::new(&tf, format!("{head}\n{}", resource(secret)))
            .applied(async {
                let x = ctl.api_xmpp_config();
                assert_eq!(x.unique_name.as_deref(), Some("callbridge01"));
                assert_eq!(x.shared_secret.as_deref(), Some(secret.as_str()));
                assert!(ctl.xmpp_connected());
                let applied = tf.resource_values(address).await;
                assert_eq!(applied["connection"], "connected");
                assert_eq!(applied["shared_secret"], secret.as_str());
            })
            .step(
                Step::drift("the secret changed on the node", async {
                    ctl.update_api_xmpp_config(|x| x.shared_secret = Some("changed".into()));
                })
                .plan(
                    Plan::changes()
                        .update(address)
                        .shows(r#"~ connection = "not_connected" -> "connected""#),
                ),
            )
            .step(Step::heal(async {
                assert!(ctl.xmpp_connected());
                assert_eq!(
                    ctl.api_xmpp_config().shared_secret.as_deref(),
                    Some(secret.as_str())
                );
            }))
            .step(
                Step::drift("a server address set on the node", async {
                    ctl.update_api_xmpp_config(|x| x.server_address = Some("10.9.9.9".into()));
                })
                .plan(
                    Plan::changes()
                        .update(address)
                        .shows(r#"- server_address = "10.9.9.9""#),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(ctl.api_xmpp_config().server_address.unwrap_or_default(), "");
            }))
            .device_clean(async {
                let x = ctl.api_xmpp_config();
                assert_eq!(x.unique_name.unwrap_or_default(), "");
                assert_eq!(x.shared_secret.unwrap_or_default(), "");
            })
            .run()
            .await;

        // Import: the API never shows the secret, so the first apply sets it, then the plan is
        // empty.
        tf.apply_ok().await;
        tf.reimport(address, &node.address).await;
        let imported = tf.resource_values(address).await;
        assert!(imported["shared_secret"].is_null(), "{imported}");
        assert_eq!(imported["domain"], ctl.xmpp_domain());
        tf.apply_ok().await;
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        node.lab.stop().await;
    })
    .await;
}

/// A release that names the XMPP connection alarm otherwise: without `fact_overrides` a broken
/// connection goes unseen (the gap the override closes); with `xmpp_alarm` named, the plan shows
/// it and the apply heals it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xmpp_alarm_named_otherwise_is_seen_through_fact_overrides() {
    on_each_terraform("cbxmpp-alarm", |tf| async move {
        let node = xmpp_node(&tf).await;
        let (ctl, head) = (&node.ctl, &node.head);
        ctl.set_xmpp_alarm_type("xmppLinkDown");
        let address = "cms_callbridge_xmpp.this";
        let resource = xmpp_resource(&node, &node.secret);
        tf.write("main.tf", &format!("{head}\n{resource}"));
        tf.init().await;
        tf.apply_ok().await;
        assert!(ctl.xmpp_connected());

        ctl.update_api_xmpp_config(|x| x.shared_secret = Some("changed".into()));
        assert!(!ctl.xmpp_connected());
        tf.assert_empty_plan().await;

        let overridden = head.replacen(
            "  command_timeout",
            "  fact_overrides   = [\"xmpp_alarm=xmppLinkDown\"]\n  command_timeout",
            1,
        );
        tf.write("main.tf", &format!("{overridden}\n{resource}"));
        Plan::changes()
            .update(address)
            .shows(r#"~ connection = "not_connected" -> "connected""#)
            .check(&tf)
            .await;
        tf.apply_ok().await;
        assert!(ctl.xmpp_connected());
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        node.lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webbridge_protocol() {
    on_each_terraform("webbridge-protocol", |tf| async move {
        let password = test_secret("api-user");
        let (lab, ctls, addresses) = api_lab(1, &tf, &password).await;
        let ctl = &ctls[0];
        let address = "cms_webbridge.join";
        let url = "https://join.example.com";
        let config = format!(
            "{}\nresource \"cms_webbridge\" \"join\" {{\n  api_address   = \"{}\"\n  url           = \"{url}\"\n  id_entry_mode = \"secure\"\n}}\n",
            provider(&lab, &tf, &password),
            addresses[0]
        );
        Protocol::new(&tf, config)
            .applied(async {
                let bridges = ctl.api_web_bridges();
                assert_eq!(bridges.len(), 1);
                assert_eq!(bridges[0].url, url);
                assert_eq!(bridges[0].id_entry_mode.as_deref(), Some("secure"));
                assert!(bridges[0].allow_weblink_access);
                let applied = tf.resource_values(address).await;
                assert_eq!(applied["id"], bridges[0].id.as_str());
                assert_eq!(applied["guest_access"], true);
            })
            .import(address, format!("{url}@{}", addresses[0]))
            .step(
                Step::drift("guest access turned off on the node", async {
                    ctl.api_update_web_bridge(url, |b| b.allow_weblink_access = false);
                })
                .plan(
                    Plan::changes()
                        .update(address)
                        .shows("~ guest_access")
                        .shows("1 to change"),
                ),
            )
            .step(Step::heal(async {
                assert!(ctl.api_web_bridges()[0].allow_weblink_access);
            }))
            .step(
                Step::drift("the Web Bridge deleted on the node", async {
                    assert!(ctl.api_remove_web_bridge(url));
                })
                .plan(Plan::changes().create(address).shows("1 to add")),
            )
            .step(Step::heal(async {
                assert_eq!(ctl.api_web_bridges().len(), 1);
            }))
            .device_clean(async {
                assert!(ctl.api_web_bridges().is_empty());
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

/// The answer to the POST that creates the Web Bridge is lost (the node applied it): the retry
/// finds the object by its URL and does not make a second; a Web Bridge made by hand is refused
/// with its import command.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webbridge_create_survives_a_lost_answer_and_refuses_one_made_by_hand() {
    on_each_terraform("webbridge-lost", |tf| async move {
        let password = test_secret("api-user");
        let (lab, ctls, addresses) = api_lab(1, &tf, &password).await;
        let ctl = &ctls[0];
        let resource = |url: &str| {
            format!(
                "resource \"cms_webbridge\" \"w\" {{\n  api_address = \"{}\"\n  url         = \"{url}\"\n}}\n",
                addresses[0]
            )
        };
        let head = provider(&lab, &tf, &password);
        ctl.api_add_web_bridge("https://by-hand.example.com");
        tf.write("main.tf", &format!("{head}\n{}", resource("https://by-hand.example.com")));
        tf.init().await;
        tf.apply().await.assert_error(&[
            "Web Bridge already exists",
            "terraform import",
            "https://by-hand.example.com@",
        ]);
        assert!(ctl.api_remove_web_bridge("https://by-hand.example.com"));

        ctl.drop_connection_after("POST /api/v1/webBridges", 1);
        tf.write("main.tf", &format!("{head}\n{}", resource("https://join.example.com")));
        tf.apply_ok().await;
        let log = ctl.command_log();
        let posts: Vec<usize> = (0..log.len())
            .filter(|&i| log[i] == "POST /api/v1/webBridges")
            .collect();
        assert_eq!(posts.len(), 1, "the lost answer is not a second create: {log:?}");
        assert_eq!(ctl.faults().pending_drops(), 0, "the POST's answer was lost");
        assert_eq!(ctl.api_web_bridges().len(), 1);
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        assert!(ctl.api_web_bridges().is_empty());
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_at_plan_time() {
    on_each_terraform("restapi-invalid", |tf| async move {
        let head = cms_unused_provider("");
        let addresses: Vec<String> = (1..=9).map(|i| format!("10.0.0.{i}:445")).collect();
        let names: Vec<String> = (1..=9).map(|i| format!("cb{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let no_port = cluster(&["cb1", "cb2"], &["10.0.0.1:445".into(), "cms2.example.com".into()]);
        let twice = cluster(&["cb1", "cb1"], &addresses[..2]);
        let cases = Invalid::after(
            &head,
            [
                (no_port, "Invalid Web Admin address", "has no port", r#"address = "cms2.example.com""#),
                (cluster(&refs, &addresses), "Wrong number of Call Bridges", "2 to 8 nodes", ""),
                (cluster(&refs[..1], &addresses[..1]), "Wrong number of Call Bridges", "got 1 node blocks", ""),
                (twice, "Duplicate node unique_name", "cb1 is used by two nodes", ""),
                (
                    "resource \"cms_webbridge\" \"w\" {\n  api_address   = \"10.0.0.1:445\"\n  url           = \"https://join.example.com\"\n  id_entry_mode = \"open\"\n}\n".to_string(),
                    "Invalid ID entry mode",
                    "is not one of secure, disabled, legacy",
                    r#"id_entry_mode = "open""#,
                ),
                (
                    "resource \"cms_callbridge_xmpp\" \"x\" {\n  api_address   = \"10.0.0.1\"\n  unique_name   = \"cb1\"\n  domain        = \"conf.example.com\"\n  shared_secret = \"s\"\n}\n".to_string(),
                    "Invalid Web Admin address",
                    "has no port",
                    r#"api_address = "10.0.0.1""#,
                ),
                (
                    "resource \"cms_callbridge_xmpp\" \"x\" {\n  api_address   = \"10.0.0.1:445\"\n  unique_name   = \"cb1\"\n  domain        = \"conf example\"\n  shared_secret = \"s\"\n}\n".to_string(),
                    "Invalid domain",
                    "is not a DNS domain name",
                    r#"domain = "conf example""#,
                ),
            ],
        );
        assert_all_invalid(&tf, &cases).await;
    })
    .await;
}
