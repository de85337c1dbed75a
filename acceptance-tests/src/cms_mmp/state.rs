//! State of one simulated CMS node (XMPP call bridge accounts, command log,
//! fault injection, uploaded files, its place on the lab [`Fabric`]) and the
//! [`NodeControl`] handle tests use to inspect and change it while the node runs.
//!
//! Database cluster state lives in the [`Fabric`] (it spans nodes); the
//! database accessors of [`NodeControl`] are in [`super::database`], the file
//! accessors in [`super::files`].

use std::collections::{BTreeMap, HashMap};
use std::net::{Shutdown, TcpStream as StdTcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};

use super::fabric::{Fabric, NodeId};
use super::files::StoredFile;

/// A fault that closes the connection on a matching command, after or before applying it.
#[derive(Debug, Clone)]
pub(crate) struct DropFault {
    pub prefix: String,
    pub remaining: u32,
    pub applied: bool,
}

/// What a matching drop fault does to the command that triggered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    AfterApplying,
    BeforeApplying,
}

#[derive(Default)]
pub(crate) struct Faults {
    pub reply_delay: Duration,
    pub refuse_login: bool,
    pub drops: Vec<DropFault>,
}

pub(crate) struct Inner {
    pub hostname: String,
    pub username: String,
    pub password: String,
    pub xmpp_domain: String,
    /// Call bridge name -> secret. A `BTreeMap` keeps names sorted, as
    /// `xmpp callbridge list` shows them.
    pub callbridges: Mutex<BTreeMap<String, String>>,
    pub command_log: Mutex<Vec<String>>,
    pub faults: Mutex<Faults>,
    pub host_key: Mutex<Arc<russh::server::Config>>,
    pub authorized_keys: Mutex<Vec<PublicKey>>,
    pub active_sessions: AtomicUsize,
    pub total_logins: AtomicUsize,
    /// Duplicated sockets of live connections, used to cut them abruptly.
    pub connections: Mutex<HashMap<u64, StdTcpStream>>,
    pub next_connection_id: AtomicU64,
    pub stopping: AtomicBool,
    /// Files uploaded over SFTP (flat name space), sorted by name.
    pub files: Mutex<BTreeMap<String, StoredFile>>,
    /// The lab-wide registry holding this node's database cluster state.
    pub fabric: Fabric,
    /// This node's id on [`Inner::fabric`].
    pub fabric_id: NodeId,
    /// The address other nodes reach this one at (`database cluster join <address>`).
    pub address: String,
}

/// Cheap, cloneable handle to a running simulated CMS node.
#[derive(Clone)]
pub struct NodeControl {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Builds the russh server configuration around a fresh random Ed25519 host key.
pub(crate) fn server_config_with_new_key() -> Arc<russh::server::Config> {
    let key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
        .expect("generating an Ed25519 host key");
    let methods =
        russh::MethodSet::from(&[russh::MethodKind::Password, russh::MethodKind::PublicKey][..]);
    Arc::new(russh::server::Config {
        server_id: russh::SshId::Standard("SSH-2.0-OpenSSH_7.4".into()),
        methods,
        auth_rejection_time: Duration::from_millis(20),
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        inactivity_timeout: None,
        nodelay: true,
        ..Default::default()
    })
}

impl NodeControl {
    /// A node alone on its own private fabric, at address `127.0.0.1`.
    #[cfg(test)]
    pub(crate) fn new(
        hostname: String,
        username: String,
        password: String,
        xmpp_domain: String,
    ) -> Self {
        Self::new_in(
            hostname,
            username,
            password,
            xmpp_domain,
            Fabric::default(),
            "127.0.0.1".to_string(),
        )
    }

