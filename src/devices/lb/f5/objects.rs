//! The LTM objects of one virtual server, as iControl REST bodies, in creation order: the
//! custom SMTP monitor, the custom profile, the pool with its members, the virtual address, the
//! virtual. The seed's F5 example creates the same objects by hand (`monitor MySMTP`, `profile
//! fastL4 CGS_fastL4`, `pool Frontends`, `virtual address 64.173.55.164`, `virtual External`)
//! and `legacy::f5_tmsh` writes them as bigip.conf text: the names come from there.
//!
//! An update PATCHes an object with [`patch_body`] (only what the body names changes; F5's
//! Ansible `bigip_pool` updates a pool with PATCH); a delete removes them in reverse order
//! ([`delete_paths`]), keeping what another virtual still uses.

use super::names::{address_port, collection_path, full_path, json_headers, object_path};
use super::read::SiteReport;
use super::COMMON;
use crate::devices::lb::legacy::f5_tmsh as tmsh;
use crate::devices::lb::virtual_server::{
    Forwarding, Method, Monitor, Persistence, Protocol, VirtualServer,
};
use crate::transport::https::{HttpsRequest, Method as HttpMethod};
use serde_json::{json, Map, Value};
use std::net::IpAddr;

pub const MONITOR_SMTP: &str = "ltm/monitor/smtp";
pub const PROFILE_FASTL4: &str = "ltm/profile/fastl4";
pub const PROFILE_UDP: &str = "ltm/profile/udp";
pub const POOL: &str = "ltm/pool";
pub const VIRTUAL_ADDRESS: &str = "ltm/virtual-address";
pub const VIRTUAL: &str = "ltm/virtual";

/// The built-in objects a custom one derives from, or a virtual names when it has no custom
/// profile (the seed: `defaults from smtp`, `defaults from fastL4`; they live in `/Common`).
pub const BUILT_IN_SMTP: &str = "smtp";
pub const BUILT_IN_FASTL4: &str = "fastL4";
pub const BUILT_IN_UDP: &str = "udp";
/// The persistence profile of tmsh `persist source_addr` (go-bigip's virtual fixture:
/// `"persist":[{"name":"source_addr","partition":"Common","tmDefault":"yes"}]`).
pub const SOURCE_ADDR: &str = "source_addr";

/// Traffic groups (tmsh `unit 1` / `unit 0` of the seed's v9 text): a floating address moves
/// with `traffic-group-1`, F5's default for a new virtual address (f5-ansible
/// `bigip_virtual_address`: "the default is /Common/traffic-group-1"); a non-floating one
/// stays in `traffic-group-local-only` (BIG-IP lists non-floating self IPs as `"floating":
/// "disabled"` with that group: go-bigip `net_test.go` `TestSelfIPs`).
pub const TRAFFIC_GROUP_FLOATING: &str = "/Common/traffic-group-1";
pub const TRAFFIC_GROUP_LOCAL: &str = "/Common/traffic-group-local-only";

/// One object to create: POST `body` to `/mgmt/tm/<collection>`.
#[derive(Clone, Debug, PartialEq)]
pub struct F5Object {
    /// Below `/mgmt/tm/`: `ltm/pool`, `ltm/profile/fastl4`.
    pub collection: &'static str,
    pub name: String,
    pub body: Value,
}

impl F5Object {
    /// `/mgmt/tm/ltm/pool/~Common~sip_pool`.
    pub fn path(&self, partition: &str) -> String {
        object_path(self.collection, partition, &self.name)
    }

    /// `POST /mgmt/tm/<collection>` with the body.
    pub fn create_request(&self) -> HttpsRequest {
        HttpsRequest {
            method: HttpMethod::POST,
            path: collection_path(self.collection),
            headers: json_headers(),
            body: self.body.to_string().into_bytes(),
        }
    }

    /// `PATCH` of the object with [`patch_body`].
    pub fn patch_request(&self, partition: &str) -> HttpsRequest {
        HttpsRequest {
            method: HttpMethod::PATCH,
            path: self.path(partition),
            headers: json_headers(),
            body: patch_body(self).to_string().into_bytes(),
        }
    }
}

