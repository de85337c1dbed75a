//! The state of the simulated cluster (per-member stores, the one cluster-wide store, counters,
//! faults, TLS identity) and the handles tests use to look at it and change it while it runs:
//! [`CgpMember`] for one member, [`CgpControl`] for the whole cluster.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::data::StoredDict;
use super::keys;
use crate::faults::Faults;
use crate::lab_ca::{Identity, LabCa};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// "The next command starting with `prefix` answers `code text`" (and is not applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenReply {
    pub prefix: String,
    pub code: u16,
    pub text: String,
}

pub(crate) struct MemberInner {
    pub name: String,
    pub role: String,
    pub username: String,
    pub password: String,
    pub cluster_settings: Mutex<StoredDict>,
    pub network: Mutex<StoredDict>,
    /// The cluster-wide store, the same `Arc` in every member.
    pub cluster_network: Arc<Mutex<StoredDict>>,
    pub faults: Faults,
    pub chosen: Mutex<Vec<ChosenReply>>,
    pub refreshes: AtomicUsize,
    pub idle_timeout_ms: AtomicU64,
    /// Numbers the banner challenges (`<N.timestamp@host>`).
    pub next_challenge: AtomicU64,
    /// The certificate of the TLS listener and of `STLS`, from the lab CA (as the F5 simulator's).
    pub identity: Mutex<Identity>,
    pub ca: Arc<LabCa>,
    pub stopping: AtomicBool,
}

/// Cheap, cloneable handle to one running member.
#[derive(Clone)]
pub struct CgpMember {
    pub(crate) inner: Arc<MemberInner>,
}

impl CgpMember {
    pub(crate) fn new(
        name: String,
        role: String,
        username: String,
        password: String,
        idle_timeout: Duration,
        cluster_network: Arc<Mutex<StoredDict>>,
        ca: Arc<LabCa>,
    ) -> anyhow::Result<CgpMember> {
        let identity = Identity::issue(&ca)?;
        Ok(CgpMember {
            inner: Arc::new(MemberInner {
                name,
                role,
                username,
                password,
                cluster_settings: Mutex::new(keys::seed(keys::CLUSTER_SETTINGS)),
                network: Mutex::new(keys::seed(keys::NETWORK)),
                cluster_network,
                faults: Faults::default(),
                chosen: Mutex::new(Vec::new()),
                refreshes: AtomicUsize::new(0),
                idle_timeout_ms: AtomicU64::new(idle_timeout.as_millis() as u64),
                next_challenge: AtomicU64::new(1),
                identity: Mutex::new(identity),
                ca,
                stopping: AtomicBool::new(false),
            }),
        })
    }

    pub(crate) fn tls(&self) -> Arc<rustls::ServerConfig> {
        lock(&self.inner.identity).server.clone()
    }

    /// The certificate presented now (PEM), on the TLS listener and after `STLS`.
    pub fn cert_pem(&self) -> String {
        lock(&self.inner.identity).cert_pem.clone()
    }

    /// SHA-256 of the certificate presented now, `AB:CD:...`.
    pub fn cert_sha256(&self) -> String {
        lock(&self.inner.identity).sha256.clone()
    }

    /// The CA that issued it (PEM): the lab CA.
    pub fn ca_pem(&self) -> String {
        self.inner.ca.cert_pem()
    }

