//! The state of `cms_xmpp_cluster`, and how it is derived from what the nodes report.

use crate::client::NodeConnection;
use crate::devices::cms::xmpp_cluster::ClusterStatus;
use crate::resources::step::StepError;
use crate::resources::values::{known, text};
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};

pub const STATE_CLUSTERED: &str = "clustered";
pub const STATE_JOINING: &str = "joining";
pub const STATE_NOT_CLUSTERED: &str = "not_clustered";
pub const STATE_DUPLICATE: &str = "duplicate";
pub const STATE_INACTIVE: &str = "inactive";
pub const STATE_NO_LEADER: &str = "no_leader";
pub const STATE_OTHER_CLUSTER: &str = "other_cluster";
pub const STATE_UNREACHABLE: &str = "unreachable";

pub const TRUST_CURRENT: &str = "current";
pub const TRUST_OUTDATED: &str = "outdated";
pub const TRUST_OTHER: &str = "other";
pub const TRUST_NONE: &str = "none";

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct XmppClusterState<'a> {
    pub id: ValueString<'a>,
    pub trust_bundle: ValueString<'a>,
    pub leader: ValueString<'a>,
    pub peers: ValueList<ValueString<'a>>,
    pub node: ValueList<Value<XmppNode<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct XmppNode<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub ssh_address: ValueString<'a>,
    pub ssh_port: ValueNumber,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    pub state: ValueString<'a>,
    pub trust: ValueString<'a>,
}

pub fn node_path(i: usize) -> AttributePath {
    AttributePath::new("node").index(i as i64)
}

impl<'a> XmppClusterState<'a> {
    pub fn nodes(&self) -> Vec<XmppNode<'a>> {
        self.node
            .as_ref_option()
            .map(|n| {
                n.iter()
                    .filter_map(|n| n.as_ref_option().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn with_nodes(self, nodes: Vec<XmppNode<'a>>) -> Self {
        XmppClusterState {
            node: Value::Value(nodes.into_iter().map(Value::Value).collect()),
            ..self
        }
    }
}

impl XmppNode<'_> {
    pub fn name(&self) -> String {
        text(&self.name).unwrap_or_default()
    }

    /// The address the cluster lists the node by, and the one the others join.
    pub fn address(&self) -> String {
        text(&self.address).unwrap_or_default()
    }

    pub fn connection(&self) -> NodeConnection {
        NodeConnection {
            address: text(&self.ssh_address).unwrap_or_else(|| self.address()),
            port: self
                .ssh_port
                .as_ref_option()
                .and_then(|p| u16::try_from(*p).ok()),
            username: text(&self.username),
            password: text(&self.password),
            host_key_fingerprint: text(&self.host_key_fingerprint),
        }
    }
}

/// What one node reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeView {
    pub cluster: ClusterStatus,
    /// `xmpp` status: cluster mode on, the server enabled, the trust file it names.
    pub clustered: bool,
    pub enabled: bool,
    pub trust_file: Option<String>,
    /// Whether the trust file is ours with the wanted content (`None`: not ours).
    pub trust_matches: Option<bool>,
}

pub type NodeReport = Result<NodeView, StepError>;

/// The node whose peer list stands for the cluster: the first (in configuration order) that is
/// a member and sees a leader, else the first member.
pub fn anchor(reports: &[NodeReport]) -> Option<usize> {
    let member = |r: &NodeReport| r.as_ref().is_ok_and(|v| v.cluster.is_member());
    let led = |r: &NodeReport| {
        r.as_ref()
            .is_ok_and(|v| v.cluster.is_member() && v.cluster.leader().is_some())
    };
    reports
        .iter()
        .position(led)
        .or_else(|| reports.iter().position(member))
}

/// A node's `state`, judged against the anchor's peer list.
pub fn node_state(
    view: &NodeView,
    address: &str,
    reference: Option<&ClusterStatus>,
) -> &'static str {
    let status = &view.cluster;
    if status.state == "JOINING" {
        return STATE_JOINING;
    }
    if !status.is_member() {
        return STATE_NOT_CLUSTERED;
    }
    match reference.map(|r| r.entries(address)).unwrap_or(0) {
        0 => STATE_OTHER_CLUSTER,
        1 => match status.state.as_str() {
            "LEADER" | "FOLLOWER" => STATE_CLUSTERED,
            "INACTIVE" => STATE_INACTIVE,
            _ => STATE_NO_LEADER,
        },
        _ => STATE_DUPLICATE,
    }
}

fn trust_state(view: &NodeView) -> &'static str {
    match (&view.trust_file, view.trust_matches) {
        (None, _) => TRUST_NONE,
        (Some(_), None) => TRUST_OTHER,
        (Some(_), Some(true)) => TRUST_CURRENT,
        (Some(_), Some(false)) => TRUST_OUTDATED,
    }
}

