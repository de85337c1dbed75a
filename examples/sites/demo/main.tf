# Demo site: three Meeting Server nodes (simulated by `uccluster-lab` in `make demo`) forming one
# database cluster, each running the Web Admin, Call Bridge, XMPP server and Web Bridge, the XMPP
# servers clustered, with one account per Call Bridge and an appadmin user for the REST API; and
# three XOP Networks appliances (real MariaDB and sshd in the lab) forming one HA cluster, a primary and two
# secondaries replicating from it; and the load-balanced fronts: a TCP VIP on a real HAProxy and
# the SIP farm's VIP on an F5 BIG-IP (simulated, iControl REST); and the CommuniGate Pro cluster
# behind that VIP (four simulated members, their CLI over TLS): the frontends in the SIP farm,
# the backends relaying through them; and two Cisco IM and Presence clusters (simulated, two
# nodes each) peered both ways.
terraform {
  required_providers {
    cms = {
      source  = "uccluster/cms"
      version = "0.1.0"
    }
    xop = {
      source  = "uccluster/xop"
      version = "0.1.0"
    }
    lb = {
      source  = "uccluster/lb"
      version = "0.1.0"
    }
    cgp = {
      source  = "uccluster/cgp"
      version = "0.1.0"
    }
    imp = {
      source  = "uccluster/imp"
      version = "0.1.0"
    }
  }
}

variable "cms_username" {
  type    = string
  default = "admin"
}

variable "cms_password" {
  type      = string
  sensitive = true
}

variable "cms_known_hosts_file" {
  description = "known_hosts file listing every node's SSH host key."
  type        = string
}

variable "cms_nodes" {
  type = list(object({
    name    = string
    address = string
    port    = number
  }))
}

variable "cms_api_password" {
  description = "Password of the REST API user (appadmin) on every Meeting Server node."
  type        = string
  sensitive   = true
}

variable "pki_dir" {
  description = "Directory with the database cluster's keys and certificates."
  type        = string
}

# The XOP appliances' SSH login and the MySQL admin account they share (lab.auto.tfvars.json).
variable "xop_ssh_user" {
  type = string
}

variable "xop_ssh_private_key_file" {
  type = string
}

variable "xop_known_hosts_file" {
  description = "known_hosts file listing the appliances' SSH host keys."
  type        = string
}

variable "xop_mysql_admin_user" {
  type = string
}

variable "xop_mysql_admin_password" {
  type      = string
  sensitive = true
}

# Where each appliance is and how it is laid out; the lab's paths differ from a real box's.
variable "xop_servers" {
  type = list(object({
    name                  = string
    server_id             = number
    ssh_host              = string
    ssh_port              = number
    mysql_host            = string
    mysql_port            = number
    my_cnf_path           = string
    restart_command       = string
    dump_command          = string
    client_command        = string
    iptables_command      = string
    firewall_save_command = string
    sysconf_command       = string
  }))
}

variable "xop_replication_password" {
  type      = string
  sensitive = true
}

provider "cms" {
  username         = var.cms_username
  password         = var.cms_password
  known_hosts_file = var.cms_known_hosts_file
  # The REST API (Web Admin): the appadmin user below, the Web Admin certificates' CA.
  api_username = "api"
  api_password = var.cms_api_password
  api_ca_file  = "${var.pki_dir}/ca.crt"
}

provider "xop" {
  username             = var.xop_ssh_user
  private_key          = file(var.xop_ssh_private_key_file)
  known_hosts_file     = var.xop_known_hosts_file
  mysql_admin_user     = var.xop_mysql_admin_user
  mysql_admin_password = var.xop_mysql_admin_password
}

module "database" {
  source = "../../modules/cms_database_cluster"

  nodes   = var.cms_nodes
  pki_dir = var.pki_dir
}

module "services" {
  source = "../../modules/cms_node_services"

  nodes       = var.cms_nodes
  pki_dir     = var.pki_dir
  xmpp_domain = "conf.example.com"
}

module "xmpp_cluster" {
  source = "../../modules/cms_xmpp_cluster"

  nodes        = var.cms_nodes
  trust_bundle = file("${var.pki_dir}/cluster-trust.crt")

  # The XMPP servers run before they cluster (TAC 213479).
  depends_on = [module.services]
}

# The MMP user with the appadmin role the REST API needs, on every node (MMP users are local).
resource "cms_mmp_user" "api" {
  for_each = { for node in var.cms_nodes : node.name => node }

  name     = "api"
  role     = "appadmin"
  password = var.cms_api_password
  address  = each.value.address
  ssh_port = each.value.port
}

module "xmpp_accounts" {
  source = "../../modules/cms_xmpp_accounts"

  call_bridges = ["callbridge01", "callbridge02", "callbridge03"]
  xmpp_nodes   = [for node in var.cms_nodes : { address = node.address, port = node.port }]
}

