//! The simulator over real TCP: sessions shaped like CLI.html's sample (S1), APOP as CLI.pm
//! computes it (S7), the stores, the idle timeout and the faults.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use md5::{Digest, Md5};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::data::{parse_stored_dict, Lines};
use super::*;
use crate::device::FaultControl;
use crate::faults::Fault;
use crate::lab_ca::LabCa;

const PASSWORD: &str = "Lk9sEcrMk-cgp-'\"\\$;|&`!#%";

async fn cluster(n: usize, idle: Duration) -> CgpCluster {
    cluster_with_ca(n, idle).await.0
}

/// The cluster and the CA its members' certificates come from.
async fn cluster_with_ca(n: usize, idle: Duration) -> (CgpCluster, Arc<LabCa>) {
    let ca = Arc::new(LabCa::new("uccluster test CA").unwrap());
    let configs = (1..=n)
        .map(|i| CgpMemberConfig {
            name: format!("cgp{i}"),
            role: "frontend".into(),
            port: 0,
            tls_port: 0,
            username: "postmaster".into(),
            password: PASSWORD.into(),
            idle_timeout: idle,
        })
        .collect();
    (CgpCluster::start(configs, ca.clone()).await.unwrap(), ca)
}

/// One CLI connection: plain TCP, or TLS over it.
struct Client<S = TcpStream> {
    r: BufReader<S>,
    banner: String,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        Client::greeted(TcpStream::connect(addr).await.unwrap()).await
    }

    async fn login(addr: SocketAddr) -> Client {
        let mut c = Client::connect(addr).await;
        c.user_pass().await;
        c
    }

    /// `STLS`, its `200` line, then the TLS handshake on the same connection.
    async fn stls(mut self, tls: &Tls) -> std::io::Result<Client<TlsStream<TcpStream>>> {
        let reply = self.cmd("STLS").await;
        assert!(reply.starts_with("200 "), "{reply}");
        assert!(self.r.buffer().is_empty(), "nothing after the 200 line");
        let stream = tls.handshake(self.r.into_inner()).await?;
        Ok(Client {
            r: BufReader::new(stream),
            banner: self.banner,
        })
    }
}

impl Client<TlsStream<TcpStream>> {
    /// Implicit TLS: the handshake first, then the banner.
    async fn connect_tls(addr: SocketAddr, tls: &Tls) -> std::io::Result<Self> {
        let stream = tls
            .handshake(TcpStream::connect(addr).await.unwrap())
            .await?;
        Ok(Client::greeted(stream).await)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    async fn greeted(stream: S) -> Client<S> {
        let mut c = Client {
            r: BufReader::new(stream),
            banner: String::new(),
        };
        c.banner = c.line().await.expect("a banner");
        c
    }

    /// The stream, to write bytes as they are.
    fn w(&mut self) -> &mut S {
        self.r.get_mut()
    }

    /// One raw line, CRLF included; `None` at end of stream.
    async fn raw_line(&mut self) -> Option<String> {
        let mut l = String::new();
        let n = tokio::time::timeout(Duration::from_secs(10), self.r.read_line(&mut l))
            .await
            .expect("a reply in time")
            .ok()?;
        (n > 0).then_some(l)
    }

    async fn line(&mut self) -> Option<String> {
        let l = self.raw_line().await?;
        assert!(l.ends_with("\r\n"), "server lines end with CRLF: {l:?}");
        Some(l.trim_end_matches("\r\n").to_string())
    }

    async fn send(&mut self, line: &str) {
        self.w()
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        self.w().flush().await.unwrap();
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.line().await.expect("a reply")
    }

    async fn user_pass(&mut self) {
        assert_eq!(
            self.cmd("USER postmaster").await,
            "300 please send the PASS"
        );
        assert_eq!(self.cmd(&format!("PASS {PASSWORD}")).await, "200 login OK");
        assert_eq!(self.cmd("INLINE").await, "200 OK");
    }

    /// APOP with the banner's challenge (md5 of challenge + password, hex: S7, S11).
    async fn apop(&mut self) {
        let start = self.banner.rfind('<').expect("a challenge");
        let challenge = self.banner[start..].to_string();
        let digest = Md5::digest(format!("{challenge}{PASSWORD}"));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            self.cmd(&format!("APOP postmaster {hex}")).await,
            "200 login OK"
        );
        assert_eq!(self.cmd("INLINE").await, "200 OK");
    }

