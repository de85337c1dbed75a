//! The declaration of every `cms_webbridge` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::resources::api_node::API_ADDRESS;
use crate::resources::spec::{attr, Check, DefaultValue, Presence, Spec, Type};
use crate::timeouts::Operation;
use std::time::Duration;

/// The `idEntryMode` values (API Reference, Web Bridge related methods; `legacy` deprecated
/// since 2.3).
pub const ID_ENTRY_MODES: [&str; 3] = ["secure", "disabled", "legacy"];

fn url_check(url: &str) -> Result<(), String> {
    match url.is_empty() || url.len() > 255 || url.chars().any(|c| c.is_control() || c == ' ') {
        true => Err(format!(
            "{url:?} must be 1 to 255 characters without spaces or control characters, e.g. https://join.example.com"
        )),
        false => Ok(()),
    }
}

fn mode_check(mode: &str) -> Result<(), String> {
    match ID_ENTRY_MODES.contains(&mode) {
        true => Ok(()),
        false => Err(format!(
            "id_entry_mode {mode:?} is not one of {}",
            ID_ENTRY_MODES.join(", ")
        )),
    }
}

fn archive_check(archive: &str) -> Result<(), String> {
    url_check(archive).map_err(|e| format!("resource_archive {e}"))
}

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "A Web Bridge object of a Meeting Server cluster (the REST API's `/api/v1/webBridges`, what the seed creates with Postman): the URL the Call Bridges reach the Web Bridge on, and how guests join through it. Web Bridge objects live in the Call Bridges' database, so any node of a database cluster serves them; the Web Bridge service itself is `cms_node_services`'s `webbridge` block.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The object's id, from the `Location` of its creation."),
        API_ADDRESS,
        attr("url", Type::Text, Presence::Required, "The Web Bridge's URL (the seed: `cms.example.com`; e.g. `https://join.example.com`). It names the object: two Web Bridges with one URL are refused by the API, and an import finds the object by it.")
            .check(Check::Text { title: "Invalid URL", check: url_check }),
        attr("guest_access", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Whether guests may join spaces through this Web Bridge by their call ID or web link (`allowWeblinkAccess`). Default `true`, the API's."),
        attr("id_entry_mode", Type::Text, Presence::Optional, "How guests enter a space (`idEntryMode`): `secure` (the seed's secure entry: both the call ID and the passcode must be given), `disabled`, or `legacy` (deprecated since 2.3). Unset: the node's default, and a mode set on the node shows in the plan.")
            .check(Check::Text { title: "Invalid ID entry mode", check: mode_check }),
        attr("show_sign_in", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Whether the index page shows the Sign in tab (`showSignIn`). Default `true`."),
        attr("resolve_cospace_call_ids", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Whether guests may join spaces by their call IDs (`resolveCoSpaceCallIds`). Default `true`."),
        attr("resolve_lync_conference_ids", Type::Bool, Presence::Defaulted(DefaultValue::Bool(false)), "Whether call IDs are also looked up as Lync scheduled conference IDs (`resolveLyncConferenceIds`). Default `false`."),
        attr("resource_archive", Type::Text, Presence::Optional, "URL of a customization archive (background and logos of the sign-in page, `resourceArchive`); only ports 80 and 443.")
            .check(Check::Text { title: "Invalid resource archive", check: archive_check }),
    ],
    blocks: &[],
    timeouts: &[
        (Operation::Create, Duration::from_secs(120)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(120)),
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
            &super::super::WebBridgeState::default(),
        );
    }
}
