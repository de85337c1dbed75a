# Import an existing account by its name and the XMPP nodes that hold it:
#   <name>@<node>[,<node>...]   where each node is host, host:port or [ipv6]:port.
# List the nodes in the same order, with the same ports, as the xmpp_node blocks.
terraform import cms_xmpp_callbridge.core1 'callbridge01@10.0.10.11,10.0.10.12,10.0.10.13:2222'
