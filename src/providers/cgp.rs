//! The `cgp` provider: CommuniGate Pro cluster members, each reached on its own CLI (PWD)
//! endpoint with the provider's credentials (devices::cgp: APOP when the banner offers a
//! challenge, else USER/PASS; then INLINE), and the key table with the site's overrides of
//! unconfirmed names.

use super::slot::{env, overrides, Slot};
use super::tls_trust::{trust_policy, TRUST};
use crate::client::{Devices, LineTarget, TrustPolicy};
use crate::data_sources::cgp_member_settings::MemberSettingsDataSource;
use crate::devices::cgp::cli::CgpCli;
use crate::devices::cgp::keys::{by_stable_id, Id, KeyTable, Overrides, TABLE};
use crate::devices::cms::prompt::MmpPrompt;
use crate::duration::{parse_duration, DurationBounds};
use crate::resources::adapter::Adapted;
use crate::resources::cgp_sip_farm::SipFarmResource;
use crate::resources::node_checks::USERNAME;
use crate::resources::spec::{attr, rows, Attr, Check, DefaultValue, Presence, Spec, Type};
use crate::resources::values::text;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tf_provider::schema::Schema;
use tf_provider::value::{ValueBool, ValueEmpty, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

/// `<stable id>=<key name>`: an entry of the key table (`devices::cgp::keys`) and the name
/// this site's server uses for it.
fn key_override(v: &str) -> Result<(), String> {
    let (id, name) = v
        .split_once('=')
        .ok_or_else(|| format!("{v:?} is not <id>=<name>"))?;
    by_stable_id(id.trim()).ok_or_else(|| {
        let ids: Vec<&str> = TABLE.iter().map(|e| e.stable_id).collect();
        format!(
            "{:?} is not an entry of the key table ({})",
            id.trim(),
            ids.join(", ")
        )
    })?;
    Overrides::new([(id.trim(), name.trim())]).map(drop)
}

const TIMEOUT_BOUNDS: DurationBounds = DurationBounds::secs(1, 3600);

const SPEC: Spec = Spec {
    description: "uccluster provider for CommuniGate Pro Dynamic Clusters, through each member's CLI (the PWD service, TCP port 106): APOP login when the server offers a challenge (the password never crosses the network), else USER/PASS. Resources: `cgp_sip_farm` (SIP farm membership, call-leg and signal placement, WAN addresses). Data sources: `cgp_member_settings` dumps a member's settings dictionaries and checks the key table against them.",
    attrs: &ATTRS,
    blocks: &[],
    timeouts: &[],
};

const OWN: [Attr; 6] = [
        attr("username", Type::Text, Presence::Defaulted(DefaultValue::Text("postmaster")), "A CLI account with the Server Administrator rights on every member (default `postmaster`), or `CGP_USERNAME`.").check(USERNAME),
        attr("password", Type::Text, Presence::Optional, "Its password, or `CGP_PASSWORD`.").sensitive(),
        attr("port", Type::Number, Presence::Optional, "The CLI port of the members: default 106, or 1106 with `tls`; a member may give its own.").check(Check::Port),
        attr("tls", Type::Bool, Presence::Defaulted(DefaultValue::Bool(false)), "The CLI over TLS from the first byte (CommuniGate's secure CLI port, 1106 by default), the server's certificate checked by `ca_file`, `certificate_sha256`, or the system's trust store. Default `false`: plain TCP, where APOP still keeps the password off the network but the settings are sent in the clear."),
        attr("command_timeout", Type::Text, Presence::Defaulted(DefaultValue::Text("60s")), "Limit for one command's answer, from `1s` to `1h` (default `60s`)."),
        attr("key_overrides", Type::TextList, Presence::Optional, "Names this site's server uses for entries of the key table that are not confirmed from CommuniGate's documents, as `<id>=<name>` (e.g. `server_wan_address=WANIPAddress`): see the docs' key table for the ids and what each is known from.").check(Check::Text { title: "Invalid key override", check: key_override }),
];

/// The provider block's attributes: its own, then the trust of a TLS connection.
const ATTRS: [Attr; 9] = rows(&OWN, &TRUST);

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct CgpProviderConfig<'a> {
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub port: ValueNumber,
    pub tls: ValueBool,
    pub command_timeout: ValueString<'a>,
    pub key_overrides: ValueList<ValueString<'a>>,
    pub ca_file: ValueString<'a>,
    pub certificate_sha256: ValueString<'a>,
    pub insecure_skip_tls_verify: ValueBool,
}

/// What the provider block configured, for its resources and data sources.
pub struct Cgp {
    pub devices: Devices,
    pub username: String,
    pub password: String,
    pub port: u16,
    /// TLS from the first byte, with this trust; `None`: plain TCP.
    pub tls: Option<TrustPolicy>,
    pub command_timeout: Duration,
    pub protocol: Arc<CgpCli>,
    /// The members' dictionaries read in this run, shared until a write.
    pub reads: Reads,
}

/// Where a cached read came from: the member's CLI endpoint and the `Get` command.
type ReadKey = (String, u16, Id);

/// One run's reads of the members' settings dictionaries (each `Get...` reply, or its error),
/// shared by every resource and step that asks until something is written to that member, as
/// `lb_virtual_server`'s `LbDevice` shares a balancer's read: a refresh reads each dictionary of
/// each member once per run, over the one CLI session the pool keeps per member.
#[derive(Default)]
pub struct Reads(tokio::sync::Mutex<HashMap<ReadKey, Result<String, String>>>);

