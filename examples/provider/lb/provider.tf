terraform {
  required_providers {
    lb = {
      source  = "uccluster/lb"
      version = "~> 0.1"
    }
  }
}

provider "lb" {}
