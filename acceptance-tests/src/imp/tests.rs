//! Drives simulated IM&P clusters over real HTTPS (tokio-rustls trusting the lab CA and checking
//! the node name against the certificate), one keep-alive connection per client, with the
//! byte-literal envelopes of imp-interface.md (§4, §5, [TAC217581]).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::lab_device::{start_clusters, Credentials, ImpCluster, ImpClusterSpec};
use super::world::{ServiceState, Status};
use crate::device::FaultControl;
use crate::faults::Fault;
use crate::lab_ca::{client_config_trusting, LabCa};

const ADMIN_PASSWORD: &str = "Lk9sEcrMk-imp-'\"\\$;|&`!#%";
const TIMEOUT: Duration = Duration::from_secs(10);

async fn start(n: usize) -> Vec<ImpCluster> {
    let ca = Arc::new(LabCa::new("imp test CA").unwrap());
    let spec: Vec<ImpClusterSpec> = (1..=n)
        .map(|i| ImpClusterSpec {
            restart_time_ms: 150,
            sync_time_ms: 150,
            ..ImpClusterSpec::named(&format!("imp{i}"))
        })
        .collect();
    start_clusters(&spec, ADMIN_PASSWORD, &ca).await.unwrap()
}

#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
}

struct Client {
    stream: BufReader<TlsStream<TcpStream>>,
    auth: String,
}

fn basic(c: &Credentials) -> String {
    let raw = format!("{}:{}", c.username, c.password);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

async fn connect(cluster: &ImpCluster, node: usize, creds: &Credentials) -> Client {
    let config = client_config_trusting(&cluster.ca_pem()).unwrap();
    let (name, addr) = cluster.nodes()[node].clone();
    let tcp = TcpStream::connect(addr).await.unwrap();
    // The certificate must name the node (SAN DNS).
    let server_name = ServerName::try_from(name).unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(server_name, tcp)
        .await
        .unwrap();
    Client {
        stream: BufReader::new(tls),
        auth: basic(creds),
    }
}

impl Client {
    fn peer_cert(&self) -> Vec<u8> {
        self.stream
            .get_ref()
            .get_ref()
            .1
            .peer_certificates()
            .unwrap()[0]
            .to_vec()
    }

    async fn try_request(
        &mut self,
        method: &str,
        path: &str,
        action: Option<&str>,
        body: &str,
    ) -> std::io::Result<Reply> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: imp\r\nContent-Type: text/xml\r\nAuthorization: {}\r\nContent-Length: {}\r\n",
            self.auth,
            body.len()
        );
        if let Some(a) = action {
            head.push_str(&format!("SOAPAction: {a}\r\n"));
        }
        head.push_str("\r\n");
        let out = self.stream.get_mut();
        out.write_all(format!("{head}{body}").as_bytes()).await?;
        out.flush().await?;
        tokio::time::timeout(TIMEOUT, self.read_reply())
            .await
            .map_err(|_| std::io::Error::other("no reply"))?
    }

    async fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let status: u16 = line.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
        let mut length = 0;
        loop {
            let mut header = String::new();
            if self.stream.read_line(&mut header).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((n, v)) = header.split_once(':') {
                if n.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(Reply {
            status,
            body: String::from_utf8(body).unwrap(),
        })
    }

    async fn axl_raw(&mut self, action: Option<&str>, body: &str) -> Reply {
        self.try_request("POST", "/axl/", action, body)
            .await
            .unwrap()
    }

    async fn axl(&mut self, op: &str, sql: &str) -> Reply {
        let body = format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"http://www.cisco.com/AXL/API/14.0\"><soapenv:Body><ns:{op}><sql>{}</sql></ns:{op}></soapenv:Body></soapenv:Envelope>",
            super::soap::escape(sql)
        );
        self.axl_raw(Some(&format!("\"CUCM:DB ver=14.0 {op}\"")), &body)
            .await
    }

    async fn ccs(&mut self, op: &str, inner: &str) -> Reply {
        let body = format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:soap=\"http://schemas.cisco.com/ast/soap\"><soapenv:Body><soap:{op}>{inner}</soap:{op}></soapenv:Body></soapenv:Envelope>"
        );
        self.try_request("POST", super::soap::CCS_PATH, Some(op), &body)
            .await
            .unwrap()
    }

    async fn control(&mut self, control: &str, service: &str) -> Reply {
        self.ccs(
            "soapDoControlServices",
            &format!("<soap:ControlServiceRequest><soap:NodeName></soap:NodeName><soap:ControlType>{control}</soap:ControlType><soap:ServiceList><soap:item>{service}</soap:item></soap:ServiceList></soap:ControlServiceRequest>"),
        )
        .await
    }

    async fn status(&mut self, service: &str) -> Reply {
        self.ccs(
            "soapGetServiceStatus",
            &format!("<soap:ServiceStatus>{service}</soap:ServiceStatus>"),
        )
        .await
    }
}

