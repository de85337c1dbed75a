//! The LTM collections the simulator serves and the plain properties of each: name, what values
//! BIG-IP takes, and the default a new object gets. Properties with a meaning beyond their value
//! (references, a pool's members, a virtual's destination) are handled in [`super::state`].
//!
//! Sources: property names and values from devices.md §4 (terraform-provider-bigip's vendored
//! go-bigip `ltm.go`, Ansible `bigip_virtual_server`, `bigip_pool`), the seed's tmsh example;
//! defaults are BIG-IP 16.1's as REST shows them (pool and member fields as in the member
//! listing quoted in F5Networks/f5-common-python#985; fastL4/UDP/monitor defaults from F5's
//! tmsh reference pages: idle-timeout 300 fastL4, 60 udp, monitor interval 5 timeout 16).

use serde_json::{json, Map, Value};

use super::error::{ApiError, ApiResult};
use super::messages::INVALID_VALUE;

/// `?ver=` in every `selfLink`, the version the simulator claims.
pub const VERSION: &str = "16.1.0";

/// One collection under `/mgmt/tm/ltm/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Collection {
    Pool,
    Virtual,
    VirtualAddress,
    Fastl4,
    Udp,
    MonitorIcmp,
    MonitorGatewayIcmp,
    MonitorTcp,
    MonitorSmtp,
}

impl Collection {
    pub const ALL: [Collection; 9] = [
        Collection::Pool,
        Collection::Virtual,
        Collection::VirtualAddress,
        Collection::Fastl4,
        Collection::Udp,
        Collection::MonitorIcmp,
        Collection::MonitorGatewayIcmp,
        Collection::MonitorTcp,
        Collection::MonitorSmtp,
    ];

    /// Its path under `/mgmt/tm/ltm/`.
    pub fn path(self) -> &'static str {
        match self {
            Collection::Pool => "pool",
            Collection::Virtual => "virtual",
            Collection::VirtualAddress => "virtual-address",
            Collection::Fastl4 => "profile/fastl4",
            Collection::Udp => "profile/udp",
            Collection::MonitorIcmp => "monitor/icmp",
            Collection::MonitorGatewayIcmp => "monitor/gateway-icmp",
            Collection::MonitorTcp => "monitor/tcp",
            Collection::MonitorSmtp => "monitor/smtp",
        }
    }

    pub fn from_path(path: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.path() == path)
    }

    /// `kind` of one object: `tm:ltm:pool:poolstate`, `tm:ltm:profile:fastl4:fastl4state`.
    pub fn kind(self) -> String {
        let parts: Vec<&str> = self.path().split('/').collect();
        let last = parts.last().copied().unwrap_or_default();
        format!("tm:ltm:{}:{last}state", parts.join(":"))
    }

    /// `kind` of the collection: `tm:ltm:pool:poolcollectionstate`.
    pub fn collection_kind(self) -> String {
        let parts: Vec<&str> = self.path().split('/').collect();
        let last = parts.last().copied().unwrap_or_default();
        format!("tm:ltm:{}:{last}collectionstate", parts.join(":"))
    }

    /// What mcpd calls one in its messages ("The requested Pool (...)"). "Pool", "Virtual
    /// Server", "Pool Member" are seen in captures (see messages.rs); the others unconfirmed.
    pub fn noun(self) -> &'static str {
        match self {
            Collection::Pool => "Pool",
            Collection::Virtual => "Virtual Server",
            Collection::VirtualAddress => "Virtual Address",
            Collection::Fastl4 | Collection::Udp => "Profile",
            _ => "Monitor",
        }
    }

    pub fn is_profile(self) -> bool {
        matches!(self, Collection::Fastl4 | Collection::Udp)
    }

    pub fn is_monitor(self) -> bool {
        matches!(
            self,
            Collection::MonitorIcmp
                | Collection::MonitorGatewayIcmp
                | Collection::MonitorTcp
                | Collection::MonitorSmtp
        )
    }

    /// The collection's `selfLink`.
    pub fn link(self) -> String {
        format!(
            "https://localhost/mgmt/tm/ltm/{}?ver={VERSION}",
            self.path()
        )
    }

    /// An object's `selfLink`.
    pub fn object_link(self, partition: &str, name: &str) -> String {
        format!(
            "https://localhost/mgmt/tm/ltm/{}/~{partition}~{name}?ver={VERSION}",
            self.path()
        )
    }

    /// Its plain properties.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Collection::Pool => POOL,
            Collection::Virtual => VIRTUAL,
            Collection::VirtualAddress => VIRTUAL_ADDRESS,
            Collection::Fastl4 => FASTL4,
            Collection::Udp => UDP,
            Collection::MonitorIcmp | Collection::MonitorGatewayIcmp => MONITOR_ICMP,
            Collection::MonitorTcp => MONITOR_TCP,
            Collection::MonitorSmtp => MONITOR_SMTP,
        }
    }

    /// The objects a fresh BIG-IP has in this collection (names in `/Common`), which a custom
    /// one names in `defaultsFrom` (the seed's `defaults from fastL4`, `defaults from smtp`).
    pub fn built_in(self) -> &'static [&'static str] {
        match self {
            Collection::Fastl4 => &["fastL4"],
            Collection::Udp => &["udp"],
            Collection::MonitorIcmp => &["icmp"],
            Collection::MonitorGatewayIcmp => &["gateway_icmp"],
            Collection::MonitorTcp => &["tcp"],
            Collection::MonitorSmtp => &["smtp"],
            _ => &[],
        }
    }
}

