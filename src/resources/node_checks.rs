//! Plan-time checks of a node's connection attributes, shared by every resource whose nodes are
//! reached over SSH.

use crate::client::is_valid_fingerprint;
use crate::resources::spec::Check;
use tf_provider::{AttributePath, Diagnostics};

/// A node's connection attributes as configured, with the names they have in its block
/// (`address`/`port` in most blocks, `ssh_address`/`ssh_port` where the node also has a
/// database address).
pub struct NodeConnectionConfig<'s> {
    pub address: (&'static str, Option<&'s str>),
    pub port: (&'static str, Option<i64>),
    pub username: Option<&'s str>,
    pub host_key_fingerprint: Option<&'s str>,
}

/// Validate a node's connection attributes, each reported at its own path under `path` (the
/// node block).
pub fn validate_node_connection(
    node: NodeConnectionConfig<'_>,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if let (name, Some(address)) = node.address {
        if let Err(e) = crate::grammar::check_host(address) {
            diags.error("Invalid address", e, path.clone().attribute(name));
        }
    }
    if let (name, Some(port)) = node.port {
        if let Err(e) = crate::grammar::check_port(port) {
            diags.error("Invalid port", e, path.clone().attribute(name));
        }
    }
    if let Some(user) = node.username {
        if let Err(e) = crate::grammar::check_login_name(user) {
            diags.error("Invalid username", e, path.clone().attribute("username"));
        }
    }
    if let Some(f) = node.host_key_fingerprint {
        if let Err(e) = check_fingerprint(f) {
            diags.error(
                "Invalid host key fingerprint",
                e,
                path.clone().attribute("host_key_fingerprint"),
            );
        }
    }
}

fn check_fingerprint(f: &str) -> Result<(), String> {
    match is_valid_fingerprint(f) {
        true => Ok(()),
        false => Err(format!("{f:?} is not a SHA256 fingerprint; expected the form `ssh-keygen -lf` prints, e.g. SHA256:<43 base64 characters>")),
    }
}

/// The same checks as table entries ([`crate::resources::spec`]), with the same titles.
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
