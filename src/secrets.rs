//! Process-wide registry of secret values, so that no log line or error message can carry one.
//!
//! Every secret the provider learns (passwords, keys, shared secrets) is registered here the moment
//! it is read from configuration, state or a device; `mask` replaces each occurrence with `***`.
//! Masking at the output boundary is sturdier than remembering to redact at every call site.

use std::sync::{OnceLock, RwLock};

const MASK: &str = "***";
/// Values shorter than this are not masked: replacing every "a" in a message would destroy it,
/// and such values are not secrets in any useful sense.
const MIN_SECRET_LEN: usize = 4;

fn registry() -> &'static RwLock<Vec<String>> {
    static REGISTRY: OnceLock<RwLock<Vec<String>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(Vec::new()))
}

/// Remember `value` as secret, in every form in which it can be sent or shown (see
/// [`sent_forms`]). Cheap to call repeatedly with the same value.
pub fn register(value: &str) {
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = registry().write().unwrap_or_else(|e| e.into_inner());
    let mut added = false;
    for form in sent_forms(value) {
        if !secrets.contains(&form) {
            secrets.push(form);
            added = true;
        }
    }
    if added {
        // Longest first, so a secret containing another (or an escaped form containing the raw
        // one) is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `value` as written inside the quoted texts that reach devices, logs and errors: raw; a MySQL
/// string literal (backslash-escaped, or with doubled quotes); a POSIX shell single-quoted word;
/// a Rust `{:?}` or JSON string (how errors and structured logs quote text); percent-encoded (a
/// URL). The surrounding quotes are left out, so any quoting style is covered.
pub fn sent_forms(value: &str) -> Vec<String> {
    let debug = format!("{value:?}");
    let json = serde_json::to_string(value).unwrap_or_default();
    let percent: String = value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut forms = vec![
        value.to_string(),
        value.replace('\\', "\\\\").replace('\'', "\\'"),
        value.replace('\'', "''"),
        value.replace('\'', "'\\''"),
        debug.trim_matches('"').to_string(),
        json.trim_matches('"').to_string(),
        percent,
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// `text` with every registered secret replaced by `***`.
pub fn mask(text: &str) -> String {
    let secrets = registry().read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_registered_values_longest_first() {
        register("s3cr3t-value");
        register("s3cr3t");
        assert_eq!(mask("pw=s3cr3t-value and s3cr3t"), "pw=*** and ***");
    }

    /// A secret full of quotes, backslashes and shell characters is masked in whichever form a
    /// statement, command, error or log carries it.
    #[test]
    fn escaped_forms_are_masked() {
        let secret = r#"p'w"\$;|&`x!#"#;
        register(secret);
        let sql = crate::devices::xop::replication::create_user_sql("repl", "%", secret);
        let shell = crate::devices::shell::shell_quote(secret);
        for text in [
            sql.clone(),
            format!("MYSQL_PWD={shell} mysqldump"),
            format!("error: {secret:?}"),
            serde_json::json!({ "password": secret }).to_string(),
            format!(
                "https://h/api?pw={}",
                sent_forms(secret)
                    .iter()
                    .find(|f| f.contains("%27"))
                    .unwrap()
            ),
        ] {
            let masked = mask(&text);
            for form in sent_forms(secret) {
                assert!(!masked.contains(&form), "{form:?} survives in {masked:?}");
            }
            assert!(
                !masked.contains("p'w") && !masked.contains("$;|&"),
                "{masked}"
            );
        }
    }

    #[test]
    fn short_values_are_not_masked() {
        register("ab");
        assert_eq!(mask("abc"), "abc");
    }
}
