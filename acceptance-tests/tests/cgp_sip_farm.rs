//! `cgp_sip_farm` with real Terraform on every Terraform found, against the lab's simulated
//! CommuniGate Pro cluster of four members (cgp1 and cgp2 frontends in the farm, cgp3 and cgp4
//! backends as relays). single_vip with a cluster-wide WAN address: the house protocol, every
//! key this resource does not own byte for byte as before after apply and destroy, a member
//! dropped from the farm by hand shown in the plan naming it and healed. multi_ip: each
//! frontend's WAN address in its own store and the cluster-wide one cleared; an update writes
//! only the member that changed; a `SetClusterSettings` whose reply is lost after the member
//! applied it fails the apply naming the member, and the re-apply converges writing nothing
//! twice. The bad-input table refused at plan time naming the attribute, nothing written.

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
    member_blocks_farm(lab, &default_farm, extra)
}

/// cgp1 and cgp2 in the farm, cgp3 and cgp4 relays.
fn default_farm(i: usize) -> &'static str {
    match i < 2 {
        true => "member",
        false => "relay",
    }
}

/// The member blocks with `farm(i)` as member i's `sip_farm` (cgp1, cgp2 frontends).
fn member_blocks_farm(
    lab: &Lab,
    farm: &dyn Fn(usize) -> &'static str,
    extra: &dyn Fn(usize) -> String,
) -> String {
    cgp_members(lab)
        .iter()
        .enumerate()
        .map(|(i, (name, host, port))| {
            let role = match i < 2 {
                true => "frontend",
                false => "backend",
            };
            let farm = farm(i);
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

/// The frontends' mapped balancer addresses (the seed's G1, G2) for multi_ip.
const G: [&str; 2] = ["64.173.55.165", "64.173.55.166"];

fn multi_ip(lab: &Lab, farm_of: &dyn Fn(usize) -> &'static str) -> String {
    farm(
        lab,
        "  media_method = \"multi_ip\"\n",
        &member_blocks_farm(lab, farm_of, &|i| match i < 2 {
            true => format!("    wan_address = \"{}\"\n", G[i]),
            false => String::new(),
        }),
    )
}

/// Every member's command log length now, to look at what a later apply sent.
fn marks(lab: &Lab) -> Vec<usize> {
    lab.cgp_names()
        .iter()
        .map(|n| lab.cgp(n).command_log().len())
        .collect()
}

/// The `Set` commands member `i` received since `marks`, by command name.
fn sets_since(lab: &Lab, marks: &[usize], i: usize) -> Vec<String> {
    let name = &lab.cgp_names()[i];
    lab.cgp(name).command_log()[marks[i]..]
        .iter()
        .filter(|l| l.starts_with("Set"))
        .map(|l| l.split_whitespace().next().unwrap_or_default().to_string())
        .collect()
}

/// cgp3 joins the farm.
fn cgp3_joins(i: usize) -> &'static str {
    match i {
        0..=2 => "member",
        _ => "relay",
    }
}

/// cgp3 leaves the farm and cgp4 joins it.
fn cgp3_and_cgp4_swap(i: usize) -> &'static str {
    match i {
        0 | 1 | 3 => "member",
        _ => "relay",
    }
}

fn farm_mode(lab: &Lab, name: &str) -> Option<String> {
    unquoted(lab.cgp(name).cluster_settings().get("SIPFarmMode"))
}

/// multi_ip end to end: each frontend's wan_address in its own `GetNetwork` store and the
/// cluster-wide key (set by hand before) cleared; then an update that moves one relay into the
/// farm writes that member's `SetClusterSettings` and nothing else anywhere; then an update whose
/// `SetClusterSettings` reply is lost after the member applied it fails naming the member, and
/// the re-apply converges without writing that member again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_members_multi_ip_update_and_dropped_connection_mid_update() {
    on_each_terraform("cgp-sip-farm-multi", |tf| async move {
        let owned = cluster(&tf).await;
        let lab = &owned;
        let mut network = lab.cgp_cluster().cluster_network();
        network.set("WANAddress", G0);
        lab.cgp_cluster().set_cluster_network(network);
        let before = &unrelated(lab);
        let check_applied = |farm_of: fn(usize) -> &'static str| async move {
            for (i, name) in lab.cgp_names().iter().enumerate() {
                let page = lab.cgp(name).cluster_settings();
                let want = match farm_of(i) {
                    "member" => "Member",
                    _ => "Relay",
                };
                assert_eq!(farm_mode(lab, name).as_deref(), Some(want), "{name}");
                let legs = match i < 2 {
                    true => "Locally for Others",
                    false => "Auto",
                };
                assert_eq!(
                    unquoted(page.get("LegHostMode")).as_deref(),
                    Some(legs),
                    "{name}"
                );
                let wan = unquoted(lab.cgp(name).network().get("WANAddress"));
                match i < 2 {
                    true => assert_eq!(wan.as_deref(), Some(G[i]), "{name}'s own WAN address"),
                    false => assert!(
                        wan.as_deref().is_none_or(str::is_empty),
                        "{name}: a backend has no WAN address: {wan:?}"
                    ),
                }
            }
            let cluster_wan = unquoted(lab.cgp_cluster().cluster_network().get("WANAddress"));
            assert!(
                cluster_wan.as_deref().is_none_or(str::is_empty),
                "the cluster-wide WAN address cleared for multi_ip: {cluster_wan:?}"
            );
            assert_eq!(
                &unrelated(lab),
                before,
                "every key not owned byte for byte as before"
            );
        };
        let mark = &std::sync::Mutex::new(Vec::new());
        Protocol::new(&tf, multi_ip(lab, &default_farm))
            .applied(async {
                check_applied(default_farm).await;
                let v = tf.resource_values(ADDRESS).await;
                assert_eq!(v["member"][0]["server_wan_address"], G[0]);
                assert_eq!(v["member"][1]["server_wan_address"], G[1]);
                assert!(v["member"][2]["server_wan_address"].is_null(), "{v}");
                assert!(v["cluster_wan_address_reported"].is_null(), "{v}");
            })
            .step(
                Step::new("cgp3 joins the SIP farm")
                    .before(async {
                        *mark.lock().unwrap() = marks(lab);
                    })
                    .config(multi_ip(lab, &cgp3_joins))
                    .plan(Plan::changes().update(ADDRESS))
                    .apply(async {
                        check_applied(cgp3_joins).await;
                        let mark = mark.lock().unwrap().clone();
                        for i in 0..4 {
                            let want: &[&str] = match i {
                                2 => &["SetClusterSettings"],
                                _ => &[],
                            };
                            assert_eq!(
                                sets_since(lab, &mark, i),
                                want,
                                "only cgp3's settings written; member {i}"
                            );
                        }
                    })
                    .empty_plan(),
            )
            .step(
                Step::new("the reply to cgp3's SetClusterSettings lost, then re-applied")
                    .before(async {
                        *mark.lock().unwrap() = marks(lab);
                        lab.cgp("cgp3").faults().drop_connection_after("SetClusterSettings", 1);
                        tf.write("main.tf", &multi_ip(lab, &cgp3_and_cgp4_swap));
                        let out = tf
                            .run(&["apply", "-auto-approve", "-input=false", "-no-color"])
                            .await;
                        assert_eq!(out.code, 1, "the apply fails: {}", out.all());
                        let text = out.text();
                        assert!(
                            text.contains("Cannot apply the SIP farm")
                                && text.contains("SetClusterSettings on member cgp3"),
                            "the error names the command and the member: {}",
                            out.all()
                        );
                        assert_eq!(
                            farm_mode(lab, "cgp3").as_deref(),
                            Some("Relay"),
                            "cgp3 applied the Set before the connection was cut"
                        );
                    })
                    .apply(async {
                        check_applied(cgp3_and_cgp4_swap).await;
                        let mark = mark.lock().unwrap().clone();
                        for i in 0..4 {
                            let want: &[&str] = match i {
                                2 | 3 => &["SetClusterSettings"],
                                _ => &[],
                            };
                            assert_eq!(
                                sets_since(lab, &mark, i),
                                want,
                                "nothing written twice, nothing on members that did not change; member {i}"
                            );
                        }
                    })
                    .empty_plan(),
            )
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
        owned.stop().await;
    })
    .await;
}