/// The texts of every element called `name` (by local name).
fn texts(xml: &str, name: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    doc.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or("").to_string())
        .collect()
}

fn one(xml: &str, name: &str) -> String {
    texts(xml, name)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {name} in {xml}"))
}

/// [TAC217581]: ICSA's own request, byte for byte, gets the logged response shape.
#[tokio::test]
async fn icsa_request_with_schema_8_gets_the_logged_response() {
    let c = start(1).await;
    let mut cl = connect(&c[0], 0, c[0].intercluster()).await;
    let body = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/8.0"><SOAP-ENV:Header/><SOAP-ENV:Body><ns:executeSQLQuery sequence="1563080407841"><sql>SELECT count(*) from processnode WHERE systemnode='f' and tknodeusage= 0</sql></ns:executeSQLQuery></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;
    let r = cl
        .axl_raw(Some("\"CUCM:DB ver=8.0 executeSQLQuery\""), body)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        r#"<?xml version='1.0' encoding='utf-8'?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:executeSQLQueryResponse sequence="1563080407841" xmlns:ns="http://www.cisco.com/AXL/API/8.0"><return><row><count>1</count></row></return></ns:executeSQLQueryResponse></soapenv:Body></soapenv:Envelope>"#
    );
    // No SOAPAction, namespace 1.0: the oldest schema [AXLDG].
    let r = cl.axl_raw(None, &body.replace("API/8.0", "API/1.0")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        c[0].command_log("imp1-pub.lab.example")[0],
        "executeSQLQuery SELECT count(*) from processnode WHERE systemnode='f' and tknodeusage= 0"
    );
}

