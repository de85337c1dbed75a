//! `cms_node_services`: the per-node services of a Cisco Meeting Server on its MMP (Web Admin,
//! Call Bridge, XMPP server, Web Bridge), each block the seed's steps in the seed's order
//! (cms-failover-cluster-part2a), each step checked before it acts.
//!
//! Why one resource per node with a block per service, not a resource per service: the four
//! are configured on the same box through the same MMP session, a site declares them together
//! for each node (`for_each` over the nodes once), and one import reads them all. A service
//! without a block is left alone.
//!
//! Drift: every setting is read back from the service's status command (`webadmin`,
//! `callbridge`, `xmpp`, `webbridge`), so a service disabled, re-pointed or moved to another
//! interface behind Terraform's back shows in the plan as its own attribute; the files show as
//! `certificates` (`current`, `outdated`, `other`, `none`).

mod attributes;
pub mod state;
mod steps;

use crate::backoff::retry;
use crate::client::{Devices, NodeConnection, ShellSession, SshTarget};
use crate::devices::cms::facts::Facts;
use crate::devices::cms::services::Service;
use crate::devices::key_pair::key_matches_certificate;
use crate::devices::pem::{validate_pem, PemKind};
use crate::resources::adapter::{unreadable, Change, DeviceResource, Observed, Outcome, Refusal};
use crate::resources::cms_database_cluster::resolve_pem;
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::node_connection::{import_node, NodeAttributes};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use crate::resources::values::{known, text};
use attributes::SPEC;
use state::*;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use steps::Want;
use tf_provider::value::{Value, ValueEmpty, ValueString};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

/// Attempts per idempotent step when the connection drops or cannot be made.
const STEP_ATTEMPTS: u32 = 4;

pub struct NodeServicesResource {
    devices: Arc<Devices>,
}

fn connection(state: &NodeServicesState<'_>) -> NodeConnection {
    NodeAttributes {
        address: &state.address,
        ssh_port: &state.ssh_port,
        username: &state.username,
        password: &state.password,
        host_key_fingerprint: &state.host_key_fingerprint,
    }
    .connection()
}

fn import_id(node: &NodeConnection) -> ImportId {
    ImportId {
        name: None,
        nodes: vec![import_node(node)],
        settings: vec![],
    }
}

/// One PEM attribute's content, checked: `Ok(None)` when the value is not known yet (plan).
fn resolve(value: &ValueString<'_>, kind: PemKind) -> Result<Option<String>, String> {
    let Some(v) = text(value) else {
        return Ok(None);
    };
    let pem = resolve_pem(&v)?;
    validate_pem(&pem, kind)?;
    if kind == PemKind::PrivateKey {
        crate::secrets::register(&pem);
    }
    Ok(Some(pem))
}

/// The block's files resolved and checked (the key against its certificate), or the first
/// problem at its attribute. `Ok(None)` when a value is not known yet.
fn want_of<'a, B: ServiceBlock<'a>>(block: &B) -> Result<Option<Want>, (AttributePath, String)> {
    let service = B::SERVICE;
    let pems = block.pems();
    let names = pem_attributes(service);
    let at = |i: usize| B::path().attribute(names[i].unwrap_or_default());
    let values = [&pems.key, &pems.certificate, &pems.ca_bundle, &pems.trust];
    let mut contents: [Option<String>; 4] = Default::default();
    for (i, value) in values.iter().enumerate() {
        let kind = match i {
            0 => PemKind::PrivateKey,
            _ => PemKind::Certificate,
        };
        contents[i] = resolve(value, kind).map_err(|e| (at(i), e))?;
    }
    let [key, certificate, bundle, trust] = contents;
    let (Some(key), Some(certificate)) = (key, certificate) else {
        return Ok(None);
    };
    match key_matches_certificate(&key, &certificate) {
        Ok(Some(false)) => {
            return Err((
                at(1),
                "the certificate does not belong to `key` (its public key differs); the MMP would answer `FAILURE: Key and certificate pair do not match`".into(),
            ))
        }
        Err(e) => return Err((at(1), e)),
        Ok(_) => {}
    }
    let unknown = |v: &ValueString<'_>| v.is_unknown();
    if unknown(&pems.ca_bundle) || unknown(&pems.trust) {
        return Ok(None);
    }
    Ok(Some(Want {
        service,
        settings: block.settings(),
        key,
        certificate,
        bundle,
        trust,
    }))
}

