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

/// Remember `value` as secret. Cheap to call repeatedly with the same value.
pub fn register(value: &str) {
    if value.len() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = registry().write().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| s == value) {
        secrets.push(value.to_string());
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
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

    #[test]
    fn short_values_are_not_masked() {
        register("ab");
        assert_eq!(mask("abc"), "abc");
    }
}
