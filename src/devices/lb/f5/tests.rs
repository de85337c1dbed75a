use super::fixtures::*;
use super::objects::{
    load_balancing_mode, members, F5Object, MONITOR_SMTP, POOL, PROFILE_FASTL4, PROFILE_UDP,
    VIRTUAL, VIRTUAL_ADDRESS,
};
use super::read::Unreadable;
use super::*;
use crate::devices::lb::virtual_server::{
    F5Options, Forwarding, Health, Member, MemberReport, Method, Monitor, Persistence, Protocol,
    Reported, VirtualServer,
};
use crate::transport::https::{HeaderMap, HttpsReply, Method as HttpMethod, TokenLogin};
use serde_json::{json, Map, Value};
use std::net::IpAddr;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn member(name: &str, address: &str, port: Option<u16>, weight: u32, enabled: bool) -> Member {
    Member {
        name: name.into(),
        address: ip(address),
        port,
        weight,
        enabled,
    }
}

/// The seed's F5 example: `virtual External` on 64.173.55.164 any port, not translating
/// addresses, pool `Frontends` of fe5..fe8 (64.173.55.180..183, any port) checked by `MySMTP`
/// and `gateway_icmp`, profile `CGS_fastL4` with the seed's settings.
fn seed() -> VirtualServer {
    VirtualServer {
        name: "External".into(),
        address: ip("64.173.55.164"),
        port: None,
        protocol: Protocol::Both,
        method: Method::RoundRobin,
        forwarding: Forwarding::NoTranslation,
        persistence: Persistence::None,
        monitors: vec![Monitor::Smtp, Monitor::Icmp],
        members: (0..4)
            .map(|i| {
                member(
                    &format!("fe{}", 5 + i),
                    &format!("64.173.55.{}", 180 + i),
                    None,
                    1,
                    true,
                )
            })
            .collect(),
        f5: F5Options {
            pool: Some("Frontends".into()),
            profile: Some("CGS_fastL4".into()),
            smtp_monitor: Some("MySMTP".into()),
            idle_timeout: Some(60),
            tcp_handshake_timeout: Some(15),
            tcp_close_timeout: Some(60),
            loose_initiation: Some(false),
            loose_close: Some(true),
            software_syncookie: Some(false),
            floating: false,
        },
    }
}

/// A virtual server with every F5 option at its default.
fn plain(name: &str, address: &str, port: Option<u16>, protocol: Protocol) -> VirtualServer {
    VirtualServer {
        name: name.into(),
        address: ip(address),
        port,
        protocol,
        method: Method::RoundRobin,
        forwarding: Forwarding::Nat,
        persistence: Persistence::None,
        monitors: vec![],
        members: vec![
            member("a", "10.0.0.1", None, 1, true),
            member("b", "10.0.0.2", None, 1, true),
        ],
        f5: F5Options::default(),
    }
}

fn by_collection<'a>(objects: &'a [F5Object], collection: &str) -> &'a F5Object {
    objects
        .iter()
        .find(|o| o.collection == collection)
        .unwrap_or_else(|| panic!("no {collection} in {objects:#?}"))
}

// ---- what create sends ----

#[test]
fn the_seeds_objects_are_what_an_admin_creates_by_hand() {
    let objects = objects(&seed(), COMMON);
    let order: Vec<(&str, &str)> = objects
        .iter()
        .map(|o| (o.collection, o.name.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            (MONITOR_SMTP, "MySMTP"),
            (PROFILE_FASTL4, "CGS_fastL4"),
            (POOL, "Frontends"),
            (VIRTUAL_ADDRESS, "64.173.55.164"),
            (VIRTUAL, "External"),
        ]
    );
    let member = |i: u32| {
        json!({
            "name": format!("64.173.55.{}:0", 180 + i),
            "partition": "Common",
            "address": format!("64.173.55.{}", 180 + i),
            "ratio": 1,
            "session": "user-enabled",
            "description": format!("fe{}", 5 + i),
        })
    };
    let expected = [
        json!({
            "name": "MySMTP", "partition": "Common", "defaultsFrom": "/Common/smtp",
            "destination": "*:smtp", "debug": "no"
        }),
        json!({
            "name": "CGS_fastL4", "partition": "Common", "defaultsFrom": "/Common/fastL4",
            "idleTimeout": "60", "tcpHandshakeTimeout": "15", "tcpCloseTimeout": "60",
            "looseInitialization": "disabled", "looseClose": "enabled",
            "softwareSynCookie": "disabled"
        }),
        json!({
            "name": "Frontends", "partition": "Common", "loadBalancingMode": "round-robin",
            "monitor": "/Common/MySMTP and /Common/gateway_icmp",
            "members": [member(0), member(1), member(2), member(3)]
        }),
        json!({
            "name": "64.173.55.164", "partition": "Common", "address": "64.173.55.164",
            "mask": "255.255.255.255", "arp": "enabled", "floating": "disabled",
            "trafficGroup": "/Common/traffic-group-local-only"
        }),
        json!({
            "name": "External", "partition": "Common",
            "destination": "/Common/64.173.55.164:0", "mask": "255.255.255.255",
            "ipProtocol": "any", "pool": "/Common/Frontends",
            "profiles": [{"name": "/Common/CGS_fastL4", "context": "all"}],
            "translateAddress": "disabled", "translatePort": "disabled",
            "sourceAddressTranslation": {"type": "none"}
        }),
    ];
    for (object, expected) in objects.iter().zip(expected) {
        assert_eq!(object.body, expected, "{}", object.name);
    }
    let create = objects[2].create_request();
    assert_eq!(
        (create.method, create.path.as_str()),
        (HttpMethod::POST, "/mgmt/tm/ltm/pool")
    );
    assert_eq!(
        create.headers,
        [("Content-Type", "application/json".to_string())]
    );
    let sent: Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(sent, objects[2].body);
}

