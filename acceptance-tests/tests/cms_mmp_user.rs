//! `cms_mmp_user` with real Terraform against the simulated Meeting Server lab, on every
//! Terraform found: the house protocol (apply → empty plan → a role changed by hand and a user
//! deleted by hand, each shown by the plan and healed → destroy → the user gone, other users
//! untouched), password rotation with the node's own login credentials, import (the first apply
//! sets only the password, which the MMP never shows), a user made by hand refused with its
//! import command, a dropped connection during `user add`, the login user refused at plan time,
//! and bad input refused at plan time naming the attribute.
//!
//! The Protocol's import step compares the imported state with the applied one, which cannot
//! hold for a write-only password (an import has none): import is tested on its own.

use uccluster_harness::*;
use uccluster_lab::cms_mmp::NodeControl;
use uccluster_lab::lab::Lab;

const ADDRESS: &str = "cms_mmp_user.api";

/// A `cms_mmp_user` named `name` on `node`, with `extra` lines inside the resource.
fn user(resource: &str, name: &str, node: &(String, u16), extra: &str) -> String {
    format!(
        "resource \"cms_mmp_user\" \"{resource}\" {{\n  name     = \"{name}\"\n  address  = \"{}\"\n  ssh_port = {}\n{extra}}}\n",
        node.0, node.1
    )
}

fn password_line(password: &str) -> String {
    format!("  password = {}\n", hcl_string(password))
}

fn import_id(name: &str, node: &(String, u16)) -> String {
    format!("{name}@{}:{}", node.0, node.1)
}

async fn one_node(tf: &Tf) -> (Lab, (String, u16), NodeControl) {
    let lab = cms_lab(1, tf).await;
    let node = cms_nodes(&lab)[0].clone();
    let ctl = lab.cms(&lab.cms_names()[0]);
    (lab, node, ctl)
}

fn count(ctl: &NodeControl, command: &str) -> usize {
    ctl.command_log().iter().filter(|c| *c == command).count()
}