/// `DELETE path` (devices.md §4: "DELETE object = 200 empty body").
pub fn delete_request(path: &str) -> HttpsRequest {
    HttpsRequest {
        method: HttpMethod::DELETE,
        path: path.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// `GET path`.
pub fn get_request(path: &str) -> HttpsRequest {
    HttpsRequest {
        method: HttpMethod::GET,
        path: path.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// The objects of `vs` in `partition`, in creation order. Objects another virtual server may
/// share (a named pool, profile or SMTP monitor, the virtual address of a VIP with several
/// services) are listed too: the caller checks [`SiteReport::exists`] before creating.
pub fn objects(vs: &VirtualServer, partition: &str) -> Vec<F5Object> {
    let mut out = Vec::new();
    if vs.monitors.contains(&Monitor::Smtp) {
        out.push(smtp_monitor(vs, partition));
    }
    if let Some(profile) = custom_profile(vs, partition) {
        out.push(profile);
    }
    out.push(pool(vs, partition));
    out.push(virtual_address(vs, partition));
    out.push(virtual_(vs, partition));
    out
}

/// The seed's `monitor MySMTP { defaults from smtp dest *:smtp debug "no" }` (REST names:
/// go-bigip `Monitor`: `defaultsFrom`, `destination`; `debug` is tmsh's word [its REST name,
/// and whether REST takes the service name in `*:smtp` rather than `*:25`, unconfirmed; the
/// lab's simulator takes both]).
fn smtp_monitor(vs: &VirtualServer, partition: &str) -> F5Object {
    let name = tmsh::smtp_monitor(vs);
    F5Object {
        collection: MONITOR_SMTP,
        body: json!({
            "name": name,
            "partition": partition,
            "defaultsFrom": full_path(COMMON, BUILT_IN_SMTP),
            "destination": "*:smtp",
            "debug": "no",
        }),
        name,
    }
}

/// The profile the virtual server creates, if any: a UDP profile with datagram load balancing
/// for UDP (every packet balanced on its own, no session binding: what the seed's SIP Farm
/// wants; go-bigip `UdpProfile.DatagramLoadBalancing`), else a fastL4 profile when any of the
/// seed's fastL4 settings is set (go-bigip `Fastl4`: `idleTimeout`, `tcpHandshakeTimeout`,
/// `tcpCloseTimeout`, `looseInitialization`, `looseClose`, `softwareSynCookie`).
fn custom_profile(vs: &VirtualServer, partition: &str) -> Option<F5Object> {
    let name = tmsh::profile(vs);
    if vs.protocol == Protocol::Udp {
        return Some(F5Object {
            collection: PROFILE_UDP,
            body: json!({
                "name": name,
                "partition": partition,
                "defaultsFrom": full_path(COMMON, BUILT_IN_UDP),
                "datagramLoadBalancing": "enabled",
            }),
            name,
        });
    }
    tmsh::fastl4_settings(&vs.f5)?;
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("partition".into(), json!(partition));
    body.insert(
        "defaultsFrom".into(),
        json!(full_path(COMMON, BUILT_IN_FASTL4)),
    );
    // Seconds as strings: go-bigip's `Fastl4` declares them `string` (the box also takes
    // `indefinite`), and terraform-provider-bigip sends `"idle_timeout": "300"` that way.
    let seconds = [
        ("idleTimeout", vs.f5.idle_timeout),
        ("tcpHandshakeTimeout", vs.f5.tcp_handshake_timeout),
        ("tcpCloseTimeout", vs.f5.tcp_close_timeout),
    ];
    for (key, value) in seconds {
        if let Some(v) = value {
            body.insert(key.into(), json!(v.to_string()));
        }
    }
    let flags = [
        ("looseInitialization", vs.f5.loose_initiation),
        ("looseClose", vs.f5.loose_close),
        ("softwareSynCookie", vs.f5.software_syncookie),
    ];
    for (key, value) in flags {
        if let Some(v) = value {
            body.insert(key.into(), json!(enabled(v)));
        }
    }
    Some(F5Object {
        collection: PROFILE_FASTL4,
        name,
        body: Value::Object(body),
    })
}

fn enabled(on: bool) -> &'static str {
    if on {
        "enabled"
    } else {
        "disabled"
    }
}

/// Whether the members' weights differ (then the ratio variant of the method balances by them;
/// the seed's tmsh writes `ratio` per member).
fn weighted(vs: &VirtualServer) -> bool {
    vs.members.windows(2).any(|w| w[0].weight != w[1].weight)
}

/// `loadBalancingMode` (tmsh `ltm pool load-balancing-mode` words; round-robin is F5's
/// default, go-bigip's pool fixture).
pub fn load_balancing_mode(vs: &VirtualServer) -> &'static str {
    match (vs.method, weighted(vs)) {
        (Method::RoundRobin, false) => "round-robin",
        (Method::RoundRobin, true) => "ratio-member",
        (Method::LeastConnections, false) => "least-connections-member",
        (Method::LeastConnections, true) => "ratio-least-connections-member",
    }
}

/// A monitor's full path: the built-ins in `/Common`, the custom SMTP monitor in the partition.
fn monitor_path(vs: &VirtualServer, m: Monitor, partition: &str) -> String {
    match m {
        Monitor::Smtp => full_path(partition, &tmsh::smtp_monitor(vs)),
        _ => full_path(COMMON, &tmsh::monitor_name(vs, m)),
    }
}

/// The pool's `monitor` rule: every monitor must pass, `/Common/gateway_icmp and
/// /Common/MySMTP` (the seed's `monitor all MySMTP and gateway_icmp`; terraform-provider-bigip
/// `strings.Join(monitors, " and ")`); empty for none.
pub fn monitor_rule(vs: &VirtualServer, partition: &str) -> String {
    let paths: Vec<String> = vs
        .monitors
        .iter()
        .map(|m| monitor_path(vs, *m, partition))
        .collect();
    paths.join(" and ")
}

/// The pool's `members`: every member, a disabled one with `session user-disabled` (it stays in
/// the pool and takes no new connections; go-bigip `PoolMemberStatus`: `"disable"` →
/// `Session = "user-disabled"`), named `<address>:<port>` with port 0 for any, its weight as
/// `ratio`, and the configured name in `description` (read back as the member's name; tmsh
/// `ltm pool members` has a `description` [its REST name unconfirmed; the simulator takes it]).
/// `partition` beside the name as scottdware/go-bigip's `TestCreatePoolMember` body sends it.
pub fn members(vs: &VirtualServer, partition: &str) -> Value {
    let items: Vec<Value> = vs
        .members
        .iter()
        .map(|m| {
            json!({
                "name": address_port(m.address, vs.member_port(m)),
                "partition": partition,
                "address": m.address.to_string(),
                "ratio": m.weight,
                "session": if m.enabled { "user-enabled" } else { "user-disabled" },
                "description": m.name,
            })
        })
        .collect();
    Value::Array(items)
}

/// The pool with its members inline (scottdware/go-bigip `TestModifyPoolWithMembers`: a pool
/// body with `"members": [{"name": ...}]`).
fn pool(vs: &VirtualServer, partition: &str) -> F5Object {
    let name = tmsh::pool(vs);
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    body.insert("partition".into(), json!(partition));
    body.insert("loadBalancingMode".into(), json!(load_balancing_mode(vs)));
    let rule = monitor_rule(vs, partition);
    if !rule.is_empty() {
        body.insert("monitor".into(), json!(rule));
    }
    body.insert("members".into(), members(vs, partition));
    F5Object {
        collection: POOL,
        name,
        body: Value::Object(body),
    }
}

fn host_mask(address: IpAddr) -> &'static str {
    // f5-ansible `bigip_virtual_address`: the default netmask is 255.255.255.255 for IPv4 and
    // ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff for IPv6.
    match address {
        IpAddr::V4(_) => "255.255.255.255",
        IpAddr::V6(_) => "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    }
}

/// The virtual address, named by its address as BIG-IP names the ones it makes itself
/// (f5-ansible: "a virtual address for each virtual server was created automatically. The name
/// of this virtual address is its IP address value"). `floating` and `trafficGroup` as go-bigip's
/// `virtualAddressDTO` sends them (terraform-provider-bigip's virtual address resource sends
/// both on every create); `arp` enabled, F5's default, so the VIP answers ARP.
fn virtual_address(vs: &VirtualServer, partition: &str) -> F5Object {
    let name = vs.address.to_string();
    let group = if vs.f5.floating {
        TRAFFIC_GROUP_FLOATING
    } else {
        TRAFFIC_GROUP_LOCAL
    };
    F5Object {
        collection: VIRTUAL_ADDRESS,
        body: json!({
            "name": name,
            "partition": partition,
            "address": name,
            "mask": host_mask(vs.address),
            "arp": "enabled",
            "floating": enabled(vs.f5.floating),
            "trafficGroup": group,
        }),
        name,
    }
}

/// The profile the virtual names: its own, else the built-in fastL4 in `/Common`.
fn profile_path(vs: &VirtualServer, partition: &str) -> String {
    let name = tmsh::profile(vs);
    if name == BUILT_IN_FASTL4 && custom_profile(vs, partition).is_none() {
        full_path(COMMON, BUILT_IN_FASTL4)
    } else {
        full_path(partition, &name)
    }
}

/// `ipProtocol`: tcp, udp, or any for both (the seed's virtual has no `ip protocol`, REST lists
/// it as `"ipProtocol":"any"`, devices.md §4; go-bigip `VirtualServer.IPProtocol`).
pub fn ip_protocol(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Both => "any",
    }
}

/// The virtual (go-bigip `VirtualServer` names): `destination` `/Partition/addr:port` (port 0
/// for any), a host `mask`, its `pool`, its profile for all contexts, `translateAddress` and
/// `translatePort` disabled unless NAT (the seed's `translate address disable`),
/// `sourceAddressTranslation` none (no SNAT: members see the client's address), and `persist`
/// source_addr for source-address persistence (terraform-provider-bigip sends persistence
/// profiles as `{"name": ..., "tmDefault": "yes"}`).
fn virtual_(vs: &VirtualServer, partition: &str) -> F5Object {
    let translate = enabled(vs.forwarding == Forwarding::Nat);
    let mut body = Map::new();
    body.insert("name".into(), json!(vs.name));
    body.insert("partition".into(), json!(partition));
    body.insert(
        "destination".into(),
        json!(full_path(partition, &address_port(vs.address, vs.port))),
    );
    body.insert("mask".into(), json!(host_mask(vs.address)));
    body.insert("ipProtocol".into(), json!(ip_protocol(vs.protocol)));
    body.insert("pool".into(), json!(full_path(partition, &tmsh::pool(vs))));
    body.insert(
        "profiles".into(),
        json!([{"name": profile_path(vs, partition), "context": "all"}]),
    );
    body.insert("translateAddress".into(), json!(translate));
    body.insert("translatePort".into(), json!(translate));
    body.insert("sourceAddressTranslation".into(), json!({"type": "none"}));
    if vs.persistence == Persistence::SourceAddress {
        body.insert(
            "persist".into(),
            json!([{"name": full_path(COMMON, SOURCE_ADDR), "tmDefault": "yes"}]),
        );
    }
    F5Object {
        collection: VIRTUAL,
        name: vs.name.clone(),
        body: Value::Object(body),
    }
}

/// What a PATCH of `object` sends to bring it to the configuration: its create body without
/// `name` and `partition` (the URL names the object), and, where an absent property would leave
/// the old value, the value that clears it: a pool without monitors gets `"monitor": ""`, a
/// virtual without persistence `"persist": []` [both unconfirmed on a real box: no capture of
/// BIG-IP clearing them this way was found]. A pool's `members` list replaces the whole list
/// (tmsh `members replace-all-with`; go-bigip `UpdatePoolMembers` sends the same
/// `{"members":[...]}` with PUT [PATCH replacing the list: unconfirmed]).
pub fn patch_body(object: &F5Object) -> Value {
    let mut body = match &object.body {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    body.remove("name");
    body.remove("partition");
    match object.collection {
        POOL => {
            body.entry("monitor").or_insert(json!(""));
        }
        VIRTUAL => {
            body.entry("persist").or_insert(json!([]));
        }
        _ => {}
    }
    Value::Object(body)
}

/// What deleting `vs` removes, in order: the virtual, its virtual address unless another
/// virtual's destination is on it, its pool, its own profile and SMTP monitor unless another
/// virtual (or pool) uses them. `site` is the shared read before the delete. A virtual address
/// BIG-IP made or that has `autoDelete` true goes with the last virtual on it (tmsh reference
/// `ltm virtual-address auto-delete`; f5-ansible: "deletes the virtual address with the deletion
/// of the last associated virtual server"), so a 404 on that DELETE means it is already gone.
pub fn delete_paths(vs: &VirtualServer, partition: &str, site: &SiteReport) -> Vec<String> {
    let own = objects(vs, partition);
    let find = |collection: &str| own.iter().find(|o| o.collection == collection);
    let mut out = Vec::new();
    out.push(object_path(VIRTUAL, partition, &vs.name));
    let others: Vec<_> = site
        .virtuals
        .iter()
        .filter(|v| !(v.name == vs.name && v.partition == partition))
        .collect();
    let address = full_path(partition, &vs.address.to_string());
    if !others
        .iter()
        .any(|v| v.address.as_deref() == Some(&address))
    {
        out.push(object_path(
            VIRTUAL_ADDRESS,
            partition,
            &vs.address.to_string(),
        ));
    }
    let pool = tmsh::pool(vs);
    let pool_path = full_path(partition, &pool);
    let pool_shared = others
        .iter()
        .any(|v| v.pool.as_deref() == Some(pool_path.as_str()));
    if !pool_shared {
        out.push(object_path(POOL, partition, &pool));
    }
    for collection in [PROFILE_FASTL4, PROFILE_UDP] {
        if let Some(profile) = find(collection) {
            let path = full_path(partition, &profile.name);
            if !others.iter().any(|v| v.profiles.contains(&path)) {
                out.push(profile.path(partition));
            }
        }
    }
    if let Some(monitor) = find(MONITOR_SMTP) {
        let path = full_path(partition, &monitor.name);
        // A pool that stays keeps its monitors.
        let used = pool_shared
            || site
                .pool_monitors
                .iter()
                .any(|(p, monitors)| *p != pool_path && monitors.contains(&path));
        if !used {
            out.push(monitor.path(partition));
        }
    }
    out
}
