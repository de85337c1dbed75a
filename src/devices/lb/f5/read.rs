//! The one shared read of a partition and what it says about every virtual server in it.
//!
//! Six GETs, however many virtual servers the site has ([`read_requests`]): the virtuals with
//! their profiles and the pools with their members inline (`expandSubcollections=true`: the F5
//! SDK's user guide, F5Networks/f5-common-python `endpoints/subcollection.rst`, shows a pool
//! read this way with `membersReference.items` and each member's `session` and `state`; a
//! BIG-IP report script in PowerShell reads `/mgmt/tm/ltm/virtual?expandSubcollections=true`
//! and walks each virtual's `profilesReference.items`), the virtual addresses (`floating`), the fastL4 profiles (their settings), the UDP
//! profiles and the SMTP monitors (what kind a custom profile or monitor is: the collection
//! it is listed in, rather than its `defaultsFrom` chain). Each is filtered to the partition
//! (`$filter=partition+eq+Common`: the query parameters of the F5 SDK as a guide on cnblogs
//! lists them, "`$filter` ... only partition is supported", `+` for the spaces); the parser
//! filters again, since a box that ignored the filter (the lab's simulator does) must not put
//! another partition's objects in this one.
//!
//! [`parse_site`] turns the replies into the model. A reply that is not what BIG-IP sends (not
//! JSON, not a collection, a property of the wrong type, a subcollection that was not
//! expanded) is an error for the whole read; a virtual that is well formed but that the model
//! cannot express (no pool, an HTTP monitor, a route domain, a cookie persistence) is listed in
//! [`SiteReport::unreadable`] with the reason, so the resource keeps its state and says why.

use super::error::{excerpt, shown};
use super::names::{self, full_path, segment, split_full_path};
use super::objects::{
    BUILT_IN_FASTL4, BUILT_IN_SMTP, BUILT_IN_UDP, MONITOR_SMTP, POOL, PROFILE_FASTL4, PROFILE_UDP,
    SOURCE_ADDR, TRAFFIC_GROUP_LOCAL, VIRTUAL, VIRTUAL_ADDRESS,
};
use super::COMMON;
use crate::devices::lb::legacy::f5_tmsh as tmsh;
use crate::devices::lb::virtual_server::{
    F5Options, Forwarding, Health, Member, MemberReport, Method, Monitor, Persistence, Protocol,
    Reported, VirtualServer,
};
use serde_json::{Map, Value};

/// The collections of the shared read, in the order of [`read_requests`].
const READ: [(&str, bool); 6] = [
    (VIRTUAL, true),
    (POOL, true),
    (VIRTUAL_ADDRESS, false),
    (PROFILE_FASTL4, false),
    (PROFILE_UDP, false),
    (MONITOR_SMTP, false),
];

/// The GET paths of the shared read of `partition`.
pub fn read_requests(partition: &str) -> Vec<String> {
    let filter = format!("$filter=partition+eq+{}", segment(partition));
    READ.iter()
        .map(|(collection, expand)| {
            let expand = if *expand {
                "expandSubcollections=true&"
            } else {
                ""
            };
            format!("/mgmt/tm/{collection}?{expand}{filter}")
        })
        .collect()
}

/// A virtual of the partition the model cannot express.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// The virtual's name.
    pub name: String,
    pub reason: String,
}

/// What one virtual uses, for deletes that keep what others still need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualUse {
    pub name: String,
    pub partition: String,
    /// The full path of its virtual address (`/Common/64.173.55.164`), when its destination
    /// reads.
    pub address: Option<String>,
    /// Full path of its pool.
    pub pool: Option<String>,
    /// Full paths of its profiles.
    pub profiles: Vec<String>,
}

