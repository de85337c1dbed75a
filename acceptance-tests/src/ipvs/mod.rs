//! The IPVS lab host: a real sshd (the XOP lab's fixture) in front of an `ipvsadm` stand-in
//! ([`standin`]), because this kernel has no IPVS. The provider drives it exactly as it would
//! drive a Linux director: `ipvsadm` commands over SSH, read back with `ipvsadm -S -n`. In
//! keepalived mode it writes `<dir>/keepalived.conf`, checks it with the real `keepalived -t -f`
//! and runs the reload stand-in ([`keepalived`]), which programs the same table.

mod keepalived;
pub mod lab_device;
mod standin;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::process;
use crate::xop::Sshd;

/// One IPVS director of the lab.
pub struct IpvsHost {
    name: String,
    dir: PathBuf,
    sshd: Sshd,
    keepalived: PathBuf,
}

impl IpvsHost {
    /// Starts the host's sshd under `dir` and installs the stand-ins with an empty table and the
    /// base keepalived configuration (no `virtual_server` yet, nothing programmed).
    pub async fn start(name: &str, dir: &Path) -> anyhow::Result<IpvsHost> {
        // Found first: a missing keepalived is named before any daemon starts.
        let keepalived = process::require_program("keepalived", "keepalived")?;
        std::fs::create_dir_all(dir.join("bin"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let dir = std::fs::canonicalize(dir)?;
        let sshd = Sshd::start(&dir.join("sshd")).await?;
        let host = IpvsHost {
            name: name.to_string(),
            dir,
            sshd,
            keepalived,
        };
        std::fs::write(host.rules_path(), "")?;
        process::write_executable(
            &host.ipvsadm_command(),
            &standin::ipvsadm_script(&host.rules_path()),
        )?;
        let files = host.keepalived_files();
        std::fs::write(&files.config, keepalived::base_config(name))?;
        std::fs::write(&files.reloads, "0\n")?;
        process::write_executable(
            &host.keepalived_reload_command(),
            &keepalived::reload_script(&files),
        )?;
        Ok(host)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn sshd(&self) -> &Sshd {
        &self.sshd
    }

    /// The absolute path the provider runs as `ipvsadm` on this host.
    pub fn ipvsadm_command(&self) -> PathBuf {
        self.dir.join("bin/ipvsadm")
    }

    /// Where the stand-in keeps the table, in `ipvsadm -S -n` form.
    pub fn rules_path(&self) -> PathBuf {
        self.dir.join("ipvs.rules")
    }

    /// The table as `ipvsadm -S -n` prints it.
    pub fn rules(&self) -> String {
        std::fs::read_to_string(self.rules_path()).unwrap_or_default()
    }

    fn keepalived_files(&self) -> keepalived::Files {
        keepalived::Files::under(&self.dir, &self.rules_path())
    }

    /// The keepalived configuration file the provider writes (`keepalived -t -f` checks it).
    pub fn keepalived_config_path(&self) -> PathBuf {
        self.keepalived_files().config
    }

    /// The absolute path of the reload stand-in (what `systemctl reload keepalived` is on a
    /// real director).
    pub fn keepalived_reload_command(&self) -> PathBuf {
        self.dir.join("bin/keepalived-reload")
    }

    /// The real keepalived (Debian's 2.2.7), for `keepalived -t -f <file>`.
    pub fn keepalived_program(&self) -> &Path {
        &self.keepalived
    }

    /// Makes the checkers of real server `addr_port` (`ip:port`, as its `real_server` line
    /// names it) fail or succeed, and applies the verdict to the table as keepalived's checker
    /// process does: without a reload, from the running configuration.
    pub fn set_real_down(&self, addr_port: &str, down: bool) -> anyhow::Result<()> {
        let files = self.keepalived_files();
        let current = std::fs::read_to_string(&files.down).unwrap_or_default();
        std::fs::write(&files.down, keepalived::set_down(&current, addr_port, down))?;
        // Again on ETXTBSY: see process::output_retrying_busy (the script was written at start).
        let mut attempts = 0;
        let out = loop {
            match std::process::Command::new(self.keepalived_reload_command())
                .arg("--recheck")
                .stdin(std::process::Stdio::null())
                .output()
            {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.context("running keepalived-reload --recheck")?,
            }
        };
        anyhow::ensure!(
            out.status.success(),
            "keepalived-reload --recheck failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    }

    /// How many times the reload command ran (a refused reload included).
    pub fn keepalived_reloads(&self) -> usize {
        std::fs::read_to_string(self.keepalived_files().reloads)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    pub async fn stop(self) {
        self.sshd.stop().await;
    }
}

#[cfg(test)]
mod tests;
