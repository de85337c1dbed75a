//! One real OpenSSH `sshd` on 127.0.0.1 per lab: every XOP appliance of the
//! lab lives on this host, so they share it (same port, user and key).
//!
//! Recipe (reference/real-components.md §2): ed25519 host and client keys made
//! with `ssh-keygen`, an own `sshd_config` (`-f` replaces the system one),
//! key-only login, `StrictModes no` so test dirs need not be root-owned,
//! `/run/sshd` created when running as root, `sshd -D -e` in the foreground.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use russh::keys::HashAlg;

use super::process::{self, Daemon};

/// A running sshd. Drop kills it (SIGKILL); the directory stays.
pub struct Sshd {
    dir: PathBuf,
    port: u16,
    user: String,
    daemon: Daemon,
    host_key_openssh: String,
    host_key_fingerprint: String,
    _temp: Option<tempfile::TempDir>,
}

/// What an appliance needs to know about the sshd it is reached through.
#[derive(Debug, Clone)]
pub struct SshEndpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub client_key_path: PathBuf,
    pub known_hosts_path: PathBuf,
    pub host_key_fingerprint: String,
}

impl Sshd {
    /// Starts sshd with its keys, config and logs in `dir` (created if missing;
    /// keys from an earlier run there are replaced).
    pub async fn start(dir: &Path) -> anyhow::Result<Sshd> {
        Self::start_inner(dir, None).await
    }

    /// Like [`Sshd::start`] in a fresh temporary directory removed on drop.
    pub async fn start_in_temp_dir() -> anyhow::Result<Sshd> {
        let temp = tempfile::Builder::new().prefix("ucl-sshd-").tempdir()?;
        let dir = temp.path().to_path_buf();
        Self::start_inner(&dir, Some(temp)).await
    }