/// The state the reports describe, from `base` for what only the configuration says; `None`
/// when no node is in a cluster or joining one (every node answered).
pub fn observed_state<'a>(
    base: &XmppClusterState<'a>,
    reports: &[NodeReport],
    diags: &mut Diagnostics,
) -> Option<XmppClusterState<'a>> {
    let nodes = base.nodes();
    let reference = anchor(reports).and_then(|i| reports[i].as_ref().ok().map(|v| &v.cluster));
    let mut any = false;
    let observed: Vec<XmppNode<'a>> = nodes
        .iter()
        .zip(reports)
        .enumerate()
        .map(|(i, (node, report))| {
            let (state, trust) = match report {
                Ok(view) => {
                    let state = node_state(view, &node.address(), reference);
                    any |= state != STATE_NOT_CLUSTERED;
                    (state, Some(trust_state(view)))
                }
                Err(e) => {
                    any = true;
                    match e {
                        StepError::Transport(t) if t.is_unreachable() => diags.warning(
                            "XMPP node unreachable",
                            format!("{t}; its cluster membership could not be checked"),
                            node_path(i),
                        ),
                        e => {
                            diags.error("Cannot read the XMPP cluster", e.to_string(), node_path(i))
                        }
                    }
                    (STATE_UNREACHABLE, None)
                }
            };
            XmppNode {
                state: known(state),
                trust: trust.map(known).unwrap_or_else(|| node.trust.clone()),
                ..node.clone()
            }
        })
        .collect();
    if !any {
        return None;
    }
    let mut peers: Vec<String> = reference
        .map(|r| r.peers.iter().map(|p| p.address.clone()).collect())
        .unwrap_or_default();
    peers.sort();
    let leader = reference.and_then(|r| r.leader()).map(|address| {
        nodes
            .iter()
            .find(|n| n.address() == address)
            .map(|n| n.name())
            .unwrap_or_else(|| address.to_string())
    });
    Some(XmppClusterState {
        leader: leader.map(known).unwrap_or(Value::Null),
        peers: Value::Value(peers.into_iter().map(known).collect()),
        ..base.clone().with_nodes(observed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::cms::xmpp_cluster::parse_cluster_status;

    fn view(status: &str) -> NodeReport {
        Ok(NodeView {
            cluster: parse_cluster_status(status).unwrap(),
            clustered: true,
            enabled: true,
            trust_file: Some("t".into()),
            trust_matches: Some(true),
        })
    }

    fn base() -> XmppClusterState<'static> {
        let node = |n: &str, a: &str| XmppNode {
            name: known(n.to_string()),
            address: known(a.to_string()),
            ..Default::default()
        };
        XmppClusterState::default().with_nodes(vec![
            node("cms1", "10.0.0.1"),
            node("cms2", "10.0.0.2"),
            node("cms3", "10.0.0.3"),
        ])
    }

    fn states(s: &XmppClusterState<'_>) -> Vec<String> {
        s.nodes().iter().map(|n| text(&n.state).unwrap()).collect()
    }

    #[test]
    fn a_formed_cluster_a_lost_node_and_a_duplicate() {
        let list = "List of peers\n10.0.0.3:5222\n10.0.0.2:5222\n10.0.0.1:5222 (Leader)\n";
        let reports = vec![
            view(&format!("State: LEADER\n{list}")),
            view(&format!("State: FOLLOWER\n{list}")),
            view("State: NOT_JOINED\n"),
        ];
        let mut diags = Diagnostics::default();
        let s = observed_state(&base(), &reports, &mut diags).unwrap();
        assert_eq!(states(&s), vec!["clustered", "clustered", "not_clustered"]);
        assert_eq!(s.leader, known("cms1"));
        let dup = "List of peers\n10.0.0.2:5222\n10.0.0.2:5222\n10.0.0.1:5222 (Leader)\n";
        let reports = vec![
            view(&format!("State: LEADER\n{dup}")),
            view(&format!("State: FOLLOWER\n{dup}")),
            view("State: DISABLED\n"),
        ];
        let s = observed_state(&base(), &reports, &mut diags).unwrap();
        assert_eq!(states(&s), vec!["clustered", "duplicate", "not_clustered"]);
        let peers: Vec<String> = s
            .peers
            .as_ref_option()
            .unwrap()
            .iter()
            .filter_map(text)
            .collect();
        assert_eq!(peers, vec!["10.0.0.1", "10.0.0.2", "10.0.0.2"]);
    }

    #[test]
    fn no_cluster_anywhere_is_gone() {
        let reports = vec![
            view("State: DISABLED\n"),
            view("State: NOT_JOINED\n"),
            view("State: DISABLED\n"),
        ];
        assert!(observed_state(&base(), &reports, &mut Diagnostics::default()).is_none());
    }
}
