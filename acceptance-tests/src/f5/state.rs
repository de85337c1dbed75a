//! The LTM configuration of one simulated BIG-IP: its objects, the global change counter
//! (`generation`), and the rules mcpd enforces on them — names unique per collection (409),
//! references that must exist (400), objects in use that cannot be deleted (400), virtual
//! addresses made and removed with the virtuals that name them.
//!
//! What a request may say and how BIG-IP answers it, with sources:
//! - Objects carry `kind`, `name`, `partition`, `fullPath`, `generation`, `selfLink`
//!   (devices.md §4; go-bigip's structs; the pool member listing in
//!   F5Networks/f5-common-python#985). `generation` is the box's global counter at the
//!   object's last change (the same listing: a member at 3658 in a box-wide sequence).
//! - Pools list their members as `membersReference` `{link, isSubcollection}`, inlined as
//!   `items` with `?expandSubcollections=true` (iControl REST user guide, "subcollections");
//!   virtuals likewise their `profilesReference`.
//! - Member `session`/`state` as read: `monitor-enabled`/`up` when a monitor checks an enabled
//!   member (F5Networks/f5-ansible#1203, F5Networks/f5-appsvcs-extension#112: `session
//!   monitor-enabled state up`), `user-disabled` with the state kept when disabled
//!   (joel74/POSH-F5-BIGIP#7: `user-disabled up`), `user-enabled`/`unchecked` with no monitor
//!   (the GUI's "unknown" blue square; the REST words are unconfirmed), `user-down` when forced
//!   offline (`state: user-down` written, unconfirmed as read). Writes take `session`
//!   `user-enabled|user-disabled` and `state` `user-up|user-down` (devices.md §4).
//! - A virtual's destination names a virtual address; BIG-IP creates it when missing and,
//!   with `autoDelete` `true` (its default), deletes it with the last virtual naming it (tmsh
//!   reference `ltm virtual-address`, `auto-delete`).
//! - A virtual with no profiles gets `/Common/fastL4` (what tmsh `create ltm virtual` with no
//!   profile gives; unconfirmed over REST).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{json, Map, Value};

use super::error::{ApiError, ApiResult};
use super::messages::{
    ALREADY_EXISTS, BUILT_IN, INVALID_DESTINATION, INVALID_NAME, INVALID_VALUE, IN_USE,
    MISSING_PROPERTY, NOT_FOUND, POOL_IN_USE, REFERENCE_NOT_FOUND, UDP_PROFILE_NEEDS_UDP,
    UNEXPECTED_PROPERTY,
};
use super::names::{self, address_port, join_address_port, Destination, FullName, COMMON};
use super::schema::{self, Collection, Field, VERSION};

/// A virtual's profile: which one and on which side of the connection.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRef {
    pub name: FullName,
    pub collection: Collection,
    /// `all`, `clientside` or `serverside`.
    pub context: String,
}

/// A pool member.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// `64.173.55.180:0`, `2001:db8::1.5060`.
    pub name: String,
    pub partition: String,
    pub address: IpAddr,
    pub port: u16,
    pub generation: u64,
    pub props: Map<String, Value>,
    /// `session user-disabled`.
    pub disabled: bool,
    /// `state user-down` (forced offline).
    pub forced_offline: bool,
}

impl Member {
    /// `/Common/Frontends /Common/64.173.55.180 5060`, as mcpd names a member in messages
    /// (F5Networks/f5-appsvcs-extension#868).
    fn message_name(&self, pool: &FullName) -> String {
        format!(
            "{} /{}/{} {}",
            pool.path(),
            self.partition,
            self.address,
            self.port
        )
    }

    /// Whether a monitor checks it: its own, or the pool's when it says `default`.
    fn monitored(&self, pool_monitored: bool) -> bool {
        match self.props.get("monitor").and_then(Value::as_str) {
            None | Some("default") => pool_monitored,
            Some(m) => !m.trim().is_empty() && m.trim() != "none",
        }
    }
}

/// One configuration object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub name: FullName,
    pub generation: u64,
    /// Plain properties, and the normalised references (`pool`, `monitor`, `destination`,
    /// `defaultsFrom`, `persist`, `sourceAddressTranslation`, `address`).
    pub props: Map<String, Value>,
    /// A pool's members.
    pub members: Vec<Member>,
    /// A virtual's profiles.
    pub profiles: Vec<ProfileRef>,
    /// Shipped with the box (`/Common/fastL4`): cannot be deleted.
    pub built_in: bool,
}

impl Object {
    fn text(&self, key: &str) -> Option<&str> {
        self.props.get(key).and_then(Value::as_str)
    }

    /// The monitors a pool's `monitor` rule names.
    fn monitor_paths(&self) -> Vec<String> {
        self.text("monitor").map(monitor_names).unwrap_or_default()
    }

    fn destination(&self) -> Option<Destination> {
        self.text("destination").and_then(Destination::parse)
    }
}

