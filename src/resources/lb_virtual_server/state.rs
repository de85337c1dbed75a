//! The state of an `lb_virtual_server`, and the state a balancer's report describes.

use super::backend::Found;
use crate::devices::lb::virtual_server::{
    F5Options, Forwarding, Health, Member, Method, Monitor, Persistence, Protocol, VirtualServer,
    FORWARDINGS, METHODS, MONITORS, PERSISTENCES, PROTOCOLS,
};
use crate::resources::values::known;
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueBool, ValueList, ValueNumber, ValueString};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct VirtualServerState<'a> {
    pub id: ValueString<'a>,
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub protocol: ValueString<'a>,
    pub method: ValueString<'a>,
    pub forwarding: ValueString<'a>,
    pub persistence: ValueString<'a>,
    pub monitors: ValueList<ValueString<'a>>,
    pub member: ValueList<Value<MemberState<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub f5: Value<F5Block<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub ipvs: Value<IpvsBlock>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MemberState<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub weight: ValueNumber,
    pub enabled: ValueBool,
    pub health: ValueString<'a>,
    pub status: ValueString<'a>,
}

/// The `f5` block, also `lb_config`'s.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct F5Block<'a> {
    pub pool: ValueString<'a>,
    pub profile: ValueString<'a>,
    pub smtp_monitor: ValueString<'a>,
    pub idle_timeout: ValueNumber,
    pub tcp_handshake_timeout: ValueNumber,
    pub tcp_close_timeout: ValueNumber,
    pub loose_initiation: ValueBool,
    pub loose_close: ValueBool,
    pub software_syncookie: ValueBool,
    pub floating: ValueBool,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct IpvsBlock {
    pub one_packet_scheduling: ValueBool,
}

/// `state` in the model's words: a word the balancer reported that the model has none for (an
/// IPVS scheduler `sh`, kept in the state by a refresh) stands for the value it was read as,
/// so a state that shows drift can still be read, found and deleted.
pub fn in_model_words<'a>(
    state: &VirtualServerState<'a>,
    read_as: &[(&str, &str)],
) -> VirtualServerState<'a> {
    let mut s = state.clone();
    let words = |a: &str| -> Vec<&'static str> {
        match a {
            "protocol" => PROTOCOLS.iter().map(|(w, _)| *w).collect(),
            "method" => METHODS.iter().map(|(w, _)| *w).collect(),
            _ => FORWARDINGS.iter().map(|(w, _)| *w).collect(),
        }
    };
    for (attribute, fallback) in read_as {
        let value = match *attribute {
            "protocol" => &mut s.protocol,
            "method" => &mut s.method,
            "forwarding" => &mut s.forwarding,
            _ => continue,
        };
        if let Value::Value(w) = value {
            if !words(attribute).contains(&w.as_ref()) {
                *value = known(*fallback);
            }
        }
    }
    s
}

/// The configuration's word for a model value.
fn word_of<T: Copy + PartialEq>(table: &[(&'static str, T)], v: T) -> &'static str {
    table.iter().find(|(_, t)| *t == v).map_or("", |(w, _)| w)
}

pub fn protocol_word(p: Protocol) -> &'static str {
    word_of(PROTOCOLS, p)
}
fn method_word(m: Method) -> &'static str {
    word_of(METHODS, m)
}
fn forwarding_word(f: Forwarding) -> &'static str {
    word_of(FORWARDINGS, f)
}
fn persistence_word(p: Persistence) -> &'static str {
    word_of(PERSISTENCES, p)
}
fn monitor_word(m: Monitor) -> &'static str {
    word_of(MONITORS, m)
}

fn number(n: Option<impl Into<i64>>) -> ValueNumber {
    n.map_or(Value::Null, |n| Value::Value(n.into()))
}

fn same_endpoint(a: &Member, b: &Member, vs_a: &VirtualServer, vs_b: &VirtualServer) -> bool {
    a.address == b.address && vs_a.member_port(a) == vs_b.member_port(b)
}

