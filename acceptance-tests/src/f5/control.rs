//! The state of one simulated BIG-IP (configuration, tokens, faults, TLS identity) and the
//! [`F5Control`] handle tests use to look at it and change it while it runs.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use super::auth::Tokens;
use super::names::FullName;
use super::schema::Collection;
use super::state::Config;
use crate::faults::Faults;
use crate::lab_ca::{Identity, LabCa};

pub(crate) struct Inner {
    pub name: String,
    pub username: String,
    pub password: String,
    pub config: Mutex<Config>,
    pub tokens: Mutex<Tokens>,
    pub faults: Faults,
    pub identity: Mutex<Identity>,
    pub ca: Arc<LabCa>,
    pub stopping: AtomicBool,
}

/// Cheap, cloneable handle to a running simulated BIG-IP.
#[derive(Clone)]
pub struct F5Control {
    pub(crate) inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl F5Control {
    pub(crate) fn new(
        name: String,
        username: String,
        password: String,
        ca: Arc<LabCa>,
    ) -> anyhow::Result<F5Control> {
        let identity = Identity::issue(&ca)?;
        Ok(F5Control {
            inner: Arc::new(Inner {
                name,
                username,
                password,
                config: Mutex::new(Config::new()),
                tokens: Mutex::new(Tokens::default()),
                faults: Faults::default(),
                identity: Mutex::new(identity),
                ca,
                stopping: AtomicBool::new(false),
            }),
        })
    }

    pub(crate) fn config(&self) -> MutexGuard<'_, Config> {
        lock(&self.inner.config)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        lock(&self.inner.tokens)
    }

    pub(crate) fn tls(&self) -> Arc<rustls::ServerConfig> {
        lock(&self.inner.identity).server.clone()
    }

    /// The device's name in the lab.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    pub fn username(&self) -> &str {
        &self.inner.username
    }

    /// The shared fault state (delay, refused login, drops, command log, counters).
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Every `METHOD /path` received, in order.
    pub fn command_log(&self) -> Vec<String> {
        self.inner.faults.command_log()
    }

    /// Every token expires now: the next request with one gets "X-F5-Auth-Token has expired."
    pub fn expire_tokens(&self) {
        self.tokens().expire_all();
    }

    /// Tokens that would still be accepted.
    pub fn live_tokens(&self) -> usize {
        self.tokens().live()
    }

    /// The box-wide change counter.
    pub fn generation(&self) -> u64 {
        self.config().generation()
    }

    /// The object at `/mgmt/tm/ltm/<collection>` (`"pool"`, `"profile/fastl4"`) named
    /// `full_path` (`/Common/Frontends`), as a GET with `expandSubcollections=true` shows it.
    pub fn object(&self, collection: &str, full_path: &str) -> Option<Value> {
        let c = Collection::from_path(collection)?;
        let name = super::names::from_reference(full_path)?;
        self.config().get(c, &name, true).ok()
    }

    /// Full paths of the objects of a collection, built-in ones included.
    pub fn names(&self, collection: &str) -> Vec<String> {
        let Some(c) = Collection::from_path(collection) else {
            return Vec::new();
        };
        let listing = self.config().list(c, false);
        listing["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i["fullPath"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Changes the box behind the API's back (a test's "change made by hand"): `change` gets
    /// the configuration.
    pub fn edit<T>(&self, change: impl FnOnce(&mut Config) -> T) -> T {
        change(&mut self.config())
    }

    /// The certificate presented now (PEM).
    pub fn cert_pem(&self) -> String {
        lock(&self.inner.identity).cert_pem.clone()
    }

    /// SHA-256 of the certificate presented now, `AB:CD:...`.
    pub fn cert_sha256(&self) -> String {
        lock(&self.inner.identity).sha256.clone()
    }

    /// The CA that issued it (PEM).
    pub fn ca_pem(&self) -> String {
        self.inner.ca.cert_pem()
    }

    /// A new certificate with a new key from the lab CA, presented to every new connection.
    pub fn rotate_certificate(&self) -> anyhow::Result<()> {
        let identity = Identity::issue(&self.inner.ca)?;
        *lock(&self.inner.identity) = identity;
        Ok(())
    }

    /// A full name for tests: `/Common/x`.
    pub fn full_name(path: &str) -> Option<FullName> {
        super::names::from_reference(path)
    }
}
