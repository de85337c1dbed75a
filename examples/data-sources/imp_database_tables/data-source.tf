terraform {
  required_providers {
    imp = {
      source  = "uccluster/imp"
      version = "~> 0.1"
    }
  }
}

variable "imp1_password" {
  type      = string
  sensitive = true
}

provider "imp" {
  username = "uccluster"
  password = var.imp1_password
  ca_file  = "/etc/uccluster/imp-tomcat-ca.pem"
  # Where this site's database names the peer table otherwise (found with the data source
  # below), e.g.:
  # sql_overrides = ["peer_table=interclusterpeer"]
}

# imp1's publisher: the tables whose names contain "intercluster", and whether the one the
# provider reads peers under is among them. Read-only: one executeSQLQuery on systables.
data "imp_database_tables" "intercluster" {
  address = "10.0.0.11"
  pattern = "%intercluster%"
}

output "intercluster_tables" {
  value = data.imp_database_tables.intercluster.tables
}

output "peer_table" {
  value = "${data.imp_database_tables.intercluster.peer_table} found: ${data.imp_database_tables.intercluster.peer_table_found}"
}
