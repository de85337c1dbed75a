//! Refresh at scale for `lb_virtual_server`: many virtual servers on one balancer against the
//! one-read-per-balancer bound, measured in one run against the lab's BIG-IP (iControl REST).
//!
//! Every virtual server of a balancer is found in one shared read of the whole site (the
//! virtuals, pools with their members expanded, virtual addresses, profiles and monitors: a
//! fixed number of GETs whatever the number of VIPs), held until a write may change the
//! balancer. So the balancer's latency is paid once per run, not once per VIP. The bound: the
//! refresh cost of N − 1 more VIPs (T_N − T_1) with a slow balancer is the same as with an
//! instant one (Terraform's and the provider's own per-resource work); the ratio of the two is
//! printed (ideal ~1), next to what a read per VIP would have cost the balancer.
//!
//! Not a test: nothing here asserts a time. It fails only when something does not work (apply,
//! plan, the transport). Run with `make bench`, which builds the release providers it uses.

use std::time::{Duration, Instant};
use uccluster_harness::*;
use uccluster_lab::f5::control::F5Control;
use uccluster_lab::lab::{Lab, LabSpec};

mod common;
use common::{alternate, header, ms, ratio, refresh_only, row, Stats};
use uccluster::client::{Devices, TrustPolicy};
use uccluster::devices::cms::prompt::MmpPrompt;
use uccluster::devices::lb::f5::{get_request, read_requests};
use uccluster::resources::lb_virtual_server::f5::{https_target, CONCURRENCY};

/// Virtual servers in the large configuration.
const N: usize = 30;
/// What the simulated BIG-IP takes before each answer.
const REPLY_DELAY: Duration = Duration::from_millis(20);
const LOGIN: &str = "POST /mgmt/shared/authn/login";
/// Timed reads of the site outside Terraform.
const READ_RUNS: usize = 20;

fn main() {
    common::run(bench());
}

/// `count` TCP virtual servers named `<prefix>NN` on 10.<net>.0.NN:80, two members each.
fn site(lab: &Lab, prefix: &str, net: u8, count: usize) -> String {
    let mut config = f5_provider(lab, "bigip1");
    for i in 1..=count {
        config.push_str(&format!(
            "\nresource \"lb_virtual_server\" \"{prefix}{i:02}\" {{\n  name     = \"{prefix}{i:02}\"\n  address  = \"10.{net}.0.{i}\"\n  port     = 80\n  protocol = \"tcp\"\n{}{}}}\n",
            lb_member(&format!("10.{net}.1.{i}"), &[]),
            lb_member(&format!("10.{net}.2.{i}"), &[]),
        ));
    }
    config
}

async fn apply_site(tf: &Tf, config: &str, resources: usize) {
    tf.write("main.tf", config);
    common::apply(tf, resources).await;
}

/// The requests the balancer answered during one refresh-only plan.
struct Requests {
    gets: usize,
    logins: usize,
    others: usize,
}

async fn counted_plan(tf: &Tf, bigip: &F5Control) -> (Duration, Requests) {
    let before = bigip.command_log().len();
    let wall = refresh_only(tf).await;
    let log = bigip.command_log();
    let seen = &log[before..];
    let gets = seen.iter().filter(|l| l.starts_with("GET ")).count();
    let logins = seen.iter().filter(|l| l.as_str() == LOGIN).count();
    (
        wall,
        Requests {
            gets,
            logins,
            others: seen.len() - gets - logins,
        },
    )
}

/// One whole read of the balancer as the provider makes it (its requests, in order, on a
/// logged-in keep-alive connection), timed.
async fn measure_read(lab: &Lab) -> Stats {
    let device = lab.endpoints()["f5_devices"][0].clone();
    let text = |k: &str| device[k].as_str().unwrap_or_default().to_string();
    let target = https_target(
        format!("https://{}:{}", text("host"), device["port"]),
        TrustPolicy::CaBundle(text("ca_file").into()),
        text("username"),
        text("password"),
        Duration::from_secs(30),
    );
    let devices = Devices::new(&MmpPrompt);
    let read = || async {
        let turn = devices.https(&target).await.expect("a turn on the BIG-IP");
        for path in read_requests("Common") {
            let reply = turn.send(&get_request(&path)).await.expect("GET answered");
            assert_eq!(reply.status, 200, "GET {path}");
        }
    };
    read().await;
    let mut samples = Vec::with_capacity(READ_RUNS);
    for _ in 0..READ_RUNS {
        let started = Instant::now();
        read().await;
        samples.push(started.elapsed());
    }
    Stats::of(samples)
}