/// The bad-input table: each configuration refused at plan time naming the attribute, and no
/// `Set` command sent to any member.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_at_plan_time_naming_the_attribute() {
    on_each_terraform("cgp-sip-farm-bad", |tf| async move {
        let lab = cluster(&tf).await;
        let before = unrelated(&lab);
        let no_wan = &|_: usize| String::new();
        let cases: Vec<(&str, String, [&str; 2])> = vec![
            (
                "multi_ip without WAN addresses",
                farm(
                    &lab,
                    "  media_method = \"multi_ip\"\n",
                    &member_blocks(&lab, no_wan),
                ),
                ["Missing WAN address", "member[0].wan_address"],
            ),
            (
                "single_vip with a member's own WAN address",
                farm(
                    &lab,
                    &format!(
                        "  media_method        = \"single_vip\"\n  cluster_wan_address = \"{G0}\"\n"
                    ),
                    &member_blocks(&lab, &|i| match i {
                        1 => format!("    wan_address = \"{}\"\n", G[1]),
                        _ => String::new(),
                    }),
                ),
                [
                    "Server-wide WAN address with single_vip",
                    "member[1].wan_address",
                ],
            ),
            (
                "no SIP farm member",
                farm(
                    &lab,
                    &format!(
                        "  media_method        = \"single_vip\"\n  cluster_wan_address = \"{G0}\"\n"
                    ),
                    &member_blocks_farm(&lab, &|_| "relay", no_wan),
                ),
                ["No SIP farm member", "member"],
            ),
            (
                "call legs on all with backends",
                farm(
                    &lab,
                    &format!(
                        "  call_legs_on        = \"all\"\n  media_method        = \"single_vip\"\n  cluster_wan_address = \"{G0}\"\n"
                    ),
                    &member_blocks(&lab, no_wan),
                ),
                ["Call legs on members without Internet access", "call_legs_on"],
            ),
        ];
        let mut inited = false;
        for (case, config, [summary, attribute]) in cases {
            tf.write("main.tf", &config);
            if !inited {
                tf.init().await;
                inited = true;
            }
            let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
            assert_eq!(out.code, 1, "{case}: {}", out.all());
            let text = out.text();
            assert!(
                text.contains(summary) && text.contains(attribute),
                "{case}: {summary} at {attribute}: {}",
                out.all()
            );
        }
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
