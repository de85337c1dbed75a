//! `cms_xmpp_callbridge` with real Terraform against the simulated Meeting Server lab, on every
//! Terraform found (`on_each_terraform`). The house protocol (apply → empty plan → import and
//! compare → change behind Terraform's back → plan shows it → apply heals → destroy → device clean)
//! is declared once through `Protocol`; then faults, updates and validation.

use std::cell::{Cell, OnceCell};
use uccluster_harness::*;
use uccluster_lab::cms_mmp::NodeControl;
use uccluster_lab::lab::Lab;

const ADDRESS: &str = "cms_xmpp_callbridge.cb";

fn secrets_of(nodes: &[NodeControl], name: &str) -> Vec<Option<String>> {
    nodes
        .iter()
        .map(|n| {
            n.callbridges()
                .into_iter()
                .find(|(cb, _)| cb == name)
                .map(|(_, s)| s)
        })
        .collect()
}

fn controls(lab: &Lab) -> Vec<NodeControl> {
    lab.cms_names().iter().map(|n| lab.cms(n)).collect()
}

/// A lab of `n` nodes and, in `tf`, a configuration with one account `name` on all of them,
/// initialized.
async fn callbridge_site(
    tf: &Tf,
    n: usize,
    name: &str,
) -> (Lab, Vec<(String, u16)>, Vec<NodeControl>) {
    let lab = cms_lab(n, tf).await;
    let nodes = cms_nodes(&lab);
    let ctl = controls(&lab);
    tf.write(
        "main.tf",
        &format!(
            "{}\n{}",
            cms_provider(&lab),
            callbridge("cb", name, &nodes, "")
        ),
    );
    tf.init().await;
    (lab, nodes, ctl)
}

