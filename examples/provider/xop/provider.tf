terraform {
  required_providers {
    xop = {
      source  = "uccluster/xop"
      version = "~> 0.1"
    }
  }
}

variable "mysql_admin_password" {
  type      = string
  sensitive = true
}

# XOP appliances are administered as root over SSH; keys, not passwords. The MySQL admin
# account is given once here (or XOP_MYSQL_ADMIN_USER / XOP_MYSQL_ADMIN_PASSWORD).
provider "xop" {
  username             = "root"
  private_key          = file("~/.ssh/id_ed25519")
  known_hosts_file     = "~/.ssh/known_hosts"
  mysql_admin_user     = "root"
  mysql_admin_password = var.mysql_admin_password
}
