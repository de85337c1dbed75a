//! F5's error bodies. Configuration errors from mcpd are
//! `{"code":404,"message":"01020036:3: The requested Pool (/Common/wrong) was not found.",
//! "errorStack":[],"apiError":3}` (go-bigip `RequestError{code,message,errorStack}`; the body
//! as F5's AS3 tests and a BIG-IP plugin's test suite quote it, cited in the simulator's
//! messages.rs); framework errors from restjavad carry the same `code` and `message`
//! (`{"code":401,"message":"X-F5-Auth-Token has expired.","referer":...,"kind":
//! ":resterrorresponse"}`, f5devcentral/f5-cli#8). The message is what an operator needs; any
//! other body is shown as its status and a short excerpt.

/// Longest excerpt of a body that is not F5's error JSON.
const EXCERPT_CHARS: usize = 160;

/// The operator's words for a non-2xx answer.
pub fn error_message(status: u16, body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(serde_json::Value::String(message)) = o.get("message") {
            if !message.trim().is_empty() {
                return message.trim().to_string();
            }
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return format!("HTTP {status} with an empty body");
    }
    format!("HTTP {status}: {}", excerpt(body))
}

/// The start of `body` as text on one line, at most [`EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let one_line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one_line.chars().take(EXCERPT_CHARS).collect();
    if one_line.chars().count() > EXCERPT_CHARS {
        out.push_str("...");
    }
    out
}

/// A JSON value for a message, shortened.
pub(crate) fn shown(value: &serde_json::Value) -> String {
    excerpt(value.to_string().as_bytes())
}
