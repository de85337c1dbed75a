//! The lab's secrets. Every password the lab makes, and every secret the tests configure, carries
//! [`SECRET_MARKER`] followed by the characters that quoting gets wrong (quotes, a backslash,
//! shell metacharacters, a comment sign). The tests scan every Terraform output and log for the
//! marker: a secret that leaked in any form (raw, SQL- or shell-escaped, JSON-quoted, cut short)
//! still carries it, while a masked one is gone whole.

use rand::distr::Alphanumeric;
use rand::RngExt;

/// Letters no real output contains.
pub const SECRET_MARKER: &str = "Lk9sEcrMk";
/// What follows the marker in every lab secret.
pub const AWKWARD_CHARACTERS: &str = "'\"\\$;|&`!#%";

/// A fresh random secret: the marker, 12 random letters and digits, the awkward characters.
pub fn random_password() -> String {
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(12)
        .map(char::from)
        .collect();
    format!("{SECRET_MARKER}{random}{AWKWARD_CHARACTERS}")
}

/// A fixed secret for a test, named so a leak says which one it was.
pub fn test_secret(name: &str) -> String {
    format!("{SECRET_MARKER}-{name}-{AWKWARD_CHARACTERS}")
}

/// The lines of `text` that carry a secret (its marker).
pub fn leaked_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains(SECRET_MARKER)).collect()
}

/// A MariaDB string literal (backslash escapes, the server's default SQL mode).
pub fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A quoted value for a MariaDB option file (`password="..."`): inside double quotes the
/// option-file reader takes `\\`, `\"` and `\'` as escapes, and `#` does not start a comment.
pub fn option_file_value(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An HCL string literal: quotes and backslashes escaped, `${` and `%{` written so Terraform
/// reads them as text, not as interpolation or a directive.
pub fn hcl_string(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace("${", "$${")
        .replace("%{", "%%{");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_carry_the_marker_and_the_awkward_characters() {
        let p = random_password();
        assert!(p.starts_with(SECRET_MARKER) && p.ends_with(AWKWARD_CHARACTERS));
        assert_ne!(p, random_password());
        assert_eq!(
            leaked_lines(&format!("ok\nleak {p:?}\n")),
            vec![format!("leak {p:?}")]
        );
        assert_eq!(sql_string(r"a'b\c"), r"'a\'b\\c'");
        assert_eq!(option_file_value(r#"a"b\c#"#), r#""a\"b\\c#""#);
        assert_eq!(hcl_string(r#"a"b\c${x}%{y}"#), r#""a\"b\\c$${x}%%{y}""#);
    }
}