/// [`counted_plan`]'s time, as [`alternate`] runs it.
fn timed<'a>(bigip: &'a F5Control) -> impl Fn(&'a Tf) -> common::Plan<'a> + Copy {
    move |tf| Box::pin(async move { counted_plan(tf, bigip).await.0 })
}

async fn bench() {
    let total = Instant::now();
    let tf_n = Tf::new("bench-refresh-lb-n", oldest_terraform());
    let lab = Lab::start(
        &LabSpec::default().with_f5_devices(1),
        &tf_n.dir.join("lab"),
    )
    .await
    .expect("lab starts");
    let bigip = lab.f5("bigip1");
    let delay = |d| bigip.faults().set_reply_delay(d);
    delay(REPLY_DELAY);

    // Both configurations live on the same balancer, so every read returns all N + 1 VIPs.
    apply_site(&tf_n, &site(&lab, "vs", 1, N), N).await;
    let tf_1 = tf_n.sibling("bench-refresh-lb-1");
    apply_site(&tf_1, &site(&lab, "single", 2, 1), 1).await;

    let (_, per_plan_n) = counted_plan(&tf_n, &bigip).await;
    let (_, per_plan_1) = counted_plan(&tf_1, &bigip).await;
    let plan = timed(&bigip);
    let (t_n, t_1) = alternate(plan, &tf_n, &tf_1).await;
    // The same with an instant balancer: what Terraform and the provider cost per resource.
    delay(Duration::ZERO);
    let (i_n, i_1) = alternate(plan, &tf_n, &tf_1).await;
    delay(REPLY_DELAY);
    let read = measure_read(&lab).await;
    lab.stop().await;

    let more = N - 1;
    let refresh = t_n.median.saturating_sub(t_1.median);
    let bound = i_n.median.saturating_sub(i_1.median);
    // A read per VIP: N - 1 more reads, at best CONCURRENCY at a time.
    let per_vip_reads = read.median * more as u32 / CONCURRENCY as u32;

    header(&format!(
        "lb_virtual_server, {N} VIPs on one F5 BIG-IP (iControl REST, reply delay {})",
        ms(REPLY_DELAY)
    ));
    row(&format!("T_N      plan -refresh-only, {N} VIPs"), &t_n);
    row("T_1      plan -refresh-only, 1 VIP", &t_1);
    row(&format!("I_N      the same, instant balancer, {N}"), &i_n);
    row("I_1      the same, instant balancer, 1", &i_1);
    row("READ     one read of the site (its GETs, logged in)", &read);
    println!();
    for (what, r) in [
        (format!("{N} VIPs"), &per_plan_n),
        ("1 VIP".into(), &per_plan_1),
    ] {
        println!(
            "balancer work per plan of {what:<7}: {} GETs, {} login(s), {} other requests",
            r.gets, r.logins, r.others
        );
    }
    println!();
    println!(
        "refresh of N-1 = {more}             T_N - T_1 = {:>10}",
        ms(refresh)
    );
    println!(
        "bound: instant balancer      I_N - I_1 = {:>10}   ratio {:.2} (ideal ~1: balancer latency not paid per VIP)",
        ms(bound),
        ratio(refresh, bound)
    );
    println!(
        "a read per VIP (N-1) x READ / {CONCURRENCY} = {:>10}   {:.1} x the measured refresh cost ({CONCURRENCY}: requests at once per BIG-IP)",
        ms(per_vip_reads),
        ratio(per_vip_reads, refresh)
    );
    println!();
    println!("bench took {:.1} s", total.elapsed().as_secs_f64());
}
