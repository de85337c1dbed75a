//! Refresh at scale for `cms_xmpp_callbridge`: how close a `terraform plan -refresh-only` of many
//! resources comes to what the devices themselves cost, measured in one run against the lab.
//!
//! Every resource reads `xmpp callbridge list` on every node, but the listing is a shared read:
//! one pooled shell per device, and its output serves every resource of the run until a command
//! may change the device. So device latency is paid once per node, not once per resource. The
//! bound: the refresh cost of N − 1 more resources (T_N − T_0) with slow devices is the same as
//! with instant ones (Terraform's and the provider's own per-resource work); the ratio of the
//! two is printed (ideal ~1), next to what per-resource reads, and reads without the pool, would
//! have cost the devices.
//!
//! Not a test: nothing here asserts a time. It fails only when something does not work (apply,
//! plan, the transport). Run with `make bench`, which builds the release providers it uses.

use std::time::{Duration, Instant};
use uccluster::devices::cms::prompt::MmpPrompt;
use uccluster::transport::host_key::HostKeyPolicy;
use uccluster::transport::interactive_shell::{InteractiveShell, ShellPool};
use uccluster::transport::ssh::{SshAuth, SshTarget};
use uccluster_harness::*;
use uccluster_lab::cms_mmp::NodeControl;
use uccluster_lab::lab::Lab;

mod common;
use common::{alternate, header, ms, ratio, refresh_only, row, Stats};

fn main() {
    common::run(bench());
}

/// Resources in the large configuration.
const N: usize = 30;
/// CMS nodes in the lab; every resource is registered on all of them (one XMPP cluster).
const NODES: usize = 3;
/// What each MMP command takes on the simulated node before it answers.
const REPLY_DELAY: Duration = Duration::from_millis(20);
const RTT_RUNS: usize = 20;
/// Logins on loopback are bimodal (about 1.5 ms, or 40 ms more when a small write waits for a
/// delayed ACK), so enough of them for a stable mean.
const CONNECT_RUNS: usize = 15;

const LIST_COMMAND: &str = "xmpp callbridge list";

fn controls(lab: &Lab) -> Vec<NodeControl> {
    lab.cms_names().iter().map(|n| lab.cms(n)).collect()
}

/// `resources` accounts named `<prefix>NN`, each on every node, written and applied in `tf`.
async fn apply_site(tf: &Tf, lab: &Lab, nodes: &[(String, u16)], prefix: &str, resources: usize) {
    let mut config = cms_provider(lab);
    for i in 1..=resources {
        config.push('\n');
        config.push_str(&callbridge(
            &format!("cb{i:02}"),
            &format!("{prefix}{i:02}"),
            nodes,
            "",
        ));
    }
    tf.write("main.tf", &config);
    common::apply(tf, resources).await;
}

/// What one refresh-only plan cost, and what the devices saw.
struct PlanRun {
    wall: Duration,
    lists_per_node: Vec<usize>,
    logins: usize,
}

/// `terraform plan -refresh-only`; it must succeed and find nothing changed.
async fn refresh_plan(tf: &Tf, ctl: &[NodeControl]) -> PlanRun {
    let lists_before: Vec<usize> = ctl.iter().map(count_lists).collect();
    let logins_before: usize = ctl.iter().map(|c| c.total_logins()).sum();
    let wall = refresh_only(tf).await;
    PlanRun {
        wall,
        lists_per_node: ctl
            .iter()
            .zip(lists_before)
            .map(|(c, before)| count_lists(c) - before)
            .collect(),
        logins: ctl.iter().map(|c| c.total_logins()).sum::<usize>() - logins_before,
    }
}

fn count_lists(c: &NodeControl) -> usize {
    c.command_log()
        .iter()
        .filter(|l| l.as_str() == LIST_COMMAND)
        .count()
}

/// The first lab node as the provider reaches it: password login, host key from the lab's
/// known_hosts file.
fn first_node_target(lab: &Lab, nodes: &[(String, u16)]) -> SshTarget {
    SshTarget {
        host: nodes[0].0.clone(),
        port: nodes[0].1,
        username: "admin".into(),
        auth: SshAuth::Password(lab.password().to_string()),
        host_key: HostKeyPolicy::KnownHosts(lab.known_hosts_path()),
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(10),
    }
}