/// The block as the device reports it, or `None` when the device has nothing of the service.
async fn observe_block<'a, B: ServiceBlock<'a>>(
    session: &mut ShellSession<'_>,
    facts: &Facts,
    block: &B,
    diags: &mut Diagnostics,
) -> Result<Option<B>, StepError> {
    let status = steps::read_status(session, facts, B::SERVICE).await?;
    if !steps::is_configured(B::SERVICE, &status) {
        return Ok(None);
    }
    let seen = Settings::from_status(B::SERVICE, &status);
    let observed = block.with_settings(&seen);
    let certificates = match want_of(block) {
        Ok(Some(want)) => steps::certificates_state(session, &want, &status).await?,
        Ok(None) => return Ok(Some(observed)),
        Err((path, e)) => {
            diags.warning("Cannot compare the certificates", e, path);
            return Ok(Some(observed));
        }
    };
    let pending = steps::restart_pending(session, B::SERVICE).await?;
    Ok(Some(
        observed
            .with_certificates(certificates)
            .with_restart_pending(pending),
    ))
}

/// The block an import reads: settings and the files the status names.
async fn import_block<'a, B: ServiceBlock<'a>>(
    session: &mut ShellSession<'_>,
    facts: &Facts,
) -> Result<Option<B>, StepError> {
    let status = steps::read_status(session, facts, B::SERVICE).await?;
    if !steps::is_configured(B::SERVICE, &status) {
        return Ok(None);
    }
    let seen = Settings::from_status(B::SERVICE, &status);
    let [key, certificate, ca_bundle, trust] = steps::download(session, &status).await?;
    let opt = |v: Option<String>| v.map(known).unwrap_or(Value::Null);
    let block = B::default().with_settings(&seen).with_pems(Pems {
        key: opt(key),
        certificate: opt(certificate),
        ca_bundle: opt(ca_bundle),
        trust: opt(trust),
    });
    let certificates = match want_of(&block) {
        Ok(Some(want)) => steps::certificates_state(session, &want, &status).await?,
        _ => CERTS_OTHER,
    };
    let pending = steps::restart_pending(session, B::SERVICE).await?;
    Ok(Some(
        block
            .with_certificates(certificates)
            .with_restart_pending(pending),
    ))
}

/// Check every block of `config`; errors at the offending attribute.
fn validate_block<'a, B: ServiceBlock<'a>>(block: &Value<B>, diags: &mut Diagnostics) {
    let Value::Value(block) = block else { return };
    if let Err((path, e)) = want_of(block) {
        diags.error("Invalid certificate", e, path);
    }
    if let Some((attribute, Value::Value(list))) = block.listen_list() {
        if list.is_empty() {
            diags.error(
                "No listening interface",
                format!("{attribute} must name at least one entry; to stop the service, remove the block or set enabled = false"),
                B::path().attribute(attribute),
            );
        }
    }
}

impl NodeServicesResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        NodeServicesResource { devices }
    }

    fn target(&self, state: &NodeServicesState<'_>) -> Result<SshTarget, StepError> {
        self.devices
            .ssh_target(&connection(state))
            .map_err(StepError::Config)
    }

    /// Every managed block as the device reports it (a block the device has nothing of is
    /// null), with the warnings of the comparison.
    async fn read<'a>(
        &self,
        base: &NodeServicesState<'a>,
    ) -> Result<(NodeServicesState<'a>, Diagnostics), StepError> {
        let target = self.target(base)?;
        let facts = self.devices.cms_facts().map_err(StepError::Config)?;
        let mut session = self.devices.mmp(&target).await;
        let (s, f, mut diags) = (&mut session, &facts, Diagnostics::default());
        let mut out = base.clone();
        if let Value::Value(b) = &base.webadmin {
            out.webadmin = observe_block(s, f, b, &mut diags).await?.into();
        }
        if let Value::Value(b) = &base.callbridge {
            out.callbridge = observe_block(s, f, b, &mut diags).await?.into();
        }
        if let Value::Value(b) = &base.xmpp {
            out.xmpp = observe_block(s, f, b, &mut diags).await?.into();
        }
        if let Value::Value(b) = &base.webbridge {
            out.webbridge = observe_block(s, f, b, &mut diags).await?.into();
        }
        Ok((out, diags))
    }

    /// Run `work` on the node's MMP, retrying when the connection drops.
    async fn on_node<T, F>(
        &self,
        state: &NodeServicesState<'_>,
        deadline: Instant,
        work: F,
    ) -> Result<T, StepError>
    where
        F: for<'x> Fn(
            &'x mut ShellSession<'_>,
            &'x Facts,
        ) -> futures::future::BoxFuture<'x, Result<T, StepError>>,
    {
        let target = self.target(state)?;
        let facts = self.devices.cms_facts().map_err(StepError::Config)?;
        retry(
            STEP_ATTEMPTS,
            deadline,
            StepError::is_retryable,
            |_| async {
                let mut session = self.devices.mmp(&target).await;
                work(&mut session, &facts).await
            },
        )
        .await
    }
}

