# Import a member by <name>@<ssh address>[:<ssh port>]; add ;<setting>=<value> for each
# connection setting that differs from the appliance's default (host.my_cnf_path, mysql.port,
# primary_host.address, cluster_address, ...). Credentials come from the provider block.
# Everything else (role, server id, filters, replication account and password, firewall peers)
# is read from the server; a primary's replication password cannot be read back (MySQL keeps a
# hash), so the next plan sets it when the configuration has one.
# A member set up by hand (the seed's procedure, no managed section) is not imported: create the
# resource with adopt_existing = true instead.
terraform import xop_replication_member.primary 'xop-a@10.0.40.11'
terraform import xop_replication_member.secondary 'xop-b@10.0.40.12;primary_host.address=10.0.40.11;cluster_address=10.0.40.12'
