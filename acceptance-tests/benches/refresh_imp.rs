//! Refresh cost of `imp_intercluster_peer`: one publisher (imp1, two nodes) with a peer for each
//! of three other simulated IM&P clusters (imp2..imp4, whose own peers back to imp1 are added
//! in their GUI, so every check is good), refreshed by `terraform plan -refresh-only`, counted
//! from every node's command log against the bound the provider's run cache targets
//! (`providers::imp::Reads`): one `soapGetServiceStatus` per local node per run, shared by
//! every peer of the cluster, and one read of the peer table per publisher per run.
//!
//! Also timed with slow and instant nodes: the difference is what the nodes' latency costs a
//! refresh, printed against the requests made times the delay.
//!
//! Not a test: nothing here asserts a time. It fails only when something does not work. Run
//! with `make bench`, which builds the release providers it uses.

use std::time::{Duration, Instant};
use uccluster_harness::*;
use uccluster_lab::imp::lab_device::ImpCluster;
use uccluster_lab::lab::{Lab, LabSpec};

// Each bench uses part of it.
#[allow(dead_code)]
mod common;
use common::{header, ms, ratio, refresh_only, row, Stats};

/// What each simulated node takes before each answer.
const REPLY_DELAY: Duration = Duration::from_millis(20);
/// Timed plans of each kind.
const RUNS: usize = 5;
/// Remote clusters, one peer each.
const PEERS: usize = 3;
const PEER_TABLE: &str = "FROM cupsinterclusterpeers";

fn main() {
    common::run(bench());
}

/// The peers of imp1 (only that direction is Terraform's: all traffic is imp1's provider's).
fn config(c: &[ImpLabCluster]) -> String {
    let peers: String = c[1..]
        .iter()
        .map(|remote| imp_peer(&c[0], remote, "  peer_store        = \"axl_sql\"\n"))
        .collect();
    format!(
        "{}{}{peers}",
        imp_terraform_block(),
        imp_provider(&c[0], "")
    )
}

/// One node's requests during one plan.
#[derive(Default, Clone)]
struct Work {
    status_calls: usize,
    peer_table_reads: usize,
    other: usize,
}

fn logs(lab: &Lab) -> Vec<(String, String, usize)> {
    lab.imp_names()
        .iter()
        .flat_map(|c| {
            let cluster = lab.imp(c);
            cluster
                .nodes()
                .into_iter()
                .map(|(n, _)| (c.clone(), n.clone(), cluster.command_log(&n).len()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The nodes' work during one refresh-only plan, by node, and the plan's wall time.
async fn counted_plan(tf: &Tf, lab: &Lab) -> (Duration, Vec<(String, Work)>) {
    let before = logs(lab);
    let wall = refresh_only(tf).await;
    let work = before
        .into_iter()
        .map(|(cluster, node, from)| {
            let mut w = Work::default();
            for line in &lab.imp(&cluster).command_log(&node)[from..] {
                match line {
                    l if l.starts_with("soapGetServiceStatus") => w.status_calls += 1,
                    l if l.starts_with("executeSQLQuery") && l.contains(PEER_TABLE) => {
                        w.peer_table_reads += 1
                    }
                    _ => w.other += 1,
                }
            }
            (node, w)
        })
        .collect();
    (wall, work)
}

async fn timed(tf: &Tf, lab: &Lab) -> Stats {
    counted_plan(tf, lab).await;
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        samples.push(counted_plan(tf, lab).await.0);
    }
    Stats::of(samples)
}

fn set_delay(cluster: &ImpCluster, d: Duration) {
    for (n, _) in cluster.nodes() {
        cluster.faults(&n).0.faults.set_reply_delay(d);
    }
}

async fn bench() {
    let total = Instant::now();
    let tf = Tf::new("bench-refresh-imp", oldest_terraform());
    let lab = Lab::start(
        &LabSpec::default().with_imp_clusters(PEERS + 1),
        &tf.dir.join("lab"),
    )
    .await
    .expect("lab starts");
    let c = imp_clusters(&lab);
    for remote in &c[1..] {
        lab.imp(&remote.name)
            .gui_add_peer(
                c[0].publisher(),
                &c[0].intercluster.0,
                &c[0].intercluster.1,
                "tcp",
            )
            .expect("the far side's peer");
    }
    tf.write("main.tf", &config(&c));
    common::apply(&tf, PEERS).await;

    let (_, work) = counted_plan(&tf, &lab).await;
    let delay = |d| {
        for name in lab.imp_names() {
            set_delay(lab.imp(&name), d);
        }
    };
    delay(REPLY_DELAY);
    let slow = timed(&tf, &lab).await;
    delay(Duration::ZERO);
    let instant = timed(&tf, &lab).await;
    lab.stop().await;

    header(&format!(
        "imp_intercluster_peer, a publisher with {PEERS} peers, 2 nodes per cluster (reply delay {})",
        ms(REPLY_DELAY)
    ));
    row("T        plan -refresh-only, slow nodes", &slow);
    row("I        the same, instant nodes", &instant);
    println!();
    let local: Vec<String> = c[0].nodes.iter().map(|(n, _)| n.clone()).collect();
    let publishers: Vec<&str> = c.iter().map(|c| c.publisher()).collect();
    let mut requests = 0;
    let (mut status_made, mut status_bound) = (0, 0);
    let (mut table_made, mut table_bound) = (0, 0);
    let mut over = Vec::new();
    for (node, w) in &work {
        println!(
            "{node:<24} per plan: {} soapGetServiceStatus, {} peer-table reads, {} other requests",
            w.status_calls, w.peer_table_reads, w.other
        );
        requests += w.status_calls + w.peer_table_reads + w.other;
        let status_limit = usize::from(local.contains(node));
        let table_limit = usize::from(publishers.contains(&node.as_str()));
        status_made += w.status_calls;
        status_bound += status_limit;
        table_made += w.peer_table_reads;
        table_bound += table_limit;
        if w.status_calls > status_limit || w.peer_table_reads > table_limit {
            over.push(node.clone());
        }
    }
    println!();
    println!(
        "bound: 1 soapGetServiceStatus per local node ({status_bound}), made {status_made}, ratio {:.2}; 1 peer-table read per publisher ({table_bound}), made {table_made}, ratio {:.2}; {}",
        status_made as f64 / status_bound as f64,
        table_made as f64 / table_bound as f64,
        match over.is_empty() {
            true => "within the bound".to_string(),
            false => format!("over the bound on {}", over.join(", ")),
        }
    );
    println!("(the other requests are the per-peer checks: the Sync Agent's connectivity query, the user counts; none is shared between peers)");
    let latency = slow.median.saturating_sub(instant.median);
    let sequential = REPLY_DELAY * requests as u32;
    println!(
        "nodes' latency paid  T - I = {:>10}   against {requests} requests x {} = {:>10}   ratio {:.2}",
        ms(latency),
        ms(REPLY_DELAY),
        ms(sequential),
        ratio(latency, sequential)
    );
    println!();
    println!("bench took {:.1} s", total.elapsed().as_secs_f64());
}