#[test]
fn default_names_follow_the_legacy_text() {
    // f5_tmsh: pool `<name>_pool`, no custom profile without fastL4 settings (the built-in
    // /Common/fastL4), `<name>_smtp`, gateway_icmp for icmp, tcp for tcp.
    let mut vs = plain("sip", "192.0.2.10", Some(5060), Protocol::Tcp);
    vs.monitors = vec![Monitor::Icmp, Monitor::Tcp, Monitor::Smtp];
    let objects = objects(&vs, COMMON);
    let names: Vec<&str> = objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["sip_smtp", "sip_pool", "192.0.2.10", "sip"]);
    let pool = by_collection(&objects, POOL);
    assert_eq!(
        pool.body["monitor"],
        "/Common/gateway_icmp and /Common/tcp and /Common/sip_smtp"
    );
    assert_eq!(pool.body["members"][0]["name"], "10.0.0.1:5060");
    let virtual_ = by_collection(&objects, VIRTUAL);
    assert_eq!(virtual_.body["destination"], "/Common/192.0.2.10:5060");
    assert_eq!(virtual_.body["ipProtocol"], "tcp");
    assert_eq!(virtual_.body["translateAddress"], "enabled");
    assert_eq!(virtual_.body["translatePort"], "enabled");
    assert_eq!(
        virtual_.body["profiles"],
        json!([{"name": "/Common/fastL4", "context": "all"}])
    );
    assert!(virtual_.body.get("persist").is_none());

    vs.f5.idle_timeout = Some(120);
    let objects = super::objects(&vs, "Tenant");
    let profile = by_collection(&objects, PROFILE_FASTL4);
    assert_eq!(profile.name, "sip_fastL4");
    assert_eq!(
        profile.body,
        json!({"name": "sip_fastL4", "partition": "Tenant",
               "defaultsFrom": "/Common/fastL4", "idleTimeout": "120"})
    );
    assert_eq!(
        by_collection(&objects, VIRTUAL).body["profiles"][0]["name"],
        "/Tenant/sip_fastL4"
    );
    assert_eq!(
        by_collection(&objects, POOL).body["monitor"],
        "/Common/gateway_icmp and /Common/tcp and /Tenant/sip_smtp"
    );
}

#[test]
fn udp_gets_a_datagram_load_balancing_profile() {
    let mut vs = plain("sip_udp", "192.0.2.10", Some(5060), Protocol::Udp);
    // fastL4 settings do not apply to UDP (as in the legacy text).
    vs.f5.idle_timeout = Some(60);
    let objects = objects(&vs, COMMON);
    assert!(objects.iter().all(|o| o.collection != PROFILE_FASTL4));
    let profile = by_collection(&objects, PROFILE_UDP);
    assert_eq!(
        profile.body,
        json!({"name": "sip_udp_udp", "partition": "Common", "defaultsFrom": "/Common/udp",
               "datagramLoadBalancing": "enabled"})
    );
    let virtual_ = by_collection(&objects, VIRTUAL);
    assert_eq!(virtual_.body["ipProtocol"], "udp");
    assert_eq!(
        virtual_.body["profiles"],
        json!([{"name": "/Common/sip_udp_udp", "context": "all"}])
    );
}

