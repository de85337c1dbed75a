//! Daemon processes of the lab's real components (the XOP lab's mariadbd and
//! sshd): spawning (own session, killed with the lab process), pid-file based
//! signalling, liveness, free loopback ports.
//!
//! A daemon restarted by an appliance script is no child of the lab process,
//! so stopping goes by the pid-file; the pid is only signalled when its
//! command line still names the instance's own config file (no pid reuse).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

/// A process the lab spawned itself. A dedicated thread waits for it, so it
/// never lingers as a zombie; `PR_SET_PDEATHSIG` (tied to that thread, which
/// lives as long as the process) kills it if the lab process dies without
/// running its destructors.
#[derive(Debug, Clone)]
pub(crate) struct Daemon {
    pid: i32,
    exited: Arc<AtomicBool>,
}

impl Daemon {
    /// Spawns `cmd` in a new session (terminal signals do not reach it).
    pub(crate) fn spawn(mut cmd: Command) -> anyhow::Result<Daemon> {
        let program = cmd.get_program().to_string_lossy().into_owned();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let exited = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let flag = exited.clone();
        std::thread::Builder::new()
            .name(format!("daemon {program}"))
            .spawn(move || match cmd.spawn() {
                Ok(mut child) => {
                    let _ = tx.send(Ok(child.id() as i32));
                    let _ = child.wait();
                    flag.store(true, Ordering::SeqCst);
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            })
            .context("spawning a waiter thread")?;
        let pid = rx
            .recv()
            .context("waiter thread ended early")?
            .with_context(|| format!("starting {program}"))?;
        Ok(Daemon { pid, exited })
    }

    /// True once the process has exited (and was reaped).
    pub(crate) fn has_exited(&self) -> bool {
        self.exited.load(Ordering::SeqCst)
    }

    /// Sends `sig` unless it already exited (then the pid may belong to another process).
    pub(crate) fn signal(&self, sig: i32) {
        if !self.has_exited() {
            signal(self.pid, sig);
        }
    }

    /// SIGKILL (see [`Daemon::signal`]).
    pub(crate) fn kill(&self) {
        self.signal(libc::SIGKILL);
    }

    /// Waits until the process has exited; false on timeout.
    pub(crate) async fn wait_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.has_exited() {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }
}

pub(crate) fn signal(pid: i32, sig: i32) {
    if pid > 1 {
        // SAFETY: plain kill(2) on a positive pid.
        unsafe {
            libc::kill(pid, sig);
        }
    }
}

/// Pid written in `pid_file`, if any.
pub(crate) fn read_pid_file(pid_file: &Path) -> Option<i32> {
    std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 1)
}

/// Alive = exists and is neither a zombie nor dead.
pub(crate) fn is_alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    match stat.rsplit_once(") ") {
        Some((_, rest)) => !matches!(rest.chars().next(), Some('Z' | 'X' | 'x') | None),
        None => false,
    }
}

/// Whether one argument of `pid`'s command line equals `arg`.
pub(crate) fn has_arg(pid: i32, arg: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| c.split(|b| *b == 0).any(|a| a == arg.as_bytes()))
        .unwrap_or(false)
}

/// The live process named in `pid_file` whose command line contains `arg`.
pub(crate) fn owned_pid(pid_file: &Path, arg: &str) -> Option<i32> {
    read_pid_file(pid_file).filter(|pid| is_alive(*pid) && has_arg(*pid, arg))
}

/// Waits until `pid` is gone (or a zombie); false on timeout.
pub(crate) async fn wait_gone(pid: i32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while is_alive(pid) {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// A port that was free on 127.0.0.1 a moment ago (the daemon binds it next;
/// callers retry on "Address already in use").
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Absolute path of `name`: from `PATH`, else `/usr/sbin`, `/usr/bin`, `/sbin`.
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

/// Like [`find_program`], with an error that says how to install it.
pub(crate) fn require_program(name: &str, package: &str) -> anyhow::Result<PathBuf> {
    find_program(name).with_context(|| {
        format!(
            "`{name}` not found (Debian package {package}): run `make tools` \
             (tools/install-tools.sh installs the packages of tools/debian-packages.tsv)"
        )
    })
}

pub(crate) fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Name of the effective user (from /etc/passwd; `$USER` as a fallback).
pub(crate) fn current_user() -> String {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let mut f = line.split(':');
                let name = f.next()?;
                let _pw = f.next()?;
                (f.next()?.parse::<u32>().ok()? == uid).then(|| name.to_string())
            })
        })
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| {
            if uid == 0 {
                "root".into()
            } else {
                uid.to_string()
            }
        })
}

/// Last `n` lines of a log file (for error messages).
pub(crate) fn tail(path: &Path, n: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("({}: {e})", path.display()),
    }
}

/// Writes an executable (0755) file.
pub(crate) fn write_executable(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

/// Runs a command built by `make`, again while exec fails with ETXTBSY ("Text file busy"): a
/// script written moments ago can still be open for writing in a child that another test
/// thread forked at that instant; the descriptor goes away at that child's exec.
pub(crate) async fn output_retrying_busy(
    make: impl Fn() -> tokio::process::Command,
) -> std::io::Result<std::process::Output> {
    let mut attempts = 0;
    loop {
        match make().output().await {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 50 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            other => return other,
        }
    }
}

/// Runs `cmd` (stdin closed) to completion; an error says `what` failed, with its stderr.
pub(crate) async fn run_checked(
    mut cmd: tokio::process::Command,
    what: &str,
) -> anyhow::Result<std::process::Output> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {what}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(out)
}

/// Writes a file only its owner can read (0600).
pub(crate) fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).with_context(|| format!("writing {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

/// Quotes `s` for a POSIX shell (single quotes).
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
