# The services of every Meeting Server node of a site, the seed's way: the Web Admin (and REST
# API) on 445, the Call Bridge trusting the cluster, the XMPP server, and the Web Bridge on 443.
# Each node has its own key and certificate, <pki_dir>/<name>.key and .crt, signed by
# <pki_dir>/ca.crt; <pki_dir>/cluster-trust.crt holds every node's certificate.
terraform {
  required_providers {
    cms = {
      source = "uccluster/cms"
    }
  }
}

variable "nodes" {
  description = "The nodes: name, MMP address and SSH port."
  type = list(object({
    name    = string
    address = string
    port    = number
  }))
}

variable "pki_dir" {
  description = "Directory with <name>.key and <name>.crt per node, ca.crt and cluster-trust.crt."
  type        = string
}

variable "xmpp_domain" {
  description = "The XMPP domain users log in with."
  type        = string
}

locals {
  ca    = file("${var.pki_dir}/ca.crt")
  trust = file("${var.pki_dir}/cluster-trust.crt")
}

resource "cms_node_services" "this" {
  for_each = { for node in var.nodes : node.name => node }

  address  = each.value.address
  ssh_port = each.value.port

  webadmin {
    key         = file("${var.pki_dir}/${each.key}.key")
    certificate = file("${var.pki_dir}/${each.key}.crt")
    ca_bundle   = local.ca
  }

  callbridge {
    key                  = file("${var.pki_dir}/${each.key}.key")
    certificate          = file("${var.pki_dir}/${each.key}.crt")
    ca_bundle            = local.ca
    cluster_trust_bundle = local.trust
  }

  xmpp {
    domain      = var.xmpp_domain
    key         = file("${var.pki_dir}/${each.key}.key")
    certificate = file("${var.pki_dir}/${each.key}.crt")
    ca_bundle   = local.ca
  }

  webbridge {
    key          = file("${var.pki_dir}/${each.key}.key")
    certificate  = file("${var.pki_dir}/${each.key}.crt")
    ca_bundle    = local.ca
    trust_bundle = local.trust
  }
}

output "certificates" {
  description = "Per node and service: whether it uses this configuration's files."
  value = { for name, node in cms_node_services.this : name => {
    webadmin   = node.webadmin[0].certificates
    callbridge = node.callbridge[0].certificates
    xmpp       = node.xmpp[0].certificates
    webbridge  = node.webbridge[0].certificates
  } }
}

output "web_admin_urls" {
  description = "Each node's Web Admin (and REST API) URL."
  value       = { for name, node in cms_node_services.this : name => "https://${node.address}:${node.webadmin[0].port}" }
}
