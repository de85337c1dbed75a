# XOP HA: a primary and a secondary (seed: XOP Networks "MySQL replication" best practice).
variable "mysql_admin_password" {
  type      = string
  sensitive = true
}

variable "replication_password" {
  type      = string
  sensitive = true
}

resource "xop_replication_member" "primary" {
  name                 = "xop-a"
  role                 = "primary"
  server_id            = 1
  cluster_size         = 2
  replication_password = var.replication_password

  host {
    address = "10.0.40.11"
  }
  mysql {
    admin_user     = "root"
    admin_password = var.mysql_admin_password
  }
}

resource "xop_replication_member" "secondary" {
  name                 = "xop-b"
  role                 = "secondary"
  server_id            = 2
  cluster_size         = 2
  replication_password = var.replication_password

  # Before an upgrade, set false (the seed's "stop slave"); set true again afterwards.
  replication_enabled = true

  host {
    address = "10.0.40.12"
  }
  mysql {
    admin_user     = "root"
    admin_password = var.mysql_admin_password
  }
  primary {
    address        = xop_replication_member.primary.host.address
    admin_user     = "root"
    admin_password = var.mysql_admin_password
  }
}

output "secondary_lag" {
  value = xop_replication_member.secondary.seconds_behind
}
