//! The `imp` provider: Cisco IM and Presence nodes, each reached on its own HTTPS URL (Tomcat,
//! port 8443) with the provider's account: AXL (`/axl/`) on the database publisher and
//! ControlCenterServices on every node, HTTP Basic on each request, one request at a time per
//! node (AXL's write throttle is per node), throttled answers asked again with backoff.

use super::slot::{env, overrides, Slot};
use super::tls_trust::{trust_policy, TRUST};
use crate::backoff::Backoff;
use crate::client::imp::ImpBusy;
use crate::client::{Devices, HttpsAuth, HttpsTarget, TrustPolicy};
use crate::data_sources::imp_database_tables::DatabaseTablesDataSource;
use crate::devices::cms::prompt::MmpPrompt;
use crate::devices::imp::axl::check_version;
use crate::devices::imp::control_center::Report;
use crate::devices::imp::facts::{check_override, Names};
use crate::devices::imp::sql::PeerRow;
use crate::duration::{parse_duration, DurationBounds};
use crate::resources::adapter::Adapted;
use crate::resources::imp_intercluster_peer::InterclusterPeerResource;
use crate::resources::node_checks::USERNAME;
use crate::resources::spec::{attr, rows, Attr, Check, DefaultValue, Presence, Spec, Type};
use crate::resources::values::text;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;
use tf_provider::schema::Schema;
use tf_provider::value::{ValueBool, ValueEmpty, ValueList, ValueString};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

/// Tomcat's HTTPS port on every IM&P node.
pub const HTTPS_PORT: u16 = 8443;

const TIMEOUT_BOUNDS: DurationBounds = DurationBounds::secs(1, 3600);

fn version(v: &str) -> Result<(), String> {
    check_version(v)
}

const SPEC: Spec = Spec {
    description: "uccluster provider for Cisco IM and Presence clusters, through each node's own HTTPS services: AXL (`executeSQLQuery`, and `executeSQLUpdate` only where a resource is told to write with it) on the database publisher, and the Serviceability API's ControlCenterServices (service status and restarts) on every node. Resources: `imp_intercluster_peer`. Data sources: `imp_database_tables` lists the publisher's database tables, to confirm the names the peer table is read under.",
    attrs: &ATTRS,
    blocks: &[],
    timeouts: &[],
};

const OWN: [Attr; 5] = [
    attr("username", Type::Text, Presence::Optional, "An application user with the Standard AXL API Access and Standard CCM Admin Users roles (AXL and Serviceability) on the local clusters, or `IMP_USERNAME`.").check(USERNAME),
    attr("password", Type::Text, Presence::Optional, "Its password, or `IMP_PASSWORD`.").sensitive(),
    attr("axl_version", Type::Text, Presence::Defaulted(DefaultValue::Text("12.5")), "The AXL schema version asked for (`SOAPAction: \"CUCM:DB ver=<v> ...\"` and the body's namespace name the same one), default `12.5`; a server that does not serve it answers HTTP 599.").check(Check::Text { title: "Invalid AXL version", check: version }),
    attr("request_timeout", Type::Text, Presence::Defaulted(DefaultValue::Text("60s")), "Limit for one request's complete answer, from `1s` to `1h` (default `60s`)."),
    attr("sql_overrides", Type::TextList, Presence::Optional, "Names this site's IM&P database uses for entries of the table of unpublished names (the peer table and its columns, the certificate and user columns), as `<id>=<name>` (e.g. `peer_table=interclusterpeer`): see the docs' table for the ids and what each is known from, and `imp_database_tables` to find them.").check(Check::Text { title: "Invalid SQL name override", check: check_override }),
];

/// The provider block's attributes: its own, then the trust of the nodes' HTTPS.
const ATTRS: [Attr; 8] = rows(&OWN, &TRUST);

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ImpProviderConfig<'a> {
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub axl_version: ValueString<'a>,
    pub request_timeout: ValueString<'a>,
    pub sql_overrides: ValueList<ValueString<'a>>,
    pub ca_file: ValueString<'a>,
    pub certificate_sha256: ValueString<'a>,
    pub insecure_skip_tls_verify: ValueBool,
}

/// One run's shared answers by node (the node's base URL and what was asked): every resource
/// and step that asks again gets the first answer (or error) until something is written to
/// that node, as `providers::cgp::Reads` shares a member's dictionaries.
pub struct Shared<V>(tokio::sync::Mutex<HashMap<String, Result<V, String>>>);

impl<V> Default for Shared<V> {
    fn default() -> Self {
        Shared(tokio::sync::Mutex::default())
    }
}

impl<V: Clone> Shared<V> {
    /// The run's answer for `key`, or `read`'s (held while reading, so the others wait for
    /// this read instead of starting their own).
    pub async fn get<F>(&self, key: &str, read: F) -> Result<V, String>
    where
        F: std::future::Future<Output = Result<V, String>>,
    {
        let mut cached = self.0.lock().await;
        if let Some(r) = cached.get(key) {
            return r.clone();
        }
        let r = read.await;
        cached.insert(key.to_string(), r.clone());
        r
    }

