# XOP HA: a primary and a secondary (seed: XOP Networks "MySQL replication" best practice).
# The MySQL admin account comes from the provider block (mysql_admin_user/_password).
variable "replication_password" {
  type      = string
  sensitive = true
}

resource "xop_replication_member" "primary" {
  name         = "xop-a"
  role         = "primary"
  server_id    = 1
  cluster_size = 2

  # MySQL open to the secondary only; saved with `service iptables save`.
  firewall_allow = ["10.0.40.12"]

  host {
    address = "10.0.40.11"
  }
  mysql {}
}

resource "xop_replication_member" "secondary" {
  name                 = "xop-b"
  role                 = "secondary"
  server_id            = 2
  cluster_size         = 2
  replication_password = var.replication_password

  # Before an upgrade, set false (the seed's "stop slave"); set true again afterwards.
  replication_enabled = true
  # Change it to run the seed's resync from the primary.
  resync_trigger = "2026-11-23"
  # Encrypt the replication stream (a CA file on this server; the primary needs TLS set up).
  replication_tls_ca_path = "/etc/pki/xop/ca.pem"

  # Re-addressed at its console? Change this: the primary's hosts entry and HA membership
  # follow (`sysconf member <new> <old>` over primary_host).
  cluster_address = "10.0.40.12"

  host {
    address = "10.0.40.12"
  }
  mysql {}
  primary {
    address = xop_replication_member.primary.host.address
  }
  primary_host {
    address = xop_replication_member.primary.host.address
  }
}

output "secondary_lag" {
  value = xop_replication_member.secondary.seconds_behind
}