/// The full paths a monitor rule names: `/Common/a and /Common/b`, `min 1 of { a b }`.
fn monitor_names(rule: &str) -> Vec<String> {
    let inner = match (rule.find('{'), rule.rfind('}')) {
        (Some(a), Some(b)) if a < b => &rule[a + 1..b],
        _ => rule,
    };
    inner
        .split_whitespace()
        .filter(|w| *w != "and")
        .map(str::to_string)
        .collect()
}

fn unexpected(c: &str, key: &str, value: &Value) -> ApiError {
    let pair = format!("{}:{value}", Value::String(key.to_string()));
    ApiError::icrd(400, &UNEXPECTED_PROPERTY, &[&format!("/ltm/{c}/"), &pair])
}

fn invalid(key: &str, value: &Value) -> ApiError {
    ApiError::mcpd(400, &INVALID_VALUE, &[key, &value.to_string()])
}

fn as_object(body: &Value) -> ApiResult<&Map<String, Value>> {
    body.as_object()
        .ok_or_else(|| ApiError::icrd(400, &super::messages::INVALID_JSON, &[]))
}

/// Keys a client echoes from a GET that BIG-IP ignores on a write.
fn read_only(key: &str) -> bool {
    matches!(key, "kind" | "generation" | "selfLink" | "fullPath") || key.ends_with("Reference")
}

fn folder_not_found(partition: &str) -> ApiError {
    ApiError::mcpd(400, &NOT_FOUND, &["folder", &format!("/{partition}")])
}

/// The configuration of one box.
#[derive(Debug, Clone)]
pub struct Config {
    generation: u64,
    objects: BTreeMap<(Collection, FullName), Object>,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// A fresh box: only the built-in profiles and monitors.
    pub fn new() -> Config {
        let mut config = Config {
            generation: 0,
            objects: BTreeMap::new(),
        };
        for c in Collection::ALL {
            for name in c.built_in() {
                let generation = config.bump();
                let name = FullName::common(name);
                let object = Object {
                    name: name.clone(),
                    generation,
                    props: schema::defaults(c.fields()),
                    members: Vec::new(),
                    profiles: Vec::new(),
                    built_in: true,
                };
                config.objects.insert((c, name), object);
            }
        }
        config
    }

    /// The box-wide change counter.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn bump(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    /// The object, if it exists.
    pub fn object(&self, c: Collection, name: &FullName) -> Option<&Object> {
        self.objects.get(&(c, name.clone()))
    }

    fn objects_of(&self, c: Collection) -> impl Iterator<Item = &Object> {
        self.objects
            .iter()
            .filter(move |((oc, _), _)| *oc == c)
            .map(|(_, o)| o)
    }

    fn not_found(c: Collection, name: &FullName) -> ApiError {
        ApiError::mcpd(404, &NOT_FOUND, &[c.noun(), &name.path()])
    }

    fn existing(&self, c: Collection, name: &FullName) -> ApiResult<&Object> {
        self.object(c, name).ok_or_else(|| Self::not_found(c, name))
    }

    // ---- reading ----

    /// `GET /mgmt/tm/ltm/<c>`.
    pub fn list(&self, c: Collection, expand: bool) -> Value {
        let items: Vec<Value> = self
            .objects_of(c)
            .map(|o| self.render(c, o, expand))
            .collect();
        json!({"kind": c.collection_kind(), "selfLink": c.link(), "items": items})
    }

    /// `GET /mgmt/tm/ltm/<c>/~P~name`.
    pub fn get(&self, c: Collection, name: &FullName, expand: bool) -> ApiResult<Value> {
        Ok(self.render(c, self.existing(c, name)?, expand))
    }

    fn render(&self, c: Collection, o: &Object, expand: bool) -> Value {
        let mut v = Map::new();
        v.insert("kind".into(), json!(c.kind()));
        v.insert("name".into(), json!(o.name.name));
        v.insert("partition".into(), json!(o.name.partition));
        v.insert("fullPath".into(), json!(o.name.path()));
        v.insert("generation".into(), json!(o.generation));
        v.insert(
            "selfLink".into(),
            json!(c.object_link(&o.name.partition, &o.name.name)),
        );
        for (k, val) in &o.props {
            v.insert(k.clone(), val.clone());
        }
        let base = c.object_link(&o.name.partition, &o.name.name);
        let sub_link = |sub: &str| base.replacen('?', &format!("/{sub}?"), 1);
        match c {
            Collection::Pool => {
                let mut reference = json!({"link": sub_link("members"), "isSubcollection": true});
                // An empty subcollection has no `items` [unconfirmed].
                if expand && !o.members.is_empty() {
                    reference["items"] = json!(self.render_members(o));
                }
                v.insert("membersReference".into(), reference);
            }
            Collection::Virtual => {
                if let Some(pool) = o.text("pool").and_then(names::from_reference) {
                    v.insert(
                        "poolReference".into(),
                        json!({"link": Collection::Pool.object_link(&pool.partition, &pool.name)}),
                    );
                }
                let mut reference = json!({"link": sub_link("profiles"), "isSubcollection": true});
                if expand && !o.profiles.is_empty() {
                    reference["items"] = json!(Self::render_profiles(o));
                }
                v.insert("profilesReference".into(), reference);
            }
            _ => {}
        }
        Value::Object(v)
    }

