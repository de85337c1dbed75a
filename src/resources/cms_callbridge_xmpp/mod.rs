//! `cms_callbridge_xmpp`: one Call Bridge's connection to the XMPP service, through the node's
//! REST API (`/api/v1/system/configuration/xmpp`, Web Admin Configuration > General).
//!
//! Procedure (seed cms-failover-cluster-part2a, "Connecting Call Bridge to XMPP"): on each node,
//! the Call Bridge's unique name is its XMPP account (`xmpp callbridge add <name>` on the XMPP
//! servers, a `cms_xmpp_callbridge`), the domain is the XMPP domain, the secret is the
//! account's, and the server address is left empty so the Call Bridge finds a server by DNS SRV;
//! then Status > General must show the connection up. One PUT sets the four fields (a PUT
//! changes only what it names, so repeating it is safe), and the apply waits until the
//! Call Bridge's XMPP alarm is gone.
//!
//! Drift: the name, domain and server address are read back; the API never shows the secret,
//! so a secret changed on the node shows as `connection` = `not_connected`, and the apply sets
//! the configured one again. A connection cleared on the node leaves the state (the plan shows a
//! create). Destroy clears the four fields.

mod attributes;

use crate::client::cms_api::Api;
use crate::client::Devices;
use crate::devices::cms::rest::{ALARMS, XMPP_PATH};
use crate::resources::adapter::{
    imported, unreadable, Change, DeviceResource, Observed, Outcome, Refusal,
};
use crate::resources::api_node::{api, import_address, parse_api_import, retried};
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use crate::resources::values::{known, text};
use crate::timeouts::Timeouts;
use attributes::SPEC;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tf_provider::value::{self, Value, ValueEmpty, ValueString};
use tf_provider::Diagnostics;
use tokio::time::Instant;

pub const CONNECTED: &str = "connected";
pub const NOT_CONNECTED: &str = "not_connected";

/// How long an apply waits for the Call Bridge to log in to XMPP (it retries by itself).
const CONNECT_WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(500);

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CallbridgeXmppState<'a> {
    pub id: ValueString<'a>,
    pub api_address: ValueString<'a>,
    pub unique_name: ValueString<'a>,
    pub domain: ValueString<'a>,
    pub shared_secret: ValueString<'a>,
    pub server_address: ValueString<'a>,
    pub connection: ValueString<'a>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

pub struct CallbridgeXmppResource {
    devices: Arc<Devices>,
}

const IMPORT_ID: ImportShape = ImportShape {
    name: None,
    labels: None,
    min_nodes: 1,
    max_nodes: 1,
    settings: &[],
    usage: "the node's Web Admin address, host:port, e.g. 10.0.0.1:445",
};

/// What the node's API shows of its XMPP connection.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    unique_name: String,
    domain: String,
    server_address: String,
    connected: bool,
}

impl Seen {
    fn configured(&self) -> bool {
        !(self.unique_name.is_empty() && self.domain.is_empty())
    }
}

/// `alarm`: the alarm type of a Call Bridge cut off from XMPP (`fact_overrides` `xmpp_alarm`).
async fn read(api: &Api<'_>, alarm: &str) -> Result<Seen, StepError> {
    let xmpp = api.get(XMPP_PATH, "xmpp").await?;
    let alarms = api.list(&ALARMS).await?;
    Ok(Seen {
        unique_name: xmpp.text("uniqueName"),
        domain: xmpp.text("domain"),
        server_address: xmpp.text("serverAddress"),
        connected: !alarms.iter().any(|a| a.get("type") == Some(alarm)),
    })
}

fn optional(text: &str) -> ValueString<'static> {
    match text.is_empty() {
        true => Value::Null,
        false => known(text.to_string()),
    }
}

