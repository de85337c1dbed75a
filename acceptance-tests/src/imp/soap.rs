//! The two SOAP services of a node: AXL (`/axl/`, executeSQLQuery and executeSQLUpdate over the
//! cluster database) and Serviceability ControlCenterServices (soapGetServiceStatus,
//! soapDoControlServices). Requests are parsed by local name (clients send qualified or
//! unqualified children, §4); replies are written by hand with every text escaped.

use std::time::Instant;

use base64::Engine;

use super::messages as m;
use super::sql::{self, Statement};
use super::world::{Control, Controlled, Role, Status};
use super::Node;
use crate::http::{Request, Response};

pub const AXL_PATH: &str = "/axl/";
pub const CCS_PATH: &str = "/controlcenterservice2/services/ControlCenterServices";
const AXL_NS: &str = "http://www.cisco.com/AXL/API/";
const CCS_NS: &str = "http://schemas.cisco.com/ast/soap";
const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const XML_TYPE: &str = "text/xml; charset=utf-8";
/// Columns whose values the command log never shows.
const SECRET_COLUMNS: &[&str] = &["axlpassword"];

/// Text for XML content and attribute values.
pub use crate::xml_text::escape;

fn envelope(body: &str) -> String {
    // The prolog and envelope exactly as the AXL response logged in [TAC217581].
    format!("<?xml version='1.0' encoding='utf-8'?><soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV}\"><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>")
}

fn xml(status: u16, body: String) -> Response {
    Response::with_type(status, XML_TYPE, body)
}

/// An AXL fault [AXLDG][AXLWSDL]: HTTP 500, `axlError{axlcode, axlmessage, request}`.
fn axl_fault(client: bool, code: i64, message: &str, request: &str) -> Response {
    let who = if client { "Client" } else { "Server" };
    let m = escape(message);
    xml(
        500,
        envelope(&format!(
            "<soapenv:Fault><faultcode>soapenv:{who}</faultcode><faultstring>{m}</faultstring><detail><axlError><axlcode>{code}</axlcode><axlmessage>{m}</axlmessage><request>{}</request></axlError></detail></soapenv:Fault>",
            escape(request)
        )),
    )
}

/// A plain SOAP fault (ControlCenterServices).
fn soap_fault(client: bool, message: &str) -> Response {
    let who = if client { "Client" } else { "Server" };
    xml(
        500,
        envelope(&format!(
            "<soapenv:Fault><faultcode>soapenv:{who}</faultcode><faultstring>{}</faultstring></soapenv:Fault>",
            escape(message)
        )),
    )
}

/// The operation element of a SOAP request: its namespace, local name, attributes and the
/// texts of its descendants by local name.
struct Operation {
    namespace: String,
    name: String,
    sequence: Option<String>,
    /// (local name, text) of every descendant element, in document order.
    children: Vec<(String, String)>,
}

impl Operation {
    fn child(&self, name: &str) -> Option<&str> {
        self.children
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.children
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .collect()
    }
}

fn operation(body: &[u8]) -> Result<Operation, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let doc = roxmltree::Document::parse(text).map_err(|e| e.to_string())?;
    let env = doc.root_element();
    if env.tag_name().name() != "Envelope" {
        return Err("no SOAP Envelope".into());
    }
    let body = env
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Body")
        .ok_or("no SOAP Body")?;
    let op = body
        .children()
        .find(|n| n.is_element())
        .ok_or("an empty SOAP Body")?;
    let children = op
        .descendants()
        .skip(1)
        .filter(|n| n.is_element())
        .map(|n| {
            let t: String = n
                .children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect();
            (n.tag_name().name().to_string(), t)
        })
        .collect();
    Ok(Operation {
        namespace: op.tag_name().namespace().unwrap_or("").to_string(),
        name: op.tag_name().name().to_string(),
        sequence: op.attribute("sequence").map(str::to_string),
        children,
    })
}

/// `(version, op)` of `SOAPAction: "CUCM:DB ver=14.0 executeSQLQuery"` (quotes optional).
fn axl_action(header: &str) -> Option<(String, Option<String>)> {
    let h = header.trim().trim_matches('"').trim();
    let rest = h.strip_prefix("CUCM:DB ver=")?;
    let mut parts = rest.split_whitespace();
    let ver = parts.next()?.to_string();
    Some((ver, parts.next().map(str::to_string)))
}

