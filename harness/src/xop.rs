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

/// The `host` attributes of a lab XOP server: the lab's sshd address, the appliance's paths in
/// its directory.
pub fn xop_host_settings(s: &XopServer) -> Vec<(&'static str, String)> {
    vec![
        ("my_cnf_path", s.my_cnf_path().display().to_string()),
        ("restart_command", s.restart_command().to_string()),
        ("dump_command", s.mariadb_dump_path().display().to_string()),
        (
            "client_command",
            s.mariadb_client_path().display().to_string(),
        ),
        ("iptables_command", s.iptables_command().to_string()),
        (
            "firewall_save_command",
            s.firewall_save_command().to_string(),
        ),
    ]
}

/// The `host` block of a lab XOP server.
pub fn xop_host_block(s: &XopServer) -> String {
    let mut block = "  host {\n    address               = \"127.0.0.1\"\n".to_string();
    for (name, value) in xop_host_settings(s) {
        block.push_str(&format!("    {name:<21} = \"{value}\"\n"));
    }
    block + "  }\n"
}

/// The import ID of a lab XOP server's member: the same host settings, and its MySQL port.
pub fn xop_import_id(s: &XopServer) -> String {
    let mut id = format!("{}@127.0.0.1", s.name());
    for (name, value) in xop_host_settings(s) {
        id.push_str(&format!(";host.{name}={value}"));
    }
    id + &format!(";mysql.port={}", s.mysql_port())
}
