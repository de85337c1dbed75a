//! `lb_virtual_server` on the HAProxy backend, with real Terraform on every Terraform found,
//! against a real HAProxy 2.6 (master-worker, runtime API on loopback) and real TCP members:
//! the house protocol, members changed through the runtime API without a reload, traffic that
//! shows a removed member gets no new connections, a reload that drops no open connection,
//! and what HAProxy cannot do refused at plan time naming the attribute.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use uccluster_harness::*;
use uccluster_lab::haproxy::{Haproxy, MemberServers, BASE_MARKER};
use uccluster_lab::lab::{Lab, LabSpec};
use uccluster_lab::xop::Sshd;

const ADDRESS: &str = "lb_virtual_server.pop";

async fn balancer(tf: &Tf) -> Lab {
    Lab::start(
        &LabSpec::default().with_haproxy_balancers(1),
        &tf.dir.join("lab"),
    )
    .await
    .expect("lab starts")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.2:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The member blocks for `members` (by index), with `extra` lines in each.
fn members(servers: &MemberServers, which: &[usize], extra: &[&str]) -> String {
    which
        .iter()
        .map(|&i| {
            let m = &servers.0[i];
            let name = format!("name = \"{}\"", m.name);
            let port = format!("port = {}", m.port);
            let mut lines = vec![name.as_str(), port.as_str()];
            lines.extend(extra);
            lb_member(&m.address(), &lines)
        })
        .collect()
}

/// A TCP service on 127.0.0.2:`port` (a POP3 front, checked by TCP connect).
fn pop(h: &Haproxy, port: u16, members: &str, extra: &str) -> String {
    format!(
        "{}\nresource \"lb_virtual_server\" \"pop\" {{\n  name    = \"pop\"\n  address = \"127.0.0.2\"\n  port    = {port}\n{extra}{members}}}\n",
        haproxy_provider(h)
    )
}

/// Which member a new connection through the VIP reaches (its greeting), keeping the stream.
async fn connect(port: u16) -> (String, BufReader<TcpStream>) {
    let stream = TcpStream::connect(("127.0.0.2", port))
        .await
        .expect("the VIP accepts");
    let mut reader = BufReader::new(stream);
    let mut greeting = String::new();
    tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut greeting))
        .await
        .expect("a member greets within 5 s")
        .expect("greeting read");
    (greeting.trim().to_string(), reader)
}

async fn reached(port: u16, connections: usize) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..connections {
        names.push(connect(port).await.0);
    }
    names.sort();
    names.dedup();
    names
}

