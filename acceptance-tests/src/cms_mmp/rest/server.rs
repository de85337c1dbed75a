//! The API's HTTPS listener and its life: it runs while the Web Admin runs.
//!
//! - Started by a successful `webadmin enable` and by `webadmin restart` of an enabled Web
//!   Admin (the deployment guide, 3.3: the Web Admin serves HTTPS on the interface and port of
//!   `webadmin listen`, with the key and certificate of `webadmin certs`; devices.md 1.3: the
//!   API is served by the Web Admin). Each start reads the key, certificate and bundle files
//!   again, so a restart presents a replaced certificate.
//! - Bound at the node's address (its bind IP) and the configured port; the interface letter is
//!   not looked at (the lab's nodes have one address).
//! - Closed by `webadmin disable` (every API connection cut too) and when the node stops.
//! - A change to `webadmin listen` or `certs` takes effect at the next enable or restart
//!   [GUESS]; so does [`NodeControl::update_webadmin`]. [`NodeControl::set_service_enabled`] of
//!   the Web Admin starts or closes it like enable / disable.
//! - A start that cannot listen (no port or files configured, a file that is not PEM, the port
//!   in use, a privileged port without root, no async runtime as in the MMP's unit tests) is
//!   logged and remembered ([`NodeControl::api_listen_error`]): no API, the MMP goes on.
//!
//! Requests go through the shared HTTPS loops ([`crate::https`]) with the node's faults: the
//! command log gets `METHOD /path`, drop faults match that line, replies wait the reply delay.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::task::JoinHandle;

use super::api::{self, ConnectionState};
use crate::cms_mmp::services::TlsFiles;
use crate::cms_mmp::state::{lock, NodeControl};
use crate::faults::Faults;
use crate::http::{standard_reason, Request, Response};
use crate::https::{self, HttpsDevice};

/// The listener of a node, if it runs, and why the last start failed.
#[derive(Default)]
pub(crate) struct ListenerSlot {
    running: Option<Listener>,
    last_error: Option<String>,
}

/// A running listener.
struct Listener {
    addr: SocketAddr,
    task: JoinHandle<()>,
    device: ApiDevice,
    /// The listening socket again (a second descriptor): shutting it down stops the listening
    /// at once, while the aborted accept task drops its descriptor only when the runtime gets to
    /// it, so a restart can bind the port again right away (both have `SO_REUSEADDR`, as std
    /// sets it, and Linux lets a socket bind beside one that no longer listens).
    socket: std::net::TcpListener,
}

/// The API of one node as the shared HTTPS loops see it, for one listener's life: the
/// certificate it was started with, and the connections it accepted (so closing it cuts
/// them, and no other connection of the node).
#[derive(Clone)]
struct ApiDevice {
    node: NodeControl,
    tls: Arc<rustls::ServerConfig>,
    open: Arc<Mutex<BTreeSet<u64>>>,
    closed: Arc<AtomicBool>,
}

impl HttpsDevice for ApiDevice {
    type Connection = ConnectionState;

    fn faults(&self) -> &Faults {
        self.node.faults()
    }

    fn stopping(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.node.inner.stopping.load(Ordering::SeqCst)
    }

    fn tls(&self) -> Arc<rustls::ServerConfig> {
        self.tls.clone()
    }

    fn reason(status: u16) -> &'static str {
        standard_reason(status)
    }

    fn handle(&self, conn: &mut ConnectionState, request: &Request) -> Response {
        api::handle(&self.node, conn, request)
    }

    fn connection_opened(&self, conn_id: u64) {
        lock(&self.open).insert(conn_id);
    }

    fn connection_closed(&self, conn_id: u64) {
        lock(&self.open).remove(&conn_id);
    }
}

impl Listener {
    fn close(self) {
        self.device.closed.store(true, Ordering::SeqCst);
        let _ = socket2::SockRef::from(&self.socket).shutdown(std::net::Shutdown::Both);
        self.task.abort();
        let open = std::mem::take(&mut *lock(&self.device.open));
        for conn_id in open {
            self.device.node.faults().cut_connection(conn_id);
        }
    }
}

/// The rustls configuration for the Web Admin's files: the certificate file's chain, then the
/// bundle's certificates when there is one.
fn server_config(node: &NodeControl, tls: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, String> {
    let read = |name: &str| node.file(name).ok_or(format!("{name}: file not found"));
    let key = PrivateKeyDer::from_pem_slice(&read(&tls.key)?)
        .map_err(|e| format!("{}: no private key: {e}", tls.key))?;
    let mut chain: Vec<CertificateDer<'static>> = Vec::new();
    let mut files = vec![tls.certificate.as_str()];
    files.extend(tls.bundle.as_deref());
    for name in files {
        let pem = read(name)?;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            chain.push(cert.map_err(|e| format!("{name}: {e}"))?);
        }
    }
    if chain.is_empty() {
        return Err(format!("{}: no certificate", tls.certificate));
    }
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("key and certificate: {e}"))?;
    Ok(Arc::new(config))
}

/// Binds and spawns a listener for the Web Admin's configuration now.
fn open(node: &NodeControl) -> Result<Listener, String> {
    let webadmin = node.webadmin_config();
    let (_, port) = webadmin.listen.ok_or("no listening port configured")?;
    let tls = webadmin.tls.ok_or("no key and certificate configured")?;
    let tls = server_config(node, &tls)?;
    let ip: IpAddr = node
        .address()
        .parse()
        .map_err(|_| format!("{} is not an IP address", node.address()))?;
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| "no async runtime")?;
    let socket = std::net::TcpListener::bind((ip, port))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("binding {ip}:{port}: {e}"))?;
    let second = socket.try_clone().map_err(|e| e.to_string())?;
    let _entered = runtime.enter();
    let listener = tokio::net::TcpListener::from_std(socket).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let device = ApiDevice {
        node: node.clone(),
        tls,
        open: Arc::default(),
        closed: Arc::default(),
    };
    let task = runtime.spawn(https::accept_loop(listener, device.clone()));
    Ok(Listener {
        addr,
        task,
        device,
        socket: second,
    })
}

/// (Re)starts the listener from the Web Admin's configuration (closing a running one first).
pub(crate) fn start(node: &NodeControl) {
    let mut slot = lock(&node.inner.api.listener);
    if let Some(old) = slot.running.take() {
        old.close();
    }
    if node.inner.stopping.load(Ordering::SeqCst) {
        return;
    }
    match open(node) {
        Ok(listener) => {
            slot.running = Some(listener);
            slot.last_error = None;
        }
        Err(e) => {
            tracing::warn!(node = %node.hostname(), "Web Admin API not served: {e}");
            slot.last_error = Some(e);
        }
    }
}

/// Closes the listener and its connections, if it runs.
pub(crate) fn stop(node: &NodeControl) {
    if let Some(listener) = lock(&node.inner.api.listener).running.take() {
        listener.close();
    }
}

/// Where the API listens now.
pub(crate) fn addr(node: &NodeControl) -> Option<SocketAddr> {
    lock(&node.inner.api.listener)
        .running
        .as_ref()
        .map(|l| l.addr)
}

/// Why the last start did not listen.
pub(crate) fn last_error(node: &NodeControl) -> Option<String> {
    lock(&node.inner.api.listener).last_error.clone()
}
