//! The Cisco Meeting Server REST API (the one behind Web Admin), pure: requests as
//! [`HttpsRequest`]s and answers read from [`HttpsReply`]s; the client that sends them is
//! `client::cms_api`.
//!
//! Sources: Cisco Meeting Server API Reference ("API methods", "Call Bridge cluster related
//! methods", "XMPP server related methods", "Web Bridge related methods", "Failure reasons"),
//! Cisco TAC 212298 (a trace of `/api/v1/callBridges`), and the field names of public CMS
//! clients (../shared/reference/devices.md §1.3). Requests carry HTTP Basic credentials of an
//! MMP user with the `appadmin` role; POST and PUT bodies are
//! `application/x-www-form-urlencoded`, a PUT changes only the parameters it names and an empty
//! value clears one; answers are XML; a created object's id is the last segment of the
//! `Location` header; collections page with `offset` and `limit` and say their size in the root
//! element's `total`; a refused request answers 4xx with `<failureDetails>` whose child names
//! the reason. What no document we have confirms is in [`FACTS`].

use crate::transport::https::{HttpsReply, HttpsRequest, Method};
use std::collections::BTreeMap;

/// How sure we are of one fact of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// In the API Reference or a Cisco TAC capture.
    Confirmed,
    /// Our reading, not confirmed against a live node.
    Unconfirmed,
}

/// One fact the resources depend on, with where it comes from.
#[derive(Clone, Copy, Debug)]
pub struct Fact {
    pub what: &'static str,
    pub value: &'static str,
    pub status: Status,
    pub source: &'static str,
}

/// The one table of the REST API's facts (the docs print it).
pub const FACTS: &[Fact] = &[
    Fact { what: "Call Bridge identity", value: "/api/v1/system/configuration/cluster (uniqueName, peerLinkBitRate, participantLimit, loadLimit, newConferenceLoadLimitBasisPoints, existingConferenceLoadLimitBasisPoints, maxPeerVideoStreams)", status: Status::Confirmed, source: "API Reference, Call Bridge cluster methods; field names as public CMS clients use them" },
    Fact { what: "Clustered Call Bridges", value: "/api/v1/callBridges (name, address, sipDomain); the list shows only the name", status: Status::Confirmed, source: "Cisco TAC 212298 API trace" },
    Fact { what: "Call Bridge XMPP connection", value: "/api/v1/system/configuration/xmpp (uniqueName, domain, sharedSecret, serverAddress)", status: Status::Confirmed, source: "API Reference, XMPP server related methods" },
    Fact { what: "Shared secret read back", value: "never: GET leaves sharedSecret out", status: Status::Unconfirmed, source: "our reading (a secret, like the MMP's passwords)" },
    Fact { what: "XMPP connection failure", value: "an active alarm of type xmppConnectionFailure in /api/v1/system/alarms", status: Status::Unconfirmed, source: "our reading; Web Admin shows the connection on Status > General (seed)" },
    Fact { what: "Web Bridges", value: "/api/v1/webBridges (url, resourceArchive, idEntryMode disabled|secure|legacy, allowWeblinkAccess, showSignIn, resolveCoSpaceCallIds, resolveLyncConferenceIds)", status: Status::Confirmed, source: "API Reference, Web Bridge related methods" },
    Fact { what: "Failure body", value: "<failureDetails><reason .../></failureDetails>, e.g. parameterError parameter=\"x\" error=\"invalidValue\"", status: Status::Unconfirmed, source: "API Reference, Failure reasons (the pattern); element names other than <xxx>DoesNotExist are our reading" },
];

/// The alarm type that says the Call Bridge is not connected to XMPP ([`FACTS`]).
pub const XMPP_ALARM: &str = "xmppConnectionFailure";

pub const CLUSTER_PATH: &str = "/api/v1/system/configuration/cluster";
pub const XMPP_PATH: &str = "/api/v1/system/configuration/xmpp";
pub const ALARMS_PATH: &str = "/api/v1/system/alarms";

/// A collection of the API and the element names of its answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collection {
    pub path: &'static str,
    /// The list's root element (`callBridges`).
    pub root: &'static str,
    /// One object's element (`callBridge`).
    pub item: &'static str,
}

pub const CALL_BRIDGES: Collection = Collection {
    path: "/api/v1/callBridges",
    root: "callBridges",
    item: "callBridge",
};

