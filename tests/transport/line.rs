//! The line-protocol transport against a toy CLI in the shape of CommuniGate Pro's: a `200`
//! greeting, `USER`/`PASS` login, one-line replies with a 3-digit code, and `201` data blocks.

use crate::support::{Io, Server};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uccluster::transport::line::{LinePool, LineProtocol, LineTarget};
use uccluster::transport::tls::TrustPolicy;
use uccluster::transport::TransportError;

const PASSWORD: &str = "toy-pass-w0rd";

/// The toy protocol's framing, as a `devices/` module would write it.
pub struct ToyCli;

impl LineProtocol for ToyCli {
    fn greets(&self) -> bool {
        true
    }

    fn reply_len(&self, received: &[u8]) -> Option<usize> {
        let first = received.windows(2).position(|w| w == b"\r\n")? + 2;
        if !received.starts_with(b"201 ") {
            return Some(first);
        }
        let end = received[first..].windows(5).position(|w| w == b"\r\n.\r\n");
        match received[first..].starts_with(b".\r\n") {
            true => Some(first + 3),
            false => end.map(|at| first + at + 5),
        }
    }

    fn encode(&self, request: &str) -> Vec<u8> {
        format!("{request}\r\n").into_bytes()
    }

    fn login(
        &self,
        greeting: &[u8],
        username: &str,
        password: &str,
    ) -> Result<Vec<String>, String> {
        match greeting.starts_with(b"200 ") {
            true => Ok(vec![format!("USER {username}"), format!("PASS {password}")]),
            false => Err(String::from_utf8_lossy(greeting).trim().to_string()),
        }
    }

    fn login_reply(&self, reply: &[u8]) -> Result<(), String> {
        match reply.first() {
            Some(b'2' | b'3') => Ok(()),
            _ => Err(String::from_utf8_lossy(reply).trim().to_string()),
        }
    }
}

/// Every line the toy server received, over all its connections.
pub type Log = Arc<Mutex<Vec<String>>>;

/// Serves the toy CLI on one connection: `ECHO x` → `200 x`, `LIST` → a data block, `QUIT`
/// → `200 bye` then close, `CLOSE` → close without a reply (a reply lost on the way).
pub async fn serve_toy(io: Box<dyn Io>, log: Log, closed: Arc<tokio::sync::Notify>) {
    let mut io = BufReader::new(io);
    let _ = io.get_mut().write_all(b"200 toy CLI ready\r\n").await;
    let mut line = String::new();
    while matches!(io.read_line(&mut line).await, Ok(n) if n > 0) {
        let request = line.trim_end().to_string();
        line.clear();
        log.lock().unwrap().push(request.clone());
        let reply = match request.split_once(' ').unwrap_or((&request, "")) {
            ("USER", _) => "300 password required\r\n".to_string(),
            ("PASS", PASSWORD) => "200 welcome\r\n".to_string(),
            ("PASS", _) => "515 wrong password\r\n".to_string(),
            ("ECHO", text) => format!("200 {text}\r\n"),
            ("LIST", _) => "201 list follows\r\nalpha\r\nbeta\r\n.\r\n".to_string(),
            ("FLOOD", _) => format!("201 endless\r\n{}", "data line\r\n".repeat(10_000)),
            ("QUIT", _) => {
                let _ = io.get_mut().write_all(b"200 bye\r\n").await;
                break;
            }
            ("CLOSE", _) => break,
            _ => "500 unknown command\r\n".to_string(),
        };
        let _ = io.get_mut().write_all(reply.as_bytes()).await;
    }
    drop(io);
    closed.notify_one();
}

pub struct ToyServer {
    pub server: Server,
    pub log: Log,
    pub closed: Arc<tokio::sync::Notify>,
}

pub async fn toy_server(tls: Option<Arc<rustls::ServerConfig>>) -> ToyServer {
    let log: Log = Arc::default();
    let closed = Arc::new(tokio::sync::Notify::new());
    let (l, c) = (log.clone(), closed.clone());
    let server = Server::start(tls, move |io| serve_toy(io, l.clone(), c.clone())).await;
    ToyServer {
        server,
        log,
        closed,
    }
}

pub fn toy_target(port: u16, tls: Option<TrustPolicy>) -> LineTarget {
    uccluster::secrets::register(PASSWORD);
    LineTarget {
        host: "127.0.0.1".into(),
        port,
        tls,
        username: "admin".into(),
        password: PASSWORD.into(),
        protocol: Arc::new(ToyCli),
        connect_timeout: Duration::from_secs(10),
        reply_timeout: Duration::from_secs(10),
        idle_reconnect: Duration::from_secs(295),
        max_reply_bytes: 1 << 20,
    }
}

impl ToyServer {
    fn received(&self, request: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| *l == request)
            .count()
    }
}

