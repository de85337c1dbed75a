//! `cgp_sip_farm` with real Terraform on every Terraform found, against the lab's simulated
//! CommuniGate Pro cluster of four members (cgp1 and cgp2 frontends in the farm, cgp3 and cgp4
//! backends as relays), single_vip with a cluster-wide WAN address: the house protocol, every
//! key this resource does not own byte for byte as before after apply and destroy, a member
//! dropped from the farm by hand shown in the plan naming it and healed, and bad input refused
//! at plan time naming the attribute.

use uccluster_harness::*;
use uccluster_lab::cgp::data::StoredDict;
use uccluster_lab::lab::{Lab, LabSpec};

const ADDRESS: &str = "cgp_sip_farm.farm";
const G0: &str = "64.173.55.164";

/// Keys the resource owns, by dictionary.
const OWNED_PAGE: [&str; 3] = ["SIPFarmMode", "LegHostMode", "SignalHostMode"];
const OWNED_NETWORK: [&str; 1] = ["WANAddress"];

async fn cluster(tf: &Tf) -> Lab {
    Lab::start(&LabSpec::default().with_cgp_members(4), &tf.dir.join("lab"))
        .await
        .expect("lab starts")
}

fn member_blocks(lab: &Lab, extra: &dyn Fn(usize) -> String) -> String {
    cgp_members(lab)
        .iter()
        .enumerate()
        .map(|(i, (name, host, port))| {
            let (role, farm) = match i < 2 {
                true => ("frontend", "member"),
                false => ("backend", "relay"),
            };
            format!(
                "  member {{\n    name     = \"{name}\"\n    address  = \"{host}\"\n    port     = {port}\n    role     = \"{role}\"\n    sip_farm = \"{farm}\"\n{}  }}\n",
                extra(i)
            )
        })
        .collect()
}

fn farm(lab: &Lab, media: &str, members: &str) -> String {
    format!(
        "{}\nresource \"cgp_sip_farm\" \"farm\" {{\n  name         = \"sip\"\n{media}{members}}}\n",
        cgp_provider(lab, "")
    )
}

fn single_vip(lab: &Lab) -> String {
    farm(
        lab,
        &format!("  media_method        = \"single_vip\"\n  cluster_wan_address = \"{G0}\"\n"),
        &member_blocks(lab, &|_| String::new()),
    )
}

fn import_id(lab: &Lab) -> String {
    let nodes: Vec<String> = cgp_members(lab)
        .iter()
        .map(|(name, host, port)| format!("{name}={host}:{port}"))
        .collect();
    format!("sip@{}", nodes.join(","))
}

fn without(dict: &StoredDict, owned: &[&str]) -> Vec<(String, String)> {
    dict.entries()
        .iter()
        .filter(|(k, _)| !owned.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Every member's and the cluster's dictionaries without the owned keys.
fn unrelated(lab: &Lab) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for name in lab.cgp_names() {
        let m = lab.cgp(&name);
        out.push(without(&m.cluster_settings(), &OWNED_PAGE));
        out.push(without(&m.network(), &OWNED_NETWORK));
    }
    out.push(without(
        &lab.cgp_cluster().cluster_network(),
        &OWNED_NETWORK,
    ));
    out
}

fn unquoted(raw: Option<&str>) -> Option<String> {
    raw.map(|r| r.trim_matches('"').to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_members_single_vip_apply_import_drift_heal_destroy() {
    on_each_terraform("cgp-sip-farm", |tf| async move {
        let owned = cluster(&tf).await;
        let lab = &owned;
        let before = &unrelated(lab);
        let check_applied = || async move {
            for (i, name) in lab.cgp_names().iter().enumerate() {
                let page = lab.cgp(name).cluster_settings();
                let (farm_mode, legs) = match i < 2 {
                    true => ("Member", "Locally for Others"),
                    false => ("Relay", "Auto"),
                };
                assert_eq!(
                    unquoted(page.get("SIPFarmMode")).as_deref(),
                    Some(farm_mode),
                    "{name}"
                );
                assert_eq!(
                    unquoted(page.get("LegHostMode")).as_deref(),
                    Some(legs),
                    "{name}"
                );
                assert_eq!(
                    unquoted(page.get("SignalHostMode")).as_deref(),
                    Some("Auto"),
                    "{name}"
                );
                let wan = unquoted(lab.cgp(name).network().get("WANAddress"));
                assert!(
                    wan.as_deref().is_none_or(str::is_empty),
                    "{name}: no server-wide WAN address: {wan:?}"
                );
            }
            assert_eq!(
                unquoted(lab.cgp_cluster().cluster_network().get("WANAddress")).as_deref(),
                Some(G0)
            );
            assert_eq!(
                &unrelated(lab),
                before,
                "every key not owned byte for byte as before"
            );
        };
        Protocol::new(&tf, single_vip(lab))
            .applied(async {
                check_applied().await;
                let v = tf.resource_values(ADDRESS).await;
                assert_eq!(v["id"], import_id(lab));
                assert_eq!(v["member"][0]["sip_farm_mode"], "Member");
                assert_eq!(v["member"][0]["leg_host_mode"], "Locally for Others");
                assert_eq!(v["member"][2]["sip_farm_mode"], "Relay");
                assert_eq!(v["member"][2]["leg_host_mode"], "Auto");
                assert_eq!(v["cluster_wan_address_reported"], G0);
            })
            .import(ADDRESS, import_id(lab))
            .step(
                Step::drift("a frontend dropped from the farm by hand", async {
                    let m = lab.cgp("cgp1");
                    let mut page = m.cluster_settings();
                    page.set("SIPFarmMode", "Relay");
                    m.set_cluster_settings(page);
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(r#"~ sip_farm_mode = "Relay" -> "Member""#)
                        .shows("SIP farm member cgp1 changed outside Terraform"),
                ),
            )
            .step(Step::heal(async {
                check_applied().await;
            }))
            .device_clean(async {
                for name in lab.cgp_names() {
                    let m = lab.cgp(&name);
                    for key in OWNED_PAGE {
                        assert_eq!(m.cluster_settings().get(key), None, "{name} {key} removed");
                    }
                    assert_eq!(
                        m.network().get("WANAddress"),
                        None,
                        "{name} WANAddress removed"
                    );
                }
                assert_eq!(lab.cgp_cluster().cluster_network().get("WANAddress"), None);
                assert_eq!(
                    &unrelated(lab),
                    before,
                    "every key not owned intact after destroy"
                );
            })
            .run()
            .await;
        let log = lab.cgp("cgp3").command_log();
        assert!(
            log.iter().any(|l| l.starts_with("SetClusterSettings")),
            "the relays were written: {log:?}"
        );
        owned.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_ip_without_wan_addresses_is_refused_at_plan_time() {
    on_each_terraform("cgp-sip-farm-bad", |tf| async move {
        let lab = cluster(&tf).await;
        let before = unrelated(&lab);
        let config = farm(
            &lab,
            "  media_method = \"multi_ip\"\n",
            &member_blocks(&lab, &|_| String::new()),
        );
        tf.write("main.tf", &config);
        tf.init().await;
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        assert_eq!(out.code, 1, "{}", out.all());
        let text = out.text();
        assert!(
            text.contains("Missing WAN address") && text.contains("member[0].wan_address"),
            "{}",
            out.all()
        );
        assert_eq!(unrelated(&lab), before);
        for name in lab.cgp_names() {
            assert!(
                !lab.cgp(&name)
                    .command_log()
                    .iter()
                    .any(|l| l.starts_with("Set")),
                "nothing written to {name}"
            );
        }
        lab.stop().await;
    })
    .await;
}
