//! The declaration of every `cms_callbridge_xmpp` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::devices::cms::services::validate_domain;
use crate::devices::cms::xmpp_callbridge::{validate_name, validate_secret};
use crate::resources::api_node::API_ADDRESS;
use crate::resources::spec::{attr, Check, Presence, Spec, Type};
use crate::timeouts::Operation;
use std::time::Duration;

fn name_check(name: &str) -> Result<(), String> {
    validate_name(name).map_err(|e| format!("unique_name {e}"))
}

fn domain_check(domain: &str) -> Result<(), String> {
    validate_domain(domain).map_err(|e| format!("domain {e}"))
}

fn secret_check(secret: &str) -> Result<(), String> {
    validate_secret(secret).map_err(|e| format!("shared_secret {e}"))
}

fn server_check(server: &str) -> Result<(), String> {
    crate::grammar::parse_endpoint(server)
        .map(|_| ())
        .map_err(|e| format!("server_address {e}"))
}

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "A Call Bridge's connection to the XMPP service (Web Admin Configuration > General, the REST API's `/api/v1/system/configuration/xmpp`): the name and secret of its XMPP account (a `cms_xmpp_callbridge`), the XMPP domain, and the server, found by DNS SRV unless given. An apply waits until the Call Bridge reports the connection up (the seed's Status > General check). One per node.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The node's `api_address` (the import ID)."),
        API_ADDRESS,
        attr("unique_name", Type::Text, Presence::Required, "The Call Bridge's XMPP account, as `xmpp callbridge add` created it on the XMPP servers (e.g. `callbridge01`, the `name` of a `cms_xmpp_callbridge`): 1 to 64 letters, digits, `.`, `_`, `-`.")
            .check(Check::Text { title: "Invalid unique name", check: name_check }),
        attr("domain", Type::Text, Presence::Required, "The XMPP domain (the XMPP servers' `xmpp domain`, e.g. `conf.example.com`).")
            .check(Check::Text { title: "Invalid domain", check: domain_check }),
        attr("shared_secret", Type::Text, Presence::Required, "The account's secret, e.g. the `secret` of a `cms_xmpp_callbridge` (sensitive end to end). The API never shows it: the state keeps the configured one, and a secret changed on the node shows as `connection` not `connected`. Null after an import: the first apply sets it.")
            .sensitive()
            .check(Check::Text { title: "Invalid secret", check: secret_check }),
        attr("server_address", Type::Text, Presence::Optional, "The XMPP server, `host` or `host:port`. Unset (the seed's recommendation): the Call Bridge finds one by the DNS SRV record `_xmpp-component._tcp.<domain>`.")
            .check(Check::Text { title: "Invalid server address", check: server_check }),
        attr("connection", Type::Text, Presence::Computed, "What the Call Bridge reports: `connected`, or `not_connected` while its XMPP connection alarm is active (wrong secret, no account, no server). The plan always wants `connected`."),
    ],
    blocks: &[],
    timeouts: &[
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(120)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::assert_declares;

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(
            &SPEC.names(),
            &["timeouts"],
            &super::super::CallbridgeXmppState::default(),
        );
    }
}