#[tokio::test]
async fn greeting_login_and_replies_over_one_pooled_connection() {
    let toy = toy_server(None).await;
    let target = toy_target(toy.server.port, None);
    let pool = LinePool::default();
    let mut session = pool.session(&target).await;
    assert_eq!(
        session.request("ECHO hello").await.unwrap(),
        b"200 hello\r\n"
    );
    assert_eq!(
        session.request("LIST").await.unwrap(),
        b"201 list follows\r\nalpha\r\nbeta\r\n.\r\n"
    );
    drop(session);
    // A later turn on the same device reuses the logged-in connection.
    assert_eq!(
        pool.session(&target)
            .await
            .request("ECHO again")
            .await
            .unwrap(),
        b"200 again\r\n"
    );
    assert_eq!(toy.server.connections(), 1);
    assert_eq!(
        *toy.log.lock().unwrap(),
        [
            "USER admin",
            &format!("PASS {PASSWORD}"),
            "ECHO hello",
            "LIST",
            "ECHO again"
        ]
    );
}

#[tokio::test]
async fn a_refused_login_is_an_auth_error_in_the_devices_words() {
    let toy = toy_server(None).await;
    let target = LineTarget {
        password: "not-the-password".into(),
        ..toy_target(toy.server.port, None)
    };
    let e = LinePool::default()
        .session(&target)
        .await
        .request("ECHO x")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, TransportError::Auth { username, hint, .. } if username == "admin" && hint == "515 wrong password"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(
        toy.received("ECHO x"),
        0,
        "no request is sent before the login succeeds"
    );
}

#[tokio::test]
async fn an_idle_connection_is_replaced_before_the_next_request() {
    let toy = toy_server(None).await;
    let target = toy_target(toy.server.port, None);
    let pool = LinePool::default();
    let mut session = pool.session(&target).await;
    session.request("ECHO 1").await.unwrap();
    // Just under the idle time: the connection is kept.
    tokio::time::pause();
    tokio::time::advance(target.idle_reconnect - Duration::from_secs(1)).await;
    tokio::time::resume();
    session.request("ECHO 2").await.unwrap();
    assert_eq!(toy.server.connections(), 1);
    // Idle for the whole idle time since the last reply: a new connection, a new login.
    tokio::time::pause();
    tokio::time::advance(target.idle_reconnect).await;
    tokio::time::resume();
    assert_eq!(session.request("ECHO 3").await.unwrap(), b"200 3\r\n");
    assert_eq!(toy.server.connections(), 2);
    assert_eq!(toy.received("USER admin"), 2);
}

#[tokio::test]
async fn a_connection_the_device_closed_is_replaced_on_the_next_request() {
    let toy = toy_server(None).await;
    let target = toy_target(toy.server.port, None);
    let pool = LinePool::default();
    let mut session = pool.session(&target).await;
    assert_eq!(session.request("QUIT").await.unwrap(), b"200 bye\r\n");
    toy.closed.notified().await;
    // Let the runtime's I/O driver take in the close (one park; no time is asserted).
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(
        session.request("ECHO after").await.unwrap(),
        b"200 after\r\n"
    );
    assert_eq!(toy.server.connections(), 2);
    assert_eq!(toy.received("ECHO after"), 1);
}

#[tokio::test]
async fn a_lost_reply_is_reported_and_the_request_never_sent_again() {
    let toy = toy_server(None).await;
    let target = toy_target(toy.server.port, None);
    let pool = LinePool::default();
    let mut session = pool.session(&target).await;
    let e = session.request("CLOSE").await.unwrap_err();
    assert!(
        matches!(&e, TransportError::ConnectionLost { command, .. } if command == "CLOSE"),
        "{e:?}"
    );
    // The next request goes out on a new connection; the lost one is not replayed.
    assert_eq!(session.request("ECHO next").await.unwrap(), b"200 next\r\n");
    assert_eq!(toy.received("CLOSE"), 1);
    assert_eq!(toy.server.connections(), 2);
}

#[tokio::test]
async fn a_request_of_more_than_one_line_is_never_sent() {
    let toy = toy_server(None).await;
    let target = toy_target(toy.server.port, None);
    let e = LinePool::default()
        .session(&target)
        .await
        .request("ECHO a\r\nDELETE everything")
        .await
        .unwrap_err();
    assert!(matches!(e, TransportError::UnsafeInput { .. }), "{e:?}");
    assert_eq!(toy.server.connections(), 0);
}

#[tokio::test]
async fn a_reply_growing_past_the_bound_stops_the_read_and_the_connection() {
    let toy = toy_server(None).await;
    let target = LineTarget {
        max_reply_bytes: 4096,
        ..toy_target(toy.server.port, None)
    };
    let pool = LinePool::default();
    let e = pool
        .session(&target)
        .await
        .request("FLOOD")
        .await
        .unwrap_err();
    assert!(
        matches!(e, TransportError::ReplyTooLarge { limit: 4096, .. }),
        "{e}"
    );
    // The dialogue is abandoned: the next request logs in on a new connection.
    let reply = pool
        .session(&target)
        .await
        .request("ECHO hi")
        .await
        .unwrap();
    assert_eq!(reply, b"200 hi\r\n");
    assert_eq!(toy.received("USER admin"), 2);
}
