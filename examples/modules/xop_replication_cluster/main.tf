# One XOP Networks HA cluster (seed: XOP "MySQL replication" best practice): a primary and its
# secondaries, each an xop_replication_member. The secondaries replicate from the primary, whose
# firewall lets in exactly their cluster addresses. SSH and MySQL admin credentials come from the
# caller's xop provider block.
terraform {
  required_providers {
    xop = {
      source = "uccluster/xop"
    }
  }
}

variable "members" {
  description = <<-EOT
    Servers of the cluster. name: the member's name (also its replica report-host);
    server_id: its MySQL server-id, 1..N and unique (it is also its auto_increment_offset);
    address: its SSH address (and MySQL's, unless host_overrides says otherwise);
    cluster_address: its IPv4 address on the cluster network, which the secondaries use to
    reach the primary (MASTER_HOST; the provider reaches the primary's MySQL there too, for
    the secondaries' steps) and the primary's firewall lets in; "" means address.
  EOT
  type = list(object({
    name            = string
    server_id       = number
    address         = string
    cluster_address = string
  }))

  validation {
    condition     = length(distinct([for m in var.members : m.name])) == length(var.members)
    error_message = "Member names must be unique: two members have the same name."
  }
  validation {
    condition     = length(distinct([for m in var.members : m.server_id])) == length(var.members)
    error_message = "Server ids must be unique in the cluster: two members have the same server_id."
  }
  # auto_increment_offset = server_id must not exceed auto_increment_increment = cluster size, or
  # rows inserted on different members could get the same id.
  validation {
    condition = alltrue([
      for m in var.members : m.server_id >= 1 && m.server_id <= length(var.members) && floor(m.server_id) == m.server_id
    ])
    error_message = "Each server_id must be a whole number from 1 to the number of members (it is the member's auto_increment_offset, at most the cluster size)."
  }
  # sysconf (the network-change steps) and the firewall rules take IPv4 addresses.
  validation {
    condition = alltrue([
      for m in var.members : can(regex("^[0-9]+(\\.[0-9]+){3}$", coalesce(m.cluster_address, m.address))) && can(cidrhost("${coalesce(m.cluster_address, m.address)}/32", 0))
    ])
    error_message = "Each member's cluster_address (or its address when cluster_address is empty) must be an IPv4 address."
  }
}

variable "primary" {
  description = "Name of the member that is the primary (MySQL master); the others are its secondaries."
  type        = string
}

variable "replication_password" {
  description = "Password of the replication account (repl) that the secondaries use on the primary."
  type        = string
  sensitive   = true
}

# The appliance's defaults (/etc/my.cnf, `service mysqld restart`, SSH and MySQL on the host's
# address, ports 22 and 3306, ...) apply to every setting neither map gives.
variable "host_defaults" {
  description = <<-EOT
    Settings shared by every member where the site's appliances differ from XOP's defaults:
    ssh_port, mysql_address, mysql_port, my_cnf_path, restart_command, dump_command,
    client_command, iptables_command, firewall_save_command, sysconf_command.
  EOT
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([for k in keys(var.host_defaults) : contains([
      "ssh_port", "mysql_address", "mysql_port", "my_cnf_path", "restart_command", "dump_command",
      "client_command", "iptables_command", "firewall_save_command", "sysconf_command",
    ], k)])
    error_message = "Unknown setting in host_defaults: use ssh_port, mysql_address, mysql_port, my_cnf_path, restart_command, dump_command, client_command, iptables_command, firewall_save_command or sysconf_command."
  }
  validation {
    condition     = alltrue([for k, v in var.host_defaults : can(tonumber(v)) if k == "ssh_port" || k == "mysql_port"])
    error_message = "The ssh_port and mysql_port settings in host_defaults must be numbers."
  }
}

variable "host_overrides" {
  description = "Per member name: settings (the keys of host_defaults) that differ for that member; they win over host_defaults."
  type        = map(map(string))
  default     = {}

  validation {
    condition = alltrue(flatten([for member, settings in var.host_overrides : [for k in keys(settings) : contains([
      "ssh_port", "mysql_address", "mysql_port", "my_cnf_path", "restart_command", "dump_command",
      "client_command", "iptables_command", "firewall_save_command", "sysconf_command",
    ], k)]]))
    error_message = "Unknown setting in host_overrides: use ssh_port, mysql_address, mysql_port, my_cnf_path, restart_command, dump_command, client_command, iptables_command, firewall_save_command or sysconf_command."
  }
  validation {
    condition = alltrue(flatten([for member, settings in var.host_overrides : [
      for k, v in settings : can(tonumber(v)) if k == "ssh_port" || k == "mysql_port"
    ]]))
    error_message = "The ssh_port and mysql_port settings in host_overrides must be numbers."
  }
}

variable "manage_firewall" {
  description = "Keep the primary's iptables rules letting the secondaries reach MySQL (false: the site's firewall is managed elsewhere)."
  type        = bool
  default     = true
}

variable "replication_enabled" {
  description = "Per secondary name: false stops its replication (the seed's step before an upgrade); true or absent runs it."
  type        = map(bool)
  default     = {}
}

variable "replication_tls_ca_path" {
  description = "Encrypt the replication streams: path, on the secondaries, of the CA file that verifies the primary's certificate (the primary needs TLS set up). null: the seed's plain connection."
  type        = string
  default     = null
}

variable "gtid" {
  description = "How the secondaries follow the primary: auto (MariaDB GTID when both sides have it), on, or off (binlog file and position, as the seed does)."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "on", "off"], var.gtid)
    error_message = "The gtid setting must be auto, on or off."
  }
}