#[test]
fn methods_weights_persistence_and_floating() {
    let mut vs = plain("web", "192.0.2.20", Some(80), Protocol::Tcp);
    assert_eq!(load_balancing_mode(&vs), "round-robin");
    vs.members[1].weight = 3;
    assert_eq!(load_balancing_mode(&vs), "ratio-member");
    vs.method = Method::LeastConnections;
    assert_eq!(load_balancing_mode(&vs), "ratio-least-connections-member");
    vs.members[1].weight = 1;
    assert_eq!(load_balancing_mode(&vs), "least-connections-member");

    vs.persistence = Persistence::SourceAddress;
    vs.f5.floating = true;
    let objects = objects(&vs, COMMON);
    assert_eq!(
        by_collection(&objects, VIRTUAL).body["persist"],
        json!([{"name": "/Common/source_addr", "tmDefault": "yes"}])
    );
    let va = by_collection(&objects, VIRTUAL_ADDRESS);
    assert_eq!(va.body["floating"], "enabled");
    assert_eq!(va.body["trafficGroup"], "/Common/traffic-group-1");
}

#[test]
fn a_disabled_member_stays_in_the_pool_user_disabled() {
    // Unlike the legacy text, which leaves it out: on F5 a disabled member keeps its place and
    // finishes its connections.
    let mut vs = seed();
    vs.members[1].enabled = false;
    let list = members(&vs, COMMON);
    assert_eq!(list.as_array().unwrap().len(), 4);
    assert_eq!(list[1]["name"], "64.173.55.181:0");
    assert_eq!(list[1]["session"], "user-disabled");
    assert_eq!(list[0]["session"], "user-enabled");
}

#[test]
fn ipv6_addresses_take_their_port_after_a_dot() {
    let mut vs = plain("v6", "2001:db8::10", Some(5060), Protocol::Tcp);
    vs.members = vec![member("m", "2001:db8::1", Some(5080), 1, true)];
    let objects = objects(&vs, COMMON);
    let virtual_ = by_collection(&objects, VIRTUAL);
    assert_eq!(virtual_.body["destination"], "/Common/2001:db8::10.5060");
    assert_eq!(
        virtual_.body["mask"],
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    );
    assert_eq!(
        by_collection(&objects, POOL).body["members"][0]["name"],
        "2001:db8::1.5080"
    );
}

// ---- paths ----

#[test]
fn paths_name_objects_with_tildes() {
    assert_eq!(
        object_path("ltm/pool", "Common", "sip_pool"),
        "/mgmt/tm/ltm/pool/~Common~sip_pool"
    );
    assert_eq!(
        members_path("Common", "sip_pool"),
        "/mgmt/tm/ltm/pool/~Common~sip_pool/members"
    );
    assert_eq!(
        member_path("Common", "sip_pool", "10.0.0.1:5060"),
        "/mgmt/tm/ltm/pool/~Common~sip_pool/members/~Common~10.0.0.1:5060"
    );
    assert_eq!(
        object_path("ltm/virtual-address", "Common", "2001:db8::10"),
        "/mgmt/tm/ltm/virtual-address/~Common~2001:db8::10"
    );
    // Nothing in a name can leave its segment.
    assert_eq!(
        object_path("ltm/pool", "Common", "a/b?c d%"),
        "/mgmt/tm/ltm/pool/~Common~a%2Fb%3Fc%20d%25"
    );
    assert_eq!(
        objects(&seed(), COMMON)[4].path(COMMON),
        "/mgmt/tm/ltm/virtual/~Common~External"
    );
}

// ---- update and delete ----

#[test]
fn an_update_patches_what_the_configuration_says() {
    let vs = plain("web", "192.0.2.20", Some(80), Protocol::Tcp);
    let objects = objects(&vs, COMMON);
    let pool = by_collection(&objects, POOL);
    let patch = patch_body(pool);
    assert!(patch.get("name").is_none() && patch.get("partition").is_none());
    assert_eq!(patch["monitor"], "", "no monitors clears the rule");
    assert_eq!(patch["members"], members(&vs, COMMON));
    let virtual_ = by_collection(&objects, VIRTUAL);
    let patch = patch_body(virtual_);
    assert_eq!(patch["persist"], json!([]), "no persistence clears it");
    assert_eq!(patch["pool"], "/Common/web_pool");
    let request = virtual_.patch_request(COMMON);
    assert_eq!(request.method, HttpMethod::PATCH);
    assert_eq!(request.path, "/mgmt/tm/ltm/virtual/~Common~web");
    assert_eq!(
        serde_json::from_slice::<Value>(&request.body).unwrap(),
        patch
    );
}

