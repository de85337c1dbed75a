# Import the services of a node by its MMP address: host, host:port or [ipv6]:port (the port
# as ssh_port). Every configured service becomes a block, its key and certificates downloaded.
terraform import cms_node_services.cms01 '10.0.10.11'
