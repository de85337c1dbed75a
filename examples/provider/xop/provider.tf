terraform {
  required_providers {
    xop = {
      source  = "uccluster/xop"
      version = "~> 0.1"
    }
  }
}

provider "xop" {}
