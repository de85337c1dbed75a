//! A Terraform working directory driving one Terraform CLI against the lab.
//!
//! Each test gets its own working directory and a CLI configuration whose filesystem mirror holds
//! the freshly built provider binaries, so `terraform init` installs them exactly as it does for a
//! user. The binaries are the debug build unless `UCCLUSTER_PROVIDER_PROFILE` names another cargo
//! profile directory (`release` for the benchmarks).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use crate::terraform::Terraform;

pub const PROVIDER_VERSION: &str = "0.1.0";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The cargo profile whose provider binaries the tests use: `UCCLUSTER_PROVIDER_PROFILE`,
/// `debug` when unset.
pub fn provider_profile() -> String {
    std::env::var("UCCLUSTER_PROVIDER_PROFILE")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "debug".to_string())
}

/// A filesystem mirror with the built providers, made once per test process.
fn mirror_dir() -> &'static Path {
    static MIRROR: OnceLock<PathBuf> = OnceLock::new();
    MIRROR.get_or_init(|| {
        let mirror = target_dir().join(format!("acc/mirror-{}", std::process::id()));
        let profile = provider_profile();
        let build = match profile.as_str() {
            "debug" => "`cargo build --workspace --bins` (`make test` does)".to_string(),
            "release" => {
                "`cargo build --release --workspace --bins` (`make bench` does)".to_string()
            }
            other => format!("`cargo build --profile {other} --workspace --bins`"),
        };
        for provider in ["cms", "xop", "imp", "cgp", "lb"] {
            let built = target_dir().join(format!("{profile}/terraform-provider-{provider}"));
            assert!(
                built.exists(),
                "{} is missing: build the providers first with {build}",
                built.display()
            );
            let dir = mirror.join(format!(
                "registry.terraform.io/uccluster/{provider}/{PROVIDER_VERSION}/linux_amd64"
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let link = dir.join(format!("terraform-provider-{provider}_v{PROVIDER_VERSION}"));
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&built, &link).unwrap();
        }
        mirror
    })
}

pub struct TfOut {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOut {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The command failed (exit code 1) and printed each of `expected` (matched in [`TfOut::text`]).
    pub fn assert_error(&self, expected: &[&str]) {
        assert_eq!(self.code, 1, "the command must fail:\n{}", self.all());
        let text = self.text();
        for shown in expected {
            assert!(
                text.contains(shown),
                "expected {shown:?} in:\n{}",
                self.all()
            );
        }
    }

