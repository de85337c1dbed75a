//! PEM checks for the certificates and keys uploaded to devices, so a malformed file is caught
//! at plan time with the attribute named, not by the device halfway through an apply.

use base64::Engine;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PemKind {
    Certificate,
    PrivateKey,
}

/// `Ok(n)` with the number of PEM blocks of `kind` in `text` (a bundle may hold several
/// certificates), or what is wrong with it.
pub fn validate_pem(text: &str, kind: PemKind) -> Result<usize, String> {
    let mut blocks = 0;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue; // text around blocks (e.g. openssl's "subject=" lines) is allowed
        };
        let wanted = match kind {
            PemKind::Certificate => label == "CERTIFICATE",
            PemKind::PrivateKey => label.ends_with("PRIVATE KEY"),
        };
        if !wanted {
            return Err(format!(
                "found a \"{label}\" block where a {} was expected",
                describe(kind)
            ));
        }
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        loop {
            match lines.next() {
                Some(l) if l == end => break,
                Some(l) if l.contains(':') => {} // encrypted-key headers (Proc-Type, DEK-Info)
                Some(l) => body.push_str(l),
                None => return Err(format!("the \"{label}\" block has no END line")),
            }
        }
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("the \"{label}\" block is not valid base64: {e}"))?;
        blocks += 1;
    }
    if blocks == 0 {
        return Err(format!(
            "no PEM {} found (expected a \"-----BEGIN ...-----\" block)",
            describe(kind)
        ));
    }
    Ok(blocks)
}

/// The first PEM block of `text` whose label `wanted` accepts: its label and DER bytes.
pub fn first_block(text: &str, wanted: impl Fn(&str) -> bool) -> Option<(String, Vec<u8>)> {
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        if !wanted(label) {
            continue;
        }
        let end = format!("-----END {label}-----");
        let body: String = lines
            .by_ref()
            .take_while(|l| *l != end)
            .filter(|l| !l.contains(':'))
            .collect();
        return base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .ok()
            .map(|der| (label.to_string(), der));
    }
    None
}

fn describe(kind: PemKind) -> &'static str {
    match kind {
        PemKind::Certificate => "certificate",
        PemKind::PrivateKey => "private key",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2V0dGVzdA==\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn accepts_certificates_bundles_and_keys() {
        assert_eq!(validate_pem(CERT, PemKind::Certificate), Ok(1));
        assert_eq!(
            validate_pem(
                &format!("subject=CN=ca\n{CERT}{CERT}"),
                PemKind::Certificate
            ),
            Ok(2)
        );
        assert_eq!(validate_pem(KEY, PemKind::PrivateKey), Ok(1));
    }

    #[test]
    fn rejects_wrong_kind_truncated_and_garbage() {
        assert!(validate_pem(KEY, PemKind::Certificate)
            .unwrap_err()
            .contains("EC PRIVATE KEY"));
        assert!(
            validate_pem("-----BEGIN CERTIFICATE-----\nMIIB\n", PemKind::Certificate)
                .unwrap_err()
                .contains("no END line")
        );
        assert!(validate_pem(
            "-----BEGIN CERTIFICATE-----\n***\n-----END CERTIFICATE-----",
            PemKind::Certificate
        )
        .unwrap_err()
        .contains("base64"));
        assert!(validate_pem("hello", PemKind::PrivateKey)
            .unwrap_err()
            .contains("no PEM private key"));
    }
}
