//! `lb_virtual_server`: one load-balanced service on the balancer of the provider block.
//!
//! The same declaration runs on every backend ([`backend::Balancer`]): the seed's rules
//! (`devices::lb::rules`) are checked when the configuration is validated, what the backend
//! cannot do when it is planned (the provider block is known by then). A read asks the
//! balancer, once per run for all its virtual servers ([`backend::LbDevice`]); a member
//! removed, disabled or re-weighted by hand is drift, and a virtual server deleted by hand is
//! gone from the state, so the plan creates it again.

pub mod attributes;
pub mod backend;
pub mod config_host;
pub mod f5;
pub mod haproxy;
pub mod ipvs;
pub mod keepalived;
pub mod model;
pub mod state;

use crate::devices::lb::rules::{self, At, Finding};
use crate::devices::lb::virtual_server::{word, VirtualServer, PROTOCOLS};
use crate::resources::adapter::{Change, DeviceResource, Observed, Outcome, Refusal};
use crate::resources::image::image;
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::values::known;
use crate::timeouts::import_deadline;
use attributes::SPEC;
use backend::{LbDevice, Wanted};
use state::{IpvsBlock, VirtualServerState};
use std::sync::{Arc, RwLock};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

/// The balancer of the provider block, once it is configured.
#[derive(Default)]
pub struct Balancers(RwLock<Option<Arc<LbDevice>>>);

impl Balancers {
    pub fn configure(&self, device: LbDevice) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(device));
    }

    fn get(&self) -> Option<Arc<LbDevice>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

pub struct VirtualServerResource {
    balancers: Arc<Balancers>,
}

impl VirtualServerResource {
    pub fn new(balancers: Arc<Balancers>) -> Self {
        VirtualServerResource { balancers }
    }

    fn device(&self, diags: &mut Diagnostics) -> Option<Arc<LbDevice>> {
        let device = self.balancers.get();
        if device.is_none() {
            diags.root_error(
                "No balancer configured",
                "the lb provider block names no backend: add one haproxy, f5 or ipvs block",
            );
        }
        device
    }
}

/// A finding of the seed's rules or of a backend, at its attribute.
pub fn report(findings: Vec<Finding>, at: &AttributePath, diags: &mut Diagnostics) {
    for finding in findings {
        let path = match finding.at {
            At::Attribute(a) => at.clone().attribute(a),
            At::Member(j, a) => at.clone().attribute("member").index(j as i64).attribute(a),
        };
        diags.error(finding.summary, finding.detail, path);
    }
}

/// The model of a state whose values are all known and valid (defaults filled in).
fn model_of(state: &VirtualServerState<'_>, diags: &mut Diagnostics) -> Option<VirtualServer> {
    model::virtual_server(&image(state), &AttributePath::default(), diags).ok()
}

/// The model of a state Terraform holds (prior or base, possibly with the balancer's own words).
fn model_of_stored(
    state: &VirtualServerState<'_>,
    diags: &mut Diagnostics,
) -> Option<VirtualServer> {
    model_of(&state::in_model_words(state, ipvs::FOREIGN_READ_AS), diags)
}

/// What the balancer is asked to hold for `state`.
fn wanted(state: &VirtualServerState<'_>, diags: &mut Diagnostics) -> Option<Wanted> {
    let vs = model_of(state, diags)?;
    let one_packet = match &state.ipvs {
        Value::Value(IpvsBlock {
            one_packet_scheduling: Value::Value(v),
        }) => *v,
        _ => ipvs::one_packet_default(&vs),
    };
    Some(Wanted { vs, one_packet })
}

fn unknown_reports(state: &mut VirtualServerState<'_>) {
    if let Value::Value(members) = &mut state.member {
        for m in members.iter_mut().filter_map(|m| m.as_mut_option()) {
            m.health = Value::Unknown;
            m.status = Value::Unknown;
        }
    }
}

/// A member's default name: `<address>:<port>`, or `<address>.<port>` for IPv6 (F5's own
/// member names), or the address alone for a service on any port.
pub fn default_member_name(address: &str, port: Option<i64>) -> String {
    match (port, address.contains(':')) {
        (None, _) => address.to_string(),
        (Some(p), false) => format!("{address}:{p}"),
        (Some(p), true) => format!("{address}.{p}"),
    }
}

