//! `cms_xmpp_callbridge`: one Call Bridge's account on the XMPP server of every XMPP node.
//!
//! Procedure (Cisco TAC 213479 "Configure XMPP Resiliency"; seed cms-failover-cluster-part2a,
//! XMPP section): the account is created with `xmpp callbridge add <name>` on one node, which
//! generates the secret; the same name and secret are entered with `xmpp callbridge add-secret
//! <name>` on every other node, because the XMPP cluster does not replicate accounts. `xmpp
//! callbridge list` shows them; `xmpp callbridge del <name>` removes one.
//!
//! Drift is per node: a node that lost the account, or holds another secret, reports
//! `status = "missing"` / `"secret_mismatch"`, and the plan shows it going back to `"registered"`.

mod attributes;

use crate::backoff::retry;
use crate::client::Devices;
use crate::client::NodeConnection;
use crate::client::PromptAnswer;
use crate::client::SshTarget;
use crate::devices::cms::xmpp_callbridge::{
    add_command, add_secret_command, del_command, parse_callbridge_list, validate_name,
    CallbridgeAccount, LIST_COMMAND, SECRET_QUESTION,
};
use crate::resources::adapter::{
    refuse_per_node, Change, DeviceResource, Observed, Outcome, Refusal,
};
use crate::resources::import_id::{ImportId, ImportShape};
use crate::resources::mmp_command::{run_mmp, run_mmp_listing};
use crate::resources::node_connection::{import_node, NodeAttributes};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use crate::resources::values::text;
use crate::timeouts::Timeouts;
use attributes::SPEC;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tf_provider::value::{self, Value, ValueEmpty, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

pub const STATUS_REGISTERED: &str = "registered";
pub const STATUS_MISSING: &str = "missing";
pub const STATUS_SECRET_MISMATCH: &str = "secret_mismatch";
pub const STATUS_UNREACHABLE: &str = "unreachable";

/// Attempts per idempotent step when the connection drops or cannot be made.
const STEP_ATTEMPTS: u32 = 4;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CallbridgeState<'a> {
    pub id: ValueString<'a>,
    pub name: ValueString<'a>,
    pub secret: ValueString<'a>,
    pub domain: ValueString<'a>,
    pub xmpp_node: ValueList<Value<XmppNode<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct XmppNode<'a> {
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    pub status: ValueString<'a>,
}

pub struct XmppCallbridgeResource {
    devices: Arc<Devices>,
}

/// What one node reported for the account: present (with its secret), absent, or unknown.
type NodeView = Result<Option<CallbridgeAccount>, StepError>;

fn node_path(i: usize) -> AttributePath {
    AttributePath::new("xmpp_node").index(i as i64)
}

fn known_nodes<'a>(state: &CallbridgeState<'a>) -> Vec<XmppNode<'a>> {
    state
        .xmpp_node
        .as_ref_option()
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|n| n.as_ref_option().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn connection(node: &XmppNode<'_>) -> NodeConnection {
    NodeAttributes {
        address: &node.address,
        ssh_port: &node.port,
        username: &node.username,
        password: &node.password,
        host_key_fingerprint: &node.host_key_fingerprint,
    }
    .connection()
}

fn with_status<'a>(mut nodes: Vec<XmppNode<'a>>, status: &str) -> ValueList<Value<XmppNode<'a>>> {
    for node in &mut nodes {
        node.status = Value::Value(status.to_string().into());
    }
    Value::Value(nodes.into_iter().map(Value::Value).collect())
}

