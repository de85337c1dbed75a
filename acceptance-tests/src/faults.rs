//! The fault controls every simulator shares: a delay before each reply, refused logins,
//! connections dropped before or after a command, the command log and session counters, and
//! the registry of live connections that lets a fault (or `stop`) cut one abruptly, underneath
//! the protocol. A simulator embeds one [`Faults`] and asks it at each step (`delay_reply`,
//! `refuses_login`, `take_drop`); tests set faults through the simulator's handle or, for any
//! device of a lab, through [`crate::device::FaultControl`].
//!
//! Rotating a device's identity is not here: what an identity is (an SSH host key, a TLS
//! certificate) belongs to the simulator, which handles [`Fault::RotateIdentity`] itself.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// One fault to inject into a device (see [`crate::device::FaultControl::inject`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long before each reply.
    ReplyDelay(Duration),
    /// Reject every login (until cleared).
    RefuseLogin,
    /// The next `times` commands starting with `prefix` are applied, then the connection is
    /// cut with no reply.
    DropAfter { prefix: String, times: u32 },
    /// The next `times` commands starting with `prefix` are not applied: the connection is cut
    /// as soon as the command arrives.
    DropBefore { prefix: String, times: u32 },
    /// The device presents a new identity (SSH host key, TLS certificate) from now on, as a
    /// replaced or impersonated device would.
    RotateIdentity,
}

impl Fault {
    /// The fault's name in messages (`reply delay`, `drop after a command`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::ReplyDelay(_) => "reply delay",
            Fault::RefuseLogin => "refused login",
            Fault::DropAfter { .. } => "drop after a command",
            Fault::DropBefore { .. } => "drop before a command",
            Fault::RotateIdentity => "rotated identity",
        }
    }
}

/// [`Faults::inject`]'s answer to [`Fault::RotateIdentity`]: the simulator rotates its own
/// identity (only it knows what that is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityRotation;

/// How a matching drop fault cuts the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// The command is applied to the device's state first.
    AfterApplying,
    /// The command is not applied.
    BeforeApplying,
}

/// Session counters of a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// Connections open now.
    pub active: usize,
    /// Successful logins since start.
    pub logins: usize,
}

#[derive(Debug, Clone)]
struct DropFault {
    prefix: String,
    remaining: u32,
    cut: Cut,
}

#[derive(Debug, Default)]
struct Injected {
    reply_delay: Duration,
    refuse_login: bool,
    drops: Vec<DropFault>,
}

