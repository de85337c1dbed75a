terraform {
  required_providers {
    xop = {
      source  = "uccluster/xop"
      version = "~> 0.1"
    }
  }
}

# XOP appliances are administered as root over SSH; keys, not passwords.
provider "xop" {
  username         = "root"
  private_key      = file("~/.ssh/id_ed25519")
  known_hosts_file = "~/.ssh/known_hosts"
}
