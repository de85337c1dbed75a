//! A node's TLS accept loop and one connection's request loop (HTTP/1.1 keep-alive, the shared
//! [`crate::http`] server side) with the shared faults: each request's command-log line
//! (`executeSQLQuery <sql>`, `soapDoControlServices Restart Cisco XCP Router`, ...) is logged,
//! may be cut before it is applied or after (no reply either way), and its reply waits the
//! reply delay.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::{soap, Node};
use crate::faults::Cut;
use crate::http::{read_request, standard_reason, write_response};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// An idle keep-alive connection is closed after this long (GUESS for a real IM&P's Tomcat).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// 599 has no standard phrase; what IM&P's Tomcat writes is not in the sources (GUESS).
fn reason(status: u16) -> &'static str {
    match status {
        599 => "Schema Not Supported",
        other => standard_reason(other),
    }
}

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, node: Arc<Node>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let node = node.clone();
        tokio::spawn(async move { serve_connection(node, socket).await });
    }
}

async fn serve_connection(node: Arc<Node>, socket: TcpStream) {
    let _open = node.faults.session_opened();
    let _ = socket.set_nodelay(true);
    let Some((socket, conn_id)) = node.faults.track(socket) else {
        return;
    };
    if !node.stopping.load(Ordering::SeqCst) {
        serve_tls(&node, socket).await;
    }
    node.faults.cut_connection(conn_id);
}

async fn serve_tls(node: &Node, socket: TcpStream) {
    let acceptor = tokio_rustls::TlsAcceptor::from(node.tls());
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await
    else {
        return;
    };
    let mut stream = BufReader::new(stream);
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
        let line = soap::describe(node, &request);
        node.faults.log_command(&line);
        let cut = node.faults.take_drop(&line);
        if cut == Some(Cut::BeforeApplying) {
            return;
        }
        let answer = soap::handle(node, &request);
        if cut == Some(Cut::AfterApplying) {
            return;
        }
        node.faults.delay_reply().await;
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
