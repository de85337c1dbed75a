# Each Call Bridge logs in to the XMPP cluster with its own account (cms_xmpp_callbridge), the
# server found by DNS SRV (_xmpp-component._tcp.conf.example.com), as the seed recommends.
variable "call_bridges" {
  description = "Each Call Bridge's unique name and its node's Web Admin."
  type        = map(string)
  default = {
    callbridge01 = "cms01.example.com:445"
    callbridge02 = "cms02.example.com:445"
    callbridge03 = "cms03.example.com:445"
  }
}

resource "cms_xmpp_callbridge" "this" {
  for_each = var.call_bridges

  name = each.key

  xmpp_node {
    address = "10.0.10.11"
  }
  xmpp_node {
    address = "10.0.10.12"
  }
  xmpp_node {
    address = "10.0.10.13"
  }
}

resource "cms_callbridge_xmpp" "this" {
  for_each = var.call_bridges

  api_address   = each.value
  unique_name   = each.key
  domain        = cms_xmpp_callbridge.this[each.key].domain
  shared_secret = cms_xmpp_callbridge.this[each.key].secret
}

output "xmpp_connections" {
  value = { for name, c in cms_callbridge_xmpp.this : name => c.connection }
}