fn read_key(target: &LineTarget, id: Id) -> ReadKey {
    (target.host.to_ascii_lowercase(), target.port, id)
}

impl Reads {
    /// `id`'s reply from `target`: the run's earlier read, or `read` (held while reading, so
    /// the others wait for this read instead of starting their own).
    pub async fn get<F>(&self, target: &LineTarget, id: Id, read: F) -> Result<String, String>
    where
        F: std::future::Future<Output = Result<String, String>>,
    {
        let mut cached = self.0.lock().await;
        let key = read_key(target, id);
        if let Some(r) = cached.get(&key) {
            return r.clone();
        }
        let r = read.await;
        cached.insert(key, r.clone());
        r
    }

    /// The next read of `id` from `target` asks the member again (before a read-modify-write).
    pub async fn forget(&self, target: &LineTarget, id: Id) {
        self.0.lock().await.remove(&read_key(target, id));
    }

    /// Something was written to `target` (or sent and its reply lost): its reads are stale;
    /// a cluster-wide write makes every member's read of the cluster-wide dictionary stale.
    pub async fn written(&self, target: &LineTarget, cluster_wide: bool) {
        let (host, port, _) = read_key(target, Id::GetClusterNetwork);
        self.0.lock().await.retain(|(h, p, id), _| {
            !((*h == host && *p == port) || (cluster_wide && *id == Id::GetClusterNetwork))
        });
    }
}

impl Cgp {
    /// The CLI of the member at `host`, on `port` (or the provider's).
    pub fn target(&self, host: &str, port: Option<u16>) -> LineTarget {
        LineTarget {
            host: host.to_string(),
            port: port.unwrap_or(self.port),
            tls: self.tls.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
            protocol: self.protocol.clone(),
            connect_timeout: Duration::from_secs(15),
            reply_timeout: self.command_timeout,
            // Below the server's idle limit of about 5 minutes (CLI.pm reconnects after 295 s).
            idle_reconnect: Duration::from_secs(240),
            max_reply_bytes: 16 << 20,
        }
    }

    pub fn keys(&self) -> &KeyTable {
        &self.protocol.keys
    }
}

/// The configured provider, once `configure` has run.
pub type CgpSlot = Slot<Cgp>;

fn key_overrides(config: &CgpProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Overrides> {
    overrides(
        &config.key_overrides,
        "key_overrides",
        "Invalid key override",
        diags,
        |entries| {
            Overrides::new(
                entries
                    .iter()
                    .filter_map(|e| e.split_once('='))
                    .map(|(id, name)| (id.trim(), name.trim())),
            )
        },
    )
}

fn configured(config: &CgpProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Cgp> {
    SPEC.check(config, diags);
    // Unset: the environment's, else the default.
    let username = text(&config.username)
        .or_else(|| env("CGP_USERNAME"))
        .unwrap_or_else(|| "postmaster".into());
    let config = SPEC.with_defaults(config.clone()).ok()?;
    let password = match config.password.is_unknown() {
        true => String::new(),
        false => match text(&config.password).or_else(|| env("CGP_PASSWORD")) {
            Some(p) => p,
            None => {
                diags.error(
                    "No password",
                    "set password in the provider block, or CGP_PASSWORD",
                    AttributePath::new("password"),
                );
                return None;
            }
        },
    };
    crate::secrets::register(&password);
    let command_timeout = parse_duration(&text(&config.command_timeout)?, TIMEOUT_BOUNDS)
        .map_err(|e| diags.error("Invalid duration", e, AttributePath::new("command_timeout")))
        .ok()?;
    let keys = KeyTable::new(key_overrides(&config, diags)?);
    let tls = match config.tls.as_ref_option().copied().unwrap_or(false) {
        true => Some(trust_policy(
            &config.ca_file,
            &config.certificate_sha256,
            &config.insecure_skip_tls_verify,
        )?),
        false => None,
    };
    Some(Cgp {
        devices: Devices::new(&MmpPrompt),
        username,
        password,
        port: config
            .port
            .as_ref_option()
            .and_then(|p| u16::try_from(*p).ok())
            .unwrap_or(if tls.is_some() { 1106 } else { 106 }),
        tls,
        command_timeout,
        protocol: Arc::new(CgpCli { keys }),
        reads: Reads::default(),
    })
}

pub struct CgpProvider {
    slot: Arc<CgpSlot>,
}

impl CgpProvider {
    pub fn new() -> Self {
        CgpProvider {
            slot: Arc::new(Slot::new("cgp")),
        }
    }
}

impl Default for CgpProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Provider for CgpProvider {
    type Config<'a> = CgpProviderConfig<'a>;
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
        if let Some(cgp) = configured(&config, diags) {
            self.slot.fill(cgp);
        }
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(HashMap::from([(
            "sip_farm".to_string(),
            Box::new(Adapted(SipFarmResource::new(self.slot.clone()))) as Box<dyn DynamicResource>,
        )]))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::from([(
            "member_settings".to_string(),
            Box::new(MemberSettingsDataSource {
                cgp: self.slot.clone(),
            }) as Box<dyn DynamicDataSource>,
        )]))
    }
}
