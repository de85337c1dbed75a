//! The IPVS lab host: a real sshd (the XOP lab's fixture) in front of an `ipvsadm` stand-in
//! ([`standin`]), because this kernel has no IPVS. The provider drives it exactly as it would
//! drive a Linux director: `ipvsadm` commands over SSH, read back with `ipvsadm -S -n`.

pub mod lab_device;
mod standin;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::xop::Sshd;

/// One IPVS director of the lab.
pub struct IpvsHost {
    name: String,
    dir: PathBuf,
    sshd: Sshd,
}

impl IpvsHost {
    /// Starts the host's sshd under `dir` and installs the stand-in with an empty table.
    pub async fn start(name: &str, dir: &Path) -> anyhow::Result<IpvsHost> {
        std::fs::create_dir_all(dir.join("bin"))
            .with_context(|| format!("creating {}", dir.display()))?;
        let dir = std::fs::canonicalize(dir)?;
        let sshd = Sshd::start(&dir.join("sshd")).await?;
        let host = IpvsHost {
            name: name.to_string(),
            dir,
            sshd,
        };
        std::fs::write(host.rules_path(), "")?;
        let script = host.ipvsadm_command();
        std::fs::write(&script, standin::ipvsadm_script(&host.rules_path()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
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

    pub async fn stop(self) {
        self.sshd.stop().await;
    }
}

#[cfg(test)]
mod tests;