/// The members of `found` in the configuration's order (the ones it does not list after them),
/// each with its configured name where the balancer keeps none, and its configured weight
/// while it is quiesced at weight 0.
fn members<'a>(
    found: &Found,
    base: &VirtualServer,
    names_held: bool,
) -> Vec<Value<MemberState<'a>>> {
    let vs = &found.reported.vs;
    let mut order: Vec<usize> = base
        .members
        .iter()
        .filter_map(|b| {
            vs.members
                .iter()
                .position(|m| same_endpoint(m, b, vs, base))
        })
        .collect();
    let extra: Vec<usize> = (0..vs.members.len())
        .filter(|i| !order.contains(i))
        .collect();
    order.extend(extra);
    order
        .into_iter()
        .map(|i| {
            let m = &vs.members[i];
            let configured = base.members.iter().find(|b| same_endpoint(m, b, vs, base));
            let name = match (names_held, configured) {
                (false, Some(c)) => c.name.clone(),
                _ => m.name.clone(),
            };
            let weight = match (m.enabled, m.weight, configured) {
                (false, 0, Some(c)) => c.weight,
                (_, w, _) => w.max(1),
            };
            // A member port equal to the service's reads back as none on every balancer.
            let port = match (m.port, configured) {
                (None, Some(c)) if c.port == vs.port => c.port,
                (p, _) => p,
            };
            let report = found.reported.members.get(i);
            Value::Value(MemberState {
                name: known(name),
                address: known(m.address.to_string()),
                port: number(port),
                weight: Value::Value(weight.into()),
                enabled: Value::Value(m.enabled),
                health: known(report.map_or(Health::Unchecked, |r| r.health).word()),
                status: known(report.map_or(String::new(), |r| r.status.clone())),
            })
        })
        .collect()
}

/// The `f5` block of what the balancer reports: none when the configuration has none and the
/// balancer holds the defaults.
fn f5_block<'a>(f5: &F5Options, base: &Value<F5Block<'a>>) -> Value<F5Block<'a>> {
    if base.is_null() && *f5 == F5Options::default() {
        return Value::Null;
    }
    let name = |n: &Option<String>| n.clone().map_or(Value::Null, known);
    let flag = |b: Option<bool>| b.map_or(Value::Null, Value::Value);
    Value::Value(F5Block {
        pool: name(&f5.pool),
        profile: name(&f5.profile),
        smtp_monitor: name(&f5.smtp_monitor),
        idle_timeout: number(f5.idle_timeout),
        tcp_handshake_timeout: number(f5.tcp_handshake_timeout),
        tcp_close_timeout: number(f5.tcp_close_timeout),
        loose_initiation: flag(f5.loose_initiation),
        loose_close: flag(f5.loose_close),
        software_syncookie: flag(f5.software_syncookie),
        floating: Value::Value(f5.floating),
    })
}

/// The state the balancer's `found` describes, with what it does not hold (`unheld`
/// attributes, the configured member names) from `base`, the state it was read for.
pub fn observed<'a>(
    found: &Found,
    base: &VirtualServerState<'a>,
    base_vs: &VirtualServer,
    unheld: &[&str],
    id: String,
    one_packet_default: bool,
) -> VirtualServerState<'a> {
    let vs = &found.reported.vs;
    let held = |a: &str| !unheld.contains(&a);
    let foreign = |a: &str, word: &'static str| {
        known(
            found
                .foreign
                .iter()
                .find(|(f, _)| *f == a)
                .map_or(word.to_string(), |(_, w)| w.clone()),
        )
    };
    let monitors = match held("monitors") {
        true => Value::Value(
            vs.monitors
                .iter()
                .map(|m| known(monitor_word(*m)))
                .collect(),
        ),
        false => base.monitors.clone(),
    };
    let ipvs = match (&base.ipvs, found.one_packet == one_packet_default) {
        (Value::Null, true) => Value::Null,
        _ => Value::Value(IpvsBlock {
            one_packet_scheduling: Value::Value(found.one_packet),
        }),
    };
    VirtualServerState {
        // A balancer that says the object differs in a way no attribute shows (a HAProxy
        // section edited by hand) says it in the id, so the plan shows a change.
        id: known(
            found
                .foreign
                .iter()
                .find(|(a, _)| *a == "id")
                .map_or(id, |(_, w)| w.clone()),
        ),
        name: match held("name") {
            true => known(vs.name.clone()),
            false => base.name.clone(),
        },
        address: known(vs.address.to_string()),
        port: number(vs.port),
        protocol: foreign("protocol", protocol_word(vs.protocol)),
        method: foreign("method", method_word(vs.method)),
        forwarding: foreign("forwarding", forwarding_word(vs.forwarding)),
        persistence: known(persistence_word(vs.persistence)),
        monitors,
        member: Value::Value(members(found, base_vs, held("name"))),
        f5: match held("f5") {
            true => f5_block(&vs.f5, &base.f5),
            false => base.f5.clone(),
        },
        ipvs: match held("ipvs") {
            true => ipvs,
            false => base.ipvs.clone(),
        },
        timeouts: base.timeouts.clone(),
    }
}
