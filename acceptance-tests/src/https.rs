//! The TLS accept loop and one connection's request loop shared by the HTTPS simulators (f5,
//! imp, the CMS REST API in `cms_mmp::rest`), over the bounded HTTP/1.1 server side of
//! [`crate::http`], with the shared faults: each request's command-log line is logged, may be
//! cut before it is applied or after (no reply either way), and its reply waits the reply
//! delay. Connections are counted while open and registered so a fault or `stop` can cut them
//! underneath TLS.
//!
//! A simulator says what differs in an `HttpsDevice`: its TLS configuration, its state per
//! connection, its command-log line, its answers and its reason phrases.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::faults::{Cut, Faults};
use crate::http::{read_request, write_response, Request, Response};

/// A TLS handshake that takes longer is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A keep-alive connection idle this long is closed, so abandoned ones do not pile up
/// [unconfirmed for every simulated device: how long BIG-IP's httpd, IM&P's Tomcat or the CMS
/// Web Admin keep an idle one; clients reconnect either way].
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// One simulated HTTPS device as the shared loops see it (cheap to clone: one clone per
/// connection).
pub(crate) trait HttpsDevice: Clone + Send + Sync + 'static {
    /// What one connection remembers between its requests.
    type Connection: Default + Send;

    /// The device's faults, command log and session counters.
    fn faults(&self) -> &Faults;

    /// `true` once the device (or this listener) is going away: new connections are cut.
    fn stopping(&self) -> bool;

    /// The certificate presented to the next connection.
    fn tls(&self) -> Arc<rustls::ServerConfig>;

    /// The reason phrase of a status.
    fn reason(status: u16) -> &'static str;

    /// What the command log records for `request` and drop faults match.
    fn command_line(&self, request: &Request) -> String {
        request.command_line()
    }

    /// The answer to one request.
    fn handle(&self, conn: &mut Self::Connection, request: &Request) -> Response;

    /// A connection was registered with [`Faults::track`] under `conn_id` (a listener that
    /// closes on its own cuts its connections by these ids).
    fn connection_opened(&self, _conn_id: u64) {}

    /// The connection `conn_id` ended.
    fn connection_closed(&self, _conn_id: u64) {}
}

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop<D: HttpsDevice>(listener: TcpListener, device: D) {
    loop {
        let Ok((socket, _peer)) = listener.accept().await else {
            // Out of descriptors or the like: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let device = device.clone();
        tokio::spawn(async move {
            serve_connection(device, socket).await;
        });
    }
}

async fn serve_connection<D: HttpsDevice>(device: D, socket: TcpStream) {
    let faults = device.faults();
    let _open = faults.session_opened();
    let _ = socket.set_nodelay(true);
    // Tracked, so faults and `stop` can cut the connection underneath the protocol.
    let Some((socket, conn_id)) = faults.track(socket) else {
        return;
    };
    device.connection_opened(conn_id);
    if !device.stopping() {
        serve_tls(&device, socket).await;
    }
    device.connection_closed(conn_id);
    faults.cut_connection(conn_id);
}

async fn serve_tls<D: HttpsDevice>(device: &D, socket: TcpStream) {
    let acceptor = tokio_rustls::TlsAcceptor::from(device.tls());
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await
    else {
        // The client refused our certificate, or spoke no TLS.
        return;
    };
    let faults = device.faults();
    let mut stream = BufReader::new(stream);
    let mut conn = D::Connection::default();
    loop {
        let request = match tokio::time::timeout(IDLE_TIMEOUT, read_request(&mut stream)).await {
            Err(_) => return,
            Ok(Err(e)) => {
                if let Some(answer) = e.response() {
                    let _ = write_response(stream.get_mut(), &answer, false, D::reason).await;
                    let _ = stream.get_mut().shutdown().await;
                }
                return;
            }
            Ok(Ok(r)) => r,
        };
        let line = device.command_line(&request);
        faults.log_command(&line);
        let cut = faults.take_drop(&line);
        if cut == Some(Cut::BeforeApplying) {
            return;
        }
        let answer = device.handle(&mut conn, &request);
        if cut == Some(Cut::AfterApplying) {
            return;
        }
        faults.delay_reply().await;
        if write_response(stream.get_mut(), &answer, request.keep_alive, D::reason)
            .await
            .is_err()
        {
            return;
        }
        if !request.keep_alive {
            let _ = stream.get_mut().shutdown().await;
            return;
        }
    }
}