/// What values a property takes.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    OneOf(&'static [&'static str]),
    Int {
        min: i64,
        max: i64,
    },
    /// A number of seconds or one of the words (`idleTimeout`: `indefinite`, `immediate`).
    IntOr {
        min: i64,
        max: i64,
        words: &'static [&'static str],
    },
    Text,
    Flag,
    /// A JSON object, kept as given (a member's `fqdn`).
    Object,
    /// A list of strings (`vlans`, `rules`).
    TextList,
}

/// A default value.
#[derive(Debug, Clone, Copy)]
pub enum Dv {
    S(&'static str),
    I(i64),
    B(bool),
}

impl Dv {
    fn value(self) -> Value {
        match self {
            Dv::S(s) => json!(s),
            Dv::I(i) => json!(i),
            Dv::B(b) => json!(b),
        }
    }
}

/// One plain property; `default: None` means absent until set.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub rule: Rule,
    pub default: Option<Dv>,
}

const fn f(name: &'static str, rule: Rule, default: Option<Dv>) -> Field {
    Field {
        name,
        rule,
        default,
    }
}

const ED: Rule = Rule::OneOf(&["enabled", "disabled"]);
const YN: Rule = Rule::OneOf(&["yes", "no"]);
const TF: Rule = Rule::OneOf(&["true", "false"]);
const COUNT: Rule = Rule::Int {
    min: 0,
    max: 4_294_967_295,
};
const SECONDS: Rule = Rule::IntOr {
    min: 0,
    max: 4_294_967_295,
    words: &["indefinite", "immediate"],
};
const DIS: Option<Dv> = Some(Dv::S("disabled"));
const ENA: Option<Dv> = Some(Dv::S("enabled"));

/// Load-balancing methods of tmsh `ltm pool load-balancing-mode`.
pub const LB_MODES: &[&str] = &[
    "round-robin",
    "ratio-member",
    "ratio-node",
    "ratio-session",
    "ratio-least-connections-member",
    "ratio-least-connections-node",
    "least-connections-member",
    "least-connections-node",
    "least-sessions",
    "weighted-least-connections-member",
    "weighted-least-connections-node",
    "observed-member",
    "observed-node",
    "predictive-member",
    "predictive-node",
    "fastest-node",
    "fastest-app-response",
    "dynamic-ratio-member",
    "dynamic-ratio-node",
];

const POOL: &[Field] = &[
    f("description", Rule::Text, None),
    f("allowNat", YN, Some(Dv::S("yes"))),
    f("allowSnat", YN, Some(Dv::S("yes"))),
    f("ignorePersistedWeight", ED, DIS),
    f("ipTosToClient", Rule::Text, Some(Dv::S("pass-through"))),
    f("ipTosToServer", Rule::Text, Some(Dv::S("pass-through"))),
    f("linkQosToClient", Rule::Text, Some(Dv::S("pass-through"))),
    f("linkQosToServer", Rule::Text, Some(Dv::S("pass-through"))),
    f(
        "loadBalancingMode",
        Rule::OneOf(LB_MODES),
        Some(Dv::S("round-robin")),
    ),
    f("minActiveMembers", COUNT, Some(Dv::I(0))),
    f("minUpMembers", COUNT, Some(Dv::I(0))),
    f("queueOnConnectionLimit", ED, DIS),
    f(
        "reselectTries",
        Rule::Int { min: 0, max: 65535 },
        Some(Dv::I(0)),
    ),
    f(
        "serviceDownAction",
        Rule::OneOf(&["none", "reset", "drop", "reselect"]),
        Some(Dv::S("none")),
    ),
    f("slowRampTime", COUNT, Some(Dv::I(10))),
];

