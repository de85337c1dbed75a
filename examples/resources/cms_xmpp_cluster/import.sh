# Import a running XMPP cluster by every node, in the order of the node blocks:
#   <name>=<address>[:<ssh port>],...   (the name is the node block's `name`)
terraform import cms_xmpp_cluster.xmpp 'cms1=10.0.10.11,cms2=10.0.10.12,cms3=10.0.10.13:2222'