    fn render_members(&self, pool: &Object) -> Vec<Value> {
        let monitored = !pool.monitor_paths().is_empty();
        pool.members
            .iter()
            .map(|m| Self::render_member(&pool.name, monitored, m))
            .collect()
    }

    fn member_link(pool: &FullName, m: &Member) -> String {
        format!(
            "https://localhost/mgmt/tm/ltm/pool/~{}~{}/members/~{}~{}?ver={VERSION}",
            pool.partition, pool.name, m.partition, m.name
        )
    }

    fn render_member(pool: &FullName, pool_monitored: bool, m: &Member) -> Value {
        let mut v = Map::new();
        v.insert("kind".into(), json!("tm:ltm:pool:members:membersstate"));
        v.insert("name".into(), json!(m.name));
        v.insert("partition".into(), json!(m.partition));
        v.insert(
            "fullPath".into(),
            json!(format!("/{}/{}", m.partition, m.name)),
        );
        v.insert("generation".into(), json!(m.generation));
        v.insert("selfLink".into(), json!(Self::member_link(pool, m)));
        v.insert("address".into(), json!(m.address.to_string()));
        for (k, val) in &m.props {
            v.insert(k.clone(), val.clone());
        }
        let monitored = m.monitored(pool_monitored);
        let session = match (m.disabled, monitored) {
            (true, _) => "user-disabled",
            (false, true) => "monitor-enabled",
            (false, false) => "user-enabled",
        };
        let state = match (m.forced_offline, monitored) {
            (true, _) => "user-down",
            (false, true) => "up",
            (false, false) => "unchecked",
        };
        v.insert("session".into(), json!(session));
        v.insert("state".into(), json!(state));
        Value::Object(v)
    }

    fn render_profiles(virtual_: &Object) -> Vec<Value> {
        let base = Collection::Virtual.object_link(&virtual_.name.partition, &virtual_.name.name);
        virtual_
            .profiles
            .iter()
            .map(|p| {
                let link = base.replacen(
                    '?',
                    &format!("/profiles/~{}~{}?", p.name.partition, p.name.name),
                    1,
                );
                json!({
                    "kind": "tm:ltm:virtual:profiles:profilesstate",
                    "name": p.name.name,
                    "partition": p.name.partition,
                    "fullPath": p.name.path(),
                    "generation": virtual_.generation,
                    "selfLink": link,
                    "context": p.context,
                    "nameReference": {
                        "link": p.collection.object_link(&p.name.partition, &p.name.name)
                    },
                })
            })
            .collect()
    }

    // ---- writing ----

    /// The name and partition a POST body gives (`"name":"x"` with an optional
    /// `"partition"`, or `"name":"/Common/x"`).
    fn name_in_body(body: &Map<String, Value>) -> ApiResult<FullName> {
        let name = match body.get("name") {
            Some(Value::String(s)) => s,
            Some(other) => return Err(invalid("name", other)),
            None => return Err(ApiError::mcpd(400, &MISSING_PROPERTY, &["name"])),
        };
        let mut full = if name.starts_with('/') {
            names::from_reference(name)
        } else {
            names::valid_name(name).then(|| FullName::common(name))
        }
        .ok_or_else(|| ApiError::mcpd(400, &INVALID_NAME, &[name]))?;
        if let Some(p) = body.get("partition") {
            let p = p.as_str().ok_or_else(|| invalid("partition", p))?;
            if !name.starts_with('/') {
                full.partition = p.to_string();
            } else if p != full.partition {
                return Err(invalid("partition", &json!(p)));
            }
        }
        if full.partition != COMMON {
            return Err(folder_not_found(&full.partition));
        }
        Ok(full)
    }

    /// A write to an object named by its URL may repeat its name and partition, not change them.
    fn same_name(body: &Map<String, Value>, name: &FullName) -> ApiResult<()> {
        if let Some(n) = body.get("name") {
            let ok = n
                .as_str()
                .is_some_and(|s| s == name.name || s == name.path());
            if !ok {
                return Err(invalid("name", n));
            }
        }
        if let Some(p) = body.get("partition") {
            if p.as_str() != Some(name.partition.as_str()) {
                return Err(invalid("partition", p));
            }
        }
        Ok(())
    }

    /// A reference to an object of one of `collections`, normalised to its full path; the
    /// 400 mcpd answers when it does not exist (`what`: "pool", "profile", "monitor").
    fn reference(
        &self,
        key: &str,
        value: &Value,
        collections: &[Collection],
        what: &str,
    ) -> ApiResult<(FullName, Collection)> {
        let text = value.as_str().ok_or_else(|| invalid(key, value))?;
        let name = names::from_reference(text).ok_or_else(|| invalid(key, value))?;
        collections
            .iter()
            .find(|c| self.object(**c, &name).is_some())
            .map(|c| (name.clone(), *c))
            .ok_or_else(|| ApiError::mcpd(400, &REFERENCE_NOT_FOUND, &[what, &name.path()]))
    }

