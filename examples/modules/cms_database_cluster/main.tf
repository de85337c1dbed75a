# The database cluster of a Meeting Server site: every listed node holds the database; the first
# one initializes the cluster and the others join it.
terraform {
  required_providers {
    cms = {
      source = "uccluster/cms"
    }
  }
}

variable "nodes" {
  description = "Database nodes: name, cluster address and MMP SSH port. The first is the initial master."
  type = list(object({
    name    = string
    address = string
    port    = number
  }))
}

variable "pki_dir" {
  description = "Directory with dbserver.key/.crt, dbclient.key/.crt (CN postgres) and ca.crt."
  type        = string
}

resource "cms_database_cluster" "this" {
  initial_master = var.nodes[0].name

  server_key         = file("${var.pki_dir}/dbserver.key")
  server_certificate = file("${var.pki_dir}/dbserver.crt")
  client_key         = file("${var.pki_dir}/dbclient.key")
  client_certificate = file("${var.pki_dir}/dbclient.crt")
  ca_bundle          = file("${var.pki_dir}/ca.crt")

  dynamic "node" {
    for_each = var.nodes
    content {
      name     = node.value.name
      address  = node.value.address
      ssh_port = node.value.port
    }
  }
}

output "current_master" {
  description = "The node that is the database master now."
  value       = cms_database_cluster.this.current_master
}
