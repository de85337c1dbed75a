//! The load-balancer lab: a real HAProxy (Debian package, `make tools`) in master-worker mode on
//! loopback, with its runtime API on a TCP port and its master CLI on a Unix socket and a TCP
//! port (HAProxy takes several `-S`; a HAProxy reached over SSH is driven through the TCP one), and small TCP
//! servers as members, so tests send real connections through a VIP
//! (../shared/reference/real-components.md §3: HAProxy 2.6.12, runtime API, dynamic servers,
//! master-worker reload).

pub mod lab_device;
pub mod members;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::process::{self, Daemon};

pub use members::{MemberServer, MemberServers};

/// The first line of the section of `haproxy.cfg` the lab writes; everything after it is the
/// site's (uccluster's marked sections are appended there).
pub const BASE_MARKER: &str = "# uccluster lab: base configuration (global, defaults)";

/// One running HAProxy.
pub struct Haproxy {
    program: PathBuf,
    dir: PathBuf,
    config_path: PathBuf,
    runtime_port: u16,
    master_port: u16,
    /// Unix socket paths must stay under 108 bytes: they live in a short temporary directory.
    sockets: tempfile::TempDir,
    daemon: Daemon,
}

fn base_config(runtime_port: u16, dir: &Path) -> String {
    format!(
        "{BASE_MARKER}
global
    stats socket ipv4@127.0.0.1:{runtime_port} level admin
    stats timeout 30s
    pidfile {}/haproxy.pid
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
",
        dir.display()
    )
}

impl Haproxy {
    /// Starts HAProxy with the base configuration in `dir` (its `haproxy.cfg` and log).
    pub async fn start(dir: &Path) -> anyhow::Result<Haproxy> {
        let program = process::require_program("haproxy", "haproxy")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = std::fs::canonicalize(dir)?;
        let config_path = dir.join("haproxy.cfg");
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let (runtime_port, master_port) = (process::free_port()?, process::free_port()?);
            std::fs::write(&config_path, base_config(runtime_port, &dir))?;
            let sockets = tempfile::Builder::new().prefix("ucl-hap-").tempdir()?;
            let log = dir.join("haproxy.log");
            let log_file = std::fs::File::create(&log)?;
            let mut cmd = Command::new(&program);
            // -W: master-worker (a reload starts new workers and lets the old ones finish their
            // connections); -S: the master CLI; no -D, so the master stays our child.
            cmd.arg("-W")
                .arg("-S")
                .arg(sockets.path().join("master.sock"))
                .arg("-S")
                .arg(format!("ipv4@127.0.0.1:{master_port}"))
                .arg("-f")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone()?)
                .stderr(log_file);
            let daemon = Daemon::spawn(cmd)?;
            let haproxy = Haproxy {
                program: program.clone(),
                dir: dir.clone(),
                config_path: config_path.clone(),
                runtime_port,
                master_port,
                sockets,
                daemon,
            };
            match haproxy.wait_ready(Duration::from_secs(10)).await {
                Ok(()) => return Ok(haproxy),
                Err(e) => {
                    haproxy.daemon.kill();
                    haproxy.daemon.wait_exit(Duration::from_secs(2)).await;
                    last_log = std::fs::read_to_string(&log).unwrap_or_default();
                    if last_log.contains("cannot bind socket") {
                        continue;
                    }
                    bail!("{e:#}; haproxy log:\n{last_log}");
                }
            }
        }
        bail!("haproxy could not bind a free port in 5 attempts; log:\n{last_log}")
    }

    async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if self.daemon.has_exited() {
                bail!("haproxy exited during start-up");
            }
            if let Ok(info) = self.runtime("show info").await {
                if info.contains("Name: HAProxy") {
                    return Ok(());
                }
            }
            if std::time::Instant::now() >= deadline {
                bail!("haproxy's runtime API did not answer within {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration file HAProxy reads at start and at every reload.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// `127.0.0.1:<port>` of the runtime API (admin level, one command per connection).
    pub fn runtime_address(&self) -> String {
        format!("127.0.0.1:{}", self.runtime_port)
    }

    pub fn master_socket(&self) -> PathBuf {
        self.sockets.path().join("master.sock")
    }

    /// `127.0.0.1:<port>` of the master CLI's TCP listener.
    pub fn master_address(&self) -> String {
        format!("127.0.0.1:{}", self.master_port)
    }

    /// The `haproxy` program this HAProxy runs (for `haproxy -c` over SSH).
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// One runtime API command's answer (HAProxy closes the connection after it).
    pub async fn runtime(&self, command: &str) -> anyhow::Result<String> {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.runtime_port)).await?;
        exchange(&mut stream, command).await
    }

    /// One master CLI command's answer (`show proc`, `reload`).
    /// The master binds its CLI a moment after the first worker serves, and re-executes itself
    /// on a reload: a refused connection is tried again for a few seconds.
    pub async fn master(&self, command: &str) -> anyhow::Result<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        let mut stream = loop {
            match tokio::net::UnixStream::connect(self.master_socket()).await {
                Ok(stream) => break stream,
                Err(e) if std::time::Instant::now() >= deadline => {
                    return Err(e).context("connecting to the master CLI")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        exchange(&mut stream, command).await
    }

    /// The master's reload counters from `show proc`: (reloads, failed).
    pub async fn reloads(&self) -> anyhow::Result<(u32, u32)> {
        parse_reloads(&self.master("show proc").await?)
            .context("`show proc` has no master line with its reload counters")
    }

    /// A hitless reload through the master CLI, waiting until the master reports it; an
    /// error (with HAProxy's log) when the new configuration was refused.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let (before, failed_before) = self.reloads().await?;
        let _ = self.master("reload").await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            // The master re-executes itself: its CLI is briefly away.
            if let Ok((reloads, failed)) = self.reloads().await {
                if failed > failed_before {
                    let log =
                        std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default();
                    bail!("haproxy refused the new configuration; log:\n{log}");
                }
                if reloads > before {
                    return self.wait_ready(Duration::from_secs(10)).await;
                }
            }
            if std::time::Instant::now() >= deadline {
                bail!("haproxy did not report the reload within 10s");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the master and its workers.
    pub async fn stop(self) {
        self.daemon.signal(libc::SIGTERM);
        if !self.daemon.wait_exit(Duration::from_secs(5)).await {
            self.daemon.kill();
            self.daemon.wait_exit(Duration::from_secs(2)).await;
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        self.daemon.kill();
    }
}

async fn exchange<S>(stream: &mut S, command: &str) -> anyhow::Result<String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream.write_all(format!("{command}\n").as_bytes()).await?;
    // The master CLI answers once the client has finished sending (socat's half-close).
    stream.shutdown().await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .context("no answer within 10s")??;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// The master line of `show proc` (HAProxy 2.6: `<pid> master <reloads> [failed: <n>] ...`).
fn parse_reloads(show_proc: &str) -> Option<(u32, u32)> {
    let line = show_proc
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("master"))?;
    let mut words = line.split_whitespace().skip(2);
    let reloads = words.next()?.parse().ok()?;
    let failed = line
        .split("[failed:")
        .nth(1)?
        .trim_start()
        .split(']')
        .next()?
        .trim()
        .parse()
        .ok()?;
    Some((reloads, failed))
}

#[cfg(test)]
mod tests;
