//! `lb_virtual_server` on an IPVS director whose table keepalived owns, with real Terraform on
//! every Terraform found: the configuration file over a real sshd, every candidate checked by
//! the real `keepalived -t` (2.2.7), the reload done by the lab's stand-in (this kernel has no
//! IPVS; uccluster_lab::ipvs::keepalived says what it follows), the table read back through
//! the `ipvsadm` stand-in. The house protocol, health checks and members down, and a
//! configuration keepalived refuses.

use uccluster_harness::*;
use uccluster_lab::ipvs::IpvsHost;

const ADDRESS: &str = "lb_virtual_server.sip";
const FRONTENDS: [&str; 3] = ["64.173.55.180", "64.173.55.181", "64.173.55.182"];

/// The seed's SIP VIP, each frontend checked by ICMP (keepalived's PING_CHECK); `extra` lines
/// in the resource, `members` member blocks.
fn sip(host: &IpvsHost, members: &str, extra: &str) -> String {
    format!(
        "{}\nresource \"lb_virtual_server\" \"sip\" {{\n  name       = \"sip\"\n  address    = \"64.173.55.164\"\n  port       = 5060\n  protocol   = \"udp\"\n  forwarding = \"direct_routing\"\n  monitors   = [\"icmp\"]\n{extra}{members}}}\n",
        ipvs_keepalived_provider(host)
    )
}

fn frontends(n: usize) -> String {
    lb_members(&FRONTENDS[..n])
}

/// The table keepalived programs for the SIP VIP with these real servers and weights.
fn table(reals: &[(&str, u32)]) -> String {
    let mut out = "-A -u 64.173.55.164:5060 -s wrr ops\n".to_string();
    for (address, weight) in reals {
        out.push_str(&format!(
            "-a -u 64.173.55.164:5060 -r {address}:5060 -g -w {weight}\n"
        ));
    }
    out
}

fn config(host: &IpvsHost) -> String {
    std::fs::read_to_string(host.keepalived_config_path()).expect("keepalived.conf")
}

fn write_config(host: &IpvsHost, text: &str) {
    std::fs::write(host.keepalived_config_path(), text).expect("keepalived.conf written");
}