    /// A node registered on `fabric` under `address`.
    pub(crate) fn new_in(
        hostname: String,
        username: String,
        password: String,
        xmpp_domain: String,
        fabric: Fabric,
        address: String,
    ) -> Self {
        let fabric_id = fabric.register(&address);
        NodeControl {
            inner: Arc::new(Inner {
                hostname,
                username,
                password,
                xmpp_domain,
                callbridges: Mutex::new(BTreeMap::new()),
                command_log: Mutex::new(Vec::new()),
                faults: Mutex::new(Faults::default()),
                host_key: Mutex::new(server_config_with_new_key()),
                authorized_keys: Mutex::new(Vec::new()),
                active_sessions: AtomicUsize::new(0),
                total_logins: AtomicUsize::new(0),
                connections: Mutex::new(HashMap::new()),
                next_connection_id: AtomicU64::new(1),
                stopping: AtomicBool::new(false),
                files: Mutex::new(BTreeMap::new()),
                fabric,
                fabric_id,
                address,
            }),
        }
    }

    /// The node's hostname (also its MMP prompt, `<hostname>> `).
    pub fn hostname(&self) -> String {
        self.inner.hostname.clone()
    }

    /// The address other nodes of the fabric reach this node at (its bind IP).
    pub fn address(&self) -> String {
        self.inner.address.clone()
    }

    /// The XMPP domain shown by `xmpp status` and `xmpp callbridge list`.
    pub fn xmpp_domain(&self) -> String {
        self.inner.xmpp_domain.clone()
    }

    pub(crate) fn server_config(&self) -> Arc<russh::server::Config> {
        lock(&self.inner.host_key).clone()
    }

    fn host_public_key(&self) -> PublicKey {
        self.server_config().keys[0].public_key().clone()
    }

    /// `SHA256:...` fingerprint of the current host key.
    pub fn host_key_fingerprint(&self) -> String {
        self.host_public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string()
    }

    /// Current host public key in OpenSSH format, `ssh-ed25519 AAAA...` (no comment).
    pub fn host_key_openssh(&self) -> String {
        let mut key = self.host_public_key();
        key.set_comment("");
        key.to_openssh()
            .expect("encoding host key")
            .trim()
            .to_string()
    }

    /// Call bridge accounts as `(name, secret)`, sorted by name.
    pub fn callbridges(&self) -> Vec<(String, String)> {
        lock(&self.inner.callbridges)
            .iter()
            .map(|(n, s)| (n.clone(), s.clone()))
            .collect()
    }

    /// Adds (or overwrites) a call bridge account behind terraform's back.
    pub fn add_callbridge(&self, name: &str, secret: &str) {
        lock(&self.inner.callbridges).insert(name.to_string(), secret.to_string());
    }

    /// Removes a call bridge account behind terraform's back; `false` if it did not exist.
    pub fn remove_callbridge(&self, name: &str) -> bool {
        lock(&self.inner.callbridges).remove(name).is_some()
    }

    pub(crate) fn with_callbridges<R>(
        &self,
        f: impl FnOnce(&mut BTreeMap<String, String>) -> R,
    ) -> R {
        f(&mut lock(&self.inner.callbridges))
    }

    /// Every command line received (shell and exec), in order. Secrets typed
    /// at the `add-secret` prompt are not logged; empty lines are not logged.
    pub fn command_log(&self) -> Vec<String> {
        lock(&self.inner.command_log).clone()
    }

    pub(crate) fn log_command(&self, line: &str) {
        lock(&self.inner.command_log).push(line.to_string());
    }

    /// Delay applied before each reply the shell sends for a command.
    pub fn set_reply_delay(&self, d: Duration) {
        lock(&self.inner.faults).reply_delay = d;
    }

    pub(crate) fn reply_delay(&self) -> Duration {
        lock(&self.inner.faults).reply_delay
    }

    /// When `true`, every authentication attempt is rejected.
    pub fn set_refuse_login(&self, refuse: bool) {
        lock(&self.inner.faults).refuse_login = refuse;
    }

    pub(crate) fn refuse_login(&self) -> bool {
        lock(&self.inner.faults).refuse_login
    }