/// The command-log line of a request (no password ever: secret columns are masked and every
/// password of the cluster is replaced too).
pub fn describe(node: &Node, req: &Request) -> String {
    let line = match (req.method.as_str(), operation(&req.body)) {
        ("POST", Ok(op)) if req.path == AXL_PATH => match op.child("sql") {
            Some(sql) => format!("{} {}", op.name, sql::masked(sql, SECRET_COLUMNS)),
            None => op.name,
        },
        ("POST", Ok(op)) if req.path == CCS_PATH => match op.name.as_str() {
            "soapGetServiceStatus" => {
                format!("{} {}", op.name, op.all("ServiceStatus").join(", "))
            }
            "soapDoControlServices" => format!(
                "{} {} {}",
                op.name,
                op.child("ControlType").unwrap_or(""),
                op.all("item").join(", ")
            ),
            _ => op.name,
        },
        _ => req.command_line(),
    };
    let world = node.world.lock();
    let mut line = line;
    for a in &world.cluster(&node.cluster).accounts {
        if !a.password.is_empty() {
            line = line.replace(&a.password, "********");
        }
    }
    line
}

/// The account of the request's Basic credentials.
fn authenticate(node: &Node, req: &Request) -> Result<Role, Response> {
    let unauthorized = || {
        let mut r = Response::with_type(401, "text/html", m::UNAUTHORIZED.text);
        r.headers
            .push(("WWW-Authenticate", "Basic realm=\"Cisco AXL API\"".into()));
        r
    };
    if node.faults.refuses_login() {
        return Err(unauthorized());
    }
    let creds = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = creds.as_deref().and_then(|c| c.split_once(':')) else {
        return Err(unauthorized());
    };
    let world = node.world.lock();
    match world.cluster(&node.cluster).login(user, password) {
        Some(a) => {
            node.faults.login_succeeded();
            Ok(a.role)
        }
        None => Err(unauthorized()),
    }
}

fn forbidden() -> Response {
    Response::with_type(403, "text/html", m::FORBIDDEN.text)
}

/// Answers one request.
pub fn handle(node: &Node, req: &Request) -> Response {
    if req.path != AXL_PATH && req.path != CCS_PATH {
        return Response::text(404, "Not Found");
    }
    let role = match authenticate(node, req) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if req.path == AXL_PATH {
        if role == Role::None {
            return forbidden();
        }
        match req.method.as_str() {
            "GET" => Response::with_type(200, "text/html", m::AXL_INFO_PAGE.text),
            "POST" => axl(node, req),
            _ => Response::text(405, "Method Not Allowed"),
        }
    } else {
        if role != Role::Admin {
            return forbidden();
        }
        match req.method.as_str() {
            "POST" => ccs(node, req),
            _ => Response::text(405, "Method Not Allowed"),
        }
    }
}

