//! Drives the simulated MMP with a real russh SSH client (interactive shell with PTY).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client;
use russh::keys::{HashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;

use super::{CmsNode, CmsNodeConfig};

pub(super) const PASSWORD: &str = "pw-Xy12";
const PROMPT: &str = "cms1> ";
pub(super) const TIMEOUT: Duration = Duration::from_secs(10);

async fn start_node() -> CmsNode {
    CmsNode::start(CmsNodeConfig {
        hostname: "cms1".into(),
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        username: "admin".into(),
        password: PASSWORD.into(),
        xmpp_domain: "conf.example.com".into(),
    })
    .await
    .unwrap()
}

pub(super) struct TestClient {
    seen_fingerprint: Arc<Mutex<Option<String>>>,
}

impl client::Handler for TestClient {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        if let PublicKeyOrCertificate::PublicKey { key, .. } = key {
            *self.seen_fingerprint.lock().unwrap() =
                Some(key.fingerprint(HashAlg::Sha256).to_string());
        }
        Ok(true)
    }
}

/// Connects (accepting any host key); returns the handle and the host key fingerprint seen.
pub(super) async fn connect(addr: SocketAddr) -> (client::Handle<TestClient>, String) {
    let seen = Arc::new(Mutex::new(None));
    let handle = client::connect(
        Arc::new(client::Config::default()),
        addr,
        TestClient {
            seen_fingerprint: seen.clone(),
        },
    )
    .await
    .unwrap();
    let fp = seen.lock().unwrap().clone().unwrap();
    (handle, fp)
}

pub(super) async fn login(addr: SocketAddr) -> client::Handle<TestClient> {
    let (mut h, _) = connect(addr).await;
    assert!(h
        .authenticate_password("admin", PASSWORD)
        .await
        .unwrap()
        .success());
    h
}

/// An interactive shell channel with an input buffer.
pub(super) struct Term {
    channel: russh::Channel<client::Msg>,
    buf: String,
    closed: bool,
    /// The node's prompt, `<hostname>> `.
    prompt: String,
}

impl Term {
    async fn open(h: &client::Handle<TestClient>, pty: bool) -> Term {
        Self::open_on(h, pty, PROMPT).await
    }

    /// Opens a shell on a node whose prompt is `prompt`.
    pub(super) async fn open_on(h: &client::Handle<TestClient>, pty: bool, prompt: &str) -> Term {
        let channel = h.channel_open_session().await.unwrap();
        if pty {
            channel
                .request_pty(true, "vt100", 80, 24, 0, 0, &[])
                .await
                .unwrap();
        }
        channel.request_shell(true).await.unwrap();
        Term {
            channel,
            buf: String::new(),
            closed: false,
            prompt: prompt.to_string(),
        }
    }

    /// Receives one message; false once the channel is gone.
    async fn pump(&mut self) -> bool {
        match tokio::time::timeout(TIMEOUT, self.channel.wait()).await {
            Err(_) => panic!("timeout; buffer so far: {:?}", self.buf),
            Ok(None) | Ok(Some(ChannelMsg::Close)) => {
                self.closed = true;
                false
            }
            Ok(Some(ChannelMsg::Data { data })) => {
                self.buf.push_str(&String::from_utf8_lossy(&data));
                true
            }
            Ok(Some(_)) => true,
        }
    }

    /// Everything up to and including `pat`.
    pub(super) async fn read_until(&mut self, pat: &str) -> String {
        loop {
            if let Some(i) = self.buf.find(pat) {
                let rest = self.buf.split_off(i + pat.len());
                return std::mem::replace(&mut self.buf, rest);
            }
            if !self.pump().await {
                panic!(
                    "channel closed while waiting for {pat:?}; got {:?}",
                    self.buf
                );
            }
        }
    }

    /// Reads until the channel ends; returns what arrived.
    pub(super) async fn read_to_end(&mut self) -> String {
        while self.pump().await {}
        std::mem::take(&mut self.buf)
    }

