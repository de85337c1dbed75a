# The database cluster of a three-node Meeting Server deployment, with a fourth server attached
# as a database client. cms1 initializes the cluster; the others join it.
variable "pki_dir" {
  description = "Directory with the database cluster's keys and certificates."
  type        = string
}

resource "cms_database_cluster" "core" {
  initial_master = "cms1"

  server_key         = file("${var.pki_dir}/dbserver.key")
  server_certificate = file("${var.pki_dir}/dbserver.crt")
  client_key         = file("${var.pki_dir}/dbclient.key") # certificate CN must be "postgres"
  client_certificate = file("${var.pki_dir}/dbclient.crt")
  ca_bundle          = file("${var.pki_dir}/ca.crt")

  node {
    name    = "cms1"
    address = "10.0.10.11"
  }
  node {
    name    = "cms2"
    address = "10.0.10.12"
  }
  node {
    name      = "cms3"
    address   = "10.0.20.13"
    interface = "b"
  }
  node {
    name       = "edge1"
    address    = "10.0.30.21"
    membership = "client"
  }

  timeouts {
    create = "20m"
  }
}

output "database_master" {
  value = cms_database_cluster.core.current_master
}
