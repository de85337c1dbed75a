//! The resource's Terraform state, and how it is derived from what the nodes report.

use crate::client::NodeConnection;
use crate::devices::cms::database_cluster::{
    ClusterStatus, Connection, DatabaseClusterStatus, Role, CA_FILE, CLIENT_CERT_FILE,
    CLIENT_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE,
};
use crate::resources::step::StepError;
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};

pub const MEMBERSHIP_DATABASE: &str = "database";
pub const MEMBERSHIP_CLIENT: &str = "client";
pub const DEFAULT_INTERFACE: &str = "a";

pub const STATE_CONNECTED: &str = "connected";
pub const STATE_CONNECTING: &str = "connecting";
pub const STATE_DISCONNECTED: &str = "disconnected";
pub const STATE_STANDALONE: &str = "standalone";
pub const STATE_OTHER_CLUSTER: &str = "other_cluster";
pub const STATE_ERROR: &str = "error";
pub const STATE_UNREACHABLE: &str = "unreachable";

pub const CERTS_CURRENT: &str = "current";
pub const CERTS_OUTDATED: &str = "outdated";
pub const CERTS_OTHER: &str = "other";
pub const CERTS_NONE: &str = "none";

/// The five files, in the order `database cluster certs` takes them.
pub const CERT_FILES: [&str; 5] = [
    SERVER_KEY_FILE,
    SERVER_CERT_FILE,
    CLIENT_KEY_FILE,
    CLIENT_CERT_FILE,
    CA_FILE,
];
/// The matching attribute names.
pub const CERT_ATTRIBUTES: [&str; 5] = [
    "server_key",
    "server_certificate",
    "client_key",
    "client_certificate",
    "ca_bundle",
];

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ClusterState<'a> {
    pub id: ValueString<'a>,
    pub initial_master: ValueString<'a>,
    pub current_master: ValueString<'a>,
    pub server_key: ValueString<'a>,
    pub server_certificate: ValueString<'a>,
    pub client_key: ValueString<'a>,
    pub client_certificate: ValueString<'a>,
    pub ca_bundle: ValueString<'a>,
    pub node: ValueList<Value<DbNode<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbNode<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub interface: ValueString<'a>,
    pub membership: ValueString<'a>,
    pub ssh_address: ValueString<'a>,
    pub ssh_port: ValueNumber,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    pub role: ValueString<'a>,
    pub state: ValueString<'a>,
    pub certificates: ValueString<'a>,
}

pub use crate::resources::values::{known, text};

pub fn node_path(i: usize) -> AttributePath {
    AttributePath::new("node").index(i as i64)
}

