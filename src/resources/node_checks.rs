//! The plan-time checks of a node's connection attributes, as declaration entries
//! ([`crate::resources::spec`]) shared by every resource whose nodes are reached over SSH.

use crate::client::is_valid_fingerprint;
use crate::resources::spec::Check;

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
