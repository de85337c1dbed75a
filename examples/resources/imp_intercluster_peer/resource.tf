terraform {
  required_providers {
    imp = {
      source  = "uccluster/imp"
      version = "~> 0.1"
    }
  }
}

variable "imp1_password" {
  type      = string
  sensitive = true
}

variable "imp2_intercluster_password" {
  description = "Password of cluster imp2's intercluster application user (the peer's AXL Password)."
  type        = string
  sensitive   = true
}

# Cluster imp1: its publisher and one subscriber, reached with this account.
provider "imp" {
  username = "uccluster"
  password = var.imp1_password
  ca_file  = "/etc/uccluster/imp-tomcat-ca.pem"
}

# imp1's peer for cluster imp2: configured on imp1's publisher, pointing at imp2's publisher
# by its node name exactly as imp2 defines it (System > Presence Topology). peer_store is
# "verify" (the default): the peer itself is added in the admin GUI, the first apply prints the
# steps; everything else (the checks, the Cisco XCP Router restarts on both nodes, the wait
# for sync) is done by the apply. imp2 needs the other direction (see the imp_cluster_pair
# module).
resource "imp_intercluster_peer" "imp1_to_imp2" {
  peer_address = "imp2-pub.example.com"
  # Where this machine reaches imp2's publisher AXL (default: peer_address on 8443).
  peer_endpoint     = "10.0.1.11:8443"
  peer_axl_username = "imp2-icsa"
  peer_axl_password = var.imp2_intercluster_password
  protocol          = "tcp"

  publisher {
    name    = "imp1-pub.example.com"
    address = "10.0.0.11"
  }
  node {
    name    = "imp1-sub1.example.com"
    address = "10.0.0.12"
  }

  # One XCP Router restart per node and the Sync Agent's sync, which Cisco says may take up to
  # 30 minutes.
  timeouts {
    create = "45m"
    update = "45m"
  }
}

output "imp1_to_imp2_status" {
  value = imp_intercluster_peer.imp1_to_imp2.status
}
