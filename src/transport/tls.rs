//! The one trust policy for everything uccluster speaks over TLS (MySQL, HTTPS, line protocols).
//!
//! A device's certificate is trusted only in the way the configuration says: a CA bundle, the
//! SHA-256 of the exact leaf certificate, the operating system's store (only when asked for), or
//! the loudly named opt-out. There are no built-in roots: public CAs would vouch for any
//! certificate bought for any name, which is not what an operator who set up a lab CA meant.
//! Every policy builds a rustls `ClientConfig` on the ring provider (the one mysql_async already
//! brings; no second crypto library). A rejected certificate becomes
//! `TransportError::Certificate` in rustls' words and is never retried.

use super::TransportError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

/// How a device's TLS certificate is trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustPolicy {
    /// Only the CAs in this PEM file, read at each connection (a wrong path is named then, not
    /// retried like a device that is down). The certificate must name the host we dialled.
    CaBundle(PathBuf),
    /// Exactly the leaf certificate with this SHA-256 fingerprint (its DER), whoever issued it and
    /// whatever names it carries: the operator vouches for that certificate, typically a device's
    /// self-signed one. The handshake signature is still checked, so the peer holds its key.
    PinnedSha256(CertificateFingerprint),
    /// The operating system's trust store (rustls-native-certs: the Debian bundle, the macOS
    /// keychain, the Windows store), only when the configuration asks for it.
    SystemStore,
    /// Any certificate at all. Explicit and loudly named: it protects against nothing but
    /// passive eavesdropping, and every connection made with it logs a warning.
    InsecureAcceptAnyCertificate,
}

/// The SHA-256 of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CertificateFingerprint([u8; 32]);

impl CertificateFingerprint {
    pub fn of(der: &[u8]) -> Self {
        CertificateFingerprint(Sha256::digest(der).into())
    }

    /// Parses the fingerprint as tools print it: 64 hex digits, optionally in colon-separated
    /// pairs (`openssl x509 -fingerprint -sha256`), either case.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let hex: String = match t.contains(':') {
            true if t.split(':').all(|pair| pair.len() == 2) => t.split(':').collect(),
            true => return Err(format!("{t:?} is not colon-separated pairs of hex digits")),
            false => t.to_string(),
        };
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "{t:?} is not a SHA-256 fingerprint (64 hex digits, optionally as AB:CD:... pairs)"
            ));
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|e| format!("{t:?}: {e}"))?;
        }
        Ok(CertificateFingerprint(bytes))
    }
}

impl std::fmt::Display for CertificateFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs: Vec<String> = self.0.iter().map(|b| format!("{b:02X}")).collect();
        f.write_str(&pairs.join(":"))
    }
}