fn count_commands(nodes: &[NodeControl], command: &str) -> usize {
    nodes
        .iter()
        .map(|n| {
            n.command_log()
                .iter()
                .filter(|c| c.as_str() == command)
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_import_drift_heal_destroy() {
    on_each_terraform("cb-protocol", |tf| async move {
        let lab = cms_lab(3, &tf).await;
        let nodes = cms_nodes(&lab);
        let ctl = controls(&lab);
        // The secret the first apply generated, and how often `add` ran before the heal.
        let (secret, adds_before) = (OnceCell::new(), Cell::new(0));
        let config = format!(
            "{}\n{}",
            cms_provider(&lab),
            callbridge("cb", "callbridge01", &nodes, "")
        );
        Protocol::new(&tf, config)
            // generated on the first node, the same secret given to the others
            .applied(async {
                let secrets = secrets_of(&ctl, "callbridge01");
                let first = secrets[0].clone().expect("first node has the account");
                assert_eq!(
                    secrets,
                    vec![Some(first.clone()); 3],
                    "every node holds the same secret"
                );
                assert_eq!(count_commands(&ctl, "xmpp callbridge add callbridge01"), 1);
                assert_eq!(
                    ctl[0]
                        .command_log()
                        .iter()
                        .filter(|c| c.starts_with("xmpp callbridge add-secret"))
                        .count(),
                    0
                );
                let applied = tf.resource_values(ADDRESS).await;
                assert_eq!(applied["secret"], first.as_str());
                assert_eq!(applied["domain"], "conf.example.com");
                assert_eq!(applied["id"], "callbridge01");
                for node in applied["xmpp_node"].as_array().unwrap() {
                    assert_eq!(node["status"], "registered");
                }
                secret.set(first).unwrap();
            })
            .import(ADDRESS, callbridge_import_id("callbridge01", &nodes))
            .step(
                Step::drift("the account deleted on node 2", async {
                    assert!(ctl[1].remove_callbridge("callbridge01"));
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(r#"~ status = "missing" -> "registered""#)
                        .shows("1 to change")
                        .shows(format!(
                            "callbridge01 is missing on {}:{}",
                            nodes[1].0, nodes[1].1
                        )),
                ),
            )
            .step(
                Step::drift("another secret on node 3", async {
                    ctl[2].add_callbridge("callbridge01", "someoneElsesSecret99");
                    adds_before.set(count_commands(&ctl, "xmpp callbridge add callbridge01"));
                })
                .plan(Plan::any().shows(r#""secret_mismatch" -> "registered""#)),
            )
            // both healed with the cluster's secret; the first node is not touched
            .step(Step::heal(async {
                let secret = secret.get().unwrap();
                assert_eq!(
                    secrets_of(&ctl, "callbridge01"),
                    vec![Some(secret.clone()); 3]
                );
                assert_eq!(
                    count_commands(&ctl, "xmpp callbridge add callbridge01"),
                    adds_before.get(),
                    "healing never regenerates the secret"
                );
            }))
            .step(
                Step::new("an account that is not ours, on node 1").before(async {
                    ctl[0].add_callbridge("not-ours", "keepThisOne12345");
                }),
            )
            // every node clean, other accounts untouched
            .device_clean(async {
                assert_eq!(secrets_of(&ctl, "callbridge01"), vec![None, None, None]);
                assert_eq!(
                    ctl[0].callbridges(),
                    vec![("not-ours".to_string(), "keepThisOne12345".to_string())]
                );
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_everywhere_plans_a_create() {
    on_each_terraform("cb-gone", |tf| async move {
        let (lab, _, ctl) = callbridge_site(&tf, 2, "cb2").await;
        tf.apply_ok().await;
        for n in &ctl {
            assert!(n.remove_callbridge("cb2"));
        }
        Plan::changes()
            .create(ADDRESS)
            .shows("will be created")
            .check(&tf)
            .await;
        tf.apply_ok().await;
        let secrets = secrets_of(&ctl, "cb2");
        assert!(secrets[0].is_some() && secrets[0] == secrets[1]);
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_added_and_removed_and_secret_rotated() {
    on_each_terraform("cb-update", |tf| async move {
        let lab = cms_lab(3, &tf).await;
        let nodes = cms_nodes(&lab);
        let ctl = controls(&lab);
        let (first, rotated) = (test_secret("first"), test_secret("rotated"));
        let config = |nodes: &[(String, u16)], secret: &str| {
            let secret = format!("  secret = {}\n", hcl_string(secret));
            format!(
                "{}\n{}",
                cms_provider(&lab),
                callbridge("cb", "cb3", nodes, &secret)
            )
        };
        let secrets = || secrets_of(&ctl, "cb3");
        Protocol::new(&tf, config(&nodes[..2], &first))
            .applied(async {
                assert_eq!(
                    secrets(),
                    vec![Some(first.clone()), Some(first.clone()), None]
                );
                assert_eq!(
                    count_commands(&ctl, "xmpp callbridge add cb3"),
                    0,
                    "a given secret is entered with add-secret everywhere"
                );
            })
            .step(
                Step::new("grow: the third node joins with the same secret")
                    .config(config(&nodes, &first))
                    .plan(Plan::any().shows("1 to change"))
                    .apply(async { assert_eq!(secrets(), vec![Some(first.clone()); 3]) })
                    .empty_plan(),
            )
            .step(
                Step::new("rotate the secret on every node")
                    .config(config(&nodes, &rotated))
                    .apply(async { assert_eq!(secrets(), vec![Some(rotated.clone()); 3]) }),
            )
            .step(
                Step::new("shrink: the first node leaves and is cleaned")
                    .config(config(&nodes[1..], &rotated))
                    .apply(async {
                        assert_eq!(
                            secrets(),
                            vec![None, Some(rotated.clone()), Some(rotated.clone())]
                        );
                    })
                    .empty_plan(),
            )
            .step(
                Step::new("the secret never shows in terraform's output").before(async {
                    let plan = tf.run(&["plan", "-no-color", "-input=false"]).await;
                    assert!(!plan.text().contains(&rotated), "{}", plan.all());
                }),
            )
            .device_clean(async { assert_eq!(secrets(), vec![None, None, None]) })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_host_key_is_a_clear_error_and_changes_nothing() {
    on_each_terraform("cb-hostkey", |tf| async move {
        let (lab, nodes, ctl) = callbridge_site(&tf, 3, "cb4").await;
        // node 2 now presents a key that is not in known_hosts (impersonation, or a reinstall)
        ctl[1].rotate_host_key();
        let out = tf.apply().await;
        // names the node and shows the key presented
        out.assert_error(&[
            "host key verification failed for",
            &format!("{}:{}", nodes[1].0, nodes[1].1),
            &ctl[1].host_key_fingerprint(),
        ]);
        assert_eq!(
            secrets_of(&ctl, "cb4"),
            vec![None, None, None],
            "nothing changed on any node"
        );
        let state = tf.state_list().await;
        assert!(state.is_empty(), "nothing recorded: {state}");
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_fingerprints_work_without_known_hosts() {
    on_each_terraform("cb-pinned", |tf| async move {
    let lab = cms_lab(2, &tf).await;
    let nodes = cms_nodes(&lab);
    let ctl = controls(&lab);
    let provider = cms_provider(&lab).replace(
        &lab.known_hosts_path().display().to_string(),
        "/nonexistent/known_hosts",
    );
    let blocks: String = nodes
        .iter()
        .zip(&ctl)
        .map(|((a, p), c)| format!("  xmpp_node {{\n    address              = \"{a}\"\n    port                 = {p}\n    host_key_fingerprint = \"{}\"\n  }}\n", c.host_key_fingerprint()))
        .collect();
    tf.write("main.tf", &format!("{provider}\nresource \"cms_xmpp_callbridge\" \"cb\" {{\n  name = \"cb5\"\n{blocks}}}\n"));
    tf.init().await;
    tf.apply_ok().await;
    tf.assert_empty_plan().await;
    // a changed key on a pinned node is refused
    ctl[0].rotate_host_key();
    let plan = tf.plan().await;
    plan.assert_error(&["host_key_fingerprint pins"]);
    lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_command_is_retried_without_duplicates() {
    on_each_terraform("cb-drop", |tf| async move {
        let (lab, _, ctl) = callbridge_site(&tf, 3, "cb6").await;
        // The first node applies `add` and drops the connection before answering; the third does the
        // same with `add-secret`. The provider reconnects, checks, finds the account in place and goes
        // on with that secret instead of adding again.
        ctl[0].drop_connection_after("xmpp callbridge add cb6", 1);
        ctl[2].drop_connection_after("xmpp callbridge add-secret cb6", 1);
        tf.apply_ok().await;
        assert_eq!(
            count_commands(&ctl, "xmpp callbridge add cb6"),
            1,
            "never added twice"
        );
        assert_eq!(
            count_commands(&ctl[2..], "xmpp callbridge add-secret cb6"),
            1,
            "never entered twice"
        );
        let secrets = secrets_of(&ctl, "cb6");
        assert!(
            secrets.iter().all(|s| s.is_some() && *s == secrets[0]),
            "{secrets:?}"
        );
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_failing_part_way_keeps_what_exists_and_the_next_apply_converges() {
    on_each_terraform("cb-partial", |tf| async move {
        let (lab, _, ctl) = callbridge_site(&tf, 3, "cb8").await;
        // The link to the third node breaks every time add-secret is sent: retries run out.
        ctl[2].drop_connection_before("xmpp callbridge add-secret cb8", 100);
        let out = tf.apply().await;
        out.assert_error(&["closed while running `xmpp callbridge add-secret cb8`"]);
        let secret = secrets_of(&ctl, "cb8")[0]
            .clone()
            .expect("first node registered");
        assert_eq!(
            secrets_of(&ctl, "cb8"),
            vec![Some(secret.clone()), Some(secret.clone()), None]
        );
        // State records what exists: the account, its secret, and which node lacks it.
        let state = tf.resource_values(ADDRESS).await;
        assert_eq!(
            state["secret"],
            secret.as_str(),
            "state keeps the secret that is on the devices"
        );
        let statuses: Vec<&str> = state["xmpp_node"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, vec!["registered", "registered", "missing"]);

        // The link heals; the next apply converges and every node ends with one account, one secret.
        ctl[2].clear_faults();
        tf.apply_ok().await;
        let secrets = secrets_of(&ctl, "cb8");
        assert!(
            secrets.iter().all(|s| s.is_some() && *s == secrets[0]),
            "{secrets:?}"
        );
        for n in &ctl {
            assert_eq!(
                n.callbridges().iter().filter(|(cb, _)| cb == "cb8").count(),
                1
            );
        }
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_account_is_not_taken_over_silently() {
    on_each_terraform("cb-exists", |tf| async move {
        let (lab, nodes, ctl) = callbridge_site(&tf, 2, "cb7").await;
        ctl[0].add_callbridge("cb7", "madeByHandSecret1");
        let out = tf.apply().await;
        out.assert_error(&[
            "already has an XMPP account named \"cb7\"",
            &format!(
                "terraform import <resource address> '{}'",
                callbridge_import_id("cb7", &nodes)
            ),
        ]);
        assert!(
            !out.text().contains("madeByHandSecret1"),
            "secrets never in errors"
        );
        assert_eq!(
            secrets_of(&ctl, "cb7"),
            vec![Some("madeByHandSecret1".into()), None]
        );
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_at_plan_time_naming_the_attribute() {
    let node = |a: &str| format!("  xmpp_node {{\n    address = \"{a}\"\n  }}\n");
    let cb = |name: &str, body: &str| {
        format!("resource \"cms_xmpp_callbridge\" \"x\" {{\n  name = \"{name}\"\n{body}}}\n")
    };
    let one = node("10.0.0.1");
    // (resource, summary, detail, the line Terraform points at: "" for any)
    let cases = [
        (
            cb("", &one),
            "Invalid Call Bridge name",
            "name must not be empty",
            "",
        ),
        (
            cb("cb", &format!("{one}{one}")),
            "Duplicate XMPP node",
            "address",
            "",
        ),
        (cb("cb", ""), "No XMPP nodes", "xmpp_node", ""),
        (
            cb("cb", &node("not a host")),
            "Invalid address",
            "neither an IP address nor a valid host name",
            "",
        ),
        (cb("c b", &one), "Invalid Call Bridge name", "' '", ""),
        (
            cb(
                "cb",
                &format!("  timeouts {{\n    create = \"soon\"\n  }}\n{one}"),
            ),
            "Invalid timeout",
            "soon",
            "",
        ),
        (
            cb(
                "cb",
                "  xmpp_node {\n    address = \"10.0.0.1\"\n    port = 70000\n  }\n",
            ),
            "Invalid port",
            "got 70000",
            "port = 70000",
        ),
        (
            cb(
                "cb",
                "  xmpp_node {\n    address = \"10.0.0.1\"\n    username = \"admin\\nx\"\n  }\n",
            ),
            "Invalid username",
            "contains '\\n'",
            "username",
        ),
        (
            cb(
                "cb",
                &format!("{one}  timeouts {{\n    read = \"18446744073709551615s1s\"\n  }}\n"),
            ),
            "Invalid timeout",
            "too large",
            "read =",
        ),
    ];
    let cases = Invalid::after(&cms_unused_provider(""), cases);
    on_each_terraform("cb-validate", |tf| {
        let cases = &cases;
        async move { assert_all_invalid(&tf, cases).await }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_failing_part_way_keeps_the_resource_and_can_be_retried() {
    on_each_terraform("cb-destroy", |tf| async move {
        let (lab, _, ctl) = callbridge_site(&tf, 3, "cb9").await;
        tf.apply_ok().await;
        ctl[1].set_refuse_login(true);
        let out = tf
            .run(&[
                "destroy",
                "-auto-approve",
                "-input=false",
                "-no-color",
                "-refresh=false",
            ])
            .await;
        out.assert_error(&["rejected the login of user \"admin\""]);
        assert_eq!(
            tf.state_list().await,
            ADDRESS,
            "nothing is lost: the resource stays in state"
        );
        let left = secrets_of(&ctl, "cb9");
        assert!(
            left[0].is_none() && left[1].is_some() && left[2].is_none(),
            "the reachable nodes were cleaned: {left:?}"
        );
        ctl[1].clear_faults();
        tf.destroy_ok().await;
        assert_eq!(secrets_of(&ctl, "cb9"), vec![None, None, None]);
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tf_log_shows_structured_provider_logs_without_secrets() {
    on_each_terraform("cb-log", |tf| async move {
        let (lab, _, ctl) = callbridge_site(&tf, 2, "cb10").await;
        let log = tf.dir.join("tf.log");
        let out = tf
            .run_with_env(
                &["apply", "-auto-approve", "-input=false", "-no-color"],
                &[("TF_LOG", "DEBUG"), ("TF_LOG_PATH", log.to_str().unwrap())],
            )
            .await;
        assert_eq!(out.code, 0, "{}", out.all());
        let text = std::fs::read_to_string(&log).unwrap();
        let secret = secrets_of(&ctl, "cb10")[0].clone().unwrap();
        assert!(
            text.lines()
                .any(|l| l.contains("[DEBUG] provider.terraform-provider-cms")
                    && l.contains(": running command:")
                    && l.contains("command=\"xmpp callbridge add cb10\"")),
            "Terraform re-emits our structured lines at their level"
        );
        assert!(
            !text.contains("timestamp=0001-01-01"),
            "our timestamps are understood"
        );
        assert!(
            !text.contains(&secret),
            "the generated secret never reaches the log"
        );
        assert!(
            !text.contains(lab.password()),
            "the password never reaches the log"
        );
        lab.stop().await;
    })
    .await;
}

/// Two blocks that name the same node once the provider's default port fills the unset one, and
/// a module call that names a Call Bridge twice: both refused at plan, no device contacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_node_or_call_bridge_twice_is_refused_at_plan() {
    on_each_terraform("cb-twice", |tf| async move {
    let device = UntouchedDevice::listen();
    let port = device.port();
    let provider = cms_unused_provider(&format!("  port     = {port}\n"));
    tf.write(
        "main.tf",
        &format!(
            "{provider}{}",
            callbridge(
                "x",
                "cb",
                &[("127.0.0.1".into(), port)],
                "  xmpp_node {\n    address = \"127.0.0.1\"\n  }\n"
            )
        ),
    );
    tf.init().await;
    let out = tf.plan().await;
    out.assert_error(&[
        "Duplicate XMPP node",
        &format!("without a port, which uses the provider's port {port}"),
    ]);
    device.assert_untouched("the same node twice");

    copy_dir(
        &workspace_root().join("examples/modules/cms_xmpp_accounts"),
        &tf.dir.join("cms_xmpp_accounts"),
    );
    tf.write(
        "main.tf",
        &format!(
            "{provider}module \"xmpp\" {{\n  source       = \"./cms_xmpp_accounts\"\n  call_bridges = [\"cb1\", \"cb2\", \"cb1\"]\n  xmpp_nodes   = [{{ address = \"127.0.0.1\", port = {port} }}]\n}}\n"
        ),
    );
    tf.init().await;
    let out = tf.plan().await;
    out.assert_error(&["names a Call Bridge more than once"]);
    device.assert_untouched("a Call Bridge twice");
    })
    .await;
}

/// An import that cannot read what it names fails and leaves the state untouched; IDs are parsed
/// strictly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_that_cannot_read_fails_and_ids_are_strict() {
    on_each_terraform("cb-import-strict", |tf| async move {
        let (lab, nodes, _) = callbridge_site(&tf, 2, "cb1").await;
        // A port nothing listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cases = [
            // Nothing answers there.
            (
                format!("cb1@127.0.0.1:{closed}"),
                "Cannot import Call Bridge cb1",
            ),
            // A node that answers but has no such account anywhere.
            (callbridge_import_id("cb1", &nodes), "no XMPP node"),
            ("cb1@[::1]junk".to_string(), "unexpected \"junk\" after ']'"),
            (format!("cb1@127.0.0.1:+{}", nodes[0].1), "invalid port"),
            (format!("cb1@127.0.0.1:{}x", nodes[0].1), "invalid port"),
        ];
        for (id, expected) in cases {
            let out = tf.import(ADDRESS, &id).await;
            assert_eq!(out.code, 1, "{id}: {}", out.all());
            assert!(
                out.text().contains(expected),
                "{id}: expected {expected:?}:\n{}",
                out.all()
            );
            assert_eq!(tf.state_list().await, "", "{id}: the state is untouched");
        }
        lab.stop().await;
    })
    .await;
}
