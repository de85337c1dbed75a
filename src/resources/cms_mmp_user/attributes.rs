//! The declaration of every `cms_mmp_user` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::devices::cms::users::{validate_password, validate_role, validate_user_name};
use crate::resources::node_checks::{ADDRESS, FINGERPRINT, USERNAME};
use crate::resources::spec::{attr, Check, DefaultValue, Presence, Spec, Type};
use crate::timeouts::Operation;
use std::time::Duration;

fn name_check(name: &str) -> Result<(), String> {
    validate_user_name(name).map_err(|e| format!("name {e}"))
}

fn role_check(role: &str) -> Result<(), String> {
    validate_role(role).map_err(|e| format!("role {e}"))
}

fn password_check(password: &str) -> Result<(), String> {
    validate_password(password).map_err(|e| format!("password {e}"))
}

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "One MMP user account of a Cisco Meeting Server node, such as the user with the `appadmin` role that the REST API (Web Admin) needs. MMP users are local to each node: declare one per node.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "`<name>@<node>`, the node as `address`, with `:<ssh_port>` when set (the import ID)."),
        attr("name", Type::Text, Presence::Required, "Name of the MMP user (1 to 32 letters, digits, `.`, `_`, `-`). Must not be the user the provider logs in as (`mmp_username`, else the provider's `username`). Changing it replaces the user.")
            .replaces()
            .check(Check::Text { title: "Invalid user name", check: name_check }),
        attr("role", Type::Text, Presence::Defaulted(DefaultValue::Text("appadmin")), "MMP role: `admin`, `crypto`, `audit`, `appadmin` or `api`. Default `appadmin` (the REST API user of the seed). A role changed on the node shows in the plan, and the apply sets it back (`user role`).")
            .check(Check::Text { title: "Invalid role", check: role_check }),
        attr("password", Type::Text, Presence::Required, "The user's password, typed at the two prompts of `user add` / `user password` (one line, no control characters). The node cannot show it, so the state keeps the configured value and a change made on the node is not seen; changing it here runs `user password`. Null after an import (the node cannot show it): the first apply after the import sets it.")
            .sensitive()
            .check(Check::Text { title: "Invalid password", check: password_check }),
        attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the node's MMP, reached over SSH. Changing it replaces the user.").replaces().check(ADDRESS),
        attr("ssh_port", Type::Number, Presence::Optional, "SSH port of the node's MMP, 1 to 65535. Default: the provider's `port`. Changing it replaces the user.").replaces().check(Check::Port),
        attr("mmp_username", Type::Text, Presence::Optional, "MMP user the provider logs in as on this node (letters, digits, `_`, `.`, `-`, `@`). Default: the provider's `username`.").check(USERNAME),
        attr("mmp_password", Type::Text, Presence::Optional, "Password of `mmp_username`. Default: the provider's credentials.").sensitive(),
        attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of the node's SSH host key (`SHA256:...` as `ssh-keygen -lf` prints it). Takes precedence over the provider's `known_hosts_file`.").check(FINGERPRINT),
    ],
    blocks: &[],
    timeouts: &[
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Read, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(300)),
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
            &super::super::MmpUserState::default(),
        );
    }
}
