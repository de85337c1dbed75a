//! `cms_xmpp_cluster`: the XMPP cluster of Cisco Meeting Server nodes (XMPP resiliency), built,
//! grown, shrunk, healed and imported from one block of configuration, in the order of Cisco TAC
//! 213479 (seed cms-failover-cluster-part2a, "XMPP Cluster").
//!
//! Drift is per node (`state`: a node reset or taken out behind Terraform's back is
//! `not_clustered`, listed twice `duplicate`) and in `peers` (stale entries); the plan always
//! wants every node `clustered` and each listed once. Which node leads (`leader`) is reported,
//! never corrected.

mod attributes;
pub mod state;
mod steps;

use crate::client::Devices;
use crate::devices::pem::{validate_pem, PemKind};
use crate::resources::adapter::{
    refuse_per_node, Change, DeviceResource, Observed, Outcome, Refusal,
};
use crate::resources::cms_database_cluster::{resolve_pem, validate_node_name};
use crate::resources::import_id::{ImportId, ImportNode, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::values::{known, text};
use attributes::SPEC;
use state::*;
use std::sync::Arc;
use steps::{Failure, Procedure};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

pub struct XmppClusterResource {
    devices: Arc<Devices>,
}

/// The trust bundle's content, checked.
fn trust_of(state: &XmppClusterState<'_>) -> Result<Option<String>, String> {
    let Some(value) = text(&state.trust_bundle) else {
        return Ok(None);
    };
    let pem = resolve_pem(&value)?;
    validate_pem(&pem, PemKind::Certificate)?;
    Ok(Some(pem))
}

const IMPORT_ID: ImportShape = ImportShape {
    name: None,
    labels: Some(validate_node_name),
    min_nodes: 2,
    max_nodes: usize::MAX,
    settings: &[],
    usage: "<name>=<address>[:<ssh port>],... listing every node, e.g. cms1=10.0.0.1,cms2=10.0.0.2,cms3=10.0.0.3:2222",
};

fn import_id(nodes: &[XmppNode<'_>]) -> ImportId {
    ImportId {
        name: None,
        nodes: nodes
            .iter()
            .map(|n| ImportNode {
                label: Some(n.name()),
                address: n.address(),
                port: n
                    .ssh_port
                    .as_ref_option()
                    .and_then(|p| u16::try_from(*p).ok()),
            })
            .collect(),
        settings: vec![],
    }
}

impl XmppClusterResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        XmppClusterResource { devices }
    }

    fn procedure<'r, 'a>(
        &'r self,
        nodes: Vec<XmppNode<'a>>,
        trust: Option<String>,
        deadline: Instant,
    ) -> Procedure<'r, 'a> {
        Procedure {
            devices: &self.devices,
            // Not configured: the built-in tables; every step fails on the target anyway.
            facts: self.devices.cms_facts().unwrap_or_default(),
            nodes,
            trust,
            deadline,
        }
    }
}

/// The planned state: every node clustered with the current trust, each listed once.
fn planned_state<'a>(
    proposed: XmppClusterState<'a>,
    prior: Option<&XmppClusterState<'a>>,
) -> XmppClusterState<'a> {
    let nodes: Vec<XmppNode<'a>> = proposed
        .nodes()
        .into_iter()
        .map(|n| XmppNode {
            state: known(STATE_CLUSTERED),
            trust: known(TRUST_CURRENT),
            ..n
        })
        .collect();
    let peers = match nodes.iter().all(|n| n.address.is_value()) {
        true => {
            let mut a: Vec<String> = nodes.iter().map(|n| n.address()).collect();
            a.sort();
            Value::Value(a.into_iter().map(known).collect())
        }
        false => Value::Unknown,
    };
    let id = nodes
        .first()
        .map(|n| n.name.clone())
        .unwrap_or(Value::Unknown);
    let planned = XmppClusterState {
        id,
        peers,
        leader: Value::Unknown,
        ..proposed.with_nodes(nodes)
    };
    // The leader stays as it is unless the plan changes the cluster.
    match prior {
        Some(prior)
            if (XmppClusterState {
                leader: prior.leader.clone(),
                ..planned.clone()
            }) == *prior =>
        {
            prior.clone()
        }
        _ => planned,
    }
}