    /// The INLINE object of a `201` reply.
    async fn get(&mut self, command: &str) -> String {
        let reply = self.cmd(command).await;
        reply
            .strip_prefix("201 ")
            .unwrap_or_else(|| panic!("{command}: {reply}"))
            .to_string()
    }
}

/// A TLS client (rustls, ring) that trusts `ca_pem` only and, when given, also requires the
/// leaf's SHA-256 (`AB:CD:...`) to equal a pin.
struct Tls(tokio_rustls::TlsConnector);

impl Tls {
    fn new(ca_pem: &str, pin: Option<String>) -> Tls {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
            .unwrap();
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .unwrap();
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Pinned { webpki, pin }))
            .with_no_client_auth();
        Tls(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }

    async fn handshake(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        let name = ServerName::from(IpAddr::V4(Ipv4Addr::LOCALHOST));
        self.0.connect(name, tcp).await
    }
}

/// The lab CA's chain check (webpki, for 127.0.0.1), then the pin if any.
#[derive(Debug)]
struct Pinned {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    pin: Option<String>,
}

fn sha256_pin(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let verified = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        match &self.pin {
            Some(pin) if *pin != sha256_pin(end_entity.as_ref()) => Err(rustls::Error::General(
                format!("certificate pin mismatch: want {pin}"),
            )),
            _ => Ok(verified),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[tokio::test]
async fn a_session_shaped_like_the_documents_sample() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::connect(addr).await;
    // S11's banner shape: `200 <host> CommuniGate Pro PWD Server <ver> ready <N.T@host>`
    let rest = s
        .banner
        .strip_prefix("200 cgp1 CommuniGate Pro PWD Server 6.4.1 ready <")
        .unwrap_or_else(|| panic!("{}", s.banner));
    assert!(rest.ends_with("@cgp1>"), "{rest}");
    // commands before a login are refused
    assert!(s.cmd("GetClusterSettings").await.starts_with("500 "));
    assert_eq!(s.cmd("user postmaster").await, "300 please send the PASS");
    // CRLF from the client works too (S11)
    s.w()
        .write_all(format!("PASS {PASSWORD}\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(s.line().await.unwrap(), "200 login OK");
    assert_eq!(s.cmd("inline").await, "200 OK");
    let settings = s.get("GETCLUSTERSETTINGS").await;
    assert!(
        settings.starts_with("{BackendAddresses=\"\";"),
        "{settings}"
    );
    assert!(settings.contains("SIPFarmMode=Auto;"), "{settings}");
    assert_eq!(s.get("GetVersion").await, "\"6.4.1\"");
    assert_eq!(s.cmd("RefreshOSData").await, "200 OK");
    assert_eq!(member.refreshes(), 1);
    assert_eq!(
        s.cmd("QUIT").await,
        "200 CommuniGate Pro PWD connection closed"
    );
    assert_eq!(s.raw_line().await, None, "closed after QUIT");
    assert_eq!(member.logins(), 1);
    let log = member.command_log();
    assert!(log.contains(&"PASS ***".to_string()), "{log:?}");
    assert!(!log.iter().any(|l| l.contains(PASSWORD)), "{log:?}");
    c.stop().await;
}

#[tokio::test]
async fn apop_with_the_md5_of_the_challenge_and_password() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::connect(addr).await;
    let challenge = &s.banner[s.banner.find('<').unwrap()..];
    let digest: String = Md5::digest(format!("{challenge}{PASSWORD}"))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(s.cmd("APOP postmaster 0123").await.starts_with("515 "));
    assert_eq!(
        s.cmd(&format!("APOP postmaster {digest}")).await,
        "200 login OK"
    );
    assert_eq!(member.logins(), 1);
    // the digest of another session's challenge is refused
    let mut other = Client::connect(addr).await;
    assert!(other
        .cmd(&format!("APOP postmaster {digest}"))
        .await
        .starts_with("515 "));
    c.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_so_is_every_login_under_the_fault() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::connect(addr).await;
    s.cmd("USER postmaster").await;
    assert_eq!(
        s.cmd("PASS wrong").await,
        "515 Incorrect user name or password"
    );
    s.cmd("USER nobody").await;
    assert!(s.cmd(&format!("PASS {PASSWORD}")).await.starts_with("515 "));
    assert!(
        s.cmd("PASS again").await.starts_with("500 "),
        "no USER first"
    );
    member.inject(Fault::RefuseLogin).await.unwrap();
    s.cmd("USER postmaster").await;
    assert!(s.cmd(&format!("PASS {PASSWORD}")).await.starts_with("515 "));
    FaultControl::clear(&member).await.unwrap();
    s.cmd("USER postmaster").await;
    assert_eq!(s.cmd(&format!("PASS {PASSWORD}")).await, "200 login OK");
    assert_eq!(member.logins(), 1);
    c.stop().await;
}

#[tokio::test]
async fn set_replaces_the_page_and_every_other_key_comes_back_byte_for_byte() {
    let c = cluster(2, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::login(addr).await;
    let before = s.get("GetClusterSettings").await;
    let dict = parse_stored_dict(&before, Lines::Single).unwrap();
    // change one key, send everything back as read
    let mut changed = dict.clone();
    changed.set("SIPFarmMode", "Member");
    assert_eq!(
        s.cmd(&format!("SetClusterSettings {}", changed.print_inline()))
            .await,
        "200 OK"
    );
    let after = parse_stored_dict(&s.get("GetClusterSettings").await, Lines::Single).unwrap();
    for (k, v) in dict.entries() {
        if k != "SIPFarmMode" {
            assert_eq!(after.get(k), Some(v.as_str()), "{k}");
        }
    }
    assert_eq!(after.get("SIPFarmMode"), Some("Member"));
    assert_eq!(member.cluster_settings(), after);
    // Set replaces: a key left out is gone; another member's page is untouched
    assert_eq!(
        s.cmd("SetClusterSettings {SIPFarmMode=Relay;LegHostMode=\"Locally for Others\";}")
            .await,
        "200 OK"
    );
    assert_eq!(
        s.get("GetClusterSettings").await,
        "{SIPFarmMode=Relay;LegHostMode=\"Locally for Others\";}"
    );
    assert_eq!(
        c.control().cluster_settings("cgp2").get("SIPFarmMode"),
        Some("Auto")
    );
    // a parse error answers with the parser's words and changes nothing
    let reply = s.cmd("SetNetwork {UseRBL=YES}").await;
    assert_eq!(
        reply,
        "501 ';' expected after a dictionary value at offset 11"
    );
    assert_eq!(member.network().get("UseRBL"), Some("NO"));
    assert!(s.cmd("SetNetwork").await.starts_with("501 "));
    c.stop().await;
}

#[tokio::test]
async fn the_cluster_wide_network_is_one_store_and_server_wide_ones_are_per_member() {
    let c = cluster(3, DEFAULT_IDLE_TIMEOUT).await;
    let (_, a1) = c.member("cgp1").unwrap();
    let (_, a3) = c.member("cgp3").unwrap();
    let mut s1 = Client::login(a1).await;
    let mut s3 = Client::login(a3).await;
    let mut wide = parse_stored_dict(&s1.get("GetClusterNetwork").await, Lines::Single).unwrap();
    wide.set("WANAddress", "\"203.0.113.10\"");
    assert_eq!(
        s1.cmd(&format!("SetClusterNetwork {}", wide.print_inline()))
            .await,
        "200 OK"
    );
    assert_eq!(s3.get("GetClusterNetwork").await, wide.print_inline());
    assert_eq!(c.control().cluster_network(), wide);
    let mut net = c.control().network("cgp1");
    net.set("WANAddress", "\"198.51.100.1\"");
    assert_eq!(
        s1.cmd(&format!("SetNetwork {}", net.print_inline())).await,
        "200 OK"
    );
    assert_eq!(
        c.control().network("cgp1").get("WANAddress"),
        Some("\"198.51.100.1\"")
    );
    assert_eq!(c.control().network("cgp3").get("WANAddress"), Some("\"\""));
    assert_eq!(
        c.control().network("cgp3").get("RBLDomain"),
        Some("(\"sbl-xbl.spamhaus.org\")")
    );
    c.stop().await;
}

#[tokio::test]
async fn without_inline_data_follows_on_several_lines() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::connect(addr).await;
    s.cmd("USER postmaster").await;
    s.cmd(&format!("PASS {PASSWORD}")).await;
    assert_eq!(s.cmd("GetNetwork").await, "200 data follow");
    // read as S7 getWords does: until a line ends with the bracket closing the first one
    let mut body = Vec::new();
    loop {
        let l = s.line().await.unwrap();
        let done = l.ends_with('}');
        body.push(l);
        if done {
            break;
        }
    }
    assert_eq!(body[0], "{");
    assert_eq!(body[1], " MediaPortsFrom = \"10000\";");
    let parsed = parse_stored_dict(&body.join("\n"), Lines::Multi).unwrap();
    assert_eq!(parsed, member.network());
    assert_eq!(s.cmd("GetVersion").await, "200 data follow");
    assert_eq!(s.line().await.unwrap(), "\"6.4.1\"");
    c.stop().await;
}

#[tokio::test]
async fn an_idle_session_is_closed() {
    let c = cluster(1, Duration::from_millis(200)).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::login(addr).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(s.raw_line().await, None, "closed by the server");
    member.set_idle_timeout(Duration::from_secs(60));
    let mut s = Client::login(addr).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(s.cmd("RefreshOSData").await, "200 OK");
    c.stop().await;
}

#[tokio::test]
async fn drops_before_and_after_a_set_and_a_reply_delay() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    member
        .inject(Fault::DropBefore {
            prefix: "SetClusterSettings".into(),
            times: 1,
        })
        .await
        .unwrap();
    let mut s = Client::login(addr).await;
    s.send("SetClusterSettings {SIPFarmMode=Member;}").await;
    assert_eq!(s.raw_line().await, None, "cut with no reply");
    assert_eq!(
        member.cluster_settings().get("SIPFarmMode"),
        Some("Auto"),
        "not applied"
    );
    assert_eq!(
        member.cluster_settings().entries().len(),
        keys::CLUSTER_SETTINGS.len()
    );

    member
        .inject(Fault::DropAfter {
            prefix: "SetClusterSettings".into(),
            times: 1,
        })
        .await
        .unwrap();
    let mut s = Client::login(addr).await;
    s.send("SetClusterSettings {SIPFarmMode=Member;}").await;
    assert_eq!(s.raw_line().await, None, "cut with no reply");
    assert_eq!(
        member.cluster_settings().print_inline(),
        "{SIPFarmMode=Member;}",
        "applied"
    );
    // each fault was for one command only
    let mut s = Client::login(addr).await;
    assert_eq!(
        s.cmd("SetClusterSettings {SIPFarmMode=Relay;}").await,
        "200 OK"
    );
    let log = member.command_log();
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("SetClusterSettings"))
            .count(),
        3,
        "{log:?}"
    );

    member
        .inject(Fault::ReplyDelay(Duration::from_millis(300)))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(s.cmd("RefreshOSData").await, "200 OK");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let pin = member.cert_sha256();
    member.inject(Fault::RotateIdentity).await.unwrap();
    assert_ne!(
        member.cert_sha256(),
        pin,
        "a rotated identity is a new certificate"
    );
    assert_eq!(member.sessions().unwrap().logins, 3);
    c.stop().await;
}