/// What the shared read says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteReport {
    /// Every virtual of the partition the model expresses, with its members' health.
    pub virtual_servers: Vec<Reported>,
    /// Every other virtual of the partition, with why.
    pub unreadable: Vec<Unreadable>,
    /// The objects the read saw: (collection, name) in the partition (the built-ins of
    /// `/Common` when the partition is `Common`), to check before creating.
    pub existing: Vec<(&'static str, String)>,
    /// Every virtual of the partition and what it uses.
    pub virtuals: Vec<VirtualUse>,
    /// Every pool of the partition (full path) and the full paths of its monitors.
    pub pool_monitors: Vec<(String, Vec<String>)>,
}

impl SiteReport {
    /// The virtual server called `name`: `None` when the partition has no such virtual (it is
    /// gone), `Some(Err(reason))` when the model cannot express it.
    pub fn virtual_server(&self, name: &str) -> Option<Result<&Reported, &str>> {
        if let Some(r) = self.virtual_servers.iter().find(|r| r.vs.name == name) {
            return Some(Ok(r));
        }
        self.unreadable
            .iter()
            .find(|u| u.name == name)
            .map(|u| Err(u.reason.as_str()))
    }

    /// Whether the read saw `name` in `collection` (`ltm/pool`, `ltm/virtual-address`, ...).
    pub fn exists(&self, collection: &str, name: &str) -> bool {
        self.existing
            .iter()
            .any(|(c, n)| *c == collection && n == name)
    }
}

/// Why a virtual is left out: the reply is broken (the whole read fails), or the model has no
/// words for what it holds.
enum Skip {
    Malformed(String),
    Unmodelled(String),
}

type Parsed<T> = Result<T, Skip>;

fn unmodelled<T>(reason: String) -> Parsed<T> {
    Err(Skip::Unmodelled(reason))
}

/// One object of a collection reply.
struct Item<'a> {
    map: &'a Map<String, Value>,
    name: String,
    partition: String,
    /// `virtual /Common/External`, for messages.
    what: String,
}

impl<'a> Item<'a> {
    fn new(kind: &str, map: &'a Map<String, Value>) -> Result<Item<'a>, String> {
        let name = match map.get("name") {
            Some(Value::String(n)) if !n.is_empty() => n.clone(),
            Some(other) => return Err(format!("a {kind} has the name {}", shown(other))),
            None => return Err(format!("a {kind} has no name: {}", shown_map(map))),
        };
        let partition = match (map.get("partition"), map.get("fullPath")) {
            (Some(Value::String(p)), _) => p.clone(),
            (None, Some(Value::String(f))) => split_full_path(f, COMMON).0.to_string(),
            (Some(other), _) => {
                return Err(format!(
                    "{kind} {name:?} has the partition {}",
                    shown(other)
                ))
            }
            (None, _) => return Err(format!("{kind} {name:?} has no partition or fullPath")),
        };
        let what = format!("{kind} {}", full_path(&partition, &name));
        Ok(Item {
            map,
            name,
            partition,
            what,
        })
    }

    fn full_path(&self) -> String {
        full_path(&self.partition, &self.name)
    }

    /// A text property, `None` when absent.
    fn text(&self, key: &str) -> Parsed<Option<&'a str>> {
        text_of(self.map, key, &self.what)
    }

    fn required(&self, key: &str) -> Parsed<&'a str> {
        self.text(key)?
            .ok_or_else(|| Skip::Malformed(format!("{} has no {key}", self.what)))
    }
}

fn shown_map(map: &Map<String, Value>) -> String {
    shown(&Value::Object(map.clone()))
}

fn text_of<'a>(map: &'a Map<String, Value>, key: &str, what: &str) -> Parsed<Option<&'a str>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(other) => Err(Skip::Malformed(format!(
            "{what}: {key} is {}, not a string",
            shown(other)
        ))),
    }
}