/// The state that `views` (one per node, in order) describe, starting from `base` for the
/// configuration-only attributes. Returns the state and whether the account exists anywhere.
fn observed_state<'a>(
    base: &CallbridgeState<'a>,
    views: &[NodeView],
    diags: &mut Diagnostics,
) -> (CallbridgeState<'a>, bool) {
    let accounts: Vec<&CallbridgeAccount> = views
        .iter()
        .filter_map(|v| v.as_ref().ok().and_then(|a| a.as_ref()))
        .collect();
    for account in &accounts {
        crate::secrets::register(&account.secret);
    }
    // The secret the cluster agrees on: the one Terraform knows if any node still has it,
    // else the first node's (the node that generates it).
    let known = base.secret.as_ref_option().map(|s| s.to_string());
    let reference = known
        .filter(|k| accounts.iter().any(|a| &a.secret == k))
        .or_else(|| accounts.first().map(|a| a.secret.clone()));
    let mut nodes = known_nodes(base);
    for (i, (node, view)) in nodes.iter_mut().zip(views).enumerate() {
        let status = match view {
            Ok(Some(a)) if Some(&a.secret) == reference.as_ref() => STATUS_REGISTERED,
            Ok(Some(_)) => STATUS_SECRET_MISMATCH,
            Ok(None) => STATUS_MISSING,
            Err(StepError::Transport(t)) if t.is_unreachable() => {
                diags.warning(
                    "XMPP node unreachable",
                    format!("{t}; its registration could not be checked"),
                    node_path(i),
                );
                STATUS_UNREACHABLE
            }
            Err(e) => {
                diags.error(
                    "Cannot read the Call Bridge account",
                    e.to_string(),
                    node_path(i),
                );
                STATUS_UNREACHABLE
            }
        };
        node.status = Value::Value(status.to_string().into());
    }
    let state = CallbridgeState {
        secret: reference
            .map(|s| Value::Value(s.into()))
            .unwrap_or(Value::Null),
        domain: accounts
            .first()
            .map(|a| Value::Value(a.domain.clone().into()))
            .unwrap_or_else(|| base.domain.clone()),
        xmpp_node: Value::Value(nodes.into_iter().map(Value::Value).collect()),
        ..base.clone()
    };
    (state, !accounts.is_empty())
}

impl XmppCallbridgeResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        XmppCallbridgeResource { devices }
    }

    fn target(&self, node: &NodeConnection) -> Result<SshTarget, StepError> {
        self.devices.ssh_target(node).map_err(StepError::Config)
    }

    /// The account named `name` on one node, if any.
    async fn account_on(&self, target: &SshTarget, name: &str) -> NodeView {
        let mut session = self.devices.mmp(target).await;
        find_account(&mut session, name).await
    }

    /// Ask every node (in parallel: they are different devices) for the account.
    async fn observe_nodes(
        &self,
        name: &str,
        nodes: &[NodeConnection],
        deadline: Instant,
    ) -> Vec<NodeView> {
        let reads = nodes.iter().map(|node| async move {
            let target = self.target(node)?;
            retry(STEP_ATTEMPTS, deadline, StepError::is_retryable, |_| {
                self.account_on(&target, name)
            })
            .await
        });
        futures::future::join_all(reads).await
    }

    /// Two blocks that reach the same node once the provider's default port fills an unset one
    /// (validate cannot tell: the provider block is not known there).
    fn check_same_node_twice(&self, config: &CallbridgeState<'_>, diags: &mut Diagnostics) {
        let Ok(settings) = self.devices.ssh_settings() else {
            return;
        };
        // (address, resolved port, whether the port came from the provider)
        let mut seen: Vec<(String, i64, bool)> = Vec::new();
        for (i, node) in config
            .xmpp_node
            .as_ref_option()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Value::Value(node) = node else { continue };
            let (Some(address), port) = (text(&node.address), node.port.as_ref_option()) else {
                continue;
            };
            let resolved = port.copied().unwrap_or(i64::from(settings.port));
            let defaulted = port.is_none();
            let earlier = seen
                .iter()
                .find(|(a, p, _)| *a == address && *p == resolved);
            if let Some((_, _, earlier_defaulted)) = earlier {
                let detail = match defaulted || *earlier_defaulted {
                    true => format!("{address} is listed twice: with port {resolved}, and without a port, which uses the provider's port {resolved}; each node must appear once"),
                    false => format!("{address}:{resolved} is listed twice; each node must appear once"),
                };
                let attribute = if defaulted { "address" } else { "port" };
                diags.error(
                    "Duplicate XMPP node",
                    detail,
                    node_path(i).attribute(attribute),
                );
            }
            seen.push((address, resolved, defaulted));
        }
    }

    /// Make the account exist with `secret` on one node; with no secret, have the node generate
    /// one. Checks first, so running it again after a lost connection does not add twice.
    async fn ensure_registered(
        &self,
        target: &SshTarget,
        name: &str,
        secret: Option<&str>,
    ) -> Result<String, StepError> {
        let mut session = self.devices.mmp(target).await;
        let answer = |s: &str| {
            [PromptAnswer {
                question: SECRET_QUESTION,
                reply: s.to_string(),
            }]
        };
        match (find_account(&mut session, name).await?, secret) {
            (Some(account), Some(wanted)) if account.secret == wanted => Ok(account.secret),
            // Our own earlier `add`, whose reply the dropped connection swallowed.
            (Some(account), None) => Ok(account.secret),
            (Some(_), Some(wanted)) => {
                run_mmp(&mut session, &del_command(name), &[]).await?;
                run_mmp(&mut session, &add_secret_command(name), &answer(wanted)).await?;
                Ok(wanted.to_string())
            }
            (None, Some(wanted)) => {
                run_mmp(&mut session, &add_secret_command(name), &answer(wanted)).await?;
                Ok(wanted.to_string())
            }
            (None, None) => {
                let command = add_command(name);
                let output = run_mmp(&mut session, &command, &[]).await?;
                let generated = parse_callbridge_list(&output)
                    .ok()
                    .and_then(|accounts| accounts.into_iter().find(|a| a.name == name))
                    .map(|a| a.secret)
                    .ok_or_else(|| StepError::Output {
                        endpoint: session.endpoint(),
                        command,
                        message: "the generated secret was not in the reply".into(),
                    })?;
                crate::secrets::register(&generated);
                Ok(generated)
            }
        }
    }

    /// Make sure the node has no account `name`.
    async fn ensure_absent(&self, target: &SshTarget, name: &str) -> Result<(), StepError> {
        let mut session = self.devices.mmp(target).await;
        if find_account(&mut session, name).await?.is_some() {
            run_mmp(&mut session, &del_command(name), &[]).await?;
        }
        Ok(())
    }

    /// Remove the account from one node, retrying when the connection drops.
    async fn remove_from(
        &self,
        node: &NodeConnection,
        name: &str,
        deadline: Instant,
    ) -> Result<(), StepError> {
        let target = self.target(node)?;
        retry(STEP_ATTEMPTS, deadline, StepError::is_retryable, |_| {
            self.ensure_absent(&target, name)
        })
        .await
    }

    /// Register on every node in order; the first generates the secret when none is given.
    /// On failure, the index of the node that failed.
    async fn register_everywhere(
        &self,
        name: &str,
        nodes: &[NodeConnection],
        secret: Option<String>,
        deadline: Instant,
    ) -> Result<(), (usize, StepError)> {
        let mut secret = secret;
        for (i, node) in nodes.iter().enumerate() {
            let target = self.target(node).map_err(|e| (i, e))?;
            let wanted = secret.clone();
            let stored = retry(STEP_ATTEMPTS, deadline, StepError::is_retryable, |_| {
                self.ensure_registered(&target, name, wanted.as_deref())
            })
            .await
            .map_err(|e| (i, e))?;
            secret = Some(stored);
        }
        Ok(())
    }

    /// Name each drifted node in the plan output: the plan's own diff cannot say which block
    /// is which, because Terraform hides the unchanged `address`.
    fn warn_about_drift(
        &self,
        diags: &mut Diagnostics,
        name: &str,
        nodes: &[NodeConnection],
        observed: &CallbridgeState<'_>,
    ) {
        for (i, (node, seen)) in nodes.iter().zip(known_nodes(observed)).enumerate() {
            let what = match seen.status.as_ref_option().map(|s| s.as_ref()) {
                Some(STATUS_MISSING) => "is missing",
                Some(STATUS_SECRET_MISMATCH) => "has a different secret",
                _ => continue,
            };
            let endpoint = self
                .target(node)
                .map(|t| t.endpoint())
                .unwrap_or_else(|_| node.address.clone());
            diags.warning(
                "Call Bridge account changed outside Terraform",
                format!("{name} {what} on {endpoint}; the plan registers it again with the cluster's secret"),
                node_path(i),
            );
        }
    }
}