fn axl(node: &Node, req: &Request) -> Response {
    let action = req.header("soapaction").map(axl_action);
    let op = match operation(&req.body) {
        Ok(op) => op,
        Err(e) => {
            let t = m::BAD_ENVELOPE;
            return axl_fault(true, t.code, &t.with(&[&e]), "");
        }
    };
    let Some(ns_ver) = op.namespace.strip_prefix(AXL_NS).map(str::to_string) else {
        let t = m::BAD_ENVELOPE;
        return axl_fault(true, t.code, &t.with(&["not an AXL namespace"]), &op.name);
    };
    let version = match &action {
        // [AXLDG]: no SOAPAction and namespace 1.0 -> the oldest supported schema.
        None if ns_ver == "1.0" => m::OLDEST_AXL_VERSION.to_string(),
        None => ns_ver.clone(),
        Some(None) => {
            let t = m::BAD_ENVELOPE;
            return axl_fault(true, t.code, &t.with(&["bad SOAPAction"]), &op.name);
        }
        Some(Some((v, _))) => v.clone(),
    };
    if !m::AXL_VERSIONS.contains(&version.as_str())
        || (ns_ver != "1.0" && !m::AXL_VERSIONS.contains(&ns_ver.as_str()))
    {
        return Response::empty(m::SCHEMA_NOT_SUPPORTED.code as u16);
    }
    if let Some(Some((v, action_op))) = &action {
        if *v != ns_ver {
            let t = m::VERSION_MISMATCH;
            return axl_fault(true, t.code, &t.with(&[v, &ns_ver]), &op.name);
        }
        if action_op.as_deref().is_some_and(|a| a != op.name) {
            let t = m::BAD_ENVELOPE;
            return axl_fault(
                true,
                t.code,
                &t.with(&["SOAPAction names another operation"]),
                &op.name,
            );
        }
    }
    let seq = op
        .sequence
        .as_ref()
        .map(|s| format!(" sequence=\"{}\"", escape(s)))
        .unwrap_or_default();
    let open = |name: &str| {
        format!(
            "<ns:{name}Response{seq} xmlns:ns=\"{AXL_NS}{}\">",
            escape(&ns_ver)
        )
    };
    let reply = |name: &str, inner: String| {
        xml(
            200,
            envelope(&format!("{}{inner}</ns:{name}Response>", open(name))),
        )
    };
    let sql_fault = |e: sql::SqlError| axl_fault(true, e.code, &e.message, &op.name);
    let mut world = node.world.lock();
    match op.name.as_str() {
        "executeSQLQuery" => {
            let cluster = world.cluster_mut(&node.cluster);
            if cluster.memory_throttle > 0 {
                cluster.memory_throttle -= 1;
                let t = m::MEMORY_THROTTLE;
                return axl_fault(false, t.code, t.text, &op.name);
            }
            let st = match sql::parse(op.child("sql").unwrap_or("")) {
                Ok(s) => s,
                Err(e) => return sql_fault(e),
            };
            let rows = match sql::query(&cluster.db, &st) {
                Ok(r) => r,
                Err(e) => return sql_fault(e),
            };
            let mut inner = String::new();
            for row in &rows.rows {
                inner.push_str("<row>");
                for (c, v) in rows.columns.iter().zip(row) {
                    inner.push_str(&format!("<{c}>{}</{c}>", escape(v)));
                }
                inner.push_str("</row>");
            }
            let inner = if inner.is_empty() {
                "<return/>".to_string()
            } else {
                format!("<return>{inner}</return>")
            };
            if let Some(limit) = cluster.read_limit {
                if inner.len() > limit {
                    let n = rows.rows.len();
                    let fetch = (n * limit / inner.len()).max(1);
                    let t = m::TOO_LARGE;
                    return axl_fault(
                        false,
                        t.code,
                        &t.with(&[&n.to_string(), &fetch.to_string()]),
                        &op.name,
                    );
                }
            }
            reply("executeSQLQuery", inner)
        }
        "executeSQLUpdate" => {
            let index = world
                .clusters
                .iter()
                .position(|c| c.name == node.cluster)
                .expect("this node's cluster");
            let cluster = &mut world.clusters[index];
            if cluster.throttle_writes > 0 {
                cluster.throttle_writes -= 1;
                return Response::text(503, m::WRITES_THROTTLED.text);
            }
            let st = match sql::parse(op.child("sql").unwrap_or("")) {
                Ok(s) => s,
                Err(e) => return sql_fault(e),
            };
            let before = cluster.peers();
            let n = match sql::update(&mut cluster.db, &st) {
                Ok(n) => n,
                Err(e) => return sql_fault(e),
            };
            if is_peer_table(&st) {
                // A row inserted with tls, or set to tls: the remote's Tomcat certificates are
                // copied now (contract; what a GUI save does, GUESS for a raw SQL write).
                let after = cluster.peers();
                for (address, _, _, protocol) in after {
                    let was_tls = before.iter().any(|b| b.0 == address && b.3 == "tls");
                    if protocol == "tls" && !was_tls {
                        world.copy_trust(index, &address);
                    }
                }
            }
            world.tick(Instant::now());
            reply(
                "executeSQLUpdate",
                format!("<return><rowsUpdated>{n}</rowsUpdated></return>"),
            )
        }
        other => {
            let t = m::UNKNOWN_OPERATION;
            axl_fault(true, t.code, &t.with(&[other]), other)
        }
    }
}

fn is_peer_table(st: &Statement) -> bool {
    st.table() == "cupsinterclusterpeers"
}

/// `Wed Dec 02 20:18:02 2026`-style time (the format is GUESS).
fn start_time(t: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} {}",
        &t.weekday().to_string()[..3],
        &t.month().to_string()[..3],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

