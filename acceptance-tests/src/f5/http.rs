//! The shared HTTP/1.1 server side ([`crate::http`]) with BIG-IP's reason phrases.

pub use crate::http::*;

/// The reason phrase; 401 is what BIG-IP's httpd says (f5devcentral/f5-cli#8: `code: 401
/// reason: F5 Authorization Required`).
pub fn reason(status: u16) -> &'static str {
    match status {
        401 => "F5 Authorization Required",
        other => standard_reason(other),
    }
}