impl<'a> ClusterState<'a> {
    pub fn nodes(&self) -> Vec<DbNode<'a>> {
        self.node
            .as_ref_option()
            .map(|n| {
                n.iter()
                    .filter_map(|n| n.as_ref_option().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn with_nodes(self, nodes: Vec<DbNode<'a>>) -> Self {
        ClusterState {
            node: Value::Value(nodes.into_iter().map(Value::Value).collect()),
            ..self
        }
    }

    pub fn cert_values(&self) -> [&ValueString<'a>; 5] {
        [
            &self.server_key,
            &self.server_certificate,
            &self.client_key,
            &self.client_certificate,
            &self.ca_bundle,
        ]
    }
}

impl DbNode<'_> {
    pub fn name(&self) -> String {
        text(&self.name).unwrap_or_default()
    }

    pub fn address(&self) -> String {
        text(&self.address).unwrap_or_default()
    }

    pub fn is_client(&self) -> bool {
        self.membership.as_ref_option().map(|m| m.as_ref()) == Some(MEMBERSHIP_CLIENT)
    }

    pub fn interface(&self) -> String {
        text(&self.interface).unwrap_or_else(|| DEFAULT_INTERFACE.into())
    }

    /// How to reach the node's MMP: `ssh_address` (default: the cluster address) and overrides.
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

/// What one node reported: its status, and whether our uploaded files match the wanted content
/// (`None` when not checked).
pub struct NodeReport {
    pub status: Result<DatabaseClusterStatus, StepError>,
    pub certs_match: Option<bool>,
}

/// The cluster's primary address as the nodes report it: each node votes for itself when it is
/// the connected primary, else for the connected primary it names; the most votes win (a node
/// initialized into a cluster of its own by hand must not take over the real one).
pub fn cluster_primary(reports: &[NodeReport]) -> Option<String> {
    let mut votes: Vec<(String, usize)> = Vec::new();
    for status in reports.iter().filter_map(|r| r.status.as_ref().ok()) {
        let me = status
            .me()
            .filter(|me| me.role == Role::Primary && me.connection == Connection::Connected);
        let named = status
            .primary()
            .filter(|p| p.connection == Connection::Connected);
        if let Some(address) = me.or(named).map(|n| n.address.clone()) {
            match votes.iter_mut().find(|(a, _)| *a == address) {
                Some((_, n)) => *n += 1,
                None => votes.push((address, 1)),
            }
        }
    }
    // max_by_key keeps the last of equals; iterate reversed so the first seen wins ties.
    votes
        .into_iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map(|(a, _)| a)
}

pub fn node_state(status: &DatabaseClusterStatus, primary: Option<&str>) -> &'static str {
    match status.status {
        ClusterStatus::Error => return STATE_ERROR,
        ClusterStatus::Disabled => return STATE_STANDALONE,
        ClusterStatus::Enabled => {}
    }
    let Some(me) = status.me() else {
        return STATE_ERROR;
    };
    match me.connection {
        Connection::Connecting => STATE_CONNECTING,
        Connection::Disconnected => STATE_DISCONNECTED,
        Connection::Connected => {
            let my_primary = if me.role == Role::Primary {
                Some(me.address.as_str())
            } else {
                status.primary().map(|p| p.address.as_str())
            };
            match (my_primary, primary) {
                (Some(mine), Some(cluster)) if mine != cluster => STATE_OTHER_CLUSTER,
                _ => STATE_CONNECTED,
            }
        }
    }
}

pub fn node_role(status: &DatabaseClusterStatus) -> &'static str {
    match status.me().map(|me| me.role) {
        Some(Role::Primary) => "primary",
        Some(Role::Replica) => "replica",
        Some(Role::Client) => "client",
        None => "none",
    }
}

fn certificates_state(status: &DatabaseClusterStatus, certs_match: Option<bool>) -> &'static str {
    let files = status.certificate_files();
    if files.is_empty() {
        CERTS_NONE
    } else if files != CERT_FILES {
        CERTS_OTHER
    } else if certs_match == Some(false) {
        CERTS_OUTDATED
    } else {
        CERTS_CURRENT
    }
}