    /// Replaces the host key with a new random one for subsequent connections
    /// (simulates a replaced or impersonated device).
    pub fn rotate_host_key(&self) {
        *lock(&self.inner.host_key) = server_config_with_new_key();
    }

    /// The next `times` commands whose line starts with `command_prefix` are
    /// applied to the state, then the TCP connection is closed abruptly
    /// (no SSH disconnect, no output, no prompt, not even the echo).
    pub fn drop_connection_after(&self, command_prefix: &str, times: u32) {
        self.add_drop_fault(command_prefix, times, true);
    }

    /// The next `times` commands starting with `command_prefix` are NOT applied: the connection
    /// closes as soon as the line arrives (a device that went away, or a link that broke, while
    /// the command was on its way).
    pub fn drop_connection_before(&self, command_prefix: &str, times: u32) {
        self.add_drop_fault(command_prefix, times, false);
    }

    fn add_drop_fault(&self, command_prefix: &str, times: u32, applied: bool) {
        if times == 0 {
            return;
        }
        lock(&self.inner.faults).drops.push(DropFault {
            prefix: command_prefix.to_string(),
            remaining: times,
            applied,
        });
    }

    /// Consumes one matching drop fault for `line`, saying how the connection must be cut.
    pub(crate) fn take_drop_fault(&self, line: &str) -> Option<Cut> {
        let mut faults = lock(&self.inner.faults);
        let hit = faults
            .drops
            .iter_mut()
            .find(|f| f.remaining > 0 && line.starts_with(&f.prefix));
        let cut = hit.map(|f| {
            f.remaining -= 1;
            if f.applied {
                Cut::AfterApplying
            } else {
                Cut::BeforeApplying
            }
        });
        faults.drops.retain(|f| f.remaining > 0);
        cut
    }

    /// Removes every injected fault (delay, refused login, pending drops).
    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = Faults::default();
    }

    /// Number of currently open SSH (TCP) connections.
    pub fn active_sessions(&self) -> usize {
        self.inner.active_sessions.load(Ordering::SeqCst)
    }

    /// Successful authentications since start.
    pub fn total_logins(&self) -> usize {
        self.inner.total_logins.load(Ordering::SeqCst)
    }

    /// Authorizes public-key login for the configured user with this key
    /// (one OpenSSH `authorized_keys`-style line, `ssh-ed25519 AAAA... [comment]`).
    /// Models the MMP's `<username>.pub` uploaded over SFTP (devices.md 1.4, [GUESS]).
    ///
    /// Panics on a line that is not an OpenSSH public key (a test bug).
    pub fn authorize_key(&self, openssh_public_key_line: &str) {
        let key = PublicKey::from_openssh(openssh_public_key_line.trim())
            .unwrap_or_else(|e| panic!("authorize_key: invalid OpenSSH public key: {e}"));
        lock(&self.inner.authorized_keys).push(key);
    }

    pub(crate) fn is_authorized_key(&self, key: &PublicKey) -> bool {
        lock(&self.inner.authorized_keys)
            .iter()
            .any(|k| k.key_data() == key.key_data())
    }

    pub(crate) fn check_password(&self, user: &str, password: &str) -> bool {
        !self.refuse_login() && user == self.inner.username && password == self.inner.password
    }

    pub(crate) fn check_publickey(&self, user: &str, key: &PublicKey) -> bool {
        !self.refuse_login() && user == self.inner.username && self.is_authorized_key(key)
    }

    pub(crate) fn register_connection(&self, socket: StdTcpStream) -> u64 {
        let id = self.inner.next_connection_id.fetch_add(1, Ordering::SeqCst);
        lock(&self.inner.connections).insert(id, socket);
        id
    }

    /// Abruptly cuts one connection (TCP shutdown, no SSH disconnect message).
    pub(crate) fn cut_connection(&self, id: u64) {
        if let Some(s) = lock(&self.inner.connections).remove(&id) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    pub(crate) fn cut_all_connections(&self) {
        for (_, s) in lock(&self.inner.connections).drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}
