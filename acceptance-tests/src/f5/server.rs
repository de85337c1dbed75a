//! The BIG-IP as an `HttpsDevice`: the shared TLS accept and request loops ([`crate::https`])
//! with its certificate, its per-connection state (a connection's Basic login is counted once)
//! and its reason phrases; each request's `METHOD /path` is the command-log line.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::api::{self, ConnectionState};
use super::control::F5Control;
use super::http::{reason, Request, Response};
use crate::faults::Faults;
use crate::https::{self, HttpsDevice};

impl HttpsDevice for F5Control {
    type Connection = ConnectionState;

    fn faults(&self) -> &Faults {
        F5Control::faults(self)
    }

    fn stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }

    fn tls(&self) -> Arc<rustls::ServerConfig> {
        F5Control::tls(self)
    }

    fn reason(status: u16) -> &'static str {
        reason(status)
    }

    fn handle(&self, conn: &mut ConnectionState, request: &Request) -> Response {
        api::handle(self, conn, request)
    }
}

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, control: F5Control) {
    https::accept_loop(listener, control).await;
}
