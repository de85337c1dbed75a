terraform {
  required_providers {
    cms = {
      source  = "uccluster/cms"
      version = "~> 0.1"
    }
  }
}

variable "cms_password" {
  description = "MMP password of the admin user on every Meeting Server node."
  type        = string
  sensitive   = true
}

# Every node's SSH host key must be in known_hosts (or pinned per node with
# host_key_fingerprint in the resource); the password can also come from CMS_PASSWORD.
provider "cms" {
  username         = "admin"
  password         = var.cms_password
  known_hosts_file = "~/.ssh/known_hosts"
}
