//! The key/certificate checks the MMP runs when a TLS service is enabled or restarted
//! (`webadmin enable`, `callbridge restart`, `xmpp enable`, `webbridge enable`; see
//! [`super::services`]).
//!
//! Cisco documents the outcome lines, not the algorithm: `SUCCESS: Key and certificate pair
//! match` (seed `cms-failover-cluster-part2a.txt`, enabling the Web Admin and the Call Bridge;
//! <https://cmslab.ciscolive.com/pod2/cms/webbridge>, enabling the Web Bridge) and, when the
//! service names a CA bundle, a line saying the certificate verified against it. The simulator:
//!
//! - the key file must hold a PKCS#8 `-----BEGIN PRIVATE KEY-----` block (what `openssl req
//!   -nodes` and the lab's [`crate::lab_ca`] write) [GUESS: a real MMP may also take PKCS#1 RSA keys;
//!   the simulator does not, ring reads PKCS#8 only];
//! - the certificate file's first `CERTIFICATE` block is the service's certificate, the
//!   following blocks its chain;
//! - key and certificate match when the key's public key is the certificate's (the DER
//!   SubjectPublicKeyInfo, or the raw public key at its end);
//! - with a CA bundle, the certificate must chain (signatures, validity dates, CA constraints;
//!   rustls-webpki) to one of the bundle's certificates, the rest of the certificate file and the
//!   bundle serving as intermediates. Extended key usage: TLS server or client, when present
//!   [GUESS: which EKUs the MMP requires is not documented].
//!
//! Every `FAILURE: ...` text here other than the pair mismatch is [GUESS].

use rcgen::KeyPair;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use webpki::{anchor_from_trusted_cert, EndEntityCert, KeyUsage};

/// Printed when the key's public key is the certificate's (seed `cms-failover-cluster-part2a.txt`).
pub const PAIR_MATCH: &str = "SUCCESS: Key and certificate pair match";
/// Printed when it is not; the service is not enabled (restarted).
pub const PAIR_MISMATCH: &str = "FAILURE: Key and certificate pair do not match";
/// Printed when the certificate chains to the CA bundle [GUESS: wording].
pub const BUNDLE_VERIFIED: &str = "SUCCESS: certificate verified against CA bundle";
/// Printed when it does not [GUESS: wording].
pub const BUNDLE_NOT_VERIFIED: &str = "FAILURE: certificate not verified against CA bundle";

/// `FAILURE: <name>: file not found` (any file a command names must be uploaded).
pub fn file_not_found(name: &str) -> String {
    format!("FAILURE: {name}: file not found")
}

/// `FAILURE: <name>: not a valid private key` [GUESS].
pub fn not_a_key(name: &str) -> String {
    format!("FAILURE: {name}: not a valid private key")
}

/// `FAILURE: <name>: not a valid certificate` [GUESS]; also for a CA bundle without a certificate.
pub fn not_a_certificate(name: &str) -> String {
    format!("FAILURE: {name}: not a valid certificate")
}

/// The public key (DER SubjectPublicKeyInfo, raw key) of a PKCS#8 PEM private key.
fn key_public_parts(pem: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let PrivateKeyDer::Pkcs8(der) = PrivateKeyDer::from_pem_slice(pem).ok()? else {
        return None;
    };
    let key = KeyPair::try_from(&der).ok()?;
    Some((key.public_key_der(), key.public_key_raw().to_vec()))
}

/// Every `CERTIFICATE` block of a PEM file, in order; `None` when there is none or one does
/// not parse as X.509.
pub(crate) fn certificates(pem: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .ok()?;
    if certs.is_empty() || certs.iter().any(|c| EndEntityCert::try_from(c).is_err()) {
        return None;
    }
    Some(certs)
}

/// The outcome of comparing a key file with a certificate file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairCheck {
    Match,
    Mismatch,
    BadKey,
    BadCertificate,
}