    async fn start_inner(dir: &Path, temp: Option<tempfile::TempDir>) -> anyhow::Result<Sshd> {
        let sshd = process::require_program("sshd", "openssh-server")?;
        let keygen = process::require_program("ssh-keygen", "openssh-client")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = std::fs::canonicalize(dir)?;
        for key in ["host_ed25519", "client_ed25519"] {
            let path = dir.join(key);
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(path.with_extension("pub"));
            let out = tokio::process::Command::new(&keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-C"])
                .arg(format!("uccluster-lab-{key}"))
                .arg("-f")
                .arg(&path)
                .stdin(Stdio::null())
                .output()
                .await
                .context("running ssh-keygen")?;
            if !out.status.success() {
                bail!(
                    "ssh-keygen failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        std::fs::copy(dir.join("client_ed25519.pub"), dir.join("authorized_keys"))?;
        let host_pub = std::fs::read_to_string(dir.join("host_ed25519.pub"))?;
        let mut key = russh::keys::PublicKey::from_openssh(host_pub.trim())
            .context("parsing the host public key")?;
        key.set_comment("");
        let host_key_openssh = key.to_openssh()?;
        let host_key_fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        if process::is_root() {
            std::fs::create_dir_all("/run/sshd").context("creating /run/sshd")?;
        }

        let mut last_log = String::new();
        for _attempt in 0..5 {
            let port = process::free_port()?;
            let cfg = dir.join("sshd_config");
            std::fs::write(&cfg, sshd_config(&dir, port))?;
            let log = dir.join("sshd.log");
            let log_file = std::fs::File::create(&log)?;
            let mut cmd = Command::new(&sshd);
            cmd.args(["-D", "-e", "-f"])
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone()?)
                .stderr(log_file);
            let daemon = Daemon::spawn(cmd)?;
            match wait_banner(port, &daemon, &log, Duration::from_secs(10)).await {
                Ok(()) => {
                    let sshd = Sshd {
                        dir: dir.clone(),
                        port,
                        user: process::current_user(),
                        daemon,
                        host_key_openssh,
                        host_key_fingerprint,
                        _temp: temp,
                    };
                    std::fs::write(sshd.known_hosts_path(), sshd.known_hosts_line() + "\n")?;
                    return Ok(sshd);
                }
                Err(e) => {
                    daemon.kill();
                    daemon.wait_exit(Duration::from_secs(2)).await;
                    last_log = std::fs::read_to_string(&log).unwrap_or_default();
                    if last_log.contains("Address already in use") {
                        continue;
                    }
                    bail!("{e:#}; sshd log:\n{last_log}");
                }
            }
        }
        bail!("sshd could not bind a free port in 5 attempts; sshd log:\n{last_log}")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The user to log in as: the one running the lab (root in CI).
    pub fn user(&self) -> String {
        self.user.clone()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The client private key (OpenSSH PEM) that `authorized_keys` accepts.
    pub fn client_private_key_openssh(&self) -> String {
        std::fs::read_to_string(self.client_key_path()).unwrap_or_default()
    }

    pub fn client_key_path(&self) -> PathBuf {
        self.dir.join("client_ed25519")
    }

    /// File with the one line `[127.0.0.1]:PORT ssh-ed25519 AAAA...`.
    pub fn known_hosts_path(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }

    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}", self.port, self.host_key_openssh)
    }

    /// `ssh-ed25519 AAAA...` (no comment).
    pub fn host_key_openssh(&self) -> String {
        self.host_key_openssh.clone()
    }

    /// `SHA256:...`
    pub fn host_key_fingerprint(&self) -> String {
        self.host_key_fingerprint.clone()
    }

    /// `authorized_keys` (every user logs in with the keys listed there).
    pub fn authorized_keys_path(&self) -> PathBuf {
        self.dir.join("authorized_keys")
    }

    pub fn endpoint(&self) -> SshEndpoint {
        SshEndpoint {
            host: "127.0.0.1".into(),
            port: self.port,
            user: self.user(),
            client_key_path: self.client_key_path(),
            known_hosts_path: self.known_hosts_path(),
            host_key_fingerprint: self.host_key_fingerprint(),
        }
    }

    /// A real OpenSSH client command running `remote_command` on this sshd
    /// with the client key, strict host key checking against
    /// [`Sshd::known_hosts_path`], batch mode and no user ssh config.
    pub fn ssh_command(&self, remote_command: &str) -> Command {
        self.ssh_command_with_key(&self.client_key_path(), remote_command)
    }

    /// Like [`Sshd::ssh_command`] with another private key (e.g. one sshd must reject).
    pub fn ssh_command_with_key(&self, key: &Path, remote_command: &str) -> Command {
        let mut cmd = Command::new("ssh");
        cmd.args(["-F", "/dev/null", "-i"])
            .arg(key)
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.known_hosts_path().display()
            ))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=10",
                "-p",
            ])
            .arg(self.port.to_string())
            .arg(format!("{}@127.0.0.1", self.user))
            .arg(remote_command)
            .stdin(Stdio::null());
        cmd
    }

    /// Kills sshd (its per-connection children end with their connections).
    pub async fn stop(self) {
        self.daemon.kill();
        self.daemon.wait_exit(Duration::from_secs(5)).await;
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.daemon.kill();
    }
}

fn sshd_config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "# sshd of the uccluster XOP lab (the system sshd_config is not read)
ListenAddress 127.0.0.1
Port {port}
HostKey {d}/host_ed25519
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
LogLevel VERBOSE
Subsystem sftp internal-sftp
"
    )
}

/// Ready when the port answers with an `SSH-2.0-` banner.
/// Waits until our sshd answers with a banner. Another lab sshd that took the port first
/// (parallel tests can be handed the same free port) would answer too: ours is the one whose
/// log says it listens on the port (`LogLevel VERBOSE`); if ours fails to bind, it exits and the
/// caller retries on another port.
async fn wait_banner(
    port: u16,
    daemon: &Daemon,
    log: &Path,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let listening = format!("Server listening on 127.0.0.1 port {port}");
    loop {
        if let Ok(banner) = tokio::task::spawn_blocking(move || read_banner(port)).await? {
            let ours = std::fs::read_to_string(log).is_ok_and(|l| l.contains(&listening));
            if banner.starts_with("SSH-2.0-") && ours {
                return Ok(());
            }
        }
        if daemon.has_exited() {
            bail!("sshd exited during start");
        }
        if Instant::now() >= deadline {
            bail!("sshd on 127.0.0.1:{port} sent no SSH-2.0- banner within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn read_banner(port: u16) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(1),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}