/// A number BIG-IP may write as a JSON number or as text (go-bigip declares fastL4's
/// `idleTimeout` a string; terraform-provider-bigip's fastL4 test reply has `"idleTimeout":
/// "300"`; the simulator writes numbers); a word (`indefinite`) is `Ok(None)` when `words`,
/// else malformed.
fn number_of(map: &Map<String, Value>, key: &str, what: &str, words: bool) -> Parsed<Option<u32>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).map_or_else(
            || {
                Err(Skip::Malformed(format!(
                    "{what}: {key} is {n}, not a count"
                )))
            },
            |n| Ok(Some(n)),
        ),
        Some(Value::String(s)) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => s
            .parse::<u32>()
            .map(Some)
            .map_err(|_| Skip::Malformed(format!("{what}: {key} is {s:?}, out of range"))),
        Some(Value::String(_)) if words => Ok(None),
        Some(other) => Err(Skip::Malformed(format!(
            "{what}: {key} is {}, not a number",
            shown(other)
        ))),
    }
}

fn flag_of(map: &Map<String, Value>, key: &str, what: &str) -> Parsed<Option<bool>> {
    Ok(match text_of(map, key, what)? {
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        _ => None,
    })
}

/// The items of one collection reply that are in `partition`.
fn collection(path: &str, body: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("GET {path}: the reply is not JSON ({e}): {}", excerpt(body)))?;
    let Value::Object(o) = value else {
        return Err(format!(
            "GET {path}: the reply is {}, not a JSON object",
            excerpt(body)
        ));
    };
    match o.get("items") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::Object(m) => Ok(m.clone()),
                other => Err(format!("GET {path}: an item is {}", shown(other))),
            })
            .collect(),
        Some(other) => Err(format!("GET {path}: items is {}", shown(other))),
        // An empty collection has no `items` (F5's Ansible modules read `items` only "if
        // 'items' in response", else nothing); an error body is not a collection.
        None => match o.get("kind").and_then(Value::as_str) {
            Some(kind) if kind.ends_with("collectionstate") => Ok(Vec::new()),
            _ => match o.get("message").and_then(Value::as_str) {
                Some(message) => Err(format!("GET {path}: the device answered {message:?}")),
                None => Err(format!(
                    "GET {path}: the reply is not a collection: {}",
                    excerpt(body)
                )),
            },
        },
    }
}

/// What the other collections say, for reading one virtual.
struct Context<'a> {
    partition: &'a str,
    pools: Vec<Item<'a>>,
    addresses: Vec<Item<'a>>,
    fastl4: Vec<Item<'a>>,
    udp: Vec<String>,
    smtp: Vec<String>,
}

