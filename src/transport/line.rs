//! Line protocols over TCP or TLS (the CommuniGate Pro CLI on 106/1106, HAProxy's runtime
//! socket): connect, read the greeting, log in, then one request and its reply at a time.
//!
//! The transport knows no protocol: where a reply ends, how a request is written and how the
//! login goes come from a [`LineProtocol`] that `devices/` implements (pure functions on
//! bytes). One connection per device per provider process, through the pool, with the
//! device's [`TrustPolicy`] for TLS. Devices close idle sessions (CGP after about five
//! minutes), so a connection idle for `idle_reconnect`, or one the device has closed, is
//! replaced before a request is sent; once a request is sent, a lost reply is reported as
//! [`TransportError::ConnectionLost`] and the request is never sent again.

use super::pool::{DevicePool, PoolTarget, Session};
use super::tls::{rustls_failure, server_name, TrustPolicy};
use super::TransportError;
use futures::FutureExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// One protocol's framing and login, implemented in `devices/` (pure: bytes in, bytes out).
pub trait LineProtocol: Send + Sync {
    /// Whether the device speaks first (CGP: `200 ... ready`); HAProxy's socket does not.
    fn greets(&self) -> bool;
    /// The length of the complete reply (or greeting) at the start of `received`, or `None`
    /// while more must arrive (CGP: a code line, plus data lines for `201`; HAProxy: up to an
    /// empty line).
    fn reply_len(&self, received: &[u8]) -> Option<usize>;
    /// The bytes that send `request` (CGP: the line and CRLF).
    fn encode(&self, request: &str) -> Vec<u8>;
    /// The requests that log in after `greeting` (CGP: `USER`/`PASS`, or `APOP` with the
    /// greeting's stamp); `Err`: the greeting says the device will not serve us.
    fn login(&self, greeting: &[u8], username: &str, password: &str)
        -> Result<Vec<String>, String>;
    /// Whether `reply` lets the login go on; `Err`: the device's reason for refusing it.
    fn login_reply(&self, reply: &[u8]) -> Result<(), String>;
}

/// Everything needed to reach one device's line protocol. Secrets are registered with
/// [`crate::secrets`] by whoever builds this from configuration.
#[derive(Clone)]
pub struct LineTarget {
    pub host: String,
    pub port: u16,
    /// TLS with this trust policy; `None`: plain TCP.
    pub tls: Option<TrustPolicy>,
    pub username: String,
    pub password: String,
    pub protocol: Arc<dyn LineProtocol>,
    pub connect_timeout: Duration,
    /// For one reply, from the moment its request is sent.
    pub reply_timeout: Duration,
    /// A connection idle this long is replaced before the next request.
    pub idle_reconnect: Duration,
    /// The largest reply (or greeting) read; a longer one is [`TransportError::ReplyTooLarge`].
    pub max_reply_bytes: usize,
}

impl PoolTarget for LineTarget {
    fn pool_key(&self) -> String {
        format!(
            "{}@{}\0{:?}\0{}",
            self.username,
            self.endpoint(),
            self.tls,
            self.password
        )
    }

