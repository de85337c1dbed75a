//! The one door from resources to devices. Resources hold a [`Devices`], turn a node's
//! configuration into a target with [`Devices::ssh_target`] or [`Devices::sql_target`], and open
//! sessions with [`Devices::mmp`], [`Devices::host`] and [`Devices::sql`]. They import this module,
//! never `providers/` (which fills the settings in) nor the pools of `transport/`.
//!
//! Settings come per transport ([`SshSettings`], [`SqlSettings`]); a provider type composes the
//! pieces its devices need instead of growing one struct.

pub mod cms_api;
pub mod imp;
mod sql;
mod ssh;

pub use crate::transport::exec::{ExecOutput, HostSession};
pub use crate::transport::host_key::is_valid_fingerprint;
pub use crate::transport::https::{
    HttpsAuth, HttpsReply, HttpsRequest, HttpsTarget, HttpsTurn, Method, TokenLogin,
};
pub use crate::transport::interactive_shell::{PromptAnswer, PromptGrammar, ShellSession};
pub use crate::transport::line::{LineProtocol, LineSession, LineTarget};
pub use crate::transport::local;
pub use crate::transport::mysql::{MysqlSession, MysqlTarget};
pub use crate::transport::pool::PoolTarget;
pub use crate::transport::ssh::SshTarget;
pub use crate::transport::tls::{CertificateFingerprint, TrustPolicy};
pub use crate::transport::TransportError;
pub use sql::{SqlEndpoint, SqlSettings};
pub use ssh::{NodeConnection, SshSettings};

use crate::transport::exec::HostPool;
use crate::transport::https::HttpsPool;
use crate::transport::interactive_shell::ShellPool;
use crate::transport::line::LinePool;
use crate::transport::mysql::MysqlPool;
use std::sync::RwLock;

/// What every resource of one provider process shares: the provider block's settings and the
/// per-device session pools (interactive shells, host exec connections, SQL connections).
pub struct Devices {
    settings: RwLock<Option<Settings>>,
    shells: ShellPool,
    hosts: HostPool,
    mysql: MysqlPool,
    https: HttpsPool,
    lines: LinePool,
}

/// The provider block's settings, by transport.
#[derive(Clone, Debug)]
pub struct Settings {
    pub ssh: SshSettings,
    /// Only for provider types whose devices also have a SQL side.
    pub sql: Option<SqlSettings>,
    /// Only for provider types whose devices also have a REST API (CMS's Web Admin).
    pub api: Option<cms_api::ApiSettings>,
    /// CMS's unpublished labels and words, with the site's `fact_overrides` (elsewhere the
    /// built-in tables, unused).
    pub cms_facts: crate::devices::cms::facts::Facts,
}

const NOT_CONFIGURED: &str = "the provider is not configured yet";

impl Devices {
    /// The devices of one provider type, whose interactive shells answer with `prompt`.
    pub fn new(prompt: &'static dyn PromptGrammar) -> Self {
        Devices {
            settings: RwLock::default(),
            shells: ShellPool::new(prompt),
            hosts: HostPool::default(),
            mysql: MysqlPool::default(),
            https: HttpsPool::default(),
            lines: LinePool::default(),
        }
    }

    /// Called by the provider's `configure`.
    pub fn configure(&self, settings: Settings) {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = Some(settings);
    }

    fn settings(&self) -> Result<Settings, String> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| NOT_CONFIGURED.to_string())
    }

    /// The provider's SSH settings (e.g. its default port, for plan-time checks).
    pub fn ssh_settings(&self) -> Result<SshSettings, String> {
        self.settings().map(|s| s.ssh)
    }

    /// The SSH target for one node: its overrides first, then the provider's settings.
    pub fn ssh_target(&self, node: &NodeConnection) -> Result<SshTarget, String> {
        self.ssh_settings()?.target(node)
    }

    /// CMS's unpublished status labels and words as this provider block overrides them.
    pub fn cms_facts(&self) -> Result<crate::devices::cms::facts::Facts, String> {
        self.settings().map(|s| s.cms_facts)
    }

    /// The MySQL target for one endpoint: its own admin account, else the provider's.
    pub fn sql_target(&self, endpoint: &SqlEndpoint) -> Result<MysqlTarget, String> {
        let settings = self.settings()?;
        let sql = settings
            .sql
            .ok_or_else(|| "this provider type has no SQL settings".to_string())?;
        sql.target(endpoint)
    }

    /// The REST API of the node whose Web Admin is at `host:port`, with the provider's API
    /// account and trust.
    pub fn api(&self, host: &str, port: u16) -> Result<cms_api::Api<'_>, String> {
        let api = self
            .settings()?
            .api
            .ok_or_else(|| "this provider type has no REST API settings".to_string())?;
        Ok(cms_api::Api {
            devices: self,
            target: api.target(host, port)?,
        })
    }

    /// The interactive shell (the MMP) of one node, opened on first use, then shared.
    pub async fn mmp<'a>(&self, target: &'a SshTarget) -> ShellSession<'a> {
        self.shells.session(target).await
    }

    /// Command execution on one Linux host.
    pub async fn host<'a>(&self, target: &'a SshTarget) -> HostSession<'a> {
        self.hosts.session(target).await
    }

    /// The HTTPS client of one device's API (its keep-alive connections and login token).
    pub async fn https<'a>(
        &self,
        target: &'a HttpsTarget,
    ) -> Result<HttpsTurn<'a>, TransportError> {
        self.https.https(target).await
    }

    /// The line-protocol connection of one device (HAProxy's runtime API, the CGP CLI).
    pub async fn line<'a>(&self, target: &'a LineTarget) -> LineSession<'a> {
        self.lines.session(target).await
    }

    /// The SQL connection of one server.
    pub async fn sql<'a>(&self, target: &'a MysqlTarget) -> MysqlSession<'a> {
        self.mysql.session(target).await
    }
}
