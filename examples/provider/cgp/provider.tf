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

# The CLI account every member of the Dynamic Cluster accepts (or CGP_USERNAME / CGP_PASSWORD).
provider "cgp" {
  username = "postmaster"
  password = var.cgp_password
}
