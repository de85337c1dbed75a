//! The Cisco Meeting Server REST API (the one behind the Web Admin) of a simulated CMS node,
//! over HTTPS on the Web Admin's port, as far as a Call Bridge cluster, the Call Bridge's XMPP
//! connection and the Web Bridges go.
//!
//! Sources (devices.md 1.3): the Cisco Meeting Server API Reference (paths under `/api/v1`,
//! form parameters, XML replies, `Location` on create, `offset`/`limit` paging with `total`, the
//! `failureDetails` pattern, "Web Bridge related methods"); Cisco TAC 212298 (an API trace:
//! `/callBridges` list and object, `/system/status`); the Java client model
//! `ConfigurationCluster` (the `/system/configuration/cluster` fields); the seed
//! cms-failover-cluster-part2a (Web Admin Configuration > Cluster and > General, "Connecting
//! Call Bridge to XMPP"). Everything marked [GUESS] is not documented and was chosen here.
//!
//! Layout: [`server`] (the listener's life with the Web Admin, TLS from the Web Admin's files,
//! the shared HTTPS loops of [`crate::https`] with the node's faults), [`api`] (authentication,
//! routes, parameters, paging, failures), [`collections`] (`/callBridges` and `/webBridges`:
//! keys, failure reasons, XML), [`objects`] (the objects, their parameters and what each
//! accepts), [`form`] (the form body), [`xml`] (the replies' XML), [`xmpp_link`] (the XMPP
//! connection and its alarm, across the lab's nodes).
//!
//! Where things live: `/system/configuration/cluster` and `/system/configuration/xmpp` per node
//! (`NodeApi`); `/callBridges` and `/webBridges` in the Call Bridge's database
//! ([`ApiDatabase`]), which the [`super::fabric`] shares across a database cluster.

pub mod api;
pub mod collections;
pub mod form;
pub mod objects;
pub mod server;
pub mod xml;
pub mod xmpp_link;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::Context;

pub use objects::{ApiCallBridge, ApiClusterConfig, ApiDatabase, ApiWebBridge, ApiXmppConfig};
pub use xmpp_link::XmppLink;

use super::services::WEBADMIN_ENABLED;
use super::shell::{run_command, Reply};
use super::state::{lock, NodeControl};

/// Objects per page of a collection GET unless a test sets another
/// ([`NodeControl::set_api_page_limit`]) [GUESS].
pub const DEFAULT_PAGE_LIMIT: usize = 10;
/// The files [`NodeControl::enable_webadmin_api`] stores.
pub const WEBADMIN_API_KEY_FILE: &str = "webadmin-api.key";
pub const WEBADMIN_API_CERT_FILE: &str = "webadmin-api.cer";

/// An active alarm.
#[derive(Debug, Clone)]
pub struct ActiveAlarm {
    pub id: String,
    /// Its `type`.
    pub kind: String,
    /// When the simulator first saw it active.
    pub since: Instant,
}

/// The API settings a node keeps for itself.
pub(crate) struct ApiSettings {
    pub cluster: ApiClusterConfig,
    pub xmpp: ApiXmppConfig,
    pub page_limit: usize,
    /// The XMPP connection alarm while active ([`xmpp_link::alarms`]).
    pub xmpp_alarm: Option<ActiveAlarm>,
    /// The type that alarm has: [`xmpp_link::XMPP_ALARM_TYPE`], unless a test plays a release
    /// that names it otherwise.
    pub xmpp_alarm_type: String,
}

/// A node's API: its own settings, its listener, and when it started (`uptimeSeconds`).
pub(crate) struct NodeApi {
    pub settings: Mutex<ApiSettings>,
    pub listener: Mutex<server::ListenerSlot>,
    pub started: Instant,
}

impl Default for NodeApi {
    fn default() -> Self {
        NodeApi {
            settings: Mutex::new(ApiSettings {
                cluster: ApiClusterConfig::default(),
                xmpp: ApiXmppConfig::default(),
                page_limit: DEFAULT_PAGE_LIMIT,
                xmpp_alarm: None,
                xmpp_alarm_type: xmpp_link::XMPP_ALARM_TYPE.to_string(),
            }),
            listener: Mutex::default(),
            started: Instant::now(),
        }
    }
}

