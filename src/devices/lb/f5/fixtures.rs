//! Replies of real boxes, copied from where they were published; each says where it came from
//! and what was changed.

/// The F5 SDK's user guide (F5Networks/f5-common-python `docs/userguide/endpoints/
/// subcollection.rst`): "The JSON returned for a pool with one member", read with
/// `expandSubcollections=true` (BIG-IP 11.6.0). Changed: the trailing commas the page has after
/// the last property of `fqdn`, of the member and of `membersReference` are removed (the page's
/// JSON does not parse as printed), and the missing comma after `fqdn` is added.
pub const SDK_POOL_P1: &str = r#"{
    "kind": "tm:ltm:pool:poolstate",
    "name": "p1",
    "partition": "Common",
    "fullPath": "/Common/p1",
    "generation": 18703,
    "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~p1?expandSubcollections=true&ver=11.6.0",
    "allowNat": "yes",
    "allowSnat": "yes",
    "ignorePersistedWeight": "disabled",
    "ipTosToClient": "pass-through",
    "ipTosToServer": "pass-through",
    "linkQosToClient": "pass-through",
    "linkQosToServer": "pass-through",
    "loadBalancingMode": "round-robin",
    "minActiveMembers": 0,
    "minUpMembers": 0,
    "minUpMembersAction": "failover",
    "minUpMembersChecking": "disabled",
    "queueDepthLimit": 0,
    "queueOnConnectionLimit": "disabled",
    "queueTimeLimit": 0,
    "reselectTries": 0,
    "serviceDownAction": "none",
    "slowRampTime": 10,
    "membersReference": {
        "link": "https://localhost/mgmt/tm/ltm/pool/~Common~p1/members?ver=11.6.0",
        "isSubcollection": true,
        "items": [
              {
                "kind": "tm:ltm:pool:members:membersstate",
                "name": "n1:80",
                "partition": "Common",
                "fullPath": "/Common/n1:80",
                "generation": 18703,
                "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~p1/members/~Common~n1:80?ver=11.6.0",
                "address": "192.168.51.51",
                "connectionLimit": 0,
                "dynamicRatio": 1,
                "ephemeral": "false",
                "fqdn": {
                  "autopopulate": "disabled"
                },
                "inheritProfile": "enabled",
                "logging": "disabled",
                "monitor": "default",
                "priorityGroup": 0,
                "rateLimit": "disabled",
                "ratio": 1,
                "session": "user-enabled",
                "state": "unchecked"
              }
        ]
    }
}"#;

/// scottdware/go-bigip `ltm_test.go` `TestVirtuals`: the first virtual of its
/// `GET /mgmt/tm/ltm/virtual` reply (BIG-IP 12.1.3.7), read without `expandSubcollections`, so
/// `profilesReference` is only a link. Unchanged but for leaving out the second virtual.
pub const GO_BIGIP_VIRTUALS: &str = r#"{
  "kind": "tm:ltm:virtual:virtualcollectionstate",
  "selfLink": "https://localhost/mgmt/tm/ltm/virtual?ver=12.1.3.7",
  "items": [
    {
      "kind": "tm:ltm:virtual:virtualstate",
      "name": "test-virtual",
      "partition": "Common",
      "fullPath": "/Common/test-virtual",
      "generation": 1,
      "selfLink": "https://localhost/mgmt/tm/ltm/virtual/~Common~test-virtual?ver=12.1.3.7",
      "addressStatus": "yes",
      "autoLasthop": "enabled",
      "cmpEnabled": "yes",
      "connectionLimit": 0,
      "destination": "/Common/10.1.1.1:8080",
      "enabled": true,
      "gtmScore": 0,
      "ipProtocol": "tcp",
      "mask": "255.255.255.255",
      "mirror": "disabled",
      "mobileAppTunnel": "disabled",
      "nat64": "disabled",
      "pool": "/Common/test-pool",
      "poolReference": {
        "link": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool?ver=12.1.3.7"
      },
      "rateLimit": "disabled",
      "rateLimitDstMask": 0,
      "rateLimitMode": "object",
      "rateLimitSrcMask": 0,
      "securityNatPolicy": {
        "useDevicePolicy": "no",
        "useRouteDomainPolicy": "no"
      },
      "serviceDownImmediateAction": "none",
      "source": "0.0.0.0/0",
      "sourceAddressTranslation": {
        "pool": "/Common/test-snat-pool",
        "poolReference": {
          "link": "https://localhost/mgmt/tm/ltm/snatpool/~Common~test-snat-pool?ver=12.1.3.7"
        },
        "type": "snat"
      },
      "sourcePort": "preserve",
      "synCookieStatus": "not-activated",
      "translateAddress": "enabled",
      "translatePort": "enabled",
      "vlansDisabled": true,
      "vsIndex": 1442,
      "rules": [
        "/Common/test-irule1",
        "/Common/test-irule2"
      ],
      "rulesReference": [
        {
          "link": "https://localhost/mgmt/tm/ltm/rule/~Common~test-irule1?ver=12.1.3.7"
        },
        {
          "link": "https://localhost/mgmt/tm/ltm/rule/~Common~test-irule2?ver=12.1.3.7"
        }
      ],
      "persist": [
        {
          "name": "source_addr",
          "partition": "Common",
          "tmDefault": "yes",
          "nameReference": {
            "link": "https://localhost/mgmt/tm/ltm/persistence/source-addr/~Common~source_addr?ver=12.1.3.7"
          }
        }
      ],
      "policiesReference": {
        "link": "https://localhost/mgmt/tm/ltm/virtual/~Common~test-virtual/policies?ver=12.1.3.7",
        "isSubcollection": true
      },
      "profilesReference": {
        "link": "https://localhost/mgmt/tm/ltm/virtual/~Common~test-virtual/profiles?ver=12.1.3.7",
        "isSubcollection": true
      }
    }
  ]
}"#;