# Through the REST API: the Call Bridge cluster, each Call Bridge logged in to XMPP with its
# account, and the Web Bridge object.
module "callbridges" {
  source = "../../modules/cms_callbridges"

  nodes = [for i, node in var.cms_nodes : {
    unique_name = format("callbridge%02d", i + 1)
    address     = node.address
  }]
  xmpp_domain   = module.xmpp_accounts.domain
  xmpp_secrets  = module.xmpp_accounts.secrets
  webbridge_url = "https://join.example.com"

  # The API needs the Web Admin running, its user, and the XMPP cluster up.
  depends_on = [module.services, cms_mmp_user.api, module.xmpp_cluster]
}

output "callbridge_peers" {
  value = module.callbridges.peers
}

output "callbridge_xmpp" {
  value = module.callbridges.xmpp_connections
}

output "cms_certificates" {
  value = module.services.certificates
}

output "xmpp_cluster" {
  value = {
    leader = module.xmpp_cluster.leader
    peers  = module.xmpp_cluster.peers
  }
}

output "database_master" {
  value = module.database.current_master
}

output "xmpp_domain" {
  value = module.xmpp_accounts.domain
}

module "xop_ha" {
  source = "../../modules/xop_replication_cluster"

  primary = var.xop_servers[0].name
  # In the lab every appliance's MySQL is on loopback, so that is its cluster address too.
  members = [for s in var.xop_servers : {
    name            = s.name
    server_id       = s.server_id
    address         = s.ssh_host
    cluster_address = s.mysql_host
  }]
  host_overrides = {
    for s in var.xop_servers : s.name => {
      ssh_port              = s.ssh_port
      mysql_address         = s.mysql_host
      mysql_port            = s.mysql_port
      my_cnf_path           = s.my_cnf_path
      restart_command       = s.restart_command
      dump_command          = s.dump_command
      client_command        = s.client_command
      iptables_command      = s.iptables_command
      firewall_save_command = s.firewall_save_command
      sysconf_command       = s.sysconf_command
    }
  }
  replication_password = var.xop_replication_password
}

output "xop_primary" {
  value = module.xop_ha.primary
}

output "xop_replication" {
  value = module.xop_ha.replication
}

# The balancers (lab.auto.tfvars.json): a real HAProxy with three TCP member servers, and a
# BIG-IP reached over HTTPS with the lab CA as its trust policy.
variable "haproxy_balancers" {
  type = list(object({
    name            = string
    config_path     = string
    runtime_address = string
    master_socket   = string
    members = list(object({
      name    = string
      address = string
      port    = number
    }))
  }))
}

variable "f5_devices" {
  type = list(object({
    name     = string
    host     = string
    port     = number
    username = string
    password = string
    ca_file  = string
  }))
  sensitive = true
}

variable "web_vip" {
  description = "Address and TCP port of the HAProxy VIP."
  type = object({
    address = string
    port    = number
  })
}

provider "lb" {
  alias = "haproxy"
  haproxy {
    config_path     = var.haproxy_balancers[0].config_path
    runtime_address = var.haproxy_balancers[0].runtime_address
    master_socket   = var.haproxy_balancers[0].master_socket
  }
}

provider "lb" {
  alias = "bigip"
  f5 {
    address  = var.f5_devices[0].host
    port     = var.f5_devices[0].port
    username = var.f5_devices[0].username
    password = var.f5_devices[0].password
    ca_file  = var.f5_devices[0].ca_file
  }
}

# A TCP service behind HAProxy, round robin over the balancer's member servers, each checked
# by a TCP connect.
resource "lb_virtual_server" "web" {
  provider = lb.haproxy

  name     = "web"
  address  = var.web_vip.address
  port     = var.web_vip.port
  protocol = "tcp"

  dynamic "member" {
    for_each = var.haproxy_balancers[0].members
    content {
      name    = member.value.name
      address = member.value.address
      port    = member.value.port
    }
  }
}

# The seed's SIP farm VIP (communigate-cluster-sip-farm-lb) on the BIG-IP: SIP on UDP and TCP
# 5060, round robin without persistence (UDP session binding would defeat the farm's own
# distribution), the destination not translated (each frontend holds the VIP on its loopback),
# members checked by SMTP and ICMP, never by a SIP probe a farm member could relay.
resource "lb_virtual_server" "sip" {
  provider = lb.bigip

  name       = "sip"
  address    = "64.173.55.164"
  port       = 5060
  protocol   = "both"
  forwarding = "no_translation"
  monitors   = ["smtp", "icmp"]

  dynamic "member" {
    for_each = { fe5 = "64.173.55.180", fe6 = "64.173.55.181", fe7 = "64.173.55.182", fe8 = "64.173.55.183" }
    content {
      name    = member.key
      address = member.value
    }
  }
}

output "web_members" {
  value = { for m in lb_virtual_server.web.member : m.name => m.health }
}

