//! `cms_callbridge_cluster`: the Call Bridge cluster of Cisco Meeting Server nodes, through each
//! node's REST API (Web Admin Configuration > Cluster).
//!
//! Procedure (seed cms-failover-cluster-part2a, "Call Bridge Cluster", performed on each
//! server): the Call Bridge identity (`/api/v1/system/configuration/cluster` `uniqueName`,
//! `callbridge01`...), then the Clustered Call Bridges (`/api/v1/callBridges`): every node's
//! unique name and Web Admin URL with its port, the peer link SIP domain left empty. The
//! clustered list lives in the Call Bridges' database, so on a database cluster what one node
//! writes the others already show; each node is still read and set, which is a no-op there and
//! what a node with its own database needs. A node taken out of the block first loses its
//! identity and entries, then the remaining nodes are set again.
//!
//! Drift: each node's unique name and the settings the block sets are read back; `peers` is
//! the node's list, and the plan always wants every node once (an entry removed, renamed or
//! changed on a node shows there, and the apply puts it back and removes the others).

mod attributes;
pub mod state;
mod steps;

use crate::client::Devices;
use crate::devices::cms::xmpp_callbridge::validate_name;
use crate::resources::adapter::{
    refuse_per_node, unreadable, Change, DeviceResource, Observed, Outcome, Refusal,
};
use crate::resources::api_node::{api, retried};
use crate::resources::import_id::{ImportId, ImportNode, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::step::StepError;
use crate::resources::values::{known, text};
use attributes::{MAX_NODES, MIN_NODES, SPEC};
use state::*;
use std::sync::Arc;
use steps::NodeView;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

pub struct CallbridgeClusterResource {
    devices: Arc<Devices>,
}

const IMPORT_ID: ImportShape = ImportShape {
    name: None,
    labels: Some(validate_name),
    min_nodes: MIN_NODES,
    max_nodes: MAX_NODES,
    settings: &[],
    usage: "<unique name>=<Web Admin host:port>,... listing every node, e.g. callbridge01=10.0.0.1:445,callbridge02=10.0.0.2:445",
};

fn import_id(nodes: &[CallbridgeNode<'_>]) -> ImportId {
    ImportId {
        name: None,
        nodes: nodes
            .iter()
            .map(|n| {
                let (address, port) = crate::devices::cms::rest::parse_web_admin(&n.api_address())
                    .map(|(h, p)| (h, Some(p)))
                    .unwrap_or_default();
                ImportNode {
                    label: Some(n.name()),
                    address,
                    port,
                }
            })
            .collect(),
        settings: vec![],
    }
}

fn wanted_peers(nodes: &[CallbridgeNode<'_>]) -> Vec<Peer> {
    nodes.iter().map(CallbridgeNode::peer).collect()
}

impl CallbridgeClusterResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        CallbridgeClusterResource { devices }
    }

    /// Every node's view, in order.
    async fn read_all(
        &self,
        nodes: &[CallbridgeNode<'_>],
        deadline: Instant,
    ) -> Vec<Result<NodeView, StepError>> {
        let reads = nodes.iter().map(|n| async move {
            let api = api(&self.devices, &n.api_address())?;
            retried(deadline, |_| steps::read(&api)).await
        });
        futures::future::join_all(reads).await
    }

    /// One node set to `node` with the cluster's `wanted` entries.
    async fn set_node(
        &self,
        node: &CallbridgeNode<'_>,
        wanted: &[Peer],
        deadline: Instant,
    ) -> Result<(), StepError> {
        let api = api(&self.devices, &node.api_address())?;
        retried(deadline, |_| async {
            steps::identity(&api, node, false).await?;
            steps::peers(&api, wanted).await
        })
        .await
    }

    /// One node's identity cleared and the entries named `names` removed.
    async fn clear_node(
        &self,
        node: &CallbridgeNode<'_>,
        names: &[String],
        deadline: Instant,
    ) -> Result<(), StepError> {
        let api = api(&self.devices, &node.api_address())?;
        retried(deadline, |_| async {
            steps::remove(&api, names).await?;
            steps::identity(&api, node, true).await
        })
        .await
    }
}

/// The state the nodes' views show, over `base`'s configuration.
fn observed_state<'a>(
    base: &CallbridgeClusterState<'a>,
    views: &[NodeView],
) -> CallbridgeClusterState<'a> {
    let nodes = base
        .nodes()
        .into_iter()
        .zip(views)
        .map(|(node, view)| {
            let mut seen = CallbridgeNode {
                unique_name: known(view.cluster.text("uniqueName")),
                peers: peer_list(&view.peers),
                ..node.clone()
            };
            for s in &SETTINGS {
                if (s.get)(&node).is_value() {
                    *(s.get_mut)(&mut seen) = view
                        .cluster
                        .get(s.api)
                        .and_then(|v| v.parse::<i64>().ok())
                        .map_or(Value::Null, Value::Value);
                }
            }
            seen
        })
        .collect();
    base.clone().with_nodes(nodes)
}

