# Demo site: three Meeting Server nodes (simulated by `uccluster-lab` in `make demo`) forming one
# database cluster, each running the XMPP server with one account per Call Bridge.
terraform {
  required_providers {
    cms = {
      source  = "uccluster/cms"
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

provider "cms" {
  username         = var.cms_username
  password         = var.cms_password
  known_hosts_file = var.cms_known_hosts_file
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