output "sip_members" {
  value = { for m in lb_virtual_server.sip.member : m.name => m.health }
}

# The CommuniGate Pro cluster (lab.auto.tfvars.json): every member's CLI, in the clear (`port`)
# and over TLS (`tls_port`, the certificate issued by the lab CA in `ca_file`), with the same
# Server Administrator account.
variable "cgp_username" {
  type    = string
  default = "postmaster"
}

variable "cgp_password" {
  type      = string
  sensitive = true
}

variable "cgp_members" {
  type = list(object({
    name        = string
    role        = string
    host        = string
    port        = number
    tls_port    = number
    ca_file     = string
    cert_sha256 = string
    username    = string
    password    = string
  }))
  sensitive = true
}

# The CLI over TLS from the first byte, each member's certificate checked by the lab CA.
provider "cgp" {
  username = var.cgp_username
  password = var.cgp_password
  tls      = true
  ca_file  = nonsensitive(var.cgp_members[0].ca_file)
}

# The seed's cluster (communigate-cluster-sip-farm-lb) on the lab's four members: the frontends
# in the SIP farm, the backends sending SIP through them (relays). The single-IP media method:
# the BIG-IP's SIP VIP above is the Cluster-wide WAN IP Address (G0), so the farm follows the
# balancer that fronts it. Call legs only on the frontends, signals anywhere (the defaults).
resource "cgp_sip_farm" "cluster" {
  name                = "sip"
  media_method        = "single_vip"
  cluster_wan_address = lb_virtual_server.sip.address

  dynamic "member" {
    for_each = nonsensitive([for m in var.cgp_members : { name = m.name, role = m.role, host = m.host, tls_port = m.tls_port }])
    content {
      name     = member.value.name
      address  = member.value.host
      port     = member.value.tls_port
      role     = member.value.role
      sip_farm = member.value.role == "frontend" ? "member" : "relay"
    }
  }
}

# What each member reports after the apply: its SIPFarmMode and LegHostMode.
output "cgp_farm_modes" {
  value = { for m in cgp_sip_farm.cluster.member : m.name => { sip_farm_mode = m.sip_farm_mode, leg_host_mode = m.leg_host_mode } }
}

output "cgp_sip_vip" {
  value = "${cgp_sip_farm.cluster.cluster_wan_address_reported} (${lb_virtual_server.sip.name} on the BIG-IP, port ${lb_virtual_server.sip.port})"
}

# The lab's two IM&P clusters (lab.auto.tfvars.json): per cluster its publisher's node name, every
# node's name and HTTPS endpoint (the publisher first), the administrator the provider logs in
# as, the intercluster application user the other cluster's peer uses, and the lab CA.
variable "imp_clusters" {
  type = map(object({
    publisher = string
    nodes = list(object({
      name     = string
      endpoint = string
    }))
    admin_username        = string
    admin_password        = string
    intercluster_username = string
    intercluster_password = string
    ca_file               = string
  }))
  sensitive = true
}

locals {
  # The non-secret part of each cluster, in the module's shape.
  imp = { for name, c in nonsensitive(var.imp_clusters) : name => {
    publisher             = { name = c.nodes[0].name, address = c.nodes[0].endpoint }
    nodes                 = [for n in slice(c.nodes, 1, length(c.nodes)) : { name = n.name, address = n.endpoint }]
    intercluster_username = c.intercluster_username
  } }
}

# One provider block per cluster: each logs in to its own cluster's nodes.
provider "imp" {
  alias    = "imp1"
  username = nonsensitive(var.imp_clusters["imp1"].admin_username)
  password = var.imp_clusters["imp1"].admin_password
  ca_file  = nonsensitive(var.imp_clusters["imp1"].ca_file)
}

provider "imp" {
  alias    = "imp2"
  username = nonsensitive(var.imp_clusters["imp2"].admin_username)
  password = var.imp_clusters["imp2"].admin_password
  ca_file  = nonsensitive(var.imp_clusters["imp2"].ca_file)
}

# Both directions of the pair in one call. The lab has no admin GUI, so the peers are written
# through AXL (peer_store = "axl_sql", not supported by Cisco: see the imp provider's docs); a
# real site keeps the default "verify" and adds each peer in the GUI when the apply asks.
module "imp_pair" {
  source    = "../../modules/imp_cluster_pair"
  providers = { imp.a = imp.imp1, imp.b = imp.imp2 }

  a                       = local.imp["imp1"]
  b                       = local.imp["imp2"]
  a_intercluster_password = var.imp_clusters["imp1"].intercluster_password
  b_intercluster_password = var.imp_clusters["imp2"].intercluster_password
  peer_store              = "axl_sql"
}

output "imp_peers" {
  value = { for k, v in module.imp_pair.status : k => merge(v.status, { associated_users = v.associated_users }) }
}
