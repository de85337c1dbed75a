//! Lab certificates and TLS servers for the transport tests.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use uccluster::transport::tls::CertificateFingerprint;

/// A lab CA and a server certificate it signed for `localhost` and 127.0.0.1.
pub struct LabTls {
    /// The CA certificate, as a PEM file (what `tls_ca_file` names).
    pub ca_file: PathBuf,
    pub server: Arc<rustls::ServerConfig>,
    pub leaf_fingerprint: CertificateFingerprint,
}

fn temp_dir() -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "uccluster-transport-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn lab_tls() -> LabTls {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "uccluster transport test CA");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .expect("leaf certificate");
    let ca_file = temp_dir().join("ca.pem");
    std::fs::write(&ca_file, ca_cert.pem()).expect("write CA");
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(leaf.der().to_vec())],
        PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
    )
    .expect("server config");
    LabTls {
        ca_file,
        server: Arc::new(server),
        leaf_fingerprint: CertificateFingerprint::of(leaf.der()),
    }
}

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A server on 127.0.0.1 (TLS when `tls` is given) that runs `serve` on each connection and
/// counts the TCP connections it accepted.
pub struct Server {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
}

impl Server {
    pub async fn start<F, Fut>(tls: Option<Arc<rustls::ServerConfig>>, serve: F) -> Server
    where
        F: Fn(Box<dyn Io>) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        let serve = Arc::new(serve);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let serve = serve.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let io: Box<dyn Io> = match tls {
                        None => Box::new(tcp),
                        Some(config) => {
                            match tokio_rustls::TlsAcceptor::from(config).accept(tcp).await {
                                Ok(stream) => Box::new(stream),
                                // The client refused our certificate.
                                Err(_) => return,
                            }
                        }
                    };
                    serve(io).await;
                });
            }
        });
        Server { port, accepted }
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}
