# The XMPP cluster of three Meeting Server nodes (XMPP resiliency): cms1 initializes it, cms2
# and cms3 join. The XMPP server of each node (certificates, listen, domain) is set up first by
# cms_node_services; the trust bundle holds every node's certificate.
variable "pki_dir" {
  description = "Directory with cluster-trust.crt, the certificates of every XMPP node."
  type        = string
}

resource "cms_xmpp_cluster" "xmpp" {
  trust_bundle = file("${var.pki_dir}/cluster-trust.crt")

  node {
    name    = "cms1"
    address = "10.0.10.11"
  }
  node {
    name    = "cms2"
    address = "10.0.10.12"
  }
  node {
    name     = "cms3"
    address  = "10.0.10.13"
    ssh_port = 2222
  }

  timeouts {
    create = "10m"
  }
}

# The node the cluster has elected leader now; it moves on failover.
output "xmpp_leader" {
  value = cms_xmpp_cluster.xmpp.leader
}
