//! `cms_webbridge`: one Web Bridge object of a Meeting Server cluster, through a node's REST API
//! (`/api/v1/webBridges`; seed cms-failover-cluster-part2a, "Web Bridge": a POST with the `url`,
//! then "the required parameters for each WebBridge: guest access, secure entry mode, etc.").
//!
//! The object is found by its id once it has one, else by its URL (two Web Bridges never share
//! one), so a create whose answer was lost finds what it made instead of making a second. Every
//! field is read back: a setting changed on the node shows in the plan and the apply sets it
//! back (one PUT of every field; an unset optional field is sent empty, which clears it). An
//! object deleted on the node leaves the state (the plan shows a create).

mod attributes;

use crate::client::cms_api::Api;
use crate::client::Devices;
use crate::devices::cms::rest::{boolean, object_path, Object, WEB_BRIDGES};
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
use tf_provider::value::{self, Value, ValueBool, ValueEmpty, ValueString};
use tf_provider::Diagnostics;
use tokio::time::Instant;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct WebBridgeState<'a> {
    pub id: ValueString<'a>,
    pub api_address: ValueString<'a>,
    pub url: ValueString<'a>,
    pub guest_access: ValueBool,
    pub id_entry_mode: ValueString<'a>,
    pub show_sign_in: ValueBool,
    pub resolve_cospace_call_ids: ValueBool,
    pub resolve_lync_conference_ids: ValueBool,
    pub resource_archive: ValueString<'a>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

pub struct WebBridgeResource {
    devices: Arc<Devices>,
}

const IMPORT_ID: ImportShape = ImportShape {
    name: None,
    labels: None,
    min_nodes: 1,
    max_nodes: 1,
    settings: &[],
    usage: "<url>@<Web Admin host:port>, e.g. https://join.example.com@10.0.0.1:445",
};

/// The boolean fields: the API's name and the state's field.
type BoolField = for<'s, 'a> fn(&'s mut WebBridgeState<'a>) -> &'s mut ValueBool;

const BOOLS: [(&str, BoolField); 4] = [
    ("allowWeblinkAccess", |s| &mut s.guest_access),
    ("showSignIn", |s| &mut s.show_sign_in),
    ("resolveCoSpaceCallIds", |s| &mut s.resolve_cospace_call_ids),
    ("resolveLyncConferenceIds", |s| {
        &mut s.resolve_lync_conference_ids
    }),
];

/// Every field as the API takes it (an unset optional one empty, so a PUT clears it).
fn params(state: &WebBridgeState<'_>) -> Vec<(&'static str, String)> {
    let mut s = state.clone();
    let mut out = vec![
        ("url", text(&s.url).unwrap_or_default()),
        ("idEntryMode", text(&s.id_entry_mode).unwrap_or_default()),
        (
            "resourceArchive",
            text(&s.resource_archive).unwrap_or_default(),
        ),
    ];
    for (name, field) in BOOLS {
        if let Some(b) = field(&mut s).as_ref_option() {
            out.push((name, b.to_string()));
        }
    }
    out
}

fn optional(o: &Object, field: &str) -> ValueString<'static> {
    match o.get(field) {
        None | Some("") => Value::Null,
        Some(v) => known(v.to_string()),
    }
}

/// The state the API's object shows, over `base` (the node and timeouts).
fn observed<'a>(base: &WebBridgeState<'a>, o: &Object) -> Result<WebBridgeState<'a>, String> {
    let mut state = WebBridgeState {
        id: o.id.clone().map(known).unwrap_or(Value::Null),
        url: known(o.text("url")),
        id_entry_mode: optional(o, "idEntryMode"),
        resource_archive: optional(o, "resourceArchive"),
        ..base.clone()
    };
    for (name, field) in BOOLS {
        *field(&mut state) = match o.get(name) {
            None => Value::Null,
            Some(v) => Value::Value(
                boolean(v).ok_or_else(|| format!("{name} is {v:?}, not true or false"))?,
            ),
        };
    }
    Ok(state)
}