    /// Everything printed, with whitespace runs (Terraform's alignment and line wrapping)
    /// collapsed to one space, for matching messages.
    pub fn text(&self) -> String {
        self.all().split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl From<Output> for TfOut {
    fn from(o: Output) -> Self {
        TfOut {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// A Terraform working directory, run with one Terraform CLI.
pub struct Tf {
    pub dir: PathBuf,
    cli_config: PathBuf,
    terraform: &'static Terraform,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Tf {
    /// A fresh directory for `test` on `terraform` (see `on_each_terraform` for running a case
    /// on every Terraform found).
    pub fn new(test: &str, terraform: &'static Terraform) -> Tf {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = target_dir().join(format!(
            "acc/{test}-tf{}-{}-{n}",
            terraform.version,
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cli_config = dir.join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/uccluster/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/uccluster/*\"]\n  }}\n}}\n",
                mirror_dir().display()
            ),
        )
        .unwrap();
        Tf {
            dir,
            cli_config,
            terraform,
        }
    }

    /// Another working directory on the same Terraform.
    pub fn sibling(&self, test: &str) -> Tf {
        Tf::new(test, self.terraform)
    }

    /// The Terraform this directory runs.
    pub fn terraform(&self) -> &'static Terraform {
        self.terraform
    }

    pub fn write(&self, file: &str, content: &str) {
        std::fs::write(self.dir.join(file), content).unwrap();
    }

    pub async fn run(&self, args: &[&str]) -> TfOut {
        self.run_with_env(args, &[]).await
    }

    /// Runs terraform with `TF_LOG=TRACE` into a log file of its own (unless `env` sets the
    /// logging), then checks that no lab secret appears in any form in what it printed or
    /// logged (see `uccluster_lab::secrets`). Only what the user asked to be shown in full,
    /// `terraform show -json` and `terraform output`, may print secrets from the state.
    pub async fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> TfOut {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let trace = self.dir.join(format!("terraform-trace-{n}.log"));
        let out = tokio::process::Command::new(&self.terraform.path)
            .args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("RUST_LIB_BACKTRACE", "0")
            .env("TF_LOG", "TRACE")
            .env("TF_LOG_PATH", &trace)
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG_CORE")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .envs(env.iter().copied())
            .output()
            .await
            .expect("cannot run terraform");
        let out: TfOut = out.into();
        let shows_state = matches!(args.first(), Some(&"output"))
            || (args.first() == Some(&"show") && args.contains(&"-json"));
        let mut printed = vec![("stderr", out.stderr.clone())];
        if !shows_state {
            printed.push(("stdout", out.stdout.clone()));
        }
        let log_path = env
            .iter()
            .find(|(k, _)| *k == "TF_LOG_PATH")
            .map(|(_, v)| PathBuf::from(v))
            .unwrap_or(trace.clone());
        if let Ok(log) = std::fs::read_to_string(&log_path) {
            printed.push(("the log", log));
        }
        for (what, text) in &printed {
            let leaked = uccluster_lab::secrets::leaked_lines(text);
            assert!(
                leaked.is_empty(),
                "a secret appears in {what} of `terraform {}`:\n{}",
                args.join(" "),
                leaked.join("\n")
            );
        }
        let _ = std::fs::remove_file(&trace);
        out
    }

    pub async fn init(&self) {
        let out = self.run(&["init", "-input=false", "-no-color"]).await;
        assert_eq!(out.code, 0, "terraform init failed:\n{}", out.all());
    }

    pub async fn apply(&self) -> TfOut {
        self.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
            .await
    }

    pub async fn apply_ok(&self) -> TfOut {
        let out = self.apply().await;
        assert_eq!(out.code, 0, "terraform apply failed:\n{}", out.all());
        out
    }

    /// `terraform apply -refresh-only`: the state takes what the devices report.
    pub async fn refresh(&self) {
        let out = self
            .run(&[
                "apply",
                "-refresh-only",
                "-auto-approve",
                "-input=false",
                "-no-color",
            ])
            .await;
        assert_eq!(
            out.code,
            0,
            "terraform apply -refresh-only failed:\n{}",
            out.all()
        );
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error.
    pub async fn plan(&self) -> TfOut {
        self.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"])
            .await
    }

    pub async fn assert_empty_plan(&self) {
        let out = self.plan().await;
        assert_eq!(out.code, 0, "expected an empty plan:\n{}", out.all());
    }

    pub async fn destroy_ok(&self) {
        let out = self
            .run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
            .await;
        assert_eq!(out.code, 0, "terraform destroy failed:\n{}", out.all());
    }

    /// `terraform import` of `address` by `id`.
    pub async fn import(&self, address: &str, id: &str) -> TfOut {
        self.run(&["import", "-input=false", "-no-color", address, id])
            .await
    }

    /// Drops `address` from the state and imports it again by `id`.
    pub async fn reimport(&self, address: &str, id: &str) {
        let rm = self.run(&["state", "rm", "-no-color", address]).await;
        assert_eq!(
            rm.code,
            0,
            "terraform state rm {address} failed:\n{}",
            rm.all()
        );
        let imported = self.import(address, id).await;
        assert_eq!(
            imported.code,
            0,
            "import of {address} failed:\n{}",
            imported.all()
        );
    }

    /// `terraform state list`, trimmed.
    pub async fn state_list(&self) -> String {
        self.run(&["state", "list"]).await.stdout.trim().to_string()
    }

    /// `terraform show -json` of the whole state, or of a saved plan (`plan`).
    pub async fn show_json(&self, plan: Option<&str>) -> Value {
        let mut args = vec!["show", "-json", "-no-color"];
        args.extend(plan);
        let out = self.run(&args).await;
        assert_eq!(out.code, 0, "terraform show failed:\n{}", out.all());
        serde_json::from_str(&out.stdout).expect("show -json output")
    }

    /// `terraform show -json` values of one resource.
    pub async fn resource_values(&self, address: &str) -> Value {
        let show = self.show_json(None).await;
        show["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or(Value::Null)
    }

    /// The plan after importing resources whose configuration takes a secret from a sensitive
    /// variable. Terraform 1.0.3 plans an update of each: the imported state lacks the
    /// variable's mark, and recording it is the whole change (the next apply does). The saved
    /// plan shows it: every planned update has the same values and the same sensitive attributes
    /// before and after; a changed value would be a real difference and fails. Newer versions
    /// (1.11.4) plan nothing: the plan must be empty.
    pub async fn assert_no_change_but_sensitivity_marks(&self) {
        if !self.terraform.older_than(1, 11) {
            return self.assert_empty_plan().await;
        }
        let plan = self
            .run(&["plan", "-input=false", "-no-color", "-out=marks.tfplan"])
            .await;
        assert_eq!(plan.code, 0, "{}", plan.all());
        for change in self.planned_changes("marks.tfplan").await {
            let c = &change["change"];
            let address = change["address"].as_str().unwrap_or_default();
            match c["actions"].as_array().map(|a| a.len()) {
                Some(1) if c["actions"][0] == "no-op" => {}
                Some(1) if c["actions"][0] == "update" => {
                    assert_eq!(
                        c["before"], c["after"],
                        "{address}: values change after import"
                    );
                    assert_eq!(c["before_sensitive"], c["after_sensitive"], "{address}");
                }
                _ => panic!("{address}: unexpected plan after import: {}", c["actions"]),
            }
        }
    }

    /// The `resource_changes` of a saved plan.
    pub async fn planned_changes(&self, plan: &str) -> Vec<Value> {
        let json = self.show_json(Some(plan)).await;
        json["resource_changes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}
