terraform {
  required_providers {
    imp = {
      source  = "uccluster/imp"
      version = "~> 0.1"
    }
  }
}

variable "imp1_password" {
  description = "Password of the application user the provider logs in as on every node of cluster imp1."
  type        = string
  sensitive   = true
}

variable "imp2_password" {
  description = "The same for cluster imp2."
  type        = string
  sensitive   = true
}

# One provider block per IM&P cluster, an alias each when there are two (a peering has one
# resource on each side). The account is an application user with AXL and Serviceability
# access on every node of that cluster (or IMP_USERNAME / IMP_PASSWORD). The block also reaches
# the remote publisher its peers check, so ca_file holds the CAs of both clusters' Tomcat
# certificates.
provider "imp" {
  alias    = "imp1"
  username = "uccluster"
  password = var.imp1_password
  ca_file  = "/etc/uccluster/imp-tomcat-ca.pem"
}

provider "imp" {
  alias    = "imp2"
  username = "uccluster"
  password = var.imp2_password
  ca_file  = "/etc/uccluster/imp-tomcat-ca.pem"
}
