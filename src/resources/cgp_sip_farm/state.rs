//! The state of a `cgp_sip_farm`, the model it declares ([`farm_of`]) and the state the
//! members' dictionaries describe ([`Reported`]).

use crate::devices::cgp::farm::{Farm, FarmMember, FarmRole, MediaMethod, Placement, Role};
use crate::resources::values::known;
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use tf_provider::value::{self, Value, ValueList, ValueNumber, ValueString};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct FarmState<'a> {
    pub id: ValueString<'a>,
    pub name: ValueString<'a>,
    pub call_legs_on: ValueString<'a>,
    pub signals_on: ValueString<'a>,
    pub media_method: ValueString<'a>,
    pub cluster_wan_address: ValueString<'a>,
    pub cluster_wan_address_reported: ValueString<'a>,
    pub member: ValueList<Value<MemberState<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MemberState<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub role: ValueString<'a>,
    pub sip_farm: ValueString<'a>,
    pub wan_address: ValueString<'a>,
    pub sip_farm_mode: ValueString<'a>,
    pub leg_host_mode: ValueString<'a>,
    pub signal_host_mode: ValueString<'a>,
    pub server_wan_address: ValueString<'a>,
}

/// Why a state is not a model yet: a value known only after apply, or one the checks refuse.
#[derive(Debug, PartialEq, Eq)]
pub enum NotYet {
    Unknown,
    Invalid(String),
}

fn word<'s>(v: &'s ValueString<'_>, what: &str) -> Result<&'s str, NotYet> {
    match v {
        Value::Value(s) => Ok(s.as_ref()),
        Value::Unknown => Err(NotYet::Unknown),
        Value::Null => Err(NotYet::Invalid(format!("{what} is not set"))),
    }
}

fn optional_ip(v: &ValueString<'_>, what: &str) -> Result<Option<IpAddr>, NotYet> {
    match v {
        Value::Value(s) => s
            .parse()
            .map(Some)
            .map_err(|_| NotYet::Invalid(format!("{what} {s:?} is not an IP address"))),
        Value::Unknown => Err(NotYet::Unknown),
        Value::Null => Ok(None),
    }
}

fn placement(v: &ValueString<'_>, what: &str, default: Placement) -> Result<Placement, NotYet> {
    match v {
        Value::Null => Ok(default),
        _ => match word(v, what)? {
            "frontends" => Ok(Placement::Frontends),
            "all" => Ok(Placement::All),
            other => Err(NotYet::Invalid(format!("{what} {other:?}"))),
        },
    }
}

/// The members of a state that are blocks with values.
pub fn members<'s, 'a>(state: &'s FarmState<'a>) -> Vec<&'s MemberState<'a>> {
    state
        .member
        .as_ref_option()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_ref_option())
        .collect()
}

/// The member's CLI endpoint, when it is known.
pub fn endpoint(m: &MemberState<'_>) -> Option<(String, Option<u16>)> {
    let address = m.address.as_ref_option()?.to_string();
    let port = match &m.port {
        Value::Value(p) => Some(u16::try_from(*p).ok()?),
        Value::Null => None,
        Value::Unknown => return None,
    };
    Some((address, port))
}

/// The model a state declares; every value must be known.
pub fn farm_of(state: &FarmState<'_>) -> Result<Farm, NotYet> {
    if state.member.is_unknown() {
        return Err(NotYet::Unknown);
    }
    let mut out = Vec::new();
    for (i, m) in members(state).into_iter().enumerate() {
        let at = |a: &str| format!("member[{i}].{a}");
        let port = match &m.port {
            Value::Value(p) => Some(
                u16::try_from(*p).map_err(|_| NotYet::Invalid(format!("{} {p}", at("port"))))?,
            ),
            Value::Null => None,
            Value::Unknown => return Err(NotYet::Unknown),
        };
        out.push(FarmMember {
            name: word(&m.name, &at("name"))?.to_string(),
            address: word(&m.address, &at("address"))?.to_string(),
            port,
            role: match word(&m.role, &at("role"))? {
                "frontend" => Role::Frontend,
                "backend" => Role::Backend,
                other => return Err(NotYet::Invalid(format!("{} {other:?}", at("role")))),
            },
            sip_farm: match word(&m.sip_farm, &at("sip_farm"))? {
                "member" => FarmRole::Member,
                "relay" => FarmRole::Relay,
                other => return Err(NotYet::Invalid(format!("{} {other:?}", at("sip_farm")))),
            },
            wan_address: optional_ip(&m.wan_address, &at("wan_address"))?,
        });
    }
    Ok(Farm {
        members: out,
        call_legs_on: placement(&state.call_legs_on, "call_legs_on", Placement::Frontends)?,
        signals_on: placement(&state.signals_on, "signals_on", Placement::All)?,
        media_method: match word(&state.media_method, "media_method")? {
            "single_vip" => MediaMethod::SingleVip,
            "multi_ip" => MediaMethod::MultiIp,
            other => return Err(NotYet::Invalid(format!("media_method {other:?}"))),
        },
        cluster_wan_address: optional_ip(&state.cluster_wan_address, "cluster_wan_address")?,
    })
}

/// What one member's dictionaries hold of the owned keys, as the state shows it: the modes
/// (`Auto` for an absent key, `farm::defaults`) and the WAN address text (`None`: absent or
/// empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportedMember {
    pub sip_farm_mode: String,
    pub leg_host_mode: String,
    pub signal_host_mode: String,
    pub server_wan_address: Option<String>,
}

/// What every member and the cluster-wide dictionary hold, in the order of the state's members.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    pub members: Vec<ReportedMember>,
    pub cluster_wan_address: Option<String>,
}

fn opt(v: &Option<String>) -> ValueString<'static> {
    v.clone().map_or(Value::Null, known)
}

/// `base` (what only the configuration says) with what the members report.
pub fn observed<'a>(base: &FarmState<'a>, reported: &Reported) -> FarmState<'a> {
    let mut state = base.clone();
    state.cluster_wan_address_reported = opt(&reported.cluster_wan_address);
    if let Value::Value(list) = &mut state.member {
        for (m, r) in list
            .iter_mut()
            .filter_map(|m| m.as_mut_option())
            .zip(&reported.members)
        {
            set_reported(m, r);
        }
    }
    state
}

pub fn set_reported(m: &mut MemberState<'_>, r: &ReportedMember) {
    m.sip_farm_mode = known(r.sip_farm_mode.clone());
    m.leg_host_mode = known(r.leg_host_mode.clone());
    m.signal_host_mode = known(r.signal_host_mode.clone());
    m.server_wan_address = opt(&r.server_wan_address);
}