#[async_trait::async_trait]
impl DeviceResource for CallbridgeClusterResource {
    type State<'a> = CallbridgeClusterState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "Call Bridge cluster";

    fn parse_import(&self, id: &str) -> Result<ImportId, String> {
        let parsed = IMPORT_ID.parse(id)?;
        match parsed.nodes.iter().find(|n| n.port.is_none()) {
            Some(n) => Err(format!(
                "import ID {id:?}: {} has no port; expected {}",
                n.address, IMPORT_ID.usage
            )),
            None => Ok(parsed),
        }
    }

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        let Value::Value(list) = &config.node else {
            return;
        };
        let nodes: Vec<&CallbridgeNode<'_>> =
            list.iter().filter_map(|n| n.as_ref_option()).collect();
        if !(MIN_NODES..=MAX_NODES).contains(&nodes.len()) {
            diags.error(
                "Wrong number of Call Bridges",
                format!(
                    "a Call Bridge cluster has {MIN_NODES} to {MAX_NODES} nodes (the seed: \"Call Bridge Cluster may support from 2 to 8 nodes\"), got {} node blocks",
                    nodes.len()
                ),
                AttributePath::new("node"),
            );
        }
        for (i, node) in nodes.iter().enumerate() {
            let fields: [(&str, Option<String>); 3] = [
                ("unique_name", text(&node.unique_name)),
                ("address", text(&node.address)),
                (
                    "api_address",
                    (!node.api_address.is_unknown() && !node.address.is_unknown())
                        .then(|| node.api_address())
                        .filter(|a| !a.is_empty()),
                ),
            ];
            for (field, value) in fields {
                let Some(v) = value else { continue };
                let same = |other: &&&CallbridgeNode<'_>| match field {
                    "unique_name" => text(&other.unique_name).as_deref() == Some(v.as_str()),
                    "address" => text(&other.address).as_deref() == Some(v.as_str()),
                    _ => other.api_address() == v,
                };
                if nodes[..i].iter().any(|o| same(&o)) {
                    diags.error(
                        format!("Duplicate node {field}"),
                        format!("{v} is used by two nodes; every Call Bridge needs its own"),
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
        _prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        let nodes = proposed.nodes();
        let peers = match nodes.iter().all(CallbridgeNode::peer_known) {
            true => peer_list(&wanted_peers(&nodes)),
            false => Value::Unknown,
        };
        let planned: Vec<CallbridgeNode<'a>> = nodes
            .into_iter()
            .map(|n| CallbridgeNode {
                peers: peers.clone(),
                ..n
            })
            .collect();
        Some(proposed.with_nodes(planned))
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let nodes = base.nodes();
        let mut views = Vec::new();
        for (node, read) in nodes.iter().zip(self.read_all(&nodes, deadline).await) {
            match read {
                Ok(view) => views.push(view),
                Err(e) => {
                    return unreadable(
                        diags,
                        e,
                        &format!("Call Bridge {}", node.name()),
                        "Cannot read the Call Bridge cluster",
                    )
                }
            }
        }
        let nothing = views
            .iter()
            .all(|v| v.peers.is_empty() && v.cluster.text("uniqueName").is_empty());
        match nothing {
            true => Observed::Gone,
            false => Observed::Present(observed_state(base, &views)),
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        let nodes = observed.nodes();
        let wanted = peer_list(&wanted_peers(&nodes));
        for (i, node) in nodes.iter().enumerate() {
            if node.peers != wanted {
                diags.warning(
                    "Clustered Call Bridges changed outside Terraform",
                    format!(
                        "the node at {} does not list every Call Bridge of the cluster once; the plan sets its list again",
                        node.api_address()
                    ),
                    node_path(i).attribute("peers"),
                );
            }
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let nodes = planned.nodes();
        let views = self.read_all(&nodes, deadline).await;
        refuse_per_node(
            &views,
            node_path,
            "Cannot check the node before creating",
            |i, view| {
                (!view.peers.is_empty()).then(|| {
                    let names: Vec<&str> = view.peers.iter().map(|p| p.name.as_str()).collect();
                    (
                        "Call Bridge already clustered".to_string(),
                        format!(
                            "the node at {} already lists clustered Call Bridges ({})",
                            nodes[i].api_address(),
                            names.join(", ")
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
        let nodes = change.planned.nodes();
        if !nodes.iter().all(CallbridgeNode::peer_known) {
            diags.root_error(
                "Cannot build the Call Bridge cluster",
                "a node's unique_name, address or sip_domain is not known at apply time",
            );
            return Outcome::Refused;
        }
        let staying: Vec<String> = nodes.iter().map(CallbridgeNode::api_address).collect();
        let prior = change.prior.map(|p| p.nodes()).unwrap_or_default();
        let mut names: Vec<String> = prior.iter().map(CallbridgeNode::name).collect();
        names.extend(nodes.iter().map(CallbridgeNode::name));
        for leaving in prior.iter().filter(|n| !staying.contains(&n.api_address())) {
            if let Err(e) = self.clear_node(leaving, &names, change.deadline).await {
                diags.root_error(
                    "Cannot take a Call Bridge out of the cluster",
                    format!("{}: {e}", leaving.name()),
                );
                return Outcome::Failed;
            }
        }
        let wanted = wanted_peers(&nodes);
        for (i, node) in nodes.iter().enumerate() {
            if let Err(e) = self.set_node(node, &wanted, change.deadline).await {
                diags.error(
                    "Cannot build the Call Bridge cluster",
                    format!("{}: {e}", node.name()),
                    node_path(i),
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
        let nodes = prior.nodes();
        let names: Vec<String> = nodes.iter().map(CallbridgeNode::name).collect();
        for (i, node) in nodes.iter().enumerate() {
            if let Err(e) = self.clear_node(node, &names, deadline).await {
                diags.error(
                    "Cannot take the Call Bridge out of the cluster",
                    format!("{}: {e}", node.name()),
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
        let mut nodes: Vec<CallbridgeNode<'a>> = id
            .nodes
            .iter()
            .map(|n| CallbridgeNode {
                unique_name: known(n.label.clone().unwrap_or_default()),
                address: known(n.endpoint()),
                ..Default::default()
            })
            .collect();
        let mut views = Vec::new();
        for (node, read) in nodes.iter().zip(self.read_all(&nodes, deadline).await) {
            match read {
                Ok(view) => views.push(view),
                Err(e) => {
                    diags.root_error(
                        "Cannot import the Call Bridge cluster",
                        format!("{} cannot be read: {e}", node.name()),
                    );
                    return None;
                }
            }
        }
        // Each node's entry as the first node lists it gives its address and SIP domain; the
        // API is reached where the ID says.
        for node in nodes.iter_mut() {
            let api_address = text(&node.address).unwrap_or_default();
            if let Some(peer) = views[0].peers.iter().find(|p| p.name == node.name()) {
                node.address = known(peer.address.clone());
                node.sip_domain = match peer.sip_domain.is_empty() {
                    true => Value::Null,
                    false => known(peer.sip_domain.clone()),
                };
            }
            if text(&node.address).as_deref() != Some(api_address.as_str()) {
                node.api_address = known(api_address);
            }
        }
        let base = CallbridgeClusterState::default().with_nodes(nodes);
        if views.iter().all(|v| v.peers.is_empty()) {
            diags.root_error(
                "Cannot import the Call Bridge cluster",
                format!(
                    "no node of {:?} lists clustered Call Bridges",
                    id.to_string()
                ),
            );
            return None;
        }
        Some((observed_state(&base, &views), Value::Null))
    }
}
