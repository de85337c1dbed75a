# The Call Bridges of a Meeting Server site through the nodes' REST API (Web Admin): clustered
# (Configuration > Cluster: each one's unique name, every node's Web Admin URL on every node),
# each connected to XMPP with its own account (Configuration > General), and the site's Web
# Bridge object. The provider block needs api_username / api_password (an appadmin MMP user)
# and api_ca_file (the CA of the Web Admin certificates).
terraform {
  required_providers {
    cms = {
      source = "uccluster/cms"
    }
  }
}

variable "nodes" {
  description = "The nodes, in order, each with its Call Bridge's unique name and the address of its Web Admin."
  type = list(object({
    unique_name = string
    address     = string
  }))
}

variable "webadmin_port" {
  description = "The Web Admin port of every node (`webadmin listen a <port>`)."
  type        = number
  default     = 445
}

variable "xmpp_domain" {
  description = "The XMPP domain the Call Bridges log in to."
  type        = string
}

variable "xmpp_secrets" {
  description = "Unique name => secret of its XMPP account (cms_xmpp_callbridge)."
  type        = map(string)
  sensitive   = true
}

variable "webbridge_url" {
  description = "The Web Bridge's URL, as Call Bridges reach it."
  type        = string
}

locals {
  web_admin = { for n in var.nodes : n.unique_name => "${n.address}:${var.webadmin_port}" }
}

resource "cms_callbridge_cluster" "this" {
  dynamic "node" {
    for_each = var.nodes
    content {
      unique_name = node.value.unique_name
      address     = local.web_admin[node.value.unique_name]
    }
  }
}

resource "cms_callbridge_xmpp" "this" {
  for_each = local.web_admin

  api_address   = each.value
  unique_name   = each.key
  domain        = var.xmpp_domain
  shared_secret = var.xmpp_secrets[each.key]
}

# Web Bridge objects live in the clustered database: one node's API creates it for all.
resource "cms_webbridge" "this" {
  api_address   = local.web_admin[var.nodes[0].unique_name]
  url           = var.webbridge_url
  guest_access  = true
  id_entry_mode = "secure"
}

output "peers" {
  description = "The clustered Call Bridges the first node lists."
  value       = cms_callbridge_cluster.this.node[0].peers
}

output "xmpp_connections" {
  description = "Unique name => the Call Bridge's XMPP connection."
  value       = { for name, c in cms_callbridge_xmpp.this : name => c.connection }
}
