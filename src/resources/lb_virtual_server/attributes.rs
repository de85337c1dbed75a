//! The declaration of every `lb_virtual_server` attribute (see [`crate::resources::spec`]).
//! The virtual server's own rows, its member rows and the F5 block are shared with `lb_config`'s
//! `virtual_server` block, so a module feeds one list to the balancers that have an API and to
//! the text of those that have none.

use crate::devices::lb::virtual_server::{FORWARDINGS, METHODS, MONITORS, PERSISTENCES, PROTOCOLS};
use crate::grammar::NumberRange;
use crate::resources::spec::{
    attr, rows, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::timeouts::Operation;
use std::time::Duration;

/// `fn $name(&str)`: the check that a text is one of `$table`'s words.
#[macro_export]
macro_rules! word_check {
    ($($name:ident: $table:path),* $(,)?) => {
        $(fn $name(v: &str) -> Result<(), String> {
            $crate::devices::lb::virtual_server::check_word($table, v)
        })*
    };
}

word_check!(
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

pub const fn check(title: &'static str, check: fn(&str) -> Result<(), String>) -> Check {
    Check::Text { title, check }
}

pub const NAME: Check = check("Invalid name", object_name);

/// The service itself: VIP, port, protocol and how it is balanced.
pub const VIRTUAL_SERVER: [Attr; 8] = [
    attr("name", Type::Text, Presence::Required, "Name of the service: the F5 virtual server, the HAProxy frontend and backend (letters, digits, `.`, `_`, `-`).").check(NAME).replaces(),
    attr("address", Type::Text, Presence::Required, "The VIP: an IP address.").check(check("Invalid address", ip)).replaces(),
    attr("port", Type::Number, Presence::Optional, "Port of the service; unset: any port (F5 only).").check(Check::Port).replaces(),
    attr("protocol", Type::Text, Presence::Defaulted(DefaultValue::Text("tcp")), "`tcp` (default), `udp` or `both`.").check(check("Invalid protocol", protocol)).replaces(),
    attr("method", Type::Text, Presence::Defaulted(DefaultValue::Text("round_robin")), "`round_robin` (default) or `least_connections`; members' weights count in both.").check(check("Invalid method", method)),
    attr("forwarding", Type::Text, Presence::Defaulted(DefaultValue::Text("nat")), "`nat` (default: the balancer rewrites the destination), `direct_routing` (DSR: the VIP on each member's loopback, answers go straight to the client) or `no_translation` (F5's `translate address disable`).").check(check("Invalid forwarding", forwarding)),
    attr("persistence", Type::Text, Presence::Defaulted(DefaultValue::Text("none")), "`none` (default) or `source_address`. Refused on a SIP UDP service: the seed explains why session binding breaks a SIP farm.").check(check("Invalid persistence", persistence)),
    attr("monitors", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["tcp"])), "Health checks: any of `icmp`, `tcp`, `smtp` (default `[\"tcp\"]`; `[]`: none). No SIP-level probe: a SIP farm member may relay the probe to another member, which answers instead (seed).").check(check("Invalid monitor", monitor)),
];

/// A member's name where the text names every real server (`lb_config`).
pub const MEMBER_NAME: Attr = attr("name", Type::Text, Presence::Required, "Name of the real server (ServerIron `server real`); the same name means the same server in every service.").check(NAME);

/// A member as the site declares it, after its name.
pub const MEMBER: [Attr; 4] = [
    attr("address", Type::Text, Presence::Required, "Its IP address.").check(check("Invalid address", ip)),
    attr("port", Type::Number, Presence::Optional, "Port on the member; unset: the service's port. Must be unset (or equal) with `direct_routing`.").check(Check::Port),
    attr("weight", Type::Number, Presence::Defaulted(DefaultValue::Number(1)), "Relative weight, 1 to 100 (default 1).").check(Check::Number(&WEIGHT)),
    attr("enabled", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "`false`: the member takes no new connections (disabled on the balancer; left out of `lb_config`'s text)."),
];

pub const F5: BlockSpec = BlockSpec {
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
};

const MEMBER_DECLARED: [Attr; 5] = rows(
    &[attr("name", Type::Text, Presence::Defaulted(DefaultValue::ByResource), "Name of the member: the HAProxy `server`, the F5 member's description. Default `<address>:<port>` (`<address>.<port>` for IPv6, as F5 names members). IPVS keeps no names: they live in the state only, and an import names members by default.").check(NAME)],
    &MEMBER,
);

const MEMBER_REPORTED: [Attr; 7] = rows(
    &MEMBER_DECLARED,
    &[
        attr("health", Type::Text, Presence::Computed, "The balancer's verdict: `up`, `down`, or `unchecked` (no monitor, or a balancer without health checks such as IPVS)."),
        attr("status", Type::Text, Presence::Computed, "The member's state in the balancer's own words (HAProxy `UP`, `MAINT`; F5 `up, user-enabled`; IPVS its weight)."),
    ],
);

const OWN: [Attr; 9] = rows(
    &[attr(
        "id",
        Type::Text,
        Presence::Computed,
        "The backend-native ID, as `terraform import` takes it (see Import).",
    )],
    &VIRTUAL_SERVER,
);

pub const SPEC: Spec = Spec {
    description: "One load-balanced service (a VIP and its members) on the balancer of the provider block: an F5 BIG-IP through iControl REST, a HAProxy through its configuration file and runtime API, or Linux IPVS through `ipvsadm`. The seed's rules for a UC cluster behind a balancer are checked at plan time. Changing `name`, `address`, `port` or `protocol` replaces the service.",
    attrs: &OWN,
    blocks: &[
        BlockSpec {
            name: "member",
            nesting: Nesting::List,
            description: "A server behind the VIP, in the order the balancer should list them.",
            attrs: &MEMBER_REPORTED,
            blocks: &[],
        },
        F5,
        BlockSpec {
            name: "ipvs",
            nesting: Nesting::Optional,
            description: "IPVS options.",
            attrs: &[attr("one_packet_scheduling", Type::Bool, Presence::Optional, "`ipvsadm -o`: schedule every UDP datagram on its own, so no UDP \"session binding\" forms. Unset: on for a UDP service on SIP's port 5060 (the seed: session binding breaks a SIP farm), off otherwise. UDP only.")],
            blocks: &[],
        },
    ],
    timeouts: &[
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(300)),
    ],
};

#[cfg(test)]
mod tests {
    use super::super::state::{F5Block, IpvsBlock, MemberState, VirtualServerState};
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &["timeouts"], &VirtualServerState::default());
        assert_declares(
            &names_of(SPEC.blocks[0].attrs),
            &[],
            &MemberState::default(),
        );
        assert_declares(&names_of(SPEC.blocks[1].attrs), &[], &F5Block::default());
        assert_declares(&names_of(SPEC.blocks[2].attrs), &[], &IpvsBlock::default());
    }
}
