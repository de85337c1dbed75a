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

# A director whose IPVS table keepalived owns: uccluster keeps its virtual servers in a file
# keepalived.conf includes (`include /etc/keepalived/conf.d/*.conf`), checks it with
# `keepalived -t` and reloads keepalived.
provider "lb" {
  alias = "keepalived"
  ipvs {
    ssh {
      address              = "10.0.0.3"
      username             = "root"
      private_key          = var.director_private_key
      host_key_fingerprint = "SHA256:8bE0n7s8N2X3m4V5c6B7n8M9a0S1d2F3g4H5j6K7l8Q"
    }
    keepalived {
      config_path    = "/etc/keepalived/conf.d/uccluster.conf"
      reload_command = ["systemctl", "reload", "keepalived"]
    }
  }
}