/// scottdware/go-bigip `ltm_test.go` `TestPoolMembers`: the members of `test-pool`
/// (`GET .../pool/~Common~test-pool/members`, BIG-IP 11.5.3): members named by their node
/// (`test-pool-member-1:80`) with the address apart, monitored (`monitor-enabled`) and down.
/// Unchanged.
pub const GO_BIGIP_MEMBERS: &str = r#"{
    "kind": "tm:ltm:pool:members:memberscollectionstate",
    "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool/members?ver=11.5.3",
    "items": [
        {
            "kind": "tm:ltm:pool:members:membersstate",
            "name": "test-pool-member-1:80",
            "partition": "Common",
            "fullPath": "/Common/test-pool-member-1:80",
            "generation": 5124,
            "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool/members/~Common~test-pool-member-1:80?ver=11.5.3",
            "address": "10.156.153.10",
            "connectionLimit": 0,
            "dynamicRatio": 1,
            "inheritProfile": "enabled",
            "logging": "disabled",
            "monitor": "default",
            "priorityGroup": 0,
            "rateLimit": "disabled",
            "ratio": 1,
            "session": "monitor-enabled",
            "state": "down"
        },
        {
            "kind": "tm:ltm:pool:members:membersstate",
            "name": "test-pool-member-2:80",
            "partition": "Common",
            "fullPath": "/Common/test-pool-member-2:80",
            "generation": 3882,
            "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool/members/~Common~test-pool-member-2:80?ver=11.5.3",
            "address": "10.10.20.30",
            "connectionLimit": 0,
            "dynamicRatio": 1,
            "inheritProfile": "disabled",
            "logging": "disabled",
            "monitor": "default",
            "priorityGroup": 0,
            "rateLimit": "disabled",
            "ratio": 1,
            "session": "monitor-enabled",
            "state": "down"
        },
        {
            "kind": "tm:ltm:pool:members:membersstate",
            "name": "test-pool-member-3:80",
            "partition": "Common",
            "fullPath": "/Common/test-pool-member-3:80",
            "generation": 3862,
            "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool/members/~Common~test-pool-member-3:80?ver=11.5.3",
            "address": "10.10.20.40",
            "connectionLimit": 0,
            "dynamicRatio": 1,
            "inheritProfile": "enabled",
            "logging": "disabled",
            "monitor": "/Common/http ",
            "priorityGroup": 0,
            "rateLimit": "disabled",
            "ratio": 1,
            "session": "monitor-enabled",
            "state": "down"
        }
    ]
}"#;

/// scottdware/go-bigip `ltm_test.go` `TestGetPool`: `test-pool` itself (BIG-IP 11.5.3), its
/// monitor `"/Common/http "` with the trailing space the box writes. Unchanged.
pub const GO_BIGIP_POOL: &str = r#"{
    "kind": "tm:ltm:pool:poolstate",
    "name": "test-pool",
    "partition": "Common",
    "fullPath": "/Common/test-pool",
    "generation": 3882,
    "selfLink": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool?ver=11.5.3",
    "allowNat": "yes",
    "allowSnat": "yes",
    "ignorePersistedWeight": "disabled",
    "ipTosToClient": "pass-through",
    "ipTosToServer": "pass-through",
    "linkQosToClient": "pass-through",
    "linkQosToServer": "pass-through",
    "loadBalancingMode": "round-robin",
    "minActiveMembers": 0,
    "minUpMembers": 0,
    "minUpMembersAction": "failover",
    "minUpMembersChecking": "disabled",
    "monitor": "/Common/http ",
    "queueDepthLimit": 0,
    "queueOnConnectionLimit": "disabled",
    "queueTimeLimit": 0,
    "reselectTries": 0,
    "slowRampTime": 10,
    "membersReference": {
        "link": "https://localhost/mgmt/tm/ltm/pool/~Common~test-pool/members?ver=11.5.3",
        "isSubcollection": true
    }
}"#;

