//! Configuration for the lab's CommuniGate Pro cluster (`cgp` provider blocks).

use uccluster_lab::lab::Lab;
use uccluster_lab::secrets::hcl_string;

use crate::tf::PROVIDER_VERSION;

/// `(name, host, port)` of each lab member, in spec order.
pub fn cgp_members(lab: &Lab) -> Vec<(String, String, u16)> {
    lab.endpoints()["cgp_members"]
        .as_array()
        .expect("the lab has CGP members")
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap_or_default().to_string(),
                m["host"].as_str().unwrap_or_default().to_string(),
                m["port"]
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok())
                    .unwrap_or(0),
            )
        })
        .collect()
}

/// The terraform block requiring `cgp` and a provider block with the lab's postmaster account;
/// `extra` lines go in the provider block.
pub fn cgp_provider(lab: &Lab, extra: &str) -> String {
    let member = &lab.endpoints()["cgp_members"][0];
    format!(
        "terraform {{\n  required_providers {{\n    cgp = {{\n      source  = \"uccluster/cgp\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"cgp\" {{\n  username = \"{}\"\n  password = {}\n{extra}}}\n",
        member["username"].as_str().unwrap_or_default(),
        hcl_string(member["password"].as_str().unwrap_or_default()),
    )
}