/// `state` with every member the configuration leaves unnamed named by default.
fn with_member_names<'a>(mut state: VirtualServerState<'a>) -> VirtualServerState<'a> {
    let service_port = state.port.as_ref_option().copied();
    if let Value::Value(members) = &mut state.member {
        for m in members.iter_mut().filter_map(|m| m.as_mut_option()) {
            if let (Value::Null, Some(address)) = (&m.name, m.address.as_ref_option()) {
                let port = m.port.as_ref_option().copied().or(service_port);
                m.name = known(default_member_name(address, port));
            }
        }
    }
    state
}

fn without_reports<'a>(m: &state::MemberState<'a>) -> state::MemberState<'a> {
    state::MemberState {
        health: Value::Null,
        status: Value::Null,
        ..m.clone()
    }
}

/// The settings of the service itself (and what only Terraform holds).
fn without_members<'a>(s: &VirtualServerState<'a>) -> VirtualServerState<'a> {
    VirtualServerState {
        member: Value::Null,
        timeouts: Value::Null,
        ..s.clone()
    }
}

#[async_trait::async_trait]
impl DeviceResource for VirtualServerResource {
    type State<'a> = VirtualServerState<'a>;
    type Private<'a> = ValueEmpty;

    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &ImportShape {
        name: Some(attributes::object_name),
        labels: None,
        min_nodes: 0,
        max_nodes: 1,
        settings: &["protocol"],
        usage: "`<name>` (HAProxy, F5) or `<name>@<vip>:<port>;protocol=<tcp|udp|both>` (IPVS)",
    };
    const NOUN: &'static str = "virtual server";

