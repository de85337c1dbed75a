# Import an existing Call Bridge cluster by every node's unique name and Web Admin address:
# <unique name>=<host:port>,... (the port is required). The addresses and SIP domains of the
# entries are read from the first node's Clustered Call Bridges.
terraform import cms_callbridge_cluster.this 'callbridge01=cms01.example.com:445,callbridge02=cms02.example.com:445,callbridge03=10.0.10.13:445'
