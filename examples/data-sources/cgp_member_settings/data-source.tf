terraform {
  required_providers {
    cgp = {
      source  = "uccluster/cgp"
      version = "~> 0.1"
    }
  }
}

variable "cgp_password" {
  type      = string
  sensitive = true
}

provider "cgp" {
  password = var.cgp_password
  # A name the key table only guesses, as this site's server spells it (from `keys` below).
  key_overrides = ["server_wan_address=WANIPAddress"]
}

# The seed's frontend fe5: its Cluster page and network dictionaries, and which of the key
# table's names its server uses.
data "cgp_member_settings" "fe5" {
  address = "64.173.55.180"
}

output "fe5_keys" {
  value = data.cgp_member_settings.fe5.keys
}

output "fe5_cluster_settings" {
  value = data.cgp_member_settings.fe5.cluster_settings
}