/// The state the reports describe, from `base` for the configuration-only attributes. Returns
/// it and whether any node is in a cluster at all.
pub fn observed_state<'a>(
    base: &ClusterState<'a>,
    reports: &[NodeReport],
    diags: &mut Diagnostics,
) -> (ClusterState<'a>, bool) {
    let primary = cluster_primary(reports);
    let mut nodes = base.nodes();
    let mut clustered = false;
    for (i, (node, report)) in nodes.iter_mut().zip(reports).enumerate() {
        match &report.status {
            Ok(status) => {
                let state = node_state(status, primary.as_deref());
                clustered |= state != STATE_STANDALONE;
                node.state = known(state);
                node.role = known(node_role(status));
                node.certificates = known(certificates_state(status, report.certs_match));
                node.interface = status
                    .interface
                    .clone()
                    .map(known)
                    .unwrap_or_else(|| node.interface.clone());
            }
            Err(e) => {
                match e {
                    StepError::Transport(t) if t.is_unreachable() => diags.warning(
                        "Database node unreachable",
                        format!("{t}; its cluster membership could not be checked"),
                        node_path(i),
                    ),
                    _ => diags.error(
                        "Cannot read the database cluster status",
                        e.to_string(),
                        node_path(i),
                    ),
                }
                clustered = true; // unknown: keep the resource
                node.state = known(STATE_UNREACHABLE);
                if node.role.is_unknown() {
                    node.role = Value::Null;
                }
                if node.certificates.is_unknown() {
                    node.certificates = Value::Null;
                }
                if node.interface.is_unknown() {
                    node.interface = Value::Null;
                }
            }
        }
    }
    let current_master = primary.map(|p| {
        nodes
            .iter()
            .find(|n| n.address() == p)
            .map(|n| n.name())
            .unwrap_or(p)
    });
    let state = ClusterState {
        current_master: current_master.map(known).unwrap_or(Value::Null),
        ..base.clone()
    }
    .with_nodes(nodes);
    (state, clustered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::cms::database_cluster::parse_status;

    fn status(text: &str) -> NodeReport {
        NodeReport {
            status: Ok(parse_status(text).unwrap()),
            certs_match: Some(true),
        }
    }

    fn node(name: &str, address: &str) -> Value<DbNode<'static>> {
        Value::Value(DbNode {
            name: known(name),
            address: known(address),
            ..Default::default()
        })
    }

    const PRIMARY: &str = "Status : Enabled\nNodes:\n    10.0.0.1 (me) : Connected Primary\n    10.0.0.2 : Connected Replica ( In Sync )\nInterface : a\nCertificates\n  Server Key : uccluster-dbcluster-server.key\n  Server Certificate : uccluster-dbcluster-server.crt\n  Client Key : uccluster-dbcluster-client.key\n  Client Certificate : uccluster-dbcluster-client.crt\n  CA Certificate : uccluster-dbcluster-ca.crt\n";
    const REPLICA: &str = "Status : Enabled\nNodes:\n    10.0.0.1 : Connected Primary\n    10.0.0.2 (me) : Connected Replica ( In Sync )\nInterface : b\nCertificates\n  Server Key : other.key\n";
    const STANDALONE: &str = "Status : Disabled\nInterface : a\n";

    fn base() -> ClusterState<'static> {
        ClusterState {
            node: Value::Value(vec![
                node("cms1", "10.0.0.1"),
                node("cms2", "10.0.0.2"),
                node("cms3", "10.0.0.3"),
            ]),
            ..Default::default()
        }
    }

    #[test]
    fn roles_states_and_master_from_reports() {
        let mut diags = Diagnostics::default();
        let (state, clustered) = observed_state(
            &base(),
            &[status(PRIMARY), status(REPLICA), status(STANDALONE)],
            &mut diags,
        );
        assert!(clustered);
        assert_eq!(state.current_master, known("cms1"));
        let nodes = state.nodes();
        let states: Vec<_> = nodes.iter().map(|n| text(&n.state).unwrap()).collect();
        assert_eq!(states, vec!["connected", "connected", "standalone"]);
        let roles: Vec<_> = nodes.iter().map(|n| text(&n.role).unwrap()).collect();
        assert_eq!(roles, vec!["primary", "replica", "none"]);
        let certs: Vec<_> = nodes
            .iter()
            .map(|n| text(&n.certificates).unwrap())
            .collect();
        assert_eq!(certs, vec!["current", "other", "none"]);
        assert_eq!(nodes[1].interface, known("b"));
    }

    #[test]
    fn failover_moves_the_master_without_other_change() {
        let mut diags = Diagnostics::default();
        let promoted = "Status : Enabled\nNodes:\n    10.0.0.1 : Disconnected Primary\n    10.0.0.2 (me) : Connected Primary\n";
        let (state, _) = observed_state(
            &base(),
            &[status(STANDALONE), status(promoted), status(STANDALONE)],
            &mut diags,
        );
        assert_eq!(state.current_master, known("cms2"));
    }

    #[test]
    fn all_standalone_means_no_cluster() {
        let mut diags = Diagnostics::default();
        let (state, clustered) = observed_state(
            &base(),
            &[status(STANDALONE), status(STANDALONE), status(STANDALONE)],
            &mut diags,
        );
        assert!(!clustered);
        assert_eq!(state.current_master, Value::Null);
    }

    #[test]
    fn a_node_in_another_cluster_is_reported() {
        let other = "Status : Enabled\nNodes:\n    10.0.0.3 (me) : Connected Primary\n";
        let mut diags = Diagnostics::default();
        let (state, _) = observed_state(
            &base(),
            &[status(PRIMARY), status(REPLICA), status(other)],
            &mut diags,
        );
        assert_eq!(text(&state.nodes()[2].state).unwrap(), "other_cluster");
    }
}
