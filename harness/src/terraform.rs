//! Which Terraform CLIs the tests run, and running a case on each of them.
//!
//! The pins live in one place, `tools/terraforms` (read by `make tools` and `make demo` too):
//! 1.0.3, the oldest version uccluster supports, is where `TERRAFORM` says (`make test` exports
//! `.tools/bin/terraform`, which `make tools` installs); 1.11.4 is what the machine image ships as
//! `terraform` on the PATH and cannot be downloaded here, so it is used only when it is there with
//! the pinned SHA256. When it is not, the tests say so once and run on 1.0.3 alone.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use futures::future::join_all;

use crate::protocol::failure_of;
use crate::tf::{workspace_root, Tf};

/// One Terraform CLI binary whose SHA256 matches a pin.
#[derive(Debug)]
pub struct Terraform {
    /// The pinned version, e.g. `1.0.3`.
    pub version: String,
    pub path: PathBuf,
}

impl Terraform {
    /// Whether this Terraform is older than `major.minor`: for the cases where versions behave
    /// differently, so a test says which version an expectation is about.
    pub fn older_than(&self, major: u32, minor: u32) -> bool {
        let mut parts = self
            .version
            .split('.')
            .map(|p| p.parse::<u32>().unwrap_or(0));
        let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        have < (major, minor)
    }
}

/// A line of `tools/terraforms`.
struct Pin {
    version: String,
    sha256: String,
    source: String,
}

fn pins() -> Vec<Pin> {
    let file = workspace_root().join("tools/terraforms");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            assert_eq!(fields.len(), 3, "{}: bad line {l:?}", file.display());
            Pin {
                version: fields[0].into(),
                sha256: fields[1].into(),
                source: fields[2].into(),
            }
        })
        .collect()
}

/// `sha256sum` of a file (coreutils: much faster than hashing 80 MB in a debug build).
fn sha256_of(path: &Path) -> Option<String> {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success().then(|| {
        text.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    })
}

/// The `terraform` binaries on the PATH, in PATH order.
fn on_path() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("terraform"))
        .filter(|p| p.is_file())
        .collect()
}

fn discover() -> Vec<Terraform> {
    let pins = pins();
    let mut found: Vec<Terraform> = Vec::new();
    let mut missing = Vec::new();
    // TERRAFORM (or where `make tools` puts it) must be there and pinned: it is the one version
    // every case runs on.
    let explicit = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/bin/terraform"));
    assert!(
        explicit.exists(),
        "Terraform not found at {}: run `make tools`",
        explicit.display()
    );
    let sha = sha256_of(&explicit).unwrap_or_default();
    let pin = pins.iter().find(|p| p.sha256 == sha).unwrap_or_else(|| {
        panic!(
            "{} (SHA256 {sha}) is none of the Terraforms pinned in tools/terraforms: run `make tools`",
            explicit.display()
        )
    });
    found.push(Terraform {
        version: pin.version.clone(),
        path: explicit,
    });
    for pin in pins.iter().filter(|p| p.source == "path") {
        if found.iter().any(|t| t.version == pin.version) {
            continue;
        }
        let candidates = on_path();
        let matching = candidates
            .iter()
            .find(|c| sha256_of(c).as_deref() == Some(pin.sha256.as_str()));
        match matching {
            Some(path) => found.push(Terraform {
                version: pin.version.clone(),
                path: path.clone(),
            }),
            None if candidates.is_empty() => {
                missing.push(format!("Terraform {} is not on the PATH", pin.version))
            }
            None => missing.push(format!(
                "no `terraform` on the PATH ({}) has the SHA256 pinned for {} in tools/terraforms",
                candidates
                    .iter()
                    .map(|c| c.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                pin.version
            )),
        }
    }
    found.sort_by_key(|t| {
        let parts: Vec<u32> = t
            .version
            .split('.')
            .filter_map(|p| p.parse().ok())
            .collect();
        parts
    });
    if !missing.is_empty() {
        let alone: Vec<&str> = found.iter().map(|t| t.version.as_str()).collect();
        // Straight to the standard error, past the test harness's capture, so it shows.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! {}: running on Terraform {} alone !!!\n",
            missing.join("; "),
            alone.join(", ")
        );
    }
    found
}

/// The Terraforms every case runs on, oldest first; found once per test process.
pub fn terraforms() -> &'static [Terraform] {
    static FOUND: OnceLock<Vec<Terraform>> = OnceLock::new();
    FOUND.get_or_init(discover)
}

/// The oldest Terraform found (`TERRAFORM`, 1.0.3), for what runs on one version only (the
/// benchmark).
pub fn oldest_terraform() -> &'static Terraform {
    &terraforms()[0]
}

/// Runs `case` once on each Terraform found, concurrently, each in its own working directory
/// named after `test` and the version (so each builds its own lab on its own ports). All runs
/// finish; the test then fails with every failure, each naming its Terraform.
pub async fn on_each_terraform<F, Fut>(test: &str, case: F)
where
    F: Fn(Tf) -> Fut,
    Fut: Future<Output = ()>,
{
    let runs = terraforms().iter().map(|terraform| {
        let run = case(Tf::new(test, terraform));
        async move { (terraform, failure_of(run).await) }
    });
    let failures: Vec<String> = join_all(runs)
        .await
        .into_iter()
        .filter_map(|(terraform, result)| {
            result.err().map(|message| {
                format!(
                    "on Terraform {} ({}): {message}",
                    terraform.version,
                    terraform.path.display(),
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