    fn monitor_rule(&self, value: &Value) -> ApiResult<Option<String>> {
        let text = value.as_str().ok_or_else(|| invalid("monitor", value))?;
        let text = text.trim();
        if text.is_empty() || text == "none" {
            return Ok(None);
        }
        let monitors: Vec<Collection> = Collection::ALL
            .into_iter()
            .filter(|c| c.is_monitor())
            .collect();
        let mut paths = Vec::new();
        for name in monitor_names(text) {
            let (full, _) = self.reference("monitor", &json!(name), &monitors, "monitor")?;
            paths.push(full.path());
        }
        if paths.is_empty() {
            return Err(invalid("monitor", value));
        }
        Ok(Some(match text.strip_prefix("min ") {
            Some(rest) => {
                let n = rest.split_whitespace().next().unwrap_or("1");
                format!("min {n} of {{ {} }}", paths.join(" "))
            }
            None => paths.join(" and "),
        }))
    }

    fn profiles(&self, value: &Value) -> ApiResult<Vec<ProfileRef>> {
        let items = value.as_array().ok_or_else(|| invalid("profiles", value))?;
        let profile_collections: Vec<Collection> = Collection::ALL
            .into_iter()
            .filter(|c| c.is_profile())
            .collect();
        let mut out: Vec<ProfileRef> = Vec::new();
        for item in items {
            let (name_value, context) = match item {
                Value::String(_) => (item.clone(), "all".to_string()),
                Value::Object(o) => {
                    for k in o.keys() {
                        if !matches!(k.as_str(), "name" | "context" | "partition") && !read_only(k)
                        {
                            return Err(unexpected("virtual/profiles", k, &o[k]));
                        }
                    }
                    let name = o.get("name").cloned().unwrap_or(Value::Null);
                    let name = match (o.get("partition").and_then(Value::as_str), name.as_str()) {
                        (Some(p), Some(n)) if !n.starts_with('/') => json!(format!("/{p}/{n}")),
                        _ => name,
                    };
                    let context = match o.get("context") {
                        None => "all".to_string(),
                        Some(Value::String(c))
                            if ["all", "clientside", "serverside"].contains(&c.as_str()) =>
                        {
                            c.clone()
                        }
                        Some(other) => return Err(invalid("context", other)),
                    };
                    (name, context)
                }
                other => return Err(invalid("profiles", other)),
            };
            let (name, collection) =
                self.reference("profiles", &name_value, &profile_collections, "profile")?;
            if !out.iter().any(|p| p.name == name) {
                out.push(ProfileRef {
                    name,
                    collection,
                    context,
                });
            }
        }
        Ok(out)
    }

