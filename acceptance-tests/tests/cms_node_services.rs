//! `cms_node_services` with real Terraform against the simulated Meeting Server lab, on every
//! Terraform found: the house protocol (apply → empty plan → import and compare → drift → heal →
//! destroy → node clean), certificate rotation that re-runs only the service that uses them, a
//! Call Bridge restart only when something changed (also after a dropped connection), a block
//! removed, a service configured by hand refused with its import command, and bad input refused
//! at plan time naming the attribute.

use std::net::IpAddr;
use uccluster_harness::*;
use uccluster_lab::cms_mmp::{NodeControl, Service};
use uccluster_lab::lab::Lab;
use uccluster_lab::lab_ca::{IssuedCert, LabCa};

const ADDRESS: &str = "cms_node_services.node";

/// The node's certificate (one for every service, as the seed's single-certificate setup), the
/// CA bundle, and the trust bundle of the clustered servers, as files in the workspace.
struct Pki {
    ca: LabCa,
    node: IssuedCert,
}

impl Pki {
    fn new(address: &str) -> Pki {
        let ca = LabCa::new("cms services test CA").unwrap();
        let ip: IpAddr = address.parse().unwrap();
        let node = ca.issue_server_cert(&[ip]).unwrap();
        Pki { ca, node }
    }

    fn write(&self, tf: &Tf) {
        let dir = tf.dir.join("certs");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("node.key"), &self.node.key_pem).unwrap();
        std::fs::write(dir.join("node.crt"), &self.node.cert_pem).unwrap();
        std::fs::write(dir.join("ca.crt"), self.ca.cert_pem()).unwrap();
        std::fs::write(dir.join("trust.crt"), &self.node.cert_pem).unwrap();
    }

    /// A fresh certificate and key for `file`.key/.crt.
    fn rotate(&self, tf: &Tf, file: &str, address: &str) -> IssuedCert {
        let cert = self
            .ca
            .issue_server_cert(&[address.parse().unwrap()])
            .unwrap();
        let dir = tf.dir.join("certs");
        std::fs::write(dir.join(format!("{file}.key")), &cert.key_pem).unwrap();
        std::fs::write(dir.join(format!("{file}.crt")), &cert.cert_pem).unwrap();
        cert
    }
}

fn tls(cert: &str) -> String {
    format!("    key         = file(\"${{path.module}}/certs/{cert}.key\")\n    certificate = file(\"${{path.module}}/certs/{cert}.crt\")\n    ca_bundle   = file(\"${{path.module}}/certs/ca.crt\")\n")
}

/// The four blocks, each with `extra` lines; `webbridge_cert` names the Web Bridge's files.
fn blocks(webbridge_cert: &str, callbridge_extra: &str) -> String {
    let trust = "file(\"${path.module}/certs/trust.crt\")";
    format!(
        "  webadmin {{\n{}  }}\n  callbridge {{\n{}    cluster_trust_bundle = {trust}\n{callbridge_extra}  }}\n  xmpp {{\n    domain = \"conf.example.com\"\n{}  }}\n  webbridge {{\n{}    trust_bundle = {trust}\n  }}\n",
        tls("node"),
        tls("node"),
        tls("node"),
        tls(webbridge_cert)
    )
}

fn services(node: &(String, u16), blocks: &str) -> String {
    format!(
        "resource \"cms_node_services\" \"node\" {{\n  address  = \"{}\"\n  ssh_port = {}\n\n{blocks}}}\n",
        node.0, node.1
    )
}

fn import_id(node: &(String, u16)) -> String {
    format!("{}:{}", node.0, node.1)
}

async fn one_node(tf: &Tf) -> (Lab, (String, u16), NodeControl, Pki) {
    let lab = cms_lab(1, tf).await;
    let node = cms_nodes(&lab)[0].clone();
    let ctl = lab.cms(&lab.cms_names()[0]);
    let pki = Pki::new(&node.0);
    pki.write(tf);
    (lab, node, ctl, pki)
}

fn ours(ctl: &NodeControl) -> Vec<String> {
    ctl.files()
        .into_iter()
        .filter(|f| f.starts_with("uccluster-"))
        .collect()
}

fn commands_since(ctl: &NodeControl, from: usize) -> Vec<String> {
    ctl.command_log()[from..].to_vec()
}

