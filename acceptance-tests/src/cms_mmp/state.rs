//! State of one simulated CMS node (XMPP call bridge accounts, command log,
//! fault injection, uploaded files, services, MMP users, its place on the lab
//! [`Fabric`]) and the [`NodeControl`] handle tests use to inspect and change it
//! while the node runs.
//!
//! Database and XMPP cluster state live in the [`Fabric`] (they span nodes); the
//! database accessors of [`NodeControl`] are in [`super::database`], the XMPP
//! cluster ones in [`super::xmpp_cluster`], the file accessors in [`super::files`],
//! the service accessors in [`super::services`], the user accessors in
//! [`super::users`], the REST API's in [`super::rest`].

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};

use super::fabric::{Fabric, NodeId};
use super::files::StoredFile;
use super::rest::NodeApi;
use super::services::Services;
use super::users::User;
use crate::faults::Faults;

pub(crate) struct Inner {
    pub hostname: String,
    /// The login user (SSH); its password is its entry in [`Inner::users`].
    pub username: String,
    /// MMP users by name (`user list`), the login user among them.
    pub users: Mutex<BTreeMap<String, User>>,
    /// Web Admin, Call Bridge, XMPP server and Web Bridge (the XMPP domain among them); shared
    /// with the fabric's XMPP cluster state, which reads the XMPP server's flags.
    pub services: Arc<Mutex<Services>>,
    /// Call bridge name -> secret. A `BTreeMap` keeps names sorted, as
    /// `xmpp callbridge list` shows them.
    pub callbridges: Mutex<BTreeMap<String, String>>,
    /// Injected faults, the command log, session counters and live connections.
    pub faults: Faults,
    pub host_key: Mutex<Arc<russh::server::Config>>,
    pub authorized_keys: Mutex<Vec<PublicKey>>,
    pub stopping: AtomicBool,
    /// Files uploaded over SFTP (flat name space), sorted by name.
    pub files: Mutex<BTreeMap<String, StoredFile>>,
    /// The lab-wide registry holding this node's database cluster state.
    pub fabric: Fabric,
    /// This node's id on [`Inner::fabric`].
    pub fabric_id: NodeId,
    /// The address other nodes reach this one at (`database cluster join <address>`); also
    /// the bind IP of the Web Admin's API listener.
    pub address: String,
    /// The REST API's per-node settings and its listener ([`super::rest`]).
    pub api: NodeApi,
    /// Status labels this node prints otherwise, as (command word, built-in label, label):
    /// a test plays a release that words its status differently.
    pub relabels: Mutex<Vec<(String, String, String)>>,
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
        let services = Arc::new(Mutex::new(Services::new(&xmpp_domain)));
        fabric
            .xmpp()
            .register(fabric_id, &address, &hostname, services.clone());
        let login = User {
            role: "admin".to_string(),
            password,
        };
        let inner = Arc::new(Inner {
            hostname,
            users: Mutex::new(BTreeMap::from([(username.clone(), login)])),
            username,
            services,
            callbridges: Mutex::new(BTreeMap::new()),
            faults: Faults::default(),
            host_key: Mutex::new(server_config_with_new_key()),
            authorized_keys: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            files: Mutex::new(BTreeMap::new()),
            fabric,
            fabric_id,
            address,
            api: NodeApi::default(),
            relabels: Mutex::default(),
        });
        inner.fabric.attach(fabric_id, &inner);
        NodeControl { inner }
    }

    /// The node's hostname (also its MMP prompt, `<hostname>> `).
    pub fn hostname(&self) -> String {
        self.inner.hostname.clone()
    }

    /// The address other nodes of the fabric reach this node at (its bind IP).
    pub fn address(&self) -> String {
        self.inner.address.clone()
    }

    /// The XMPP domain shown by `xmpp status` and `xmpp callbridge list`: the node's
    /// configured one until `xmpp domain` changes it; empty when unset.
    pub fn xmpp_domain(&self) -> String {
        self.xmpp_config().domain.unwrap_or_default()
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

    /// The node's fault controls, command log and session counters (shared by every simulator).
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Every command line received (shell and exec), in order. Secrets typed
    /// at the `add-secret` prompt are not logged; empty lines are not logged.
    pub fn command_log(&self) -> Vec<String> {
        self.faults().command_log()
    }

    /// Delay applied before each reply the shell sends for a command.
    pub fn set_reply_delay(&self, d: Duration) {
        self.faults().set_reply_delay(d);
    }

    /// When `true`, every authentication attempt is rejected.
    pub fn set_refuse_login(&self, refuse: bool) {
        self.faults().set_refuse_login(refuse);
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
        self.faults().drop_connection_after(command_prefix, times);
    }

    /// The next `times` commands starting with `command_prefix` are NOT applied: the connection
    /// closes as soon as the line arrives (a device that went away, or a link that broke, while
    /// the command was on its way).
    pub fn drop_connection_before(&self, command_prefix: &str, times: u32) {
        self.faults().drop_connection_before(command_prefix, times);
    }

    /// Removes every injected fault (delay, refused login, pending drops).
    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    /// Number of currently open SSH (TCP) connections.
    pub fn active_sessions(&self) -> usize {
        self.faults().active_sessions()
    }

    /// Successful authentications since start.
    pub fn total_logins(&self) -> usize {
        self.faults().total_logins()
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

    /// SSH password login: the login user only, with its current MMP password.
    pub(crate) fn check_password(&self, user: &str, password: &str) -> bool {
        !self.faults().refuses_login()
            && user == self.inner.username
            && self.check_user_password(user, password)
    }

    pub(crate) fn check_publickey(&self, user: &str, key: &PublicKey) -> bool {
        !self.faults().refuses_login() && user == self.inner.username && self.is_authorized_key(key)
    }
}
