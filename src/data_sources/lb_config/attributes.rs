//! The declaration of every `lb_config` attribute (see [`crate::resources::spec`]). The
//! virtual-server block is the load-balanced service a site declares (the same words as
//! `devices::lb::virtual_server`), so a module can feed one list to every balancer it has.

use crate::devices::lb::legacy::VENDORS;
use crate::grammar::NumberRange;
use crate::resources::lb_virtual_server::attributes::{
    check, F5, MEMBER, MEMBER_NAME, VIRTUAL_SERVER,
};
use crate::resources::spec::{
    attr, rows, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::word_check;

word_check!(vendor: VENDORS);

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

const MEMBER_ROWS: [Attr; 5] = rows(&[MEMBER_NAME], &MEMBER);

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
        attrs: &VIRTUAL_SERVER,
        blocks: &[
            BlockSpec {
                name: "member",
                nesting: Nesting::List,
                description: "A server behind the VIP.",
                attrs: &MEMBER_ROWS,
                blocks: &[],
            },
            F5,
        ],
    }],
    timeouts: &[],
};