async fn find_account(session: &mut crate::client::ShellSession<'_>, name: &str) -> NodeView {
    let output = run_mmp_listing(session, LIST_COMMAND).await?;
    let accounts = parse_callbridge_list(&output).map_err(|message| StepError::Output {
        endpoint: session.endpoint(),
        command: LIST_COMMAND.to_string(),
        message,
    })?;
    Ok(accounts.into_iter().find(|a| a.name == name))
}

/// Import ID: the Call Bridge name and every XMPP node.
const IMPORT_ID: ImportShape = ImportShape {
    name: Some(validate_name),
    labels: None,
    min_nodes: 1,
    max_nodes: usize::MAX,
    settings: &[],
    usage: "<name>@<node>[,<node>...], each node host, host:port or [ipv6]:port, e.g. cb1@10.0.0.1,10.0.0.2:2222",
};

/// The import ID that names this account on these nodes.
fn import_id(name: &str, nodes: &[NodeConnection]) -> ImportId {
    ImportId {
        name: Some(name.to_string()),
        nodes: nodes.iter().map(import_node).collect(),
        settings: vec![],
    }
}

fn nodes_of(state: &CallbridgeState<'_>) -> Vec<NodeConnection> {
    known_nodes(state).iter().map(connection).collect()
}

#[async_trait::async_trait]
impl DeviceResource for XmppCallbridgeResource {
    type State<'a> = CallbridgeState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "Call Bridge account";