fn item(c: &Controlled) -> String {
    let (start, up) = match (c.status, c.started_at) {
        (Status::Started, Some(t)) => (
            start_time(t),
            t.elapsed().map(|d| d.as_secs() as i64).unwrap_or(0),
        ),
        _ => (String::new(), -1),
    };
    format!(
        "<ns:item><ns:ServiceName>{}</ns:ServiceName><ns:ServiceStatus>{}</ns:ServiceStatus><ns:ReasonCode>{}</ns:ReasonCode><ns:ReasonCodeString>{}</ns:ReasonCodeString><ns:StartTime>{}</ns:StartTime><ns:UpTime>{up}</ns:UpTime></ns:item>",
        escape(&c.name),
        c.status.as_str(),
        c.reason.code,
        escape(c.reason.text),
        escape(&start),
    )
}

fn ccs_reply(op: &str, items: &[Controlled]) -> Response {
    let list: String = items.iter().map(item).collect();
    // ReturnCode 0 / ReasonCode -1 at the top even when an item failed: item codes say what
    // happened (GUESS; §4 gives the success pair only).
    xml(
        200,
        envelope(&format!(
            "<ns:{op}Response xmlns:ns=\"{CCS_NS}\"><ns:{op}Return><ns:ReturnCode>0</ns:ReturnCode><ns:ReasonCode>-1</ns:ReasonCode><ns:ReasonString></ns:ReasonString><ns:ServiceInfoList>{list}</ns:ServiceInfoList></ns:{op}Return></ns:{op}Response>"
        )),
    )
}

fn ccs(node: &Node, req: &Request) -> Response {
    let op = match operation(&req.body) {
        Ok(op) => op,
        Err(e) => return soap_fault(true, &m::BAD_ENVELOPE.with(&[&e])),
    };
    let mut world = node.world.lock();
    let index = world
        .clusters
        .iter()
        .position(|c| c.name == node.cluster)
        .expect("this node's cluster");
    let cluster = &mut world.clusters[index];
    if cluster.rate_limit > 0 {
        cluster.rate_limit -= 1;
        return soap_fault(false, m::CCS_RATE_LIMIT.text);
    }
    match op.name.as_str() {
        "soapGetServiceStatus" => {
            let state = &cluster.nodes[node.index];
            let mut names = op.all("ServiceStatus");
            names.retain(|n| !n.trim().is_empty());
            let items: Vec<Controlled> = if names.is_empty() {
                state
                    .services
                    .iter()
                    .map(|s| Controlled {
                        name: s.name.to_string(),
                        status: s.status,
                        reason: m::CCS_OK,
                        started_at: s.started_at,
                    })
                    .collect()
            } else {
                names
                    .iter()
                    .map(|n| match state.service(n.trim()) {
                        Some(s) => Controlled {
                            name: s.name.to_string(),
                            status: s.status,
                            reason: if s.activated {
                                m::CCS_OK
                            } else {
                                m::CCS_NOT_ACTIVATED
                            },
                            started_at: s.started_at,
                        },
                        None => Controlled {
                            name: n.clone(),
                            status: Status::Unknown,
                            reason: m::CCS_UNKNOWN_SERVICE,
                            started_at: None,
                        },
                    })
                    .collect()
            };
            ccs_reply("soapGetServiceStatus", &items)
        }
        "soapDoControlServices" => {
            // NodeName is ignored: each node is called on its own URL (§4: NodeName "does not
            // work properly" in one public library) -- GUESS.
            let Some(control) = op
                .child("ControlType")
                .and_then(|c| Control::parse(c.trim()))
            else {
                return soap_fault(
                    true,
                    &m::BAD_ENVELOPE.with(&["ControlType must be Start, Stop or Restart"]),
                );
            };
            let now = Instant::now();
            let mut items = Vec::new();
            let mut icsa = false;
            for name in op.all("item") {
                let (item, restarted) = cluster.control(node.index, control, name.trim(), now);
                icsa |= restarted;
                items.push(item);
            }
            if icsa {
                world.icsa_restarted(index);
            }
            ccs_reply("soapDoControlServices", &items)
        }
        other => soap_fault(true, &m::CCS_UNKNOWN_OPERATION.with(&[other])),
    }
}