pub const WEB_BRIDGES: Collection = Collection {
    path: "/api/v1/webBridges",
    root: "webBridges",
    item: "webBridge",
};

pub const ALARMS: Collection = Collection {
    path: ALARMS_PATH,
    root: "alarms",
    item: "alarm",
};

/// Objects asked for per page; the API may answer fewer, and `total` says how many there are.
pub const PAGE: usize = 10;

/// One object as the API shows it: its id (collections' objects) and its fields, an empty
/// element as an empty text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object {
    pub id: Option<String>,
    pub fields: BTreeMap<String, String>,
}

impl Object {
    /// A field's text; an absent field is `None`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// A field's text, absent as empty.
    pub fn text(&self, field: &str) -> String {
        self.get(field).unwrap_or_default().to_string()
    }
}

/// `application/x-www-form-urlencoded`: letters, digits and `*-._` as they are, space as `+`,
/// every other byte `%XX`; so no value can end a parameter or start another.
pub fn form(params: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, name);
        out.push('=');
        encode_into(&mut out, value);
    }
    out
}

fn encode_into(out: &mut String, text: &str) {
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// `GET path`.
pub fn get(path: &str) -> HttpsRequest {
    request(Method::GET, path.to_string(), &[])
}

/// One page of a collection.
pub fn page(collection: &Collection, offset: usize) -> HttpsRequest {
    get(&format!("{}?offset={offset}&limit={PAGE}", collection.path))
}

/// `POST` to a collection: the object with `params`.
pub fn create(collection: &Collection, params: &[(&str, &str)]) -> HttpsRequest {
    request(Method::POST, collection.path.to_string(), params)
}

/// `PUT` of `params` to the object at `path`.
pub fn update(path: &str, params: &[(&str, &str)]) -> HttpsRequest {
    request(Method::PUT, path.to_string(), params)
}

/// `DELETE` of the object at `path`.
pub fn delete(path: &str) -> HttpsRequest {
    request(Method::DELETE, path.to_string(), &[])
}

/// The path of object `id` of `collection`.
pub fn object_path(collection: &Collection, id: &str) -> String {
    format!("{}/{}", collection.path, form_component(id))
}

fn form_component(text: &str) -> String {
    let mut out = String::new();
    encode_into(&mut out, text);
    out
}

fn request(method: Method, path: String, params: &[(&str, &str)]) -> HttpsRequest {
    let with_body = matches!(method, Method::POST | Method::PUT);
    let mut headers = vec![("Accept", "text/xml".to_string())];
    if with_body {
        headers.push((
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ));
    }
    HttpsRequest {
        method,
        path,
        headers,
        body: match with_body {
            true => form(params).into_bytes(),
            false => Vec::new(),
        },
    }
}

/// Why the API refused a request, in its own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    /// The `failureDetails` child (`callBridgeDoesNotExist`), with its attributes
    /// (`parameterError parameter="address" error="invalidValue"`), or the body's first line.
    pub reason: String,
}

impl Refused {
    /// The object a request named does not exist (404, or a `...DoesNotExist` reason).
    pub fn is_missing(&self) -> bool {
        self.status == 404 || self.reason.ends_with("DoesNotExist")
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.reason.is_empty() {
            true => write!(f, "HTTP {}", self.status),
            false => write!(f, "HTTP {}: {}", self.status, self.reason),
        }
    }
}

/// What went wrong with an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerError {
    Refused(Refused),
    /// A 2xx answer we cannot read.
    Unreadable(String),
}

impl std::fmt::Display for AnswerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnswerError::Refused(r) => r.fmt(f),
            AnswerError::Unreadable(why) => write!(f, "unreadable answer: {why}"),
        }
    }
}

/// `Ok` for a 2xx answer, else the API's reason.
pub fn accepted(reply: &HttpsReply) -> Result<(), AnswerError> {
    if (200..300).contains(&reply.status) {
        return Ok(());
    }
    Err(AnswerError::Refused(Refused {
        status: reply.status,
        reason: failure_reason(&reply.body),
    }))
}

