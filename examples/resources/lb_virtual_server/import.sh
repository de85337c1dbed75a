# Import by the backend's own ID:
#   HAProxy: the frontend/backend name          terraform import lb_virtual_server.web 'web'
#   F5:      the virtual server's name          terraform import lb_virtual_server.sip 'sip'
#   IPVS:    <name>@<vip>:<port>;protocol=<tcp|udp|both>, IPVS keeping no names (members are
#            named <address>:<port> until the configuration names them).
terraform import lb_virtual_server.sip 'sip@64.173.55.164:5060;protocol=udp'