#[tokio::test]
async fn axl_checks_credentials_roles_versions_and_answers_get() {
    let c = start(1).await;
    let imp = &c[0];
    let wrong = Credentials {
        username: "admin".into(),
        password: "nope".into(),
    };
    let mut cl = connect(imp, 1, &wrong).await;
    let r = cl
        .axl("executeSQLQuery", "SELECT name FROM processnode")
        .await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("<html>"));
    let mut ro = connect(imp, 0, imp.readonly()).await;
    assert_eq!(
        ro.axl("executeSQLQuery", "SELECT name FROM processnode")
            .await
            .status,
        403
    );
    let mut icsa = connect(imp, 0, imp.intercluster()).await;
    assert_eq!(
        icsa.status("Cisco XCP Router").await.status,
        403,
        "ICSA user has no serviceability"
    );
    let mut admin = connect(imp, 0, imp.admin()).await;
    let r = admin.try_request("GET", "/axl/", None, "").await.unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.contains(
        "The AXL Web Service is working and accepting requests. Use HTTP POST to send a request."
    ));
    // Unsupported version: 599; disagreeing versions: a SOAP fault.
    let body = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"http://www.cisco.com/AXL/API/7.0\"><soapenv:Body><ns:executeSQLQuery><sql>SELECT name FROM processnode</sql></ns:executeSQLQuery></soapenv:Body></soapenv:Envelope>";
    assert_eq!(
        admin
            .axl_raw(Some("CUCM:DB ver=7.0 executeSQLQuery"), body)
            .await
            .status,
        599
    );
    let r = admin
        .axl_raw(
            Some("CUCM:DB ver=12.5 executeSQLQuery"),
            &body.replace("7.0", "14.0"),
        )
        .await;
    assert_eq!(r.status, 500);
    assert_eq!(one(&r.body, "faultcode"), "soapenv:Client");
    // Unqualified and qualified children both read; sequence echoed; 12.5 namespace echoed.
    let body = "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"http://www.cisco.com/AXL/API/12.5\"><soapenv:Body><ns:executeSQLQuery sequence=\"7\"><ns:sql>SELECT name FROM processnode WHERE tknodeusage = 1 AND systemnode = 'f'</ns:sql></ns:executeSQLQuery></soapenv:Body></soapenv:Envelope>";
    let r = admin
        .axl_raw(Some("CUCM:DB ver=12.5 executeSQLQuery"), body)
        .await;
    assert!(r.body.contains("<ns:executeSQLQueryResponse sequence=\"7\" xmlns:ns=\"http://www.cisco.com/AXL/API/12.5\"><return><row><name>imp1-sub1.lab.example</name></row></return>"), "{}", r.body);
    let r = admin
        .axl(
            "executeSQLQuery",
            "SELECT name FROM processnode WHERE name = 'none'",
        )
        .await;
    assert!(r.body.contains("<return/>"), "{}", r.body);
}

#[tokio::test]
async fn sql_faults_writes_quotes_and_masked_logs() {
    let c = start(1).await;
    let imp = &c[0];
    let mut a = connect(imp, 0, imp.admin()).await;
    let r = a.axl("executeSQLQuery", "SELECT * FROM processnode").await;
    assert_eq!(r.status, 500);
    assert_eq!(one(&r.body, "axlcode"), "-201");
    assert_eq!(one(&r.body, "axlmessage"), "A syntax error has occurred.");
    assert_eq!(one(&r.body, "request"), "executeSQLQuery");
    let r = a.axl("executeSQLQuery", "SELECT x FROM nosuch").await;
    assert_eq!(one(&r.body, "axlcode"), "-206");
    let r = a.axl("executeSQLQuery", "SELECT x FROM enduser").await;
    assert_eq!(one(&r.body, "axlcode"), "-217");
    let pw = "it''s <&> \"x\" Lk9sEcrMk";
    let ins = format!("INSERT INTO cupsinterclusterpeers (peeraddress, axlusername, axlpassword, protocol) VALUES ('imp9-pub.lab.example', 'u', '{pw}', 'tcp')");
    let r = a.axl("executeSQLUpdate", &ins).await;
    assert!(
        r.body
            .contains("<return><rowsUpdated>1</rowsUpdated></return>"),
        "{}",
        r.body
    );
    let r = a.axl("executeSQLUpdate", &ins).await;
    assert_eq!(one(&r.body, "axlcode"), "-239");
    assert_eq!(one(&r.body, "faultcode"), "soapenv:Client");
    let r = a
        .axl(
            "executeSQLQuery",
            "SELECT axlpassword FROM cupsinterclusterpeers",
        )
        .await;
    assert_eq!(one(&r.body, "axlpassword"), "it's <&> \"x\" Lk9sEcrMk");
    let log = imp.command_log("imp1-pub.lab.example");
    assert!(log.iter().all(|l| !l.contains("Lk9sEcrMk")), "{log:?}");
    assert!(
        log[3].starts_with("executeSQLUpdate INSERT INTO cupsinterclusterpeers"),
        "{log:?}"
    );
    let r = a
        .axl(
            "executeSQLUpdate",
            "UPDATE cupsinterclusterpeers SET protocol = 'tls' WHERE peeraddress LIKE 'imp9%'",
        )
        .await;
    assert_eq!(one(&r.body, "rowsUpdated"), "1");
    let r = a
        .axl(
            "executeSQLUpdate",
            "DELETE FROM cupsinterclusterpeers WHERE peeraddress IN ('imp9-pub.lab.example')",
        )
        .await;
    assert_eq!(one(&r.body, "rowsUpdated"), "1");
    assert!(imp.peers().is_empty());
}

