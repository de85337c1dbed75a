terraform {
  required_providers {
    lb = {
      source  = "uccluster/lb"
      version = "~> 0.1"
    }
  }
}

variable "director_password" {
  type      = string
  sensitive = true
}

# The balancer: a Linux IPVS director, driven with ipvsadm over SSH.
provider "lb" {
  ipvs {
    address  = "64.173.55.170"
    username = "root"
    password = var.director_password
  }
}

# The seed's SIP farm VIP (communigate-cluster-sip-farm-lb): SIP over UDP 5060 to the
# frontends fe5..fe8, direct routing (each frontend holds the VIP on its loopback, answers go
# straight to the client), round robin, and no persistence: "session binding" would defeat
# the SIP farm's own distribution. IPVS schedules every datagram on its own (-o) by default
# on this port, and has no monitors of its own.
resource "lb_virtual_server" "sip" {
  name       = "sip"
  address    = "64.173.55.164"
  port       = 5060
  protocol   = "udp"
  forwarding = "direct_routing"
  monitors   = []

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
