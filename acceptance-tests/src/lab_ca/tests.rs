use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CertificateError, ClientConfig, Connection, RootCertStore, ServerConfig};

use super::*;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A TLS handshake in memory between a server presenting `issued` and a client that trusts
/// only `ca_pem` and asks for `name`; the client's verdict.
fn handshake(ca_pem: &str, issued: &IssuedCert, name: &str) -> Result<(), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_slice_iter(issued.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes()).unwrap();
    let server = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(ca.unwrap()).unwrap();
    }
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_string()).unwrap();
    let mut client: Connection = rustls::ClientConnection::new(Arc::new(client), name)
        .unwrap()
        .into();
    let mut server: Connection = rustls::ServerConnection::new(Arc::new(server))
        .unwrap()
        .into();
    // A TLS 1.3 handshake takes two flights each way; more rounds than that is a stuck test.
    for _ in 0..8 {
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
        send(&mut client, &mut server)?;
        send(&mut server, &mut client)?;
    }
    panic!("the handshake did not finish");
}

/// Moves what `from` has to send into `to`; `to`'s verdict on it.
fn send(from: &mut Connection, to: &mut Connection) -> Result<(), rustls::Error> {
    let mut bytes = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut bytes).unwrap();
    }
    if !bytes.is_empty() {
        to.read_tls(&mut bytes.as_slice()).unwrap();
        to.process_new_packets()?;
    }
    Ok(())
}

#[test]
fn a_certificate_it_issues_verifies_against_it_and_not_against_another_ca() {
    let ca = LabCa::new("uccluster lab CA test").unwrap();
    let moved = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9));
    let issued = ca.issue_server_cert(&[LOOPBACK, moved]).unwrap();
    handshake(&ca.cert_pem(), &issued, "127.0.0.1").unwrap();
    handshake(&ca.cert_pem(), &issued, "127.0.0.9").unwrap();

    let other = LabCa::new("uccluster lab other CA test").unwrap();
    assert_eq!(
        handshake(&other.cert_pem(), &issued, "127.0.0.1"),
        Err(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    );
    // The right CA, a name the certificate does not carry.
    let e = handshake(&ca.cert_pem(), &issued, "127.0.0.2").unwrap_err();
    assert!(
        matches!(
            e,
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
        ),
        "{e:?}"
    );
}

#[test]
fn keys_are_pkcs8_pem_and_fresh_for_every_certificate() {
    let ca = LabCa::new("uccluster lab CA test").unwrap();
    let first = ca.issue_server_cert(&[LOOPBACK]).unwrap();
    let second = ca.issue_server_cert(&[LOOPBACK]).unwrap();
    for issued in [&first, &second] {
        assert!(
            issued.key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{}",
            issued.key_pem
        );
        assert!(issued.cert_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    }
    assert_ne!(first.key_pem, second.key_pem);
    assert_ne!(first.cert_pem, second.cert_pem);
    assert!(ca.issue_server_cert(&[]).is_err());
}

#[test]
fn written_keys_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ca = LabCa::new("uccluster lab CA test").unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let issued = ca.issue_server_cert(&[LOOPBACK]).unwrap();
    issued.write(&cert, &key).unwrap();
    ca.write_cert(&dir.path().join("ca.pem")).unwrap();
    assert_eq!(std::fs::read_to_string(&cert).unwrap(), issued.cert_pem);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), issued.key_pem);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ca.pem")).unwrap(),
        ca.cert_pem()
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
