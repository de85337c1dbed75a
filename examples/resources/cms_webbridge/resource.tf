# The seed's Web Bridge object (its POST with the url, then guest access and secure entry),
# created through one node's API: Web Bridge objects live in the clustered database.
resource "cms_webbridge" "join" {
  api_address   = "cms01.example.com:445"
  url           = "https://join.example.com"
  guest_access  = true
  id_entry_mode = "secure"
}