/// Whether every service is back to what a fresh node has.
fn assert_unconfigured(ctl: &NodeControl) {
    assert_eq!(ctl.webadmin_config(), Default::default());
    assert_eq!(ctl.callbridge_config(), Default::default());
    assert_eq!(ctl.callbridge_running_config(), Default::default());
    let x = ctl.xmpp_config();
    assert!(
        !x.enabled && x.listen.is_empty() && x.tls.is_none(),
        "{x:?}"
    );
    assert_eq!(ctl.webbridge_config(), Default::default());
    assert_eq!(ours(ctl), Vec::<String>::new(), "our files removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_import_drift_heal_destroy() {
    on_each_terraform("svc-protocol", |tf| async move {
        let (lab, node, ctl, pki) = one_node(&tf).await;
        let config = format!(
            "{}\n{}",
            cms_provider(&lab),
            services(&node, &blocks("node", ""))
        );
        let other = pki
            .ca
            .issue_server_cert(&[node.0.parse().unwrap()])
            .unwrap();
        Protocol::new(&tf, config)
            .applied(async {
                let wa = ctl.webadmin_config();
                assert!(wa.enabled);
                assert_eq!(wa.listen, Some(("a".to_string(), 445)));
                assert_eq!(wa.tls.as_ref().unwrap().key, "uccluster-webadmin.key");
                assert!(!wa.http_redirect);
                let cb = ctl.callbridge_running_config();
                assert_eq!(cb.listen, vec!["a"]);
                assert_eq!(
                    cb.cluster_trust.as_deref(),
                    Some("uccluster-callbridge-trust.crt")
                );
                assert_eq!(
                    ctl.callbridge_restarts(),
                    1,
                    "one restart applies every Call Bridge setting"
                );
                let x = ctl.xmpp_config();
                assert!(x.enabled);
                assert_eq!(x.domain.as_deref(), Some("conf.example.com"));
                let wb = ctl.webbridge_config();
                assert!(wb.enabled && wb.http_redirect);
                assert_eq!(wb.listen, vec![("a".to_string(), 443)]);
                assert_eq!(wb.trust.as_deref(), Some("uccluster-webbridge-trust.crt"));
                assert_eq!(
                    ctl.file("uccluster-webbridge.crt").unwrap(),
                    pki.node.cert_pem.as_bytes()
                );
                let applied = tf.resource_values(ADDRESS).await;
                assert_eq!(applied["id"], import_id(&node));
                for block in ["webadmin", "callbridge", "xmpp", "webbridge"] {
                    assert_eq!(applied[block][0]["certificates"], "current", "{block}");
                }
                assert_eq!(applied["webadmin"][0]["port"], 445);
            })
            .import(ADDRESS, import_id(&node))
            .step(
                Step::drift("the Web Admin disabled by hand", async {
                    ctl.set_service_enabled(Service::WebAdmin, false);
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows("~ enabled")
                        .shows("false -> true"),
                ),
            )
            .step(
                Step::drift("the Call Bridge moved to interface b", async {
                    ctl.update_callbridge(|c| c.listen = vec!["b".into()]);
                })
                .plan(Plan::any().shows("~ interfaces")),
            )
            .step(
                Step::drift(
                    "another certificate under the Web Bridge's file name",
                    async {
                        ctl.put_file("uccluster-webbridge.crt", other.cert_pem.as_bytes());
                    },
                )
                .plan(Plan::any().shows(r#""outdated" -> "current""#)),
            )
            .step(
                Step::drift("the XMPP server pointed at other files", async {
                    ctl.put_file("mine.key", other.key_pem.as_bytes());
                    ctl.put_file("mine.crt", other.cert_pem.as_bytes());
                    ctl.update_xmpp(|x| {
                        x.tls = Some(uccluster_lab::cms_mmp::TlsFiles::new(
                            "mine.key", "mine.crt",
                        ))
                    });
                })
                .plan(Plan::any().shows(r#""other" -> "current""#)),
            )
            .step(Step::heal(async {
                assert!(ctl.webadmin_config().enabled);
                assert_eq!(ctl.callbridge_running_config().listen, vec!["a"]);
                assert_eq!(
                    ctl.callbridge_restarts(),
                    2,
                    "one more restart for the moved interface"
                );
                assert_eq!(
                    ctl.file("uccluster-webbridge.crt").unwrap(),
                    pki.node.cert_pem.as_bytes()
                );
                assert_eq!(ctl.xmpp_config().tls.unwrap().key, "uccluster-xmpp.key");
            }))
            .device_clean(async {
                assert_unconfigured(&ctl);
                assert!(
                    ctl.files().contains(&"mine.key".to_string()),
                    "other files stay"
                );
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_reruns_only_its_service_and_the_call_bridge_restarts_only_on_change() {
    on_each_terraform("svc-rotate", |tf| async move {
        let (lab, node, ctl, pki) = one_node(&tf).await;
        std::fs::copy(tf.dir.join("certs/node.key"), tf.dir.join("certs/wb.key")).unwrap();
        std::fs::copy(tf.dir.join("certs/node.crt"), tf.dir.join("certs/wb.crt")).unwrap();
        let config = |callbridge_extra: &str| {
            format!("{}\n{}", cms_provider(&lab), services(&node, &blocks("wb", callbridge_extra)))
        };
        tf.write("main.tf", &config(""));
        tf.init().await;
        tf.apply_ok().await;
        assert_eq!(ctl.callbridge_restarts(), 1);

        // A new Web Bridge certificate: only the Web Bridge's steps run again.
        let before = ctl.command_log().len();
        let rotated = pki.rotate(&tf, "wb", &node.0);
        Plan::changes().update(ADDRESS).check(&tf).await;
        tf.apply_ok().await;
        let ran = commands_since(&ctl, before);
        let changes: Vec<&String> = ran
            .iter()
            .filter(|c| !matches!(c.as_str(), "webadmin" | "callbridge" | "xmpp" | "webbridge"))
            .collect();
        assert_eq!(
            changes,
            vec![
                "webbridge certs uccluster-webbridge.key uccluster-webbridge.crt uccluster-webbridge-bundle.crt",
                "webbridge disable",
                "webbridge enable"
            ],
            "{ran:?}"
        );
        assert_eq!(ctl.file("uccluster-webbridge.crt").unwrap(), rotated.cert_pem.as_bytes());
        assert_eq!(ctl.file("uccluster-webadmin.crt").unwrap(), pki.node.cert_pem.as_bytes());
        assert_eq!(ctl.callbridge_restarts(), 1, "no Call Bridge restart for a Web Bridge change");
        tf.assert_empty_plan().await;

        // A second interface for the Call Bridge: one restart applies it.
        tf.write("main.tf", &config("    interfaces = [\"a\", \"b\"]\n"));
        tf.apply_ok().await;
        assert_eq!(ctl.callbridge_restarts(), 2);
        assert_eq!(ctl.callbridge_running_config().listen, vec!["a", "b"]);
        tf.assert_empty_plan().await;

        // The connection drops right after `callbridge listen`: the retry still restarts.
        ctl.drop_connection_after("callbridge listen", 1);
        tf.write("main.tf", &config("    interfaces = [\"b\"]\n"));
        tf.apply_ok().await;
        assert_eq!(ctl.callbridge_running_config().listen, vec!["b"], "the change was applied by a restart");
        assert_eq!(ctl.callbridge_restarts(), 3);
        tf.assert_empty_plan().await;

        // The restart never gets through (every attempt's connection drops before it): the apply
        // fails, the node keeps the marker, the plan shows the pending restart and the next
        // apply runs it.
        ctl.drop_connection_before("callbridge restart", 100);
        tf.write("main.tf", &config("    interfaces = [\"a\"]\n"));
        tf.apply().await.assert_error(&["Cannot configure the callbridge", "callbridge restart"]);
        assert_eq!(ctl.callbridge_running_config().listen, vec!["b"], "not applied yet");
        ctl.clear_faults();
        Plan::changes()
            .update(ADDRESS)
            .shows("~ restart_pending")
            .shows("true -> false")
            .check(&tf)
            .await;
        tf.apply_ok().await;
        assert_eq!(ctl.callbridge_running_config().listen, vec!["a"]);
        assert!(ctl.file("uccluster-callbridge-restart-pending").is_none());
        tf.assert_empty_plan().await;

        // The Web Bridge block removed: that service goes back to unconfigured, the rest stays.
        let without_webbridge = blocks("wb", "    interfaces = [\"a\"]\n");
        let cut = without_webbridge.find("  webbridge {").unwrap();
        tf.write(
            "main.tf",
            &format!("{}\n{}", cms_provider(&lab), services(&node, &without_webbridge[..cut])),
        );
        tf.apply_ok().await;
        assert_eq!(ctl.webbridge_config(), Default::default());
        assert!(ctl.file("uccluster-webbridge.key").is_none());
        assert!(ctl.webadmin_config().enabled && ctl.xmpp_config().enabled);
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        assert_unconfigured(&ctl);
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_configured_by_hand_is_refused_with_its_import_command() {
    on_each_terraform("svc-exists", |tf| async move {
        let (lab, node, ctl, pki) = one_node(&tf).await;
        ctl.put_file("hand.key", pki.node.key_pem.as_bytes());
        ctl.put_file("hand.crt", pki.node.cert_pem.as_bytes());
        ctl.update_webadmin(|w| {
            w.listen = Some(("a".into(), 445));
            w.tls = Some(uccluster_lab::cms_mmp::TlsFiles::new(
                "hand.key", "hand.crt",
            ));
            w.enabled = true;
        });
        tf.write(
            "main.tf",
            &format!(
                "{}\n{}",
                cms_provider(&lab),
                services(&node, &blocks("node", ""))
            ),
        );
        tf.init().await;
        let before = ctl.command_log().len();
        tf.apply().await.assert_error(&[
            "Service already configured",
            "already has webadmin configured",
            &format!("terraform import <resource address> '{}'", import_id(&node)),
        ]);
        assert_eq!(tf.state_list().await.trim(), "", "nothing recorded");
        assert!(
            commands_since(&ctl, before)
                .iter()
                .all(|c| !c.contains(' ')),
            "only status was read: {:?}",
            commands_since(&ctl, before)
        );
        // The import it names reads the hand-made Web Admin; the plan then moves it to our files.
        let import = tf.import(ADDRESS, &import_id(&node)).await;
        assert_eq!(import.code, 0, "{}", import.all());
        let imported = tf.resource_values(ADDRESS).await;
        assert_eq!(imported["webadmin"][0]["certificates"], "other");
        assert_eq!(imported["webadmin"][0]["key"], pki.node.key_pem.as_str());
        assert!(imported["webbridge"].as_array().unwrap().is_empty());
        Plan::changes()
            .update(ADDRESS)
            .shows(r#""other" -> "current""#)
            .shows("+ webbridge {")
            .check(&tf)
            .await;
        tf.apply_ok().await;
        tf.assert_empty_plan().await;
        assert_eq!(
            ctl.webadmin_config().tls.unwrap().key,
            "uccluster-webadmin.key"
        );
        tf.destroy_ok().await;
        lab.stop().await;
    })
    .await;
}

/// A Meeting Server release that words a status field otherwise: the provider reads the field
/// as unset (the plan wants to set it again) until `fact_overrides` names the label; then the
/// plan is empty and destroy clears the node. A bad entry is refused at plan time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_label_worded_otherwise_is_read_through_fact_overrides() {
    on_each_terraform("svc-labels", |tf| async move {
        let (lab, node, ctl, _pki) = one_node(&tf).await;
        let resource = services(&node, &blocks("node", ""));
        let with_overrides = |entries: &str| {
            let provider = cms_provider(&lab);
            let end = provider.rfind('}').unwrap();
            format!(
                "{}  fact_overrides = [{entries}]\n}}\n\n{resource}",
                &provider[..end]
            )
        };
        tf.write("main.tf", &format!("{}\n{resource}", cms_provider(&lab)));
        tf.init().await;
        tf.apply_ok().await;
        tf.assert_empty_plan().await;

        ctl.rename_status_label(
            "webadmin",
            "TLS listening interface and port",
            "Listening interface and port",
        );
        Plan::changes().update(ADDRESS).check(&tf).await;

        tf.write(
            "main.tf",
            &with_overrides("\"webadmin.listen = Listening interface and port\""),
        );
        tf.assert_empty_plan().await;

        tf.write(
            "main.tf",
            &with_overrides("\"webadmin.listen=Listening: on\""),
        );
        tf.plan().await.assert_error(&[
            "Invalid fact override",
            "fact_overrides",
            "a status label has no colon",
        ]);
        tf.write("main.tf", &with_overrides("\"webadmin.nothing=x\""));
        tf.plan().await.assert_error(&[
            "Invalid fact override",
            "\"webadmin.nothing\" is not an entry",
        ]);

        tf.write(
            "main.tf",
            &with_overrides("\"webadmin.listen=Listening interface and port\""),
        );
        tf.destroy_ok().await;
        assert_unconfigured(&ctl);
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_at_plan_time_naming_the_attribute() {
    on_each_terraform("svc-validate", |tf| async move {
        let pki = Pki::new("10.0.0.1");
        pki.write(&tf);
        // A key of another certificate.
        let stranger = pki
            .ca
            .issue_server_cert(&["10.0.0.9".parse().unwrap()])
            .unwrap();
        std::fs::write(tf.dir.join("certs/stranger.key"), &stranger.key_pem).unwrap();
        std::fs::write(tf.dir.join("certs/stranger.crt"), &stranger.cert_pem).unwrap();
        let node = ("10.0.0.1".to_string(), 22);
        let all = blocks("node", "");
        let with = |from: &str, to: &str| {
            assert!(all.contains(from), "{from}");
            services(&node, &all.replacen(from, to, 1))
        };
        let webadmin_tls = tls("node");
        let cases: Vec<(String, &str, &str, &str)> = vec![
            (
                with("  webadmin {\n", "  webadmin {\n    interface = \"e\"\n"),
                "Invalid interface",
                "\"e\" is not an MMP interface",
                "interface = \"e\"",
            ),
            (
                with("  webadmin {\n", "  webadmin {\n    port = 0\n"),
                "Invalid port",
                "got 0",
                "port = 0",
            ),
            (
                with(
                    "    cluster_trust_bundle",
                    "    interfaces = [\"a b\"]\n    cluster_trust_bundle",
                ),
                "Invalid interface",
                "\"a b\"",
                "interfaces",
            ),
            (
                with(
                    "    trust_bundle = file",
                    "    listen = [\"a443\"]\n    trust_bundle = file",
                ),
                "Invalid listen entry",
                "expected <interface>:<port>",
                "listen",
            ),
            (
                with(
                    "domain = \"conf.example.com\"",
                    "domain = \"conf example.com\"",
                ),
                "Invalid domain",
                "not a DNS domain name",
                "domain",
            ),
            (
                with(
                    "domain = \"conf.example.com\"",
                    "domain = \"conf.example.com\\nxmpp disable\"",
                ),
                "Invalid domain",
                "not a DNS domain name",
                "domain",
            ),
            (
                with(
                    &webadmin_tls,
                    &webadmin_tls.replacen("certs/node.key", "certs/stranger.key", 1),
                ),
                "Invalid certificate",
                "does not belong to `key`",
                "certificate",
            ),
            (
                with(
                    &webadmin_tls,
                    &webadmin_tls.replacen(
                        "file(\"${path.module}/certs/ca.crt\")",
                        "\"not a certificate\"",
                        1,
                    ),
                ),
                "Invalid certificate",
                "neither PEM text nor a readable file",
                "ca_bundle",
            ),
            (
                with("  webadmin {\n", "  webadmin {\n    http_redirect = true\n"),
                "Port 80 redirected twice",
                "only one service may redirect HTTP port 80",
                "http_redirect",
            ),
            (
                with("  webadmin {\n", "  webadmin {\n    port = 443\n"),
                "Port used twice",
                "both listen on a:443",
                "",
            ),
            (
                with(
                    "    cluster_trust_bundle",
                    "    interfaces = []\n    cluster_trust_bundle",
                ),
                "No listening interface",
                "interfaces must name at least one entry",
                "interfaces",
            ),
            (
                services(&node, ""),
                "No service",
                "declare at least one",
                "",
            ),
            (
                services(&("bad host".to_string(), 22), &all),
                "Invalid address",
                "neither an IP address nor a valid host name",
                "address",
            ),
        ];
        assert_all_invalid(&tf, &Invalid::after(&cms_unused_provider(""), cases)).await;
    })
    .await;
}
