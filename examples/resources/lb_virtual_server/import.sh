# Import by the backend's own ID:
#   F5:   the virtual server's name, in the provider block's partition
#   IPVS: <name>@<vip>:<port>;protocol=<tcp|udp|both>. IPVS keeps no names: members are named
#         <address>:<port> until the configuration names them.
terraform import lb_virtual_server.external 'External'
terraform import lb_virtual_server.sip 'sip@64.173.55.164:5060;protocol=udp'
