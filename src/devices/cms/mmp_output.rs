//! How the MMP says a command failed.
//!
//! MMP commands print nothing or short confirmation lines on success; failures are printed as
//! text, with no exit status to go by. Observed forms (Cisco TAC documents 210530, 213479 and the
//! MMP command reference): `Failure: ...`, `ERROR: ...`, `Unknown command ...`, and a `Usage: ...`
//! line when arguments are wrong. Exact prefixes vary across releases [GUESS], so all are accepted.

const ERROR_PREFIXES: &[&str] = &["failure", "error", "unknown command", "usage:", "invalid"];

/// The device's error message, if `output` reports a failure.
pub fn device_error(output: &str) -> Option<String> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines.iter().position(|line| {
        let lower = line.to_ascii_lowercase();
        ERROR_PREFIXES.iter().any(|p| lower.starts_with(p))
    })?;
    Some(lines[first..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_recognised_with_the_device_wording() {
        assert_eq!(
            device_error("Failure: callbridge cb1 already exists").as_deref(),
            Some("Failure: callbridge cb1 already exists")
        );
        assert_eq!(
            device_error("Unknown command: xmp").as_deref(),
            Some("Unknown command: xmp")
        );
        assert_eq!(
            device_error("Usage: xmpp callbridge add <name>").as_deref(),
            Some("Usage: xmpp callbridge add <name>")
        );
        assert_eq!(
            device_error("ERROR: Couldn't upgrade the schema").as_deref(),
            Some("ERROR: Couldn't upgrade the schema")
        );
    }

    #[test]
    fn success_output_is_not_an_error() {
        assert_eq!(device_error(""), None);
        assert_eq!(device_error("Success"), None);
        assert_eq!(device_error("Callbridge          : cb1\nDomain              : example.com\nSecret              : abc"), None);
        // A value that merely contains the word is not a failure line.
        assert_eq!(device_error("Callbridge          : error-bridge"), None);
    }
}