/// The shared read's replies (`(path, body)` for each of [`read_requests`]`(partition)`, in any
/// order) as the model.
pub fn parse_site(replies: &[(String, Vec<u8>)], partition: &str) -> Result<SiteReport, String> {
    let paths = read_requests(partition);
    let mut lists: Vec<Vec<Map<String, Value>>> = Vec::new();
    for path in &paths {
        let (_, body) = replies
            .iter()
            .find(|(p, _)| p == path)
            .ok_or_else(|| format!("the shared read has no reply to GET {path}"))?;
        lists.push(collection(path, body)?);
    }
    let mut items: Vec<Vec<Item<'_>>> = Vec::new();
    for (list, (collection, _)) in lists.iter().zip(READ) {
        let kind = collection.rsplit('/').next().unwrap_or(collection);
        let mut in_partition = Vec::new();
        for map in list {
            let item = Item::new(kind, map)?;
            if item.partition == partition {
                in_partition.push(item);
            }
        }
        items.push(in_partition);
    }
    let mut report = SiteReport::default();
    for (list, (collection, _)) in items.iter().zip(READ) {
        for item in list {
            report.existing.push((collection, item.name.clone()));
        }
    }
    let [virtuals, pools, addresses, fastl4, udp, smtp]: [Vec<Item<'_>>; 6] = items
        .try_into()
        .map_err(|_| "the shared read has six collections".to_string())?;
    let ctx = Context {
        partition,
        pools,
        addresses,
        fastl4,
        udp: udp.iter().map(Item::full_path).collect(),
        smtp: smtp.iter().map(Item::full_path).collect(),
    };
    for pool in &ctx.pools {
        let rule = pool.text("monitor").map_err(message)?.unwrap_or_default();
        report
            .pool_monitors
            .push((pool.full_path(), monitor_paths(rule)));
    }
    for v in &virtuals {
        report.virtuals.push(virtual_use(v).map_err(message)?);
        match read_virtual(v, &ctx) {
            Ok(r) => report.virtual_servers.push(r),
            Err(Skip::Unmodelled(reason)) => report.unreadable.push(Unreadable {
                name: v.name.clone(),
                reason: format!("{}: {reason}", v.what),
            }),
            Err(Skip::Malformed(m)) => return Err(m),
        }
    }
    Ok(report)
}

fn message(skip: Skip) -> String {
    match skip {
        Skip::Malformed(m) | Skip::Unmodelled(m) => m,
    }
}

/// The full paths a pool's monitor rule names (`/Common/a and /Common/b`, `min 1 of { a b }`),
/// a plain name being in `/Common`.
fn monitor_paths(rule: &str) -> Vec<String> {
    let inner = match (rule.find('{'), rule.rfind('}')) {
        (Some(a), Some(b)) if a < b => &rule[a + 1..b],
        _ => rule,
    };
    inner
        .split_whitespace()
        .filter(|w| !matches!(*w, "and" | "none"))
        .map(|w| {
            let (p, n) = split_full_path(w, COMMON);
            full_path(p, n)
        })
        .collect()
}

fn profile_paths(v: &Item<'_>) -> Parsed<Vec<String>> {
    let reference = match v.map.get("profilesReference") {
        Some(Value::Object(r)) => r,
        Some(other) => {
            return Err(Skip::Malformed(format!(
                "{}: profilesReference is {}",
                v.what,
                shown(other)
            )))
        }
        None => {
            return Err(Skip::Malformed(format!(
                "{} has no profilesReference",
                v.what
            )))
        }
    };
    let Some(items) = reference.get("items") else {
        return Err(Skip::Malformed(format!(
            "{}: profilesReference has no items (the virtuals were not read with \
             expandSubcollections=true): {}",
            v.what,
            shown_map(reference)
        )));
    };
    let Value::Array(items) = items else {
        return Err(Skip::Malformed(format!(
            "{}: profilesReference.items is {}",
            v.what,
            shown(items)
        )));
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(p) = item else {
            return Err(Skip::Malformed(format!(
                "{}: a profile is {}",
                v.what,
                shown(item)
            )));
        };
        let profile = Item::new("profile", p).map_err(Skip::Malformed)?;
        out.push(profile.full_path());
    }
    Ok(out)
}

fn virtual_use(v: &Item<'_>) -> Parsed<VirtualUse> {
    let address = v
        .text("destination")?
        .and_then(|d| d.strip_prefix('/'))
        .and_then(|d| d.split_once('/'))
        .and_then(|(p, rest)| names::split_port(rest).map(|(a, _)| full_path(p, a)));
    let pool = v.text("pool")?.map(|p| {
        let (partition, name) = split_full_path(p, COMMON);
        full_path(partition, name)
    });
    Ok(VirtualUse {
        name: v.name.clone(),
        partition: v.partition.clone(),
        address,
        pool,
        profiles: profile_paths(v)?,
    })
}

fn read_virtual(v: &Item<'_>, ctx: &Context<'_>) -> Parsed<Reported> {
    let destination = v.required("destination")?;
    let (dest_partition, address, port) = match names::destination(destination) {
        Ok(d) => d,
        Err(why) => return unmodelled(why),
    };
    let protocol = match v.required("ipProtocol")? {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "any" => Protocol::Both,
        other => return unmodelled(format!("ipProtocol {other:?} is not tcp, udp or any")),
    };
    let Some(pool_ref) = v.text("pool")? else {
        return unmodelled("it has no pool".into());
    };
    let (pool_partition, pool_name) = split_full_path(pool_ref, COMMON);
    let Some(pool) = ctx
        .pools
        .iter()
        .find(|p| p.partition == pool_partition && p.name == pool_name)
    else {
        return unmodelled(format!(
            "its pool {pool_ref} is not among the pools of partition {}",
            ctx.partition
        ));
    };
    // translateAddress: enabled is F5's default (tmsh `translate address enable`); disabled is
    // the seed's `translate address disable`, and also what DSR needs: F5 cannot tell DSR from
    // no translation, the caller keeps the one configured.
    let forwarding = match v.text("translateAddress")?.unwrap_or("enabled") {
        "enabled" => Forwarding::Nat,
        "disabled" => Forwarding::NoTranslation,
        other => return unmodelled(format!("translateAddress {other:?}")),
    };
    let persistence = persistence(v)?;
    let port = (port != 0).then_some(port);
    let profile = profile(v, ctx)?;
    let (method, monitors, smtp_monitor) = pool_settings(pool, ctx)?;
    let mut members = Vec::new();
    let mut reports = Vec::new();
    for (m, r) in pool_members(pool, port)? {
        members.push(m);
        reports.push(r);
    }
    let floating = floating(ctx, &full_path(&dest_partition, &address.to_string()))?;
    let mut vs = VirtualServer {
        name: v.name.clone(),
        address,
        port,
        protocol,
        method,
        forwarding,
        persistence,
        monitors,
        members,
        f5: F5Options {
            floating,
            ..profile.settings
        },
    };
    // Names equal to the ones the virtual server would give itself read back as unset, so a
    // configuration that leaves them out sees no difference.
    if tmsh::pool(&vs) != pool.name {
        vs.f5.pool = Some(pool.name.clone());
    }
    if let Some(name) = smtp_monitor {
        if tmsh::smtp_monitor(&vs) != name {
            vs.f5.smtp_monitor = Some(name);
        }
    }
    if tmsh::profile(&vs) != profile.name {
        vs.f5.profile = Some(profile.name);
    }
    Ok(Reported {
        vs,
        members: reports,
    })
}

/// `persist`: none, or `source_addr` (go-bigip's virtual fixture lists it as
/// `{"name":"source_addr","partition":"Common","tmDefault":"yes",...}`).
fn persistence(v: &Item<'_>) -> Parsed<Persistence> {
    let items = match v.map.get("persist") {
        None | Some(Value::Null) => return Ok(Persistence::None),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(Skip::Malformed(format!(
                "{}: persist is {}",
                v.what,
                shown(other)
            )))
        }
    };
    let mut names = Vec::new();
    for item in items {
        let name = match item {
            Value::String(s) => s.clone(),
            Value::Object(o) => {
                let name = text_of(o, "name", &v.what)?.unwrap_or_default();
                match text_of(o, "partition", &v.what)? {
                    Some(p) if !name.starts_with('/') => full_path(p, name),
                    _ => name.to_string(),
                }
            }
            other => {
                return Err(Skip::Malformed(format!(
                    "{}: a persistence profile is {}",
                    v.what,
                    shown(other)
                )))
            }
        };
        let (p, n) = split_full_path(&name, COMMON);
        names.push(full_path(p, n));
    }
    match names.as_slice() {
        [] => Ok(Persistence::None),
        [one] if *one == full_path(COMMON, SOURCE_ADDR) => Ok(Persistence::SourceAddress),
        _ => unmodelled(format!(
            "persistence {} is not source_addr",
            names.join(", ")
        )),
    }
}