variable "resync_trigger" {
  description = "Per secondary name: any change of the value runs the seed's resync of that secondary from the primary."
  type        = map(string)
  default     = {}
}

# Terraform 1.0 validations see only their own variable; the checks that relate variables to one
# another run in this child module, and everything below reads the inputs back from its output,
# so no member is planned (and no device contacted) unless they pass.
module "checks" {
  source = "./checks"

  cluster = {
    primary             = var.primary
    members             = var.members
    host_defaults       = var.host_defaults
    host_overrides      = var.host_overrides
    replication_enabled = var.replication_enabled
    resync_trigger      = var.resync_trigger
  }
}

locals {
  cluster = module.checks.cluster
  members = {
    for m in local.cluster.members : m.name => {
      name            = m.name
      server_id       = m.server_id
      address         = m.address
      cluster_address = coalesce(m.cluster_address, m.address)
      host            = merge(local.cluster.host_defaults, lookup(local.cluster.host_overrides, m.name, {}))
    }
  }
  primary     = local.members[local.cluster.primary]
  secondaries = { for name, m in local.members : name => m if name != local.cluster.primary }
}

resource "xop_replication_member" "primary" {
  name         = local.primary.name
  role         = "primary"
  server_id    = local.primary.server_id
  cluster_size = length(local.members) # auto_increment_increment

  # The account exists on the primary from the start, as in the seed.
  replication_password = var.replication_password
  # MySQL open to the secondaries only (seed 1.1), saved with host.firewall_save_command.
  firewall_allow = var.manage_firewall ? sort(distinct([for s in local.secondaries : s.cluster_address])) : null

  # null: the appliance's default.
  host {
    address               = local.primary.address
    port                  = lookup(local.primary.host, "ssh_port", null)
    my_cnf_path           = lookup(local.primary.host, "my_cnf_path", null)
    restart_command       = lookup(local.primary.host, "restart_command", null)
    dump_command          = lookup(local.primary.host, "dump_command", null)
    client_command        = lookup(local.primary.host, "client_command", null)
    iptables_command      = lookup(local.primary.host, "iptables_command", null)
    firewall_save_command = lookup(local.primary.host, "firewall_save_command", null)
    sysconf_command       = lookup(local.primary.host, "sysconf_command", null)
  }
  mysql {
    address = lookup(local.primary.host, "mysql_address", null)
    port    = lookup(local.primary.host, "mysql_port", null)
  }
}

resource "xop_replication_member" "secondary" {
  for_each = local.secondaries

  name                 = each.key
  role                 = "secondary"
  server_id            = each.value.server_id
  cluster_size         = length(local.members)
  replication_password = var.replication_password
  replication_enabled  = lookup(local.cluster.replication_enabled, each.key, null)
  resync_trigger       = lookup(local.cluster.resync_trigger, each.key, null)
  gtid                 = var.gtid
  # Verified TLS for the stream this secondary reads from the primary.
  replication_tls_ca_path = var.replication_tls_ca_path
  # A changed cluster_address runs the seed's network steps on the primary (over primary_host).
  cluster_address = each.value.cluster_address

  host {
    address               = each.value.address
    port                  = lookup(each.value.host, "ssh_port", null)
    my_cnf_path           = lookup(each.value.host, "my_cnf_path", null)
    restart_command       = lookup(each.value.host, "restart_command", null)
    dump_command          = lookup(each.value.host, "dump_command", null)
    client_command        = lookup(each.value.host, "client_command", null)
    iptables_command      = lookup(each.value.host, "iptables_command", null)
    firewall_save_command = lookup(each.value.host, "firewall_save_command", null)
    sysconf_command       = lookup(each.value.host, "sysconf_command", null)
  }
  mysql {
    address = lookup(each.value.host, "mysql_address", null)
    port    = lookup(each.value.host, "mysql_port", null)
  }
  # The primary's MySQL as the secondary reaches it: its cluster address (MASTER_HOST).
  primary {
    address = local.primary.cluster_address
    port    = lookup(local.primary.host, "mysql_port", null)
  }
  # The primary's shell, for `sysconf member` when this secondary's cluster_address changes.
  primary_host {
    address         = local.primary.address
    port            = lookup(local.primary.host, "ssh_port", null)
    sysconf_command = lookup(local.primary.host, "sysconf_command", null)
  }

  # CHANGE MASTER needs the primary's binary log: the primary is configured first (and, on
  # destroy, removed last).
  depends_on = [xop_replication_member.primary]
}

output "primary" {
  description = "Name of the primary."
  value       = xop_replication_member.primary.name
}

output "replication" {
  description = "Per secondary: its replica threads (Yes/No/Connecting), Seconds_Behind_Master and last replication error (\"\" when none), as read from the server."
  value = {
    for name, s in xop_replication_member.secondary : name => {
      io_running     = s.io_running
      sql_running    = s.sql_running
      seconds_behind = s.seconds_behind
      last_error     = s.last_error != null ? s.last_error : ""
    }
  }
}
