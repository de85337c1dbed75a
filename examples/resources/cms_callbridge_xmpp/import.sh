# Import a Call Bridge's XMPP connection by its node's Web Admin address (host:port).
# The API never shows the shared secret: after the import the state has none, so the first
# plan shows an update of `shared_secret` and the apply sets it (the configured one wins).
terraform import 'cms_callbridge_xmpp.this["callbridge01"]' 'cms01.example.com:445'