fn role_of(ctl: &NodeControl, name: &str) -> Option<String> {
    ctl.users()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, role)| role)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_drift_heal_destroy() {
    on_each_terraform("mmpuser-protocol", |tf| async move {
        let (lab, node, ctl) = one_node(&tf).await;
        let password = test_secret("api-user");
        let other = test_secret("not-ours");
        let config = format!(
            "{}\n{}",
            cms_provider(&lab),
            user("api", "api", &node, &password_line(&password))
        );
        Protocol::new(&tf, config)
            .applied(async {
                assert_eq!(role_of(&ctl, "api").as_deref(), Some("appadmin"));
                assert!(ctl.check_user_password("api", &password));
                assert_eq!(count(&ctl, "user add api appadmin"), 1);
                let applied = tf.resource_values(ADDRESS).await;
                assert_eq!(applied["id"], import_id("api", &node));
                assert_eq!(applied["role"], "appadmin", "the default role");
                assert_eq!(applied["password"], password.as_str());
            })
            .step(
                Step::drift("the role changed by hand", async {
                    let kept = ctl.user_password("api").unwrap();
                    ctl.add_user("api", "admin", &kept);
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(r#"~ role = "admin" -> "appadmin""#)
                        .shows("1 to change"),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(role_of(&ctl, "api").as_deref(), Some("appadmin"));
                assert_eq!(count(&ctl, "user role api appadmin"), 1);
                assert_eq!(
                    count(&ctl, "user password api"),
                    0,
                    "an unchanged password is not typed again"
                );
                assert!(ctl.check_user_password("api", &password));
            }))
            .step(
                Step::drift("the user deleted by hand", async {
                    assert!(ctl.remove_user("api"));
                })
                .plan(
                    Plan::changes()
                        .create(ADDRESS)
                        .shows("will be created")
                        .shows("1 to add"),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(role_of(&ctl, "api").as_deref(), Some("appadmin"));
                assert!(ctl.check_user_password("api", &password));
                assert_eq!(count(&ctl, "user add api appadmin"), 2);
            }))
            .step(Step::new("a user that is not ours").before(async {
                ctl.add_user("other", "api", &other);
            }))
            .device_clean(async {
                assert_eq!(role_of(&ctl, "api"), None, "the user is gone");
                assert_eq!(count(&ctl, "user del api"), 1);
                assert_eq!(
                    ctl.users(),
                    vec![
                        ("admin".to_string(), "admin".to_string()),
                        ("other".to_string(), "api".to_string())
                    ],
                    "the login user and the user that is not ours are untouched"
                );
                assert!(ctl.check_user_password("other", &other));
                assert!(ctl.check_user_password("admin", lab.password()));
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

/// The password rotated in the configuration runs `user password` (and nothing else); the node
/// is reached with the resource's own `mmp_username` / `mmp_password` (the provider block's
/// password is wrong); the role changed in the configuration runs `user role`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_rotation_and_role_change_with_the_nodes_own_login() {
    on_each_terraform("mmpuser-rotate", |tf| async move {
        let (lab, node, ctl) = one_node(&tf).await;
        let (first, rotated) = (test_secret("first"), test_secret("rotated"));
        let provider = cms_provider(&lab).replace(
            &hcl_string(lab.password()),
            &hcl_string(&test_secret("wrong-provider-password")),
        );
        let config = |password: &str, role: &str| {
            let extra = format!(
                "{}  role         = \"{role}\"\n  mmp_username = \"admin\"\n  mmp_password = {}\n",
                password_line(password),
                hcl_string(lab.password())
            );
            format!("{provider}\n{}", user("api", "api", &node, &extra))
        };
        Protocol::new(&tf, config(&first, "appadmin"))
            .applied(async {
                assert!(ctl.check_user_password("api", &first));
                assert_eq!(role_of(&ctl, "api").as_deref(), Some("appadmin"));
            })
            .step(
                Step::new("rotate the password")
                    .config(config(&rotated, "appadmin"))
                    .plan(
                        Plan::changes()
                            .update(ADDRESS)
                            .shows("~ password = (sensitive value)")
                            .shows("1 to change"),
                    )
                    .apply(async {
                        assert!(ctl.check_user_password("api", &rotated));
                        assert_eq!(count(&ctl, "user password api"), 1);
                        assert_eq!(count(&ctl, "user add api appadmin"), 1);
                        assert!(
                            !ctl.command_log().iter().any(|c| c.starts_with("user role")),
                            "the role is not touched"
                        );
                    })
                    .empty_plan(),
            )
            .step(
                Step::new("change the role")
                    .config(config(&rotated, "api"))
                    .plan(
                        Plan::changes()
                            .update(ADDRESS)
                            .shows(r#"~ role = "appadmin" -> "api""#),
                    )
                    .apply(async {
                        assert_eq!(role_of(&ctl, "api").as_deref(), Some("api"));
                        assert_eq!(count(&ctl, "user role api api"), 1);
                        assert_eq!(
                            count(&ctl, "user password api"),
                            1,
                            "the password is not typed again"
                        );
                        assert!(ctl.check_user_password("api", &rotated));
                    })
                    .empty_plan(),
            )
            .step(
                Step::new("the password never shows in terraform's output").before(async {
                    let plan = tf.run(&["plan", "-no-color", "-input=false"]).await;
                    assert_eq!(plan.code, 0, "{}", plan.all());
                    assert!(!plan.all().contains(&rotated), "{}", plan.all());
                    let show = tf.run(&["show", "-no-color"]).await;
                    assert!(!show.all().contains(&rotated), "{}", show.all());
                }),
            )
            .device_clean(async {
                assert_eq!(role_of(&ctl, "api"), None);
                assert!(ctl.check_user_password("admin", lab.password()));
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

/// An import cannot read the password: the imported state has none, the first plan is an update
/// that sets only the password (`user password`), and the plan after that apply is empty.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_then_the_first_apply_sets_only_the_password() {
    on_each_terraform("mmpuser-import", |tf| async move {
        let (lab, node, ctl) = one_node(&tf).await;
        let (password, by_hand) = (test_secret("configured"), test_secret("set-by-hand"));
        tf.write(
            "main.tf",
            &format!(
                "{}\n{}",
                cms_provider(&lab),
                user("api", "api", &node, &password_line(&password))
            ),
        );
        tf.init().await;
        // The user exists on the node with a password Terraform does not know.
        ctl.add_user("api", "appadmin", &by_hand);
        // IDs are strict, and an ID that names nobody fails and records nothing.
        for (bad, expected) in [
            (import_id("nobody", &node), "has no MMP user named nobody"),
            (
                format!("api@{}:{},10.0.0.2", node.0, node.1),
                "not one node",
            ),
            (format!("{}:{}", node.0, node.1), "no '@' after the name"),
            (import_id("admin", &node), "would lock Terraform out"),
        ] {
            let out = tf.import(ADDRESS, &bad).await;
            assert_eq!(out.code, 1, "{bad}: {}", out.all());
            assert!(
                out.text().contains(expected),
                "{bad}: expected {expected:?}:\n{}",
                out.all()
            );
            assert_eq!(tf.state_list().await, "", "{bad}: nothing recorded");
        }
        let id = import_id("api", &node);
        let out = tf.import(ADDRESS, &id).await;
        assert_eq!(out.code, 0, "{}", out.all());
        let imported = tf.resource_values(ADDRESS).await;
        assert_eq!(imported["id"], id.as_str());
        assert_eq!(imported["name"], "api");
        assert_eq!(
            imported["role"], "appadmin",
            "the role is read from the node"
        );
        assert_eq!(imported["address"], node.0.as_str());
        assert_eq!(imported["ssh_port"], node.1);
        assert!(imported["password"].is_null(), "{imported}");
        assert!(
            ctl.check_user_password("api", &by_hand),
            "import changes nothing"
        );

        Plan::changes()
            .update(ADDRESS)
            .shows("+ password = (sensitive value)")
            .shows("1 to change")
            .check(&tf)
            .await;
        let changes = tf.planned_changes("step.tfplan").await;
        let change = &changes[0]["change"];
        let (before, after) = (
            change["before"].as_object().unwrap(),
            change["after"].as_object().unwrap(),
        );
        for (key, value) in before {
            match key.as_str() {
                "password" => {
                    assert!(value.is_null());
                    assert_eq!(after[key], password.as_str());
                }
                _ => assert_eq!(after.get(key), Some(value), "{key} changes after import"),
            }
        }

        tf.apply_ok().await;
        assert!(ctl.check_user_password("api", &password));
        assert_eq!(count(&ctl, "user password api"), 1);
        assert_eq!(count(&ctl, "user add api appadmin"), 0, "never added");
        assert!(!ctl.command_log().iter().any(|c| c.starts_with("user role")));
        tf.assert_empty_plan().await;

        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_made_by_hand_is_refused_with_its_import_command() {
    on_each_terraform("mmpuser-exists", |tf| async move {
        let (lab, node, ctl) = one_node(&tf).await;
        let by_hand = test_secret("made-by-hand");
        ctl.add_user("api", "admin", &by_hand);
        tf.write(
            "main.tf",
            &format!(
                "{}\n{}",
                cms_provider(&lab),
                user("api", "api", &node, &password_line(&test_secret("ours")))
            ),
        );
        tf.init().await;
        let out = tf.apply().await;
        out.assert_error(&[
            "MMP user already exists",
            "already has an MMP user named \"api\" (role admin)",
            &format!(
                "terraform import <resource address> '{}'",
                import_id("api", &node)
            ),
        ]);
        assert_eq!(tf.state_list().await, "", "nothing recorded");
        assert_eq!(role_of(&ctl, "api").as_deref(), Some("admin"));
        assert!(ctl.check_user_password("api", &by_hand), "nothing changed");
        assert!(!ctl
            .command_log()
            .iter()
            .any(|c| c.starts_with("user add") || c.starts_with("user password")));
        lab.stop().await;
    })
    .await;
}

/// `user add` applied, then the connection drops before the reply: the provider reconnects,
/// finds the user and types the password again instead of adding it twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_after_user_add_is_retried_without_duplicates() {
    on_each_terraform("mmpuser-drop", |tf| async move {
        let (lab, node, ctl) = one_node(&tf).await;
        let password = test_secret("dropped");
        tf.write(
            "main.tf",
            &format!(
                "{}\n{}",
                cms_provider(&lab),
                user("api", "api", &node, &password_line(&password))
            ),
        );
        tf.init().await;
        ctl.drop_connection_after("user add api", 1);
        tf.apply_ok().await;
        assert_eq!(count(&ctl, "user add api appadmin"), 1, "never added twice");
        assert!(ctl.check_user_password("api", &password));
        assert_eq!(role_of(&ctl, "api").as_deref(), Some("appadmin"));
        tf.assert_empty_plan().await;
        lab.stop().await;
    })
    .await;
}

/// The user the provider logs in as (the provider's `username` here) is refused at plan time,
/// before any device is contacted: deleting it would lock Terraform out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_user_is_refused_at_plan() {
    on_each_terraform("mmpuser-login", |tf| async move {
        let device = UntouchedDevice::listen();
        let node = ("127.0.0.1".to_string(), device.port());
        for (provider_lines, name) in [("", "admin"), ("  username = \"ops\"\n", "ops")] {
            tf.write(
                "main.tf",
                &format!(
                    "{}{}",
                    cms_unused_provider(provider_lines),
                    user("api", name, &node, "  password = \"pw-never-used\"\n")
                ),
            );
            tf.init().await;
            let out = tf.plan().await;
            out.assert_error(&[
                "Cannot manage the MMP login user",
                &format!("\"{name}\" is the MMP user the provider logs in as"),
                "would lock Terraform out",
            ]);
            device.assert_untouched(name);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_at_plan_time_naming_the_attribute() {
    let u = |name: &str, body: &str| {
        format!("resource \"cms_mmp_user\" \"x\" {{\n  name    = \"{name}\"\n  address = \"10.0.0.1\"\n{body}}}\n")
    };
    let pw = "  password = \"pw-ok-1234\"\n";
    // (resource, summary, detail, the line Terraform points at)
    let cases = [
        (
            u("api user", pw),
            "Invalid user name",
            "name must contain only letters, digits, '.', '_' and '-'; ' ' is not allowed",
            "name =",
        ),
        (
            u("api\\nx", pw),
            "Invalid user name",
            "'\\n' is not allowed",
            "name =",
        ),
        (
            u("", pw),
            "Invalid user name",
            "name must not be empty",
            "name =",
        ),
        (
            u("api", &format!("{pw}  role = \"root\"\n")),
            "Invalid role",
            "role \"root\" is not an MMP role; use one of admin, crypto, audit, appadmin, api",
            "role =",
        ),
        (
            u("api", "  password = \"\"\n"),
            "Invalid password",
            "password must not be empty",
            "password =",
        ),
        (
            u("api", "  password = \"a\\tb\"\n"),
            "Invalid password",
            "password must not contain control characters",
            "password =",
        ),
        (
            u("ops", &format!("{pw}  mmp_username = \"ops\"\n")),
            "Cannot manage the MMP login user",
            "\"ops\" is the MMP user the provider logs in as",
            "name =",
        ),
        (
            u("api", &format!("{pw}  ssh_port = 70000\n")),
            "Invalid port",
            "got 70000",
            "ssh_port = 70000",
        ),
        (
            u("api", &format!("{pw}  mmp_username = \"ad min\"\n")),
            "Invalid username",
            "\"ad min\" contains ' '",
            "mmp_username",
        ),
        (
            u("api", &format!("{pw}  host_key_fingerprint = \"MD5:00\"\n")),
            "Invalid host key fingerprint",
            "is not a SHA256 fingerprint",
            "host_key_fingerprint",
        ),
    ];
    let cases = Invalid::after(&cms_unused_provider(""), cases);
    on_each_terraform("mmpuser-validate", |tf| {
        let cases = &cases;
        async move { assert_all_invalid(&tf, cases).await }
    })
    .await;
}
