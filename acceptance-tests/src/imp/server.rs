//! An IM&P node as an `HttpsDevice`: the shared TLS accept and request loops
//! ([`crate::https`]) with its certificate and its command-log line (`executeSQLQuery <sql>`,
//! `soapDoControlServices Restart Cisco XCP Router`, ...).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::{soap, Node};
use crate::faults::Faults;
use crate::http::{standard_reason, Request, Response};
use crate::https::{self, HttpsDevice};

/// 599 has no standard phrase; what IM&P's Tomcat writes is not in the sources (GUESS).
fn reason(status: u16) -> &'static str {
    match status {
        599 => "Schema Not Supported",
        other => standard_reason(other),
    }
}

impl HttpsDevice for Arc<Node> {
    type Connection = ();

    fn faults(&self) -> &Faults {
        &self.as_ref().faults
    }

    fn stopping(&self) -> bool {
        self.as_ref().stopping.load(Ordering::SeqCst)
    }

    fn tls(&self) -> Arc<rustls::ServerConfig> {
        self.as_ref().tls()
    }

    fn reason(status: u16) -> &'static str {
        reason(status)
    }

    fn command_line(&self, request: &Request) -> String {
        soap::describe(self, request)
    }

    fn handle(&self, _conn: &mut (), request: &Request) -> Response {
        soap::handle(self, request)
    }
}

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, node: Arc<Node>) {
    https::accept_loop(listener, node).await;
}
