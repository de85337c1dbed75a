//! One real OpenSSH `sshd` on 127.0.0.1 per lab: every XOP appliance of the
//! lab lives on this host, so they share it (same port, user and key).
//!
//! Recipe (reference/real-components.md §2): ed25519 host and client keys made
//! with `ssh-keygen`, an own `sshd_config` (`-f` replaces the system one),
//! key-only login, `StrictModes no` so test dirs need not be root-owned,
//! `/run/sshd` created when running as root, `sshd -D -e` in the foreground.
//! [`Sshd::rotate_host_key`] writes a new host key and sends SIGHUP: sshd
//! re-executes itself and reads it (sshd(8), SIGNALS... "rereads its
//! configuration file when it receives a hangup signal").

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use russh::keys::HashAlg;

use crate::process::{self, Daemon};

/// A running sshd. Drop kills it (SIGKILL); the directory stays.
pub struct Sshd {
    dir: PathBuf,
    port: u16,
    user: String,
    daemon: Daemon,
    /// `ssh-keygen`, for [`Sshd::rotate_host_key`].
    keygen: PathBuf,
    /// The current host key, changed by [`Sshd::rotate_host_key`].
    host_key: Mutex<HostKey>,
    _temp: Option<tempfile::TempDir>,
}

/// The host key sshd presents.
#[derive(Debug, Clone)]
struct HostKey {
    /// `ssh-ed25519 AAAA...` (no comment).
    openssh: String,
    /// `SHA256:...`
    fingerprint: String,
}

/// Makes a fresh ed25519 key pair at `path` and `path.pub` (replacing them).
async fn make_key(keygen: &Path, path: &Path, comment: &str) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path.with_extension("pub"));
    let mut cmd = tokio::process::Command::new(keygen);
    cmd.args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"])
        .arg(path);
    process::run_checked(cmd, "ssh-keygen").await?;
    Ok(())
}

/// The public half of the host key in `dir`.
fn read_host_key(dir: &Path) -> anyhow::Result<HostKey> {
    let host_pub = std::fs::read_to_string(dir.join("host_ed25519.pub"))?;
    let mut key = russh::keys::PublicKey::from_openssh(host_pub.trim())
        .context("parsing the host public key")?;
    key.set_comment("");
    Ok(HostKey {
        openssh: key.to_openssh()?,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    })
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
            make_key(&keygen, &dir.join(key), &format!("uccluster-lab-{key}")).await?;
        }
        std::fs::copy(dir.join("client_ed25519.pub"), dir.join("authorized_keys"))?;
        let host_key = read_host_key(&dir)?;
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
            match wait_banner(port, &daemon, &log, 1, Duration::from_secs(10)).await {
                Ok(()) => {
                    let sshd = Sshd {
                        dir: dir.clone(),
                        port,
                        user: process::current_user(),
                        daemon,
                        keygen,
                        host_key: Mutex::new(host_key),
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

    /// The line for the *current* host key (the file keeps the one sshd started with).
    pub fn known_hosts_line(&self) -> String {
        format!("[127.0.0.1]:{} {}", self.port, self.host_key_openssh())
    }

    fn host_key(&self) -> HostKey {
        self.host_key
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `ssh-ed25519 AAAA...` (no comment).
    pub fn host_key_openssh(&self) -> String {
        self.host_key().openssh
    }

    /// `SHA256:...`
    pub fn host_key_fingerprint(&self) -> String {
        self.host_key().fingerprint
    }

    /// Replaces the host key with a new one, as a replaced or impersonated box would show;
    /// returns once sshd answers again with it. `known_hosts_path` keeps the old line, so a
    /// client checking against it refuses the server until the file is rewritten.
    pub async fn rotate_host_key(&self) -> anyhow::Result<()> {
        let log = self.dir.join("sshd.log");
        let listening = listening_lines(&log, self.port);
        make_key(
            &self.keygen,
            &self.dir.join("host_ed25519"),
            "uccluster-lab-host_ed25519",
        )
        .await?;
        let key = read_host_key(&self.dir)?;
        self.daemon.signal(libc::SIGHUP);
        wait_banner(
            self.port,
            &self.daemon,
            &log,
            listening + 1,
            Duration::from_secs(10),
        )
        .await
        .context("sshd after SIGHUP")?;
        *self.host_key.lock().unwrap_or_else(PoisonError::into_inner) = key;
        Ok(())
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

/// How many times the log says sshd started listening on `port` (once per start or SIGHUP).
fn listening_lines(log: &Path, port: u16) -> usize {
    let listening = format!("Server listening on 127.0.0.1 port {port}");
    std::fs::read_to_string(log)
        .map(|l| l.matches(&listening).count())
        .unwrap_or(0)
}

/// Waits until our sshd answers with an `SSH-2.0-` banner. Another lab sshd that took the port
/// first (parallel tests can be handed the same free port) would answer too: ours is the one
/// whose log says it listens on the port (`LogLevel VERBOSE`), for the `listening`-th time (a
/// SIGHUP makes sshd start again); if ours fails to bind, it exits and the caller retries on
/// another port.
async fn wait_banner(
    port: u16,
    daemon: &Daemon,
    log: &Path,
    listening: usize,
    timeout: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(banner) = tokio::task::spawn_blocking(move || read_banner(port)).await? {
            let ours = listening_lines(log, port) >= listening;
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