/// A pool member's plain properties (its `session` and `state` are in state.rs).
pub const MEMBER: &[Field] = &[
    f("description", Rule::Text, None),
    f("connectionLimit", COUNT, Some(Dv::I(0))),
    f(
        "dynamicRatio",
        Rule::Int { min: 1, max: 65535 },
        Some(Dv::I(1)),
    ),
    f("ephemeral", TF, Some(Dv::S("false"))),
    f("inheritProfile", ED, ENA),
    f("logging", ED, DIS),
    f("monitor", Rule::Text, Some(Dv::S("default"))),
    f(
        "priorityGroup",
        Rule::Int { min: 0, max: 65535 },
        Some(Dv::I(0)),
    ),
    f("rateLimit", Rule::Text, DIS),
    f("ratio", Rule::Int { min: 1, max: 65535 }, Some(Dv::I(1))),
    f("fqdn", Rule::Object, None),
];

const VIRTUAL: &[Field] = &[
    f("description", Rule::Text, None),
    f("addressStatus", YN, Some(Dv::S("yes"))),
    f(
        "autoLasthop",
        Rule::OneOf(&["default", "enabled", "disabled"]),
        Some(Dv::S("default")),
    ),
    f("cmpEnabled", YN, Some(Dv::S("yes"))),
    f("connectionLimit", COUNT, Some(Dv::I(0))),
    f("enabled", Rule::Flag, Some(Dv::B(true))),
    f("disabled", Rule::Flag, None),
    f("fallbackPersistence", Rule::Text, None),
    f(
        "ipProtocol",
        Rule::OneOf(&["tcp", "udp", "sctp", "any"]),
        Some(Dv::S("tcp")),
    ),
    f("mask", Rule::Text, Some(Dv::S("255.255.255.255"))),
    f("mirror", ED, DIS),
    f("nat64", ED, DIS),
    f("rateLimit", Rule::Text, DIS),
    f("rules", Rule::TextList, None),
    f(
        "serviceDownImmediateAction",
        Rule::OneOf(&["none", "reset", "drop"]),
        Some(Dv::S("none")),
    ),
    f("source", Rule::Text, Some(Dv::S("0.0.0.0/0"))),
    f(
        "sourcePort",
        Rule::OneOf(&["preserve", "preserve-strict", "change"]),
        Some(Dv::S("preserve")),
    ),
    f("translateAddress", ED, ENA),
    f("translatePort", ED, ENA),
    f("vlans", Rule::TextList, None),
    f("vlansDisabled", Rule::Flag, Some(Dv::B(true))),
    f("vlansEnabled", Rule::Flag, None),
];

const VIRTUAL_ADDRESS: &[Field] = &[
    f("description", Rule::Text, None),
    f("arp", ED, ENA),
    f("autoDelete", TF, Some(Dv::S("true"))),
    f("connectionLimit", COUNT, Some(Dv::I(0))),
    f("enabled", YN, Some(Dv::S("yes"))),
    f("floating", ED, ENA),
    f(
        "icmpEcho",
        Rule::OneOf(&["enabled", "disabled", "selective"]),
        ENA,
    ),
    f("mask", Rule::Text, Some(Dv::S("255.255.255.255"))),
    f("routeAdvertisement", Rule::Text, DIS),
    f(
        "serverScope",
        Rule::OneOf(&["any", "all", "none"]),
        Some(Dv::S("any")),
    ),
    f("spanning", ED, DIS),
    f(
        "trafficGroup",
        Rule::Text,
        Some(Dv::S("/Common/traffic-group-1")),
    ),
];

const FASTL4: &[Field] = &[
    f("description", Rule::Text, None),
    f("idleTimeout", SECONDS, Some(Dv::I(300))),
    f("looseClose", ED, DIS),
    f("looseInitialization", ED, DIS),
    f("reassembleFragments", ED, DIS),
    f("resetOnTimeout", ED, ENA),
    f("softwareSynCookie", ED, DIS),
    f("tcpCloseTimeout", SECONDS, Some(Dv::I(5))),
    f("tcpHandshakeTimeout", SECONDS, Some(Dv::I(5))),
];

