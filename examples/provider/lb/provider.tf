terraform {
  required_providers {
    lb = {
      source  = "uccluster/lb"
      version = "~> 0.1"
    }
  }
}

variable "director_private_key" {
  type      = string
  sensitive = true
}

# One provider block per balancer, named by its backend block; an empty block serves only the
# lb_config data source.
provider "lb" {
  ipvs {
    ssh {
      address              = "10.0.0.2"
      username             = "root"
      private_key          = var.director_private_key
      host_key_fingerprint = "SHA256:Xpvu1yyLj5ib5p3B2i3Uq8u9Vq1m9e3oYwWxbZ0yQ2c"
    }
  }
}