/// The virtual's one profile and the settings it carries.
struct Profile {
    name: String,
    settings: F5Options,
}

fn profile(v: &Item<'_>, ctx: &Context<'_>) -> Parsed<Profile> {
    let paths = profile_paths(v)?;
    let builtin_fastl4 = full_path(COMMON, BUILT_IN_FASTL4);
    let builtin_udp = full_path(COMMON, BUILT_IN_UDP);
    let mut found = Vec::new();
    for path in &paths {
        let (partition, name) = split_full_path(path, COMMON);
        let custom = (partition == ctx.partition).then_some(name);
        if *path == builtin_fastl4 || *path == builtin_udp || ctx.udp.contains(path) {
            found.push((name.to_string(), F5Options::default()));
        } else if let Some(p) = ctx.fastl4.iter().find(|p| Some(p.name.as_str()) == custom) {
            found.push((name.to_string(), fastl4_settings(p)?));
        } else {
            return unmodelled(format!("profile {path} is not a fastL4 or UDP profile"));
        }
    }
    match found.len() {
        1 => {
            let (name, settings) = found.remove(0);
            Ok(Profile { name, settings })
        }
        0 => unmodelled("it has no profile".into()),
        _ => unmodelled(format!(
            "it has {} fastL4/UDP profiles ({})",
            found.len(),
            paths.join(", ")
        )),
    }
}