#[tokio::test]
async fn a_chosen_reply_and_an_unknown_command() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let mut s = Client::login(addr).await;
    member.fail_next("setnetwork", 510, "Not enough access rights");
    assert_eq!(
        s.cmd("SetNetwork {UseRBL=YES;}").await,
        "510 Not enough access rights"
    );
    assert_eq!(member.network().get("UseRBL"), Some("NO"), "not applied");
    assert_eq!(
        s.cmd("SetNetwork {UseRBL=YES;}").await,
        "200 OK",
        "only the next one"
    );
    assert_eq!(
        s.cmd("ListDomains").await,
        "500 unknown command ListDomains"
    );
    c.stop().await;
}

#[tokio::test]
async fn implicit_tls_apop_and_a_get_set_round_trip() {
    let (c, ca) = cluster_with_ca(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, plain) = c.member("cgp1").unwrap();
    let tls_addr = c.tls_addr("cgp1").unwrap();
    assert_ne!(
        tls_addr.port(),
        plain.port(),
        "a listener of its own (1106's role)"
    );
    assert_eq!(member.ca_pem(), ca.cert_pem());
    // Verified against the lab CA (127.0.0.1 IP SAN) and pinned to the member's leaf.
    let tls = Tls::new(&ca.cert_pem(), Some(member.cert_sha256()));
    let mut s = Client::connect_tls(tls_addr, &tls).await.unwrap();
    // the same banner after the handshake, with its APOP challenge
    assert!(
        s.banner
            .starts_with("200 cgp1 CommuniGate Pro PWD Server 6.4.1 ready <"),
        "{}",
        s.banner
    );
    assert!(
        s.cmd("GetNetwork").await.starts_with("500 "),
        "not logged in"
    );
    s.apop().await;
    assert_eq!(
        s.cmd("SetClusterSettings {SIPFarmMode=Member;LegHostMode=Auto;}")
            .await,
        "200 OK"
    );
    assert_eq!(
        s.get("GetClusterSettings").await,
        "{SIPFarmMode=Member;LegHostMode=Auto;}"
    );
    assert_eq!(
        member.cluster_settings().print_inline(),
        "{SIPFarmMode=Member;LegHostMode=Auto;}"
    );
    // STLS under implicit TLS is refused, the session goes on
    assert_eq!(s.cmd("STLS").await, "500 TLS is already active");
    assert_eq!(
        s.cmd("QUIT").await,
        "200 CommuniGate Pro PWD connection closed"
    );
    assert_eq!(s.raw_line().await, None);
    // the same session counters and command log as the plain listener
    assert_eq!(member.sessions().unwrap().logins, 1);
    assert_eq!(member.command_log()[1], "APOP postmaster ***");

    // a client trusting another CA fails the handshake
    let other = LabCa::new("another CA").unwrap();
    assert!(
        Client::connect_tls(tls_addr, &Tls::new(&other.cert_pem(), None))
            .await
            .is_err()
    );
    c.stop().await;
}