const UDP: &[Field] = &[
    f("description", Rule::Text, None),
    f("allowNoPayload", ED, DIS),
    f("bufferMaxBytes", COUNT, Some(Dv::I(655_350))),
    f("bufferMaxPackets", COUNT, Some(Dv::I(0))),
    f("datagramLoadBalancing", ED, DIS),
    f("idleTimeout", SECONDS, Some(Dv::I(60))),
    f("ipTosToClient", Rule::Text, Some(Dv::S("0"))),
    f("linkQosToClient", Rule::Text, Some(Dv::S("0"))),
    f("noChecksum", ED, DIS),
    f("proxyMss", ED, DIS),
];

const MONITOR_ICMP: &[Field] = &[
    f("description", Rule::Text, None),
    f("adaptive", ED, DIS),
    f("destination", Rule::Text, Some(Dv::S("*"))),
    f("interval", Rule::Int { min: 1, max: 86400 }, Some(Dv::I(5))),
    f("manualResume", ED, DIS),
    f("timeUntilUp", COUNT, Some(Dv::I(0))),
    f("timeout", COUNT, Some(Dv::I(16))),
    f("transparent", ED, DIS),
    f("upInterval", COUNT, Some(Dv::I(0))),
];

const MONITOR_TCP: &[Field] = &[
    f("description", Rule::Text, None),
    f("adaptive", ED, DIS),
    f("destination", Rule::Text, Some(Dv::S("*:*"))),
    f("interval", Rule::Int { min: 1, max: 86400 }, Some(Dv::I(5))),
    f("manualResume", ED, DIS),
    f("recv", Rule::Text, None),
    f("reverse", ED, DIS),
    f("send", Rule::Text, None),
    f("timeUntilUp", COUNT, Some(Dv::I(0))),
    f("timeout", COUNT, Some(Dv::I(16))),
    f("transparent", ED, DIS),
    f("upInterval", COUNT, Some(Dv::I(0))),
];

const MONITOR_SMTP: &[Field] = &[
    f("description", Rule::Text, None),
    f("debug", YN, Some(Dv::S("no"))),
    f("destination", Rule::Text, Some(Dv::S("*:*"))),
    f("domain", Rule::Text, None),
    f("interval", Rule::Int { min: 1, max: 86400 }, Some(Dv::I(5))),
    f("manualResume", ED, DIS),
    f("timeUntilUp", COUNT, Some(Dv::I(0))),
    f("timeout", COUNT, Some(Dv::I(16))),
    f("upInterval", COUNT, Some(Dv::I(0))),
];

/// The field called `name`.
pub fn field(fields: &[Field], name: &str) -> Option<Field> {
    fields.iter().copied().find(|f| f.name == name)
}

/// The defaults of `fields`.
pub fn defaults(fields: &[Field]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| f.default.map(|d| (f.name.to_string(), d.value())))
        .collect()
}

fn invalid(name: &str, value: &Value) -> ApiError {
    ApiError::mcpd(400, &INVALID_VALUE, &[name, &value.to_string()])
}

/// `value` as the field keeps it, or the 400 BIG-IP answers.
pub fn check(field: Field, value: &Value) -> ApiResult<Value> {
    let bad = || invalid(field.name, value);
    let int_in = |min: i64, max: i64| -> Option<Value> {
        // BIG-IP takes numbers as JSON numbers or as their text (tmsh heritage).
        let n = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse::<i64>().ok(),
            _ => None,
        }?;
        (min..=max).contains(&n).then(|| json!(n))
    };
    match field.rule {
        Rule::OneOf(values) => match value.as_str() {
            Some(s) if values.contains(&s) => Ok(json!(s)),
            _ => Err(bad()),
        },
        Rule::Int { min, max } => int_in(min, max).ok_or_else(bad),
        Rule::IntOr { min, max, words } => match value.as_str() {
            Some(s) if words.contains(&s) => Ok(json!(s)),
            _ => int_in(min, max).ok_or_else(bad),
        },
        Rule::Text => match value {
            Value::String(s) if s.len() <= 65_535 => Ok(value.clone()),
            _ => Err(bad()),
        },
        Rule::Flag => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(bad()),
        },
        Rule::Object => match value {
            Value::Object(_) => Ok(value.clone()),
            _ => Err(bad()),
        },
        Rule::TextList => match value {
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(value.clone()),
            _ => Err(bad()),
        },
    }
}
