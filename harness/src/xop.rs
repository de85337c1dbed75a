//! Configuration for the lab's XOP appliances (real MariaDB servers behind a real sshd).

use uccluster_lab::xop::{Sshd, XopServer};

use crate::tf::PROVIDER_VERSION;

/// The `xop` provider block for a lab: SSH to the lab's sshd with its key and known_hosts, and
/// the servers' shared MySQL admin account; `admin_password` is an HCL expression (a quoted
/// literal from `hcl_string`, or a variable).
pub fn xop_provider(sshd: &Sshd, admin_user: &str, admin_password: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    xop = {{\n      source  = \"uccluster/xop\"\n      version = \"{PROVIDER_VERSION}\"\n    }}\n  }}\n}}\n\nprovider \"xop\" {{\n  username         = \"{}\"\n  private_key      = file(\"{}\")\n  port             = {}\n  known_hosts_file = \"{}\"\n  command_timeout  = \"60s\"\n  mysql_admin_user = \"{admin_user}\"\n  mysql_admin_password = {}\n}}\n",
        sshd.user(),
        sshd.client_key_path().display(),
        sshd.port(),
        sshd.known_hosts_path().display(),
        admin_password,
    )
}

/// The `host` block of a lab XOP server: the lab's sshd, the appliance's paths in its directory.
pub fn xop_host_block(s: &XopServer) -> String {
    format!(
        "  host {{\n    address               = \"127.0.0.1\"\n    my_cnf_path           = \"{}\"\n    restart_command       = \"{}\"\n    dump_command          = \"{}\"\n    client_command        = \"{}\"\n    iptables_command      = \"{}\"\n    firewall_save_command = \"{}\"\n  }}\n",
        s.my_cnf_path().display(),
        s.restart_command(),
        s.mariadb_dump_path().display(),
        s.mariadb_client_path().display(),
        s.iptables_command(),
        s.firewall_save_command(),
    )
}