#[tokio::test]
async fn stls_before_login_upgrades_the_connection() {
    let (c, ca) = cluster_with_ca(1, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let tls = Tls::new(&ca.cert_pem(), Some(member.cert_sha256()));
    let mut s = Client::connect(addr).await.stls(&tls).await.unwrap();
    // no second banner; the first one's challenge still serves APOP
    s.apop().await;
    assert!(s.get("GetNetwork").await.contains("UseRBL=NO;"));
    assert_eq!(s.cmd("STLS").await, "500 TLS is already active");

    // USER/PASS over the upgraded connection; a USER sent in the clear is forgotten
    let mut s = Client::connect(addr).await;
    assert_eq!(s.cmd("USER postmaster").await, "300 please send the PASS");
    let mut s = s.stls(&tls).await.unwrap();
    assert!(s.cmd(&format!("PASS {PASSWORD}")).await.starts_with("500 "));
    s.user_pass().await;
    assert_eq!(s.get("GetVersion").await, "\"6.4.1\"");
    let log = member.command_log();
    assert_eq!(log.iter().filter(|l| *l == "STLS").count(), 3, "{log:?}");

    // a command pipelined behind STLS in the clear ends the connection
    let mut s = Client::connect(addr).await;
    s.w().write_all(b"STLS\nGetNetwork\n").await.unwrap();
    assert_eq!(s.line().await.unwrap(), "200 begin TLS negotiation");
    assert_eq!(s.raw_line().await, None);
    c.stop().await;
}

#[tokio::test]
async fn stls_after_login_is_refused() {
    let c = cluster(1, DEFAULT_IDLE_TIMEOUT).await;
    let (_, addr) = c.member("cgp1").unwrap();
    let mut s = Client::login(addr).await;
    assert_eq!(s.cmd("STLS").await, "500 STLS is not allowed after login");
    // still the clear-text session, logged in
    assert!(s.get("GetClusterNetwork").await.starts_with('{'));
    c.stop().await;
}

#[tokio::test]
async fn a_rotated_identity_changes_the_pin_and_fails_a_pinned_client() {
    let (c, ca) = cluster_with_ca(2, DEFAULT_IDLE_TIMEOUT).await;
    let (member, addr) = c.member("cgp1").unwrap();
    let tls_addr = c.tls_addr("cgp1").unwrap();
    let old = member.cert_sha256();
    let other = c.member("cgp2").unwrap().0;
    let other_pin = other.cert_sha256();
    assert_ne!(other_pin, old, "a certificate per member");
    let pinned_old = Tls::new(&ca.cert_pem(), Some(old.clone()));
    // a session opened before the rotation keeps its connection
    let mut before = Client::connect_tls(tls_addr, &pinned_old).await.unwrap();
    before.apop().await;

    let faults: &dyn FaultControl = &member;
    faults.inject(Fault::RotateIdentity).await.unwrap();
    let new = member.cert_sha256();
    assert_ne!(new, old);
    assert_eq!(
        other.cert_sha256(),
        other_pin,
        "the other member keeps its own"
    );
    assert!(before.get("GetNetwork").await.starts_with('{'));

    // pinned to the old leaf: both TLS paths fail the handshake
    let e = Client::connect_tls(tls_addr, &pinned_old)
        .await
        .err()
        .expect("the old pin is refused");
    assert!(e.to_string().contains("pin mismatch"), "{e}");
    assert!(Client::connect(addr).await.stls(&pinned_old).await.is_err());
    // the lab CA still vouches for the new certificate; the new pin works
    let mut s = Client::connect_tls(tls_addr, &Tls::new(&ca.cert_pem(), None))
        .await
        .unwrap();
    s.user_pass().await;
    let pinned_new = Tls::new(&ca.cert_pem(), Some(new));
    Client::connect(addr)
        .await
        .stls(&pinned_new)
        .await
        .unwrap()
        .apop()
        .await;
    c.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_names_the_tls_port_the_ca_file_and_the_pin() {
    use crate::lab::{Lab, LabSpec};
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab::start(&LabSpec::default().with_cgp_members(2), dir.path())
        .await
        .unwrap();
    let member = lab.cgp("cgp1");
    let endpoint = &lab.endpoints()["cgp_members"][0];
    let tls_port = lab.cgp_tls_addr("cgp1").port();
    assert_eq!(endpoint["tls_port"], tls_port);
    assert_ne!(endpoint["port"], tls_port);
    assert_eq!(endpoint["cert_sha256"], member.cert_sha256());
    let ca_file = endpoint["ca_file"].as_str().unwrap();
    assert_eq!(ca_file, lab.ca_path().to_string_lossy());
    let ca_pem = std::fs::read_to_string(ca_file).unwrap();
    assert!(ca_pem.contains(&member.ca_pem()));
    let vars = lab.tfvars();
    assert_eq!(
        vars["cgp_members"][1]["tls_port"],
        lab.cgp_tls_addr("cgp2").port()
    );
    assert_eq!(vars["cgp_members"][1]["ca_file"], ca_file);
    let trust = lab.trust();
    let t = trust.iter().find(|t| t.device == "cgp1").unwrap();
    assert_eq!(t.pin.as_deref(), Some(member.cert_sha256().as_str()));
    assert_eq!(t.ca_pem.as_deref(), Some(member.ca_pem().as_str()));
    // a client with the lab's CA file logs in over implicit TLS
    let mut s = Client::connect_tls(lab.cgp_tls_addr("cgp1"), &Tls::new(&ca_pem, None))
        .await
        .unwrap();
    // the lab's password, not the unit tests'
    let password = endpoint["password"].as_str().unwrap().to_string();
    assert_eq!(s.cmd("USER postmaster").await, "300 please send the PASS");
    assert_eq!(s.cmd(&format!("PASS {password}")).await, "200 login OK");
    lab.stop().await;
}