    /// A new certificate with a new key from the lab CA, presented to every new handshake (what
    /// the F5 simulator does for a rotated identity: the CA still vouches for it, the pin changes).
    pub fn rotate_certificate(&self) -> anyhow::Result<()> {
        let identity = Identity::issue(&self.inner.ca)?;
        *lock(&self.inner.identity) = identity;
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// `frontend` or `backend`, as the spec gave it.
    pub fn role(&self) -> &str {
        &self.inner.role
    }

    pub fn username(&self) -> &str {
        &self.inner.username
    }

    /// The shared fault state (delay, refused login, drops, command log, counters).
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// This member's Cluster page (`GetClusterSettings`).
    pub fn cluster_settings(&self) -> StoredDict {
        lock(&self.inner.cluster_settings).clone()
    }

    /// Replaces this member's Cluster page behind the CLI's back.
    pub fn set_cluster_settings(&self, dict: StoredDict) {
        *lock(&self.inner.cluster_settings) = dict;
    }

    /// This member's server-wide Network settings (`GetNetwork`).
    pub fn network(&self) -> StoredDict {
        lock(&self.inner.network).clone()
    }

    pub fn set_network(&self, dict: StoredDict) {
        *lock(&self.inner.network) = dict;
    }

    /// The cluster-wide Network settings (`GetClusterNetwork`), the same from every member.
    pub fn cluster_network(&self) -> StoredDict {
        lock(&self.inner.cluster_network).clone()
    }

    pub fn set_cluster_network(&self, dict: StoredDict) {
        *lock(&self.inner.cluster_network) = dict;
    }

    pub(crate) fn with_cluster_settings<T>(&self, f: impl FnOnce(&mut StoredDict) -> T) -> T {
        f(&mut lock(&self.inner.cluster_settings))
    }

    pub(crate) fn with_network<T>(&self, f: impl FnOnce(&mut StoredDict) -> T) -> T {
        f(&mut lock(&self.inner.network))
    }

    pub(crate) fn with_cluster_network<T>(&self, f: impl FnOnce(&mut StoredDict) -> T) -> T {
        f(&mut lock(&self.inner.cluster_network))
    }

    /// Every command line received, in order (`PASS` and `APOP` arguments masked).
    pub fn command_log(&self) -> Vec<String> {
        self.inner.faults.command_log()
    }

    /// Successful logins since start.
    pub fn logins(&self) -> usize {
        self.inner.faults.total_logins()
    }

    /// `RefreshOSData` commands applied since start.
    pub fn refreshes(&self) -> usize {
        self.inner.refreshes.load(Ordering::SeqCst)
    }

    /// The next command whose line starts with `prefix` (any case, as CGP's command words are,
    /// S7/S11) is not applied and answers `code text`.
    pub fn fail_next(&self, prefix: &str, code: u16, text: &str) {
        lock(&self.inner.chosen).push(ChosenReply {
            prefix: prefix.to_string(),
            code,
            text: text.to_string(),
        });
    }

    /// Removes pending chosen replies (also done by [`crate::device::FaultControl::clear`]).
    pub fn clear_chosen_replies(&self) {
        lock(&self.inner.chosen).clear();
    }

    /// Consumes the chosen reply matching `line`, if any.
    pub(crate) fn take_chosen(&self, line: &str) -> Option<ChosenReply> {
        let mut chosen = lock(&self.inner.chosen);
        let i = chosen.iter().position(|c| {
            line.len() >= c.prefix.len()
                && line.is_char_boundary(c.prefix.len())
                && line[..c.prefix.len()].eq_ignore_ascii_case(&c.prefix)
        })?;
        Some(chosen.remove(i))
    }

    /// How long a connection may stay silent before the server closes it.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.idle_timeout_ms.load(Ordering::SeqCst))
    }

    /// Changes the idle timeout for connections' next wait.
    pub fn set_idle_timeout(&self, d: Duration) {
        self.inner
            .idle_timeout_ms
            .store(d.as_millis() as u64, Ordering::SeqCst);
    }
}

/// Handle to the whole simulated cluster: every member by name and the shared store.
#[derive(Clone)]
pub struct CgpControl {
    pub(crate) members: Vec<CgpMember>,
    pub(crate) cluster_network: Arc<Mutex<StoredDict>>,
}

impl CgpControl {
    /// The member `name`. Panics on an unknown name (a test bug).
    pub fn member(&self, name: &str) -> &CgpMember {
        self.members
            .iter()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("no CGP member named {name:?} in this cluster"))
    }

    pub fn members(&self) -> &[CgpMember] {
        &self.members
    }

    pub fn cluster_settings(&self, member: &str) -> StoredDict {
        self.member(member).cluster_settings()
    }

    pub fn set_cluster_settings(&self, member: &str, dict: StoredDict) {
        self.member(member).set_cluster_settings(dict)
    }

    pub fn network(&self, member: &str) -> StoredDict {
        self.member(member).network()
    }

    pub fn set_network(&self, member: &str, dict: StoredDict) {
        self.member(member).set_network(dict)
    }

    pub fn cluster_network(&self) -> StoredDict {
        lock(&self.cluster_network).clone()
    }

    pub fn set_cluster_network(&self, dict: StoredDict) {
        *lock(&self.cluster_network) = dict;
    }

    pub fn command_log(&self, member: &str) -> Vec<String> {
        self.member(member).command_log()
    }

    pub fn logins(&self, member: &str) -> usize {
        self.member(member).logins()
    }

    pub fn refreshes(&self, member: &str) -> usize {
        self.member(member).refreshes()
    }
}
