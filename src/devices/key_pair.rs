//! Whether a private key belongs to a certificate, so a key and certificate that do not match
//! are refused at plan time, naming the attribute, rather than by the MMP's `FAILURE: Key and
//! certificate pair do not match` halfway through an apply (the check `webbridge enable` reports
//! as `SUCCESS: Key and certificate pair match`, cmslab.ciscolive.com/pod2/cms/webbridge).
//!
//! The key's public half is derived with ring (PKCS#8 RSA, ECDSA P-256/P-384 and Ed25519;
//! PKCS#1 RSA; SEC1 EC with its public key) and compared with the certificate's
//! subjectPublicKey. A key this cannot read (encrypted, another algorithm) is not judged.

use super::pem::first_block;
use ring::signature::{self, KeyPair};

/// `Some(true|false)` when both could be read and compared, `None` when the key's kind cannot
/// be judged here; `Err` when the certificate has no readable public key.
pub fn key_matches_certificate(
    key_pem: &str,
    certificate_pem: &str,
) -> Result<Option<bool>, String> {
    let (_, cert_der) = first_block(certificate_pem, |l| l == "CERTIFICATE")
        .ok_or("no readable certificate block")?;
    let cert_key =
        subject_public_key(&cert_der).ok_or("the certificate's public key cannot be read")?;
    let Some((label, key_der)) = first_block(key_pem, |l| l.ends_with("PRIVATE KEY")) else {
        return Ok(None);
    };
    Ok(public_key_of(&label, &key_der).map(|k| k == cert_key))
}

fn public_key_of(label: &str, der: &[u8]) -> Option<Vec<u8>> {
    let rng = ring::rand::SystemRandom::new();
    match label {
        "PRIVATE KEY" => {
            for alg in [
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ] {
                if let Ok(k) = signature::EcdsaKeyPair::from_pkcs8(alg, der, &rng) {
                    return Some(k.public_key().as_ref().to_vec());
                }
            }
            if let Ok(k) = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
                return Some(k.public_key().as_ref().to_vec());
            }
            signature::RsaKeyPair::from_pkcs8(der)
                .ok()
                .map(|k| k.public_key().as_ref().to_vec())
        }
        "RSA PRIVATE KEY" => signature::RsaKeyPair::from_der(der)
            .ok()
            .map(|k| k.public_key().as_ref().to_vec()),
        // SEC1: SEQUENCE { version, privateKey, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }
        "EC PRIVATE KEY" => {
            let mut fields = Der::new(der).enter(0x30)?;
            while let Some((tag, value)) = fields.next() {
                if tag == 0xa1 {
                    return bit_string(Der::new(value).next()?);
                }
            }
            None
        }
        _ => None,
    }
}

/// tbsCertificate's subjectPublicKeyInfo.subjectPublicKey, without the unused-bits byte.
fn subject_public_key(cert: &[u8]) -> Option<Vec<u8>> {
    let mut tbs = Der::new(cert).enter(0x30)?.enter(0x30)?;
    let mut seen_sequences = 0;
    while let Some((tag, value)) = tbs.next() {
        // [0] version, serial, then SEQUENCEs: signature, issuer, validity, subject, spki.
        if tag == 0x30 {
            seen_sequences += 1;
            if seen_sequences == 5 {
                let mut spki = Der::new(value);
                spki.next()?; // algorithm
                return bit_string(spki.next()?);
            }
        }
    }
    None
}

fn bit_string((tag, value): (u8, &[u8])) -> Option<Vec<u8>> {
    match (tag, value.split_first()) {
        (0x03, Some((0, bits))) => Some(bits.to_vec()),
        _ => None,
    }
}

/// A reader of DER elements (tag, contents), definite lengths only.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Der { rest }
    }

    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.rest.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = match first {
            n if n < 0x80 => usize::from(n),
            0x81..=0x84 => {
                let count = usize::from(first & 0x7f);
                let (bytes, after) = (rest.get(..count)?, rest.get(count..)?);
                rest = after;
                bytes
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
            }
            _ => return None,
        };
        let value = rest.get(..len)?;
        self.rest = rest.get(len..)?;
        Some((tag, value))
    }

    /// The contents of the next element, which must have tag `tag`.
    fn enter(mut self, tag: u8) -> Option<Der<'a>> {
        match self.next()? {
            (t, value) if t == tag => Some(Der::new(value)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["cms1.example.com".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (key.serialize_pem(), cert.pem())
    }

    #[test]
    fn a_key_matches_its_own_certificate_only() {
        let (key1, cert1) = pair();
        let (key2, cert2) = pair();
        assert_eq!(key_matches_certificate(&key1, &cert1), Ok(Some(true)));
        assert_eq!(key_matches_certificate(&key2, &cert2), Ok(Some(true)));
        assert_eq!(key_matches_certificate(&key1, &cert2), Ok(Some(false)));
    }

    #[test]
    fn unreadable_input_is_not_judged_or_is_an_error() {
        let (_, cert) = pair();
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(key_matches_certificate(encrypted, &cert), Ok(None));
        let garbage_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(key_matches_certificate(encrypted, garbage_cert).is_err());
        // Truncated or hostile DER never panics.
        for bytes in [
            &[0x30u8, 0x84, 0xff, 0xff, 0xff, 0xff][..],
            &[0x30, 0x82, 0x01],
            &[],
        ] {
            assert_eq!(subject_public_key(bytes), None);
        }
    }
}