    fn validate(&self, diags: &mut Diagnostics, config: &CallbridgeState<'_>) {
        let Value::Value(nodes) = &config.xmpp_node else {
            return;
        };
        if nodes.is_empty() {
            diags.error(
                "No XMPP nodes",
                "at least one xmpp_node block is required: list every node of the XMPP cluster",
                AttributePath::new("xmpp_node"),
            );
        }
        let mut seen: Vec<(String, Option<i64>)> = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            let Value::Value(node) = node else { continue };
            let address = node.address.as_ref_option().map(|a| a.to_string());
            let port = node.port.as_ref_option().copied();
            if let Some(address) = address {
                if seen.iter().any(|(a, p)| *a == address && *p == port) {
                    diags.error(
                        "Duplicate XMPP node",
                        format!("{address} is listed twice; each node must appear once"),
                        node_path(i).attribute("address"),
                    );
                }
                seen.push((address, port));
            }
        }
    }

    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed: Self::State<'a>,
        config: &Self::State<'a>,
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        self.check_same_node_twice(config, diags);
        let secret = match (config.secret.is_null(), prior) {
            (false, _) => config.secret.clone(),
            // Unset in configuration: keep the cluster's secret (a generated one stays) ...
            (true, Some((prior, _))) => prior.secret.clone(),
            // ... or have the first node generate one.
            (true, None) => Value::Unknown,
        };
        let domain = match prior {
            Some(_) => proposed.domain.clone(),
            None => Value::Unknown,
        };
        Some(CallbridgeState {
            id: proposed.name.clone(),
            secret,
            domain,
            xmpp_node: with_status(known_nodes(&proposed), STATUS_REGISTERED),
            ..proposed
        })
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let Some(name) = text(&base.name) else {
            return Observed::Unreadable;
        };
        let views = self.observe_nodes(&name, &nodes_of(base), deadline).await;
        let (observed, exists) = observed_state(base, &views, diags);
        match exists || views.iter().any(|v| v.is_err()) {
            true => Observed::Present(observed),
            false => Observed::Gone,
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &CallbridgeState<'_>) {
        let name = text(&observed.name).unwrap_or_default();
        self.warn_about_drift(diags, &name, &nodes_of(observed), observed);
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let name = text(&planned.name).unwrap_or_default();
        let nodes = nodes_of(planned);
        let views = self.observe_nodes(&name, &nodes, deadline).await;
        refuse_per_node(
            &views,
            node_path,
            "Cannot check the XMPP node before creating",
            |i, account| {
                account.as_ref().map(|_| {
                    (
                        "Call Bridge account already exists".to_string(),
                        format!(
                            "{} already has an XMPP account named {name:?}",
                            nodes[i].address
                        ),
                    )
                })
            },
            || import_id(&name, &nodes),
        )
        .map_or(Ok(()), Err)
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let name = text(&change.planned.name).unwrap_or_default();
        let planned_nodes = nodes_of(change.planned);
        let same_node =
            |a: &NodeConnection, b: &NodeConnection| a.address == b.address && a.port == b.port;
        let leaving = change.prior.map(nodes_of).unwrap_or_default();
        for old in leaving {
            if planned_nodes.iter().any(|n| same_node(n, &old)) {
                continue;
            }
            if let Err(e) = self.remove_from(&old, &name, change.deadline).await {
                diags.root_error(
                    "Cannot remove the Call Bridge account from a node leaving the list",
                    e.to_string(),
                );
                return Outcome::FailedKeepingPrior;
            }
        }
        let secret =
            text(&change.planned.secret).or_else(|| change.prior.and_then(|p| text(&p.secret)));
        match self
            .register_everywhere(&name, &planned_nodes, secret, change.deadline)
            .await
        {
            Ok(()) => Outcome::Done,
            Err((i, e)) => {
                diags.error(
                    "Cannot register the Call Bridge account",
                    e.to_string(),
                    node_path(i),
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
        let name = text(&prior.name).unwrap_or_default();
        for (i, node) in nodes_of(prior).iter().enumerate() {
            if let Err(e) = self.remove_from(node, &name, deadline).await {
                diags.error(
                    "Cannot delete the Call Bridge account",
                    e.to_string(),
                    node_path(i),
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
        let name = id.name.clone().unwrap_or_default();
        let nodes = id
            .nodes
            .iter()
            .map(|node| {
                Value::Value(XmppNode {
                    address: Value::Value(node.address.clone().into()),
                    port: node
                        .port
                        .map(|p| Value::Value(i64::from(p)))
                        .unwrap_or(Value::Null),
                    ..Default::default()
                })
            })
            .collect();
        let state = CallbridgeState {
            id: Value::Value(name.clone().into()),
            name: Value::Value(name.clone().into()),
            xmpp_node: Value::Value(nodes),
            ..Default::default()
        };
        // Every node must be read: an ID that names a node nobody can read, or an account that
        // exists nowhere, fails here.
        let views = self.observe_nodes(&name, &nodes_of(&state), deadline).await;
        let mut found = false;
        for (node, view) in id.nodes.iter().zip(&views) {
            match view {
                Err(e) => {
                    diags.root_error(
                        format!("Cannot import Call Bridge {name}"),
                        format!("node {} cannot be read: {e}", node.endpoint()),
                    );
                    return None;
                }
                Ok(account) => found |= account.is_some(),
            }
        }
        if !found {
            diags.root_error(
                format!("Cannot import Call Bridge {name}"),
                format!(
                    "no XMPP node in {:?} has an account named {name}",
                    id.to_string()
                ),
            );
            return None;
        }
        Some((state, Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TransportError;

    fn node(address: &str) -> XmppNode<'static> {
        XmppNode {
            address: Value::Value(address.to_string().into()),
            ..Default::default()
        }
    }

    fn base(secret: Option<&str>) -> CallbridgeState<'static> {
        CallbridgeState {
            name: Value::Value("cb1".into()),
            secret: secret
                .map(|s| Value::Value(s.to_string().into()))
                .unwrap_or(Value::Null),
            xmpp_node: Value::Value(vec![
                Value::Value(node("10.0.0.1")),
                Value::Value(node("10.0.0.2")),
                Value::Value(node("10.0.0.3")),
            ]),
            ..Default::default()
        }
    }

    fn account(secret: &str) -> NodeView {
        Ok(Some(CallbridgeAccount {
            name: "cb1".into(),
            domain: "d.example".into(),
            secret: secret.into(),
        }))
    }

    fn statuses(state: &CallbridgeState<'_>) -> Vec<String> {
        known_nodes(state)
            .iter()
            .map(|n| n.status.as_ref_option().unwrap().to_string())
            .collect()
    }

    #[test]
    fn drift_per_node() {
        let mut diags = Diagnostics::default();
        let views = vec![account("s3cret-one"), Ok(None), account("other-secret")];
        let (state, exists) = observed_state(&base(Some("s3cret-one")), &views, &mut diags);
        assert!(exists);
        assert_eq!(
            statuses(&state),
            vec!["registered", "missing", "secret_mismatch"]
        );
        assert_eq!(state.secret, Value::Value("s3cret-one".into()));
        assert_eq!(state.domain, Value::Value("d.example".into()));
    }

    #[test]
    fn secret_comes_from_the_first_node_when_terraform_knows_none() {
        let mut diags = Diagnostics::default();
        let views = vec![Ok(None), account("gen-secret-2"), account("gen-secret-2")];
        let (state, _) = observed_state(&base(None), &views, &mut diags);
        assert_eq!(state.secret, Value::Value("gen-secret-2".into()));
        assert_eq!(
            statuses(&state),
            vec!["missing", "registered", "registered"]
        );
    }

    #[test]
    fn unreachable_node_is_a_warning_other_errors_are_errors() {
        let mut diags = Diagnostics::default();
        let down = Err(StepError::Transport(TransportError::Connect {
            endpoint: "10.0.0.2:22".into(),
            message: "refused".into(),
        }));
        let views = vec![account("abcd1234"), down, Ok(None)];
        let (state, _) = observed_state(&base(None), &views, &mut diags);
        assert_eq!(
            statuses(&state),
            vec!["registered", "unreachable", "missing"]
        );
        assert_eq!((diags.errors.len(), diags.warnings.len()), (0, 1));
        let bad_key = Err(StepError::Transport(TransportError::HostKey {
            endpoint: "x".into(),
            message: "mismatch".into(),
        }));
        let mut diags = Diagnostics::default();
        observed_state(&base(None), &[bad_key, Ok(None), Ok(None)], &mut diags);
        assert_eq!(diags.errors.len(), 1);
    }

    #[test]
    fn nothing_anywhere_means_gone() {
        let mut diags = Diagnostics::default();
        let (_, exists) = observed_state(
            &base(Some("abcd1234")),
            &[Ok(None), Ok(None), Ok(None)],
            &mut diags,
        );
        assert!(!exists);
    }
}