#[async_trait::async_trait]
impl DeviceResource for XmppClusterResource {
    type State<'a> = XmppClusterState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "XMPP cluster";

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        if let Err(e) = trust_of(config) {
            diags.error(
                "Invalid PEM",
                format!("trust_bundle: {e}"),
                AttributePath::new("trust_bundle"),
            );
        }
        let Value::Value(list) = &config.node else {
            return;
        };
        let nodes: Vec<&XmppNode<'_>> = list.iter().filter_map(|n| n.as_ref_option()).collect();
        match nodes.len() {
            0 | 1 => diags.error(
                "Too few nodes",
                "an XMPP cluster needs at least 2 node blocks (3 for resiliency)",
                AttributePath::new("node"),
            ),
            2 => diags.warning(
                "Two-node XMPP cluster",
                "a leader needs more than half of the nodes, so two nodes fail when either fails (Cisco: \"Why does an XMPP cluster require three XMPP servers and not two?\"); use three",
                AttributePath::new("node"),
            ),
            _ => {}
        }
        for (i, node) in nodes.iter().enumerate() {
            for (field, value) in [("name", &node.name), ("address", &node.address)] {
                let Some(v) = value.as_ref_option() else {
                    continue;
                };
                let earlier = |other: &&&XmppNode<'_>| match field {
                    "name" => other.name.as_ref_option() == Some(v),
                    _ => other.address.as_ref_option() == Some(v),
                };
                if nodes[..i].iter().any(|o| earlier(&o)) {
                    diags.error(
                        format!("Duplicate node {field}"),
                        format!("{v} is used by two nodes"),
                        node_path(i).attribute(field),
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
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        Some(planned_state(proposed, prior.map(|(p, _)| p)))
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let trust = trust_of(base).ok().flatten();
        let reports = self
            .procedure(base.nodes(), trust, deadline)
            .observe()
            .await;
        match observed_state(base, &reports, diags) {
            Some(state) => Observed::Present(state),
            None => Observed::Gone,
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        for (i, node) in observed.nodes().iter().enumerate() {
            let what = match text(&node.state).as_deref() {
                Some(STATE_NOT_CLUSTERED) => "is not in the XMPP cluster (left or reset)",
                Some(STATE_DUPLICATE) => "is listed twice in the XMPP cluster (CSCvi67717)",
                Some(STATE_INACTIVE) => "has its XMPP server disabled",
                Some(STATE_OTHER_CLUSTER) => "is in another XMPP cluster",
                _ => continue,
            };
            diags.warning(
                "XMPP cluster changed outside Terraform",
                format!("node {} {what}; the plan brings it back", node.name()),
                node_path(i),
            );
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let nodes = planned.nodes();
        let reports = self
            .procedure(nodes.clone(), None, deadline)
            .observe()
            .await;
        refuse_per_node(
            &reports,
            node_path,
            "Cannot check the node before creating",
            |i, view| {
                (view.cluster.is_member() || view.cluster.state == "JOINING").then(|| {
                    (
                        "Node already in an XMPP cluster".to_string(),
                        format!(
                            "node {} is already in an XMPP cluster (it reports {})",
                            nodes[i].name(),
                            view.cluster.state
                        ),
                    )
                })
            },
            || import_id(&nodes),
        )
        .map_or(Ok(()), Err)
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let trust = match trust_of(change.planned) {
            Ok(Some(t)) => t,
            Ok(None) => {
                diags.root_error(
                    "Trust bundle not known",
                    "trust_bundle has no value at apply",
                );
                return Outcome::Refused;
            }
            Err(e) => {
                diags.error(
                    "Invalid PEM",
                    format!("trust_bundle: {e}"),
                    AttributePath::new("trust_bundle"),
                );
                return Outcome::Refused;
            }
        };
        let nodes = change.planned.nodes();
        let addresses: Vec<String> = nodes.iter().map(|n| n.address()).collect();
        let leaving: Vec<XmppNode<'a>> = change
            .prior
            .map(|p| p.nodes())
            .unwrap_or_default()
            .into_iter()
            .filter(|n| !addresses.contains(&n.address()))
            .collect();
        let leaving_names: Vec<String> = leaving.iter().map(|n| n.name()).collect();
        let leaving = self.procedure(leaving, None, change.deadline);
        let procedure = self.procedure(nodes.clone(), Some(trust), change.deadline);
        match procedure.converge(&leaving).await {
            Ok(()) => Outcome::Done,
            Err(Failure::Node((i, e))) => {
                diags.error(
                    "Cannot build the XMPP cluster",
                    format!("node {}: {e}", nodes[i].name()),
                    node_path(i),
                );
                Outcome::Failed
            }
            Err(Failure::Leaving((i, e))) => {
                diags.root_error(
                    "Cannot take a node out of the XMPP cluster",
                    format!("node {}: {e}", leaving_names[i]),
                );
                Outcome::Failed
            }
            Err(Failure::OtherCluster(i)) => {
                diags.error(
                    "Node in another XMPP cluster",
                    format!("node {} is a member of an XMPP cluster that does not list it with the others; take it out there first (`xmpp cluster remove {}` on one of its members), then apply again", nodes[i].name(), nodes[i].address()),
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
        let nodes = prior.nodes();
        if let Err((i, e)) = self
            .procedure(nodes.clone(), None, deadline)
            .dismantle()
            .await
        {
            diags.error(
                "Cannot take the node out of the XMPP cluster",
                format!("node {}: {e}", nodes[i].name()),
                node_path(i),
            );
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let nodes: Vec<XmppNode<'a>> = id
            .nodes
            .iter()
            .map(|n| XmppNode {
                name: known(n.label.clone().unwrap_or_default()),
                address: known(n.address.clone()),
                ssh_port: n
                    .port
                    .map(|p| Value::Value(i64::from(p)))
                    .unwrap_or(Value::Null),
                ..Default::default()
            })
            .collect();
        let procedure = self.procedure(nodes.clone(), None, deadline);
        let reports = procedure.observe().await;
        for (node, report) in nodes.iter().zip(&reports) {
            if let Err(e) = report {
                diags.root_error(
                    "Cannot import the XMPP cluster",
                    format!("node {} cannot be read: {e}", node.name()),
                );
                return None;
            }
        }
        let base = XmppClusterState {
            id: nodes[0].name.clone(),
            ..Default::default()
        }
        .with_nodes(nodes);
        let Some(state) = observed_state(&base, &reports, diags) else {
            diags.root_error(
                "Cannot import the XMPP cluster",
                format!("no node of {:?} is in an XMPP cluster", id.to_string()),
            );
            return None;
        };
        let trust = match procedure.download_trust(&reports).await {
            Ok(t) => t,
            Err((i, e)) => {
                diags.error(
                    "Cannot import the XMPP cluster's trust bundle",
                    e.to_string(),
                    node_path(i),
                );
                return None;
            }
        };
        Some((
            XmppClusterState {
                trust_bundle: trust.map(known).unwrap_or(Value::Null),
                ..state
            },
            Value::Null,
        ))
    }
}
