//! The REST API over real HTTPS (reqwest, trusting the lab CA) against started nodes: the
//! listener's life with the Web Admin (driven through the MMP shell), authentication, every
//! endpoint's XML, parameters, paging, the XMPP connection across nodes, the database cluster's
//! shared objects, and the faults.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use base64::Engine;

use super::api::{handle, ConnectionState};
use super::*;
use crate::cms_mmp::fabric::{Fabric, MemberKind};
use crate::cms_mmp::services::Service;
use crate::cms_mmp::tests::{login, Term, PASSWORD};
use crate::cms_mmp::{CmsNode, CmsNodeConfig, XmppConfig};
use crate::http::Request;
use crate::lab_ca::{client_config_trusting, LabCa};

const DECL: &str = "<?xml version=\"1.0\"?>";
const FORM: &str = "application/x-www-form-urlencoded";

fn ip(net: u8, host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 77, net, host))
}

async fn start_node(hostname: &str, bind: IpAddr, fabric: Fabric) -> CmsNode {
    CmsNode::start_in(
        CmsNodeConfig {
            hostname: hostname.into(),
            bind,
            port: 0,
            username: "admin".into(),
            password: PASSWORD.into(),
            xmpp_domain: "conf.example.com".into(),
        },
        fabric,
    )
    .await
    .unwrap()
}

/// A node at `bind` with its API enabled (the test convenience), a CA its certificate comes
/// from, and a client of its API.
async fn api_node(bind: IpAddr, fabric: Fabric) -> (CmsNode, LabCa, Api) {
    let node = start_node("cms1", bind, fabric).await;
    let ca = LabCa::new("cms api test CA").unwrap();
    let cert = ca.issue_server_cert(&[bind]).unwrap();
    let addr = node
        .control()
        .enable_webadmin_api(0, &cert.key_pem, &cert.cert_pem)
        .unwrap();
    let api = Api::new(&ca, addr).with_auth("admin", PASSWORD);
    (node, ca, api)
}

/// A reqwest client trusting only `ca`.
fn client(ca: &LabCa) -> reqwest::Client {
    let tls = client_config_trusting(&ca.cert_pem()).unwrap();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A client of one node's API.
struct Api {
    client: reqwest::Client,
    base: String,
    auth: Option<(String, String)>,
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a 200 XML reply; its body without the declaration.
    fn xml(&self) -> &str {
        assert_eq!(self.status, 200, "{self:?}");
        assert_eq!(self.header("content-type"), Some("text/xml"));
        self.body
            .strip_prefix(DECL)
            .unwrap_or_else(|| panic!("no XML declaration: {:?}", self.body))
    }

    /// Asserts a 200 with no body.
    fn ok(&self) {
        assert_eq!((self.status, self.body.as_str()), (200, ""), "{self:?}");
    }

    /// Asserts a failure with this status and `<failureDetails>` content.
    fn failure(&self, status: u16, details: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (
                status,
                format!("{DECL}<failureDetails>{details}</failureDetails>").as_str()
            ),
            "{self:?}"
        );
        assert_eq!(self.header("content-type"), Some("text/xml"));
    }

    fn parameter_error(&self, parameter: &str, error: &str) {
        self.failure(
            400,
            &format!("<parameterError parameter=\"{parameter}\" error=\"{error}\" />"),
        );
    }

    /// The id of a `Location: /api/v1/<collection>/<id>`.
    fn created(&self, collection: &str) -> String {
        self.ok();
        let location = self.header("location").expect("Location");
        let prefix = format!("/api/v1/{collection}/");
        let id = location
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{location}"));
        assert!(is_uuid(id), "{id}");
        id.to_string()
    }
}

fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && id
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Api {
    fn new(ca: &LabCa, addr: SocketAddr) -> Api {
        Api {
            client: client(ca),
            base: format!("https://{addr}"),
            auth: None,
        }
    }

    fn with_auth(mut self, user: &str, password: &str) -> Api {
        self.auth = Some((user.to_string(), password.to_string()));
        self
    }

    async fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> reqwest::Result<Answer> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some((user, password)) = &self.auth {
            rb = rb.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            rb = rb.header("Content-Type", FORM).body(body.to_vec());
        }
        let r = rb.send().await?;
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    async fn send(&self, method: &str, path: &str, body: Option<&[u8]>) -> Answer {
        self.try_send(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e:?}"))
    }

    async fn get(&self, path: &str) -> Answer {
        self.send("GET", &format!("/api/v1{path}"), None).await
    }

    async fn post(&self, path: &str, form: impl AsRef<[u8]>) -> Answer {
        self.send("POST", &format!("/api/v1{path}"), Some(form.as_ref()))
            .await
    }

    async fn put(&self, path: &str, form: impl AsRef<[u8]>) -> Answer {
        self.send("PUT", &format!("/api/v1{path}"), Some(form.as_ref()))
            .await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.send("DELETE", &format!("/api/v1{path}"), None).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_needs_an_api_user() {
    let (node, ca, api) = api_node(ip(231, 1), Fabric::default()).await;
    let ctl = node.control();
    let addr = ctl.api_addr().unwrap();
    ctl.add_user("ops", "appadmin", "ops-Pw1");
    ctl.add_user("apionly", "api", "api-Pw1");
    ctl.add_user("auditor", "audit", "audit-Pw1");
    ctl.add_user("crypto1", "crypto", "crypto-Pw1");

    let anonymous = Api::new(&ca, addr);
    for (who, path) in [
        (&anonymous, "/api/v1/system/status"),
        (&anonymous, "/nowhere"),
    ] {
        let r = who.send("GET", path, None).await;
        assert_eq!((r.status, r.body.as_str()), (401, ""), "{r:?}");
        assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"api\""));
    }
    for (user, password) in [
        ("admin", "wrong"),
        ("auditor", "audit-Pw1"),
        ("crypto1", "crypto-Pw1"),
        ("nobody", PASSWORD),
        ("ops", "OPS-Pw1"),
    ] {
        let r = Api::new(&ca, addr)
            .with_auth(user, password)
            .get("/system/status")
            .await;
        assert_eq!(r.status, 401, "{user}");
    }
    for (user, password) in [
        ("admin", PASSWORD),
        ("ops", "ops-Pw1"),
        ("apionly", "api-Pw1"),
    ] {
        let r = Api::new(&ca, addr)
            .with_auth(user, password)
            .get("/system/status")
            .await;
        let xml = r.xml();
        assert!(
            xml.starts_with("<status><softwareVersion>3.8</softwareVersion><uptimeSeconds>"),
            "{xml}"
        );
        assert!(
            xml.ends_with(
                "</uptimeSeconds><activated>true</activated><clusterEnabled>false</clusterEnabled></status>"
            ),
            "{xml}"
        );
    }
    // A password changed on the MMP counts at once; a refused-login fault refuses the API too.
    ctl.add_user("ops", "appadmin", "new-Pw2");
    assert_eq!(
        Api::new(&ca, addr)
            .with_auth("ops", "ops-Pw1")
            .get("/system/status")
            .await
            .status,
        401
    );
    ctl.set_refuse_login(true);
    assert_eq!(api.get("/system/status").await.status, 401);
    ctl.set_refuse_login(false);

    // Unknown paths and methods.
    for path in [
        "/",
        "/api/v2/callBridges",
        "/api/v1/nothing",
        "/api/v1/callBridges/",
    ] {
        let r = api.send("GET", path, None).await;
        assert_eq!((r.status, r.body.as_str()), (404, ""), "{path}");
    }
    let r = api.send("DELETE", "/api/v1/system/status", None).await;
    assert_eq!((r.status, r.body.as_str()), (405, ""));
    assert_eq!(r.header("allow"), Some("GET"));
    let r = api
        .send("POST", "/api/v1/system/configuration/cluster", Some(b""))
        .await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, PUT")));
    let r = api.send("PUT", "/api/v1/callBridges", Some(b"")).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, POST")));
    let r = api.send("POST", "/api/v1/webBridges/x", Some(b"")).await;
    assert_eq!(
        (r.status, r.header("allow")),
        (405, Some("GET, PUT, DELETE"))
    );
    node.stop().await;
}

