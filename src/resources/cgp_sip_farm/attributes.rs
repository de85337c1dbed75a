//! The declaration of every `cgp_sip_farm` attribute (see [`crate::resources::spec`]).

use crate::resources::spec::{
    attr, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::timeouts::Operation;
use std::time::Duration;

pub const ROLES: &[&str] = &["frontend", "backend"];
pub const FARM_ROLES: &[&str] = &["member", "relay"];
pub const PLACEMENTS: &[&str] = &["frontends", "all"];
pub const MEDIA_METHODS: &[&str] = &["single_vip", "multi_ip"];

fn one_of(table: &[&str], v: &str) -> Result<(), String> {
    match table.contains(&v) {
        true => Ok(()),
        false => Err(format!("{v:?}: use one of {}", table.join(", "))),
    }
}

fn role(v: &str) -> Result<(), String> {
    one_of(ROLES, v)
}
fn farm_role(v: &str) -> Result<(), String> {
    one_of(FARM_ROLES, v)
}
fn placement(v: &str) -> Result<(), String> {
    one_of(PLACEMENTS, v)
}
fn media_method(v: &str) -> Result<(), String> {
    one_of(MEDIA_METHODS, v)
}

/// An IP address (WAN addresses are addresses, not names).
fn ip(v: &str) -> Result<(), String> {
    v.parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| format!("{v:?} is not an IP address"))
}

/// A name that is one word of the import ID.
pub fn word(v: &str) -> Result<(), String> {
    crate::grammar::check_word(v, 63).map_err(|e| format!("{v:?} {e}"))
}

const fn check(title: &'static str, check: fn(&str) -> Result<(), String>) -> Check {
    Check::Text { title, check }
}

const MEMBER: [Attr; 10] = [
    attr("name", Type::Text, Presence::Required, "The cluster member's name (a word: letters, digits, `.`, `_`, `-`); it labels the member in the import ID and in messages.").check(check("Invalid member name", word)),
    attr("address", Type::Text, Presence::Required, "The member's CLI host (IP address or DNS name).").check(check("Invalid address", crate::grammar::check_host)),
    attr("port", Type::Number, Presence::Optional, "The member's CLI port; unset: the provider's.").check(Check::Port),
    attr("role", Type::Text, Presence::Required, "`frontend` (direct Internet access) or `backend`. Not written to the server: the rules use it (call legs only on frontends, backends as relays).").check(check("Invalid role", role)),
    attr("sip_farm", Type::Text, Presence::Required, "`member` (the balancer sends it SIP: `SIPFarmMode = Member`) or `relay` (sends SIP through the farm members: `SIPFarmMode = Relay`).").check(check("Invalid sip_farm", farm_role)),
    attr("wan_address", Type::Text, Presence::Optional, "The member's Server-wide WAN IP Address (the balancer address mapped to it, S5's Gi) for `media_method = \"multi_ip\"`; must be unset for `single_vip`.").check(check("Invalid WAN address", ip)),
    attr("sip_farm_mode", Type::Text, Presence::Computed, "`SIPFarmMode` as the member's `GetClusterSettings` holds it (`Auto` when the key is absent)."),
    attr("leg_host_mode", Type::Text, Presence::Computed, "`LegHostMode` as the member holds it (`Auto` when absent)."),
    attr("signal_host_mode", Type::Text, Presence::Computed, "`SignalHostMode` as the member holds it (`Auto` when absent)."),
    attr("server_wan_address", Type::Text, Presence::Computed, "The Server-wide WAN address as the member's `GetNetwork` holds it (null when absent or empty)."),
];

const OWN: [Attr; 7] = [
    attr("id", Type::Text, Presence::Computed, "The import ID: `<name>@<member>=<host>:<port>,...` (see Import)."),
    attr("name", Type::Text, Presence::Required, "The farm's name (a word): Terraform's label for it, not written to the servers.").check(check("Invalid name", word)).replaces(),
    attr("call_legs_on", Type::Text, Presence::Defaulted(DefaultValue::Text("frontends")), "Where call legs may be created: `frontends` (default: `LegHostMode = \"Locally for Others\"` on the members with Internet access, `Auto` elsewhere) or `all` (`Locally` everywhere; only when every member faces the Internet).").check(check("Invalid call_legs_on", placement)),
    attr("signals_on", Type::Text, Presence::Defaulted(DefaultValue::Text("all")), "Where signals may be created: `all` (default: `SignalHostMode = Auto`) or `frontends` (`Locally for Others` on the frontends; an unconfirmed value, see the warning).").check(check("Invalid signals_on", placement)),
    attr("media_method", Type::Text, Presence::Required, "`single_vip` (one cluster-wide WAN address G0, no member has its own) or `multi_ip` (each frontend its own `wan_address`).").check(check("Invalid media_method", media_method)),
    attr("cluster_wan_address", Type::Text, Presence::Optional, "The Cluster-wide WAN IP Address (G0), required for `single_vip`.").check(check("Invalid WAN address", ip)),
    attr("cluster_wan_address_reported", Type::Text, Presence::Computed, "The Cluster-wide WAN address as `GetClusterNetwork` holds it (null when absent or empty)."),
];

pub const SPEC: Spec = Spec {
    description: "A CommuniGate Pro SIP farm across a Dynamic Cluster, through each member's CLI: which members are SIP farm members and which relay, where call legs and signals are created, and the WAN addresses of the media method (the seed's single-IP or multi-IP). Each settings dictionary is read, only the keys this resource owns are changed, and every other key is sent back byte for byte; SIP farm membership is written last on create and removed first on destroy. Destroy removes the owned keys (the server's defaults). The seed's rules are checked at plan time.",
    attrs: &OWN,
    blocks: &[BlockSpec {
        name: "member",
        nesting: Nesting::List,
        description: "A cluster member and its CLI endpoint.",
        attrs: &MEMBER,
        blocks: &[],
    }],
    timeouts: &[
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(300)),
    ],
};

#[cfg(test)]
mod tests {
    use super::super::state::{FarmState, MemberState};
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &["timeouts"], &FarmState::default());
        assert_declares(
            &names_of(SPEC.blocks[0].attrs),
            &[],
            &MemberState::default(),
        );
    }
}
