//! The declaration of every `lb_config` attribute (see [`crate::resources::spec`]). The
//! virtual-server block is the load-balanced service a site declares (the same words as
//! `devices::lb::virtual_server`), so a module can feed one list to every balancer it has.

use crate::devices::lb::legacy::VENDORS;
use crate::devices::lb::virtual_server::{
    check_word, FORWARDINGS, METHODS, MONITORS, PERSISTENCES, PROTOCOLS,
};
use crate::grammar::NumberRange;
use crate::resources::spec::{attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type};

/// `fn $name(&str)`: the check that a text is one of `$table`'s words.
macro_rules! word_check {
    ($($name:ident: $table:ident),* $(,)?) => {
        $(fn $name(v: &str) -> Result<(), String> {
            check_word($table, v)
        })*
    };
}

word_check!(
    vendor: VENDORS,
    protocol: PROTOCOLS,
    method: METHODS,
    forwarding: FORWARDINGS,
    persistence: PERSISTENCES,
    monitor: MONITORS,
);

/// An IP address (balancers take addresses, not names).
fn ip(v: &str) -> Result<(), String> {
    v.parse::<std::net::IpAddr>()
        .map(|_| ())
        .map_err(|_| format!("{v:?} is not an IP address"))
}

/// A name the balancers' configuration languages take as one word.
pub fn object_name(v: &str) -> Result<(), String> {
    crate::grammar::check_word(v, 63).map_err(|e| format!("{v:?} {e}"))
}

/// A quoted name (the Alteon's group names): no quote, no control character.
fn quoted_name(v: &str) -> Result<(), String> {
    match v.chars().any(|c| c == '"' || c.is_control()) || v.is_empty() || v.len() > 31 {
        true => Err(format!(
            "{v:?}: 1 to 31 characters, no double quote or control character"
        )),
        false => Ok(()),
    }
}

const FIRST_REAL: NumberRange = NumberRange {
    option: "alteon_first_real",
    min: 1,
    max: 4095,
};
const WEIGHT: NumberRange = NumberRange {
    option: "weight",
    min: 1,
    max: 100,
};
const SECONDS: NumberRange = NumberRange {
    option: "seconds",
    min: 1,
    max: 86_400,
};

const fn check(title: &'static str, check: fn(&str) -> Result<(), String>) -> Check {
    Check::Text { title, check }
}

const NAME: Check = check("Invalid name", object_name);