    fn persist(value: &Value) -> ApiResult<Value> {
        let items = value.as_array().ok_or_else(|| invalid("persist", value))?;
        let mut out = Vec::new();
        for item in items {
            let name = match item {
                Value::String(s) => s.as_str(),
                Value::Object(o) => o
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("persist", item))?,
                other => return Err(invalid("persist", other)),
            };
            let name = names::from_reference(name).ok_or_else(|| invalid("persist", item))?;
            out.push(json!({"name": name.name, "partition": name.partition, "tmDefault": "yes"}));
        }
        Ok(Value::Array(out))
    }

    fn source_address_translation(value: &Value) -> ApiResult<Value> {
        let o = value
            .as_object()
            .ok_or_else(|| invalid("sourceAddressTranslation", value))?;
        let mut out = Map::new();
        for (k, v) in o {
            match k.as_str() {
                "type" => match v.as_str() {
                    Some(t @ ("none" | "automap" | "snat" | "lsn")) => {
                        out.insert("type".into(), json!(t));
                    }
                    _ => return Err(invalid("type", v)),
                },
                "pool" => {
                    let s = v.as_str().ok_or_else(|| invalid("pool", v))?;
                    if !s.is_empty() {
                        out.insert("pool".into(), json!(s));
                    }
                }
                _ if read_only(k) => {}
                _ => return Err(unexpected("virtual/sourceAddressTranslation", k, v)),
            }
        }
        out.entry("type").or_insert(json!("none"));
        Ok(Value::Object(out))
    }

    /// The properties a new object of `c` starts from: the defaults, or for a profile or a
    /// monitor those of the object its `defaultsFrom` names (the seed's `defaults from
    /// fastL4`), which must exist.
    fn starting_props(
        &self,
        c: Collection,
        body: &Map<String, Value>,
    ) -> ApiResult<Map<String, Value>> {
        let mut props = schema::defaults(c.fields());
        if c.is_profile() || c.is_monitor() {
            let parent = match body.get("defaultsFrom") {
                Some(v) => self.reference("defaultsFrom", v, &[c], c.noun())?.0,
                None => FullName::common(c.built_in().first().copied().unwrap_or_default()),
            };
            if let Some(p) = self.object(c, &parent) {
                for (k, v) in &p.props {
                    if k != "description" && k != "defaultsFrom" {
                        props.insert(k.clone(), v.clone());
                    }
                }
            }
            props.insert("defaultsFrom".into(), json!(parent.path()));
        }
        Ok(props)
    }

    /// Applies `body` to `object` (whose props are already the starting point).
    fn apply(
        &self,
        c: Collection,
        object: &mut Object,
        body: &Map<String, Value>,
    ) -> ApiResult<()> {
        for (key, value) in body {
            if key == "name" || key == "partition" || read_only(key) {
                continue;
            }
            match (c, key.as_str()) {
                (Collection::Pool, "monitor") => match self.monitor_rule(value)? {
                    Some(rule) => {
                        object.props.insert("monitor".into(), json!(rule));
                    }
                    None => {
                        object.props.remove("monitor");
                    }
                },
                (Collection::Pool, "members") => {
                    let items = value.as_array().ok_or_else(|| invalid("members", value))?;
                    let mut members: Vec<Member> = Vec::new();
                    for item in items {
                        let item = item.as_object().ok_or_else(|| invalid("members", item))?;
                        let m = self.build_member(item, None)?;
                        if members.iter().any(|x| x.name == m.name) {
                            return Err(invalid("members", &json!(m.name)));
                        }
                        members.push(m);
                    }
                    object.members = members;
                }
                (Collection::Virtual, "destination") => {
                    let d = value.as_str().and_then(Destination::parse).ok_or_else(|| {
                        ApiError::mcpd(400, &INVALID_DESTINATION, &[&value.to_string()])
                    })?;
                    if d.partition != COMMON {
                        return Err(folder_not_found(&d.partition));
                    }
                    object.props.insert("destination".into(), json!(d.text()));
                }
                (Collection::Virtual, "pool") => {
                    if value.as_str().is_some_and(|s| s.is_empty() || s == "none") {
                        object.props.remove("pool");
                    } else {
                        let (pool, _) =
                            self.reference("pool", value, &[Collection::Pool], "pool")?;
                        object.props.insert("pool".into(), json!(pool.path()));
                    }
                }
                (Collection::Virtual, "profiles") => object.profiles = self.profiles(value)?,
                (Collection::Virtual, "persist") => {
                    object.props.insert("persist".into(), Self::persist(value)?);
                }
                (Collection::Virtual, "sourceAddressTranslation") => {
                    object.props.insert(
                        "sourceAddressTranslation".into(),
                        Self::source_address_translation(value)?,
                    );
                }
                (Collection::VirtualAddress, "address") => {
                    let ip: IpAddr = value
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| invalid("address", value))?;
                    object.props.insert("address".into(), json!(ip.to_string()));
                }
                (_, "defaultsFrom") if c.is_profile() || c.is_monitor() => {
                    let (parent, _) = self.reference(key, value, &[c], c.noun())?;
                    if parent == object.name {
                        return Err(invalid(key, value));
                    }
                    object.props.insert(key.clone(), json!(parent.path()));
                }
                _ => {
                    let field: Field = schema::field(c.fields(), key)
                        .ok_or_else(|| unexpected(c.path(), key, value))?;
                    let checked = schema::check(field, value)?;
                    object.props.insert(key.clone(), checked);
                }
            }
        }
        if c == Collection::Virtual {
            // `enabled`/`disabled` and `vlansEnabled`/`vlansDisabled` are pairs: setting one
            // true clears the other (go-bigip sends either).
            for (a, b) in [("enabled", "disabled"), ("vlansEnabled", "vlansDisabled")] {
                if body.get(a) == Some(&json!(true)) {
                    object.props.remove(b);
                } else if body.get(b) == Some(&json!(true)) {
                    object.props.remove(a);
                }
            }
            if !object.props.contains_key("destination") {
                return Err(ApiError::mcpd(400, &MISSING_PROPERTY, &["destination"]));
            }
            if object.profiles.is_empty() {
                object.profiles.push(ProfileRef {
                    name: FullName::common("fastL4"),
                    collection: Collection::Fastl4,
                    context: "all".into(),
                });
            }
            object
                .props
                .entry("sourceAddressTranslation")
                .or_insert(json!({"type": "none"}));
            // A UDP profile only carries UDP; fastL4 carries any protocol (the seed's
            // `ipProtocol any` virtual uses it).
            if object.text("ipProtocol") != Some("udp") {
                if let Some(p) = object
                    .profiles
                    .iter()
                    .find(|p| p.collection == Collection::Udp)
                {
                    return Err(ApiError::mcpd(
                        400,
                        &UDP_PROFILE_NEEDS_UDP,
                        &[&p.name.path(), &object.name.path()],
                    ));
                }
            }
        }
        if c == Collection::VirtualAddress {
            let address = object.name.name.parse::<IpAddr>().ok();
            let given = object
                .text("address")
                .and_then(|a| a.parse::<IpAddr>().ok());
            match (address, given) {
                (_, Some(_)) => {}
                (Some(ip), None) => {
                    object.props.insert("address".into(), json!(ip.to_string()));
                }
                (None, None) => return Err(ApiError::mcpd(400, &MISSING_PROPERTY, &["address"])),
            }
        }
        Ok(())
    }

    /// `POST /mgmt/tm/ltm/<c>`: 409 when it exists.
    pub fn create(&mut self, c: Collection, body: &Value) -> ApiResult<Value> {
        let body = as_object(body)?;
        let name = Self::name_in_body(body)?;
        if self.object(c, &name).is_some() {
            return Err(ApiError::mcpd(
                409,
                &ALREADY_EXISTS,
                &[c.noun(), &name.path(), &name.partition],
            ));
        }
        let mut object = Object {
            name: name.clone(),
            generation: 0,
            props: self.starting_props(c, body)?,
            members: Vec::new(),
            profiles: Vec::new(),
            built_in: false,
        };
        self.apply(c, &mut object, body)?;
        self.store(c, object, None);
        self.get(c, &name, false)
    }

    /// `PATCH` (`replace: false`: only what the body names changes) or `PUT` (`replace:
    /// true`: everything the body leaves out returns to its default).
    pub fn update(
        &mut self,
        c: Collection,
        name: &FullName,
        body: &Value,
        replace: bool,
    ) -> ApiResult<Value> {
        let body = as_object(body)?;
        let existing = self.existing(c, name)?.clone();
        Self::same_name(body, name)?;
        let mut object = existing.clone();
        if replace {
            object.props = self.starting_props(c, body)?;
            object.members.clear();
            object.profiles.clear();
            if c == Collection::Virtual && !body.contains_key("destination") {
                // The destination is the virtual's identity on the wire; a PUT without one
                // keeps it [unconfirmed].
                if let Some(d) = existing.props.get("destination") {
                    object.props.insert("destination".into(), d.clone());
                }
            }
        }
        self.apply(c, &mut object, body)?;
        self.store(c, object, Some(&existing));
        self.get(c, name, false)
    }

    /// Stores a created or changed object with a new generation; a virtual's address follows
    /// its destination.
    fn store(&mut self, c: Collection, mut object: Object, before: Option<&Object>) {
        let generation = self.bump();
        object.generation = generation;
        let new_destination = object.destination();
        let old_destination = before.and_then(Object::destination);
        for m in &mut object.members {
            let unchanged = before
                .and_then(|b| b.members.iter().find(|x| x.name == m.name))
                .filter(|x| x.props == m.props && x.disabled == m.disabled)
                .map(|x| x.generation);
            m.generation = unchanged.unwrap_or(generation);
        }
        let mask = object.text("mask").unwrap_or("255.255.255.255").to_string();
        self.objects.insert((c, object.name.clone()), object);
        if c == Collection::Virtual {
            if let Some(d) = &new_destination {
                self.ensure_virtual_address(d, &mask);
            }
            if let Some(old) = old_destination {
                if new_destination.as_ref().map(|d| d.address) != Some(old.address) {
                    self.release_virtual_address(&old);
                }
            }
        }
    }

    /// The virtual address a destination names, made when missing (as BIG-IP does).
    fn ensure_virtual_address(&mut self, d: &Destination, mask: &str) {
        let name = d.address_name();
        if self.object(Collection::VirtualAddress, &name).is_some() {
            return;
        }
        let generation = self.bump();
        let mut props = schema::defaults(Collection::VirtualAddress.fields());
        props.insert("address".into(), json!(d.address.to_string()));
        props.insert("mask".into(), json!(mask));
        let object = Object {
            name: name.clone(),
            generation,
            props,
            members: Vec::new(),
            profiles: Vec::new(),
            built_in: false,
        };
        self.objects
            .insert((Collection::VirtualAddress, name), object);
    }

    /// Deletes the virtual address of `d` when no virtual names it and its `autoDelete` is
    /// `true`.
    fn release_virtual_address(&mut self, d: &Destination) {
        let name = d.address_name();
        if self.virtual_using_address(&name).is_some() {
            return;
        }
        let auto = self
            .object(Collection::VirtualAddress, &name)
            .is_some_and(|o| o.text("autoDelete") == Some("true"));
        if auto {
            self.objects.remove(&(Collection::VirtualAddress, name));
            self.bump();
        }
    }

    fn virtual_using_address(&self, address: &FullName) -> Option<FullName> {
        self.objects_of(Collection::Virtual)
            .find(|v| {
                v.destination()
                    .is_some_and(|d| &d.address_name() == address)
            })
            .map(|v| v.name.clone())
    }

    /// Who uses the object (its type as mcpd names it, and its full path), if anyone.
    fn user_of(&self, c: Collection, name: &FullName) -> Option<(&'static str, String)> {
        let path = name.path();
        match c {
            Collection::Pool => self
                .objects_of(Collection::Virtual)
                .find(|v| v.text("pool") == Some(path.as_str()))
                .map(|v| ("Virtual Server", v.name.path())),
            Collection::VirtualAddress => self
                .virtual_using_address(name)
                .map(|v| ("Virtual Server", v.path())),
            _ if c.is_profile() => self
                .objects_of(Collection::Virtual)
                .find(|v| v.profiles.iter().any(|p| &p.name == name))
                .map(|v| ("Virtual Server", v.name.path()))
                .or_else(|| self.child_of(c, &path).map(|p| ("Profile", p))),
            _ if c.is_monitor() => self
                .objects_of(Collection::Pool)
                .find(|p| {
                    p.monitor_paths().contains(&path)
                        || p.members.iter().any(|m| {
                            m.props
                                .get("monitor")
                                .and_then(Value::as_str)
                                .is_some_and(|r| monitor_names(r).contains(&path))
                        })
                })
                .map(|p| ("Pool", p.name.path()))
                .or_else(|| self.child_of(c, &path).map(|p| ("Monitor", p))),
            _ => None,
        }
    }

    /// A profile or monitor whose `defaultsFrom` is `parent`.
    fn child_of(&self, c: Collection, parent: &str) -> Option<String> {
        self.objects_of(c)
            .find(|o| o.text("defaultsFrom") == Some(parent))
            .map(|o| o.name.path())
    }

    /// `DELETE /mgmt/tm/ltm/<c>/~P~name`: 400 when in use or built in.
    pub fn delete(&mut self, c: Collection, name: &FullName) -> ApiResult<()> {
        let object = self.existing(c, name)?.clone();
        if object.built_in {
            return Err(ApiError::mcpd(400, &BUILT_IN, &[c.noun(), &name.path()]));
        }
        if let Some((user_type, user)) = self.user_of(c, name) {
            return Err(if c == Collection::Pool {
                ApiError::mcpd(400, &POOL_IN_USE, &[&name.path(), &user])
            } else {
                ApiError::mcpd(400, &IN_USE, &[c.noun(), &name.path(), user_type, &user])
            });
        }
        self.objects.remove(&(c, name.clone()));
        self.bump();
        if let Some(d) = object.destination() {
            self.release_virtual_address(&d);
        }
        Ok(())
    }

    // ---- members ----

    /// A member from a body (`existing`: the member a PATCH changes).
    fn build_member(
        &self,
        body: &Map<String, Value>,
        existing: Option<&Member>,
    ) -> ApiResult<Member> {
        let mut m = match existing {
            Some(m) => m.clone(),
            None => {
                let name_value = body
                    .get("name")
                    .ok_or_else(|| ApiError::mcpd(400, &MISSING_PROPERTY, &["name"]))?;
                let text = name_value
                    .as_str()
                    .ok_or_else(|| invalid("name", name_value))?;
                let reference = names::from_reference(text)
                    .ok_or_else(|| ApiError::mcpd(400, &INVALID_NAME, &[text]))?;
                let (address, port) = address_port(&reference.name)
                    .ok_or_else(|| ApiError::mcpd(400, &INVALID_NAME, &[text]))?;
                let partition = match body.get("partition") {
                    None => reference.partition.clone(),
                    Some(p) => p
                        .as_str()
                        .ok_or_else(|| invalid("partition", p))?
                        .to_string(),
                };
                if partition != COMMON {
                    return Err(folder_not_found(&partition));
                }
                Member {
                    name: join_address_port(address, port),
                    partition,
                    address,
                    port,
                    generation: 0,
                    props: schema::defaults(schema::MEMBER),
                    disabled: false,
                    forced_offline: false,
                }
            }
        };
        for (key, value) in body {
            match key.as_str() {
                "name" => {
                    if existing.is_some() {
                        let same = value
                            .as_str()
                            .and_then(names::from_reference)
                            .and_then(|r| address_port(&r.name))
                            == Some((m.address, m.port));
                        if !same {
                            return Err(invalid("name", value));
                        }
                    }
                }
                "partition" => {
                    if value.as_str() != Some(m.partition.as_str()) {
                        return Err(invalid("partition", value));
                    }
                }
                "address" => {
                    let ip = value.as_str().and_then(|s| s.parse::<IpAddr>().ok());
                    if ip != Some(m.address) {
                        return Err(invalid("address", value));
                    }
                }
                "session" => {
                    m.disabled = match value.as_str() {
                        Some("user-enabled" | "monitor-enabled") => false,
                        Some("user-disabled") => true,
                        _ => return Err(invalid("session", value)),
                    }
                }
                "state" => {
                    m.forced_offline = match value.as_str() {
                        Some("user-up") => false,
                        Some("user-down") => true,
                        _ => return Err(invalid("state", value)),
                    }
                }
                k if read_only(k) => {}
                _ => {
                    let field = schema::field(schema::MEMBER, key)
                        .ok_or_else(|| unexpected("pool/members", key, value))?;
                    m.props.insert(key.clone(), schema::check(field, value)?);
                }
            }
        }
        Ok(m)
    }

    fn pool(&self, pool: &FullName) -> ApiResult<&Object> {
        self.existing(Collection::Pool, pool)
    }

    /// The member a URL segment (`~Common~10.0.0.1:5060`, `10.0.0.1:any`) names.
    fn find_member<'a>(pool: &'a Object, segment: &FullName) -> Option<&'a Member> {
        let (address, port) = address_port(&segment.name)?;
        pool.members
            .iter()
            .find(|m| m.partition == segment.partition && m.address == address && m.port == port)
    }

    fn member_not_found(pool: &FullName, segment: &FullName) -> ApiError {
        let shown = match address_port(&segment.name) {
            Some((a, p)) => format!("{} /{}/{a} {p}", pool.path(), segment.partition),
            None => format!("{} /{}/{}", pool.path(), segment.partition, segment.name),
        };
        ApiError::mcpd(404, &NOT_FOUND, &["Pool Member", &shown])
    }

    /// `GET /mgmt/tm/ltm/pool/~P~p/members`.
    pub fn list_members(&self, pool: &FullName) -> ApiResult<Value> {
        let p = self.pool(pool)?;
        let link = Collection::Pool
            .object_link(&pool.partition, &pool.name)
            .replacen('?', "/members?", 1);
        Ok(json!({
            "kind": "tm:ltm:pool:members:memberscollectionstate",
            "selfLink": link,
            "items": self.render_members(p),
        }))
    }

    /// `GET .../members/~P~addr:port`.
    pub fn get_member(&self, pool: &FullName, member: &FullName) -> ApiResult<Value> {
        let p = self.pool(pool)?;
        let m = Self::find_member(p, member).ok_or_else(|| Self::member_not_found(pool, member))?;
        Ok(Self::render_member(pool, !p.monitor_paths().is_empty(), m))
    }

    /// `POST .../members`: 409 when the pool has it.
    pub fn create_member(&mut self, pool: &FullName, body: &Value) -> ApiResult<Value> {
        let body = as_object(body)?;
        let p = self.pool(pool)?;
        let m = self.build_member(body, None)?;
        if p.members.iter().any(|x| x.name == m.name) {
            return Err(ApiError::mcpd(
                409,
                &ALREADY_EXISTS,
                &["Pool Member", &m.message_name(pool), &pool.partition],
            ));
        }
        let generation = self.bump();
        let key = FullName {
            partition: m.partition.clone(),
            name: m.name.clone(),
        };
        if let Some(p) = self.objects.get_mut(&(Collection::Pool, pool.clone())) {
            let mut m = m;
            m.generation = generation;
            p.members.push(m);
        }
        self.get_member(pool, &key)
    }

    /// `PATCH`/`PUT .../members/~P~addr:port`.
    pub fn update_member(
        &mut self,
        pool: &FullName,
        member: &FullName,
        body: &Value,
        replace: bool,
    ) -> ApiResult<Value> {
        let body = as_object(body)?;
        let p = self.pool(pool)?;
        let existing = Self::find_member(p, member)
            .ok_or_else(|| Self::member_not_found(pool, member))?
            .clone();
        let mut base = existing.clone();
        if replace {
            base.props = schema::defaults(schema::MEMBER);
            base.disabled = false;
            base.forced_offline = false;
        }
        let mut m = self.build_member(body, Some(&base))?;
        m.generation = self.bump();
        if let Some(p) = self.objects.get_mut(&(Collection::Pool, pool.clone())) {
            if let Some(slot) = p.members.iter_mut().find(|x| x.name == existing.name) {
                *slot = m;
            }
        }
        self.get_member(pool, member)
    }

    /// `DELETE .../members/~P~addr:port`.
    pub fn delete_member(&mut self, pool: &FullName, member: &FullName) -> ApiResult<()> {
        let p = self.pool(pool)?;
        let existing = Self::find_member(p, member)
            .ok_or_else(|| Self::member_not_found(pool, member))?
            .name
            .clone();
        self.bump();
        if let Some(p) = self.objects.get_mut(&(Collection::Pool, pool.clone())) {
            p.members.retain(|m| m.name != existing);
        }
        Ok(())
    }

    // ---- a virtual's profiles ----

    /// `GET /mgmt/tm/ltm/virtual/~P~v/profiles`.
    pub fn list_profiles(&self, virtual_: &FullName) -> ApiResult<Value> {
        let v = self.existing(Collection::Virtual, virtual_)?;
        let link = Collection::Virtual
            .object_link(&virtual_.partition, &virtual_.name)
            .replacen('?', "/profiles?", 1);
        Ok(json!({
            "kind": "tm:ltm:virtual:profiles:profilescollectionstate",
            "selfLink": link,
            "items": Self::render_profiles(v),
        }))
    }

    /// `GET /mgmt/tm/ltm/virtual/~P~v/profiles/~P~name`.
    pub fn get_profile(&self, virtual_: &FullName, profile: &FullName) -> ApiResult<Value> {
        let v = self.existing(Collection::Virtual, virtual_)?;
        let items = Self::render_profiles(v);
        v.profiles
            .iter()
            .zip(items)
            .find(|(p, _)| &p.name == profile)
            .map(|(_, item)| item)
            .ok_or_else(|| ApiError::mcpd(404, &NOT_FOUND, &["Profile", &profile.path()]))
    }
}
