# The services of one Meeting Server node, the seed's way: the Web Admin (and REST API) on 445,
# the Call Bridge trusting its clustered peers, the XMPP server for conf.example.com, and the
# Web Bridge on 443 redirecting HTTP. One certificate for the node, signed by the site's CA.
variable "pki_dir" {
  description = "Directory with the node's key and certificate, the CA and the cluster trust bundle."
  type        = string
}

resource "cms_node_services" "cms01" {
  address = "10.0.10.11"

  webadmin {
    key         = file("${var.pki_dir}/cms01.key")
    certificate = file("${var.pki_dir}/cms01.crt")
    ca_bundle   = file("${var.pki_dir}/ca.crt")
  }

  callbridge {
    key                  = file("${var.pki_dir}/cms01.key")
    certificate          = file("${var.pki_dir}/cms01.crt")
    ca_bundle            = file("${var.pki_dir}/ca.crt")
    cluster_trust_bundle = file("${var.pki_dir}/cluster-trust.crt") # every node's certificate
  }

  xmpp {
    domain      = "conf.example.com"
    key         = file("${var.pki_dir}/cms01.key")
    certificate = file("${var.pki_dir}/cms01.crt")
    ca_bundle   = file("${var.pki_dir}/ca.crt")
  }

  webbridge {
    key          = file("${var.pki_dir}/cms01.key")
    certificate  = file("${var.pki_dir}/cms01.crt")
    ca_bundle    = file("${var.pki_dir}/ca.crt")
    trust_bundle = file("${var.pki_dir}/cluster-trust.crt") # the Call Bridges it accepts
  }
}

# Whether each service uses this configuration's files (`current`), or someone changed them.
output "cms01_certificates" {
  value = {
    webadmin   = cms_node_services.cms01.webadmin[0].certificates
    callbridge = cms_node_services.cms01.callbridge[0].certificates
    xmpp       = cms_node_services.cms01.xmpp[0].certificates
    webbridge  = cms_node_services.cms01.webbridge[0].certificates
  }
}
