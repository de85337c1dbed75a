# Import by the peer's address and every node of the local cluster, the publisher first, each
# by its node name and HTTPS endpoint: <peer_address>@<publisher>=<host>[:<port>],<node>=...
# Optionally ;peer_endpoint=<host>:<port> (default <peer_address>:8443) and ;peer_store=axl_sql
# (default verify). The AXL username, password and protocol are read from the peer's row.
terraform import imp_intercluster_peer.imp1_to_imp2 'imp2-pub.example.com@imp1-pub.example.com=10.0.0.11:8443,imp1-sub1.example.com=10.0.0.12:8443;peer_endpoint=10.0.1.11:8443'
