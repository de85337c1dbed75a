//! The simulator over real TCP: sessions shaped like CLI.html's sample (S1), APOP as CLI.pm
//! computes it (S7), the stores, the idle timeout and the faults.

use std::net::SocketAddr;
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::data::{parse_stored_dict, Lines};
use super::*;
use crate::device::FaultControl;
use crate::faults::Fault;

const PASSWORD: &str = "Lk9sEcrMk-cgp-'\"\\$;|&`!#%";

async fn cluster(n: usize, idle: Duration) -> CgpCluster {
    let configs = (1..=n)
        .map(|i| CgpMemberConfig {
            name: format!("cgp{i}"),
            role: "frontend".into(),
            port: 0,
            username: "postmaster".into(),
            password: PASSWORD.into(),
            idle_timeout: idle,
        })
        .collect();
    CgpCluster::start(configs).await.unwrap()
}

struct Client {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
    banner: String,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut c = Client {
            r: BufReader::new(r),
            w,
            banner: String::new(),
        };
        c.banner = c.line().await.expect("a banner");
        c
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
        self.w.write_all(line.as_bytes()).await.unwrap();
        self.w.write_all(b"\n").await.unwrap();
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.line().await.expect("a reply")
    }

    async fn login(addr: SocketAddr) -> Client {
        let mut c = Client::connect(addr).await;
        assert_eq!(c.cmd("USER postmaster").await, "300 please send the PASS");
        assert_eq!(c.cmd(&format!("PASS {PASSWORD}")).await, "200 login OK");
        assert_eq!(c.cmd("INLINE").await, "200 OK");
        c
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
    s.w.write_all(format!("PASS {PASSWORD}\r\n").as_bytes())
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
    let e = member.inject(Fault::RotateIdentity).await.unwrap_err();
    assert!(e.to_string().contains("no identity"), "{e}");
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
