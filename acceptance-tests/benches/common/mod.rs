//! What the refresh benches share: the runtime with the release providers, a timed
//! `terraform plan -refresh-only`, the two sizes timed alternately, and the table they print.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};
use uccluster_harness::Tf;

/// Terraform's `-parallelism` (its default is 10).
pub const PARALLELISM: usize = 10;
/// Timed plans of each size (after one warm-up each).
pub const PLAN_RUNS: usize = 7;

/// Runs `bench` on a two-thread runtime, with the release providers (`make bench` builds them)
/// unless the caller chose a profile.
pub fn run<F: Future<Output = ()>>(bench: F) {
    if std::env::var_os("UCCLUSTER_PROVIDER_PROFILE").is_none() {
        std::env::set_var("UCCLUSTER_PROVIDER_PROFILE", "release");
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(bench);
}

/// Median, mean, minimum and maximum of some durations.
pub struct Stats {
    pub median: Duration,
    pub mean: Duration,
    pub min: Duration,
    pub max: Duration,
    pub runs: usize,
}

impl Stats {
    pub fn of(mut samples: Vec<Duration>) -> Stats {
        assert!(!samples.is_empty());
        samples.sort();
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2
        };
        Stats {
            median,
            mean: samples.iter().sum::<Duration>() / n as u32,
            min: samples[0],
            max: samples[n - 1],
            runs: n,
        }
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

/// `terraform apply` of `tf`'s configuration, which must create `resources` resources.
pub async fn apply(tf: &Tf, resources: usize) {
    tf.init().await;
    let started = Instant::now();
    let out = tf
        .run(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            &format!("-parallelism={PARALLELISM}"),
        ])
        .await;
    assert_eq!(out.code, 0, "terraform apply failed:\n{}", out.all());
    assert!(
        out.stdout.contains(&format!("{resources} added")),
        "apply created {resources} resources:\n{}",
        out.stdout
    );
    eprintln!(
        "applied {resources} resource(s) in {:.2} s",
        started.elapsed().as_secs_f64()
    );
}

/// `terraform plan -refresh-only` in `tf`: it must succeed and find nothing changed. Returns
/// its wall time.
pub async fn refresh_only(tf: &Tf) -> Duration {
    let started = Instant::now();
    let out = tf
        .run(&[
            "plan",
            "-refresh-only",
            "-input=false",
            "-no-color",
            "-detailed-exitcode",
            &format!("-parallelism={PARALLELISM}"),
        ])
        .await;
    let wall = started.elapsed();
    assert_eq!(
        out.code,
        0,
        "refresh-only plan must succeed with nothing changed:\n{}",
        out.all()
    );
    wall
}

/// A refresh of one configuration, as [`alternate`] runs it.
pub type Plan<'a> = Pin<Box<dyn Future<Output = Duration> + 'a>>;

/// `plan` on the large and the small configuration: one warm-up each (file cache, provider
/// binaries), then alternating, so a slower moment of the machine does not land on one size
/// only.
pub async fn alternate<'a>(
    plan: impl Fn(&'a Tf) -> Plan<'a>,
    large: &'a Tf,
    small: &'a Tf,
) -> (Stats, Stats) {
    plan(large).await;
    plan(small).await;
    let (mut l, mut s) = (Vec::new(), Vec::new());
    for _ in 0..PLAN_RUNS {
        l.push(plan(large).await);
        s.push(plan(small).await);
    }
    (Stats::of(l), Stats::of(s))
}

/// One line of the timing table: a name and five cells.
fn line(name: &str, cells: [&str; 5]) {
    println!(
        "{name:<46} {:>10} {:>10} {:>10} {:>10} {:>5}",
        cells[0], cells[1], cells[2], cells[3], cells[4]
    )
}

/// The bench's title lines and the timing table's header.
pub fn header(what: &str) {
    println!();
    println!("refresh at scale: {what}");
    println!(
        "terraform plan -refresh-only -parallelism={PARALLELISM}, {} providers",
        uccluster_harness::provider_profile()
    );
    println!();
    line("", ["median", "mean", "min", "max", "runs"]);
}

/// One timing table row.
pub fn row(name: &str, s: &Stats) {
    let cells = [
        ms(s.median),
        ms(s.mean),
        ms(s.min),
        ms(s.max),
        s.runs.to_string(),
    ];
    line(name, cells.each_ref().map(String::as_str))
}