/// An operator's reload, as the site's reload command does it.
fn reload(host: &IpvsHost) {
    let out = std::process::Command::new(host.keepalived_reload_command())
        .output()
        .expect("the reload runs");
    assert!(
        out.status.success(),
        "reload: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_import_drift_heal_destroy() {
    on_each_terraform("keepalived-protocol", |tf| async move {
        let lab = ipvs_lab(&tf).await;
        let host = lab.ipvs("ipvs1");
        let base = config(host);
        let three = table(&[(FRONTENDS[0], 1), (FRONTENDS[1], 1), (FRONTENDS[2], 1)]);
        Protocol::new(&tf, sip(host, &frontends(3), ""))
            .applied(async {
                assert_eq!(host.rules(), three, "keepalived programmed the table");
                let file = config(host);
                assert!(file.starts_with(&base), "the file's own lines are kept");
                assert!(file.contains("# BEGIN uccluster lb_virtual_server sip"));
                assert!(file.contains("PING_CHECK"), "{file}");
                let v = tf.resource_values(ADDRESS).await;
                assert_eq!(v["id"], "sip@64.173.55.164:5060;protocol=udp");
                assert_eq!(v["member"][0]["health"], "up");
            })
            .import(ADDRESS, "sip@64.173.55.164:5060;protocol=udp".into())
            .step(
                Step::drift(
                    "a member re-weighted in the file and keepalived reloaded",
                    async {
                        let edited = config(host).replacen("weight 1", "weight 5", 1);
                        write_config(host, &edited);
                        reload(host);
                    },
                )
                .plan(Plan::changes().update(ADDRESS).shows("~ weight = 5 -> 1")),
            )
            .step(Step::heal(async {
                assert_eq!(host.rules(), three);
            }))
            .step(
                Step::drift(
                    "a line uccluster does not write added to the section",
                    async {
                        let edited = config(host).replacen(
                            "    delay_loop 5\n",
                            "    delay_loop 5\n    quorum 1\n",
                            1,
                        );
                        write_config(host, &edited);
                    },
                )
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows("section edited by hand"),
                ),
            )
            .step(Step::heal(async {
                assert!(
                    !config(host).contains("quorum"),
                    "the section is written again"
                );
                assert_eq!(host.rules(), three);
            }))
            .step(
                Step::drift("the section removed and keepalived reloaded", async {
                    write_config(host, &base);
                    reload(host);
                })
                .plan(Plan::changes().create(ADDRESS)),
            )
            .step(Step::heal(async {
                assert_eq!(host.rules(), three);
            }))
            .device_clean(async {
                assert_eq!(host.rules(), "", "destroy leaves the table empty");
                assert_eq!(config(host), base, "and the file as it was");
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_whose_check_fails_is_down_and_keepalived_refusals_change_nothing() {
    on_each_terraform("keepalived-health", |tf| async move {
        let lab = ipvs_lab(&tf).await;
        let host = lab.ipvs("ipvs1");
        tf.write("main.tf", &sip(host, &frontends(2), ""));
        tf.init().await;
        tf.apply_ok().await;

        // keepalived takes the member out of the table: health down, not drift.
        host.set_real_down(&format!("{}:5060", FRONTENDS[1]), true)
            .unwrap();
        assert_eq!(host.rules(), table(&[(FRONTENDS[0], 1)]));
        let plan = tf.plan().await;
        assert_eq!(
            plan.code,
            0,
            "no change for a failed check:\n{}",
            plan.all()
        );
        assert!(plan.text().contains("Members down"), "{}", plan.all());
        tf.refresh().await;
        let v = tf.resource_values(ADDRESS).await;
        assert_eq!(v["member"][1]["health"], "down");
        assert_eq!(v["member"][0]["health"], "up");

        // A re-weight goes through keepalived: one reload, the down member still out.
        let reloads = host.keepalived_reloads();
        let weighted = format!(
            "{}{}",
            lb_member(FRONTENDS[0], &["weight = 3"]),
            lb_member(FRONTENDS[1], &[])
        );
        tf.write("main.tf", &sip(host, &weighted, ""));
        tf.apply_ok().await;
        assert_eq!(host.keepalived_reloads(), reloads + 1);
        assert_eq!(host.rules(), table(&[(FRONTENDS[0], 3)]));
        host.set_real_down(&format!("{}:5060", FRONTENDS[1]), false)
            .unwrap();
        assert_eq!(host.rules(), table(&[(FRONTENDS[0], 3), (FRONTENDS[1], 1)]));
        tf.assert_empty_plan().await;

        // A line keepalived refuses elsewhere in the file: `keepalived -t` stops the apply with
        // its own words, and neither the file nor the table changes.
        let refused = format!("{}bogus_keyword\n", config(host));
        write_config(host, &refused);
        tf.write("main.tf", &sip(host, &frontends(1), ""));
        let out = tf.apply().await;
        out.assert_error(&["-t -f", "bogus_keyword"]);
        assert_eq!(config(host), refused, "the file is as it was");
        assert_eq!(host.rules(), table(&[(FRONTENDS[0], 3), (FRONTENDS[1], 1)]));

        // What keepalived cannot express, at plan time naming the attribute.
        let no_translation =
            sip(host, &frontends(1), "").replace("direct_routing", "no_translation");
        tf.write("main.tf", &no_translation);
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        out.assert_error(&["Not available with keepalived", "forwarding"]);

        write_config(host, &refused.replace("bogus_keyword\n", ""));
        tf.write("main.tf", &sip(host, &frontends(1), ""));
        tf.destroy_ok().await;
        assert_eq!(host.rules(), "");
        lab.stop().await;
    })
    .await;
}
