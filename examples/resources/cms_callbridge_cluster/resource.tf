# The seed's Call Bridge cluster of three nodes: each Call Bridge's unique name (Call Bridge
# identity) and, on every node, the three clustered Call Bridges with their Web Admin URLs.
# The provider block's api_username / api_password are the appadmin user (cms_mmp_user).
resource "cms_callbridge_cluster" "this" {
  node {
    unique_name = "callbridge01"
    address     = "cms01.example.com:445"
  }
  node {
    unique_name = "callbridge02"
    address     = "cms02.example.com:445"
  }
  node {
    unique_name = "callbridge03"
    address     = "cms03.example.com:445"
    # The provider reaches this node on another address than its peers do.
    api_address = "10.0.10.13:445"
    # Load balancing: at most 500 units here, no new conference above 80 %.
    load_limit                             = 500
    new_conference_load_limit_basis_points = 8000
  }
}