/// The Web Bridge with id `id` (when known and still there), else the one with URL `url`.
async fn find(api: &Api<'_>, id: Option<&str>, url: &str) -> Result<Option<Object>, StepError> {
    if let Some(id) = id {
        match api.get(&object_path(&WEB_BRIDGES, id), "webBridge").await {
            Ok(o) => {
                return Ok(Some(Object {
                    id: Some(id.to_string()),
                    ..o
                }))
            }
            Err(e) if e.is_missing() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let listed = api.list(&WEB_BRIDGES).await?;
    let Some(id) = listed
        .iter()
        .find(|o| o.get("url") == Some(url))
        .and_then(|o| o.id.clone())
    else {
        return Ok(None);
    };
    match api.get(&object_path(&WEB_BRIDGES, &id), "webBridge").await {
        Ok(o) => Ok(Some(Object { id: Some(id), ..o })),
        Err(e) if e.is_missing() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

impl WebBridgeResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        WebBridgeResource { devices }
    }

    fn api(&self, state: &WebBridgeState<'_>) -> Result<Api<'_>, StepError> {
        api(&self.devices, &text(&state.api_address).unwrap_or_default())
    }

    async fn find(
        &self,
        state: &WebBridgeState<'_>,
        deadline: Instant,
    ) -> Result<Option<Object>, StepError> {
        let api = self.api(state)?;
        let id = text(&state.id);
        let url = text(&state.url).unwrap_or_default();
        retried(deadline, |_| find(&api, id.as_deref(), &url)).await
    }

    /// The object made or changed to `planned`: found by the prior id, else by the planned URL,
    /// else created.
    async fn ensure(
        &self,
        planned: &WebBridgeState<'_>,
        prior_id: Option<String>,
        deadline: Instant,
    ) -> Result<(), StepError> {
        let api = self.api(planned)?;
        let url = text(&planned.url).unwrap_or_default();
        let owned = params(planned);
        let params: Vec<(&str, &str)> = owned.iter().map(|(n, v)| (*n, v.as_str())).collect();
        retried(deadline, |_| async {
            match find(&api, prior_id.as_deref(), &url).await? {
                Some(o) => {
                    let path = object_path(&WEB_BRIDGES, o.id.as_deref().unwrap_or_default());
                    api.update(&path, &params).await?;
                }
                None => {
                    api.create(&WEB_BRIDGES, &params).await?;
                }
            }
            Ok(())
        })
        .await
    }
}

#[async_trait::async_trait]
impl DeviceResource for WebBridgeResource {
    type State<'a> = WebBridgeState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "Web Bridge";

    fn parse_import(&self, id: &str) -> Result<ImportId, String> {
        let Some((url, address)) = id.rsplit_once('@') else {
            return Err(format!(
                "import ID {id:?}: no '@' before the node; expected {}",
                IMPORT_ID.usage
            ));
        };
        if url.is_empty() {
            return Err(format!(
                "import ID {id:?}: no URL; expected {}",
                IMPORT_ID.usage
            ));
        }
        Ok(ImportId {
            name: Some(url.to_string()),
            ..parse_api_import(address, IMPORT_ID.usage)?
        })
    }

    fn plan<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        _config: &Self::State<'a>,
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        let id = match prior {
            Some((p, _)) => p.id.clone(),
            None => Value::Unknown,
        };
        Some(WebBridgeState { id, ..proposed })
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let url = text(&base.url).unwrap_or_default();
        let found = self.find(base, deadline).await;
        let read = found.and_then(|o| {
            o.map(|o| {
                observed(base, &o).map_err(|message| StepError::Output {
                    endpoint: text(&base.api_address).unwrap_or_default(),
                    command: format!("GET {}", WEB_BRIDGES.path),
                    message,
                })
            })
            .transpose()
        });
        match read {
            Ok(Some(state)) => Observed::Present(state),
            Ok(None) => Observed::Gone,
            Err(e) => unreadable(
                diags,
                e,
                &format!("Web Bridge {url}"),
                "Cannot read the Web Bridge",
            ),
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let url = text(&planned.url).unwrap_or_default();
        let address = text(&planned.api_address).unwrap_or_default();
        match self.find(planned, deadline).await {
            Ok(None) => Ok(()),
            Ok(Some(o)) => Err(Refusal {
                summary: "Web Bridge already exists".into(),
                detail: format!(
                    "{address} already has a Web Bridge with URL {url:?} (id {})",
                    o.id.unwrap_or_default()
                ),
                path: None,
                import: self.parse_import(&format!("{url}@{address}")).ok(),
            }),
            Err(e) => Err(Refusal::cannot_check(e)),
        }
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let prior_id = change.prior.and_then(|p| text(&p.id));
        match self.ensure(change.planned, prior_id, change.deadline).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                diags.root_error("Cannot configure the Web Bridge", e.to_string());
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
        let removed = async {
            let Some(o) = self.find(prior, deadline).await? else {
                return Ok(());
            };
            let api = self.api(prior)?;
            let path = object_path(&WEB_BRIDGES, o.id.as_deref().unwrap_or_default());
            retried(deadline, |_| async { Ok(api.delete(&path).await?) }).await
        };
        if let Err(e) = removed.await {
            diags.root_error("Cannot delete the Web Bridge", e.to_string());
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let url = id.name.clone().unwrap_or_default();
        let base = WebBridgeState {
            api_address: known(import_address(&id)),
            url: known(url.clone()),
            ..Default::default()
        };
        let observed = self.observe(diags, &base, deadline).await;
        imported(
            diags,
            observed,
            "Cannot import the Web Bridge",
            format!("{} has no Web Bridge with URL {url:?}", import_address(&id)),
        )
    }
}