#[tokio::test]
async fn throttles_and_shared_faults() {
    let c = start(1).await;
    let imp = &c[0];
    let mut a = connect(imp, 0, imp.admin()).await;
    imp.throttle_writes(1);
    let up = "DELETE FROM cupsinterclusterpeers WHERE peeraddress = 'x'";
    assert_eq!(a.axl("executeSQLUpdate", up).await.status, 503);
    assert_eq!(a.axl("executeSQLUpdate", up).await.status, 200);
    imp.memory_throttle(1);
    let r = a.axl("executeSQLQuery", "SELECT userid FROM enduser").await;
    assert_eq!(one(&r.body, "faultcode"), "soapenv:Server");
    assert_eq!(one(&r.body, "axlcode"), "-1");
    assert!(one(&r.body, "faultstring").starts_with("Maximum AXL Memory Allocation Consumed"));
    imp.read_limit(Some(40));
    let r = a.axl("executeSQLQuery", "SELECT userid FROM enduser").await;
    assert!(
        one(&r.body, "faultstring").starts_with(
            "Query request too large. Total rows matched: 3 rows. Suggestive Row Fetch: less than "
        ),
        "{}",
        r.body
    );
    imp.read_limit(None);
    imp.rate_limit(1);
    let r = a.status("Cisco XCP Router").await;
    assert_eq!(r.status, 500);
    assert!(one(&r.body, "faultstring").starts_with("Exceeded allowed rate"));
    assert_eq!(a.status("Cisco XCP Router").await.status, 200);

    let f = imp.faults("imp1-pub.lab.example");
    f.inject(Fault::RefuseLogin).await.unwrap();
    assert_eq!(
        a.axl("executeSQLQuery", "SELECT userid FROM enduser")
            .await
            .status,
        401
    );
    f.clear().await.unwrap();
    f.inject(Fault::DropBefore {
        prefix: "executeSQLUpdate INSERT".into(),
        times: 1,
    })
    .await
    .unwrap();
    let ins = "INSERT INTO enduser (userid) VALUES ('dropped')";
    assert!(a.try_request("POST", "/axl/", Some("CUCM:DB ver=14.0 executeSQLUpdate"), &format!("<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body><n:executeSQLUpdate xmlns:n=\"http://www.cisco.com/AXL/API/14.0\"><sql>{ins}</sql></n:executeSQLUpdate></e:Body></e:Envelope>")).await.is_err());
    assert!(!imp.users().contains(&"dropped".to_string()));
    let mut a = connect(imp, 0, imp.admin()).await;
    f.inject(Fault::DropAfter {
        prefix: "executeSQLUpdate INSERT".into(),
        times: 1,
    })
    .await
    .unwrap();
    assert!(a.try_request("POST", "/axl/", Some("CUCM:DB ver=14.0 executeSQLUpdate"), &format!("<e:Envelope xmlns:e=\"http://schemas.xmlsoap.org/soap/envelope/\"><e:Body><n:executeSQLUpdate xmlns:n=\"http://www.cisco.com/AXL/API/14.0\"><sql>{ins}</sql></n:executeSQLUpdate></e:Body></e:Envelope>")).await.is_err());
    assert!(imp.users().contains(&"dropped".to_string()));
    // RotateIdentity: a new certificate, and the tomcat row follows it.
    let (sha, serial) = (
        imp.cert_sha256("imp1-pub.lab.example"),
        imp.tomcat_serial("imp1-pub.lab.example"),
    );
    f.inject(Fault::RotateIdentity).await.unwrap();
    assert_ne!(imp.cert_sha256("imp1-pub.lab.example"), sha);
    assert_ne!(imp.tomcat_serial("imp1-pub.lab.example"), serial);
    let a = connect(imp, 0, imp.admin()).await;
    assert_eq!(
        der_serial(&a.peer_cert()),
        imp.tomcat_serial("imp1-pub.lab.example")
    );
    assert!(f.sessions().unwrap().logins >= 5);
}

