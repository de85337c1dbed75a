//! Configuration for the lab's simulated Cisco IM and Presence clusters (`imp` provider blocks,
//! one per cluster under an alias, and `imp_intercluster_peer` resources between them).

use serde_json::Value;
use uccluster_lab::lab::Lab;
use uccluster_lab::secrets::hcl_string;

use crate::tf::PROVIDER_VERSION;

/// One lab cluster as `lab.endpoints()["imp_clusters"]` describes it.
#[derive(Debug, Clone)]
pub struct ImpLabCluster {
    pub name: String,
    /// `(node name, "127.0.0.1:port")`, the publisher first.
    pub nodes: Vec<(String, String)>,
    pub admin: (String, String),
    pub intercluster: (String, String),
    pub ca_file: String,
}

impl ImpLabCluster {
    pub fn publisher(&self) -> &str {
        &self.nodes[0].0
    }

    pub fn publisher_endpoint(&self) -> &str {
        &self.nodes[0].1
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// Every IM&P cluster of the lab, in spec order.
pub fn imp_clusters(lab: &Lab) -> Vec<ImpLabCluster> {
    lab.endpoints()["imp_clusters"]
        .as_array()
        .expect("the lab has IM&P clusters")
        .iter()
        .map(|c| ImpLabCluster {
            name: text(c, "name"),
            nodes: c["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| (text(n, "name"), text(n, "endpoint")))
                .collect(),
            admin: (text(c, "admin_username"), text(c, "admin_password")),
            intercluster: (
                text(c, "intercluster_username"),
                text(c, "intercluster_password"),
            ),
            ca_file: text(c, "ca_file"),
        })
        .collect()
}

/// The terraform block requiring `imp`.
pub fn imp_terraform_block() -> String {
    format!("terraform {{\n  required_providers {{\n    imp = {{\n      source  = \"uccluster/imp\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n")
}

/// A provider block for `cluster` under the alias of its name, its admin and the lab CA;
/// `extra` lines go in the block.
pub fn imp_provider(cluster: &ImpLabCluster, extra: &str) -> String {
    format!(
        "\nprovider \"imp\" {{\n  alias    = \"{}\"\n  username = \"{}\"\n  password = {}\n  ca_file  = \"{}\"\n{extra}}}\n",
        cluster.name,
        cluster.admin.0,
        hcl_string(&cluster.admin.1),
        cluster.ca_file,
    )
}

/// `imp_intercluster_peer.<local>_to_<remote>` on the local cluster's provider, with the
/// remote's intercluster user; `extra` lines go in the resource.
pub fn imp_peer(local: &ImpLabCluster, remote: &ImpLabCluster, extra: &str) -> String {
    let nodes: String = local.nodes[1..]
        .iter()
        .map(|(name, address)| {
            format!("  node {{\n    name    = \"{name}\"\n    address = \"{address}\"\n  }}\n")
        })
        .collect();
    format!(
        "\nresource \"imp_intercluster_peer\" \"{}\" {{\n  provider          = imp.{}\n  peer_address      = \"{}\"\n  peer_endpoint     = \"{}\"\n  peer_axl_username = \"{}\"\n  peer_axl_password = {}\n{extra}\n  publisher {{\n    name    = \"{}\"\n    address = \"{}\"\n  }}\n{nodes}}}\n",
        imp_peer_name(local, remote),
        local.name,
        remote.publisher(),
        remote.publisher_endpoint(),
        remote.intercluster.0,
        hcl_string(&remote.intercluster.1),
        local.publisher(),
        local.publisher_endpoint(),
    )
}

/// The resource name `imp_peer` gives the peer from `local` to `remote`.
pub fn imp_peer_name(local: &ImpLabCluster, remote: &ImpLabCluster) -> String {
    format!("{}_to_{}", local.name, remote.name)
}

/// The import ID of the peer from `local` to `remote`, with `settings` (`;k=v` each) after
/// the remote's endpoint.
pub fn imp_peer_import_id(local: &ImpLabCluster, remote: &ImpLabCluster, settings: &str) -> String {
    let nodes: Vec<String> = local
        .nodes
        .iter()
        .map(|(name, address)| format!("{name}={address}"))
        .collect();
    format!(
        "{}@{}{settings};peer_endpoint={}",
        remote.publisher(),
        nodes.join(","),
        remote.publisher_endpoint()
    )
}
