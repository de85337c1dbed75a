//! PEM checks the MMP applies to the files named in `database cluster certs`.
//!
//! Cisco TAC 210530: the database cluster uses the server key/certificate, the
//! client key/certificate (CN `postgres`) and the CA certificate uploaded over
//! SFTP. What exactly the MMP checks is not documented [GUESS]: the simulator
//! wants, for a key, one `-----BEGIN <...>PRIVATE KEY-----` block, and for a
//! certificate (or CA bundle), at least one `-----BEGIN CERTIFICATE-----` block;
//! each with the matching `-----END ...-----` line and a non-empty base64 body.
//! Certificate contents (CN, expiry, chain) are not checked.

/// What a file named in `database cluster certs` must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemKind {
    PrivateKey,
    Certificate,
}

impl PemKind {
    /// Used in `Failure: <name>: not a valid PEM <what>`.
    pub fn describe(self) -> &'static str {
        match self {
            PemKind::PrivateKey => "private key",
            PemKind::Certificate => "certificate",
        }
    }

    fn accepts(self, label: &str) -> bool {
        match self {
            PemKind::PrivateKey => label == "PRIVATE KEY" || label.ends_with(" PRIVATE KEY"),
            PemKind::Certificate => label == "CERTIFICATE",
        }
    }
}

fn is_base64_body(body: &str) -> bool {
    let trimmed = body.trim_end_matches('=');
    !body.is_empty()
        && body.len().is_multiple_of(4)
        && body.len() - trimmed.len() <= 2
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// `true` when `content` holds at least one well-formed PEM block of `kind`.
pub fn contains_valid_block(content: &[u8], kind: PemKind) -> bool {
    let text = String::from_utf8_lossy(content);
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        if !kind.accepts(label) {
            continue;
        }
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            if l == end {
                closed = true;
                break;
            }
            body.push_str(l);
        }
        if closed && is_base64_body(&body) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str =
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAAAA\n-----END CERTIFICATE-----\n";

    #[test]
    fn certificates_and_keys() {
        assert!(contains_valid_block(CERT.as_bytes(), PemKind::Certificate));
        assert!(!contains_valid_block(CERT.as_bytes(), PemKind::PrivateKey));
        let bundle = format!("junk\n{CERT}{CERT}");
        assert!(contains_valid_block(
            bundle.as_bytes(),
            PemKind::Certificate
        ));
        for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"] {
            let key = format!(
                "-----BEGIN {label}-----\r\nMC4CAQAwBQYDK2VwBCIEIA==\r\n-----END {label}-----\r\n"
            );
            assert!(
                contains_valid_block(key.as_bytes(), PemKind::PrivateKey),
                "{label}"
            );
        }
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "hello",
            "-----BEGIN CERTIFICATE-----\nAAAA\n",
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        ] {
            assert!(
                !contains_valid_block(bad.as_bytes(), PemKind::Certificate),
                "{bad:?}"
            );
            assert!(
                !contains_valid_block(bad.as_bytes(), PemKind::PrivateKey),
                "{bad:?}"
            );
        }
    }
}
