//! The lab's certificate authority (rcgen, in memory): every TLS certificate a lab device
//! presents is issued by one [`LabCa`], so a client trusts the whole lab with one CA file, and
//! a second, unrelated CA is a ready-made "wrong CA" for tests.
//!
//! Keys are ECDSA P-256 in PKCS#8 PEM (`BEGIN PRIVATE KEY`), the form `openssl req -nodes`
//! writes and MariaDB, OpenSSL and rustls all read. Certificates are valid from a day ago
//! (clock skew between processes) for 30 days: throwaway, like the lab.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
    PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

/// How long a lab certificate is valid.
const VALIDITY_DAYS: i64 = 30;

/// A CA that lives as long as its lab.
pub struct LabCa {
    cert: Certificate,
    key: KeyPair,
}

/// A server certificate and its private key, both PEM.
#[derive(Clone)]
pub struct IssuedCert {
    pub cert_pem: String,
    pub key_pem: String,
}

fn valid_for_a_month(params: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALIDITY_DAYS);
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

impl LabCa {
    /// A fresh CA named `common_name` (a self-signed certificate that may sign end-entity
    /// certificates only).
    pub fn new(common_name_: &str) -> anyhow::Result<LabCa> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("a CA key")?;
        let mut params = CertificateParams::default();
        params.distinguished_name = common_name(common_name_);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        valid_for_a_month(&mut params);
        let cert = params
            .self_signed(&key)
            .context("self-signing the lab CA")?;
        Ok(LabCa { cert, key })
    }

    /// The CA certificate, PEM: what a client's CA bundle holds.
    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    /// A server certificate for `addresses` (subjectAltName IP entries; the first is also the
    /// common name), with a fresh key.
    pub fn issue_server_cert(&self, addresses: &[IpAddr]) -> anyhow::Result<IssuedCert> {
        self.issue_named_server_cert(&[], addresses, None)
    }

    /// A server certificate for the DNS `names` and `addresses` (subjectAltName entries; the
    /// first name, else the first address, is the common name), with a fresh key and, when
    /// given, the serial number `serial` (big-endian bytes, the first below 0x80).
    pub fn issue_named_server_cert(
        &self,
        names: &[&str],
        addresses: &[IpAddr],
        serial: Option<&[u8]>,
    ) -> anyhow::Result<IssuedCert> {
        let first = match names.first() {
            Some(name) => name.to_string(),
            None => addresses
                .first()
                .context("a server certificate needs an address")?
                .to_string(),
        };
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("a server key")?;
        let mut params = CertificateParams::default();
        params.distinguished_name = common_name(&first);
        params.serial_number = serial.map(SerialNumber::from_slice);
        let mut sans = Vec::new();
        for name in names {
            sans.push(SanType::DnsName(
                (*name).try_into().context("a DNS name for a certificate")?,
            ));
        }
        sans.extend(addresses.iter().map(|ip| SanType::IpAddress(*ip)));
        params.subject_alt_names = sans;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        valid_for_a_month(&mut params);
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .context("signing a server certificate")?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Writes the CA certificate to `path`.
    pub fn write_cert(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, self.cert_pem()).with_context(|| format!("writing {}", path.display()))
    }
}

/// A rustls client configuration (ring, as the provider) that trusts exactly the CA
/// certificates in `ca_pem`: what the simulators' tests connect with.
pub fn client_config_trusting(ca_pem: &str) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.context("reading a CA certificate")?)
            .context("trusting a CA certificate")?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS versions")?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

impl IssuedCert {
    /// Writes the certificate to `cert` and the key to `key` (mode 0600, replacing both).
    pub fn write(&self, cert: &Path, key: &Path) -> anyhow::Result<()> {
        std::fs::write(cert, &self.cert_pem)
            .with_context(|| format!("writing {}", cert.display()))?;
        crate::process::write_private(key, &self.key_pem)
    }
}

/// The certificate a simulated TLS device presents, and what a client pins of it (the F5 and
/// CGP simulators).
pub(crate) struct Identity {
    pub server: Arc<rustls::ServerConfig>,
    pub cert_pem: String,
    /// SHA-256 of the leaf's DER, `AB:CD:...` as `openssl x509 -fingerprint -sha256` prints.
    pub sha256: String,
}

impl Identity {
    /// A fresh certificate (and key) for 127.0.0.1 from the lab CA.
    pub(crate) fn issue(ca: &LabCa) -> anyhow::Result<Identity> {
        let issued: IssuedCert = ca.issue_server_cert(&[std::net::Ipv4Addr::LOCALHOST.into()])?;
        Identity::from_issued(issued)
    }

    /// A fresh certificate (and key) for the DNS name `name` and 127.0.0.1 from the lab CA,
    /// with the serial number `serial` (big-endian, first byte below 0x80): the IM&P nodes.
    pub(crate) fn issue_named(ca: &LabCa, name: &str, serial: &[u8]) -> anyhow::Result<Identity> {
        let issued = ca.issue_named_server_cert(
            &[name],
            &[std::net::Ipv4Addr::LOCALHOST.into()],
            Some(serial),
        )?;
        Identity::from_issued(issued)
    }

    fn from_issued(issued: IssuedCert) -> anyhow::Result<Identity> {
        let cert = CertificateDer::from_pem_slice(issued.cert_pem.as_bytes())
            .context("reading the issued certificate")?;
        let key = PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes())
            .context("reading the issued key")?;
        let digest = Sha256::digest(cert.as_ref());
        let sha256 = digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .context("the server's TLS configuration")?;
        Ok(Identity {
            server: Arc::new(server),
            cert_pem: issued.cert_pem,
            sha256,
        })
    }
}

#[cfg(test)]
mod tests;
