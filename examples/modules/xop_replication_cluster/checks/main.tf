# Plan-time checks that relate the xop_replication_cluster module's inputs to one another. A
# Terraform 1.0 validation sees only its own variable, so the module passes its inputs here as one
# object and reads them back from the output: nothing is planned unless these hold.
variable "cluster" {
  type = object({
    primary = string
    members = list(object({
      name            = string
      server_id       = number
      address         = string
      cluster_address = string
    }))
    host_defaults       = map(string)
    host_overrides      = map(map(string))
    replication_enabled = map(bool)
    resync_trigger      = map(string)
  })

  validation {
    condition     = contains([for m in var.cluster.members : m.name], var.cluster.primary)
    error_message = "The primary must be the name of one of the members."
  }
  validation {
    condition     = alltrue([for name in keys(var.cluster.host_overrides) : contains([for m in var.cluster.members : m.name], name)])
    error_message = "Every key of host_overrides must be the name of a member."
  }
  validation {
    condition = alltrue([
      for name in concat(keys(var.cluster.replication_enabled), keys(var.cluster.resync_trigger)) :
      contains([for m in var.cluster.members : m.name], name) && name != var.cluster.primary
    ])
    error_message = "The keys of replication_enabled and resync_trigger must be names of secondaries (the primary replicates from no one)."
  }
}

output "cluster" {
  description = "The inputs, once checked."
  value       = var.cluster
}