/// The wanted state of every block of `state`, in the seed's order (Web Admin, Call Bridge,
/// XMPP, Web Bridge), with the attribute path of each.
fn wants(
    state: &NodeServicesState<'_>,
) -> Result<Vec<(AttributePath, Want)>, (AttributePath, String)> {
    let mut out = Vec::new();
    fn push<'a, B: ServiceBlock<'a>>(
        out: &mut Vec<(AttributePath, Want)>,
        block: &Value<B>,
    ) -> Result<(), (AttributePath, String)> {
        if let Value::Value(b) = block {
            match want_of(b)? {
                Some(want) => out.push((B::path(), want)),
                None => return Err((B::path(), "a certificate value is not known".into())),
            }
        }
        Ok(())
    }
    push(&mut out, &state.webadmin)?;
    push(&mut out, &state.callbridge)?;
    push(&mut out, &state.xmpp)?;
    push(&mut out, &state.webbridge)?;
    Ok(out)
}

/// The services `state` has a block for.
fn managed(state: &NodeServicesState<'_>) -> Vec<Service> {
    let mut out = Vec::new();
    if state.webadmin.is_value() {
        out.push(Service::WebAdmin);
    }
    if state.callbridge.is_value() {
        out.push(Service::CallBridge);
    }
    if state.xmpp.is_value() {
        out.push(Service::Xmpp);
    }
    if state.webbridge.is_value() {
        out.push(Service::WebBridge);
    }
    out
}

fn service_path(service: Service) -> AttributePath {
    AttributePath::new(service.word()).index(0)
}

fn with_current<'a, B: ServiceBlock<'a>>(block: Value<B>) -> Value<B> {
    match block {
        Value::Value(b) => Value::Value(
            b.with_certificates(CERTS_CURRENT)
                .with_restart_pending(false),
        ),
        other => other,
    }
}

const IMPORT_ID: ImportShape = ImportShape {
    name: None,
    labels: None,
    min_nodes: 1,
    max_nodes: 1,
    settings: &[],
    usage:
        "<node>, the node's MMP as host, host:port or [ipv6]:port, e.g. 10.0.0.1 or 10.0.0.1:2222",
};