/// The reason a failure body gives: `<failureDetails><reason attr="v"/></failureDetails>`, or
/// the first line of a body that is not one (bounded).
fn failure_reason(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let parsed = roxmltree::Document::parse(text.trim());
    if let Ok(doc) = &parsed {
        let root = doc.root_element();
        if root.tag_name().name() == "failureDetails" {
            let reasons: Vec<String> = root
                .children()
                .filter(|n| n.is_element())
                .map(|n| {
                    let mut words = vec![n.tag_name().name().to_string()];
                    words.extend(
                        n.attributes()
                            .map(|a| format!("{}={:?}", a.name(), a.value())),
                    );
                    words.join(" ")
                })
                .collect();
            return reasons.join(", ");
        }
    }
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

fn parse_xml(body: &[u8]) -> Result<roxmltree::Document<'_>, AnswerError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AnswerError::Unreadable("the body is not UTF-8".into()))?;
    roxmltree::Document::parse(text.trim_start_matches('\u{feff}').trim())
        .map_err(|e| AnswerError::Unreadable(format!("not XML: {e}")))
}

fn object_of(node: roxmltree::Node<'_, '_>) -> Object {
    Object {
        id: node.attribute("id").map(str::to_string),
        fields: node
            .children()
            .filter(|n| n.is_element())
            .map(|n| {
                (
                    n.tag_name().name().to_string(),
                    n.text().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    }
}

/// The object a 2xx answer holds, under root element `root`.
pub fn object(reply: &HttpsReply, root: &str) -> Result<Object, AnswerError> {
    accepted(reply)?;
    let doc = parse_xml(&reply.body)?;
    let element = doc.root_element();
    if element.tag_name().name() != root {
        return Err(AnswerError::Unreadable(format!(
            "expected <{root}>, got <{}>",
            element.tag_name().name()
        )));
    }
    Ok(object_of(element))
}

/// One page of a collection: its `total` and the objects on the page.
pub fn page_of(
    reply: &HttpsReply,
    collection: &Collection,
) -> Result<(usize, Vec<Object>), AnswerError> {
    accepted(reply)?;
    let doc = parse_xml(&reply.body)?;
    let root = doc.root_element();
    if root.tag_name().name() != collection.root {
        return Err(AnswerError::Unreadable(format!(
            "expected <{}>, got <{}>",
            collection.root,
            root.tag_name().name()
        )));
    }
    let total = root
        .attribute("total")
        .ok_or_else(|| AnswerError::Unreadable(format!("<{}> has no total", collection.root)))?
        .parse::<usize>()
        .map_err(|_| {
            AnswerError::Unreadable(format!("<{}> total is not a count", collection.root))
        })?;
    let objects: Vec<Object> = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == collection.item)
        .map(object_of)
        .collect();
    if objects.iter().any(|o| o.id.is_none()) {
        return Err(AnswerError::Unreadable(format!(
            "a <{}> without id",
            collection.item
        )));
    }
    Ok((total, objects))
}

/// The id of the object a 2xx `POST` to `collection` created: the `Location` header's last
/// segment, under the collection's path.
pub fn created_id(reply: &HttpsReply, collection: &Collection) -> Result<String, AnswerError> {
    accepted(reply)?;
    let location = reply
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AnswerError::Unreadable("no Location header".into()))?;
    // An absolute URL or a path; the id follows the collection's path.
    let at = location.find(collection.path).ok_or_else(|| {
        AnswerError::Unreadable(format!(
            "Location {location:?} is not under {}",
            collection.path
        ))
    })?;
    let id = location[at + collection.path.len()..]
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .ok_or_else(|| AnswerError::Unreadable(format!("Location {location:?} names no object")))?;
    Ok(id.to_string())
}

/// A Web Admin address as a Call Bridge peer's `address` and the API's base: `host:port` or
/// `https://host:port`, the port required (the seed: "Make sure to specify the port number").
pub fn parse_web_admin(text: &str) -> Result<(String, u16), String> {
    let rest = text.strip_prefix("https://").unwrap_or(text);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(format!(
            "{text:?} has a path; expected host:port or https://host:port"
        ));
    }
    match crate::grammar::parse_endpoint(rest)? {
        (host, Some(port)) => Ok((host, port)),
        (host, None) => Err(format!(
            "{text:?} has no port; give the Web Admin port too, e.g. {host}:445 (the seed: \"Make sure to specify the port number\")"
        )),
    }
}

/// A boolean field as the API writes it.
pub fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