impl std::fmt::Debug for CertificateFingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{self}")
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TrustPolicy {
    /// The rustls configuration for connections to `endpoint` (named in errors) under this policy.
    pub fn client_config(&self, endpoint: &str) -> Result<Arc<ClientConfig>, TransportError> {
        let unusable = |message: String| TransportError::Certificate {
            endpoint: endpoint.to_string(),
            message,
        };
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| unusable(e.to_string()))?;
        let config = match self {
            TrustPolicy::CaBundle(_) | TrustPolicy::SystemStore => {
                let mut roots = RootCertStore::empty();
                let (added, _ignored) = roots.add_parsable_certificates(self.roots(endpoint)?);
                if added == 0 {
                    return Err(unusable(format!(
                        "{} holds no usable CA certificate",
                        self.origin()
                    )));
                }
                let verifier =
                    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .map_err(|e| unusable(e.to_string()))?;
                builder.with_webpki_verifier(verifier).with_no_client_auth()
            }
            TrustPolicy::PinnedSha256(pin) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(LeafCheck {
                    pin: Some(*pin),
                    algorithms: provider.signature_verification_algorithms,
                }))
                .with_no_client_auth(),
            TrustPolicy::InsecureAcceptAnyCertificate => {
                tracing::warn!(
                    endpoint,
                    "TLS certificate NOT verified (insecure opt-out): anyone on the path can impersonate this device"
                );
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(LeafCheck {
                        pin: None,
                        algorithms: provider.signature_verification_algorithms,
                    }))
                    .with_no_client_auth()
            }
        };
        Ok(Arc::new(config))
    }

    /// The CA certificates this policy trusts (empty for a pin or the opt-out), for clients that
    /// take roots rather than a rustls configuration (mysql_async).
    pub fn roots(&self, endpoint: &str) -> Result<Vec<CertificateDer<'static>>, TransportError> {
        let unusable = |message: String| TransportError::Certificate {
            endpoint: endpoint.to_string(),
            message,
        };
        match self {
            TrustPolicy::CaBundle(path) => {
                let pem = std::fs::read(path)
                    .map_err(|e| unusable(format!("cannot read {}: {e}", self.origin())))?;
                let certs = CertificateDer::pem_slice_iter(&pem)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| unusable(format!("{}: {e}", self.origin())))?;
                match certs.is_empty() {
                    true => Err(unusable(format!(
                        "{} holds no PEM certificate",
                        self.origin()
                    ))),
                    false => Ok(certs),
                }
            }
            TrustPolicy::SystemStore => {
                let found = rustls_native_certs::load_native_certs();
                if found.certs.is_empty() {
                    let why: Vec<String> = found.errors.iter().map(|e| e.to_string()).collect();
                    return Err(unusable(format!(
                        "the system trust store holds no certificate ({})",
                        why.join("; ")
                    )));
                }
                Ok(found.certs)
            }
            TrustPolicy::PinnedSha256(_) | TrustPolicy::InsecureAcceptAnyCertificate => Ok(vec![]),
        }
    }

    /// Where the trusted certificates come from, as messages name it.
    fn origin(&self) -> String {
        match self {
            TrustPolicy::CaBundle(path) => format!("tls_ca_file {}", path.display()),
            TrustPolicy::PinnedSha256(pin) => format!("the pinned certificate {pin:?}"),
            TrustPolicy::SystemStore => "the system trust store".into(),
            TrustPolicy::InsecureAcceptAnyCertificate => "no trust (insecure opt-out)".into(),
        }
    }
}

/// The name rustls checks the certificate against: the host as dialled (a DNS name or an IP).
pub fn server_name(host: &str, endpoint: &str) -> Result<ServerName<'static>, TransportError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string()).map_err(|e| TransportError::Certificate {
        endpoint: endpoint.to_string(),
        message: format!("{host:?} cannot be checked against a certificate: {e}"),
    })
}

/// rustls' own words for a TLS failure somewhere in `error`'s chain of causes.
pub fn rustls_failure(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    find_rustls(error).map(|tls| match tls {
        // rustls shows an `Other` reason with `{:?}`; ours (a pin mismatch) reads as a sentence.
        rustls::Error::InvalidCertificate(CertificateError::Other(reason)) => {
            format!("invalid peer certificate: {reason}")
        }
        tls => tls.to_string(),
    })
}

/// rustls errors travel inside `std::io::Error`s (sometimes one inside another, as HTTP stacks
/// re-wrap them), which hide their contents from `source()`, so each is opened as well as
/// followed.
fn find_rustls<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let opened = error
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    opened
        .and_then(find_rustls)
        .or_else(|| error.source().and_then(find_rustls))
}

/// Accepts the leaf whose SHA-256 is `pin` (any leaf when `pin` is `None`: the insecure
/// opt-out), and verifies the handshake signatures with the provider's algorithms either way.
#[derive(Debug)]
struct LeafCheck {
    pin: Option<CertificateFingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// Why a pinned connection was refused, as rustls reports it ("invalid peer certificate: ...").
#[derive(Debug)]
struct PinMismatch {
    presented: CertificateFingerprint,
    pinned: CertificateFingerprint,
}

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the certificate's SHA-256 fingerprint is {}, not the pinned {}",
            self.presented, self.pinned
        )
    }
}

impl std::error::Error for PinMismatch {}