    fn parse_import(&self, id: &str) -> Result<ImportId, String> {
        match id.contains('@') {
            true => Self::IMPORT_ID.parse(id),
            false => Self::IMPORT_ID.parse(&format!("{id}@")),
        }
    }

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        let Ok(config) = SPEC.with_defaults(config.clone()).map(with_member_names) else {
            return;
        };
        // Only once every value is known: an unknown value is checked at apply.
        let mut quiet = Diagnostics::default();
        if let Ok(vs) =
            model::virtual_server(&image(&config), &AttributePath::default(), &mut quiet)
        {
            report(rules::check(&vs), &AttributePath::default(), diags);
        }
    }

    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        _config: &Self::State<'a>,
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        let device = self.device(diags)?;
        let mut proposed = with_member_names(proposed);
        let mut quiet = Diagnostics::default();
        let Ok(vs) =
            model::virtual_server(&image(&proposed), &AttributePath::default(), &mut quiet)
        else {
            // Values known only after apply: everything the balancer reports is unknown.
            proposed.id = Value::Unknown;
            unknown_reports(&mut proposed);
            return Some(proposed);
        };
        let wanted = wanted(&proposed, diags)?;
        report(
            device.balancer.refuse(&wanted),
            &AttributePath::default(),
            diags,
        );
        proposed.id = known(device.balancer.import_id(&vs));
        // A member the apply leaves as it is keeps what the balancer last reported; the others
        // are read after the apply.
        let unchanged = |m: &state::MemberState<'_>| {
            prior
                .and_then(|(p, _)| p.member.as_ref_option())
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_ref_option())
                .find(|p| without_reports(p) == without_reports(m))
                .cloned()
        };
        let settings_same =
            prior.is_some_and(|(p, _)| without_members(p) == without_members(&proposed));
        if let Value::Value(members) = &mut proposed.member {
            for m in members.iter_mut().filter_map(|m| m.as_mut_option()) {
                match unchanged(m).filter(|_| settings_same) {
                    Some(p) => {
                        m.health = p.health;
                        m.status = p.status;
                    }
                    None => {
                        m.health = Value::Unknown;
                        m.status = Value::Unknown;
                    }
                }
            }
        }
        Some(proposed)
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let Some(device) = self.device(diags) else {
            return Observed::Unreadable;
        };
        let Some(vs) = model_of_stored(base, diags) else {
            return Observed::Unreadable;
        };
        match device.find(&vs, deadline).await {
            Ok(None) => Observed::Gone,
            Ok(Some(mut found)) => {
                let b = &device.balancer;
                b.settle(&mut found.reported.vs, &vs);
                let mut named = found.reported.vs.clone();
                if b.unheld().contains(&"name") {
                    named.name = vs.name.clone();
                }
                Observed::Present(state::observed(
                    &found,
                    base,
                    &vs,
                    b.unheld(),
                    b.import_id(&named),
                    ipvs::one_packet_default(&found.reported.vs),
                ))
            }
            Err(e) => {
                diags.root_error(
                    format!("Cannot read the {} balancer", device.balancer.kind()),
                    e.to_string(),
                );
                Observed::Unreadable
            }
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        let down: Vec<String> = observed
            .member
            .as_ref_option()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_ref_option())
            .filter(|m| m.health.as_ref_option().map(|h| h.as_ref()) == Some("down"))
            .filter_map(|m| m.name.as_ref_option().map(|n| n.to_string()))
            .collect();
        if !down.is_empty() {
            diags.root_warning(
                "Members down",
                format!(
                    "the balancer reports {} of virtual server {} down",
                    down.join(", "),
                    observed.name.as_ref_option().map_or("", |n| n.as_ref())
                ),
            );
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let mut diags = Diagnostics::default();
        let (Some(device), Some(vs)) = (self.device(&mut diags), model_of(planned, &mut diags))
        else {
            return Ok(());
        };
        let refusal = |summary: String, detail: String, import: Option<ImportId>| Refusal {
            summary,
            detail,
            path: None,
            import,
        };
        match device.find(&vs, deadline).await {
            Ok(None) => Ok(()),
            Ok(Some(found)) => {
                let mut named = found.reported.vs.clone();
                if device.balancer.unheld().contains(&"name") {
                    named.name = vs.name.clone();
                }
                let id = device.balancer.import_id(&named);
                Err(refusal(
                    "Virtual server already exists".into(),
                    format!(
                        "the {} balancer already has {} (made outside this configuration); nothing was changed",
                        device.balancer.kind(),
                        id
                    ),
                    self.parse_import(&id).ok(),
                ))
            }
            Err(e) => Err(refusal(
                "Cannot check the balancer".into(),
                e.to_string(),
                None,
            )),
        }
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let (Some(device), Some(wanted)) = (self.device(diags), wanted(change.planned, diags))
        else {
            return Outcome::FailedKeepingPrior;
        };
        match device.apply(&wanted, change.deadline).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                diags.root_error(
                    format!(
                        "Cannot apply the virtual server on {}",
                        device.balancer.kind()
                    ),
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
        let (Some(device), Some(vs)) = (self.device(diags), model_of_stored(prior, diags)) else {
            return;
        };
        if let Err(e) = device.remove(&vs, deadline).await {
            diags.root_error(
                format!(
                    "Cannot delete the virtual server on {}",
                    device.balancer.kind()
                ),
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
        let device = self.device(diags)?;
        let name = id.name.clone().unwrap_or_default();
        let base = import_base(&name, &id, diags)?;
        let vs = model_of(&base, diags)?;
        let found = match device.find(&vs, deadline.min(import_deadline())).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                diags.root_error(
                    "Cannot import the virtual server",
                    format!(
                        "the {} balancer has no virtual server {}",
                        device.balancer.kind(),
                        device.balancer.import_id(&vs)
                    ),
                );
                return None;
            }
            Err(e) => {
                diags.root_error("Cannot import the virtual server", e.to_string());
                return None;
            }
        };
        let mut found = found;
        // Nothing is configured yet: an import keeps every profile setting the balancer lists.
        let listed = VirtualServer {
            f5: found.reported.vs.f5.clone(),
            ..vs.clone()
        };
        device.balancer.settle(&mut found.reported.vs, &listed);
        let mut named = found.reported.vs.clone();
        named.name = name;
        // What the balancer does not hold is taken as the defaults: the next plan shows any
        // difference from the configuration.
        let state = state::observed(
            &found,
            &base,
            &named,
            device.balancer.unheld(),
            device.balancer.import_id(&named),
            ipvs::one_packet_default(&named),
        );
        Some((state, ValueEmpty::default()))
    }
}

/// The state an import starts from: the name, the identity the ID gives, and every default.
fn import_base<'a>(
    name: &str,
    id: &ImportId,
    diags: &mut Diagnostics,
) -> Option<VirtualServerState<'a>> {
    let mut base = VirtualServerState {
        name: known(name.to_string()),
        // Placeholders until the balancer answers; IPVS identifies by them.
        address: known("0.0.0.0"),
        ..Default::default()
    };
    if let Some(node) = id.nodes.first() {
        base.address = known(node.address.clone());
        base.port = node.port.map_or(Value::Null, |p| Value::Value(p.into()));
    }
    if let Some((_, p)) = id.settings.iter().find(|(k, _)| k == "protocol") {
        if word(PROTOCOLS, p).is_err() {
            diags.root_error(
                "Invalid import ID",
                format!("protocol {p:?}: use tcp, udp or both"),
            );
            return None;
        }
        base.protocol = known(p.clone());
    }
    SPEC.with_defaults(base).ok()
}
