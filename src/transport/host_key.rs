//! Host identity checks: a pinned SHA256 fingerprint, a known_hosts file, or (explicit opt-out) none.

use russh::keys::{HashAlg, PublicKey};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub enum HostKeyPolicy {
    /// Accept only a key with this fingerprint (`SHA256:<base64>` as `ssh-keygen -lf` prints it).
    Pinned(String),
    /// Accept only a key listed for this host and port in an OpenSSH known_hosts file.
    KnownHosts(PathBuf),
    /// Accept any key. Only when the user set `insecure_skip_host_key_check = true`.
    InsecureSkip,
}

/// `SHA256:...` fingerprint of a public key.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// Normalise a user-written fingerprint: accept it with or without the `SHA256:` prefix and
/// with or without base64 padding.
pub fn normalize_fingerprint(text: &str) -> String {
    let body = text
        .trim()
        .trim_start_matches("SHA256:")
        .trim_end_matches('=');
    format!("SHA256:{body}")
}

/// Whether `text` looks like a SHA256 fingerprint (43 base64 characters after the prefix).
pub fn is_valid_fingerprint(text: &str) -> bool {
    let n = normalize_fingerprint(text);
    let body = &n["SHA256:".len()..];
    body.len() == 43
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

impl HostKeyPolicy {
    /// `Ok(())` if the key is trusted for `host:port`, else the reason in words.
    pub fn verify(&self, host: &str, port: u16, key: &PublicKey) -> Result<(), String> {
        let seen = fingerprint(key);
        match self {
            HostKeyPolicy::InsecureSkip => {
                tracing::warn!(host, port, fingerprint = %seen, "host key NOT verified (insecure_skip_host_key_check = true)");
                Ok(())
            }
            HostKeyPolicy::Pinned(expected) => {
                if normalize_fingerprint(expected) == seen {
                    Ok(())
                } else {
                    Err(format!(
                        "the device presented {seen}, but host_key_fingerprint pins {}. \
                         If the device was legitimately reinstalled, update the pinned fingerprint; otherwise someone may be impersonating it",
                        normalize_fingerprint(expected)
                    ))
                }
            }
            HostKeyPolicy::KnownHosts(path) => {
                match russh::keys::check_known_hosts_path(host, port, key, path) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(format!(
                        "no entry for {} in known_hosts file {} (the device presented {seen}); \
                         add it (for example with ssh-keyscan) or pin it with host_key_fingerprint",
                        known_hosts_name(host, port),
                        path.display()
                    )),
                    Err(russh::keys::Error::KeyChanged { line }) => Err(format!(
                        "the device presented {seen}, which differs from the key recorded at line {line} of {}; \
                         someone may be impersonating the device, or it was reinstalled",
                        path.display()
                    )),
                    Err(e) => Err(format!("cannot read known_hosts file {}: {e}", path.display())),
                }
            }
        }
    }
}

/// How OpenSSH names a host in known_hosts: `host` on port 22, `[host]:port` otherwise.
pub fn known_hosts_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::{Algorithm, PrivateKey};

    fn key() -> PublicKey {
        PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .clone()
    }

    #[test]
    fn pinned_fingerprint_accepts_only_that_key() {
        let k = key();
        let pinned =
            HostKeyPolicy::Pinned(fingerprint(&k).trim_start_matches("SHA256:").to_string());
        assert!(pinned.verify("h", 22, &k).is_ok());
        let err = pinned.verify("h", 22, &key()).unwrap_err();
        assert!(err.contains("impersonating"), "{err}");
    }

    #[test]
    fn known_hosts_file_entries_by_host_and_port() {
        let k = key();
        let dir = std::env::temp_dir().join(format!("uccluster-kh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("known_hosts");
        std::fs::write(
            &path,
            format!("[127.0.0.5]:2222 {}\n", k.to_openssh().unwrap()),
        )
        .unwrap();
        let policy = HostKeyPolicy::KnownHosts(path);
        assert!(policy.verify("127.0.0.5", 2222, &k).is_ok());
        assert!(policy
            .verify("127.0.0.5", 2223, &k)
            .unwrap_err()
            .contains("no entry for [127.0.0.5]:2223"));
        assert!(policy
            .verify("127.0.0.5", 2222, &key())
            .unwrap_err()
            .contains("differs from the key recorded at line 1"));
    }

    #[test]
    fn fingerprint_syntax() {
        let f = fingerprint(&key());
        assert!(is_valid_fingerprint(&f));
        assert!(is_valid_fingerprint(f.trim_start_matches("SHA256:")));
        assert!(!is_valid_fingerprint("SHA256:short"));
        assert!(!is_valid_fingerprint("aa:bb:cc"));
    }
}