/// A port nobody listens on at `ip` now (what the OS hands out for port 0).
fn free_port(ip: std::net::IpAddr) -> anyhow::Result<u16> {
    let probe = std::net::TcpListener::bind((ip, 0)).context("finding a free port")?;
    Ok(probe.local_addr()?.port())
}

/// The API's state, for tests: read it, change it behind terraform's back, start the API.
impl NodeControl {
    fn with_api_settings<R>(&self, f: impl FnOnce(&mut ApiSettings) -> R) -> R {
        f(&mut lock(&self.inner.api.settings))
    }

    /// Runs `f` on the API objects this node sees (its database cluster's, or its own).
    pub(crate) fn api_objects<R>(&self, f: impl FnOnce(&mut ApiDatabase) -> R) -> R {
        self.db(|s, id, _| f(s.api_database(id)))
    }

    /// This Call Bridge's identity (`/system/configuration/cluster`).
    pub fn api_cluster_config(&self) -> ApiClusterConfig {
        self.with_api_settings(|s| s.cluster.clone())
    }

    /// Changes the Call Bridge identity behind terraform's back.
    pub fn update_api_cluster_config(&self, f: impl FnOnce(&mut ApiClusterConfig)) {
        self.with_api_settings(|s| f(&mut s.cluster));
    }

    /// The Call Bridge's XMPP connection settings, the shared secret included.
    pub fn api_xmpp_config(&self) -> ApiXmppConfig {
        self.with_api_settings(|s| s.xmpp.clone())
    }

    /// Changes the XMPP connection settings behind terraform's back.
    pub fn update_api_xmpp_config(&self, f: impl FnOnce(&mut ApiXmppConfig)) {
        self.with_api_settings(|s| f(&mut s.xmpp));
    }

    /// The clustered Call Bridges this node sees, in creation order.
    pub fn api_call_bridges(&self) -> Vec<ApiCallBridge> {
        self.api_objects(|db| db.call_bridges.clone())
    }

    /// Adds a clustered Call Bridge behind terraform's back (no checks: a name may be
    /// duplicated); its new id.
    pub fn api_add_call_bridge(
        &self,
        name: &str,
        address: &str,
        sip_domain: Option<&str>,
    ) -> String {
        let cb = ApiCallBridge {
            id: objects::new_id(),
            name: name.to_string(),
            address: address.to_string(),
            sip_domain: sip_domain.map(str::to_string),
        };
        let id = cb.id.clone();
        self.api_objects(|db| db.call_bridges.push(cb));
        id
    }

    /// Removes the (first) Call Bridge named `name`; `false` if there is none.
    pub fn api_remove_call_bridge(&self, name: &str) -> bool {
        self.api_objects(|db| {
            let at = db.call_bridges.iter().position(|c| c.name == name);
            at.map(|i| db.call_bridges.remove(i)).is_some()
        })
    }

    /// Changes the (first) Call Bridge named `name` (its id stays unless `f` changes it);
    /// `false` if there is none.
    pub fn api_update_call_bridge(&self, name: &str, f: impl FnOnce(&mut ApiCallBridge)) -> bool {
        self.api_objects(|db| db.call_bridges.iter_mut().find(|c| c.name == name).map(f))
            .is_some()
    }

    /// The Web Bridges this node sees, in creation order.
    pub fn api_web_bridges(&self) -> Vec<ApiWebBridge> {
        self.api_objects(|db| db.web_bridges.clone())
    }

    /// Adds a Web Bridge with the create defaults behind terraform's back; its new id.
    pub fn api_add_web_bridge(&self, url: &str) -> String {
        let wb = ApiWebBridge {
            id: objects::new_id(),
            url: url.to_string(),
            ..ApiWebBridge::default()
        };
        let id = wb.id.clone();
        self.api_objects(|db| db.web_bridges.push(wb));
        id
    }