/// A custom fastL4 profile's settings: every one the device lists, set or inherited (a box
/// lists a value for each, its own or its parent's; the simulator does too), so a
/// configuration that sets only some must compare only those: the others read as the device's
/// values, not as unset.
fn fastl4_settings(p: &Item<'_>) -> Parsed<F5Options> {
    let what = &p.what;
    Ok(F5Options {
        idle_timeout: number_of(p.map, "idleTimeout", what, true)?,
        tcp_handshake_timeout: number_of(p.map, "tcpHandshakeTimeout", what, true)?,
        tcp_close_timeout: number_of(p.map, "tcpCloseTimeout", what, true)?,
        loose_initiation: flag_of(p.map, "looseInitialization", what)?,
        loose_close: flag_of(p.map, "looseClose", what)?,
        software_syncookie: flag_of(p.map, "softwareSynCookie", what)?,
        ..F5Options::default()
    })
}

/// The method, the monitors and the custom SMTP monitor's name of a pool.
fn pool_settings(
    pool: &Item<'_>,
    ctx: &Context<'_>,
) -> Parsed<(Method, Vec<Monitor>, Option<String>)> {
    // The ratio variants are what the objects write when weights differ.
    let method = match pool.text("loadBalancingMode")?.unwrap_or("round-robin") {
        "round-robin" | "ratio-member" => Method::RoundRobin,
        "least-connections-member" | "ratio-least-connections-member" => Method::LeastConnections,
        other => {
            return unmodelled(format!(
                "its pool {} balances by {other:?}",
                pool.full_path()
            ))
        }
    };
    // go-bigip's pool fixture lists `"monitor": "/Common/http "`, with a trailing space.
    let rule = pool.text("monitor")?.unwrap_or_default().trim();
    if rule.starts_with("min ") {
        return unmodelled(format!(
            "its pool {} asks only some monitors to pass ({rule:?})",
            pool.full_path()
        ));
    }
    let mut monitors = Vec::new();
    let mut smtp_name: Option<String> = None;
    for path in monitor_paths(rule) {
        let (partition, name) = split_full_path(&path, COMMON);
        let monitor = match (partition, name) {
            (COMMON, "gateway_icmp" | "icmp") => Monitor::Icmp,
            (COMMON, "tcp") => Monitor::Tcp,
            _ if (partition == COMMON && name == BUILT_IN_SMTP) || ctx.smtp.contains(&path) => {
                if smtp_name.as_deref().is_some_and(|n| n != name) {
                    return unmodelled(format!(
                        "its pool {} has two SMTP monitors",
                        pool.full_path()
                    ));
                }
                smtp_name = Some(name.to_string());
                Monitor::Smtp
            }
            _ => {
                return unmodelled(format!(
                    "monitor {path} of its pool {} is not icmp, tcp or an SMTP monitor",
                    pool.full_path()
                ))
            }
        };
        monitors.push(monitor);
    }
    Ok((method, monitors, smtp_name))
}

