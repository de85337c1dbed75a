//! Drives the simulated BIG-IP over real HTTPS (tokio-rustls trusting the lab CA), one
//! keep-alive connection per client, as iControl REST clients talk to the box.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::ServerName;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::{F5Config, F5Device};
use crate::device::FaultControl;
use crate::faults::{Fault, SessionCounts};
use crate::lab_ca::{client_config_trusting, LabCa};

const PASSWORD: &str = "f5-pw'\"$x";
const TIMEOUT: Duration = Duration::from_secs(10);

async fn start() -> F5Device {
    let ca = Arc::new(LabCa::new("f5 test CA").unwrap());
    F5Device::start(F5Config {
        name: "bigip1".into(),
        port: 0,
        username: "admin".into(),
        password: PASSWORD.into(),
        ca,
    })
    .await
    .unwrap()
}

fn basic(user: &str, password: &str) -> String {
    let raw = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

#[derive(Debug)]
struct Reply {
    status: u16,
    reason: String,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// One TLS connection to the box, requests one after another.
struct Client {
    stream: BufReader<TlsStream<TcpStream>>,
    /// Sent with every request: `Authorization` or `X-F5-Auth-Token`.
    auth: Option<(&'static str, String)>,
}

async fn connect(device: &F5Device) -> Client {
    connect_to(device.addr(), &device.control().ca_pem()).await
}

async fn connect_to(addr: SocketAddr, ca_pem: &str) -> Client {
    let config = client_config_trusting(ca_pem).unwrap();
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::from(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    Client {
        stream: BufReader::new(tls),
        auth: None,
    }
}

impl Client {
    fn with_basic(mut self) -> Client {
        self.auth = Some(("Authorization", basic("admin", PASSWORD)));
        self
    }

    fn with_token(mut self, token: &str) -> Client {
        self.auth = Some(("X-F5-Auth-Token", token.to_string()));
        self
    }

    /// SHA-256 of the certificate the box presented, `AB:CD:...`.
    fn peer_sha256(&self) -> String {
        let certs = self
            .stream
            .get_ref()
            .get_ref()
            .1
            .peer_certificates()
            .unwrap();
        Sha256::digest(certs[0].as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    async fn raw(&mut self, bytes: &[u8]) -> std::io::Result<Reply> {
        let out = self.stream.get_mut();
        out.write_all(bytes).await?;
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
        let mut parts = line.trim_end().splitn(3, ' ');
        let _version = parts.next();
        let status: u16 = parts.next().unwrap_or("0").parse().unwrap_or(0);
        let reason = parts.next().unwrap_or("").to_string();
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
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(Reply {
            status,
            reason,
            body,
        })
    }

    async fn try_send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> std::io::Result<Reply> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        if let Some((name, value)) = &self.auth {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.raw(format!("{head}{body}").as_bytes()).await
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        self.try_send(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.send("GET", path, None).await
    }

    async fn post(&mut self, path: &str, body: Value) -> Reply {
        self.send("POST", path, Some(&body)).await
    }

    async fn patch(&mut self, path: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(&body)).await
    }

    async fn delete(&mut self, path: &str) -> Reply {
        self.send("DELETE", path, None).await
    }

    /// A request that must succeed; its JSON.
    async fn ok(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.send(method, path, body.as_ref()).await;
        assert_eq!(
            r.status,
            200,
            "{method} {path}: {:?}",
            String::from_utf8_lossy(&r.body)
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            r.json()
        }
    }
}

async fn login(client: &mut Client, password: &str) -> Reply {
    client
        .post(
            "/mgmt/shared/authn/login",
            json!({"username": "admin", "password": password, "loginProviderName": "tmos"}),
        )
        .await
}

fn mcpd_error(code: u16, message: &str) -> Value {
    json!({"code": code, "message": message, "errorStack": [], "apiError": 3})
}

/// The seed's F5 example (communigate-cluster-sip-farm-lb.txt): monitor MySMTP, profile
/// fastL4 CGS_fastL4, pool Frontends, virtual External.
async fn build_seed_example(c: &mut Client) {
    c.ok(
        "POST",
        "/mgmt/tm/ltm/monitor/smtp",
        Some(json!({"name": "MySMTP", "defaultsFrom": "/Common/smtp", "destination": "*:smtp", "debug": "no"})),
    )
    .await;
    c.ok(
        "POST",
        "/mgmt/tm/ltm/profile/fastl4",
        Some(json!({
            "name": "CGS_fastL4", "partition": "Common", "defaultsFrom": "/Common/fastL4",
            "idleTimeout": 60, "tcpHandshakeTimeout": 15, "tcpCloseTimeout": 60,
            "looseInitialization": "disabled", "looseClose": "enabled",
            "softwareSynCookie": "disabled"
        })),
    )
    .await;
    // Two members inline, two POSTed to the subcollection: both ways go-bigip uses.
    c.ok(
        "POST",
        "/mgmt/tm/ltm/pool",
        Some(json!({
            "name": "Frontends",
            "monitor": "/Common/gateway_icmp and /Common/MySMTP",
            "members": [{"name": "64.173.55.180:any"}, {"name": "/Common/64.173.55.181:any"}]
        })),
    )
    .await;
    for m in ["64.173.55.182:any", "64.173.55.183:0"] {
        c.ok(
            "POST",
            "/mgmt/tm/ltm/pool/~Common~Frontends/members",
            Some(json!({"name": m, "partition": "Common"})),
        )
        .await;
    }
    c.ok(
        "POST",
        "/mgmt/tm/ltm/virtual",
        Some(json!({
            "name": "External", "destination": "/Common/64.173.55.164:any", "ipProtocol": "any",
            "pool": "/Common/Frontends", "profiles": [{"name": "CGS_fastL4", "context": "all"}],
            "translateAddress": "disabled", "translatePort": "disabled",
            "sourceAddressTranslation": {"type": "none"}
        })),
    )
    .await;
}

#[tokio::test]
async fn token_login_expiry_and_renewal() {
    let device = start().await;
    let mut c = connect(&device).await;
    let r = login(&mut c, PASSWORD).await;
    assert_eq!(r.status, 200);
    let body = r.json();
    assert_eq!(body["username"], "admin");
    assert_eq!(body["loginProviderName"], "tmos");
    let token = body["token"]["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 26);
    assert_eq!(body["token"]["name"], token.as_str());
    assert_eq!(body["token"]["userName"], "admin");
    assert_eq!(body["token"]["timeout"], 1200);
    assert!(body["token"]["startTime"]
        .as_str()
        .unwrap()
        .starts_with("20"));
    assert_eq!(device.control().faults().total_logins(), 1);

    let mut c = c.with_token(&token);
    c.ok("GET", "/mgmt/tm/ltm/pool", None).await;
    let renewed = c
        .ok(
            "PATCH",
            &format!("/mgmt/shared/authz/tokens/{token}"),
            Some(json!({"timeout": 3600})),
        )
        .await;
    assert_eq!(renewed["timeout"], 3600);
    let r = c
        .patch(
            &format!("/mgmt/shared/authz/tokens/{token}"),
            json!({"timeout": 36001}),
        )
        .await;
    assert_eq!(r.status, 400);

    // Expiry in the middle of a run: the same connection, the same token, now refused.
    device.control().expire_tokens();
    let r = c.get("/mgmt/tm/ltm/pool").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.reason, "F5 Authorization Required");
    let e = r.json();
    assert_eq!(e["code"], 401);
    assert_eq!(e["message"], "X-F5-Auth-Token has expired.");
    assert_eq!(e["kind"], ":resterrorresponse");

    // A new login gives a token that works.
    let r = login(&mut c, PASSWORD).await;
    assert_eq!(r.status, 200);
    let fresh = r.json()["token"]["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, token);
    let mut c = c.with_token(&fresh);
    c.ok("GET", "/mgmt/tm/ltm/virtual", None).await;

    // A lifetime of 0 ends the token by the server's clock, no hand involved.
    c.ok(
        "PATCH",
        &format!("/mgmt/shared/authz/tokens/{fresh}"),
        Some(json!({"timeout": 0})),
    )
    .await;
    let r = c.get("/mgmt/tm/ltm/virtual").await;
    assert_eq!(r.json()["message"], "X-F5-Auth-Token has expired.");

    let mut c = c.with_token("NOSUCHTOKEN");
    let r = c.get("/mgmt/tm/ltm/pool").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "X-F5-Auth-Token does not exist.");
    device.stop().await;
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_bodies() {
    let device = start().await;
    let mut c = connect(&device).await;
    let r = c.get("/mgmt/tm/ltm/pool").await;
    assert_eq!(r.status, 401);
    let e = r.json();
    assert_eq!(
        e["message"],
        "Authorization failed: no user authentication header or token detected. \
         Uri:http://localhost:8100/mgmt/tm/ltm/pool Referrer:127.0.0.1 Sender:127.0.0.1"
    );
    assert_eq!(e["kind"], ":resterrorresponse");
    assert!(e["restOperationId"].is_u64());

    // 401 comes before 404: an unknown URI without credentials is still unauthorised.
    assert_eq!(c.get("/mgmt/tm/nothing").await.status, 401);

    c.auth = Some(("Authorization", basic("admin", "wrong")));
    let r = c.get("/mgmt/tm/ltm/pool").await;
    assert_eq!(
        (r.status, r.json()["message"].clone()),
        (401, json!("Authentication failed."))
    );
    let r = login(&mut c, "wrong").await;
    assert_eq!(r.status, 401);
    assert!(
        !String::from_utf8_lossy(&r.body).contains("wrong"),
        "no password echoed"
    );
    assert_eq!(device.control().faults().total_logins(), 0);

    let mut c = c.with_basic();
    c.ok("GET", "/mgmt/tm/ltm/pool", None).await;
    c.ok("GET", "/mgmt/tm/ltm/pool", None).await;
    assert_eq!(
        device.control().faults().total_logins(),
        1,
        "one per connection"
    );

    device.control().faults().set_refuse_login(true);
    let mut other = connect(&device).await.with_basic();
    assert_eq!(other.get("/mgmt/tm/ltm/pool").await.status, 401);
    assert_eq!(login(&mut other, PASSWORD).await.status, 401);
    device.stop().await;
}

#[tokio::test]
async fn the_seeds_example_reads_back_with_expanded_members() {
    let device = start().await;
    let mut c = connect(&device).await.with_basic();
    build_seed_example(&mut c).await;

    let pool = c
        .ok(
            "GET",
            "/mgmt/tm/ltm/pool/~Common~Frontends?expandSubcollections=true",
            None,
        )
        .await;
    assert_eq!(pool["kind"], "tm:ltm:pool:poolstate");
    assert_eq!(pool["fullPath"], "/Common/Frontends");
    assert_eq!(pool["loadBalancingMode"], "round-robin");
    assert_eq!(pool["monitor"], "/Common/gateway_icmp and /Common/MySMTP");
    assert_eq!(
        pool["selfLink"],
        "https://localhost/mgmt/tm/ltm/pool/~Common~Frontends?ver=16.1.0"
    );
    let members = pool["membersReference"]["items"].as_array().unwrap();
    let names: Vec<&str> = members
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "64.173.55.180:0",
            "64.173.55.181:0",
            "64.173.55.182:0",
            "64.173.55.183:0"
        ]
    );
    assert_eq!(members[2]["address"], "64.173.55.182");
    assert_eq!(members[2]["kind"], "tm:ltm:pool:members:membersstate");
    assert_eq!(members[2]["session"], "monitor-enabled");
    assert_eq!(members[2]["state"], "up");
    assert_eq!(members[2]["ratio"], 1);

    // Without the query the members are only a link.
    let plain = c.ok("GET", "/mgmt/tm/ltm/pool/Frontends", None).await;
    assert!(plain["membersReference"].get("items").is_none());
    assert_eq!(plain["membersReference"]["isSubcollection"], true);
    let listing = c
        .ok("GET", "/mgmt/tm/ltm/pool?expandSubcollections=true", None)
        .await;
    assert_eq!(listing["kind"], "tm:ltm:pool:poolcollectionstate");
    assert_eq!(
        listing["items"][0]["membersReference"]["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    let profile = c
        .ok(
            "GET",
            "/mgmt/tm/ltm/profile/fastl4/~Common~CGS_fastL4",
            None,
        )
        .await;
    assert_eq!(profile["kind"], "tm:ltm:profile:fastl4:fastl4state");
    assert_eq!(profile["idleTimeout"], 60);
    assert_eq!(profile["looseClose"], "enabled");
    assert_eq!(profile["defaultsFrom"], "/Common/fastL4");
    assert_eq!(
        profile["resetOnTimeout"], "enabled",
        "inherited from fastL4"
    );

    let vs = c
        .ok(
            "GET",
            "/mgmt/tm/ltm/virtual/~Common~External?expandSubcollections=true",
            None,
        )
        .await;
    assert_eq!(vs["kind"], "tm:ltm:virtual:virtualstate");
    assert_eq!(vs["destination"], "/Common/64.173.55.164:0");
    assert_eq!(vs["ipProtocol"], "any");
    assert_eq!(vs["pool"], "/Common/Frontends");
    assert_eq!(vs["translateAddress"], "disabled");
    assert_eq!(vs["translatePort"], "disabled");
    assert_eq!(vs["sourceAddressTranslation"], json!({"type": "none"}));
    let profiles = vs["profilesReference"]["items"].as_array().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0]["fullPath"], "/Common/CGS_fastL4");
    assert_eq!(profiles[0]["context"], "all");

    // The destination made its virtual address, as BIG-IP does.
    let va = c
        .ok(
            "GET",
            "/mgmt/tm/ltm/virtual-address/~Common~64.173.55.164",
            None,
        )
        .await;
    assert_eq!(va["address"], "64.173.55.164");
    assert_eq!(va["autoDelete"], "true");
    assert_eq!(
        device
            .control()
            .object("pool", "/Common/Frontends")
            .unwrap()["membersReference"]["items"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    device.stop().await;
}

#[tokio::test]
async fn errors_have_bigips_bodies() {
    let device = start().await;
    let mut c = connect(&device).await.with_basic();
    let r = c.get("/mgmt/tm/ltm/pool/~Common~nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json(),
        mcpd_error(
            404,
            "01020036:3: The requested Pool (/Common/nope) was not found."
        )
    );
    let r = c.get("/mgmt/tm/ltm/pool/~wrong~test_5679").await;
    assert_eq!(
        r.json()["message"],
        "01020036:3: The requested Pool (/wrong/test_5679) was not found."
    );
    let r = c.get("/mgmt/tm/ltm/virtual/x").await;
    assert_eq!(
        r.json()["message"],
        "01020036:3: The requested Virtual Server (/Common/x) was not found."
    );

    c.ok("POST", "/mgmt/tm/ltm/pool", Some(json!({"name": "p"})))
        .await;
    let r = c.post("/mgmt/tm/ltm/pool", json!({"name": "p"})).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        mcpd_error(
            409,
            "01020066:3: The requested Pool (/Common/p) already exists in partition Common."
        )
    );
    c.ok(
        "POST",
        "/mgmt/tm/ltm/pool/~Common~p/members",
        Some(json!({"name": "10.0.0.1:5060"})),
    )
    .await;
    let r = c
        .post(
            "/mgmt/tm/ltm/pool/~Common~p/members",
            json!({"name": "10.0.0.1:sip"}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json()["message"],
        "01020066:3: The requested Pool Member (/Common/p /Common/10.0.0.1 5060) already exists in partition Common."
    );
    let r = c
        .get("/mgmt/tm/ltm/pool/~Common~p/members/~Common~10.0.0.2:5060")
        .await;
    assert_eq!(r.status, 404);

    let r = c
        .post("/mgmt/tm/ltm/pool", json!({"name": "q", "colour": "blue"}))
        .await;
    assert_eq!(r.status, 400);
    let e = r.json();
    assert_eq!(
        e["message"],
        "Found unexpected json pair at configuration item /ltm/pool/. The json pair is \"colour\":\"blue\"."
    );
    assert_eq!(e["errorStack"], json!([]));
    assert!(device.control().object("pool", "/Common/q").is_none());
    let r = c
        .post(
            "/mgmt/tm/ltm/pool",
            json!({"name": "q", "loadBalancingMode": "random"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c.send("POST", "/mgmt/tm/ltm/pool", None).await;
    assert_eq!(r.status, 400);

    let r = c.get("/mgmt/tm/ltm/rule").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["message"],
        "URI path /mgmt/tm/ltm/rule not registered.  Please verify URI is supported and wait for /available suffix to be responsive."
    );
    device.stop().await;
}

#[tokio::test]
async fn references_must_exist_and_used_objects_stay() {
    let device = start().await;
    let mut c = connect(&device).await.with_basic();
    let r = c
        .post(
            "/mgmt/tm/ltm/virtual",
            json!({"name": "v", "destination": "10.1.1.1:80", "pool": "missing"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        mcpd_error(
            400,
            "01020036:3: The requested pool (/Common/missing) was not found."
        )
    );
    let r = c
        .post(
            "/mgmt/tm/ltm/virtual",
            json!({"name": "v", "destination": "10.1.1.1:80", "profiles": ["nope"]}),
        )
        .await;
    assert_eq!(
        r.json()["message"],
        "01020036:3: The requested profile (/Common/nope) was not found."
    );
    let r = c
        .post(
            "/mgmt/tm/ltm/pool",
            json!({"name": "p", "monitor": "/Common/MySMTP"}),
        )
        .await;
    assert_eq!(
        r.json()["message"],
        "01020036:3: The requested monitor (/Common/MySMTP) was not found."
    );
    assert!(
        device.control().names("virtual-address").is_empty(),
        "nothing half-made"
    );

    // A UDP virtual for SIP with per-packet balancing: the UDP profile needs ipProtocol udp.
    c.ok(
        "POST",
        "/mgmt/tm/ltm/profile/udp",
        Some(json!({"name": "sip_udp", "defaultsFrom": "/Common/udp", "datagramLoadBalancing": "enabled"})),
    )
    .await;
    let sip = json!({"name": "sip", "destination": "10.1.1.1:5060", "profiles": ["sip_udp"]});
    let r = c.post("/mgmt/tm/ltm/virtual", sip.clone()).await;
    assert_eq!(r.status, 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .starts_with("01070734:3:"));
    let mut sip = sip;
    sip["ipProtocol"] = json!("udp");
    let vs = c.ok("POST", "/mgmt/tm/ltm/virtual", Some(sip)).await;
    assert_eq!(vs["ipProtocol"], "udp");
    let r = c
        .patch("/mgmt/tm/ltm/virtual/sip", json!({"ipProtocol": "tcp"}))
        .await;
    assert_eq!(r.status, 400);
    c.ok("DELETE", "/mgmt/tm/ltm/virtual/sip", None).await;
    c.ok("DELETE", "/mgmt/tm/ltm/profile/udp/sip_udp", None)
        .await;

    build_seed_example(&mut c).await;
    let r = c.delete("/mgmt/tm/ltm/pool/~Common~Frontends").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        mcpd_error(
            400,
            "01070265:3: The Pool (/Common/Frontends) cannot be deleted because it is in use by a Virtual Server (/Common/External)."
        )
    );
    let r = c.delete("/mgmt/tm/ltm/profile/fastl4/CGS_fastL4").await;
    assert_eq!(r.status, 400);
    let r = c.delete("/mgmt/tm/ltm/monitor/smtp/MySMTP").await;
    assert_eq!(r.status, 400);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("(/Common/Frontends)"));
    let r = c.delete("/mgmt/tm/ltm/virtual-address/64.173.55.164").await;
    assert_eq!(r.status, 400);
    let r = c.delete("/mgmt/tm/ltm/profile/fastl4/fastL4").await;
    assert_eq!(r.status, 400, "built in");

    let r = c.delete("/mgmt/tm/ltm/virtual/~Common~External").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    assert!(
        device.control().names("virtual-address").is_empty(),
        "an auto-delete address goes with its last virtual"
    );
    for path in [
        "/mgmt/tm/ltm/pool/~Common~Frontends",
        "/mgmt/tm/ltm/profile/fastl4/~Common~CGS_fastL4",
        "/mgmt/tm/ltm/monitor/smtp/~Common~MySMTP",
    ] {
        c.ok("DELETE", path, None).await;
    }
    assert_eq!(device.control().names("pool"), Vec::<String>::new());
    device.stop().await;
}

#[tokio::test]
async fn disabling_a_member_and_the_generation_counter() {
    let device = start().await;
    let control = device.control();
    let mut c = connect(&device).await.with_basic();
    build_seed_example(&mut c).await;
    let before = control.generation();
    let member_path = "/mgmt/tm/ltm/pool/~Common~Frontends/members/~Common~64.173.55.181:any";
    let m = c.ok("GET", member_path, None).await;
    assert_eq!(m["session"], "monitor-enabled");
    assert_eq!(control.generation(), before, "reads change nothing");

    let m = c
        .ok(
            "PATCH",
            member_path,
            Some(json!({"session": "user-disabled"})),
        )
        .await;
    assert_eq!(m["session"], "user-disabled");
    assert_eq!(m["state"], "up", "disabled, still monitored up");
    assert_eq!(m["ratio"], 1, "PATCH keeps the rest");
    assert_eq!(control.generation(), before + 1);
    assert_eq!(m["generation"], before + 1);

    let m = c
        .ok("PATCH", member_path, Some(json!({"state": "user-down"})))
        .await;
    assert_eq!(m["state"], "user-down");
    assert_eq!(m["session"], "user-disabled");
    let r = c.patch(member_path, json!({"session": "off"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        control.generation(),
        before + 2,
        "a refused write changes nothing"
    );

    let p = c
        .ok(
            "PATCH",
            "/mgmt/tm/ltm/pool/Frontends",
            Some(json!({"loadBalancingMode": "least-connections-member"})),
        )
        .await;
    assert_eq!(p["generation"], before + 3);
    assert_eq!(
        p["monitor"], "/Common/gateway_icmp and /Common/MySMTP",
        "PATCH keeps it"
    );
    let p = c
        .ok(
            "PUT",
            "/mgmt/tm/ltm/pool/Frontends",
            Some(json!({"members": []})),
        )
        .await;
    assert_eq!(
        p["loadBalancingMode"], "round-robin",
        "PUT resets what it leaves out"
    );
    assert!(p.get("monitor").is_none());
    let members = c
        .ok("GET", "/mgmt/tm/ltm/pool/Frontends/members", None)
        .await;
    assert_eq!(members["items"], json!([]));
    device.stop().await;
}

#[tokio::test]
async fn faults_cut_requests_and_the_log_records_them() {
    let device = start().await;
    let control = device.control();
    let mut c = connect(&device).await.with_basic();
    c.ok("GET", "/mgmt/tm/ltm/pool", None).await;
    assert_eq!(
        control.faults().sessions(),
        SessionCounts {
            active: 1,
            logins: 1
        }
    );

    let faults: &dyn FaultControl = &control;
    faults
        .inject(Fault::DropBefore {
            prefix: "POST /mgmt/tm/ltm/pool".into(),
            times: 1,
        })
        .await
        .unwrap();
    let cut = c
        .try_send("POST", "/mgmt/tm/ltm/pool", Some(&json!({"name": "a"})))
        .await;
    assert!(cut.is_err(), "{cut:?}");
    assert!(control.object("pool", "/Common/a").is_none(), "not applied");

    faults
        .inject(Fault::DropAfter {
            prefix: "POST /mgmt/tm/ltm/pool".into(),
            times: 1,
        })
        .await
        .unwrap();
    let mut c = connect(&device).await.with_basic();
    let cut = c
        .try_send("POST", "/mgmt/tm/ltm/pool", Some(&json!({"name": "b"})))
        .await;
    assert!(cut.is_err(), "{cut:?}");
    assert!(control.object("pool", "/Common/b").is_some(), "applied");

    let mut c = connect(&device).await.with_basic();
    faults
        .inject(Fault::ReplyDelay(Duration::from_millis(300)))
        .await
        .unwrap();
    let t = Instant::now();
    c.ok("POST", "/mgmt/tm/ltm/pool", Some(json!({"name": "c"})))
        .await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    faults.clear().await.unwrap();

    assert_eq!(
        faults.command_log().unwrap(),
        [
            "GET /mgmt/tm/ltm/pool",
            "POST /mgmt/tm/ltm/pool",
            "POST /mgmt/tm/ltm/pool",
            "POST /mgmt/tm/ltm/pool",
        ]
    );
    device.stop().await;
}

#[tokio::test]
async fn a_rotated_identity_is_a_new_certificate_from_the_same_ca() {
    let device = start().await;
    let control = device.control();
    let c = connect(&device).await;
    let first = control.cert_sha256();
    assert_eq!(c.peer_sha256(), first);
    let faults: &dyn FaultControl = &control;
    faults.inject(Fault::RotateIdentity).await.unwrap();
    assert_ne!(control.cert_sha256(), first);
    let c = connect(&device).await;
    assert_eq!(c.peer_sha256(), control.cert_sha256());
    device.stop().await;
}

#[tokio::test]
async fn broken_requests_are_refused_without_harm() {
    let device = start().await;
    let mut c = connect(&device).await;
    let r = c.raw(b"NOT HTTP\r\n\r\n").await.unwrap();
    assert_eq!(r.status, 400);
    assert!(
        c.raw(b"GET / HTTP/1.1\r\n\r\n").await.is_err(),
        "closed after"
    );

    let mut c = connect(&device).await;
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(20_000));
    assert_eq!(c.raw(huge.as_bytes()).await.unwrap().status, 431);

    let mut c = connect(&device).await;
    let r = c
        .raw(b"POST /mgmt/tm/ltm/pool HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(r.status, 413);

    let mut c = connect(&device).await.with_basic();
    let r = c
        .raw(b"POST /mgmt/tm/ltm/pool HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(r.status, 501);

    // The box still answers.
    let mut c = connect(&device).await.with_basic();
    c.ok("GET", "/mgmt/tm/ltm/pool", None).await;
    device.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lab_starts_bigips_and_reports_them() {
    use crate::lab::{Lab, LabSpec};
    let dir = tempfile::tempdir().unwrap();
    let lab = Lab::start(&LabSpec::default().with_f5_devices(2), dir.path())
        .await
        .unwrap();
    let endpoints = lab.endpoints();
    let devices = endpoints["f5_devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[1]["name"], "bigip2");
    assert_eq!(devices[0]["host"], "127.0.0.1");
    assert_eq!(devices[0]["username"], "admin");
    assert_eq!(devices[0]["password"], lab.password());
    assert_eq!(
        devices[0]["ca_file"],
        lab.ca_path().to_string_lossy().as_ref()
    );
    let b1 = lab.f5("bigip1");
    assert_eq!(devices[0]["cert_sha256"], b1.cert_sha256());
    let tfvars = lab.tfvars();
    assert_eq!(tfvars["f5_devices"][1]["port"], devices[1]["port"]);
    let trust = lab.trust();
    assert_eq!(trust.len(), 2);
    assert_eq!(trust[0].pin.as_deref(), Some(b1.cert_sha256().as_str()));
    assert_eq!(
        std::fs::read_to_string(lab.ca_path()).unwrap(),
        b1.ca_pem(),
        "one lab CA"
    );

    // A client of the lab trusts it through lab-ca.pem and logs in with the lab password.
    let port = devices[0]["port"].as_u64().unwrap() as u16;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut c = connect_to(addr, &std::fs::read_to_string(lab.ca_path()).unwrap()).await;
    c.auth = Some(("Authorization", basic("admin", lab.password())));
    c.ok("POST", "/mgmt/tm/ltm/pool", Some(json!({"name": "p"})))
        .await;
    assert!(lab.f5("bigip1").object("pool", "/Common/p").is_some());
    assert!(lab.f5("bigip2").object("pool", "/Common/p").is_none());
    let faults = lab.faults("bigip1").unwrap();
    assert_eq!(faults.command_log().unwrap(), ["POST /mgmt/tm/ltm/pool"]);
    drop(faults);
    lab.stop().await;
}

#[test]
fn every_message_names_its_source() {
    for m in super::messages::ALL {
        assert!(!m.source.is_empty(), "{m:?}");
        assert_eq!(
            m.confirmed,
            !m.source.starts_with("unconfirmed"),
            "a source says whether it is confirmed: {m:?}"
        );
    }
}

#[test]
fn names_destinations_and_members_parse_as_bigip_writes_them() {
    use super::names::{address_port, from_reference, from_url, Destination, FullName};
    assert_eq!(
        from_url("~Common~Frontends"),
        Some(FullName::common("Frontends"))
    );
    assert_eq!(from_url("Frontends"), Some(FullName::common("Frontends")));
    assert_eq!(
        from_url("~Common~10.0.0.1:5060").map(|n| n.name),
        Some("10.0.0.1:5060".to_string())
    );
    assert_eq!(from_url("~Common~app~x"), None, "no sub-folders");
    assert_eq!(from_url("~Common~a b"), None);
    assert_eq!(
        from_reference("/Common/MySMTP").map(|n| n.path()),
        Some("/Common/MySMTP".into())
    );
    assert_eq!(from_reference("/Common"), None);

    let d = Destination::parse("/Common/64.173.55.164:any").unwrap();
    assert_eq!(d.text(), "/Common/64.173.55.164:0");
    assert_eq!(Destination::parse("64.173.55.164:sip").unwrap().port, 5060);
    let v6 = Destination::parse("/Common/2001:db8::1.5060").unwrap();
    assert_eq!(
        (v6.address.to_string(), v6.port),
        ("2001:db8::1".into(), 5060)
    );
    assert_eq!(v6.text(), "/Common/2001:db8::1.5060");
    for bad in [
        "64.173.55.164",
        "64.173.55.164:70000",
        "host:80",
        "/Common/1.2.3.4%1:80",
        "",
    ] {
        assert_eq!(Destination::parse(bad), None, "{bad:?}");
    }
    assert_eq!(
        address_port("64.173.55.180:any").map(|(a, p)| (a.to_string(), p)),
        Some(("64.173.55.180".into(), 0))
    );
}

#[tokio::test]
async fn the_http_reader_takes_bounded_well_formed_requests() {
    use super::http::{read_request, ReadError, MAX_BODY_BYTES};
    let mut input: &[u8] =
        b"PATCH /mgmt/tm/ltm/pool/~Common~p%20x?expandSubcollections=true HTTP/1.1\r\nContent-Length: 2\r\nX-F5-Auth-Token: T\r\n\r\n{}GET / HTTP/1.0\r\n\r\n";
    let r = read_request(&mut input).await.unwrap();
    assert_eq!(r.command_line(), "PATCH /mgmt/tm/ltm/pool/~Common~p x");
    assert_eq!(r.query_param("expandSubcollections"), Some("true"));
    assert_eq!(r.header("x-f5-auth-token"), Some("T"));
    assert_eq!(r.body, b"{}");
    assert!(r.keep_alive);
    let r = read_request(&mut input).await.unwrap();
    assert!(!r.keep_alive, "HTTP/1.0 closes");
    assert_eq!(read_request(&mut input).await, Err(ReadError::Closed));

    let too_long = format!(
        "POST / HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    let cases: Vec<(Vec<u8>, ReadError)> = vec![
        (
            b"GET /\r\n\r\n".to_vec(),
            ReadError::Malformed("request line"),
        ),
        (
            b"GET / HTTP/2\r\n\r\n".to_vec(),
            ReadError::Malformed("HTTP version"),
        ),
        (
            b"GET / HTTP/1.1\r\nno colon\r\n\r\n".to_vec(),
            ReadError::Malformed("header"),
        ),
        (
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n".to_vec(),
            ReadError::Malformed("Content-Length given twice"),
        ),
        (
            b"GET /%zz HTTP/1.1\r\n\r\n".to_vec(),
            ReadError::Malformed("path"),
        ),
        (too_long.into_bytes(), ReadError::BodyTooLarge),
        (
            b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab".to_vec(),
            ReadError::Closed,
        ),
    ];
    for (bytes, want) in cases {
        let mut input: &[u8] = &bytes;
        assert_eq!(
            read_request(&mut input).await,
            Err(want),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}
