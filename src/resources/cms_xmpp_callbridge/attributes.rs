//! The declaration of every `cms_xmpp_callbridge` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::devices::cms::xmpp_callbridge::{validate_name, validate_secret};
use crate::resources::node_checks::{ADDRESS, FINGERPRINT, USERNAME};
use crate::resources::spec::{attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type};
use crate::timeouts::Operation;
use std::time::Duration;

fn name_check(name: &str) -> Result<(), String> {
    validate_name(name).map_err(|e| format!("name {e}"))
}

fn secret_check(secret: &str) -> Result<(), String> {
    validate_secret(secret).map_err(|e| format!("secret {e}"))
}

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "One Call Bridge's account on the XMPP server of every XMPP node of a Cisco Meeting Server cluster.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The Call Bridge name."),
        attr("name", Type::Text, Presence::Required, "Name of the Call Bridge account (1 to 64 letters, digits, `.`, `_`, `-`). Changing it replaces the account on every node.")
            .replaces()
            .check(Check::Text { title: "Invalid Call Bridge name", check: name_check }),
        attr("secret", Type::Text, Presence::Defaulted(DefaultValue::ByResource), "Shared secret the Call Bridge uses to log in to XMPP (one line, no spaces). When unset, the first node generates it (`xmpp callbridge add`) and the others are given the same one; changing it re-keys every node.")
            .sensitive()
            .check(Check::Text { title: "Invalid secret", check: secret_check }),
        attr("domain", Type::Text, Presence::Computed, "XMPP domain of the account, as the first node reports it."),
    ],
    blocks: &[BlockSpec {
        name: "xmpp_node",
        nesting: Nesting::List,
        blocks: &[],
        description: "An XMPP server node; list every node of the XMPP cluster. The first one generates the secret when `secret` is not set.",
        attrs: &[
            attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the node's MMP, reached over SSH.").check(ADDRESS),
            attr("port", Type::Number, Presence::Optional, "SSH port of this node's MMP, 1 to 65535. Default: the provider's `port`.").check(Check::Port),
            attr("username", Type::Text, Presence::Optional, "MMP user for this node (letters, digits, `_`, `.`, `-`, `@`). Default: the provider's `username`.").check(USERNAME),
            attr("password", Type::Text, Presence::Optional, "MMP password for this node. Default: the provider's credentials.").sensitive(),
            attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of this node's SSH host key (`SHA256:...` as `ssh-keygen -lf` prints it). Takes precedence over the provider's `known_hosts_file`.").check(FINGERPRINT),
            attr("status", Type::Text, Presence::Computed, "What the node reports: `registered`, `missing` (account deleted), `secret_mismatch` (another secret) or `unreachable`."),
        ],
    }],
    timeouts: &[
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Read, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(600)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        use super::super::{CallbridgeState, XmppNode};
        assert_declares(&SPEC.names(), &["timeouts"], &CallbridgeState::default());
        assert_declares(&names_of(SPEC.blocks[0].attrs), &[], &XmppNode::default());
    }
}