pub const SPEC: Spec = Spec {
    description: "Configuration text of a load-balanced site for a balancer that has no API (Foundry ServerIron, Alteon AD3, F5 BIG-IP v9 `bigip.conf`), rendered from the virtual servers the site declares, for review in a pull request and for an operator to paste. Nothing is sent to any device.",
    attrs: &[
        attr("vendor", Type::Text, Presence::Required, "`serveriron`, `alteon` or `f5_tmsh`.")
            .check(check("Invalid vendor", vendor)),
        attr("alteon_first_real", Type::Number, Presence::Defaulted(DefaultValue::Number(1)), "Alteon only: the number of the first real server; members are numbered from it in the order they first appear (the seed numbers fe5..fe8 as 5..8).")
            .check(Check::Number(&FIRST_REAL)),
        attr("alteon_group_names", Type::TextList, Presence::Optional, "Alteon only: names of the server groups, in the order the groups are first used (one group per distinct set of members).")
            .check(check("Invalid group name", quoted_name)),
        attr("text", Type::Text, Presence::Computed, "The configuration text. Lines whose syntax no vendor document at hand shows are listed in the page's \"Verified against\" section."),
    ],
    blocks: &[BlockSpec {
        name: "virtual_server",
        nesting: Nesting::List,
        description: "One load-balanced service. Services on the same `address` become one virtual server of the ServerIron or Alteon.",
        attrs: &[
            attr("name", Type::Text, Presence::Required, "Name of the service (the F5 virtual server's name).").check(NAME),
            attr("address", Type::Text, Presence::Required, "The VIP: an IP address.").check(check("Invalid address", ip)),
            attr("port", Type::Number, Presence::Optional, "Port of the service; unset: any port (F5 only).").check(Check::Port),
            attr("protocol", Type::Text, Presence::Defaulted(DefaultValue::Text("tcp")), "`tcp` (default), `udp` or `both`.").check(check("Invalid protocol", protocol)),
            attr("method", Type::Text, Presence::Defaulted(DefaultValue::Text("round_robin")), "`round_robin` (default) or `least_connections`.").check(check("Invalid method", method)),
            attr("forwarding", Type::Text, Presence::Defaulted(DefaultValue::Text("nat")), "`nat` (default: the balancer rewrites the destination), `direct_routing` (DSR: the VIP on each member's loopback, answers go straight to the client) or `no_translation` (F5's `translate address disable`).").check(check("Invalid forwarding", forwarding)),
            attr("persistence", Type::Text, Presence::Defaulted(DefaultValue::Text("none")), "`none` (default) or `source_address`. Refused on a SIP UDP service: the seed explains why session binding breaks a SIP farm.").check(check("Invalid persistence", persistence)),
            attr("monitors", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["tcp"])), "Health checks: any of `icmp`, `tcp`, `smtp` (default `[\"tcp\"]`; `[]`: none). No SIP-level probe: a SIP farm member may relay the probe to another member, which answers instead (seed).").check(check("Invalid monitor", monitor)),
        ],
        blocks: &[
            BlockSpec {
                name: "member",
                nesting: Nesting::List,
                description: "A server behind the VIP.",
                attrs: &[
                    attr("name", Type::Text, Presence::Required, "Name of the real server (ServerIron `server real`); the same name means the same server in every service.").check(NAME),
                    attr("address", Type::Text, Presence::Required, "Its IP address.").check(check("Invalid address", ip)),
                    attr("port", Type::Number, Presence::Optional, "Port on the member; unset: the service's port. Must be unset (or equal) with `direct_routing`.").check(Check::Port),
                    attr("weight", Type::Number, Presence::Defaulted(DefaultValue::Number(1)), "Relative weight, 1 to 100 (default 1).").check(Check::Number(&WEIGHT)),
                    attr("enabled", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "`false`: left out of the rendered configuration, so it takes no traffic."),
                ],
                blocks: &[],
            },
            BlockSpec {
                name: "f5",
                nesting: Nesting::Optional,
                description: "F5 objects and the fastL4 profile settings (the seed's `CGS_fastL4`).",
                attrs: &[
                    attr("pool", Type::Text, Presence::Optional, "Pool name; default `<name>_pool`.").check(NAME),
                    attr("profile", Type::Text, Presence::Optional, "Profile name; default the built-in `fastL4`, or `<name>_fastL4` when a fastL4 setting is given (`<name>_udp` for UDP).").check(NAME),
                    attr("smtp_monitor", Type::Text, Presence::Optional, "Name of the SMTP monitor; default `<name>_smtp`.").check(NAME),
                    attr("idle_timeout", Type::Number, Presence::Optional, "fastL4 `idle timeout`, seconds.").check(Check::Number(&SECONDS)),
                    attr("tcp_handshake_timeout", Type::Number, Presence::Optional, "fastL4 `tcp handshake timeout`, seconds.").check(Check::Number(&SECONDS)),
                    attr("tcp_close_timeout", Type::Number, Presence::Optional, "fastL4 `tcp close timeout`, seconds.").check(Check::Number(&SECONDS)),
                    attr("loose_initiation", Type::Bool, Presence::Optional, "fastL4 `loose initiation`."),
                    attr("loose_close", Type::Bool, Presence::Optional, "fastL4 `loose close`."),
                    attr("software_syncookie", Type::Bool, Presence::Optional, "fastL4 `software syncookie`."),
                    attr("floating", Type::Bool, Presence::Defaulted(DefaultValue::Bool(false)), "The virtual address floats between the units of an HA pair (default `false`, as the seed's `floating disable`)."),
                ],
                blocks: &[],
            },
        ],
    }],
    timeouts: &[],
};