/// The fault state, command log, counters and live connections of one simulated device.
#[derive(Debug, Default)]
pub struct Faults {
    injected: Mutex<Injected>,
    command_log: Mutex<Vec<String>>,
    active_sessions: AtomicUsize,
    total_logins: AtomicUsize,
    /// Duplicated sockets of live connections, used to cut them abruptly.
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_connection_id: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Faults {
    /// Injects one of the faults simulators share; [`Fault::RotateIdentity`] is the
    /// simulator's own to do, which the `Err` says.
    pub fn inject(&self, fault: Fault) -> Result<(), IdentityRotation> {
        match fault {
            Fault::ReplyDelay(d) => self.set_reply_delay(d),
            Fault::RefuseLogin => self.set_refuse_login(true),
            Fault::DropAfter { prefix, times } => self.add_drop(prefix, times, Cut::AfterApplying),
            Fault::DropBefore { prefix, times } => {
                self.add_drop(prefix, times, Cut::BeforeApplying)
            }
            Fault::RotateIdentity => return Err(IdentityRotation),
        }
        Ok(())
    }

    /// Delay applied before each reply.
    pub fn set_reply_delay(&self, d: Duration) {
        lock(&self.injected).reply_delay = d;
    }

    pub fn reply_delay(&self) -> Duration {
        lock(&self.injected).reply_delay
    }

    /// Waits the reply delay, if one is set.
    pub async fn delay_reply(&self) {
        let d = self.reply_delay();
        if !d.is_zero() {
            tokio::time::sleep(d).await;
        }
    }

    /// When `true`, every login is rejected.
    pub fn set_refuse_login(&self, refuse: bool) {
        lock(&self.injected).refuse_login = refuse;
    }

    pub fn refuses_login(&self) -> bool {
        lock(&self.injected).refuse_login
    }

    /// The next `times` commands starting with `prefix` are applied, then the connection is cut.
    pub fn drop_connection_after(&self, prefix: &str, times: u32) {
        self.add_drop(prefix.to_string(), times, Cut::AfterApplying);
    }

    /// The next `times` commands starting with `prefix` are not applied: the connection is cut
    /// as soon as the command arrives.
    pub fn drop_connection_before(&self, prefix: &str, times: u32) {
        self.add_drop(prefix.to_string(), times, Cut::BeforeApplying);
    }

    fn add_drop(&self, prefix: String, times: u32, cut: Cut) {
        if times == 0 {
            return;
        }
        lock(&self.injected).drops.push(DropFault {
            prefix,
            remaining: times,
            cut,
        });
    }

    /// Consumes one matching drop fault for the command `line`, saying how to cut.
    pub fn take_drop(&self, line: &str) -> Option<Cut> {
        let mut injected = lock(&self.injected);
        let cut = injected
            .drops
            .iter_mut()
            .find(|f| f.remaining > 0 && line.starts_with(&f.prefix))
            .map(|f| {
                f.remaining -= 1;
                f.cut
            });
        injected.drops.retain(|f| f.remaining > 0);
        cut
    }

    /// Drop faults injected and not yet fired: a test checks the fault it set was reached.
    pub fn pending_drops(&self) -> u32 {
        lock(&self.injected).drops.iter().map(|f| f.remaining).sum()
    }

    /// Removes every injected fault (delay, refused login, pending drops); the command log and
    /// the counters stay.
    pub fn clear(&self) {
        *lock(&self.injected) = Injected::default();
    }

    /// Records one command received.
    pub fn log_command(&self, line: &str) {
        lock(&self.command_log).push(line.to_string());
    }

    /// Every command recorded, in order.
    pub fn command_log(&self) -> Vec<String> {
        lock(&self.command_log).clone()
    }

    /// Counts a connection as open until the guard drops.
    pub fn session_opened(&self) -> OpenSession<'_> {
        self.active_sessions.fetch_add(1, Ordering::SeqCst);
        OpenSession(self)
    }

    /// Counts one successful login.
    pub fn login_succeeded(&self) {
        self.total_logins.fetch_add(1, Ordering::SeqCst);
    }

    pub fn active_sessions(&self) -> usize {
        self.active_sessions.load(Ordering::SeqCst)
    }

    pub fn total_logins(&self) -> usize {
        self.total_logins.load(Ordering::SeqCst)
    }

    pub fn sessions(&self) -> SessionCounts {
        SessionCounts {
            active: self.active_sessions(),
            logins: self.total_logins(),
        }
    }

    /// Keeps a duplicate of a live connection's socket, so it can be cut underneath the
    /// protocol; the id names it for [`Faults::cut_connection`].
    pub fn register_connection(&self, socket: TcpStream) -> u64 {
        let id = self.next_connection_id.fetch_add(1, Ordering::SeqCst);
        lock(&self.connections).insert(id, socket);
        id
    }

    /// `socket`, registered as a live connection (see [`Faults::register_connection`]), with its
    /// id; `None` when the socket cannot be duplicated.
    pub fn track(&self, socket: tokio::net::TcpStream) -> Option<(tokio::net::TcpStream, u64)> {
        let std_socket = socket.into_std().ok()?;
        let dup = std_socket.try_clone().ok()?;
        let socket = tokio::net::TcpStream::from_std(std_socket).ok()?;
        Some((socket, self.register_connection(dup)))
    }

    /// Cuts one connection abruptly (TCP shutdown, no goodbye of the protocol).
    pub fn cut_connection(&self, id: u64) {
        if let Some(s) = lock(&self.connections).remove(&id) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Cuts every live connection.
    pub fn cut_all_connections(&self) {
        for (_, s) in lock(&self.connections).drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// An open connection, counted in [`Faults::active_sessions`] while it lives.
pub struct OpenSession<'a>(&'a Faults);

impl Drop for OpenSession<'_> {
    fn drop(&mut self) {
        self.0.active_sessions.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests;
