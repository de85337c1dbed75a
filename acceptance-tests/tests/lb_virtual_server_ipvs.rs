//! `lb_virtual_server` on the IPVS backend, with real Terraform on every Terraform found,
//! against the lab's director: a real sshd in front of the `ipvsadm` stand-in (this kernel has
//! no IPVS; uccluster_lab::ipvs says what the stand-in follows). The house protocol, then
//! member changes, and what IPVS cannot do refused at plan time naming the attribute.

use uccluster_harness::*;
use uccluster_lab::ipvs::IpvsHost;

const ADDRESS: &str = "lb_virtual_server.sip";
const VIP: &str = "64.173.55.164";
const FRONTENDS: [&str; 3] = ["64.173.55.180", "64.173.55.181", "64.173.55.182"];

/// The seed's SIP VIP: UDP 5060, direct routing (the VIP on each frontend's loopback), round
/// robin, no persistence and, on IPVS, no monitor; `members` are member blocks.
fn sip(host: &IpvsHost, members: &str, extra: &str) -> String {
    format!(
        "{}\nresource \"lb_virtual_server\" \"sip\" {{\n  name       = \"sip\"\n  address    = \"{VIP}\"\n  port       = 5060\n  protocol   = \"udp\"\n  forwarding = \"direct_routing\"\n  monitors   = []\n{extra}{members}}}\n",
        ipvs_provider(host)
    )
}

fn frontends(n: usize) -> String {
    lb_members(&FRONTENDS[..n])
}

