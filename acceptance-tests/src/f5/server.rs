//! TLS accept loop and one connection's request loop, with the shared faults: each request's
//! `METHOD /path` is logged, may be cut before it is applied or after (no reply either way),
//! and its reply waits the reply delay. Connections are counted while open and registered so
//! a fault or `stop` can cut them underneath TLS.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::api::{self, ConnectionState};
use super::control::F5Control;
use super::http::{read_request, reason, write_response};
use crate::faults::Cut;

/// A TLS handshake that takes longer is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A keep-alive connection idle this long is closed, so abandoned ones do not pile up
/// [unconfirmed: how long BIG-IP's httpd keeps an idle one; clients reconnect either way].
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, control: F5Control) {
    loop {
        let Ok((socket, _peer)) = listener.accept().await else {
            // Out of descriptors or the like: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let control = control.clone();
        tokio::spawn(async move {
            serve_connection(control, socket).await;
        });
    }
}

async fn serve_connection(control: F5Control, socket: TcpStream) {
    let faults = control.faults();
    let _open = faults.session_opened();
    let _ = socket.set_nodelay(true);
    // Tracked, so faults and `stop` can cut the connection underneath the protocol.
    let Some((socket, conn_id)) = faults.track(socket) else {
        return;
    };
    if !control.inner.stopping.load(Ordering::SeqCst) {
        serve_tls(&control, socket).await;
    }
    faults.cut_connection(conn_id);
}

async fn serve_tls(control: &F5Control, socket: TcpStream) {
    let acceptor = tokio_rustls::TlsAcceptor::from(control.tls());
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await
    else {
        // The client refused our certificate, or spoke no TLS.
        return;
    };
    let faults = control.faults();
    let mut stream = BufReader::new(stream);
    let mut conn = ConnectionState::default();
    loop {
        let request = match tokio::time::timeout(IDLE_TIMEOUT, read_request(&mut stream)).await {
            Err(_) => return,
            Ok(Err(e)) => {
                if let Some(answer) = e.response() {
                    let _ = write_response(stream.get_mut(), &answer, false, reason).await;
                    let _ = stream.get_mut().shutdown().await;
                }
                return;
            }
            Ok(Ok(r)) => r,
        };
        let line = request.command_line();
        faults.log_command(&line);
        let cut = faults.take_drop(&line);
        if cut == Some(Cut::BeforeApplying) {
            return;
        }
        let answer = api::handle(control, &mut conn, &request);
        if cut == Some(Cut::AfterApplying) {
            return;
        }
        faults.delay_reply().await;
        if write_response(stream.get_mut(), &answer, request.keep_alive, reason)
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
