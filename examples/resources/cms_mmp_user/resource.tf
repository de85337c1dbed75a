# The MMP user with the appadmin role that the CMS REST API needs (seed: "create a user with
# appadmin role"), on each node of the cluster: MMP users are local to a node.
variable "api_password" {
  description = "Password of the REST API user (typed at the `user add` prompts)."
  type        = string
  sensitive   = true
}

variable "cms_nodes" {
  description = "Address of each node's MMP."
  type        = list(string)
  default     = ["10.0.10.11", "10.0.10.12", "10.0.10.13"]
}

resource "cms_mmp_user" "api" {
  for_each = toset(var.cms_nodes)

  name     = "api"
  role     = "appadmin" # the default
  password = var.api_password
  address  = each.value
}

# One node reached with its own MMP login and a pinned host key.
variable "cms04_admin_password" {
  description = "Password of the `ops` MMP user that logs in to cms04."
  type        = string
  sensitive   = true
}

resource "cms_mmp_user" "api_cms04" {
  name                 = "api"
  password             = var.api_password
  address              = "10.0.10.14"
  ssh_port             = 2222
  mmp_username         = "ops"
  mmp_password         = var.cms04_admin_password
  host_key_fingerprint = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
}
