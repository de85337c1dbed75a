//! The plan-time checks of a node's connection attributes, as declaration entries
//! ([`crate::resources::spec`]) shared by every resource whose nodes are reached over SSH.

use crate::client::is_valid_fingerprint;
use crate::resources::spec::{attr, Attr, Check, Presence, Type};

fn check_fingerprint(f: &str) -> Result<(), String> {
    match is_valid_fingerprint(f) {
        true => Ok(()),
        false => Err(format!("{f:?} is not a SHA256 fingerprint; expected the form `ssh-keygen -lf` prints, e.g. SHA256:<43 base64 characters>")),
    }
}

pub const ADDRESS: Check = Check::Text {
    title: "Invalid address",
    check: crate::grammar::check_host,
};
pub const USERNAME: Check = Check::Text {
    title: "Invalid username",
    check: crate::grammar::check_login_name,
};
pub const FINGERPRINT: Check = Check::Text {
    title: "Invalid host key fingerprint",
    check: check_fingerprint,
};

/// The rows of a node block that say how to reach its MMP when it differs from `address`:
/// `ssh_address`, `ssh_port`, `username`, `password`, `host_key_fingerprint`.
pub const SSH_NODE_ROWS: [Attr; 5] = [
    attr("ssh_address", Type::Text, Presence::Optional, "Address (IP or host name) of the node's MMP over SSH, when it differs from `address`.").check(ADDRESS),
    attr("ssh_port", Type::Number, Presence::Optional, "SSH port of the node's MMP, 1 to 65535. Default: the provider's `port`.").check(Check::Port),
    attr("username", Type::Text, Presence::Optional, "MMP user for this node (letters, digits, `_`, `.`, `-`, `@`). Default: the provider's `username`.").check(USERNAME),
    attr("password", Type::Text, Presence::Optional, "MMP password for this node. Default: the provider's credentials.").sensitive(),
    attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of the node's SSH host key; takes precedence over `known_hosts_file`.").check(FINGERPRINT),
];
