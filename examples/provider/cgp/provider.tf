terraform {
  required_providers {
    cgp = {
      source  = "uccluster/cgp"
      version = "~> 0.1"
    }
  }
}

provider "cgp" {}