/// Compares the public key of the PKCS#8 key `key_pem` with that of the first certificate of
/// `cert_pem`.
pub fn check_pair(key_pem: &[u8], cert_pem: &[u8]) -> PairCheck {
    let Some((spki, raw)) = key_public_parts(key_pem) else {
        return PairCheck::BadKey;
    };
    let Some(certs) = certificates(cert_pem) else {
        return PairCheck::BadCertificate;
    };
    let Ok(leaf) = EndEntityCert::try_from(&certs[0]) else {
        return PairCheck::BadCertificate;
    };
    let cert_spki = leaf.subject_public_key_info();
    let cert_spki: &[u8] = cert_spki.as_ref();
    if cert_spki == spki.as_slice() || (!raw.is_empty() && cert_spki.ends_with(&raw)) {
        PairCheck::Match
    } else {
        PairCheck::Mismatch
    }
}

/// Whether the first certificate of `cert_pem` chains, now, to a certificate of `bundle_pem`.
/// `None` when `bundle_pem` holds no (valid) certificate.
pub fn verify_against_bundle(cert_pem: &[u8], bundle_pem: &[u8]) -> Option<bool> {
    let bundle = certificates(bundle_pem)?;
    let Some(chain) = certificates(cert_pem) else {
        return Some(false);
    };
    let anchors: Vec<_> = bundle
        .iter()
        .filter_map(|c| anchor_from_trusted_cert(c).ok())
        .collect();
    if anchors.is_empty() {
        return None;
    }
    let intermediates: Vec<CertificateDer<'static>> =
        chain[1..].iter().chain(bundle.iter()).cloned().collect();
    let Ok(leaf) = EndEntityCert::try_from(&chain[0]) else {
        return Some(false);
    };
    let now = UnixTime::now();
    let verified = [KeyUsage::server_auth(), KeyUsage::client_auth()]
        .into_iter()
        .any(|usage| {
            leaf.verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchors,
                &intermediates,
                now,
                usage,
                None,
                None,
            )
            .is_ok()
        });
    Some(verified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab_ca::LabCa;
    use std::net::{IpAddr, Ipv4Addr};

    const IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn pairs() {
        let ca = LabCa::new("lab").unwrap();
        let a = ca.issue_server_cert(&[IP]).unwrap();
        let b = ca.issue_server_cert(&[IP]).unwrap();
        let (ka, ca_) = (a.key_pem.as_bytes(), a.cert_pem.as_bytes());
        assert_eq!(check_pair(ka, ca_), PairCheck::Match);
        assert_eq!(check_pair(b.key_pem.as_bytes(), ca_), PairCheck::Mismatch);
        // A chain file: the first certificate counts.
        let chain = format!("{}{}", a.cert_pem, ca.cert_pem());
        assert_eq!(check_pair(ka, chain.as_bytes()), PairCheck::Match);
        assert_eq!(check_pair(ca_, ca_), PairCheck::BadKey);
        assert_eq!(check_pair(b"junk", ca_), PairCheck::BadKey);
        assert_eq!(check_pair(ka, ka), PairCheck::BadCertificate);
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(
            check_pair(ka, garbage.as_bytes()),
            PairCheck::BadCertificate
        );
    }

    #[test]
    fn bundles() {
        let ca = LabCa::new("lab").unwrap();
        let other = LabCa::new("other").unwrap();
        let a = ca.issue_server_cert(&[IP]).unwrap();
        let cert = a.cert_pem.as_bytes();
        assert_eq!(
            verify_against_bundle(cert, ca.cert_pem().as_bytes()),
            Some(true)
        );
        assert_eq!(
            verify_against_bundle(cert, other.cert_pem().as_bytes()),
            Some(false)
        );
        let both = format!("{}{}", other.cert_pem(), ca.cert_pem());
        assert_eq!(verify_against_bundle(cert, both.as_bytes()), Some(true));
        assert_eq!(verify_against_bundle(cert, a.key_pem.as_bytes()), None);
        assert_eq!(verify_against_bundle(cert, b"junk"), None);
        assert_eq!(
            verify_against_bundle(a.key_pem.as_bytes(), ca.cert_pem().as_bytes()),
            Some(false)
        );
        // A self-signed certificate that is its own bundle.
        let own = rcgen::generate_simple_self_signed(vec!["cms1.example.com".into()]).unwrap();
        let pem = own.cert.pem();
        assert_eq!(
            verify_against_bundle(pem.as_bytes(), pem.as_bytes()),
            Some(true)
        );
        assert_eq!(
            check_pair(own.key_pair.serialize_pem().as_bytes(), pem.as_bytes()),
            PairCheck::Match
        );
    }
}