    fn endpoint(&self) -> String {
        match self.host.contains(':') {
            true => format!("[{}]:{}", self.host, self.port),
            false => format!("{}:{}", self.host, self.port),
        }
    }
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// One open, logged-in connection.
pub struct LineConnection {
    stream: Box<dyn Stream>,
    received: Vec<u8>,
    last_used: Instant,
}

impl LineConnection {
    async fn open(target: &LineTarget) -> Result<LineConnection, TransportError> {
        let endpoint = target.endpoint();
        let connect_failed = |message: String| TransportError::Connect {
            endpoint: endpoint.clone(),
            message,
        };
        let within = |what: &'static str| {
            move |_| TransportError::Connect {
                endpoint: target.endpoint(),
                message: format!("no {what} within the connect timeout"),
            }
        };
        let tcp = tokio::time::timeout(
            target.connect_timeout,
            TcpStream::connect((target.host.as_str(), target.port)),
        )
        .await
        .map_err(within("connection"))?
        .map_err(|e| connect_failed(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream: Box<dyn Stream> = match &target.tls {
            None => Box::new(tcp),
            Some(policy) => {
                let connector = tokio_rustls::TlsConnector::from(policy.client_config(&endpoint)?);
                let name = server_name(&target.host, &endpoint)?;
                let tls =
                    tokio::time::timeout(target.connect_timeout, connector.connect(name, tcp))
                        .await
                        .map_err(within("TLS handshake"))?
                        .map_err(|e| match rustls_failure(&e) {
                            // The trust policy refused the device: never retried.
                            Some(message) => TransportError::Certificate {
                                endpoint: endpoint.clone(),
                                message,
                            },
                            None => connect_failed(format!("TLS handshake failed: {e}")),
                        })?;
                Box::new(tls)
            }
        };
        let mut conn = LineConnection {
            stream,
            received: Vec::new(),
            last_used: Instant::now(),
        };
        let login = async {
            let greeting = match target.protocol.greets() {
                true => conn.read_reply(target, "(greeting)").await?,
                false => Vec::new(),
            };
            let steps = target
                .protocol
                .login(&greeting, &target.username, &target.password)
                .map_err(|why| connect_failed(crate::secrets::mask(&why)))?;
            for step in steps {
                // The login carries the password: sent, never logged or named.
                conn.send(target, &step, "(login)").await?;
                let reply = conn.read_reply(target, "(login)").await?;
                target
                    .protocol
                    .login_reply(&reply)
                    .map_err(|hint| TransportError::Auth {
                        endpoint: endpoint.clone(),
                        username: target.username.clone(),
                        hint,
                    })?;
            }
            Ok::<(), TransportError>(())
        };
        tokio::time::timeout(target.connect_timeout, login)
            .await
            .map_err(within("login"))??;
        tracing::debug!(endpoint = %endpoint, user = %target.username, "line protocol logged in");
        Ok(conn)
    }

    /// Whether this connection can carry the next request: not idle too long, not closed by
    /// the device, and with nothing unasked-for waiting (a dialogue out of step).
    fn reusable(&mut self, idle_reconnect: Duration) -> bool {
        if self.last_used.elapsed() >= idle_reconnect || !self.received.is_empty() {
            return false;
        }
        let mut probe = [0u8; 1];
        // One poll, no waiting: `Pending` means the device has said nothing and closed nothing.
        self.stream.read(&mut probe).now_or_never().is_none()
    }

    async fn send(
        &mut self,
        target: &LineTarget,
        request: &str,
        named: &str,
    ) -> Result<(), TransportError> {
        let bytes = target.protocol.encode(request);
        let written = async {
            self.stream.write_all(&bytes).await?;
            self.stream.flush().await
        };
        written.await.map_err(|_| lost(target, named))
    }

    /// Reads until the protocol recognises a complete reply; returns it and keeps what follows.
    async fn read_reply(
        &mut self,
        target: &LineTarget,
        named: &str,
    ) -> Result<Vec<u8>, TransportError> {
        let read = async {
            loop {
                if let Some(len) = target.protocol.reply_len(&self.received) {
                    let len = len.min(self.received.len());
                    return Ok(self.received.drain(..len).collect());
                }
                match self.stream.read_buf(&mut self.received).await {
                    Ok(0) | Err(_) => return Err(lost(target, named)),
                    Ok(_) if self.received.len() > target.max_reply_bytes => {
                        return Err(TransportError::ReplyTooLarge {
                            endpoint: target.endpoint(),
                            command: named.to_string(),
                            limit: target.max_reply_bytes,
                        })
                    }
                    Ok(_) => {}
                }
            }
        };
        let reply = tokio::time::timeout(target.reply_timeout, read)
            .await
            .map_err(|_| TransportError::Timeout {
                endpoint: target.endpoint(),
                command: named.to_string(),
                after: target.reply_timeout,
                last_output: String::new(),
            })??;
        self.last_used = Instant::now();
        Ok(reply)
    }
}

fn lost(target: &LineTarget, named: &str) -> TransportError {
    TransportError::ConnectionLost {
        endpoint: target.endpoint(),
        command: named.to_string(),
    }
}

/// One line-protocol connection per device per provider process.
pub type LinePool = DevicePool<LineConnection>;

/// A task's turn on one device's connection, for a sequence of requests (check, then act).
pub type LineSession<'a> = Session<'a, LineConnection, LineTarget>;

impl LineSession<'_> {
    /// Close the connection: the device changed under it (a HAProxy reload leaves an open
    /// runtime connection talking to the old worker), the next request opens a new one.
    pub fn reset(&mut self) {
        self.drop_connection();
    }

    /// Send one request and return its reply, unparsed. A connection that went idle or was
    /// closed is replaced first; a reply lost after sending is reported, never asked again.
    pub async fn request(&mut self, request: &str) -> Result<Vec<u8>, TransportError> {
        let target = self.target;
        TransportError::check_one_line(&target.endpoint(), request, request)?;
        if let Some(conn) = self.open_connection() {
            if !conn.reusable(target.idle_reconnect) {
                tracing::debug!(endpoint = %target.endpoint(), "line connection idle or closed; reconnecting");
                self.drop_connection();
            }
        }
        let conn = self
            .connection(|_| true, LineConnection::open(target))
            .await?;
        tracing::debug!(endpoint = %target.endpoint(), request = %crate::secrets::mask(request), "line request");
        let sent = conn.send(target, request, request).await;
        let reply = match sent {
            Ok(()) => conn.read_reply(target, request).await,
            Err(e) => Err(e),
        };
        if reply.is_err() {
            // Where the dialogue stands is unknown: never reuse this connection.
            self.drop_connection();
        }
        reply
    }
}
