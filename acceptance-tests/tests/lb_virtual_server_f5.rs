//! `lb_virtual_server` on the F5 backend, with real Terraform on every Terraform found, against
//! the lab's simulated BIG-IP (iControl REST over HTTPS with the lab CA, token login): the
//! seed's SIP farm VIP built as the objects an admin makes by hand, the house protocol, member
//! changes, and a token that expires in the middle of an apply.

use serde_json::json;
use uccluster_harness::*;
use uccluster_lab::f5::control::F5Control;
use uccluster_lab::lab::{Lab, LabSpec};

const ADDRESS: &str = "lb_virtual_server.external";

async fn bigip(tf: &Tf) -> Lab {
    Lab::start(&LabSpec::default().with_f5_devices(1), &tf.dir.join("lab"))
        .await
        .expect("lab starts")
}

const FRONTENDS: [(&str, &str); 4] = [
    ("fe5", "64.173.55.180"),
    ("fe6", "64.173.55.181"),
    ("fe7", "64.173.55.182"),
    ("fe8", "64.173.55.183"),
];

fn members(which: &[(&str, &str)], extra: &[&str]) -> String {
    which
        .iter()
        .map(|(name, address)| {
            let mut lines = vec![format!("name = \"{name}\"")];
            lines.extend(extra.iter().map(|l| l.to_string()));
            lb_member(
                address,
                &lines.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
        .collect()
}

/// The seed's F5 example: virtual `External` on 64.173.55.164:any, address not translated,
/// pool `Frontends` monitored by `MySMTP` and gateway ICMP, profile `CGS_fastL4`.
fn external(lab: &Lab, members: &str) -> String {
    format!(
        r#"{}
resource "lb_virtual_server" "external" {{
  name       = "External"
  address    = "64.173.55.164"
  protocol   = "both"
  forwarding = "no_translation"
  monitors   = ["smtp", "icmp"]

  f5 {{
    pool                  = "Frontends"
    profile               = "CGS_fastL4"
    smtp_monitor          = "MySMTP"
    idle_timeout          = 60
    tcp_handshake_timeout = 15
    tcp_close_timeout     = 60
    loose_initiation      = false
    loose_close           = true
    software_syncookie    = false
  }}
{members}}}
"#,
        f5_provider(lab, "bigip1")
    )
}

fn member_names(box_: &F5Control) -> Vec<String> {
    box_.object("pool", "/Common/Frontends")
        .and_then(|p| p["membersReference"]["items"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_sip_farm_vip_full_protocol() {
    on_each_terraform("f5-protocol", |tf| async move {
        let lab = bigip(&tf).await;
        let box_ = lab.f5("bigip1");
        Protocol::new(&tf, external(&lab, &members(&FRONTENDS, &[])))
            .applied(async {
                let virtual_ = box_.object("virtual", "/Common/External").expect("virtual");
                assert_eq!(virtual_["destination"], "/Common/64.173.55.164:0");
                assert_eq!(virtual_["translateAddress"], "disabled");
                assert_eq!(virtual_["pool"], "/Common/Frontends");
                let profile = box_
                    .object("profile/fastl4", "/Common/CGS_fastL4")
                    .expect("profile");
                assert_eq!(profile["looseClose"], "enabled");
                assert_eq!(
                    member_names(&box_),
                    [
                        "64.173.55.180:0",
                        "64.173.55.181:0",
                        "64.173.55.182:0",
                        "64.173.55.183:0"
                    ]
                );
                assert!(box_
                    .object("virtual-address", "/Common/64.173.55.164")
                    .is_some());
                let v = tf.resource_values(ADDRESS).await;
                assert_eq!(v["id"], "External");
                assert_eq!(v["member"][0]["name"], "fe5");
            })
            .import(ADDRESS, "External".into())
            .step(
                Step::drift("a member disabled on the box", async {
                    box_.edit(|c| {
                        let pool = F5Control::full_name("/Common/Frontends").unwrap();
                        let member = F5Control::full_name("/Common/64.173.55.181:0").unwrap();
                        c.update_member(
                            &pool,
                            &member,
                            &json!({"session": "user-disabled"}),
                            false,
                        )
                        .expect("member updated");
                    });
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows("~ enabled = false -> true"),
                ),
            )
            .step(Step::heal(async {
                let pool = box_.object("pool", "/Common/Frontends").unwrap();
                let sessions: Vec<&str> = pool["membersReference"]["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|m| m["session"].as_str())
                    .collect();
                assert!(!sessions.contains(&"user-disabled"), "{sessions:?}");
            }))
            .step(
                Step::drift("the virtual server deleted on the box", async {
                    box_.edit(|c| {
                        let name = F5Control::full_name("/Common/External").unwrap();
                        c.delete(uccluster_lab::f5::schema::Collection::Virtual, &name)
                            .expect("deleted");
                    });
                })
                .plan(Plan::changes().create(ADDRESS)),
            )
            .step(Step::heal(async {
                assert!(box_.object("virtual", "/Common/External").is_some());
            }))
            .device_clean(async {
                for (collection, name) in [
                    ("virtual", "/Common/External"),
                    ("pool", "/Common/Frontends"),
                    ("profile/fastl4", "/Common/CGS_fastL4"),
                    ("monitor/smtp", "/Common/MySMTP"),
                    ("virtual-address", "/Common/64.173.55.164"),
                ] {
                    assert!(
                        box_.object(collection, name).is_none(),
                        "{name} left behind"
                    );
                }
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_change_in_place_and_a_token_expiring_mid_apply_is_renewed() {
    on_each_terraform("f5-members", |tf| async move {
        let lab = bigip(&tf).await;
        let box_ = lab.f5("bigip1");
        tf.write("main.tf", &external(&lab, &members(&FRONTENDS, &[])));
        tf.init().await;
        tf.apply_ok().await;
        let changed = format!(
            "{}{}",
            members(&FRONTENDS[..1], &["weight = 5"]),
            members(&FRONTENDS[2..], &["enabled = false"]),
        );
        tf.write("main.tf", &external(&lab, &changed));
        // Slow answers, and every token expires once the apply has started writing.
        box_.faults()
            .set_reply_delay(std::time::Duration::from_millis(100));
        let logins_before = box_.faults().total_logins();
        let watcher = {
            let box_ = box_.clone();
            tokio::spawn(async move {
                for _ in 0..600 {
                    if box_.command_log().iter().any(|c| c.starts_with("PATCH ")) {
                        box_.expire_tokens();
                        return true;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                false
            })
        };
        tf.apply_ok().await;
        assert!(watcher.await.unwrap(), "the apply wrote through PATCH");
        box_.faults().set_reply_delay(std::time::Duration::ZERO);
        assert!(
            box_.faults().total_logins() >= logins_before + 2,
            "the expired token was replaced by a new login"
        );
        let pool = box_.object("pool", "/Common/Frontends").unwrap();
        let items = pool["membersReference"]["items"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["ratio"], 5);
        assert_eq!(items[1]["session"], "user-disabled");
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        assert!(box_.object("pool", "/Common/Frontends").is_none());
        lab.stop().await;
    })
    .await;
}