#[async_trait::async_trait]
impl DeviceResource for NodeServicesResource {
    type State<'a> = NodeServicesState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "Node services";

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        validate_block(&config.webadmin, diags);
        validate_block(&config.callbridge, diags);
        validate_block(&config.xmpp, diags);
        validate_block(&config.webbridge, diags);
        if [
            config.webadmin.is_null(),
            config.callbridge.is_null(),
            config.xmpp.is_null(),
            config.webbridge.is_null(),
        ]
        .iter()
        .all(|n| *n)
        {
            diags.root_error(
                "No service",
                "declare at least one of the webadmin, callbridge, xmpp and webbridge blocks",
            );
        }
        // The clashes count the defaults (the Web Bridge redirects port 80 unless told not to).
        let Ok(defaulted) = SPEC.with_defaults(config.clone()) else {
            return;
        };
        if let (Value::Value(wa), Value::Value(wb)) = (&defaulted.webadmin, &defaulted.webbridge) {
            let admin = wa.settings();
            let bridge = wb.settings();
            if admin.http_redirect == Some(true) && bridge.http_redirect == Some(true) {
                diags.error(
                    "Port 80 redirected twice",
                    "only one service may redirect HTTP port 80: set http_redirect = false in webadmin or in webbridge",
                    AttributePath::new("webadmin").index(0).attribute("http_redirect"),
                );
            }
            if let [interface, port] = admin.listen.as_slice() {
                let entry = format!("{interface}:{port}");
                if let Some(i) = bridge.listen.iter().position(|l| *l == entry) {
                    diags.error(
                        "Port used twice",
                        format!("the Web Admin and the Web Bridge both listen on {entry}; the seed puts the Web Admin on 445 and the Web Bridge on 443"),
                        AttributePath::new("webbridge").index(0).attribute("listen").index(i as i64),
                    );
                }
            }
        }
    }

    fn plan<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        _config: &Self::State<'a>,
        _prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        let id = import_node(&connection(&proposed)).endpoint();
        Some(NodeServicesState {
            id: known(id),
            webadmin: with_current(proposed.webadmin.clone()),
            callbridge: with_current(proposed.callbridge.clone()),
            xmpp: with_current(proposed.xmpp.clone()),
            webbridge: with_current(proposed.webbridge.clone()),
            ..proposed
        })
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let read = retry(STEP_ATTEMPTS, deadline, StepError::is_retryable, |_| {
            self.read(base)
        })
        .await;
        match read {
            Ok((state, warnings)) => {
                diags.warnings.extend(warnings.warnings);
                match managed(&state).is_empty() {
                    true => Observed::Gone,
                    false => Observed::Present(state),
                }
            }
            Err(e) => unreadable(diags, e, "its services", "Cannot read the node's services"),
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let services = managed(planned);
        let found = self
            .on_node(planned, deadline, |session, facts| {
                let services = services.clone();
                Box::pin(async move {
                    let mut found = Vec::new();
                    for service in services {
                        let status = steps::read_status(session, facts, service).await?;
                        if steps::is_configured(service, &status) {
                            found.push(service);
                        }
                    }
                    Ok(found)
                })
            })
            .await;
        let endpoint = import_node(&connection(planned)).endpoint();
        match found {
            Ok(found) if found.is_empty() => Ok(()),
            Ok(found) => Err(Refusal {
                summary: "Service already configured".into(),
                detail: format!(
                    "{endpoint} already has {} configured",
                    found
                        .iter()
                        .map(|s| s.word())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                path: Some(service_path(found[0])),
                import: Some(import_id(&connection(planned))),
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
        let wants = match wants(planned) {
            Ok(w) => w,
            Err((path, e)) => {
                diags.error("Invalid certificate", e, path);
                return Outcome::Refused;
            }
        };
        // Blocks removed from the configuration: their services go back to unconfigured.
        let kept = managed(planned);
        let dropped: Vec<Service> = change
            .prior
            .map(managed)
            .unwrap_or_default()
            .into_iter()
            .filter(|s| !kept.contains(s))
            .collect();
        for service in dropped {
            let cleared = self
                .on_node(planned, change.deadline, |session, facts| {
                    Box::pin(steps::clear(session, facts, service))
                })
                .await;
            if let Err(e) = cleared {
                diags.root_error(
                    format!(
                        "Cannot unconfigure the {} removed from the configuration",
                        service.word()
                    ),
                    e.to_string(),
                );
                return Outcome::Failed;
            }
        }
        for (path, want) in &wants {
            let released = self
                .on_node(planned, change.deadline, |session, facts| {
                    let want = want.clone();
                    Box::pin(async move { steps::release_redirect(session, facts, &want).await })
                })
                .await;
            if let Err(e) = released {
                diags.error(
                    "Cannot turn the HTTP redirect off",
                    e.to_string(),
                    path.clone(),
                );
                return Outcome::Failed;
            }
        }
        for (path, want) in &wants {
            let changed = Arc::new(AtomicBool::new(false));
            let applied = self
                .on_node(planned, change.deadline, |session, facts| {
                    let (want, changed) = (want.clone(), changed.clone());
                    Box::pin(async move { steps::apply(session, facts, &want, &changed).await })
                })
                .await;
            if let Err(e) = applied {
                diags.error(
                    format!("Cannot configure the {}", want.service.word()),
                    e.to_string(),
                    path.clone(),
                );
                return Outcome::Failed;
            }
        }
        Outcome::Done
    }

    async fn delete<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: &Self::State<'a>,
        deadline: Instant,
    ) {
        // The reverse of the seed's order: the Web Bridge and XMPP before the Call Bridge.
        for service in managed(prior).into_iter().rev() {
            let cleared = self
                .on_node(prior, deadline, |session, facts| {
                    Box::pin(steps::clear(session, facts, service))
                })
                .await;
            if let Err(e) = cleared {
                diags.error(
                    format!("Cannot unconfigure the {}", service.word()),
                    e.to_string(),
                    service_path(service),
                );
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let node = &id.nodes[0];
        let base = NodeServicesState {
            id: known(node.endpoint()),
            address: known(node.address.clone()),
            ssh_port: node
                .port
                .map(|p| Value::Value(i64::from(p)))
                .unwrap_or(Value::Null),
            ..Default::default()
        };
        let read = self
            .on_node(&base, deadline, |session, facts| {
                Box::pin(async move {
                    Ok((
                        import_block::<WebAdmin>(session, facts).await?,
                        import_block::<CallBridge>(session, facts).await?,
                        import_block::<Xmpp>(session, facts).await?,
                        import_block::<WebBridge>(session, facts).await?,
                    ))
                })
            })
            .await;
        let (webadmin, callbridge, xmpp, webbridge) = match read {
            Ok(blocks) => blocks,
            Err(e) => {
                diags.root_error(
                    format!("Cannot import the services of {}", node.endpoint()),
                    e.to_string(),
                );
                return None;
            }
        };
        let state = NodeServicesState {
            webadmin: webadmin.into(),
            callbridge: callbridge.into(),
            xmpp: xmpp.into(),
            webbridge: webbridge.into(),
            ..base
        };
        if managed(&state).is_empty() {
            diags.root_error(
                format!("Cannot import the services of {}", node.endpoint()),
                "none of the Web Admin, Call Bridge, XMPP server and Web Bridge is configured there",
            );
            return None;
        }
        Some((state, Value::Null))
    }
}
