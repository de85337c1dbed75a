//! `cms_database_cluster`: the replicated database cluster of a Cisco Meeting Server deployment,
//! built, grown, shrunk, healed and imported from one block of configuration.
//!
//! Drift is per node (`state`: connected, connecting, disconnected, standalone, other_cluster,
//! error, unreachable) and per node's certificate set (`certificates`: current, outdated,
//! other, none); the plan always wants `connected` and `current`. Where the master is
//! (`current_master`, each node's `role`) is reported, never corrected: a failover is the
//! cluster doing its job, not drift.

mod attributes;
pub mod state;
mod steps;

use crate::client::Devices;
use crate::devices::cms::database_cluster::MAX_DATABASE_NODES;
use crate::devices::pem::{validate_pem, PemKind};
use crate::resources::adapter::{
    refuse_per_node, Change, DeviceResource, Observed, Outcome, Refusal,
};
use crate::resources::import_id::{ImportId, ImportNode, ImportShape};
use crate::resources::spec::Spec;
use attributes::SPEC;
use state::*;
use std::sync::Arc;
use steps::Procedure;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

pub struct DatabaseClusterResource {
    devices: Arc<Devices>,
}

/// A certificate attribute's PEM text: the value itself, or the file it names.
pub fn resolve_pem(value: &str) -> Result<String, String> {
    if value.trim_start().starts_with("-----BEGIN") {
        return Ok(value.to_string());
    }
    let path = match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => std::path::PathBuf::from(value),
    };
    std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "neither PEM text nor a readable file: {}: {e}",
            path.display()
        )
    })
}

fn cert_kind(attribute: &str) -> PemKind {
    if attribute.ends_with("_key") {
        PemKind::PrivateKey
    } else {
        PemKind::Certificate
    }
}

/// The five PEM contents of a state, or the first problem with one of them.
fn resolved_certs(state: &ClusterState<'_>) -> Result<[String; 5], (&'static str, String)> {
    let values = state.cert_values();
    let mut out: [String; 5] = Default::default();
    for (i, attribute) in CERT_ATTRIBUTES.iter().enumerate() {
        let value = text(values[i]).ok_or((*attribute, "is not known".to_string()))?;
        let pem = resolve_pem(&value).map_err(|e| (*attribute, e))?;
        validate_pem(&pem, cert_kind(attribute)).map_err(|e| (*attribute, e))?;
        if cert_kind(attribute) == PemKind::PrivateKey {
            crate::secrets::register(&pem);
        }
        out[i] = pem;
    }
    Ok(out)
}

/// The PEM contents to apply, or an error at the offending attribute.
fn certificates_or_error(state: &ClusterState<'_>, diags: &mut Diagnostics) -> Option<[String; 5]> {
    resolved_certs(state)
        .map_err(|(attribute, e)| {
            diags.error(
                "Invalid PEM",
                format!("{attribute}: {e}"),
                AttributePath::new(attribute),
            )
        })
        .ok()
}

/// The planned nodes: every node connected with the current certificates, roles kept where
/// the node stays connected.
fn with_plan_defaults<'a>(nodes: Vec<DbNode<'a>>, prior: &[DbNode<'a>]) -> Vec<DbNode<'a>> {
    nodes
        .into_iter()
        .map(|mut node| {
            let before = prior
                .iter()
                .find(|p| p.name == node.name && p.membership == node.membership);
            node.role = if node.is_client() {
                known("client")
            } else {
                match before {
                    // Still where it was: its role stays what the cluster made it.
                    Some(p) if text(&p.state).as_deref() == Some(STATE_CONNECTED) => p.role.clone(),
                    _ => Value::Unknown,
                }
            };
            node.state = known(STATE_CONNECTED);
            node.certificates = known(CERTS_CURRENT);
            node
        })
        .collect()
}

impl DatabaseClusterResource {
    pub fn new(devices: Arc<Devices>) -> Self {
        DatabaseClusterResource { devices }
    }

    fn procedure<'r, 'a>(
        &'r self,
        nodes: &'r [DbNode<'a>],
        certs: Option<&'r [String; 5]>,
        deadline: Instant,
    ) -> Procedure<'r, 'a> {
        Procedure {
            devices: &self.devices,
            nodes,
            certs,
            deadline,
        }
    }

    fn warn_about_drift(diags: &mut Diagnostics, observed: &ClusterState<'_>) {
        for (i, node) in observed.nodes().iter().enumerate() {
            let state = text(&node.state).unwrap_or_default();
            let certs = text(&node.certificates).unwrap_or_default();
            if state != STATE_CONNECTED && state != STATE_UNREACHABLE {
                diags.warning(
                    "Database node out of the cluster",
                    format!(
                        "node {} ({}) is {state}; the plan joins it again",
                        node.name(),
                        node.address()
                    ),
                    node_path(i),
                );
            }
            if state == STATE_CONNECTED && certs != CERTS_CURRENT {
                diags.warning(
                    "Database cluster certificates changed outside Terraform",
                    format!("node {} uses {certs} certificate files; the plan uploads and selects the configured ones", node.name()),
                    node_path(i),
                );
            }
        }
    }
}

