//! The `examples/modules/xop_replication_cluster` module with real Terraform: its plan-time checks
//! (variable validations, including the cross-variable ones of its `checks` child module) stop a
//! bad site at `terraform plan`, with the module's message, before any device is contacted.
//!
//! No lab: every member points at one TCP listener of the test, which must see no connection.
//! A valid configuration of the same shape is planned first, so each failure below comes from
//! the one thing its case changes.

use uccluster_harness::*;

/// A site using the module, with its `members`, `primary` and `extra` module arguments; the
/// provider and every member's SSH and MySQL port are `port`.
fn site(port: u16, members: &[(&str, u32)], primary: &str, extra: &str) -> String {
    let members: String = members
        .iter()
        .map(|(name, id)| {
            format!("    {{ name = \"{name}\", server_id = {id}, address = \"127.0.0.1\", cluster_address = \"\" }},\n")
        })
        .collect();
    format!(
        r#"terraform {{
  required_providers {{
    xop = {{
      source  = "uccluster/xop"
      version = "{PROVIDER_VERSION}"
    }}
  }}
}}

provider "xop" {{
  username             = "root"
  password             = "not-used"
  port                 = {port}
  connect_timeout      = "2s"
  command_timeout      = "2s"
  mysql_admin_user     = "xopadmin"
  mysql_admin_password = "not-used"
}}

module "xop_ha" {{
  source = "./xop_replication_cluster"

  primary = "{primary}"
  members = [
{members}  ]
  host_defaults        = {{ mysql_port = "{port}" }}
  replication_password = "not-used"
{extra}}}
"#
    )
}

const THREE: &[(&str, u32)] = &[("xop1", 1), ("xop2", 2), ("xop3", 3)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sites_fail_at_plan_time_with_the_modules_message_and_no_device_contacted() {
    on_each_terraform("xop-module", |tf| async move {
        copy_dir(
            &workspace_root().join("examples/modules/xop_replication_cluster"),
            &tf.dir.join("xop_replication_cluster"),
        );
        // Where the members' SSH and MySQL would be; nothing may connect to it.
        let device = UntouchedDevice::listen();
        let port = device.port();
        // The control: the same site, valid, plans one primary and two secondaries wired to it.
        tf.write("main.tf", &site(port, THREE, "xop1", ""));
        tf.init().await;
        let out = tf.plan().await;
        assert_eq!(out.code, 2, "a valid site plans changes:\n{}", out.all());
        let plan = out.text();
        for expected in [
            "module.xop_ha.xop_replication_member.primary will be created",
            r#"module.xop_ha.xop_replication_member.secondary["xop2"] will be created"#,
            r#"module.xop_ha.xop_replication_member.secondary["xop3"] will be created"#,
            "+ cluster_size = 3",
            r#"+ firewall_allow = [ + "127.0.0.1", ]"#,
            r#"+ role = "secondary""#,
            "Plan: 3 to add, 0 to change, 0 to destroy.",
        ] {
            assert!(
                plan.contains(expected),
                "{expected:?} missing:\n{}",
                out.stdout
            );
        }
        device.assert_untouched("valid site");

        let cases: &[(&str, String, &str)] = &[
            (
                "duplicate server ids",
                site(port, &[("xop1", 1), ("xop2", 2), ("xop3", 2)], "xop1", ""),
                "Server ids must be unique in the cluster: two members have the same server_id.",
            ),
            (
                "unknown primary",
                site(port, THREE, "xop9", ""),
                "The primary must be the name of one of the members.",
            ),
            (
                "server id above the member count",
                site(port, &[("xop1", 1), ("xop2", 2), ("xop3", 4)], "xop1", ""),
                "Each server_id must be a whole number from 1 to the number of members",
            ),
            (
                "server id 0",
                site(port, &[("xop1", 0), ("xop2", 2), ("xop3", 3)], "xop1", ""),
                "Each server_id must be a whole number from 1 to the number of members",
            ),
            (
                "duplicate member names",
                site(port, &[("xop1", 1), ("xop2", 2), ("xop2", 3)], "xop1", ""),
                "Member names must be unique: two members have the same name.",
            ),
            (
                "override for a member that does not exist",
                site(
                    port,
                    THREE,
                    "xop1",
                    "  host_overrides = { xop4 = { my_cnf_path = \"/etc/mysql/my.cnf\" } }\n",
                ),
                "Every key of host_overrides must be the name of a member.",
            ),
            (
                "misspelt host setting",
                site(
                    port,
                    THREE,
                    "xop1",
                    "  host_overrides = { xop2 = { my_cnf = \"/etc/mysql/my.cnf\" } }\n",
                ),
                "Unknown setting in host_overrides: use ssh_port, mysql_address, mysql_port,",
            ),
            (
                "resync of the primary",
                site(
                    port,
                    THREE,
                    "xop1",
                    "  resync_trigger = { xop1 = \"2026-11-23\" }\n",
                ),
                "The keys of replication_enabled and resync_trigger must be names of secondaries",
            ),
        ];
        for (case, config, message) in cases {
            tf.write("main.tf", config);
            let out = tf.plan().await;
            assert_eq!(out.code, 1, "{case}: the plan must fail:\n{}", out.all());
            let text = out.text();
            // The module's message and nothing else: no member was evaluated past the bad input.
            assert!(
                text.contains("Error: Invalid value for variable")
                    && text.contains(message)
                    && text.matches("Error: ").count() == 1,
                "{case}: expected the module's message {message:?} alone:\n{}",
                out.all()
            );
            device.assert_untouched(case);
        }
    })
    .await;
}