#[test]
fn a_delete_removes_in_reverse_order_and_keeps_what_others_use() {
    let alone = simulated(&[seed()], COMMON);
    let site = parse_site(&alone, COMMON).unwrap();
    assert_eq!(
        delete_paths(&seed(), COMMON, &site),
        [
            "/mgmt/tm/ltm/virtual/~Common~External",
            "/mgmt/tm/ltm/virtual-address/~Common~64.173.55.164",
            "/mgmt/tm/ltm/pool/~Common~Frontends",
            "/mgmt/tm/ltm/profile/fastl4/~Common~CGS_fastL4",
            "/mgmt/tm/ltm/monitor/smtp/~Common~MySMTP",
        ]
    );
    // The seed's other services on the same VIP share its pool, profile and monitor.
    let mut pop3 = seed();
    pop3.name = "POP3".into();
    pop3.port = Some(110);
    let shared = simulated(&[seed(), pop3], COMMON);
    let site = parse_site(&shared, COMMON).unwrap();
    assert_eq!(
        delete_paths(&seed(), COMMON, &site),
        ["/mgmt/tm/ltm/virtual/~Common~External"]
    );
    // A virtual server without a profile or monitor of its own deletes neither.
    let web = plain("web", "192.0.2.20", Some(80), Protocol::Tcp);
    let site = parse_site(&simulated(std::slice::from_ref(&web), COMMON), COMMON).unwrap();
    assert_eq!(
        delete_paths(&web, COMMON, &site),
        [
            "/mgmt/tm/ltm/virtual/~Common~web",
            "/mgmt/tm/ltm/virtual-address/~Common~192.0.2.20",
            "/mgmt/tm/ltm/pool/~Common~web_pool",
        ]
    );
}

// ---- the shared read ----

#[test]
fn the_shared_read_is_six_gets_whatever_the_site() {
    assert_eq!(
        read_requests(COMMON),
        [
            "/mgmt/tm/ltm/virtual?expandSubcollections=true&$filter=partition+eq+Common",
            "/mgmt/tm/ltm/pool?expandSubcollections=true&$filter=partition+eq+Common",
            "/mgmt/tm/ltm/virtual-address?$filter=partition+eq+Common",
            "/mgmt/tm/ltm/profile/fastl4?$filter=partition+eq+Common",
            "/mgmt/tm/ltm/profile/udp?$filter=partition+eq+Common",
            "/mgmt/tm/ltm/monitor/smtp?$filter=partition+eq+Common",
        ]
    );
    let many: Vec<VirtualServer> = (0..30)
        .map(|i| {
            plain(
                &format!("vs{i}"),
                "192.0.2.30",
                Some(1000 + i),
                Protocol::Tcp,
            )
        })
        .collect();
    let replies = simulated(&many, COMMON);
    assert_eq!(replies.len(), 6);
    let site = parse_site(&replies, COMMON).unwrap();
    assert_eq!(site.virtual_servers.len(), 30);
    assert!(site.exists(VIRTUAL_ADDRESS, "192.0.2.30"));
    assert!(site.exists(PROFILE_FASTL4, "fastL4"));
    assert!(!site.exists(POOL, "nothing"));
}

/// A BIG-IP's answers to the shared read for `servers`, built from their objects as the box
/// lists them: members and profiles inline, `session`/`state` as a box reports them (a
/// monitored member `monitor-enabled`/`up`, an unmonitored one `user-enabled`/`unchecked`, a
/// disabled one `user-disabled`), persistence in the read form of go-bigip's fixture, and the
/// built-ins of `/Common`.
fn simulated(servers: &[VirtualServer], partition: &str) -> Vec<(String, Vec<u8>)> {
    let collections = [
        VIRTUAL,
        POOL,
        VIRTUAL_ADDRESS,
        PROFILE_FASTL4,
        PROFILE_UDP,
        MONITOR_SMTP,
    ];
    let mut lists: Vec<Vec<Value>> = vec![Vec::new(); collections.len()];
    if partition == COMMON {
        lists[3].push(
            json!({"name": "fastL4", "partition": "Common", "idleTimeout": 300,
                             "looseClose": "disabled", "looseInitialization": "disabled"}),
        );
        lists[4].push(json!({"name": "udp", "partition": "Common", "idleTimeout": 60}));
        lists[5].push(json!({"name": "smtp", "partition": "Common", "interval": 5}));
    }
    for vs in servers {
        for object in objects(vs, partition) {
            let at = collections
                .iter()
                .position(|c| *c == object.collection)
                .unwrap();
            if lists[at].iter().any(|i| i["name"] == object.name.as_str()) {
                continue;
            }
            lists[at].push(listed(&object, partition));
        }
    }
    read_requests(partition)
        .into_iter()
        .zip(collections.iter().zip(lists))
        .map(|(path, (collection, items))| {
            let kind = collection.replace('/', ":");
            let last = collection.rsplit('/').next().unwrap();
            let body = json!({
                "kind": format!("tm:{kind}:{last}collectionstate"),
                "selfLink": format!("https://localhost/mgmt/tm/{collection}?ver=16.1.0"),
                "items": items,
            });
            (path, body.to_string().into_bytes())
        })
        .collect()
}

