terraform {
  required_providers {
    lb = {
      source  = "uccluster/lb"
      version = "~> 0.1"
    }
  }
}

variable "bigip_password" {
  type      = string
  sensitive = true
}

# The balancer: an F5 BIG-IP, through iControl REST; its certificate checked against the CA
# that issued it.
provider "lb" {
  f5 {
    address  = "64.173.55.176"
    username = "admin"
    password = var.bigip_password
    ca_file  = "bigip-ca.pem"
  }
}

# The seed's F5 example (communigate-cluster-sip-farm-lb): virtual server External on the VIP,
# any port, TCP and UDP, the destination address not translated (each frontend fe5..fe8 holds
# the VIP on its loopback), round robin, no persistence (UDP "session binding" would defeat the
# SIP farm's own distribution), pool Frontends checked by an SMTP monitor and gateway ICMP (no
# SIP-level probe: a farm member may relay it to another), and the CGS_fastL4 profile.
resource "lb_virtual_server" "external" {
  name       = "External"
  address    = "64.173.55.164"
  protocol   = "both"
  forwarding = "no_translation"
  monitors   = ["smtp", "icmp"]

  f5 {
    pool                  = "Frontends"
    profile               = "CGS_fastL4"
    smtp_monitor          = "MySMTP"
    idle_timeout          = 60
    tcp_handshake_timeout = 15
    tcp_close_timeout     = 60
    loose_initiation      = false
    loose_close           = true
    software_syncookie    = false
  }

  member {
    name    = "fe5"
    address = "64.173.55.180"
  }
  member {
    name    = "fe6"
    address = "64.173.55.181"
  }
  member {
    name    = "fe7"
    address = "64.173.55.182"
  }
  member {
    name    = "fe8"
    address = "64.173.55.183"
  }
}
