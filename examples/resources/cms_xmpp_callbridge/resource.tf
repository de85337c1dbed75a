# One Call Bridge account on every XMPP node of a three-node cluster. The first node generates
# the secret; the others receive the same one with `xmpp callbridge add-secret`.
resource "cms_xmpp_callbridge" "core1" {
  name = "callbridge01"

  xmpp_node {
    address = "10.0.10.11"
  }
  xmpp_node {
    address = "10.0.10.12"
  }
  xmpp_node {
    address              = "10.0.10.13"
    port                 = 2222
    host_key_fingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
  }

  timeouts {
    create = "5m"
  }
}

# The secret is needed on the Call Bridge side (Web Admin > Configuration > General).
output "callbridge01_secret" {
  value     = cms_xmpp_callbridge.core1.secret
  sensitive = true
}