fn listed(object: &F5Object, partition: &str) -> Value {
    let mut m: Map<String, Value> = object.body.as_object().unwrap().clone();
    let full = format!("/{partition}/{}", object.name);
    m.insert("fullPath".into(), json!(full));
    m.insert("generation".into(), json!(1));
    m.insert(
        "selfLink".into(),
        json!(format!(
            "https://localhost{}?ver=16.1.0",
            object.path(partition)
        )),
    );
    match object.collection {
        POOL => {
            let monitored = m.contains_key("monitor");
            let members = m.remove("members").unwrap();
            let items: Vec<Value> = members
                .as_array()
                .unwrap()
                .iter()
                .map(|member| {
                    let mut member = member.as_object().unwrap().clone();
                    member.insert("kind".into(), json!("tm:ltm:pool:members:membersstate"));
                    let session = match (member["session"].as_str(), monitored) {
                        (Some("user-disabled"), _) => "user-disabled",
                        (_, true) => "monitor-enabled",
                        (_, false) => "user-enabled",
                    };
                    member.insert("session".into(), json!(session));
                    member.insert(
                        "state".into(),
                        json!(if monitored { "up" } else { "unchecked" }),
                    );
                    Value::Object(member)
                })
                .collect();
            let mut reference =
                json!({"link": "https://localhost/members", "isSubcollection": true});
            if !items.is_empty() {
                reference["items"] = json!(items);
            }
            m.insert("membersReference".into(), reference);
        }
        VIRTUAL => {
            let profiles = m.remove("profiles").unwrap();
            let items: Vec<Value> = profiles
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let path = p["name"].as_str().unwrap();
                    let (partition, name) = path[1..].split_once('/').unwrap();
                    json!({"kind": "tm:ltm:virtual:profiles:profilesstate", "name": name,
                           "partition": partition, "fullPath": path, "context": p["context"]})
                })
                .collect();
            m.insert(
                "profilesReference".into(),
                json!({"link": "https://localhost/profiles", "isSubcollection": true,
                       "items": items}),
            );
            if m.contains_key("persist") {
                m.insert(
                    "persist".into(),
                    json!([{"name": "source_addr", "partition": "Common", "tmDefault": "yes"}]),
                );
            }
        }
        _ => {}
    }
    m.insert(
        "kind".into(),
        json!(format!("tm:{}state", object.collection.replace('/', ":"))),
    );
    Value::Object(m)
}

fn reported(servers: &[VirtualServer], partition: &str) -> SiteReport {
    parse_site(&simulated(servers, partition), partition).unwrap()
}

#[test]
fn what_is_created_reads_back_as_configured() {
    let mut udp = plain("sip_udp", "192.0.2.10", Some(5060), Protocol::Udp);
    udp.forwarding = Forwarding::NoTranslation;
    udp.monitors = vec![Monitor::Icmp];
    // The two share their virtual address, and so whether it floats.
    udp.f5.floating = true;
    let mut tcp = plain("sip_tcp", "192.0.2.10", Some(5060), Protocol::Tcp);
    tcp.method = Method::LeastConnections;
    tcp.persistence = Persistence::SourceAddress;
    tcp.monitors = vec![Monitor::Tcp, Monitor::Smtp];
    tcp.members[0].weight = 5;
    tcp.members[1].port = Some(5080);
    tcp.f5.idle_timeout = Some(120);
    tcp.f5.loose_close = Some(true);
    tcp.f5.floating = true;
    let mut named = plain("imap", "192.0.2.11", Some(143), Protocol::Tcp);
    named.f5.pool = Some("imap_servers".into());
    named.f5.profile = Some("imap_l4".into());
    named.f5.software_syncookie = Some(true);
    named.f5.smtp_monitor = Some("MailCheck".into());
    named.monitors = vec![Monitor::Smtp];
    let mut v6 = plain("v6", "2001:db8::10", None, Protocol::Both);
    v6.members = vec![member("m6", "2001:db8::1", Some(8080), 2, true)];
    let servers = [seed(), udp, tcp, named, v6];
    for partition in [COMMON, "Tenant"] {
        let site = reported(&servers, partition);
        assert_eq!(site.unreadable, [], "{partition}");
        let vs: Vec<&VirtualServer> = site.virtual_servers.iter().map(|r| &r.vs).collect();
        assert_eq!(vs, servers.iter().collect::<Vec<_>>(), "{partition}");
    }
}

#[test]
fn members_report_health_and_the_boxs_words() {
    let mut vs = seed();
    vs.members[1].enabled = false;
    let site = reported(std::slice::from_ref(&vs), COMMON);
    let r = site.virtual_server("External").unwrap().unwrap();
    assert_eq!(
        r.vs, vs,
        "the disabled member reads back disabled, in its place"
    );
    assert_eq!(
        r.members[..2],
        [
            MemberReport {
                health: Health::Up,
                status: "up, monitor-enabled".into()
            },
            MemberReport {
                health: Health::Up,
                status: "up, user-disabled".into()
            },
        ]
    );
    let unmonitored = plain("web", "192.0.2.20", Some(80), Protocol::Tcp);
    let site = reported(&[unmonitored], COMMON);
    assert_eq!(
        site.virtual_servers[0].members[0],
        MemberReport {
            health: Health::Unchecked,
            status: "unchecked, user-enabled".into()
        }
    );
}

