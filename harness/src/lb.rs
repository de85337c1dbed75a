//! Configuration for the lab's load balancers (`lb` provider blocks and virtual servers).

use uccluster_lab::haproxy::Haproxy;
use uccluster_lab::ipvs::IpvsHost;
use uccluster_lab::lab::{Lab, LabSpec};
use uccluster_lab::secrets::hcl_string;
use uccluster_lab::xop::Sshd;

use crate::tf::{Tf, PROVIDER_VERSION};

/// The terraform block requiring the `lb` provider.
pub fn lb_terraform_block() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    lb = {{\n      source  = \"uccluster/lb\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n"
    )
}

/// An `lb` provider block for the lab's IPVS director `host`: SSH with the lab's key, the host
/// key checked against the lab's known_hosts, the stand-in as `ipvsadm`.
pub fn ipvs_provider(host: &IpvsHost) -> String {
    ipvs_provider_with(host, "")
}

/// [`ipvs_provider`] with keepalived owning the table: its configuration file on the director,
/// the real `keepalived -t`, the lab's reload stand-in.
pub fn ipvs_keepalived_provider(host: &IpvsHost) -> String {
    ipvs_provider_with(
        host,
        &format!(
            "    keepalived {{\n      config_path        = \"{}\"\n      keepalived_command = \"{}\"\n      reload_command     = [\"{}\"]\n      reload_timeout     = \"10s\"\n    }}\n",
            host.keepalived_config_path().display(),
            host.keepalived_program().display(),
            host.keepalived_reload_command().display(),
        ),
    )
}

fn ipvs_provider_with(host: &IpvsHost, extra: &str) -> String {
    let s = host.sshd();
    format!(
        "{}\nprovider \"lb\" {{\n  ipvs {{\n    ipvsadm = \"{}\"\n    ssh {{\n      address          = \"127.0.0.1\"\n      port             = {}\n      username         = \"{}\"\n      private_key      = file(\"{}\")\n      known_hosts_file = \"{}\"\n      command_timeout  = \"20s\"\n    }}\n{extra}  }}\n}}\n",
        lb_terraform_block(),
        host.ipvsadm_command().display(),
        s.port(),
        s.user(),
        s.client_key_path().display(),
        s.known_hosts_path().display(),
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

/// An `lb` provider block for the lab's BIG-IP `name`: its address, the lab's account and the
/// lab CA as the trust policy.
pub fn f5_provider(lab: &Lab, name: &str) -> String {
    let device = lab.endpoints()["f5_devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["name"] == name).cloned())
        .expect("the lab has the F5 device");
    format!(
        "{}\nprovider \"lb\" {{\n  f5 {{\n    address  = \"{}\"\n    port     = {}\n    username = \"{}\"\n    password = {}\n    ca_file  = \"{}\"\n  }}\n}}\n",
        lb_terraform_block(),
        device["host"].as_str().unwrap_or_default(),
        device["port"],
        device["username"].as_str().unwrap_or_default(),
        hcl_string(device["password"].as_str().unwrap_or_default()),
        device["ca_file"].as_str().unwrap_or_default(),
    )
}

/// An `lb` provider block for the lab's HAProxy `h`: its configuration file, runtime API and
/// master socket on this machine.
pub fn haproxy_provider(h: &Haproxy) -> String {
    format!(
        "{}\nprovider \"lb\" {{\n  haproxy {{\n    config_path     = \"{}\"\n    runtime_address = \"{}\"\n    master_socket   = \"{}\"\n  }}\n}}\n",
        lb_terraform_block(),
        h.config_path().display(),
        h.runtime_address(),
        h.master_socket().display(),
    )
}

/// An `lb` provider block for the lab's HAProxy `h` as if on another host: its configuration
/// file and `haproxy -c` over SSH through `sshd` (the lab's key, the host key pinned), the
/// runtime API and the master CLI on TCP.
pub fn haproxy_ssh_provider(h: &Haproxy, sshd: &Sshd) -> String {
    format!(
        "{}\nprovider \"lb\" {{\n  haproxy {{\n    config_path     = \"{}\"\n    runtime_address = \"{}\"\n    master_socket   = \"{}\"\n    haproxy_command = \"{}\"\n    ssh {{\n      address              = \"127.0.0.1\"\n      port                 = {}\n      username             = \"{}\"\n      private_key          = file(\"{}\")\n      host_key_fingerprint = \"{}\"\n    }}\n  }}\n}}\n",
        lb_terraform_block(),
        h.config_path().display(),
        h.runtime_address(),
        h.master_address(),
        h.program().display(),
        sshd.port(),
        sshd.user(),
        sshd.client_key_path().display(),
        sshd.host_key_fingerprint(),
    )
}

/// A lab with one IPVS director, `ipvs1`, under the test's directory.
pub async fn ipvs_lab(tf: &Tf) -> Lab {
    Lab::start(
        &LabSpec::default().with_ipvs_directors(1),
        &tf.dir.join("lab"),
    )
    .await
    .expect("lab starts")
}

/// A member block per address, nothing else set.
pub fn lb_members(addresses: &[&str]) -> String {
    addresses.iter().map(|a| lb_member(a, &[])).collect()
}