#[tokio::test]
async fn service_transitions_and_xcp_router_semantics() {
    let c = start(1).await;
    let imp = &c[0];
    let sub = "imp1-sub1.lab.example";
    let mut a = connect(imp, 1, imp.admin()).await;
    let r = a.control("Start", "Cisco XCP Router").await;
    assert_eq!(one(&r.body, "ReasonCode"), "-1");
    assert_eq!(texts(&r.body, "ReasonCode")[1], "-1039");
    // Restart of the router restarts the other running XCP services [DEP91].
    let r = a.control("Restart", "Cisco XCP Router").await;
    assert_eq!(one(&r.body, "ServiceStatus"), "Starting");
    assert_eq!(
        imp.service_status(sub, "Cisco XCP Config Manager"),
        Some(Status::Starting)
    );
    assert_eq!(
        imp.service_status(sub, "Cisco Presence Engine"),
        Some(Status::Started)
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        imp.service_status(sub, "Cisco XCP Config Manager"),
        Some(Status::Started)
    );
    let r = a.status("Cisco XCP Router").await;
    assert_eq!(one(&r.body, "ServiceStatus"), "Started");
    // Stop stops every XCP service; Start starts only the router.
    a.control("Stop", "Cisco XCP Router").await;
    assert_eq!(
        imp.service_status(sub, "Cisco XCP Connection Manager"),
        Some(Status::Stopped)
    );
    let r = a.control("Stop", "Cisco XCP Router").await;
    assert_eq!(texts(&r.body, "ReasonCode")[1], "-1040");
    a.control("Start", "Cisco XCP Router").await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        imp.service_status(sub, "Cisco XCP Router"),
        Some(Status::Started)
    );
    assert_eq!(
        imp.service_status(sub, "Cisco XCP Connection Manager"),
        Some(Status::Stopped)
    );
    // Tomcat cannot be controlled; a deactivated service answers -1068; unknown names.
    let r = a.control("Restart", "Cisco Tomcat").await;
    assert_eq!(texts(&r.body, "ReasonCode")[1], "-1045");
    imp.set_service(sub, "Cisco SIP Proxy", ServiceState::Deactivated);
    let r = a.control("Start", "Cisco SIP Proxy").await;
    assert_eq!(texts(&r.body, "ReasonCode")[1], "-1068");
    assert_eq!(one(&r.body, "ServiceStatus"), "Stopped");
    let r = a.status("Cisco Nothing").await;
    assert_eq!(one(&r.body, "ServiceStatus"), "Unknown");
    let r = a.status("").await;
    assert_eq!(
        texts(&r.body, "ServiceName").len(),
        9,
        "no Sync Agent on a subscriber"
    );
    assert_eq!(
        imp.control_log()[..2],
        [
            format!("{sub} Start Cisco XCP Router"),
            format!("{sub} Restart Cisco XCP Router")
        ]
    );
    assert_eq!(
        imp.command_log(sub)[0],
        "soapDoControlServices Start Cisco XCP Router"
    );
    assert_eq!(
        imp.command_log(sub)[2],
        "soapGetServiceStatus Cisco XCP Router"
    );
}