/// A site of published replies: the F5 SDK's pool `p1` (member `n1:80`, unmonitored), the
/// virtual of go-bigip's fixture changed to use it, with its profiles expanded to the built-in
/// fastL4 (the fixture was read without expansion), and genie's virtual address.
fn published_site(virtual_: Value) -> Vec<(String, Vec<u8>)> {
    let pool: Value = serde_json::from_str(SDK_POOL_P1).unwrap();
    let address: Value = serde_json::from_str(GENIE_VIRTUAL_ADDRESS).unwrap();
    let collection = |items: Vec<Value>| json!({"kind": "x:collectionstate", "items": items});
    let bodies = [
        collection(vec![virtual_]),
        collection(vec![pool]),
        collection(vec![address]),
        json!({"kind": "tm:ltm:profile:fastl4:fastl4collectionstate"}),
        json!({"kind": "tm:ltm:profile:udp:udpcollectionstate"}),
        json!({"kind": "tm:ltm:monitor:smtp:smtpcollectionstate"}),
    ];
    read_requests(COMMON)
        .into_iter()
        .zip(bodies)
        .map(|(p, b)| (p, b.to_string().into_bytes()))
        .collect()
}

fn go_bigip_virtual() -> Value {
    let list: Value = serde_json::from_str(GO_BIGIP_VIRTUALS).unwrap();
    list["items"][0].clone()
}

#[test]
fn published_replies_read_as_the_model() {
    let mut v = go_bigip_virtual();
    v["pool"] = json!("/Common/p1");
    v["destination"] = json!("/Common/1.1.1.2:8080");
    v["profilesReference"]["items"] = json!([{"kind": "tm:ltm:virtual:profiles:profilesstate",
        "name": "fastL4", "partition": "Common", "fullPath": "/Common/fastL4", "context": "all"}]);
    let site = parse_site(&published_site(v), COMMON).unwrap();
    assert_eq!(site.unreadable, []);
    assert_eq!(
        site.virtual_servers,
        [Reported {
            vs: VirtualServer {
                name: "test-virtual".into(),
                address: ip("1.1.1.2"),
                port: Some(8080),
                protocol: Protocol::Tcp,
                method: Method::RoundRobin,
                forwarding: Forwarding::Nat,
                persistence: Persistence::SourceAddress,
                monitors: vec![],
                members: vec![member("n1:80", "192.168.51.51", Some(80), 1, true)],
                f5: F5Options {
                    pool: Some("p1".into()),
                    floating: true,
                    ..F5Options::default()
                },
            },
            members: vec![MemberReport {
                health: Health::Unchecked,
                status: "unchecked, user-enabled".into()
            }],
        }]
    );
    assert!(site.exists(POOL, "p1") && site.exists(VIRTUAL_ADDRESS, "1.1.1.2"));
}

#[test]
fn members_named_by_their_node_read_with_their_address() {
    let mut pool: Value = serde_json::from_str(GO_BIGIP_POOL).unwrap();
    let members: Value = serde_json::from_str(GO_BIGIP_MEMBERS).unwrap();
    pool["membersReference"]["items"] = members["items"].clone();
    let mut v = go_bigip_virtual();
    v["profilesReference"]["items"] = json!([{"name": "fastL4", "partition": "Common"}]);
    let replies = |pool: &Value| {
        let mut site = published_site(v.clone());
        site[1].1 = json!({"kind": "x:collectionstate", "items": [pool]})
            .to_string()
            .into_bytes();
        site
    };
    // The fixture's pool is checked by /Common/http, which the model has no word for.
    let site = parse_site(&replies(&pool), COMMON).unwrap();
    assert_eq!(site.virtual_servers, []);
    assert_eq!(
        site.unreadable,
        [Unreadable {
            name: "test-virtual".into(),
            reason: "virtual /Common/test-virtual: monitor /Common/http of its pool \
                     /Common/test-pool is not icmp, tcp or an SMTP monitor"
                .into()
        }]
    );
    assert_eq!(
        site.virtual_server("test-virtual"),
        Some(Err(site.unreadable[0].reason.as_str()))
    );
    assert_eq!(site.virtual_server("other"), None);

    pool["monitor"] = json!("/Common/gateway_icmp ");
    let site = parse_site(&replies(&pool), COMMON).unwrap();
    let r = &site.virtual_servers[0];
    assert_eq!(r.vs.monitors, [Monitor::Icmp]);
    assert_eq!(
        r.vs.members[0],
        member("test-pool-member-1:80", "10.156.153.10", Some(80), 1, true)
    );
    assert_eq!(
        r.members[0],
        MemberReport {
            health: Health::Down,
            status: "down, monitor-enabled".into()
        }
    );
    // The fixture's virtual: 10.1.1.1 has no virtual address in the read, so not floating.
    assert!(!r.vs.f5.floating);
    assert_eq!(r.vs.f5.pool.as_deref(), Some("test-pool"));
}

