# Demo site: three Meeting Server nodes (simulated by `uccluster-lab` in `make demo`) forming one
# database cluster, each running the XMPP server with one account per Call Bridge; and three XOP
# Networks appliances (real MariaDB and sshd in the lab) forming one HA cluster, a primary and two
# secondaries replicating from it.
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

module "xmpp_accounts" {
  source = "../../modules/cms_xmpp_accounts"

  call_bridges = ["callbridge01", "callbridge02", "callbridge03"]
  xmpp_nodes   = [for node in var.cms_nodes : { address = node.address, port = node.port }]
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
