//! The names HAProxy is given: a virtual server (its frontend and backend) and a member (a
//! server of the backend). The plan checks them with `lb_config`'s `object_name` grammar;
//! the codec checks them again before a name reaches `haproxy.cfg` or a runtime command, so no
//! name can end a word early, start a comment or a second command (`;`, `#`, blanks, control
//! characters, backslash).

/// The longest name, as `lb_config`'s `object_name` allows.
pub const MAX_NAME: usize = 63;

/// A name HAProxy takes as one word: 1 to 63 letters, digits, `.`, `_` and `-`.
pub fn check_name(name: &str) -> Result<(), String> {
    crate::grammar::check_word(name, MAX_NAME).map_err(|e| format!("{name:?} {e}"))
}

/// A server name: a name, or an address with its port (`10.0.0.5:110`, `2001:db8::5.110`:
/// `lb_virtual_server`'s default member names). HAProxy's own rule for names (`invalid_char`
/// in `tools.c`) takes letters, digits, `.`, `:`, `_` and `-`; checked on 2.6.12 with
/// `haproxy -c` and `set server`.
pub fn check_server_name(name: &str) -> Result<(), String> {
    let word = name.replace(':', "_");
    crate::grammar::check_word(&word, MAX_NAME).map_err(|e| format!("{name:?} {e}"))
}