#[test]
fn fastl4_settings_read_from_strings_as_f5s_provider_sees_them() {
    let mut v = go_bigip_virtual();
    v["pool"] = json!("/Common/p1");
    v["profilesReference"]["items"] = json!([{"name": "test-fastl4", "partition": "Common"}]);
    let mut site = published_site(v);
    let profile: Value = serde_json::from_str(TF_FASTL4).unwrap();
    site[3].1 = json!({"kind": "x:collectionstate", "items": [profile]})
        .to_string()
        .into_bytes();
    let site = parse_site(&site, COMMON).unwrap();
    let f5 = &site.virtual_servers[0].vs.f5;
    assert_eq!(f5.profile.as_deref(), Some("test-fastl4"));
    assert_eq!(
        (
            f5.idle_timeout,
            f5.tcp_handshake_timeout,
            f5.tcp_close_timeout
        ),
        (Some(300), Some(5), None)
    );
    assert_eq!(
        (f5.loose_initiation, f5.loose_close, f5.software_syncookie),
        (Some(false), Some(false), None)
    );
}

#[test]
fn a_read_without_expanded_profiles_is_refused() {
    let site = published_site(go_bigip_virtual());
    let err = parse_site(&site, COMMON).unwrap_err();
    assert!(
        err.contains("virtual /Common/test-virtual: profilesReference has no items")
            && err.contains("expandSubcollections=true"),
        "{err}"
    );
}

#[test]
fn what_the_model_cannot_say_is_unreadable_not_wrong() {
    let mut vs = plain("web", "192.0.2.20", Some(80), Protocol::Tcp);
    vs.monitors = vec![Monitor::Icmp];
    let base = simulated(std::slice::from_ref(&vs), COMMON);
    let virtuals: Value = serde_json::from_slice(&base[0].1).unwrap();
    let pools: Value = serde_json::from_slice(&base[1].1).unwrap();
    let cases: Vec<(usize, &str, Value, &str)> = vec![
        (0, "pool", Value::Null, "it has no pool"),
        (
            0,
            "pool",
            json!("/Common/elsewhere"),
            "its pool /Common/elsewhere is not among",
        ),
        (0, "ipProtocol", json!("sctp"), "ipProtocol \"sctp\""),
        (
            0,
            "destination",
            json!("/Common/192.0.2.20%3:80"),
            "route domain 3",
        ),
        (
            0,
            "persist",
            json!([{"name": "cookie", "partition": "Common"}]),
            "persistence /Common/cookie",
        ),
        (
            1,
            "loadBalancingMode",
            json!("observed-member"),
            "balances by \"observed-member\"",
        ),
        (
            1,
            "monitor",
            json!("min 1 of { /Common/gateway_icmp /Common/tcp }"),
            "only some monitors",
        ),
    ];
    for (reply, key, value, reason) in cases {
        let mut list = if reply == 0 {
            virtuals.clone()
        } else {
            pools.clone()
        };
        list["items"][0][key] = value;
        let mut replies = base.clone();
        replies[reply].1 = list.to_string().into_bytes();
        let site = parse_site(&replies, COMMON).unwrap();
        assert_eq!(site.virtual_servers, [], "{key}");
        assert!(
            site.unreadable[0].reason.contains(reason),
            "{key}: {:?}",
            site.unreadable
        );
    }
}