/// Runs the lab's `ipvsadm` as an operator would on the director.
fn ipvsadm(host: &IpvsHost, args: &str) {
    let out = std::process::Command::new(host.ipvsadm_command())
        .args(args.split_whitespace())
        .output()
        .expect("ipvsadm runs");
    assert!(
        out.status.success(),
        "ipvsadm {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn rules(service: &str, reals: &[(&str, u32)]) -> String {
    let key = service
        .split(" -s")
        .next()
        .unwrap_or_default()
        .replace("-A ", "");
    let mut out = format!("-A {service}\n");
    for (address, weight) in reals {
        out.push_str(&format!("-a {key} -r {address}:5060 -g -w {weight}\n"));
    }
    out
}

const SERVICE: &str = "-u 64.173.55.164:5060 -s wrr ops";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_import_drift_heal_destroy() {
    on_each_terraform("ipvs-protocol", |tf| async move {
        let lab = ipvs_lab(&tf).await;
        let host = lab.ipvs("ipvs1");
        let three = rules(
            SERVICE,
            &[(FRONTENDS[0], 1), (FRONTENDS[1], 1), (FRONTENDS[2], 1)],
        );
        Protocol::new(&tf, sip(host, &frontends(3), ""))
            .applied(async {
                assert_eq!(
                    host.rules(),
                    three,
                    "one-packet scheduling on SIP's UDP port"
                );
                let v = tf.resource_values(ADDRESS).await;
                assert_eq!(v["id"], "sip@64.173.55.164:5060;protocol=udp");
                assert_eq!(v["member"][0]["name"], "64.173.55.180:5060");
                assert_eq!(v["member"][0]["health"], "unchecked");
                assert_eq!(v["member"][0]["status"], "weight 1");
                assert!(v["ipvs"].as_array().is_none_or(|b| b.is_empty()));
            })
            .import(ADDRESS, "sip@64.173.55.164:5060;protocol=udp".into())
            .step(
                Step::drift("a member quiesced by hand", async {
                    ipvsadm(
                        host,
                        "-e -u 64.173.55.164:5060 -r 64.173.55.181:5060 -g -w 0",
                    );
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows("~ enabled = false -> true"),
                ),
            )
            .step(
                Step::drift(
                    "a member removed and the scheduler changed by hand",
                    async {
                        ipvsadm(host, "-d -u 64.173.55.164:5060 -r 64.173.55.182:5060");
                        ipvsadm(host, "-E -u 64.173.55.164:5060 -s sh -o");
                    },
                )
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(r#"~ method = "sh" -> "round_robin""#)
                        .shows(r#"+ address = "64.173.55.182""#),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(host.rules(), three);
            }))
            .step(
                Step::drift("the service deleted by hand", async {
                    ipvsadm(host, "-D -u 64.173.55.164:5060");
                })
                .plan(Plan::changes().create(ADDRESS)),
            )
            .step(Step::heal(async {
                assert_eq!(host.rules(), three);
            }))
            .device_clean(async {
                assert_eq!(
                    host.rules(),
                    "",
                    "destroy leaves the director's table empty"
                );
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_added_removed_disabled_and_reweighted_in_place() {
    on_each_terraform("ipvs-members", |tf| async move {
        let lab = ipvs_lab(&tf).await;
        let host = lab.ipvs("ipvs1");
        let changed = format!(
            "{}{}{}",
            lb_member(FRONTENDS[0], &["weight = 5"]),
            lb_member(FRONTENDS[2], &["enabled = false", "weight = 3"]),
            lb_member("64.173.55.183", &["name = \"fe8\""]),
        );
        let both =
            sip(host, &frontends(1), "").replace("protocol   = \"udp\"", "protocol   = \"both\"");
        let both_rules = |w| {
            let tcp = rules("-t 64.173.55.164:5060 -s wrr", &[(FRONTENDS[0], w)]);
            format!("{tcp}{}", rules(SERVICE, &[(FRONTENDS[0], w)]))
        };
        Protocol::new(&tf, sip(host, &frontends(3), ""))
            .step(
                Step::new("re-weight, disable, remove and add members")
                    .config(sip(host, &changed, ""))
                    .plan(Plan::changes().update(ADDRESS))
                    .apply(async {
                        assert_eq!(
                            host.rules(),
                            rules(
                                SERVICE,
                                &[(FRONTENDS[0], 5), (FRONTENDS[2], 0), ("64.173.55.183", 1)]
                            )
                        );
                        let v = tf.resource_values(ADDRESS).await;
                        assert_eq!(
                            v["member"][1]["weight"], 3,
                            "a quiesced member keeps its weight"
                        );
                        assert_eq!(v["member"][1]["status"], "weight 0");
                        assert_eq!(v["member"][2]["name"], "fe8", "names live in the state");
                    })
                    .empty_plan(),
            )
            .step(
                Step::new("one-packet scheduling turned off explicitly, TCP added")
                    .config(sip(
                        host,
                        &frontends(1),
                        "  ipvs {\n    one_packet_scheduling = false\n  }\n",
                    ))
                    .apply(async {
                        assert_eq!(
                            host.rules(),
                            rules("-u 64.173.55.164:5060 -s wrr", &[(FRONTENDS[0], 1)])
                        );
                    })
                    .empty_plan(),
            )
            .step(
                Step::new("TCP and UDP: two services")
                    .config(both.clone())
                    .apply(async {
                        assert_eq!(host.rules(), both_rules(1));
                    })
                    .empty_plan(),
            )
            .step(
                Step::drift("the UDP half re-weighted by hand", async {
                    ipvsadm(
                        host,
                        "-e -u 64.173.55.164:5060 -r 64.173.55.180:5060 -g -w 4",
                    );
                })
                .plan(
                    Plan::changes()
                        .shows(r#"~ protocol = "tcp and udp services that differ" -> "both""#)
                        .shows("must be replaced"),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(host.rules(), both_rules(1), "both halves alike again");
            }))
            .device_clean(async {
                assert_eq!(host.rules(), "");
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

/// `config` with the provider's ipvs block reduced to its `ipvsadm` line.
fn no_ssh_block(config: &str) -> String {
    let start = config.find("    ssh {").expect("an ssh block");
    let end = start + config[start..].find("    }\n").expect("its end") + "    }\n".len();
    format!("{}{}", &config[..start], &config[end..])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_ipvs_cannot_do_is_refused_at_plan_time_naming_the_attribute() {
    on_each_terraform("ipvs-refused", |tf| async move {
        let lab = ipvs_lab(&tf).await;
        let host = lab.ipvs("ipvs1");
        tf.write("main.tf", &sip(host, &frontends(1), ""));
        tf.init().await;
        for (config, summary, detail, line) in [
            (
                sip(host, &frontends(1), "").replace("monitors   = []", "monitors   = [\"tcp\"]"),
                "IPVS has no health checks",
                "set monitors = []",
                "monitors",
            ),
            (
                sip(host, &frontends(1), "").replace("direct_routing", "no_translation"),
                "Not available on IPVS",
                "direct_routing",
                "forwarding",
            ),
            (
                sip(host, &frontends(1), "").replace("  port       = 5060\n", ""),
                "IPVS needs a port",
                "set port",
                "",
            ),
            (
                sip(
                    host,
                    &frontends(1),
                    "  ipvs {\n    one_packet_scheduling = true\n  }\n",
                )
                .replace("\"udp\"", "\"tcp\""),
                "One-packet scheduling on TCP",
                "only for UDP",
                "",
            ),
            (
                no_ssh_block(&sip(host, &frontends(1), "")),
                "No ssh block",
                "ipvsadm over SSH",
                "",
            ),
        ] {
            tf.write("main.tf", &config);
            let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
            assert_eq!(out.code, 1, "{config}\n{}", out.all());
            let text = out.text();
            assert!(
                text.contains(summary) && text.contains(detail) && text.contains(line),
                "expected {summary:?} / {detail:?} at {line:?}:\n{}",
                out.all()
            );
        }
        assert_eq!(host.rules(), "", "nothing reached the director");
        lab.stop().await;
    })
    .await;
}