/// Waits until nothing accepts at `addr` (an aborted accept task drops its socket at once,
/// but on the runtime's threads).
async fn wait_refused(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(Instant::now() < deadline, "{addr} still accepts");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A free port on `ip` now.
fn free_port(ip: IpAddr) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_lives_with_the_web_admin() {
    let bind = ip(232, 1);
    let node = start_node("cms1", bind, Fabric::default()).await;
    let ctl = node.control();
    let ca = LabCa::new("first CA").unwrap();
    let cert = ca.issue_server_cert(&[bind]).unwrap();
    // Uploaded as over SFTP.
    ctl.put_file("wa.key", cert.key_pem.clone());
    ctl.put_file("wa.cer", cert.cert_pem.clone());
    let port = free_port(bind);
    let addr = SocketAddr::new(bind, port);
    let api = Api::new(&ca, addr).with_auth("admin", PASSWORD);

    let h = login(node.addr()).await;
    let mut t = Term::open_on(&h, true, "cms1> ").await;
    t.read_until("cms1> ").await;
    assert_eq!(t.cmd(&format!("webadmin listen a {port}")).await, "");
    assert_eq!(t.cmd("webadmin certs wa.key wa.cer").await, "");
    assert_eq!(ctl.api_addr(), None, "not before enable");
    assert_eq!(
        t.cmd("webadmin enable").await,
        "SUCCESS: Key and certificate pair match\r\nSUCCESS: Webadmin enabled\r\n"
    );
    assert_eq!(ctl.api_addr(), Some(addr));
    api.get("/system/status").await.xml();
    assert!(t
        .cmd("webadmin")
        .await
        .contains(&format!("TLS listening interface and port : a {port}")));

    // A restart presents the certificate the files hold now.
    let ca2 = LabCa::new("second CA").unwrap();
    let cert2 = ca2.issue_server_cert(&[bind]).unwrap();
    ctl.put_file("wa.key", cert2.key_pem.clone());
    ctl.put_file("wa.cer", cert2.cert_pem.clone());
    api.get("/system/status").await.xml();
    assert_eq!(t.cmd("webadmin restart").await, "");
    assert_eq!(ctl.api_addr(), Some(addr), "{:?}", ctl.api_listen_error());
    let api2 = Api::new(&ca2, addr).with_auth("admin", PASSWORD);
    api2.get("/system/status").await.xml();
    assert!(
        Api::new(&ca, addr)
            .try_send("GET", "/api/v1/system/status", None)
            .await
            .is_err(),
        "the old CA no longer verifies"
    );

    // Disabled: nothing listens, open connections are cut; the MMP goes on.
    assert_eq!(t.cmd("webadmin disable").await, "");
    assert_eq!(ctl.api_addr(), None);
    assert!(api2
        .try_send("GET", "/api/v1/system/status", None)
        .await
        .is_err());
    wait_refused(addr).await;
    // A restart of a disabled Web Admin starts nothing.
    assert_eq!(t.cmd("webadmin restart").await, "");
    assert_eq!(ctl.api_addr(), None);

    // A port someone else holds: logged, no API, the MMP keeps working.
    let squatter = std::net::TcpListener::bind((bind, 0)).unwrap();
    let taken = squatter.local_addr().unwrap().port();
    assert_eq!(t.cmd(&format!("webadmin listen a {taken}")).await, "");
    assert!(t
        .cmd("webadmin enable")
        .await
        .ends_with("SUCCESS: Webadmin enabled\r\n"));
    assert_eq!(ctl.api_addr(), None);
    let error = ctl.api_listen_error().unwrap();
    assert!(error.contains(&format!("{bind}:{taken}")), "{error}");
    assert!(t
        .cmd("webadmin")
        .await
        .starts_with("Enabled                 : true\r\n"));
    drop(squatter);

    // Enabled behind terraform's back on a free port; the node's stop closes it.
    assert_eq!(t.cmd(&format!("webadmin listen a {port}")).await, "");
    ctl.set_service_enabled(Service::WebAdmin, false);
    ctl.set_service_enabled(Service::WebAdmin, true);
    assert_eq!(ctl.api_addr(), Some(addr));
    assert_eq!(ctl.api_listen_error(), None);
    api2.get("/system/status").await.xml();
    drop(t);
    drop(h);
    node.stop().await;
    wait_refused(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_bridges_are_created_read_changed_and_deleted() {
    let (node, _ca, api) = api_node(ip(233, 1), Fabric::default()).await;
    let ctl = node.control();
    assert_eq!(
        api.get("/callBridges").await.xml(),
        "<callBridges total=\"0\"></callBridges>"
    );
    let id1 = api
        .post(
            "/callBridges",
            "name=cb1&address=https%3A%2F%2F127.77.233.1%3A445&sipDomain=cb1.example.com",
        )
        .await
        .created("callBridges");
    let id2 = api
        .post("/callBridges", "name=cb2&address=cms2.example.com:445")
        .await
        .created("callBridges");
    assert_ne!(id1, id2);
    assert_eq!(
        api.get("/callBridges").await.xml(),
        format!(
            "<callBridges total=\"2\"><callBridge id=\"{id1}\"><name>cb1</name></callBridge>\
             <callBridge id=\"{id2}\"><name>cb2</name></callBridge></callBridges>"
        )
    );
    assert_eq!(
        api.get(&format!("/callBridges/{id1}")).await.xml(),
        format!(
            "<callBridge id=\"{id1}\"><name>cb1</name><address>https://127.77.233.1:445</address>\
             <sipDomain>cb1.example.com</sipDomain></callBridge>"
        )
    );
    assert_eq!(
        api.get(&format!("/callBridges/{id2}")).await.xml(),
        format!(
            "<callBridge id=\"{id2}\"><name>cb2</name><address>cms2.example.com:445</address>\
             <sipDomain></sipDomain></callBridge>"
        )
    );
    assert!(api
        .get("/system/status")
        .await
        .xml()
        .contains("<clusterEnabled>true</clusterEnabled>"));

    // PUT changes only what it names; an empty value clears; a required one cannot be cleared.
    api.put(
        &format!("/callBridges/{id1}"),
        "address=https://10.0.0.9:445",
    )
    .await
    .ok();
    api.put(&format!("/callBridges/{id1}"), "sipDomain=")
        .await
        .ok();
    let cb1 = ctl.api_call_bridges()[0].clone();
    assert_eq!(
        cb1,
        ApiCallBridge {
            id: id1.clone(),
            name: "cb1".into(),
            address: "https://10.0.0.9:445".into(),
            sip_domain: None,
        }
    );
    api.put(&format!("/callBridges/{id1}"), "name=")
        .await
        .parameter_error("name", "invalidValue");
    api.put(&format!("/callBridges/{id1}"), "name=cb2")
        .await
        .failure(400, "<duplicateCallBridgeName />");
    api.put(&format!("/callBridges/{id1}"), "name=cb1")
        .await
        .ok();

    // POST errors.
    api.post("/callBridges", "name=cb1&address=a:1")
        .await
        .failure(400, "<duplicateCallBridgeName />");
    api.post("/callBridges", "address=a:1")
        .await
        .parameter_error("name", "missing");
    api.post("/callBridges", "name=&address=a:1")
        .await
        .parameter_error("name", "invalidValue");
    api.post("/callBridges", "name=cb3")
        .await
        .parameter_error("address", "missing");
    api.post("/callBridges", "name=cb3&address=a+b")
        .await
        .parameter_error("address", "invalidValue");
    api.post("/callBridges", "name=cb3&address=a:1&capacity=5")
        .await
        .parameter_error("capacity", "unrecognised");
    assert_eq!(ctl.api_call_bridges().len(), 2);

    // Unknown ids; DELETE.
    let gone = "00000000-0000-4000-8000-000000000000";
    for method in ["GET", "PUT", "DELETE"] {
        api.send(
            method,
            &format!("/api/v1/callBridges/{gone}"),
            Some(b"name=x"),
        )
        .await
        .failure(404, "<callBridgeDoesNotExist />");
    }
    api.delete(&format!("/callBridges/{id2}")).await.ok();
    api.get(&format!("/callBridges/{id2}"))
        .await
        .failure(404, "<callBridgeDoesNotExist />");

    // Behind terraform's back.
    assert!(ctl.api_update_call_bridge("cb1", |c| c.address = "https://changed:445".into()));
    assert!(api
        .get(&format!("/callBridges/{id1}"))
        .await
        .xml()
        .contains("<address>https://changed:445</address>"));
    let id3 = ctl.api_add_call_bridge("cb3", "cms3:445", Some("sip3"));
    assert!(api
        .get(&format!("/callBridges/{id3}"))
        .await
        .xml()
        .contains("<sipDomain>sip3</sipDomain>"));
    assert!(ctl.api_remove_call_bridge("cb1"));
    assert!(!ctl.api_remove_call_bridge("cb1"));
    assert!(!ctl.api_update_call_bridge("cb1", |_| ()));
    assert_eq!(
        api.get("/callBridges").await.xml(),
        format!("<callBridges total=\"1\"><callBridge id=\"{id3}\"><name>cb3</name></callBridge></callBridges>")
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_page_with_offset_and_limit() {
    let (node, _ca, api) = api_node(ip(234, 1), Fabric::default()).await;
    let ctl = node.control();
    ctl.set_api_page_limit(2);
    let ids: Vec<String> = (1..=5)
        .map(|i| ctl.api_add_call_bridge(&format!("cb{i}"), &format!("cms{i}:445"), None))
        .collect();
    let page = |names: &[usize]| -> String {
        names
            .iter()
            .map(|i| {
                format!(
                    "<callBridge id=\"{}\"><name>cb{i}</name></callBridge>",
                    ids[i - 1]
                )
            })
            .collect()
    };
    for (query, names) in [
        ("", vec![1, 2]),
        ("?offset=2", vec![3, 4]),
        ("?offset=2&limit=5", vec![3, 4]),
        ("?offset=4", vec![5]),
        ("?offset=9", vec![]),
        ("?limit=1", vec![1]),
        ("?limit=1&offset=3", vec![4]),
        ("?limit=0", vec![]),
        ("?offset=1&limit=99999999999999999999999", vec![2, 3]),
        ("?filter=cb1", vec![1, 2]),
    ] {
        assert_eq!(
            api.get(&format!("/callBridges{query}")).await.xml(),
            format!("<callBridges total=\"5\">{}</callBridges>", page(&names)),
            "{query}"
        );
    }
    ctl.set_api_page_limit(10);
    assert_eq!(
        api.get("/callBridges").await.xml(),
        format!(
            "<callBridges total=\"5\">{}</callBridges>",
            page(&[1, 2, 3, 4, 5])
        )
    );
    for (query, parameter) in [
        ("?offset=-1", "offset"),
        ("?limit=x", "limit"),
        ("?limit=", "limit"),
        ("?offset=1.5", "offset"),
    ] {
        api.get(&format!("/callBridges{query}"))
            .await
            .parameter_error(parameter, "invalidValue");
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_values_are_decoded_and_xml_escaped() {
    let (node, _ca, api) = api_node(ip(235, 1), Fabric::default()).await;
    let ctl = node.control();
    let id = api
        .post(
            "/callBridges",
            "name=a+%26+b%3C%3E%22%27+%C3%A9t%C3%A9&address=https%3A%2F%2Fcms2%3A445%2F%3Fx%3D1%26y",
        )
        .await
        .created("callBridges");
    assert_eq!(ctl.api_call_bridges()[0].name, "a & b<>\"' été");
    assert_eq!(ctl.api_call_bridges()[0].address, "https://cms2:445/?x=1&y");
    assert_eq!(
        api.get(&format!("/callBridges/{id}")).await.xml(),
        format!(
            "<callBridge id=\"{id}\"><name>a &amp; b&lt;&gt;&quot;&apos; été</name>\
             <address>https://cms2:445/?x=1&amp;y</address><sipDomain></sipDomain></callBridge>"
        )
    );
    // Bad bytes are 400s, never a panic; nothing is created.
    for (body, parameter, error) in [
        (&b"name=%ff&address=a"[..], "name", "invalidValue"),
        (b"name=\xff\xfe&address=a", "name", "invalidValue"),
        (b"name=%zz&address=a", "name", "invalidValue"),
        (b"name=x%&address=a", "name", "invalidValue"),
        (b"name=a%0Ab&address=a", "name", "invalidValue"),
        (b"na%ffme=x", "na%ffme", "unrecognised"),
        (b"bogus=%ff", "bogus", "unrecognised"),
    ] {
        api.post("/callBridges", body)
            .await
            .parameter_error(parameter, error);
    }
    assert_eq!(ctl.api_call_bridges().len(), 1);
    // A name given twice: the last counts.
    api.post("/callBridges", "name=first&name=second&address=x")
        .await
        .created("callBridges");
    assert_eq!(ctl.api_call_bridges()[1].name, "second");
    // Values set behind the API's back come out escaped too.
    ctl.api_add_call_bridge("<&>", "\"'", None);
    assert!(api
        .get("/callBridges")
        .await
        .xml()
        .contains("<name>&lt;&amp;&gt;</name>"));
    node.stop().await;
}

#[test]
fn any_request_gets_an_answer() {
    let ctl = crate::cms_mmp::NodeControl::new(
        "cms1".into(),
        "admin".into(),
        "pw".into(),
        "conf.example.com".into(),
    );
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:pw")
    );
    let bodies: [&[u8]; 8] = [
        b"",
        b"&",
        b"=",
        b"==&==",
        b"%",
        b"\xff=\xff",
        b"name=%F0%9F%92%A9&address=%F0%9F",
        b"url=x&idEntryMode=%00",
    ];
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        for path in [
            "/api/v1/callBridges",
            "/api/v1/webBridges",
            "/api/v1/callBridges/x/y",
            "/api/v1/system/configuration/cluster",
            "/api/v1/system/configuration/xmpp",
            "/api/v1/system/alarms",
            "/api/v1//",
            "/api/v1/\u{0}",
        ] {
            for body in bodies {
                let req = Request {
                    method: method.into(),
                    path: path.into(),
                    query: vec![("limit".into(), "\u{fffd}".into())],
                    headers: vec![("authorization".into(), auth.clone())],
                    body: body.to_vec(),
                    keep_alive: true,
                };
                let r = handle(&ctl, &mut ConnectionState::default(), &req);
                assert!(matches!(r.status, 200 | 400 | 404 | 405), "{method} {path}");
            }
        }
    }
    // Garbage credentials.
    for header in [
        "Basic",
        "Basic !!!",
        "Basic //79",
        "Bearer x",
        "basic YWRtaW4=",
    ] {
        let req = Request {
            method: "GET".into(),
            path: "/api/v1/system/status".into(),
            query: vec![],
            headers: vec![("authorization".into(), header.into())],
            body: vec![],
            keep_alive: true,
        };
        assert_eq!(
            handle(&ctl, &mut ConnectionState::default(), &req).status,
            401
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_configuration_changes_what_is_given() {
    let (node, _ca, api) = api_node(ip(236, 1), Fabric::default()).await;
    let ctl = node.control();
    let path = "/system/configuration/cluster";
    assert_eq!(
        api.get(path).await.xml(),
        "<cluster><uniqueName></uniqueName></cluster>"
    );
    api.put(
        path,
        "uniqueName=cb1&loadLimit=500&newConferenceLoadLimitBasisPoints=8000",
    )
    .await
    .ok();
    api.put(
        path,
        "participantLimit=100&peerLinkBitRate=2000000&maxPeerVideoStreams=3",
    )
    .await
    .ok();
    api.put(path, "existingConferenceLoadLimitBasisPoints=10000")
        .await
        .ok();
    assert_eq!(
        api.get(path).await.xml(),
        "<cluster><uniqueName>cb1</uniqueName><peerLinkBitRate>2000000</peerLinkBitRate>\
         <participantLimit>100</participantLimit><loadLimit>500</loadLimit>\
         <newConferenceLoadLimitBasisPoints>8000</newConferenceLoadLimitBasisPoints>\
         <existingConferenceLoadLimitBasisPoints>10000</existingConferenceLoadLimitBasisPoints>\
         <maxPeerVideoStreams>3</maxPeerVideoStreams></cluster>"
    );
    api.put(path, "loadLimit=&uniqueName=&peerLinkBitRate=")
        .await
        .ok();
    assert_eq!(
        ctl.api_cluster_config(),
        ApiClusterConfig {
            unique_name: None,
            peer_link_bit_rate: None,
            participant_limit: Some(100),
            load_limit: None,
            new_conference_load_limit_basis_points: Some(8000),
            existing_conference_load_limit_basis_points: Some(10_000),
            max_peer_video_streams: Some(3),
        }
    );
    for (body, parameter) in [
        (
            "newConferenceLoadLimitBasisPoints=10001",
            "newConferenceLoadLimitBasisPoints",
        ),
        ("loadLimit=-1", "loadLimit"),
        ("loadLimit=1e3", "loadLimit"),
        ("participantLimit=99999999999999999999", "participantLimit"),
        ("uniqueName=a%09b", "uniqueName"),
    ] {
        api.put(path, body)
            .await
            .parameter_error(parameter, "invalidValue");
    }
    // A failed PUT changes nothing, not even the parameters before the bad one.
    api.put(path, "uniqueName=cb9&loadLimit=x")
        .await
        .parameter_error("loadLimit", "invalidValue");
    api.put(path, "uniqueName=cb9&sipDomain=x")
        .await
        .parameter_error("sipDomain", "unrecognised");
    assert_eq!(ctl.api_cluster_config().unique_name, None);
    ctl.update_api_cluster_config(|c| c.unique_name = Some("by-hand".into()));
    assert!(api
        .get(path)
        .await
        .xml()
        .starts_with("<cluster><uniqueName>by-hand</uniqueName><participantLimit>"));
    node.stop().await;
}

/// The XMPP server of `node` serving `domain` with the account `name` / `secret`.
fn xmpp_server(node: &NodeControl, domain: &str, name: &str, secret: &str) {
    node.update_xmpp(|x: &mut XmppConfig| {
        x.enabled = true;
        x.domain = Some(domain.into());
    });
    node.add_callbridge(name, secret);
}

async fn alarm_count(api: &Api) -> usize {
    let xml = api.get("/system/alarms").await.xml().to_string();
    let total: usize = xml
        .strip_prefix("<alarms total=\"")
        .and_then(|r| r.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(xml.matches("<alarm id=").count(), total, "{xml}");
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_xmpp_connection_is_judged_across_the_lab() {
    let fabric = Fabric::default();
    let (node, _ca, api) = api_node(ip(237, 1), fabric.clone()).await;
    let cb = node.control();
    let other = |i: u8, name: &str| {
        NodeControl::new_in(
            name.into(),
            "admin".into(),
            "pw".into(),
            "conf.example.com".into(),
            fabric.clone(),
            format!("127.77.237.{i}"),
        )
    };
    let xmpp2 = other(2, "xmpp2");
    let xmpp3 = other(3, "xmpp3");
    let path = "/system/configuration/xmpp";
    assert_eq!(
        api.get(path).await.xml(),
        "<xmpp><uniqueName></uniqueName><domain></domain><serverAddress></serverAddress></xmpp>"
    );
    // Nothing configured: no alarm.
    assert_eq!(alarm_count(&api).await, 0);
    assert_eq!(cb.xmpp_link(), XmppLink::NotConfigured);

    api.put(
        path,
        "uniqueName=cb1&domain=conf.example.com&sharedSecret=s3cr%26t%3D%22",
    )
    .await
    .ok();
    assert_eq!(
        api.get(path).await.xml(),
        "<xmpp><uniqueName>cb1</uniqueName><domain>conf.example.com</domain>\
         <serverAddress></serverAddress></xmpp>"
    );
    assert_eq!(
        cb.api_xmpp_config().shared_secret.as_deref(),
        Some("s3cr&t=\"")
    );
    api.put(path, "domain=not..a.domain")
        .await
        .parameter_error("domain", "invalidValue");
    api.put(path, "serverAddress=a b")
        .await
        .parameter_error("serverAddress", "invalidValue");

    // No XMPP server anywhere: the alarm, with an id and a time that stay while it is active.
    let xml = api.get("/system/alarms").await.xml().to_string();
    let id = xml
        .strip_prefix("<alarms total=\"1\"><alarm id=\"")
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("{xml}"))
        .to_string();
    assert!(is_uuid(&id));
    assert!(
        xml.ends_with("\"><type>xmppConnectionFailure</type><activeTimeSeconds>0</activeTimeSeconds></alarm></alarms>"),
        "{xml}"
    );
    assert!(api.get("/system/alarms").await.xml().contains(&id));
    assert!(!cb.xmpp_connected());

    // Found by its domain (the lab's SRV record): a wrong secret, then the right one.
    xmpp_server(&xmpp2, "conf.example.com", "cb1", "wrong");
    assert_eq!(alarm_count(&api).await, 1);
    xmpp2.add_callbridge("cb1", "s3cr&t=\"");
    assert_eq!(alarm_count(&api).await, 0);
    assert!(cb.xmpp_connected());
    // The server serves another domain, or is disabled, or loses the account: down again.
    xmpp2.update_xmpp(|x| x.domain = Some("other.example.com".into()));
    assert!(!cb.xmpp_connected());
    let xml = api.get("/system/alarms").await.xml().to_string();
    assert!(!xml.contains(&id), "a new alarm: {xml}");
    xmpp2.update_xmpp(|x| x.domain = Some("conf.example.com".into()));
    assert!(cb.xmpp_connected());
    xmpp2.set_service_enabled(Service::Xmpp, false);
    assert!(!cb.xmpp_connected());
    xmpp2.set_service_enabled(Service::Xmpp, true);
    assert!(xmpp2.remove_callbridge("cb1"));
    assert_eq!(alarm_count(&api).await, 1);

    // serverAddress names the one server to use: xmpp3 has the account, xmpp2 not.
    xmpp_server(&xmpp3, "conf.example.com", "cb1", "s3cr&t=\"");
    assert!(cb.xmpp_connected(), "by domain, xmpp3 answers");
    api.put(path, "serverAddress=127.77.237.2:5223").await.ok();
    assert!(!cb.xmpp_connected(), "xmpp2 is asked, and refuses");
    assert_eq!(alarm_count(&api).await, 1);
    api.put(path, "serverAddress=127.77.237.3:5223").await.ok();
    assert_eq!(alarm_count(&api).await, 0);
    api.put(path, "serverAddress=xmpp3").await.ok();
    assert!(cb.xmpp_connected(), "by hostname");
    api.put(path, "serverAddress=127.77.237.9").await.ok();
    assert!(!cb.xmpp_connected(), "nobody there");
    api.put(path, "serverAddress=").await.ok();
    assert!(cb.xmpp_connected());
    // The Call Bridge's own XMPP server counts as well (a combined server).
    assert!(xmpp3.remove_callbridge("cb1"));
    xmpp_server(&cb, "conf.example.com", "cb1", "s3cr&t=\"");
    assert!(cb.xmpp_connected());
    // Clearing the secret: not configured, no alarm.
    cb.remove_callbridge("cb1");
    api.put(path, "sharedSecret=").await.ok();
    assert_eq!(alarm_count(&api).await, 0);
    assert_eq!(cb.xmpp_link(), XmppLink::NotConfigured);
    // Secret never shown, even behind the API's back.
    cb.update_api_xmpp_config(|x| x.shared_secret = Some("hidden-1".into()));
    assert!(!api.get(path).await.body.contains("hidden-1"));
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_bridges_have_defaults_and_booleans() {
    let (node, _ca, api) = api_node(ip(238, 1), Fabric::default()).await;
    let ctl = node.control();
    let id1 = api
        .post("/webBridges", "url=https%3A%2F%2Fjoin.example.com")
        .await
        .created("webBridges");
    assert_eq!(
        api.get(&format!("/webBridges/{id1}")).await.xml(),
        format!(
            "<webBridge id=\"{id1}\"><url>https://join.example.com</url>\
             <resourceArchive></resourceArchive><allowWeblinkAccess>true</allowWeblinkAccess>\
             <showSignIn>true</showSignIn><resolveCoSpaceCallIds>true</resolveCoSpaceCallIds>\
             <resolveLyncConferenceIds>false</resolveLyncConferenceIds></webBridge>"
        )
    );
    let id2 = api
        .post(
            "/webBridges",
            "url=https://join2.example.com&resourceArchive=file:///custom.zip&idEntryMode=secure\
             &showSignIn=false&resolveLyncConferenceIds=true",
        )
        .await
        .created("webBridges");
    assert_eq!(
        api.get(&format!("/webBridges/{id2}")).await.xml(),
        format!(
            "<webBridge id=\"{id2}\"><url>https://join2.example.com</url>\
             <resourceArchive>file:///custom.zip</resourceArchive><idEntryMode>secure</idEntryMode>\
             <allowWeblinkAccess>true</allowWeblinkAccess><showSignIn>false</showSignIn>\
             <resolveCoSpaceCallIds>true</resolveCoSpaceCallIds>\
             <resolveLyncConferenceIds>true</resolveLyncConferenceIds></webBridge>"
        )
    );
    assert_eq!(
        api.get("/webBridges").await.xml(),
        format!(
            "<webBridges total=\"2\"><webBridge id=\"{id1}\"><url>https://join.example.com</url>\
             </webBridge><webBridge id=\"{id2}\"><url>https://join2.example.com</url></webBridge>\
             </webBridges>"
        )
    );
    for (body, parameter) in [
        ("url=https://x&showSignIn=yes", "showSignIn"),
        (
            "url=https://x&allowWeblinkAccess=True",
            "allowWeblinkAccess",
        ),
        (
            "url=https://x&resolveCoSpaceCallIds=1",
            "resolveCoSpaceCallIds",
        ),
        ("url=https://x&idEntryMode=open", "idEntryMode"),
        ("url=https://x y", "url"),
    ] {
        api.post("/webBridges", body)
            .await
            .parameter_error(parameter, "invalidValue");
    }
    api.post("/webBridges", "showSignIn=true")
        .await
        .parameter_error("url", "missing");
    api.post("/webBridges", "url=https://join.example.com")
        .await
        .failure(400, "<duplicateWebBridgeUrl />");
    api.put(
        &format!("/webBridges/{id2}"),
        "url=https://join.example.com",
    )
    .await
    .failure(400, "<duplicateWebBridgeUrl />");

    // PUT: booleans set, cleared back to their default; idEntryMode cleared.
    let p2 = format!("/webBridges/{id2}");
    api.put(&p2, "allowWeblinkAccess=false&showSignIn=")
        .await
        .ok();
    api.put(&p2, "idEntryMode=&resourceArchive=").await.ok();
    let w = ctl.api_web_bridges()[1].clone();
    assert_eq!(
        w,
        ApiWebBridge {
            id: id2.clone(),
            url: "https://join2.example.com".into(),
            resource_archive: None,
            id_entry_mode: None,
            allow_weblink_access: false,
            show_sign_in: true,
            resolve_cospace_call_ids: true,
            resolve_lync_conference_ids: true,
        }
    );
    api.put(&p2, "idEntryMode=legacy").await.ok();
    assert!(api
        .get(&p2)
        .await
        .xml()
        .contains("<idEntryMode>legacy</idEntryMode>"));

    // Behind terraform's back.
    assert!(ctl.api_update_web_bridge("https://join.example.com", |w| {
        w.id_entry_mode = Some("disabled".into())
    }));
    assert!(api
        .get(&format!("/webBridges/{id1}"))
        .await
        .xml()
        .contains("<idEntryMode>disabled</idEntryMode>"));
    assert!(ctl.api_remove_web_bridge("https://join.example.com"));
    assert!(!ctl.api_remove_web_bridge("https://join.example.com"));
    api.get(&format!("/webBridges/{id1}"))
        .await
        .failure(404, "<webBridgeDoesNotExist />");
    let id3 = ctl.api_add_web_bridge("https://join3.example.com");
    assert!(api
        .get(&format!("/webBridges/{id3}"))
        .await
        .xml()
        .contains("<showSignIn>true</showSignIn>"));
    api.delete(&p2).await.ok();
    api.delete(&p2)
        .await
        .failure(404, "<webBridgeDoesNotExist />");
    assert_eq!(ctl.api_web_bridges().len(), 1);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_logged_and_faults_apply() {
    let (node, _ca, api) = api_node(ip(239, 1), Fabric::default()).await;
    let ctl = node.control();
    api.get("/callBridges?offset=0").await.xml();
    api.post("/callBridges", "name=cb1&address=a:1")
        .await
        .created("callBridges");
    let id = ctl.api_call_bridges()[0].id.clone();
    api.put(&format!("/callBridges/{id}"), "sipDomain=x")
        .await
        .ok();
    assert_eq!(
        ctl.command_log(),
        vec![
            "GET /api/v1/callBridges".to_string(),
            "POST /api/v1/callBridges".to_string(),
            format!("PUT /api/v1/callBridges/{id}"),
        ]
    );

    // Cut before: not applied; after: applied; either way no reply.
    ctl.drop_connection_before("POST /api/v1/callBridges", 1);
    assert!(api
        .try_send("POST", "/api/v1/callBridges", Some(b"name=cb2&address=a:2"))
        .await
        .is_err());
    assert_eq!(ctl.api_call_bridges().len(), 1);
    ctl.drop_connection_after("DELETE /api/v1/callBridges", 1);
    assert!(api
        .try_send("DELETE", &format!("/api/v1/callBridges/{id}"), None)
        .await
        .is_err());
    assert!(ctl.api_call_bridges().is_empty());
    // Consumed.
    api.post("/callBridges", "name=cb2&address=a:2")
        .await
        .created("callBridges");

    let delay = Duration::from_millis(300);
    ctl.set_reply_delay(delay);
    let start = Instant::now();
    api.get("/system/status").await.xml();
    assert!(start.elapsed() >= delay);
    ctl.clear_faults();
    // Credentials count one login per connection.
    assert!(ctl.total_logins() >= 1);
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_follow_the_database_cluster() {
    let fabric = Fabric::default();
    let (node, _ca, api) = api_node(ip(240, 1), fabric.clone()).await;
    let primary = node.control();
    let other = |i: u8| {
        let n = NodeControl::new_in(
            format!("cms{i}"),
            "admin".into(),
            "pw".into(),
            "conf.example.com".into(),
            fabric.clone(),
            format!("127.77.240.{i}"),
        );
        n.set_join_delay(Duration::ZERO);
        n
    };
    let replica = other(2);
    let client = other(3);
    let names = |n: &NodeControl| -> Vec<String> {
        n.api_call_bridges().into_iter().map(|c| c.name).collect()
    };
    api.post("/callBridges", "name=cb1&address=a:1")
        .await
        .created("callBridges");
    replica.api_add_call_bridge("replica-own", "r:1", None);
    client.api_add_call_bridge("client-own", "c:1", None);
    client.api_add_web_bridge("https://client-own");

    // The primary's database becomes the cluster's; a joined replica's is replaced.
    primary.db(|s, id, _| s.initialize(id, "database cluster initialize"));
    assert_eq!(names(&primary), ["cb1"]);
    replica.db(|s, id, now| s.start_join(id, "127.77.240.1", MemberKind::Database, "join", now));
    assert_eq!(names(&replica), ["cb1"]);
    replica.api_add_call_bridge("cb2", "a:2", None);
    assert!(api
        .get("/callBridges")
        .await
        .xml()
        .contains("<name>cb2</name>"));
    // A client sees the cluster's while attached, then its own again.
    client.db(|s, id, now| s.start_join(id, "127.77.240.1", MemberKind::Client, "connect", now));
    assert_eq!(names(&client), ["cb1", "cb2"]);
    assert!(client.api_web_bridges().is_empty());
    client.db(|s, id, _| s.leave(id));
    assert_eq!(names(&client), ["client-own"]);
    assert_eq!(client.api_web_bridges().len(), 1);
    // A replica that leaves keeps a copy; the cluster goes on without it.
    replica.db(|s, id, _| s.leave(id));
    api.delete(&format!(
        "/callBridges/{}",
        primary.api_call_bridges()[0].id
    ))
    .await
    .ok();
    assert_eq!(names(&replica), ["cb1", "cb2"]);
    assert_eq!(names(&primary), ["cb2"]);
    // The last member leaving keeps the cluster's database as its own.
    primary.db(|s, id, _| s.leave(id));
    assert_eq!(names(&primary), ["cb2"]);
    // Per node, never shared: the cluster and XMPP settings.
    api.put("/system/configuration/cluster", "uniqueName=cb1")
        .await
        .ok();
    assert_eq!(replica.api_cluster_config().unique_name, None);
    node.stop().await;
}