async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn peering_needs_both_sides_good_credentials_and_icsa() {
    let c = start(2).await;
    let (one_, two) = (&c[0], &c[1]);
    let p1 = one_.publisher_name().to_string();
    let p2 = two.publisher_name().to_string();
    let icsa2 = two.intercluster().clone();
    // Wrong credentials: never good.
    one_.gui_add_peer(&p2, &icsa2.username, "wrong", "tcp")
        .unwrap();
    two.gui_add_peer(
        &p1,
        &one_.intercluster().username,
        &one_.intercluster().password,
        "tcp",
    )
    .unwrap();
    assert!(!one_.peer_good(&p2));
    assert!(two.peer_good(&p1));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(one_.synced_users(&p2), 0);
    assert!(eventually(|| two.synced_users(&p1) == 3).await);
    // Fix the credentials over AXL.
    let mut a = connect(one_, 0, one_.admin()).await;
    let pw = icsa2.password.replace('\'', "''");
    let r = a
        .axl(
            "executeSQLUpdate",
            &format!(
                "UPDATE cupsinterclusterpeers SET axlpassword = '{pw}' WHERE peeraddress = '{p2}'"
            ),
        )
        .await;
    assert_eq!(one(&r.body, "rowsUpdated"), "1");
    assert!(one_
        .command_log(&p1)
        .iter()
        .all(|l| !l.contains(&icsa2.password)));
    assert!(eventually(|| one_.synced_users(&p2) == 3).await);
    let r = a
        .axl(
            "executeSQLQuery",
            &format!("SELECT count(*) FROM enduser WHERE homecluster = '{p2}'"),
        )
        .await;
    assert_eq!(one(&r.body, "count"), "3");
    // ICSA stopped on the local publisher: not good, synced users gone.
    one_.set_service(&p1, "Cisco Intercluster Sync Agent", ServiceState::Stopped);
    assert_eq!(one_.synced_users(&p2), 0);
    one_.set_service(&p1, "Cisco Intercluster Sync Agent", ServiceState::Started);
    assert!(eventually(|| one_.synced_users(&p2) == 3).await);
    // No point-back: the remote deletes its row.
    assert!(two.gui_delete_peer(&p1));
    assert_eq!(two.synced_users(&p1), 0);
    assert!(!one_.peer_good(&p2));
    assert_eq!(one_.synced_users(&p2), 0);
    // An address no publisher has.
    one_.gui_add_peer("nowhere.lab.example", "u", "p", "tcp")
        .unwrap();
    assert!(!one_.peer_good("nowhere.lab.example"));
    assert!(one_
        .gui_add_peer("nowhere.lab.example", "u", "p", "tcp")
        .is_err());
}

