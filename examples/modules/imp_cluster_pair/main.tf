# Both directions of a Cisco IM and Presence intercluster peering (seed: "Configure Intercluster
# Peers"): Cisco configures the peer on the database publisher of each cluster, so a pair is two
# imp_intercluster_peer resources, a -> b on cluster a's provider block and b -> a on cluster b's.
# The caller passes one provider block per cluster:
#
#   module "pair" {
#     source    = "../../modules/imp_cluster_pair"
#     providers = { imp.a = imp.imp1, imp.b = imp.imp2 }
#     ...
#   }
#
# Each block's trust settings (ca_file) must also accept the other cluster's publisher: its
# resource checks the remote side from the machine Terraform runs on.
terraform {
  required_providers {
    imp = {
      source                = "uccluster/imp"
      configuration_aliases = [imp.a, imp.b]
    }
  }
}

variable "a" {
  description = <<-EOT
    Cluster a. publisher: its database publisher, name exactly as IM&P defines the node (System >
    Presence Topology: IP address, host name or FQDN; the other cluster's peer_address) and
    address, where Terraform reaches its HTTPS (host or host:port, default port 8443); nodes:
    every other node (subscribers) the same way; intercluster_username: its intercluster
    application user, which cluster b's peer logs in as.
  EOT
  type = object({
    publisher = object({
      name    = string
      address = string
    })
    nodes = list(object({
      name    = string
      address = string
    }))
    intercluster_username = string
  })

  validation {
    condition     = length(distinct([for n in concat([var.a.publisher], var.a.nodes) : lower(n.name)])) == length(var.a.nodes) + 1
    error_message = "Each node of cluster a must have its own name: two have the same one."
  }
}

variable "b" {
  description = "Cluster b, as var.a describes cluster a."
  type = object({
    publisher = object({
      name    = string
      address = string
    })
    nodes = list(object({
      name    = string
      address = string
    }))
    intercluster_username = string
  })

  validation {
    condition     = length(distinct([for n in concat([var.b.publisher], var.b.nodes) : lower(n.name)])) == length(var.b.nodes) + 1
    error_message = "Each node of cluster b must have its own name: two have the same one."
  }
}

variable "a_intercluster_password" {
  description = "Password of cluster a's intercluster application user (the AXL Password of b's peer)."
  type        = string
  sensitive   = true
}

variable "b_intercluster_password" {
  description = "Password of cluster b's intercluster application user (the AXL Password of a's peer)."
  type        = string
  sensitive   = true
}

variable "a_to_b_peer_endpoint" {
  description = "Where Terraform reaches b's publisher AXL for a's checks (host or host:port). null: b.publisher.address."
  type        = string
  default     = null
}

variable "b_to_a_peer_endpoint" {
  description = "Where Terraform reaches a's publisher AXL for b's checks (host or host:port). null: a.publisher.address."
  type        = string
  default     = null
}

variable "protocol" {
  description = "The intercluster SIP transport on both sides: tcp (Cisco's recommendation) or tls."
  type        = string
  default     = "tcp"

  validation {
    condition     = contains(["tcp", "tls"], var.protocol)
    error_message = "The protocol must be tcp or tls."
  }
}

variable "peer_store" {
  description = "How the peer entries are made: verify (the admin GUI; the apply prints the steps) or axl_sql (written through AXL executeSQLUpdate, not supported by Cisco)."
  type        = string
  default     = "verify"

  validation {
    condition     = contains(["verify", "axl_sql"], var.peer_store)
    error_message = "The peer_store must be verify or axl_sql."
  }
}

variable "wait_for_sync" {
  description = "Wait until each side is reachable, points back and is in sync (false: report only)."
  type        = bool
  default     = true
}

variable "force_sync" {
  description = "A trigger: any change restarts Cisco Intercluster Sync Agent on both publishers (Force Sync)."
  type        = string
  default     = null
}

# No depends_on between the two: with wait_for_sync, each side waits until the other points
# back, so both are applied in the same run.
resource "imp_intercluster_peer" "a_to_b" {
  provider = imp.a

  peer_address      = var.b.publisher.name
  peer_endpoint     = coalesce(var.a_to_b_peer_endpoint, var.b.publisher.address)
  peer_axl_username = var.b.intercluster_username
  peer_axl_password = var.b_intercluster_password
  protocol          = var.protocol
  peer_store        = var.peer_store
  wait_for_sync     = var.wait_for_sync
  force_sync        = var.force_sync

  publisher {
    name    = var.a.publisher.name
    address = var.a.publisher.address
  }
  dynamic "node" {
    for_each = var.a.nodes
    content {
      name    = node.value.name
      address = node.value.address
    }
  }
}

resource "imp_intercluster_peer" "b_to_a" {
  provider = imp.b

  peer_address      = var.a.publisher.name
  peer_endpoint     = coalesce(var.b_to_a_peer_endpoint, var.a.publisher.address)
  peer_axl_username = var.a.intercluster_username
  peer_axl_password = var.a_intercluster_password
  protocol          = var.protocol
  peer_store        = var.peer_store
  wait_for_sync     = var.wait_for_sync
  force_sync        = var.force_sync

  publisher {
    name    = var.b.publisher.name
    address = var.b.publisher.address
  }
  dynamic "node" {
    for_each = var.b.nodes
    content {
      name    = node.value.name
      address = node.value.address
    }
  }
}

output "status" {
  description = "Per direction: the peer checks (peer, connectivity, far_side, sync), the associated users, the certificate status and the services, as read from the clusters."
  value = {
    a_to_b = {
      status             = imp_intercluster_peer.a_to_b.status
      associated_users   = imp_intercluster_peer.a_to_b.associated_users
      certificate_status = imp_intercluster_peer.a_to_b.certificate_status
      service_states     = imp_intercluster_peer.a_to_b.service_states
    }
    b_to_a = {
      status             = imp_intercluster_peer.b_to_a.status
      associated_users   = imp_intercluster_peer.b_to_a.associated_users
      certificate_status = imp_intercluster_peer.b_to_a.certificate_status
      service_states     = imp_intercluster_peer.b_to_a.service_states
    }
  }
}
