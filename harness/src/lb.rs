//! Configuration for the lab's load balancers (`lb` provider blocks and virtual servers).

use uccluster_lab::ipvs::IpvsHost;

use crate::tf::PROVIDER_VERSION;

/// The terraform block requiring the `lb` provider.
pub fn lb_terraform_block() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    lb = {{\n      source  = \"uccluster/lb\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n"
    )
}

/// An `lb` provider block for the lab's IPVS director `host`: SSH with the lab's key, the host
/// key checked against the lab's known_hosts, the stand-in as `ipvsadm`.
pub fn ipvs_provider(host: &IpvsHost) -> String {
    let s = host.sshd();
    format!(
        "{}\nprovider \"lb\" {{\n  ipvs {{\n    address          = \"127.0.0.1\"\n    port             = {}\n    username         = \"{}\"\n    private_key      = file(\"{}\")\n    known_hosts_file = \"{}\"\n    ipvsadm          = \"{}\"\n    command_timeout  = \"20s\"\n  }}\n}}\n",
        lb_terraform_block(),
        s.port(),
        s.user(),
        s.client_key_path().display(),
        s.known_hosts_path().display(),
        host.ipvsadm_command().display(),
    )
}

/// One member block: `address`, and the other attributes as `key = value` HCL lines.
pub fn lb_member(address: &str, extra: &[&str]) -> String {
    let mut block = format!("  member {{\n    address = \"{address}\"\n");
    for line in extra {
        block.push_str(&format!("    {line}\n"));
    }
    block + "  }\n"
}