fn section_of(h: &Haproxy) -> String {
    std::fs::read_to_string(h.config_path()).expect("the configuration file")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_protocol_apply_plan_import_drift_heal_destroy() {
    on_each_terraform("haproxy-protocol", |tf| async move {
        let lab = balancer(&tf).await;
        let (h, servers) = lab.haproxy("lb1");
        let port = free_port();
        let base = section_of(h);
        let names: Vec<String> = servers.0.iter().map(|m| m.name.clone()).collect();
        let reloads = std::cell::Cell::new(0);
        Protocol::new(&tf, pop(h, port, &members(servers, &[0, 1, 2], &[]), ""))
            .applied(async {
                let file = section_of(h);
                assert!(
                    file.starts_with(&base),
                    "the file's own lines are kept byte for byte"
                );
                assert!(file.contains("# BEGIN uccluster lb_virtual_server pop"));
                assert_eq!(
                    reached(port, 6).await,
                    names,
                    "round robin over the three members"
                );
                let v = tf.resource_values(ADDRESS).await;
                assert_eq!(v["id"], "pop");
                assert_eq!(v["member"][0]["status"], "UP");
                reloads.set(h.reloads().await.unwrap().0);
            })
            .import(ADDRESS, "pop".into())
            .step(
                Step::drift(
                    "a member put in maintenance through the runtime API",
                    async {
                        h.runtime(&format!("set server pop/{} state maint", names[1]))
                            .await
                            .unwrap();
                    },
                )
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows("~ enabled = false -> true"),
                ),
            )
            .step(
                Step::drift("a member deleted through the runtime API", async {
                    let m = &names[2];
                    h.runtime(&format!("set server pop/{m} state maint"))
                        .await
                        .unwrap();
                    h.runtime(&format!("del server pop/{m}")).await.unwrap();
                })
                .plan(
                    Plan::changes()
                        .update(ADDRESS)
                        .shows(format!("+ name = \"{}\"", names[2])),
                ),
            )
            .step(Step::heal(async {
                assert_eq!(
                    h.reloads().await.unwrap().0,
                    reloads.get(),
                    "members healed through the runtime API, without a reload"
                );
                assert_eq!(reached(port, 6).await, names);
            }))
            .step(
                Step::drift(
                    "the section removed from the file and HAProxy reloaded",
                    async {
                        std::fs::write(h.config_path(), &base).unwrap();
                        h.reload().await.unwrap();
                    },
                )
                .plan(Plan::changes().create(ADDRESS)),
            )
            .step(Step::heal(async {
                assert_eq!(reached(port, 6).await, names);
            }))
            .device_clean(async {
                assert_eq!(section_of(h), base, "destroy leaves the file as it was");
                assert!(
                    TcpStream::connect(("127.0.0.2", port)).await.is_err(),
                    "the VIP no longer listens"
                );
            })
            .run()
            .await;
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_change_live_and_a_reload_drops_no_open_connection() {
    on_each_terraform("haproxy-members", |tf| async move {
        let lab = balancer(&tf).await;
        let (h, servers) = lab.haproxy("lb1");
        let port = free_port();
        let all = [0, 1, 2];
        tf.write("main.tf", &pop(h, port, &members(servers, &all, &[]), ""));
        tf.init().await;
        tf.apply_ok().await;
        let reloads = h.reloads().await.unwrap().0;

        // Remove the third member: runtime only, and it gets no new connection.
        tf.write(
            "main.tf",
            &pop(h, port, &members(servers, &[0, 1], &[]), ""),
        );
        tf.apply_ok().await;
        assert_eq!(
            h.reloads().await.unwrap().0,
            reloads,
            "no reload to remove a member"
        );
        let before = servers.0[2].accepted();
        let names = reached(port, 8).await;
        assert_eq!(
            names,
            [servers.0[0].name.clone(), servers.0[1].name.clone()]
        );
        assert_eq!(
            servers.0[2].accepted(),
            before,
            "the removed member got no new connection"
        );

        // Disable one and re-weight the other: still no reload.
        let changed = format!(
            "{}{}",
            members(servers, &[0], &["enabled = false"]),
            members(servers, &[1], &["weight = 7"])
        );
        tf.write("main.tf", &pop(h, port, &changed, ""));
        tf.apply_ok().await;
        assert_eq!(h.reloads().await.unwrap().0, reloads);
        assert_eq!(reached(port, 4).await, [servers.0[1].name.clone()]);
        let state = h.runtime("show servers state pop").await.unwrap();
        assert!(
            state.contains(&format!(" {} ", servers.0[1].name)),
            "{state}"
        );
        tf.assert_empty_plan().await;

        // A change of method needs a reload; a connection open across it keeps working.
        let (_, mut open) = connect(port).await;
        tf.write(
            "main.tf",
            &pop(
                h,
                port,
                &members(servers, &all, &[]),
                "  method  = \"least_connections\"\n",
            ),
        );
        tf.apply_ok().await;
        assert!(
            h.reloads().await.unwrap().0 > reloads,
            "the method change reloaded"
        );
        open.get_mut().write_all(b"still here\n").await.unwrap();
        let mut echo = String::new();
        tokio::time::timeout(Duration::from_secs(5), open.read_line(&mut echo))
            .await
            .expect("the open connection answers after the reload")
            .unwrap();
        assert_eq!(
            echo, "still here\n",
            "the reload dropped no open connection"
        );
        assert!(section_of(h).contains("balance leastconn"));
        tf.assert_empty_plan().await;
        tf.destroy_ok().await;
        assert!(section_of(h).starts_with(BASE_MARKER));
        assert!(!section_of(h).contains("uccluster lb_virtual_server"));
        lab.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_haproxy_cannot_do_is_refused_at_plan_time_naming_the_attribute() {
    on_each_terraform("haproxy-refused", |tf| async move {
        let lab = balancer(&tf).await;
        let (h, servers) = lab.haproxy("lb1");
        let port = free_port();
        let one = members(servers, &[0], &[]);
        tf.write("main.tf", &pop(h, port, &one, ""));
        tf.init().await;
        let base = section_of(h);
        for (extra, detail, line) in [
            ("  protocol = \"udp\"\n", "ipvs", "protocol"),
            (
                "  forwarding = \"no_translation\"\n",
                "full proxy",
                "forwarding",
            ),
            ("  monitors = [\"icmp\"]\n", "", "monitors"),
        ] {
            let config = pop(h, port, &one, extra);
            tf.write("main.tf", &config);
            let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
            assert_eq!(out.code, 1, "{config}\n{}", out.all());
            let text = out.text();
            assert!(
                text.contains("Not available on HAProxy")
                    && text.contains(detail)
                    && text.contains(line),
                "expected {detail:?} at {line:?}:\n{}",
                out.all()
            );
        }
        assert_eq!(section_of(h), base, "nothing reached the balancer");
        lab.stop().await;
    })
    .await;
}

/// The same service on a HAProxy driven as if on another host: its file and `haproxy -c` over
/// SSH (a real sshd), the master CLI on TCP.
fn pop_over_ssh(h: &Haproxy, sshd: &Sshd, port: u16, members: &str) -> String {
    format!(
        "{}\nresource \"lb_virtual_server\" \"pop\" {{\n  name    = \"pop\"\n  address = \"127.0.0.2\"\n  port    = {port}\n{members}}}\n",
        haproxy_ssh_provider(h, sshd)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_ssh_the_file_is_changed_on_the_host_and_the_master_reached_on_tcp() {
    on_each_terraform("haproxy-ssh", |tf| async move {
        let lab = balancer(&tf).await;
        let (h, servers) = lab.haproxy("lb1");
        let sshd = Sshd::start(&tf.dir.join("sshd"))
            .await
            .expect("sshd starts");
        let port = free_port();
        let base = section_of(h);
        let names: Vec<String> = servers.0.iter().map(|m| m.name.clone()).collect();
        let config = pop_over_ssh(h, &sshd, port, &members(servers, &[0, 1, 2], &[]));

        // A Unix master socket cannot be reached on another host: refused, naming it.
        let unix = config.replace(&h.master_address(), &h.master_socket().to_string_lossy());
        tf.write("main.tf", &unix);
        tf.init().await;
        let out = tf.run(&["plan", "-input=false", "-no-color"]).await;
        out.assert_error(&["Unix socket on another host", "master_socket", "-S ipv4@"]);

        let reloads = std::cell::Cell::new(0);
        Protocol::new(&tf, config)
            .applied(async {
                let file = section_of(h);
                assert!(file.starts_with(&base), "the file's own lines are kept");
                assert!(file.contains("# BEGIN uccluster lb_virtual_server pop"));
                assert_eq!(reached(port, 6).await, names, "the reload over TCP took it");
                reloads.set(h.reloads().await.unwrap().0);
            })
            .import(ADDRESS, "pop".into())
            .step(
                Step::drift("the section removed from the file on the host", async {
                    std::fs::write(h.config_path(), &base).unwrap();
                    h.reload().await.unwrap();
                })
                .plan(Plan::changes().create(ADDRESS)),
            )
            .step(Step::heal(async {
                assert!(h.reloads().await.unwrap().0 > reloads.get());
                assert_eq!(reached(port, 6).await, names);
            }))
            .device_clean(async {
                assert_eq!(section_of(h), base, "destroy leaves the file as it was");
                let left: Vec<String> = std::fs::read_dir(h.dir())
                    .unwrap()
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.contains("uccluster"))
                    .collect();
                assert!(
                    left.is_empty(),
                    "no candidate or sibling file left: {left:?}"
                );
            })
            .run()
            .await;
        sshd.stop().await;
        lab.stop().await;
    })
    .await;
}