#[tokio::test]
async fn tls_peers_copy_tomcat_trust_which_goes_stale() {
    let c = start(2).await;
    let (one_, two) = (&c[0], &c[1]);
    let p1 = one_.publisher_name().to_string();
    let p2 = two.publisher_name().to_string();
    let ic = two.intercluster();
    let mut a = connect(one_, 0, one_.admin()).await;
    let pw = ic.password.replace('\'', "''");
    let r = a.axl("executeSQLUpdate", &format!("INSERT INTO cupsinterclusterpeers (peeraddress, axlusername, axlpassword, protocol) VALUES ('{p2}', '{}', '{pw}', 'tls')", ic.username)).await;
    assert_eq!(one(&r.body, "rowsUpdated"), "1", "{}", r.body);
    let serials: Vec<(String, String)> = two
        .nodes()
        .iter()
        .map(|(n, _)| (n.clone(), two.tomcat_serial(n)))
        .collect();
    assert_eq!(one_.trusted_serials(), serials);
    let r = a.axl("executeSQLQuery", "SELECT servername, serialnumber FROM certificate WHERE trustrole = 'tomcat-trust' ORDER BY servername").await;
    assert_eq!(
        texts(&r.body, "serialnumber"),
        serials.iter().map(|s| s.1.clone()).collect::<Vec<_>>()
    );
    // The own tomcat row is the real leaf's serial (lower-case hex).
    assert!(one_
        .tomcat_serial(&p1)
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    // A later regenerate leaves the copy stale until the local ICSA restarts [CERT].
    let fresh = two.regenerate_tomcat(&p2);
    assert!(!one_.trusted_serials().iter().any(|(_, s)| *s == fresh));
    let r = a.control("Restart", "Cisco Intercluster Sync Agent").await;
    assert_eq!(one(&r.body, "ServiceStatus"), "Starting");
    assert!(one_
        .trusted_serials()
        .iter()
        .any(|(n, s)| *n == p2 && *s == fresh));
    assert_eq!(one_.trusted_serials().len(), 2);
    // A tcp row set to tls copies too.
    two.gui_add_peer(&p1, "admin", ADMIN_PASSWORD, "tcp")
        .unwrap();
    assert!(two.trusted_serials().is_empty());
    let mut b = connect(two, 0, two.admin()).await;
    b.axl(
        "executeSQLUpdate",
        &format!("UPDATE cupsinterclusterpeers SET protocol = 'tls' WHERE peeraddress = '{p1}'"),
    )
    .await;
    assert_eq!(two.trusted_serials().len(), 2);
}

/// The serial number of a DER certificate, lower-case hex (Certificate ::= SEQUENCE {
/// tbsCertificate SEQUENCE { [0] version, serialNumber INTEGER, ... } ...}).
fn der_serial(der: &[u8]) -> String {
    // (header length, content length) of the element at `i`.
    fn header(b: &[u8], i: usize) -> (usize, usize) {
        let l = b[i + 1] as usize;
        if l < 0x80 {
            (2, l)
        } else {
            let n = l & 0x7f;
            let len = b[i + 2..i + 2 + n]
                .iter()
                .fold(0usize, |a, x| (a << 8) | *x as usize);
            (2 + n, len)
        }
    }
    let (h, _) = header(der, 0);
    let tbs = h;
    let (h, _) = header(der, tbs);
    let mut i = tbs + h;
    if der[i] == 0xa0 {
        let (h, l) = header(der, i);
        i += h + l;
    }
    assert_eq!(der[i], 0x02, "an INTEGER serial");
    let (h, l) = header(der, i);
    der[i + h..i + h + l]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn the_tomcat_row_is_the_presented_certificate_serial() {
    let c = start(1).await;
    let imp = &c[0];
    let node = "imp1-sub1.lab.example";
    let a = connect(imp, 1, imp.admin()).await;
    assert_eq!(der_serial(&a.peer_cert()), imp.tomcat_serial(node));
    let fresh = imp.regenerate_tomcat(node);
    let a = connect(imp, 1, imp.admin()).await;
    assert_eq!(der_serial(&a.peer_cert()), fresh);
}

#[tokio::test]
async fn a_lab_exposes_clusters_in_lab_json_and_tfvars() {
    let dir = tempfile::tempdir().unwrap();
    let lab = crate::lab::Lab::start(
        &crate::lab::LabSpec::default().with_imp_clusters(2),
        dir.path(),
    )
    .await
    .unwrap();
    let imp2 = lab.imp("imp2");
    assert_eq!(imp2.publisher_name(), "imp2-pub.lab.example");
    let vars = lab.tfvars();
    let v = &vars["imp_clusters"]["imp2"];
    assert_eq!(v["publisher"], "imp2-pub.lab.example");
    assert_eq!(v["nodes"][1]["name"], "imp2-sub1.lab.example");
    assert_eq!(
        v["nodes"][1]["endpoint"],
        imp2.nodes()[1].1.to_string().as_str()
    );
    assert_eq!(v["admin_username"], "admin");
    assert_eq!(v["admin_password"], lab.password());
    assert_eq!(v["intercluster_username"], "imp2-icsa");
    assert_eq!(
        v["intercluster_password"],
        imp2.intercluster().password.as_str()
    );
    assert!(imp2
        .intercluster()
        .password
        .contains(crate::secrets::SECRET_MARKER));
    let e = &lab.endpoints()["imp_clusters"][0];
    assert_eq!(e["name"], "imp1");
    assert_eq!(
        e["nodes"][0]["cert_sha256"],
        lab.imp("imp1").cert_sha256("imp1-pub.lab.example").as_str()
    );
    let f = lab.faults("imp1-sub1.lab.example").unwrap();
    f.inject(Fault::ReplyDelay(Duration::from_millis(1)))
        .await
        .unwrap();
    assert!(f.command_log().unwrap().is_empty());
    drop(f);
    lab.stop().await;
}
