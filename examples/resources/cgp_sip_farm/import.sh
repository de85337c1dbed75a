# Import by the farm's name and every member by its name and CLI endpoint, in the
# configuration's order: <name>@<member>=<host>[:<port>],... The roles are read from each
# member's LegHostMode ("Locally for Others" or "Locally": a frontend) unless
# ;frontends=<member>,<member> lists them; the rest comes from the members' dictionaries.
terraform import cgp_sip_farm.cluster 'sip@fe5=64.173.55.180:106,fe6=64.173.55.181:106,fe7=64.173.55.182:106,fe8=64.173.55.183:106,be1=10.0.1.11:106,be2=10.0.1.12:106'