    pub(super) async fn send(&self, s: &str) {
        self.channel.data(s.as_bytes()).await.unwrap();
    }

    /// Sends a command; returns its output (between the echo and the next prompt).
    pub(super) async fn cmd(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r")).await;
        let prompt = self.prompt.clone();
        let out = self.read_until(&prompt).await;
        let echo = format!("{line}\r\n");
        assert!(out.starts_with(&echo), "no echo in {out:?}");
        out[echo.len()..out.len() - prompt.len()].to_string()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_prompt_add_list_del_and_errors() {
    let node = start_node().await;
    let ctl = node.control();
    let h = login(node.addr()).await;
    let mut t = Term::open(&h, true).await;
    let banner = t.read_until(PROMPT).await;
    assert!(banner.ends_with("\r\ncms1> "), "{banner:?}");

    let out = t.cmd("xmpp callbridge add cb1").await;
    let lines: Vec<&str> = out.split("\r\n").collect();
    assert_eq!(lines.len(), 5, "{out:?}");
    assert_eq!(lines[0], "Success");
    assert_eq!(lines[1], "Callbridge          : cb1");
    assert_eq!(lines[2], "Domain              : conf.example.com");
    let secret = lines[3].strip_prefix("Secret              : ").unwrap();
    assert_eq!(secret.len(), 19);
    assert_eq!(lines[4], "");
    assert_eq!(
        ctl.callbridges(),
        vec![("cb1".to_string(), secret.to_string())]
    );

    ctl.add_callbridge("cb0", "handmade");
    assert_eq!(
        t.cmd("xmpp callbridge list").await,
        format!(
            "Callbridge          : cb0\r\nDomain              : conf.example.com\r\nSecret              : handmade\r\n\r\n\
             Callbridge          : cb1\r\nDomain              : conf.example.com\r\nSecret              : {secret}\r\n"
        )
    );
    assert_eq!(
        t.cmd("xmpp callbridge add cb1").await,
        "Failure: callbridge cb1 already exists\r\n"
    );
    assert_eq!(t.cmd("xmpp callbridge del cb0").await, "");
    assert_eq!(
        t.cmd("xmpp callbridge del cb0").await,
        "Failure: callbridge cb0 not found\r\n"
    );
    assert_eq!(
        t.cmd("xmpp callbridge add").await,
        "Usage: xmpp callbridge add <name>\r\n"
    );
    assert_eq!(
        t.cmd("xmpp callbridge add x y").await,
        "Usage: xmpp callbridge add <name>\r\n"
    );
    assert_eq!(
        t.cmd("xmpp callbridge add bad/name").await,
        "Failure: invalid callbridge name \"bad/name\"\r\n"
    );
    assert_eq!(
        t.cmd("frob nicate").await,
        "Unknown command: frob nicate\r\n"
    );
    assert_eq!(t.cmd("hostname").await, "cms1\r\n");
    // A fresh node's XMPP server is disabled (services.rs); enabled behind the shell's back.
    ctl.set_service_enabled(super::Service::Xmpp, true);
    assert_eq!(
        t.cmd("xmpp status").await,
        "State               : ENABLED\r\nDomain              : conf.example.com\r\nNum. clients        : 0\r\nNum. components     : 1\r\n"
    );
    // Empty line: just a new prompt. `\r\n` counts as one line end.
    t.send("\r\n").await;
    assert_eq!(t.read_until(PROMPT).await, "\r\ncms1> ");
    t.send("hostname\r\n").await;
    assert_eq!(t.read_until(PROMPT).await, "hostname\r\ncms1\r\ncms1> ");
    // Two commands in one packet.
    t.send("hostname\nhostname\n").await;
    t.read_until(PROMPT).await;
    t.read_until(PROMPT).await;

    t.send("exit\r").await;
    t.read_to_end().await;
    assert!(t.closed);

    let log = ctl.command_log();
    assert_eq!(
        log.iter()
            .filter(|l| *l == "xmpp callbridge add cb1")
            .count(),
        2
    );
    assert_eq!(log.first().unwrap(), "xmpp callbridge add cb1");
    assert_eq!(log.last().unwrap(), "exit");
    assert!(!log.iter().any(|l| l.is_empty()));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_secret_prompts_and_hides_the_secret() {
    let node = start_node().await;
    let ctl = node.control();
    let h = login(node.addr()).await;
    let mut t = Term::open(&h, true).await;
    t.read_until(PROMPT).await;

    t.send("xmpp callbridge add-secret cb2\r").await;
    assert_eq!(
        t.read_until("Enter callbridge secret: ").await,
        "xmpp callbridge add-secret cb2\r\nEnter callbridge secret: "
    );
    t.send("kvgP1SRzWVabhiPVAb1\r").await;
    let out = t.read_until(PROMPT).await;
    assert_eq!(out, "\r\nSuccess\r\ncms1> ");
    assert_eq!(
        ctl.callbridges(),
        vec![("cb2".to_string(), "kvgP1SRzWVabhiPVAb1".to_string())]
    );

    // Overwrites an existing account [GUESS]; empty secret refused.
    t.send("xmpp callbridge add-secret cb2\r").await;
    t.read_until("Enter callbridge secret: ").await;
    t.send("\r").await;
    assert_eq!(
        t.read_until(PROMPT).await,
        "\r\nFailure: secret must not be empty\r\ncms1> "
    );
    t.send("xmpp callbridge add-secret cb2\r").await;
    t.read_until("Enter callbridge secret: ").await;
    t.send("other\r").await;
    t.read_until(PROMPT).await;
    assert_eq!(ctl.callbridges()[0].1, "other");
    assert_eq!(
        t.cmd("xmpp callbridge add-secret").await,
        "Usage: xmpp callbridge add-secret <name>\r\n"
    );

    let log = ctl.command_log().join("\n");
    assert!(
        !log.contains("kvgP1SRzWVabhiPVAb1") && !log.contains("other"),
        "{log}"
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_without_pty_and_exec() {
    let node = start_node().await;
    let h = login(node.addr()).await;
    let mut t = Term::open(&h, false).await;
    t.read_until(PROMPT).await;
    assert_eq!(t.cmd("hostname").await, "cms1\r\n");

    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, "xmpp callbridge add cb7").await.unwrap();
    let mut out = Vec::new();
    let mut status = None;
    while let Some(msg) = tokio::time::timeout(TIMEOUT, ch.wait()).await.unwrap() {
        match msg {
            ChannelMsg::Data { data } => out.extend_from_slice(&data),
            ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
            _ => {}
        }
    }
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with("Success\r\nCallbridge          : cb7\r\n"),
        "{out:?}"
    );
    assert_eq!(status, Some(0));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_refuse_login() {
    let node = start_node().await;
    let ctl = node.control();
    let (mut h, _) = connect(node.addr()).await;
    assert!(!h
        .authenticate_password("admin", "nope")
        .await
        .unwrap()
        .success());
    assert!(!h
        .authenticate_password("root", PASSWORD)
        .await
        .unwrap()
        .success());
    assert!(h
        .authenticate_password("admin", PASSWORD)
        .await
        .unwrap()
        .success());
    assert_eq!(ctl.total_logins(), 1);

    ctl.set_refuse_login(true);
    let (mut h2, _) = connect(node.addr()).await;
    assert!(!h2
        .authenticate_password("admin", PASSWORD)
        .await
        .unwrap()
        .success());
    ctl.clear_faults();
    assert!(h2
        .authenticate_password("admin", PASSWORD)
        .await
        .unwrap()
        .success());
    assert_eq!(ctl.total_logins(), 2);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_key_login_for_authorized_keys_only() {
    use russh::keys::{Algorithm, PrivateKey, PrivateKeyWithHashAlg};
    let node = start_node().await;
    let ctl = node.control();
    let key = Arc::new(PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap());
    let (mut h, _) = connect(node.addr()).await;
    let try_key = PrivateKeyWithHashAlg::new(key.clone(), None);
    assert!(!h
        .authenticate_publickey("admin", try_key)
        .await
        .unwrap()
        .success());
    ctl.authorize_key(&key.public_key().to_openssh().unwrap());
    let (mut h, _) = connect(node.addr()).await;
    let try_key = PrivateKeyWithHashAlg::new(key.clone(), None);
    assert!(h
        .authenticate_publickey("admin", try_key)
        .await
        .unwrap()
        .success());
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_host_key_changes_the_fingerprint() {
    let node = start_node().await;
    let ctl = node.control();
    let before = ctl.host_key_fingerprint();
    assert!(before.starts_with("SHA256:"));
    assert!(ctl.host_key_openssh().starts_with("ssh-ed25519 AAAA"));
    let (_h, seen) = connect(node.addr()).await;
    assert_eq!(seen, before);
    ctl.rotate_host_key();
    let after = ctl.host_key_fingerprint();
    assert_ne!(after, before);
    let (_h2, seen2) = connect(node.addr()).await;
    assert_eq!(seen2, after);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_connection_after_applies_then_cuts() {
    let node = start_node().await;
    let ctl = node.control();
    ctl.drop_connection_after("xmpp callbridge add ", 1);
    let h = login(node.addr()).await;
    let mut t = Term::open(&h, true).await;
    t.read_until(PROMPT).await;
    t.send("xmpp callbridge add cb1\r").await;
    let rest = t.read_to_end().await;
    assert_eq!(rest, "", "nothing may arrive after the command");
    assert_eq!(ctl.callbridges().len(), 1, "command must be applied");
    assert!(ctl
        .command_log()
        .contains(&"xmpp callbridge add cb1".to_string()));
    let deadline = Instant::now() + TIMEOUT;
    while ctl.active_sessions() > 0 {
        assert!(Instant::now() < deadline, "connection not closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Fault consumed: the next connection works normally.
    let h = login(node.addr()).await;
    let mut t = Term::open(&h, true).await;
    t.read_until(PROMPT).await;
    assert_eq!(
        t.cmd("xmpp callbridge add cb1").await,
        "Failure: callbridge cb1 already exists\r\n"
    );

    // add-secret: the secret is stored, then the connection is cut before `Success`.
    ctl.drop_connection_after("xmpp callbridge add-secret", 1);
    t.send("xmpp callbridge add-secret cb3\r").await;
    t.read_until("Enter callbridge secret: ").await;
    t.send("sekrit\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert!(ctl
        .callbridges()
        .contains(&("cb3".to_string(), "sekrit".to_string())));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_delay_sessions_and_stop() {
    let node = start_node().await;
    let ctl = node.control();
    let h1 = login(node.addr()).await;
    let h2 = login(node.addr()).await;
    assert_eq!(ctl.active_sessions(), 2);
    assert_eq!(ctl.total_logins(), 2);
    let mut t = Term::open(&h1, true).await;
    t.read_until(PROMPT).await;
    ctl.set_reply_delay(Duration::from_millis(300));
    let start = Instant::now();
    assert_eq!(t.cmd("hostname").await, "cms1\r\n");
    assert!(start.elapsed() >= Duration::from_millis(300));
    ctl.clear_faults();

    h2.disconnect(russh::Disconnect::ByApplication, "", "en")
        .await
        .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    while ctl.active_sessions() != 1 {
        assert!(
            Instant::now() < deadline,
            "session count stuck at {}",
            ctl.active_sessions()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let addr = node.addr();
    node.stop().await;
    assert_eq!(ctl.active_sessions(), 0);
    t.read_to_end().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