/// CiscoTestAutomation/genieparser `test_get_ltm_virtual_address.py`: the first virtual address
/// of its `GET /mgmt/tm/ltm/virtual-address` capture (BIG-IP 14.1.2.1). Changed: the trailing
/// comma after `"unit": 1` (a Python literal) is removed.
pub const GENIE_VIRTUAL_ADDRESS: &str = r#"{
    "kind": "tm:ltm:virtual-address:virtual-addressstate",
    "name": "1.1.1.2",
    "partition": "Common",
    "fullPath": "/Common/1.1.1.2",
    "generation": 1342,
    "selfLink": "https://localhost/mgmt/tm/ltm/virtual-address/~Common~1.1.1.2?ver=14.1.2.1",
    "address": "1.1.1.2",
    "arp": "enabled",
    "autoDelete": "true",
    "connectionLimit": 0,
    "enabled": "yes",
    "floating": "enabled",
    "icmpEcho": "enabled",
    "inheritedTrafficGroup": "false",
    "mask": "255.255.255.255",
    "routeAdvertisement": "disabled",
    "serverScope": "any",
    "spanning": "disabled",
    "trafficGroup": "/Common/traffic-group-1",
    "trafficGroupReference": {
        "link": "https://localhost/mgmt/tm/cm/traffic-group/~Common~traffic-group-1?ver=14.1.2.1"
    },
    "unit": 1
}"#;

/// F5Networks/terraform-provider-bigip `bigip/resource_bigip_ltm_profile_fastl4_unit_test.go`:
/// the GET reply its test server gives for `test-fastl4`, with the seconds as strings
/// (`"idleTimeout":"300"`) as go-bigip's `Fastl4` declares them. Changed: `partition` added
/// (the test reply has only `name`; BIG-IP lists both).
pub const TF_FASTL4: &str = r#"{"name":"test-fastl4","partition":"Common","defaultsFrom":"/Common/fastL4","clientTimeout":30,"explicitFlowMigration":"enabled","ipTosToClient":"pass-through","ipTosToServer":"pass-through","hardwareSynCookie":"disabled","idleTimeout":"300","keepAliveInterval":"disabled","tcpHandshakeTimeout":"5","looseInitialization":"disabled","looseClose":"disabled","lateBinding":"enabled","receiveWindowSize":0}"#;

/// mcpd's answer to a duplicate create, as the brief for this codec quotes it (the wording
/// F5Networks/f5-appsvcs-templates#128 shows for a Node, cited in the simulator's messages.rs).
pub const ERROR_409: &str = r#"{"code":409,"message":"01020066:3: The requested Pool (/Common/x) already exists in partition Common.","errorStack":[],"apiError":3}"#;

/// mcpd's 404 (devices.md §4; the same 01020036 body F5's AS3 test quotes for an iRule).
pub const ERROR_404: &str = r#"{"code":404,"message":"01020036:3: The requested Virtual Server (/Common/x) was not found.","errorStack":[],"apiError":3}"#;

/// restjavad's 401 for an expired token (f5devcentral/f5-cli#8).
pub const ERROR_401: &str = r#"{"code":401,"message":"X-F5-Auth-Token has expired.","referer":"10.100.0.10","restOperationId":6229426,"kind":":resterrorresponse"}"#;

/// A login reply in the layout go-bigip's `authResp` reads (`token.token`) and the simulator's
/// auth.rs cites from an F5 tutorial's capture (`username`, `loginProviderName`, `token` with
/// `token`, `name`, `userName`, `timeout` 1200). The token value is made up.
pub const LOGIN_REPLY: &str = r#"{"username":"admin","loginReference":{"link":"https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"},"loginProviderName":"tmos","token":{"token":"VUTSQXYNOZ7ESKBPDPEV4CPMVA","name":"VUTSQXYNOZ7ESKBPDPEV4CPMVA","userName":"admin","authProviderName":"tmos","user":{"link":"https://localhost/mgmt/shared/authz/users/admin"},"timeout":1200,"startTime":"2021-12-14T22:22:11.851+0000","address":"10.1.1.4","partition":"[All]","generation":1,"lastUpdateMicros":1639520531851000,"expirationMicros":1639521731851000,"kind":"shared:authz:tokens:authtokenitemstate","selfLink":"https://localhost/mgmt/shared/authz/tokens/VUTSQXYNOZ7ESKBPDPEV4CPMVA"},"generation":0,"lastUpdateMicros":0}"#;