    /// The next read of `key` asks the node again.
    pub async fn forget(&self, key: &str) {
        self.0.lock().await.remove(key);
    }
}

/// What one run has read: each node's service states (one `soapGetServiceStatus` for every
/// service any peer needs) and each publisher's peer table (one `executeSQLQuery`).
#[derive(Default)]
pub struct Reads {
    pub services: Shared<Report>,
    pub peers: Shared<Vec<PeerRow>>,
}

/// What the provider block configured, for its resources and data sources.
pub struct Imp {
    pub devices: Devices,
    pub username: String,
    pub password: String,
    pub axl_version: String,
    pub request_timeout: Duration,
    pub trust: TrustPolicy,
    pub names: Names,
    pub reads: Reads,
}

/// `https://host:port` (IPv6 in brackets).
pub fn base_url(host: &str, port: u16) -> String {
    match host.contains(':') {
        true => format!("https://[{host}]:{port}"),
        false => format!("https://{host}:{port}"),
    }
}

impl Imp {
    /// The HTTPS services of the node at `host:port`, with the provider's account.
    pub fn target(&self, host: &str, port: u16) -> HttpsTarget {
        self.target_as(host, port, &self.username, &self.password)
    }

    /// The same, logged in as `username` (a remote cluster's intercluster application user).
    pub fn target_as(&self, host: &str, port: u16, username: &str, password: &str) -> HttpsTarget {
        HttpsTarget {
            base_url: base_url(host, port),
            trust: self.trust.clone(),
            auth: HttpsAuth::Basic {
                username: username.to_string(),
                password: password.to_string(),
            },
            connect_timeout: Duration::from_secs(15),
            request_timeout: self.request_timeout,
            busy_deadline: Duration::from_secs(120),
            busy_backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(5)),
            busy: Some(Arc::new(ImpBusy)),
            // AXL serves one request at a time per node well and throttles writes per node;
            // one writer per publisher follows.
            concurrency_cap: NonZeroUsize::new(1),
            // Below AXL's own 8 MB limit on a query's answer, with room for the envelope.
            max_reply_bytes: 16 << 20,
        }
    }
}

/// The configured provider, once `configure` has run.
pub type ImpSlot = Slot<Imp>;

fn names(config: &ImpProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Names> {
    overrides(
        &config.sql_overrides,
        "sql_overrides",
        "Invalid SQL name override",
        diags,
        |entries| Names::new(entries.iter().copied()),
    )
}

/// A credential from the block, else the environment; an unknown one (known at apply) is empty.
fn credential(
    value: &ValueString<'_>,
    var: &str,
    attribute: &'static str,
    diags: &mut Diagnostics,
) -> Option<String> {
    if value.is_unknown() {
        return Some(String::new());
    }
    match text(value).or_else(|| env(var)) {
        Some(v) => Some(v),
        None => {
            diags.error(
                format!("No {attribute}"),
                format!("set {attribute} in the provider block, or {var}"),
                AttributePath::new(attribute),
            );
            None
        }
    }
}

fn configured(config: &ImpProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Imp> {
    SPEC.check(config, diags);
    let config = SPEC.with_defaults(config.clone()).ok()?;
    let username = credential(&config.username, "IMP_USERNAME", "username", diags);
    let password = credential(&config.password, "IMP_PASSWORD", "password", diags);
    let (username, password) = (username?, password?);
    crate::secrets::register(&password);
    let request_timeout = parse_duration(&text(&config.request_timeout)?, TIMEOUT_BOUNDS)
        .map_err(|e| diags.error("Invalid duration", e, AttributePath::new("request_timeout")))
        .ok()?;
    let axl_version = text(&config.axl_version)?;
    check_version(&axl_version)
        .map_err(|e| diags.error("Invalid AXL version", e, AttributePath::new("axl_version")))
        .ok()?;
    let names = names(&config, diags)?;
    let trust = trust_policy(
        &config.ca_file,
        &config.certificate_sha256,
        &config.insecure_skip_tls_verify,
    )?;
    Some(Imp {
        devices: Devices::new(&MmpPrompt),
        username,
        password,
        axl_version,
        request_timeout,
        trust,
        names,
        reads: Reads::default(),
    })
}

pub struct ImpProvider {
    slot: Arc<ImpSlot>,
}

impl ImpProvider {
    pub fn new() -> Self {
        ImpProvider {
            slot: Arc::new(Slot::new("imp")),
        }
    }
}

impl Default for ImpProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Provider for ImpProvider {
    type Config<'a> = ImpProviderConfig<'a>;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(SPEC.schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        SPEC.check(&config, diags);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        if let Some(imp) = configured(&config, diags) {
            self.slot.fill(imp);
        }
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(HashMap::from([(
            "intercluster_peer".to_string(),
            Box::new(Adapted(InterclusterPeerResource::new(self.slot.clone())))
                as Box<dyn DynamicResource>,
        )]))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::from([(
            "database_tables".to_string(),
            Box::new(DatabaseTablesDataSource {
                imp: self.slot.clone(),
            }) as Box<dyn DynamicDataSource>,
        )]))
    }
}