/// A node's name: the label of its block, in `initial_master` and in the import ID (where `=`
/// and `,` separate): one word of at most 63 characters.
pub fn validate_node_name(name: &str) -> Result<(), String> {
    crate::grammar::check_word(name, 63).map_err(|e| format!("node name {name:?} {e}"))
}

/// Import ID: `<name>=<address>[:<ssh port>],...`, every node of the cluster.
const IMPORT_ID: ImportShape = ImportShape {
    name: None,
    labels: Some(validate_node_name),
    min_nodes: 2,
    max_nodes: usize::MAX,
    settings: &[],
    usage: "<name>=<address>[:<ssh port>],... listing every node, e.g. cms1=10.0.0.1,cms2=10.0.0.2,cms3=10.0.0.3:2222",
};

/// The import ID of a cluster of these nodes.
fn import_id(nodes: &[DbNode<'_>]) -> ImportId {
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

#[async_trait::async_trait]
impl DeviceResource for DatabaseClusterResource {
    type State<'a> = ClusterState<'a>;
    type Private<'a> = ValueEmpty;
    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &IMPORT_ID;
    const NOUN: &'static str = "Database cluster";

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        for (i, attribute) in CERT_ATTRIBUTES.iter().enumerate() {
            if let Value::Value(value) = config.cert_values()[i] {
                if let Err(e) = resolve_pem(value)
                    .and_then(|pem| validate_pem(&pem, cert_kind(attribute)).map(|_| ()))
                {
                    diags.error(
                        "Invalid PEM",
                        format!("{attribute}: {e}"),
                        AttributePath::new(*attribute),
                    );
                }
            }
        }
        let Value::Value(nodes) = &config.node else {
            return;
        };
        let nodes: Vec<&DbNode<'_>> = nodes.iter().filter_map(|n| n.as_ref_option()).collect();
        if nodes.len() < 2 {
            diags.error(
                "Too few nodes",
                "a database cluster needs at least 2 node blocks",
                AttributePath::new("node"),
            );
        }
        let database = nodes.iter().filter(|n| !n.is_client()).count();
        if nodes.len() >= 2 && database < 2 {
            diags.error(
                "Too few database nodes",
                format!("{database} node holds the database; Cisco's database cluster has 2 to {MAX_DATABASE_NODES} database nodes (membership = \"database\"), and client nodes attach to them"),
                AttributePath::new("node"),
            );
        }
        if database > MAX_DATABASE_NODES {
            diags.error(
                "Too many database nodes",
                format!("{database} nodes hold the database, Cisco supports at most {MAX_DATABASE_NODES}; attach the others with membership = \"client\""),
                AttributePath::new("node"),
            );
        }
        for (i, node) in nodes.iter().enumerate() {
            for (field, value) in [("name", &node.name), ("address", &node.address)] {
                if let Some(v) = value.as_ref_option() {
                    if nodes[..i]
                        .iter()
                        .any(|other| other_value(other, field) == Some(v.to_string()))
                    {
                        diags.error(
                            format!("Duplicate node {field}"),
                            format!("{v} is used by two nodes"),
                            node_path(i).attribute(field),
                        );
                    }
                }
            }
        }
        if let Value::Value(master) = &config.initial_master {
            match nodes
                .iter()
                .find(|n| n.name.as_ref_option() == Some(master))
            {
                None if nodes.iter().all(|n| n.name.is_value()) => diags.error(
                    "Unknown initial master",
                    format!("initial_master {master:?} is not the name of a node block"),
                    AttributePath::new("initial_master"),
                ),
                Some(n) if n.is_client() => diags.error(
                    "Initial master is a client",
                    format!(
                        "{master:?} has membership = \"client\"; the master must hold the database"
                    ),
                    AttributePath::new("initial_master"),
                ),
                _ => {}
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
        let prior = prior.map(|(p, _)| p);
        let prior_nodes = prior.map(|p| p.nodes()).unwrap_or_default();
        let mut nodes = with_plan_defaults(proposed.nodes(), &prior_nodes);
        // The master stays where it is unless it leaves the cluster; if it leaves, a replica
        // takes over and any database node's role may change.
        let master = prior.map(|p| &p.current_master);
        let master_stays = master.and_then(|m| m.as_ref_option()).is_some_and(|m| {
            nodes
                .iter()
                .any(|n| n.name.as_ref_option() == Some(m) && !n.is_client() && n.role.is_value())
        });
        if !master_stays {
            for node in nodes.iter_mut().filter(|n| !n.is_client()) {
                node.role = Value::Unknown;
            }
        }
        let current_master = match (master_stays, master) {
            (true, Some(m)) => m.clone(),
            _ => Value::Unknown,
        };
        let state = ClusterState {
            id: proposed.initial_master.clone(),
            current_master,
            ..proposed
        };
        Some(state.with_nodes(nodes))
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        // Content drift is only checked when the configured certificates can be read here.
        let certs = resolved_certs(base).ok();
        let nodes = base.nodes();
        let reports = self
            .procedure(&nodes, certs.as_ref(), deadline)
            .observe()
            .await;
        match observed_state(base, &reports, diags) {
            (observed, true) => Observed::Present(observed),
            // Every node standalone: the cluster is gone.
            (_, false) => Observed::Gone,
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        Self::warn_about_drift(diags, observed);
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let certs = resolved_certs(planned).map_err(|(attribute, e)| Refusal {
            summary: "Invalid PEM".into(),
            detail: format!("{attribute}: {e}"),
            path: Some(AttributePath::new(attribute)),
            import: None,
        })?;
        let nodes = planned.nodes();
        let reports = self
            .procedure(&nodes, Some(&certs), deadline)
            .observe()
            .await;
        let statuses: Vec<_> = reports.iter().map(|r| r.status.as_ref()).collect();
        refuse_per_node(
            &statuses,
            node_path,
            "Cannot check the node before creating the cluster",
            |i, status| {
                (node_state(status, None) != STATE_STANDALONE).then(|| {
                    (
                        "Node already in a database cluster".to_string(),
                        format!(
                            "node {} is already in a database cluster (it reports {})",
                            nodes[i].name(),
                            node_role(status),
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
        let Some(certs) = certificates_or_error(change.planned, diags) else {
            return Outcome::FailedKeepingPrior;
        };
        let nodes = change.planned.nodes();
        let master = text(&change.planned.initial_master).unwrap_or_default();
        let procedure = self.procedure(&nodes, Some(&certs), change.deadline);
        if let Err((i, e)) = procedure.converge(&master).await {
            diags.error(
                "Database cluster step failed",
                format!("node {}: {e}", nodes[i].name()),
                node_path(i),
            );
            return Outcome::Failed;
        }
        // Nodes leaving the configuration leave the cluster, after the others are in place.
        let prior_nodes = change.prior.map(|p| p.nodes()).unwrap_or_default();
        let leaving: Vec<usize> = (0..prior_nodes.len())
            .filter(|i| !nodes.iter().any(|n| n.name == prior_nodes[*i].name))
            .collect();
        if leaving.is_empty() {
            return Outcome::Done;
        }
        match self
            .procedure(&prior_nodes, None, change.deadline)
            .dismantle(&leaving, true)
            .await
        {
            Ok(()) => Outcome::Done,
            Err((i, e)) => {
                diags.error(
                    "Cannot remove a node from the database cluster",
                    format!("node {}: {e}", prior_nodes[i].name()),
                    AttributePath::new("node"),
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
        let all: Vec<usize> = (0..nodes.len()).collect();
        if let Err((i, e)) = self
            .procedure(&nodes, None, deadline)
            .dismantle(&all, false)
            .await
        {
            diags.error(
                "Cannot take the node out of the database cluster",
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
        let nodes: Vec<DbNode<'a>> = id
            .nodes
            .iter()
            .map(|node| DbNode {
                name: known(node.label.clone().unwrap_or_default()),
                address: known(node.address.clone()),
                ssh_port: node
                    .port
                    .map(|p| Value::Value(i64::from(p)))
                    .unwrap_or(Value::Null),
                ..Default::default()
            })
            .collect();
        let procedure = self.procedure(&nodes, None, deadline);
        let reports = procedure.observe().await;
        // Every node must be read: an import that cannot read one fails and changes nothing.
        for (node, report) in nodes.iter().zip(&reports) {
            if let Err(e) = &report.status {
                diags.root_error(
                    "Cannot import",
                    format!("node {} cannot be read: {e}", node.name()),
                );
                return None;
            }
        }
        let (observed, clustered) = observed_state(
            &ClusterState::default().with_nodes(nodes.clone()),
            &reports,
            diags,
        );
        if !clustered {
            diags.root_error(
                "Cannot import",
                format!(
                    "none of the nodes in {:?} is in a database cluster",
                    id.to_string()
                ),
            );
            return None;
        }
        // What the configuration would say: membership from the role, the master as initial master.
        let nodes: Vec<DbNode<'a>> = observed
            .nodes()
            .into_iter()
            .map(|mut n| {
                n.membership = known(if text(&n.role).as_deref() == Some("client") {
                    MEMBERSHIP_CLIENT
                } else {
                    MEMBERSHIP_DATABASE
                });
                n
            })
            .collect();
        let master = observed.current_master.clone();
        let master_index = nodes
            .iter()
            .position(|n| n.name.as_ref_option() == master.as_ref_option())
            .unwrap_or(0);
        let certs = match procedure.download_certificates(master_index).await {
            Ok(c) => c,
            Err(e) => {
                diags.root_error("Cannot import the certificates", e.to_string());
                return None;
            }
        };
        let [server_key, server_certificate, client_key, client_certificate, ca_bundle] =
            certs.map(|c| c.map(known).unwrap_or(Value::Null));
        let state = ClusterState {
            id: master.clone(),
            initial_master: master,
            server_key,
            server_certificate,
            client_key,
            client_certificate,
            ca_bundle,
            ..observed
        }
        .with_nodes(nodes);
        Some((state, Value::Null))
    }
}

fn other_value(node: &DbNode<'_>, field: &str) -> Option<String> {
    match field {
        "name" => text(&node.name),
        _ => text(&node.address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_values_or_paths() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert_eq!(resolve_pem(pem).unwrap(), pem);
        let path = std::env::temp_dir().join(format!("uccluster-pem-{}", std::process::id()));
        std::fs::write(&path, pem).unwrap();
        assert_eq!(resolve_pem(path.to_str().unwrap()).unwrap(), pem);
        assert!(resolve_pem("/nonexistent/ca.crt")
            .unwrap_err()
            .contains("neither PEM text nor a readable file"));
    }

    #[test]
    fn plan_defaults_keep_roles_of_connected_nodes_only() {
        let prior = vec![
            DbNode {
                name: known("a"),
                role: known("replica"),
                state: known("connected"),
                membership: known("database"),
                ..Default::default()
            },
            DbNode {
                name: known("b"),
                role: known("none"),
                state: known("standalone"),
                membership: known("database"),
                ..Default::default()
            },
        ];
        let configured = vec![
            DbNode {
                name: known("a"),
                ..Default::default()
            },
            DbNode {
                name: known("b"),
                ..Default::default()
            },
            DbNode {
                name: known("c"),
                membership: known("client"),
                ..Default::default()
            },
        ];
        // The declaration fills the unset defaults (membership, interface) before the plan.
        let config = ClusterState::default().with_nodes(configured);
        let proposed = SPEC.with_unset_defaults(config.clone(), &config).unwrap();
        let planned = with_plan_defaults(proposed.nodes(), &prior);
        assert_eq!(planned[0].role, known("replica"));
        assert!(planned[1].role.is_unknown());
        assert_eq!(planned[2].role, known("client"));
        assert!(planned
            .iter()
            .all(|n| n.state == known("connected") && n.certificates == known("current")));
        assert_eq!(planned[0].interface, known("a"));
    }
}
