//! Configuration for the lab's simulated Cisco Meeting Server nodes.

use uccluster_lab::lab::{Lab, LabSpec};
use uccluster_lab::secrets::hcl_string;

use crate::tf::{Tf, PROVIDER_VERSION};

/// A lab with `n` CMS nodes, its files in the test's directory.
pub async fn cms_lab(n: usize, tf: &Tf) -> Lab {
    Lab::start(&LabSpec::with_cms_nodes(n), &tf.dir.join("lab"))
        .await
        .expect("lab starts")
}

/// (address, port) of each CMS node, in order.
pub fn cms_nodes(lab: &Lab) -> Vec<(String, u16)> {
    lab.endpoints()["cms_nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["address"].as_str().unwrap().to_string(),
                n["port"].as_u64().unwrap() as u16,
            )
        })
        .collect()
}

/// The terraform block and a provider block that verifies host keys against the lab's known_hosts.
pub fn cms_provider(lab: &Lab) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    cms = {{
      source  = "uccluster/cms"
      version = "{PROVIDER_VERSION}"
    }}
  }}
}}

provider "cms" {{
  username         = "admin"
  password         = {}
  known_hosts_file = "{}"
  command_timeout  = "10s"
  connect_timeout  = "5s"
}}
"#,
        hcl_string(lab.password()),
        lab.known_hosts_path().display()
    )
}

/// A `cms_xmpp_callbridge` resource over `nodes`, with `extra` lines inside the resource.
pub fn callbridge(resource: &str, name: &str, nodes: &[(String, u16)], extra: &str) -> String {
    let blocks: String = nodes
        .iter()
        .map(|(a, p)| format!("  xmpp_node {{\n    address = \"{a}\"\n    port    = {p}\n  }}\n"))
        .collect();
    format!("resource \"cms_xmpp_callbridge\" \"{resource}\" {{\n  name = \"{name}\"\n{extra}{blocks}}}\n")
}

/// The import ID of Call Bridge `name` on `nodes`.
pub fn callbridge_import_id(name: &str, nodes: &[(String, u16)]) -> String {
    let nodes: Vec<String> = nodes.iter().map(|(a, p)| format!("{a}:{p}")).collect();
    format!("{name}@{}", nodes.join(","))
}

/// The terraform and provider blocks of a configuration that must be refused before any device
/// is contacted: a password that is never used, and `extra` provider lines.
pub fn cms_unused_provider(extra: &str) -> String {
    format!("terraform {{\n  required_providers {{\n    cms = {{\n      source = \"uccluster/cms\"\n    }}\n  }}\n}}\nprovider \"cms\" {{\n  password = \"x-unused-x\"\n{extra}}}\n")
}
