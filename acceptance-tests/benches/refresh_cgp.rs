//! Refresh cost of `cgp_sip_farm`: a four-member CommuniGate Pro farm (two frontends in the
//! farm, two backends as relays, single_vip) refreshed by `terraform plan -refresh-only` against
//! the lab's CGP CLI simulator, counted from each member's command log against the bound of one
//! CLI session per member and one read of each settings dictionary per member per run
//! (`GetClusterSettings`, `GetNetwork` on every member, the cluster-wide `GetClusterNetwork`
//! once), the reads shared until a write (`providers::cgp::Reads`).
//!
//! Also timed with a slow and an instant simulator: the difference is what the members' latency
//! costs a refresh, printed against the commands made times the delay (the members are read one
//! after the other).
//!
//! Not a test: nothing here asserts a time. It fails only when something does not work (apply,
//! plan, the transport). Run with `make bench`, which builds the release providers it uses.

use std::time::{Duration, Instant};
use uccluster_harness::*;
use uccluster_lab::lab::{Lab, LabSpec};

// Each bench uses part of it.
#[allow(dead_code)]
mod common;
use common::{header, ms, ratio, refresh_only, row, Stats};

/// What each simulated member takes before each answer.
const REPLY_DELAY: Duration = Duration::from_millis(20);
/// Timed plans of each kind.
const RUNS: usize = 5;
/// The member dictionaries a refresh reads on every member.
const PER_MEMBER: [&str; 2] = ["GetClusterSettings", "GetNetwork"];
const CLUSTER_WIDE: &str = "GetClusterNetwork";
/// The commands of opening (and closing) a CLI session: the login and its options.
const SESSION: [&str; 6] = ["USER", "PASS", "APOP", "INLINE", "STLS", "QUIT"];

fn main() {
    common::run(bench());
}

fn farm(lab: &Lab) -> String {
    let members: String = cgp_members(lab)
        .iter()
        .enumerate()
        .map(|(i, (name, host, port))| {
            let (role, farm) = match i < 2 {
                true => ("frontend", "member"),
                false => ("backend", "relay"),
            };
            format!(
                "  member {{\n    name     = \"{name}\"\n    address  = \"{host}\"\n    port     = {port}\n    role     = \"{role}\"\n    sip_farm = \"{farm}\"\n  }}\n"
            )
        })
        .collect();
    format!(
        "{}\nresource \"cgp_sip_farm\" \"farm\" {{\n  name                = \"sip\"\n  media_method        = \"single_vip\"\n  cluster_wan_address = \"64.173.55.164\"\n{members}}}\n",
        cgp_provider(lab, "")
    )
}

/// What one member answered during one plan.
#[derive(Default)]
struct Work {
    logins: usize,
    /// Reads by command, in [`PER_MEMBER`] order, then [`CLUSTER_WIDE`].
    reads: [usize; 3],
    /// Commands of [`SESSION`].
    session: usize,
    others: usize,
}

/// The members' work during one refresh-only plan, by member, and the plan's wall time.
async fn counted_plan(tf: &Tf, lab: &Lab) -> (Duration, Vec<(String, Work)>) {
    let names = lab.cgp_names();
    let before: Vec<(usize, usize)> = names
        .iter()
        .map(|n| (lab.cgp(n).command_log().len(), lab.cgp(n).logins()))
        .collect();
    let wall = refresh_only(tf).await;
    let work = names
        .iter()
        .zip(before)
        .map(|(n, (log_from, logins_from))| {
            let m = lab.cgp(n);
            let mut w = Work {
                logins: m.logins() - logins_from,
                ..Work::default()
            };
            for line in &m.command_log()[log_from..] {
                let command = line.split_whitespace().next().unwrap_or_default();
                match PER_MEMBER
                    .iter()
                    .chain([&CLUSTER_WIDE])
                    .position(|c| *c == command)
                {
                    Some(i) => w.reads[i] += 1,
                    None if SESSION.iter().any(|c| c.eq_ignore_ascii_case(command)) => {
                        w.session += 1
                    }
                    None => w.others += 1,
                }
            }
            (n.clone(), w)
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

fn set_delay(lab: &Lab, d: Duration) {
    for n in lab.cgp_names() {
        lab.cgp(&n).faults().set_reply_delay(d);
    }
}

async fn bench() {
    let total = Instant::now();
    let tf = Tf::new("bench-refresh-cgp", oldest_terraform());
    let lab = Lab::start(&LabSpec::default().with_cgp_members(4), &tf.dir.join("lab"))
        .await
        .expect("lab starts");
    tf.write("main.tf", &farm(&lab));
    common::apply(&tf, 1).await;

    set_delay(&lab, REPLY_DELAY);
    let (_, work) = counted_plan(&tf, &lab).await;
    let slow = timed(&tf, &lab).await;
    set_delay(&lab, Duration::ZERO);
    let instant = timed(&tf, &lab).await;
    lab.stop().await;

    header(&format!(
        "cgp_sip_farm, 4 members over the CGP CLI (reply delay {})",
        ms(REPLY_DELAY)
    ));
    row("T        plan -refresh-only, slow members", &slow);
    row("I        the same, instant members", &instant);
    println!();
    let mut commands = 0;
    let mut reads = 0;
    let mut over = Vec::new();
    for (name, w) in &work {
        println!(
            "{name:<6} per plan: {} login(s) ({} session commands), {} {}, {} {}, {} {}, {} other commands",
            w.logins,
            w.session,
            w.reads[0],
            PER_MEMBER[0],
            w.reads[1],
            PER_MEMBER[1],
            w.reads[2],
            CLUSTER_WIDE,
            w.others
        );
        reads += w.reads.iter().sum::<usize>();
        commands += w.session + w.reads.iter().sum::<usize>() + w.others;
        if w.logins > 1 || w.reads[..2].iter().any(|&r| r > 1) || w.others > 0 {
            over.push(name.clone());
        }
    }
    let cluster_reads: usize = work.iter().map(|(_, w)| w.reads[2]).sum();
    let bound = work.len() * PER_MEMBER.len() + 1;
    println!();
    println!(
        "bound: 1 session and 1 read of each dictionary per member, {CLUSTER_WIDE} once: {bound} reads per plan; made {reads} ({cluster_reads} {CLUSTER_WIDE}); {}",
        match (over.is_empty() && cluster_reads <= 1, over.is_empty()) {
            (true, _) => "within the bound".to_string(),
            (false, true) => format!("{CLUSTER_WIDE} read {cluster_reads} times"),
            (false, false) => format!("over the bound on {}", over.join(", ")),
        }
    );
    let latency = slow.median.saturating_sub(instant.median);
    // Every command is answered after the delay, the session's too.
    let sequential = REPLY_DELAY * commands as u32;
    println!(
        "members' latency paid  T - I = {:>10}   against {commands} commands x {} = {:>10}   ratio {:.2}",
        ms(latency),
        ms(REPLY_DELAY),
        ms(sequential),
        ratio(latency, sequential)
    );
    println!();
    println!("bench took {:.1} s", total.elapsed().as_secs_f64());
}
