//! The encoder of the CGP text data format (cgp-interface.md §4): the values this provider
//! writes, on one line, as CLI parameters must be (S1). The reader is [`super::data`].

use super::data::Value;
use base64::Engine;

/// Whether `s` may be written without quotes: S2's atom is letters and digits only; S7's
/// `convertOutput` quotes anything matching `[\W_]` or empty. The encoder follows the stricter
/// reading (ASCII letters and digits).
pub fn is_plain_atom(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The one-line text of `value`, as a CLI parameter must be (S1: "all parameters must be
/// specified on one line"). Strings are atoms when letters and digits only, else quoted with
/// `"` and `\` always escaped (S7's `convertOutput` escapes them only in its "translate
/// strings" mode, which `connect` turns off, so its output of a `"` would end the string:
/// not followed) and control characters as `\nnn` (S7: `'\\'.('0'x(3-length(ord($1)))).ord($1)`).
/// Dictionaries and arrays in S7's compact form: `{k=v;}`, `(a,b)`.
pub fn encode(value: &Value) -> String {
    let mut out = String::new();
    encode_into(value, &mut out);
    out
}

pub fn encode_into(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => encode_string(s, out),
        Value::DataBlock(bytes) => {
            out.push('[');
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(bytes));
            out.push(']');
        }
        Value::Number(n) => out.push_str(&format!("#{n}")),
        Value::Timestamp(t) => {
            out.push_str("#T");
            out.push_str(t);
        }
        Value::Ip { address, port } => {
            out.push_str("#I[");
            out.push_str(address);
            out.push(']');
            if let Some(p) = port {
                out.push_str(&format!(":{p}"));
            }
        }
        Value::Null => out.push_str("#NULL#"),
        Value::Array(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode_into(item, out);
            }
            out.push(')');
        }
        Value::Dictionary(entries) => {
            out.push('{');
            for (k, v) in entries {
                encode_string(k, out);
                out.push('=');
                encode_into(v, out);
                out.push(';');
            }
            out.push('}');
        }
        // Kept as read; a multi-line XML text would need its line breaks as spaces, which
        // this provider never sends (it writes no XML).
        Value::Raw(text) => out.push_str(text),
    }
}

/// A string as an atom or a quoted string (see [`encode`]).
pub fn encode_string(s: &str, out: &mut String) {
    if is_plain_atom(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\{:03}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