    /// Changes the (first) Web Bridge with this `url`; `false` if there is none.
    pub fn api_update_web_bridge(&self, url: &str, f: impl FnOnce(&mut ApiWebBridge)) -> bool {
        self.api_objects(|db| db.web_bridges.iter_mut().find(|w| w.url == url).map(f))
            .is_some()
    }

    /// Removes the (first) Web Bridge with this `url`; `false` if there is none.
    pub fn api_remove_web_bridge(&self, url: &str) -> bool {
        self.api_objects(|db| {
            let at = db.web_bridges.iter().position(|w| w.url == url);
            at.map(|i| db.web_bridges.remove(i)).is_some()
        })
    }

    /// Plays a release whose XMPP connection alarm has type `kind` (the provider's
    /// `fact_overrides` `xmpp_alarm` is for such a release).
    pub fn set_xmpp_alarm_type(&self, kind: &str) {
        self.with_api_settings(|s| {
            s.xmpp_alarm_type = kind.to_string();
            s.xmpp_alarm = None;
        });
    }

    /// Objects per page of a collection GET (at least 1).
    pub fn set_api_page_limit(&self, n: usize) {
        self.with_api_settings(|s| s.page_limit = n.max(1));
    }

    pub(crate) fn api_page_limit(&self) -> usize {
        self.with_api_settings(|s| s.page_limit)
    }

    /// The state of the Call Bridge's XMPP connection now ([`xmpp_link`]).
    pub fn xmpp_link(&self) -> XmppLink {
        xmpp_link::link(self, &self.api_xmpp_config())
    }

    /// Whether the Call Bridge's XMPP connection is up now (also brings the alarm up to date).
    pub fn xmpp_connected(&self) -> bool {
        xmpp_link::alarms(self);
        self.xmpp_link() == XmppLink::Connected
    }

    /// Where the API listens, while it does.
    pub fn api_addr(&self) -> Option<SocketAddr> {
        server::addr(self)
    }

    /// Why the last start of the API listener failed (cleared by a start that listens).
    pub fn api_listen_error(&self) -> Option<String> {
        server::last_error(self)
    }

    /// Stores `key_pem` / `cert_pem` as [`WEBADMIN_API_KEY_FILE`] / [`WEBADMIN_API_CERT_FILE`],
    /// runs `webadmin listen a <port>`, `webadmin certs <key> <cert>` and `webadmin enable` as
    /// the MMP would (not in the command log), so `webadmin` shows the same, and returns where
    /// the API listens. Port 0 picks a free port first (then configured like any other).
    pub fn enable_webadmin_api(
        &self,
        port: u16,
        key_pem: &str,
        cert_pem: &str,
    ) -> anyhow::Result<SocketAddr> {
        let port = match port {
            0 => {
                let ip = self.address().parse().context("the node's address")?;
                free_port(ip)?
            }
            p => p,
        };
        self.put_file(WEBADMIN_API_KEY_FILE, key_pem);
        self.put_file(WEBADMIN_API_CERT_FILE, cert_pem);
        for command in [
            format!("webadmin listen a {port}"),
            format!("webadmin certs {WEBADMIN_API_KEY_FILE} {WEBADMIN_API_CERT_FILE}"),
            "webadmin enable".to_string(),
        ] {
            let lines = match run_command(self, &command) {
                Reply::Lines(lines) => lines,
                other => anyhow::bail!("{command}: unexpected {other:?}"),
            };
            // The settings print nothing on success; `enable` its key checks and a SUCCESS line.
            let ok = match command.as_str() {
                "webadmin enable" => lines.iter().any(|l| l == WEBADMIN_ENABLED),
                _ => lines.is_empty(),
            };
            if !ok {
                anyhow::bail!("{command}: {}", lines.join(" / "));
            }
        }
        self.api_addr().with_context(|| {
            format!(
                "the Web Admin API is not listening: {}",
                self.api_listen_error().unwrap_or_default()
            )
        })
    }
}
