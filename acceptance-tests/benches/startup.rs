//! Start-up of the provider binaries, against HashiCorp's Go null provider 2.1.2 measured in the
//! same run: how big each binary is, and how long it takes from spawning it to its go-plugin
//! handshake line on stdout (`1|6|tcp|127.0.0.1:PORT|grpc|CERT`), which is what Terraform waits
//! for every time it starts a provider (Terraform 1.0.3 starts each one about 3 times per plan).
//!
//! Each binary is started the way Terraform starts a plugin: its environment plus the magic
//! cookie, the protocol versions Terraform speaks, the port range and a fresh client certificate
//! for automatic mTLS (so both sides pay for their server certificate, as under Terraform). Once
//! the handshake is read the process is killed. Start-ups are interleaved, one of each binary per
//! round, so a busier moment of the machine is shared by all; the ratios (ours / null) are what
//! stays comparable between runs on a loaded machine.
//!
//! Not a test: nothing here asserts a time. It fails only when a binary is missing or gives no
//! handshake. It builds nothing: `make bench` builds the release providers and installs the null
//! provider (tools/install-null-provider.sh) before it runs this.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROVIDERS: [&str; 5] = ["cms", "xop", "imp", "cgp", "lb"];
/// Where tools/install-null-provider.sh puts it, under the workspace root.
const NULL_PROVIDER: &str = ".tools/bench/terraform-provider-null_v2.1.2_x4";
/// Timed start-ups of each binary, after `WARM_UPS` untimed ones (page cache, dynamic loader).
const RUNS: usize = 41;
const WARM_UPS: usize = 3;

/// go-plugin's handshake config for Terraform providers (Terraform's `plugin.Handshake`).
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Terraform 1.x offers plugin protocols 5 and 6; go-plugin's default port range.
const PROTOCOL_VERSIONS: &str = "5,6";
const MIN_PORT: &str = "10000";
const MAX_PORT: &str = "25000";

struct Binary {
    label: String,
    path: PathBuf,
    size: u64,
    /// The handshake's fields without address and certificate, e.g. `1|6|tcp|grpc`.
    handshake: String,
    samples: Vec<Duration>,
}

/// What every start-up gets in its environment besides the bench's own.
struct PluginEnv {
    client_cert: String,
    /// The null provider listens on a unix socket in $TMPDIR and leaves it behind when killed:
    /// a directory of the bench's own keeps /tmp clean.
    tmp_dir: PathBuf,
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests lives in the workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    // The release providers (`make bench` builds them) unless the caller chose a profile.
    let profile = std::env::var("UCCLUSTER_PROVIDER_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "release".to_string());

    let mut binaries: Vec<Binary> = PROVIDERS
        .iter()
        .map(|p| {
            binary(
                format!("terraform-provider-{p}"),
                target.join(&profile).join(format!("terraform-provider-{p}")),
                &format!("build it with `cargo build --profile {profile} --workspace --bins` (`make bench` does)"),
            )
        })
        .collect();
    binaries.push(binary(
        "null 2.1.2 (Go)".to_string(),
        root.join(NULL_PROVIDER),
        "install it with `bash tools/install-null-provider.sh` (`make bench` does)",
    ));

    let tmp = tempfile::tempdir().expect("a temporary directory");
    let env = PluginEnv {
        client_cert: client_certificate(tmp.path()),
        tmp_dir: tmp.path().to_path_buf(),
    };

    for _ in 0..WARM_UPS {
        for b in &mut binaries {
            let (_, handshake) = start_to_handshake(&b.path, &env);
            b.handshake = handshake;
        }
    }
    for _ in 0..RUNS {
        for b in &mut binaries {
            b.samples.push(start_to_handshake(&b.path, &env).0);
        }
    }

    report(&profile, &mut binaries);
}

fn binary(label: String, path: PathBuf, how: &str) -> Binary {
    let size = match std::fs::metadata(&path) {
        Ok(m) => m.len(),
        Err(e) => panic!("{}: {e}: {how}", path.display()),
    };
    Binary {
        label,
        path,
        size,
        handshake: String::new(),
        samples: Vec::with_capacity(RUNS),
    }
}

/// A throw-away self-signed P-256 certificate like the one go-plugin makes for Terraform's side
/// of automatic mTLS (a new one for every run of Terraform; here one for the whole bench).
fn client_certificate(dir: &Path) -> String {
    let cert = dir.join("client.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
        .args(["-subj", "/O=HashiCorp/CN=localhost", "-keyout"])
        .arg(dir.join("client-key.pem"))
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (`make tools` installs it)");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&cert).expect("the client certificate openssl wrote")
}

/// Spawns the plugin as Terraform does, reads stdout until the handshake line, kills it.
/// Returns the time from spawn to the handshake and the handshake's fixed fields.
fn start_to_handshake(path: &Path, env: &PluginEnv) -> (Duration, String) {
    let started = Instant::now();
    let mut child = Command::new(path)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", PROTOCOL_VERSIONS)
        .env("PLUGIN_MIN_PORT", MIN_PORT)
        .env("PLUGIN_MAX_PORT", MAX_PORT)
        .env("PLUGIN_CLIENT_CERT", &env.client_cert)
        .env("TMPDIR", &env.tmp_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let handshake = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| is_handshake(line));
    let elapsed = started.elapsed();
    // Killed, not shut down: the bench measures the start, and a killed plugin cannot linger.
    let _ = child.kill();
    let _ = child.wait();
    let handshake = handshake
        .unwrap_or_else(|| panic!("{} exited without a go-plugin handshake", path.display()));
    (elapsed, fixed_fields(&handshake))
}

/// go-plugin's `CORE|APP|NETWORK|ADDRESS|PROTOCOL[|CERT]`, core protocol version 1.
fn is_handshake(line: &str) -> bool {
    let fields: Vec<&str> = line.split('|').collect();
    fields.len() >= 5 && fields[0] == "1"
}

/// `1|6|tcp|127.0.0.1:10000|grpc|MII...` -> `1|6|tcp|grpc`.
fn fixed_fields(handshake: &str) -> String {
    let f: Vec<&str> = handshake.split('|').collect();
    [f[0], f[1], f[2], f[4]].join("|")
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn report(profile: &str, binaries: &mut [Binary]) {
    for b in binaries.iter_mut() {
        b.samples.sort();
    }
    let baseline = binaries.last().expect("the null provider is measured");
    let (null_size, null_median, null_p90) = (
        baseline.size as f64,
        percentile(&baseline.samples, 50).as_secs_f64(),
        percentile(&baseline.samples, 90).as_secs_f64(),
    );

    println!();
    println!(
        "start-up to the go-plugin handshake: {profile} providers vs HashiCorp's null provider 2.1.2 (Go),"
    );
    println!("{RUNS} runs of each, interleaved, after {WARM_UPS} warm-ups; ratios are ours / null");
    println!();
    println!(
        "{:<26} {:>12} {:>10} {:>10} {:>14}   {:>6} {:>7} {:>6}",
        "", "size (B)", "median", "p90", "handshake", "size", "median", "p90"
    );
    for b in binaries.iter() {
        let (median, p90) = (percentile(&b.samples, 50), percentile(&b.samples, 90));
        println!(
            "{:<26} {:>12} {:>10} {:>10} {:>14}   {:>6.2} {:>7.2} {:>6.2}",
            b.label,
            b.size,
            ms(median),
            ms(p90),
            b.handshake,
            b.size as f64 / null_size,
            median.as_secs_f64() / null_median,
            p90.as_secs_f64() / null_p90,
        );
    }
}
