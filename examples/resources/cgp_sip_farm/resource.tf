terraform {
  required_providers {
    cgp = {
      source  = "uccluster/cgp"
      version = "~> 0.1"
    }
  }
}

variable "cgp_password" {
  type      = string
  sensitive = true
}

# Every member's CLI with the same Server Administrator account (APOP when the server offers
# a challenge, so the password never crosses the network).
provider "cgp" {
  username = "postmaster"
  password = var.cgp_password
}

# The seed's cluster (communigate-cluster-sip-farm-lb): four frontends fe5..fe8 behind the
# balancer's VIP 64.173.55.164, all SIP farm members, and two backends that send SIP through
# them (relays). The single-IP media method: the VIP is the Cluster-wide WAN IP Address (G0)
# and no member has a Server-wide one (at most 64000 media ports for the whole cluster: the
# plan warns with the numbers). Call legs only on the frontends (the default), signals anywhere
# (the default).
resource "cgp_sip_farm" "cluster" {
  name                = "sip"
  media_method        = "single_vip"
  cluster_wan_address = "64.173.55.164"

  member {
    name     = "fe5"
    address  = "64.173.55.180"
    role     = "frontend"
    sip_farm = "member"
  }
  member {
    name     = "fe6"
    address  = "64.173.55.181"
    role     = "frontend"
    sip_farm = "member"
  }
  member {
    name     = "fe7"
    address  = "64.173.55.182"
    role     = "frontend"
    sip_farm = "member"
  }
  member {
    name     = "fe8"
    address  = "64.173.55.183"
    role     = "frontend"
    sip_farm = "member"
  }
  member {
    name     = "be1"
    address  = "10.0.1.11"
    role     = "backend"
    sip_farm = "relay"
  }
  member {
    name     = "be2"
    address  = "10.0.1.12"
    role     = "backend"
    sip_farm = "relay"
  }
}
