//! Escaping text for XML content and attribute values, shared by the simulators that answer in
//! XML (imp's SOAP, the CMS REST API in `cms_mmp::rest`).

/// `text` with `&`, `<`, `>`, `"` and `'` escaped. Characters XML 1.0 cannot carry at all (the
/// C0 controls but tab, newline and carriage return) become U+FFFD, so a reply is always
/// well-formed whatever a value holds [simulator choice: a device's answer is not documented].
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        assert_eq!(escape("t\tn\nr\rx\u{1}"), "t\tn\nr\rx\u{fffd}");
        assert_eq!(escape("été 日本"), "été 日本");
    }
}
