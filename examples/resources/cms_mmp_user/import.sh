# Import an existing MMP user by its name and its node: <name>@<node>, the node as host,
# host:port or [ipv6]:port (the port as ssh_port).
# The MMP never shows a password: after the import the state has none, so the first plan shows
# an update of `password` and the apply sets it with `user password` (the configured one wins).
terraform import 'cms_mmp_user.api["10.0.10.11"]' 'api@10.0.10.11'
terraform import cms_mmp_user.api_cms04 'api@10.0.10.14:2222'
