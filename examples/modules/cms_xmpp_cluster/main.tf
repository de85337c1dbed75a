# The XMPP cluster of a Meeting Server site: the first node initializes it, the others join.
# Apply it after the nodes' XMPP servers run (cms_node_services).
terraform {
  required_providers {
    cms = {
      source = "uccluster/cms"
    }
  }
}

variable "nodes" {
  description = "The XMPP nodes: name, address (as the cluster lists it) and MMP SSH port. The first initializes the cluster."
  type = list(object({
    name    = string
    address = string
    port    = number
  }))
}

variable "trust_bundle" {
  description = "PEM of every node's certificate."
  type        = string
}

resource "cms_xmpp_cluster" "this" {
  trust_bundle = var.trust_bundle

  dynamic "node" {
    for_each = var.nodes
    content {
      name     = node.value.name
      address  = node.value.address
      ssh_port = node.value.port
    }
  }
}

output "leader" {
  description = "The node the cluster has elected leader now."
  value       = cms_xmpp_cluster.this.leader
}

output "peers" {
  description = "The addresses the cluster lists."
  value       = cms_xmpp_cluster.this.peers
}