impl CallbridgeXmppResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        CallbridgeXmppResource { devices }
    }

    /// The alarm type that means "not connected", as the provider block may override it.
    fn alarm(&self) -> String {
        self.devices
            .cms_facts()
            .unwrap_or_default()
            .xmpp_alarm()
            .to_string()
    }

    fn api(&self, state: &CallbridgeXmppState<'_>) -> Result<Api<'_>, StepError> {
        api(&self.devices, &text(&state.api_address).unwrap_or_default())
    }

    async fn seen(
        &self,
        state: &CallbridgeXmppState<'_>,
        deadline: Instant,
    ) -> Result<Seen, StepError> {
        let api = self.api(state)?;
        let alarm = self.alarm();
        retried(deadline, |_| read(&api, &alarm)).await
    }

    /// PUT of the four fields (`values` empty: cleared).
    async fn put(
        &self,
        state: &CallbridgeXmppState<'_>,
        values: [&str; 4],
        deadline: Instant,
    ) -> Result<(), StepError> {
        let api = self.api(state)?;
        let params = [
            ("uniqueName", values[0]),
            ("domain", values[1]),
            ("sharedSecret", values[2]),
            ("serverAddress", values[3]),
        ];
        retried(deadline, |_| async {
            Ok(api.update(XMPP_PATH, &params).await?)
        })
        .await
    }

    /// Wait until the Call Bridge reports the connection up; the last reading when it does not.
    async fn wait_connected(
        &self,
        state: &CallbridgeXmppState<'_>,
        deadline: Instant,
    ) -> Result<bool, StepError> {
        let until = deadline.min(Instant::now() + CONNECT_WAIT);
        loop {
            if self.seen(state, deadline).await?.connected {
                return Ok(true);
            }
            if Instant::now() + POLL >= until {
                return Ok(false);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[async_trait::async_trait]
impl DeviceResource for CallbridgeXmppResource {
    type State<'a> = CallbridgeXmppState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "Call Bridge XMPP connection";

    fn parse_import(&self, id: &str) -> Result<ImportId, String> {
        parse_api_import(id, IMPORT_ID.usage)
    }

    fn plan<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        _config: &Self::State<'a>,
        _prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        Some(CallbridgeXmppState {
            id: proposed.api_address.clone(),
            connection: known(CONNECTED),
            ..proposed
        })
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        match self.seen(base, deadline).await {
            Ok(seen) if !seen.configured() => Observed::Gone,
            Ok(seen) => Observed::Present(CallbridgeXmppState {
                id: base.api_address.clone(),
                unique_name: optional(&seen.unique_name),
                domain: optional(&seen.domain),
                server_address: optional(&seen.server_address),
                connection: known(match seen.connected {
                    true => CONNECTED,
                    false => NOT_CONNECTED,
                }),
                // The API never shows the secret: it stays what the state has.
                ..base.clone()
            }),
            Err(e) => unreadable(
                diags,
                e,
                "the Call Bridge's XMPP connection",
                "Cannot read the Call Bridge's XMPP connection",
            ),
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        if text(&observed.connection).as_deref() == Some(NOT_CONNECTED) {
            diags.root_warning(
                "Call Bridge not connected to XMPP",
                format!(
                    "the Call Bridge at {} reports its XMPP connection down (alarm {}); the plan sets its connection again",
                    text(&observed.api_address).unwrap_or_default(),
                    self.alarm()
                ),
            );
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let address = text(&planned.api_address).unwrap_or_default();
        match self.seen(planned, deadline).await {
            Ok(seen) if !seen.configured() => Ok(()),
            Ok(seen) => Err(Refusal {
                summary: "Call Bridge XMPP connection already configured".into(),
                detail: format!(
                    "the Call Bridge at {address} already connects to XMPP as {:?} in domain {:?}",
                    seen.unique_name, seen.domain
                ),
                path: None,
                import: parse_api_import(&address, IMPORT_ID.usage).ok(),
            }),
            Err(e) => Err(Refusal::cannot_check(e)),
        }
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let planned = change.planned;
        let failed = match change.prior {
            None => Outcome::Failed,
            // The state keeps the prior secret, so the next plan proposes the change again.
            Some(_) => Outcome::FailedKeepingPrior,
        };
        let (Some(name), Some(domain), Some(secret)) = (
            text(&planned.unique_name),
            text(&planned.domain),
            text(&planned.shared_secret),
        ) else {
            diags.root_error(
                "Cannot configure the Call Bridge's XMPP connection",
                "unique_name, domain and shared_secret must be known at apply time",
            );
            return Outcome::Refused;
        };
        let server = text(&planned.server_address).unwrap_or_default();
        let values = [
            name.as_str(),
            domain.as_str(),
            secret.as_str(),
            server.as_str(),
        ];
        if let Err(e) = self.put(planned, values, change.deadline).await {
            diags.root_error(
                "Cannot configure the Call Bridge's XMPP connection",
                e.to_string(),
            );
            return failed;
        }
        match self.wait_connected(planned, change.deadline).await {
            Ok(true) => Outcome::Done,
            Ok(false) => {
                diags.root_error(
                    "Call Bridge not connected to XMPP",
                    format!(
                        "the Call Bridge at {} took the settings but did not connect to XMPP within {}s (alarm {} stays active): check that the XMPP servers of domain {domain:?} have the account {name:?} with this secret (cms_xmpp_callbridge), that {} and that the Call Bridge trusts the XMPP server's certificate",
                        text(&planned.api_address).unwrap_or_default(),
                        CONNECT_WAIT.as_secs(),
                        self.alarm(),
                        match server.is_empty() {
                            true => format!("DNS has _xmpp-component._tcp.{domain} records"),
                            false => format!("{server} is an XMPP server"),
                        }
                    ),
                );
                Outcome::Failed
            }
            Err(e) => {
                diags.root_error(
                    "Cannot read the Call Bridge's XMPP connection",
                    e.to_string(),
                );
                Outcome::Failed
            }
        }
    }

    async fn delete<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: &Self::State<'a>,
        deadline: Instant,
    ) {
        if let Err(e) = self.put(prior, [""; 4], deadline).await {
            diags.root_error(
                "Cannot clear the Call Bridge's XMPP connection",
                e.to_string(),
            );
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let address = import_address(&id);
        let base = CallbridgeXmppState {
            api_address: known(address.clone()),
            ..Default::default()
        };
        let observed = self.observe(diags, &base, deadline).await;
        imported(
            diags,
            observed,
            "Cannot import the Call Bridge's XMPP connection",
            format!("the Call Bridge at {address} has no XMPP connection configured"),
        )
    }
}
