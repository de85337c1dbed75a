//! Driving the real Terraform CLI against the device lab, for the acceptance tests.
//!
//! Each test gets its own working directory and a CLI configuration whose filesystem mirror holds
//! the freshly built provider binaries, so `terraform init` installs them exactly as it does for a
//! user. The binaries are the debug build unless `UCCLUSTER_PROVIDER_PROFILE` names another cargo
//! profile directory (`release` for the benchmarks).

#![allow(dead_code, unused_imports)] // each test binary uses a different subset

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use uccluster_lab::lab::{Lab, LabSpec};
pub use uccluster_lab::secrets::{hcl_string, sql_string, test_secret};
use uccluster_lab::xop::{Sshd, XopServer};

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

pub fn terraform_bin() -> PathBuf {
    let path = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/bin/terraform"));
    assert!(
        path.exists(),
        "Terraform not found at {}: run `make tools`",
        path.display()
    );
    path
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

/// A Terraform working directory.
pub struct Tf {
    pub dir: PathBuf,
    cli_config: PathBuf,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Tf {
    pub fn new(test: &str) -> Tf {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = target_dir().join(format!("acc/{test}-{}-{n}", std::process::id()));
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
        Tf { dir, cli_config }
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
        let out = tokio::process::Command::new(terraform_bin())
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

    /// `terraform show -json` values of one resource.
    pub async fn resource_values(&self, address: &str) -> Value {
        let out = self.run(&["show", "-json", "-no-color"]).await;
        assert_eq!(out.code, 0, "terraform show failed:\n{}", out.all());
        let show: Value = serde_json::from_str(&out.stdout).expect("show -json output");
        show["values"]["root_module"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == address)
            .map(|r| r["values"].clone())
            .unwrap_or(Value::Null)
    }
}

/// A lab with `n` CMS nodes, its files in the test's directory.
pub async fn cms_lab(n: usize, tf: &Tf) -> Lab {
    Lab::start(&LabSpec::with_cms_nodes(n), &tf.dir.join("lab"))
        .await
        .expect("lab starts")
}

/// (address, port) of each CMS node, in order.
pub fn cms_nodes(lab: &Lab) -> Vec<(String, u16)> {
    lab.endpoints()["cms_nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["address"].as_str().unwrap().to_string(),
                n["port"].as_u64().unwrap() as u16,
            )
        })
        .collect()
}

/// The terraform block and a provider block that verifies host keys against the lab's known_hosts.
pub fn cms_provider(lab: &Lab) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    cms = {{
      source  = "uccluster/cms"
      version = "{PROVIDER_VERSION}"
    }}
  }}
}}

provider "cms" {{
  username         = "admin"
  password         = {}
  known_hosts_file = "{}"
  command_timeout  = "10s"
  connect_timeout  = "5s"
}}
"#,
        hcl_string(lab.password()),
        lab.known_hosts_path().display()
    )
}

/// A `cms_xmpp_callbridge` resource over `nodes`, with `extra` lines inside the resource.
pub fn callbridge(resource: &str, name: &str, nodes: &[(String, u16)], extra: &str) -> String {
    let blocks: String = nodes
        .iter()
        .map(|(a, p)| format!("  xmpp_node {{\n    address = \"{a}\"\n    port    = {p}\n  }}\n"))
        .collect();
    format!("resource \"cms_xmpp_callbridge\" \"{resource}\" {{\n  name = \"{name}\"\n{extra}{blocks}}}\n")
}

/// The import ID for `name` on `nodes`.
pub fn import_id(name: &str, nodes: &[(String, u16)]) -> String {
    let nodes: Vec<String> = nodes.iter().map(|(a, p)| format!("{a}:{p}")).collect();
    format!("{name}@{}", nodes.join(","))
}

/// The `xop` provider block for a lab: SSH to the lab's sshd with its key and known_hosts, and
/// the servers' shared MySQL admin account; `admin_password` is an HCL expression (a quoted
/// literal from [`hcl_string`], or a variable).
pub fn xop_provider(sshd: &Sshd, admin_user: &str, admin_password: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    xop = {{\n      source  = \"uccluster/xop\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"xop\" {{\n  username         = \"{}\"\n  private_key      = file(\"{}\")\n  port             = {}\n  known_hosts_file = \"{}\"\n  command_timeout  = \"60s\"\n  mysql_admin_user = \"{admin_user}\"\n  mysql_admin_password = {}\n}}\n",
        sshd.user(),
        sshd.client_key_path().display(),
        sshd.port(),
        sshd.known_hosts_path().display(),
        admin_password,
    )
}

/// The `host` block of a lab XOP server: the lab's sshd, the appliance's paths in its directory.
pub fn xop_host_block(s: &XopServer) -> String {
    format!(
        "  host {{\n    address               = \"127.0.0.1\"\n    my_cnf_path           = \"{}\"\n    restart_command       = \"{}\"\n    dump_command          = \"{}\"\n    client_command        = \"{}\"\n    iptables_command      = \"{}\"\n    firewall_save_command = \"{}\"\n  }}\n",
        s.my_cnf_path().display(),
        s.restart_command(),
        s.mariadb_dump_path().display(),
        s.mariadb_client_path().display(),
        s.iptables_command(),
        s.firewall_save_command(),
    )
}

/// Each `(resource, summary, detail, line)` case, after `provider`, is refused as
/// [`assert_invalid`] says (`line` empty: only that Terraform points at a line).
pub async fn assert_all_invalid(tf: &Tf, provider: &str, cases: &[(String, &str, &str, &str)]) {
    let Some((first, ..)) = cases.first() else {
        return;
    };
    tf.write("main.tf", &format!("{provider}\n{first}"));
    tf.init().await;
    for (resource, summary, detail, line) in cases {
        assert_invalid(
            tf,
            &format!("{provider}\n{resource}"),
            summary,
            detail,
            line,
        )
        .await;
    }
}

/// `terraform validate` (which reaches no device) refuses `config` with `summary` and `detail`,
/// and the error with that summary points at the configuration line that contains `line` (the
/// attribute at fault).
pub async fn assert_invalid(tf: &Tf, config: &str, summary: &str, detail: &str, line: &str) {
    tf.write("main.tf", config);
    let out = tf.run(&["validate", "-no-color"]).await;
    assert_eq!(out.code, 1, "{config}\n{}", out.all());
    let text = out.text();
    assert!(
        text.contains(summary) && text.contains(detail),
        "expected {summary:?} / {detail:?}:\n{}",
        out.all()
    );
    // The configuration line Terraform quotes under the error with this summary.
    let at_line = out
        .all()
        .lines()
        .skip_while(|l| !l.contains(&format!("Error: {summary}")))
        .skip_while(|l| !l.contains("on main.tf line"))
        .nth(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    assert!(
        !at_line.is_empty() && at_line.contains(line),
        "expected the error at {line:?}, got {at_line:?}:\n{}",
        out.all()
    );
}

/// Copies `from` (a directory tree of regular files) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A loopback port where a device would be, that nothing may connect to during a plan that must
/// be refused before any device is touched; `assert_untouched` checks that.
pub struct UntouchedDevice {
    listener: std::net::TcpListener,
}

impl UntouchedDevice {
    pub fn new() -> UntouchedDevice {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        UntouchedDevice { listener }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }

    pub fn assert_untouched(&self, case: &str) {
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("{case}: the plan contacted a device: {other:?}"),
        }
    }
}