#[test]
fn malformed_replies_are_errors_that_quote_what_was_wrong() {
    let base = simulated(&[seed()], COMMON);
    let with = |i: usize, body: &str| {
        let mut replies = base.clone();
        replies[i].1 = body.as_bytes().to_vec();
        parse_site(&replies, COMMON).unwrap_err()
    };
    let e = with(1, "<html>502 Bad Gateway</html>");
    assert!(
        e.contains("not JSON") && e.contains("<html>502 Bad Gateway"),
        "{e}"
    );
    let e = with(2, r#"{"items": {"a": 1}}"#);
    assert!(e.contains("items is {\"a\":1}"), "{e}");
    let e = with(0, ERROR_401);
    assert!(e.contains("X-F5-Auth-Token has expired."), "{e}");
    let e = with(3, "[1, 2]");
    assert!(e.contains("not a JSON object"), "{e}");
    let e = with(5, r#"{"items": [{"name": 7, "partition": "Common"}]}"#);
    assert!(e.contains("a smtp has the name 7"), "{e}");

    let mut pools: Value = serde_json::from_slice(&base[1].1).unwrap();
    pools["items"][0]["membersReference"]["items"][2]["ratio"] = json!("heavy");
    let e = with(1, &pools.to_string());
    assert!(
        e.contains("pool /Common/Frontends member 3: ratio is \"heavy\""),
        "{e}"
    );
    let mut virtuals: Value = serde_json::from_slice(&base[0].1).unwrap();
    virtuals["items"][0]
        .as_object_mut()
        .unwrap()
        .remove("destination");
    let e = with(0, &virtuals.to_string());
    assert!(
        e.contains("virtual /Common/External has no destination"),
        "{e}"
    );

    let e = parse_site(&base[1..], COMMON).unwrap_err();
    assert!(e.contains("no reply to GET /mgmt/tm/ltm/virtual?"), "{e}");
}

/// Every JSON node of every reply replaced by every other kind of value, and every reply cut
/// short: the parser answers, it never panics.
#[test]
fn no_reply_makes_the_parser_panic() {
    let mut udp = plain("u", "192.0.2.1", Some(5060), Protocol::Udp);
    udp.persistence = Persistence::SourceAddress;
    let base = simulated(&[seed(), udp], COMMON);
    let replacements = [
        Value::Null,
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([]),
        json!({}),
    ];
    for i in 0..base.len() {
        let body: Value = serde_json::from_slice(&base[i].1).unwrap();
        let mut paths = Vec::new();
        json_paths(&body, &mut Vec::new(), &mut paths);
        for path in &paths {
            for r in &replacements {
                let mut changed = body.clone();
                *pointer(&mut changed, path) = r.clone();
                let mut replies = base.clone();
                replies[i].1 = changed.to_string().into_bytes();
                let _ = parse_site(&replies, COMMON);
            }
        }
        for cut in (0..base[i].1.len()).step_by(13) {
            let mut replies = base.clone();
            replies[i].1.truncate(cut);
            assert!(parse_site(&replies, COMMON).is_err());
        }
    }
}

fn json_paths(value: &Value, at: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(at.clone());
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                at.push(json!(k));
                json_paths(v, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push(json!(i));
                json_paths(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn pointer<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        other => &mut v[other.as_u64().unwrap() as usize],
    })
}

// ---- login and errors ----

#[test]
fn the_login_posts_credentials_and_reads_the_token() {
    let login = F5Login;
    let request = login.login_request("admin", "p\"a\\ss");
    assert_eq!(request.method, HttpMethod::POST);
    assert_eq!(request.path, "/mgmt/shared/authn/login");
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"username": "admin", "password": "p\"a\\ss", "loginProviderName": "tmos"})
    );
    assert_eq!(login.header(), "X-F5-Auth-Token");
    let reply = |body: &str| HttpsReply {
        status: 200,
        headers: HeaderMap::new(),
        body: body.as_bytes().to_vec(),
    };
    assert_eq!(
        login.token(&reply(LOGIN_REPLY)),
        Ok("VUTSQXYNOZ7ESKBPDPEV4CPMVA".to_string())
    );
    for (body, why) in [
        (r#"{"token": {}}"#, "no token.token"),
        (r#"{"token": {"token": ""}}"#, "empty"),
        (r#"{"token": {"token": 5}}"#, "not a string"),
        (
            r#"{"originalRequestBody": "{\"password\":\"secret\"}"}"#,
            "no token.token",
        ),
        ("not json secret", "not JSON"),
    ] {
        let err = login.token(&reply(body)).unwrap_err();
        assert!(err.contains(why), "{body}: {err}");
        assert!(!err.contains("secret"), "the reply is never quoted: {err}");
    }
}

#[test]
fn error_bodies_give_f5s_message() {
    assert_eq!(
        error_message(409, ERROR_409.as_bytes()),
        "01020066:3: The requested Pool (/Common/x) already exists in partition Common."
    );
    assert_eq!(
        error_message(404, ERROR_404.as_bytes()),
        "01020036:3: The requested Virtual Server (/Common/x) was not found."
    );
    assert_eq!(
        error_message(401, ERROR_401.as_bytes()),
        "X-F5-Auth-Token has expired."
    );
    assert_eq!(
        error_message(502, b"<html>\n<body>Bad Gateway</body>\n</html>"),
        "HTTP 502: <html> <body>Bad Gateway</body> </html>"
    );
    assert_eq!(error_message(500, b""), "HTTP 500 with an empty body");
    let long = "x".repeat(1000);
    let shown = error_message(500, long.as_bytes());
    assert!(shown.len() < 200 && shown.ends_with("..."), "{shown}");
    assert_eq!(
        error_message(400, br#"{"code":400}"#),
        r#"HTTP 400: {"code":400}"#
    );
}
