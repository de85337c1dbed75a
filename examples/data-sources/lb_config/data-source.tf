# The seed's SIP-farm site (CommuniGate Pro frontends fe5..fe8 behind VIP 64.173.55.164): POP3
# and IMAP4 through NAT, SIP, SMTP and HTTP User (8100) with direct server return, as the
# configuration of a Foundry ServerIron, for review in a pull request and pasting by an operator.
# (The seed binds SIP and SMTP to the frontends in reverse order; `reverse` keeps its order.)
locals {
  vip = "64.173.55.164"
  frontends = [
    { name = "fe5", address = "64.173.55.180" },
    { name = "fe6", address = "64.173.55.181" },
    { name = "fe7", address = "64.173.55.182" },
    { name = "fe8", address = "64.173.55.183" },
  ]
  services = [
    { name = "pop3", port = 110, protocol = "tcp", forwarding = "nat", reverse = false },
    { name = "imap4", port = 143, protocol = "tcp", forwarding = "nat", reverse = false },
    { name = "sip", port = 5060, protocol = "udp", forwarding = "direct_routing", reverse = true },
    { name = "smtp", port = 25, protocol = "tcp", forwarding = "direct_routing", reverse = true },
    { name = "http_user", port = 8100, protocol = "tcp", forwarding = "direct_routing", reverse = false },
  ]
}

data "lb_config" "sip_farm" {
  vendor = "serveriron"

  dynamic "virtual_server" {
    for_each = local.services
    content {
      name       = virtual_server.value.name
      address    = local.vip
      port       = virtual_server.value.port
      protocol   = virtual_server.value.protocol
      forwarding = virtual_server.value.forwarding

      dynamic "member" {
        for_each = virtual_server.value.reverse ? reverse(local.frontends) : local.frontends
        content {
          name    = member.value.name
          address = member.value.address
        }
      }
    }
  }
}

output "serveriron_config" {
  value = data.lb_config.sip_farm.text
}