/// One `xmpp callbridge list` on an already open pooled shell.
async fn measure_rtt(target: &SshTarget) -> Stats {
    let pool = ShellPool::new(&MmpPrompt);
    let warm = pool.session(target).await.run(LIST_COMMAND, &[]).await;
    warm.expect("list on the lab node");
    let mut samples = Vec::with_capacity(RTT_RUNS);
    for _ in 0..RTT_RUNS {
        let started = Instant::now();
        let out = pool.session(target).await.run(LIST_COMMAND, &[]).await;
        samples.push(started.elapsed());
        out.expect("list on the lab node");
    }
    Stats::of(samples)
}

/// Opening a new shell: TCP, SSH handshake and host key check, login, PTY, shell, prompt.
async fn measure_connect(target: &SshTarget) -> Stats {
    let mut samples = Vec::with_capacity(CONNECT_RUNS);
    for _ in 0..CONNECT_RUNS {
        let started = Instant::now();
        let shell = InteractiveShell::open(target, &MmpPrompt).await;
        samples.push(started.elapsed());
        drop(shell.expect("shell to the lab node"));
    }
    Stats::of(samples)
}

/// [`refresh_plan`]'s time, as [`alternate`] runs it.
fn timed<'a>(ctl: &'a [NodeControl]) -> impl Fn(&'a Tf) -> common::Plan<'a> + Copy {
    move |tf| Box::pin(async move { refresh_plan(tf, ctl).await.wall })
}

async fn bench() {
    let total = Instant::now();
    let tf_n = Tf::new("bench-refresh-n", oldest_terraform());
    let lab = cms_lab(NODES, &tf_n).await;
    let nodes = cms_nodes(&lab);
    let ctl = controls(&lab);
    for c in &ctl {
        c.set_reply_delay(REPLY_DELAY);
    }

    // Both configurations live on the same lab, so every list answers with all N + 1 accounts.
    apply_site(&tf_n, &lab, &nodes, "bench", N).await;
    let tf_0 = tf_n.sibling("bench-refresh-1");
    apply_site(&tf_0, &lab, &nodes, "single", 1).await;

    let warm_n = refresh_plan(&tf_n, &ctl).await;
    let plan = timed(&ctl);
    let (t_n, t_0) = alternate(plan, &tf_n, &tf_0).await;
    // The same with instant devices: what Terraform and the provider cost per resource.
    for c in &ctl {
        c.set_reply_delay(Duration::ZERO);
    }
    let (i_n, i_0) = alternate(plan, &tf_n, &tf_0).await;
    for c in &ctl {
        c.set_reply_delay(REPLY_DELAY);
    }

    let target = first_node_target(&lab, &nodes);
    let rtt = measure_rtt(&target).await;
    let connect = measure_connect(&target).await;
    lab.stop().await;

    let per_resource = N - 1;
    let refresh = t_n.median.saturating_sub(t_0.median);
    let bound = i_n.median.saturating_sub(i_0.median);
    let per_resource_reads = rtt.median * per_resource as u32;
    // Without the pool every read also pays a login.
    let unpooled = (connect.mean + rtt.median) * per_resource as u32;

    header(&format!(
        "cms_xmpp_callbridge, {NODES} CMS nodes (reply delay {}), every resource on every node",
        ms(REPLY_DELAY)
    ));
    row(&format!("T_N      plan -refresh-only, {N} resources"), &t_n);
    row("T_0      plan -refresh-only, 1 resource", &t_0);
    row(&format!("I_N      the same, instant devices, {N}"), &i_n);
    row("I_0      the same, instant devices, 1", &i_0);
    row("RTT      `xmpp callbridge list`, pooled shell", &rtt);
    row("CONNECT  new shell (TCP, SSH, login, prompt)", &connect);
    println!();
    println!(
        "device work per plan of {N}: {:?} lists per node, {} logins over {NODES} nodes",
        warm_n.lists_per_node, warm_n.logins
    );
    println!();
    println!(
        "refresh of N-1 = {per_resource}             T_N - T_0 = {:>10}",
        ms(refresh)
    );
    println!(
        "bound: instant devices       I_N - I_0 = {:>10}   ratio {:.2} (ideal ~1: device latency not paid per resource)",
        ms(bound),
        ratio(refresh, bound)
    );
    println!(
        "per-resource reads        (N-1) x RTT = {:>10}   {:.1} x the measured refresh cost",
        ms(per_resource_reads),
        ratio(per_resource_reads, refresh)
    );
    println!(
        "no pool (N-1) x (mean CONNECT + RTT) = {:>10}   {:.1} x",
        ms(unpooled),
        ratio(unpooled, refresh)
    );
    println!();
    println!("bench took {:.1} s", total.elapsed().as_secs_f64());
}