/// The members of a pool as the model has them, with their health. `vs_port` is the virtual's
/// (`None`: any): a member on that port reads as "the virtual's port".
fn pool_members(pool: &Item<'_>, vs_port: Option<u16>) -> Parsed<Vec<(Member, MemberReport)>> {
    let what = &pool.what;
    let items = match pool.map.get("membersReference") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(r)) => match r.get("items") {
            // A pool without members lists no `items` [as the simulator does; unconfirmed].
            None => return Ok(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(Skip::Malformed(format!(
                    "{what}: membersReference.items is {}",
                    shown(other)
                )))
            }
        },
        Some(other) => {
            return Err(Skip::Malformed(format!(
                "{what}: membersReference is {}",
                shown(other)
            )))
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(m) = item else {
            return Err(Skip::Malformed(format!(
                "{what}: member {} is {}",
                i + 1,
                shown(item)
            )));
        };
        let member_what = format!("{what} member {}", i + 1);
        let name = match m.get("name") {
            Some(Value::String(n)) if !n.is_empty() => n.as_str(),
            _ => {
                return Err(Skip::Malformed(format!(
                    "{member_what} has no name: {}",
                    shown(item)
                )))
            }
        };
        let Some((host, port)) = names::split_port(name) else {
            return unmodelled(format!("member {name:?} of {what} has no port"));
        };
        // A member named by its node (`test-pool-member-1:80` in go-bigip's fixture) has its
        // address in `address`.
        let address_text = text_of(m, "address", &member_what)?.unwrap_or(host);
        let address = match names::address(address_text) {
            Ok(a) => a,
            Err(why) => return unmodelled(format!("member {name:?}: {why}")),
        };
        let weight = number_of(m, "ratio", &member_what, false)?.unwrap_or(1);
        let session = text_of(m, "session", &member_what)?.unwrap_or("user-enabled");
        let state = text_of(m, "state", &member_what)?.unwrap_or("unchecked");
        let member_name = match text_of(m, "description", &member_what)? {
            Some(d) if !d.trim().is_empty() => d.to_string(),
            _ => name.to_string(),
        };
        // Read as written: `session` user-disabled is the member disabled (go-bigip
        // `PoolMemberStatus`); `state` up, down, user-down (forced offline) or unchecked (no
        // monitor: the F5 SDK's expanded pool shows `"session": "user-enabled", "state":
        // "unchecked"`; go-bigip's fixture `"session": "monitor-enabled", "state": "down"`).
        let health = match state {
            "up" => Health::Up,
            "unchecked" => Health::Unchecked,
            _ => Health::Down,
        };
        out.push((
            Member {
                name: member_name,
                address,
                port: (port != vs_port.unwrap_or(0)).then_some(port),
                weight,
                enabled: session != "user-disabled",
            },
            MemberReport {
                health,
                status: format!("{state}, {session}"),
            },
        ));
    }
    Ok(out)
}

/// Whether the virtual address floats: its `floating`, else its traffic group (the genie
/// parser's capture of a 14.1 box lists `"floating": "enabled"` with
/// `"trafficGroup": "/Common/traffic-group-1"`). A virtual address the read did not see is not
/// floating.
fn floating(ctx: &Context<'_>, address: &str) -> Parsed<bool> {
    let Some(va) = ctx.addresses.iter().find(|a| a.full_path() == address) else {
        return Ok(false);
    };
    Ok(match va.text("floating")? {
        Some("enabled") => true,
        Some(_) => false,
        None => va
            .text("trafficGroup")?
            .is_some_and(|g| g != TRAFFIC_GROUP_LOCAL),
    })
}
