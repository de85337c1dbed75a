# The XMPP accounts of a Meeting Server site: one account per Call Bridge, on every XMPP node.
terraform {
  required_providers {
    cms = {
      source = "uccluster/cms"
    }
  }
}

variable "call_bridges" {
  description = "Names of the Call Bridges that log in to this XMPP cluster, each once."
  type        = list(string)

  validation {
    condition     = length(distinct(var.call_bridges)) == length(var.call_bridges)
    error_message = "The call_bridges list names a Call Bridge more than once: each Call Bridge has one account, so list each name once."
  }
}

variable "xmpp_nodes" {
  description = "Every XMPP node of the cluster, each once: MMP address and SSH port. The first generates the secrets."
  type = list(object({
    address = string
    port    = number
  }))

  validation {
    condition     = length(distinct([for n in var.xmpp_nodes : "${n.address}:${n.port}"])) == length(var.xmpp_nodes)
    error_message = "The xmpp_nodes list has the same address and port twice: list each XMPP node once."
  }
}

resource "cms_xmpp_callbridge" "this" {
  for_each = toset(var.call_bridges)

  name = each.value

  dynamic "xmpp_node" {
    for_each = var.xmpp_nodes
    content {
      address = xmpp_node.value.address
      port    = xmpp_node.value.port
    }
  }
}

output "secrets" {
  description = "Call Bridge name => XMPP secret, for each Call Bridge's Web Admin configuration."
  value       = { for name, account in cms_xmpp_callbridge.this : name => account.secret }
  sensitive   = true
}

output "domain" {
  description = "XMPP domain the accounts belong to."
  value       = one(distinct([for account in cms_xmpp_callbridge.this : account.domain]))
}