impl ServerCertVerifier for LeafCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = CertificateFingerprint::of(end_entity);
        match self.pin {
            Some(pinned) if pinned != presented => {
                Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                    rustls::OtherError(Arc::new(PinMismatch { presented, pinned })),
                )))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff";

    #[test]
    fn fingerprints_parse_in_both_printed_forms() {
        let plain = CertificateFingerprint::parse(HEX).unwrap();
        let pairs: Vec<String> = (0..32).map(|i| HEX[2 * i..2 * i + 2].to_string()).collect();
        let colons = CertificateFingerprint::parse(&format!(" {} ", pairs.join(":"))).unwrap();
        assert_eq!(plain, colons);
        assert_eq!(plain.0[0..2], [0x00, 0x11]);
        assert_eq!(plain.0[31], 0xff);
        assert_eq!(
            plain.to_string(),
            "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
        );
    }

    #[test]
    fn malformed_fingerprints_are_refused() {
        for bad in [
            "",
            &HEX[..62],
            &format!("{HEX}00"),
            &HEX.replace('A', "G"),
            "001:12:23",
            "SHA256:abcdefabcdefabcdefabcdefabcdefabcdefabcdefab",
        ] {
            assert!(CertificateFingerprint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_fingerprint_is_the_sha256_of_the_der() {
        // SHA-256 of the empty input.
        assert_eq!(
            CertificateFingerprint::of(b""),
            CertificateFingerprint::parse(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            )
            .unwrap()
        );
    }

    fn check(pin: Option<CertificateFingerprint>, der: &[u8]) -> Result<(), rustls::Error> {
        let verifier = LeafCheck {
            pin,
            algorithms: provider().signature_verification_algorithms,
        };
        let name = ServerName::try_from("device.example").unwrap();
        verifier
            .verify_server_cert(&CertificateDer::from(der), &[], &name, &[], UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn the_pin_accepts_only_its_leaf() {
        let leaf = b"leaf certificate DER";
        assert!(check(Some(CertificateFingerprint::of(leaf)), leaf).is_ok());
        let refused = check(Some(CertificateFingerprint::of(b"another")), leaf).unwrap_err();
        assert_eq!(
            rustls_failure(&refused),
            Some(format!(
                "invalid peer certificate: the certificate's SHA-256 fingerprint is {}, not the pinned {}",
                CertificateFingerprint::of(leaf),
                CertificateFingerprint::of(b"another")
            ))
        );
        // The opt-out accepts anything.
        assert!(check(None, leaf).is_ok());
    }

    #[test]
    fn tls_failures_are_found_inside_io_errors() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        assert_eq!(
            rustls_failure(&io).as_deref(),
            Some("invalid peer certificate: UnknownIssuer")
        );
        // Re-wrapped in another I/O error, inside another error's source, as HTTP stacks carry it.
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("client error (Connect)")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Wrapper(std::io::Error::other(io));
        assert_eq!(
            rustls_failure(&wrapped).as_deref(),
            Some("invalid peer certificate: UnknownIssuer")
        );
        let plain = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(rustls_failure(&Wrapper(plain)), None);
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_a_certificate_error() {
        let missing = TrustPolicy::CaBundle("/nonexistent/ca.pem".into());
        let e = missing.client_config("h:1").unwrap_err();
        assert!(
            matches!(&e, TransportError::Certificate { message, .. } if message.starts_with("cannot read tls_ca_file /nonexistent/ca.pem")),
            "{e:?}"
        );
        let dir = std::env::temp_dir().join(format!("uccluster-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = TrustPolicy::CaBundle(empty)
            .client_config("h:1")
            .unwrap_err();
        assert!(
            matches!(&e, TransportError::Certificate { message, .. } if message.contains("holds no PEM certificate")),
            "{e:?}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn server_names_take_hosts_and_bracketed_ips() {
        assert!(server_name("device.example", "e").is_ok());
        assert!(matches!(
            server_name("[::1]", "e").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(server_name("bad name!", "e").is_err());
    }
}
