terraform {
  required_providers {
    imp = {
      source  = "uccluster/imp"
      version = "~> 0.1"
    }
  }
}

provider "imp" {}
