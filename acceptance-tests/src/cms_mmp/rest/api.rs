//! One API request to its answer: authentication, the routes, form parameters, paging and the
//! failure bodies. No I/O ([`super::server`] does it).
//!
//! Rules and their sources (devices.md 1.3 unless said):
//! - Every request needs HTTP Basic credentials of an MMP user with the role `admin`,
//!   `appadmin` or `api` and its password (devices.md 1.3: `appadmin` or `admin`; [GUESS] that
//!   `api`, a role of the MMP Command Line Reference's list ([`super::super::users::ROLES`]),
//!   is for the API too; `audit` and `crypto` are refused). Otherwise (or
//!   while a refused-login fault is set) `401` with `WWW-Authenticate: Basic realm="api"`
//!   [GUESS: realm] and no body. A connection's first accepted credentials count as one login
//!   ([`crate::faults::Faults::total_logins`]), as the F5 simulator counts Basic logins.
//! - Paths under `/api/v1`. An unknown path: `404`, no body; a known path with another method:
//!   `405` with `Allow`, no body [GUESS: both].
//! - POST / PUT parameters are a form body ([`super::form`]). Only the parameters given change;
//!   an empty value clears one. The first problem in body order is answered `400` with
//!   `<failureDetails><parameterError parameter="NAME" error="REASON" /></failureDetails>`:
//!   `unrecognised` (no such parameter), `invalidValue` (not what it accepts, a bad escape, not
//!   UTF-8, or clearing a required one), `missing` (a required one not given on POST) [GUESS:
//!   the three words; the element is the API Reference's pattern]. A name given twice: the last
//!   value counts [GUESS].
//! - POST success: `200`, no body, `Location: /api/v1/<collection>/<id>`; PUT and DELETE
//!   success: `200`, no body. An unknown id: `404` with `<failureDetails><xDoesNotExist />
//!   </failureDetails>`, before any parameter is looked at [GUESS: order].
//! - Collections take `offset` and `limit` (non-negative integers, else `400` invalidValue for
//!   that parameter [GUESS]); the page holds at most the node's page limit
//!   ([`super::DEFAULT_PAGE_LIMIT`] [GUESS]) and `limit` objects, from `offset`, in creation
//!   order; the root's `total` counts them all. Other query parameters are ignored [GUESS: the
//!   real API filters on some].
//! - `GET /system/status`: `<status><softwareVersion>3.8</softwareVersion><uptimeSeconds>N
//!   </uptimeSeconds><activated>true</activated><clusterEnabled>..</clusterEnabled></status>`
//!   (TAC 212298's fields, fewer of them; clusterEnabled while the Call Bridge list is not
//!   empty [GUESS]).
//! - `GET|PUT /system/configuration/cluster`: `<cluster><uniqueName>..</uniqueName>` then each
//!   numeric parameter that is set `</cluster>` (uniqueName always, empty when unset).
//! - `GET|PUT /system/configuration/xmpp`: `<xmpp><uniqueName>..</uniqueName><domain>..
//!   </domain><serverAddress>..</serverAddress></xmpp>`, each always there (empty when unset)
//!   [GUESS]; the shared secret is never shown [GUESS: write-only].
//! - `GET /system/alarms`: `<alarms total="N"><alarm id=".."><type>..</type>
//!   <activeTimeSeconds>N</activeTimeSeconds></alarm></alarms>` ([`super::xmpp_link`]).
//! - `/callBridges`, `/webBridges`: see [`super::collections`].

use base64::Engine;

use super::collections::Collection;
use super::form::{self, FormError};
use super::objects::{
    new_id, ApiCallBridge, ApiClusterConfig, ApiWebBridge, ApiXmppConfig, Param, Parameters, Value,
};
use super::xml::{boolean, Xml};
use super::xmpp_link;
use crate::cms_mmp::state::NodeControl;
use crate::http::{Request, Response};

/// Every path starts so.
pub const PREFIX: &str = "/api/v1/";
/// What `GET /system/status` reports [simulator choice: a current release].
pub const SOFTWARE_VERSION: &str = "3.8";
/// The roles whose users may use the API.
pub const API_ROLES: [&str; 3] = ["admin", "appadmin", "api"];

/// What one connection remembers between its requests.
#[derive(Debug, Default)]
pub struct ConnectionState {
    /// The connection's credentials were counted as a login already.
    login_counted: bool,
}

/// The answer to `req`.
pub fn handle(node: &NodeControl, conn: &mut ConnectionState, req: &Request) -> Response {
    if !authorized(node, conn, req) {
        return unauthorized();
    }
    let Some(rest) = req.path.strip_prefix(PREFIX) else {
        return Response::empty(404);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let method = req.method.as_str();
    match (segments.as_slice(), method) {
        (["system", "status"], "GET") => status(node),
        (["system", "status"], _) => not_allowed(&["GET"]),
        (["system", "configuration", "cluster"], "GET") => cluster_config(node),
        (["system", "configuration", "cluster"], "PUT") => {
            put_settings::<ApiClusterConfig>(req, |p| {
                node.update_api_cluster_config(|c| apply(c, p))
            })
        }
        (["system", "configuration", "xmpp"], "GET") => xmpp_config(node),
        (["system", "configuration", "xmpp"], "PUT") => {
            put_settings::<ApiXmppConfig>(req, |p| node.update_api_xmpp_config(|c| apply(c, p)))
        }
        (["system", "configuration", "cluster" | "xmpp"], _) => not_allowed(&["GET", "PUT"]),
        (["system", "alarms"], "GET") => alarms(node, req),
        (["system", "alarms"], _) => not_allowed(&["GET"]),
        (["callBridges"], _) => collection::<ApiCallBridge>(node, req),
        (["callBridges", id], _) if !id.is_empty() => object::<ApiCallBridge>(node, req, id),
        (["webBridges"], _) => collection::<ApiWebBridge>(node, req),
        (["webBridges", id], _) if !id.is_empty() => object::<ApiWebBridge>(node, req, id),
        _ => Response::empty(404),
    }
}

/// Basic credentials of an API user (see the module docs).
fn authorized(node: &NodeControl, conn: &mut ConnectionState, req: &Request) -> bool {
    if node.faults().refuses_login() {
        return false;
    }
    let Some((scheme, encoded)) = req.header("authorization").and_then(|h| h.split_once(' '))
    else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    let Some((user, password)) = decoded.split_once(':') else {
        return false;
    };
    let ok = node.with_users(|users| {
        users
            .get(user)
            .is_some_and(|u| API_ROLES.contains(&u.role.as_str()) && u.password == password)
    });
    if ok && !conn.login_counted {
        conn.login_counted = true;
        node.faults().login_succeeded();
    }
    ok
}

fn unauthorized() -> Response {
    let mut r = Response::empty(401);
    r.headers
        .push(("WWW-Authenticate", "Basic realm=\"api\"".to_string()));
    r
}

fn not_allowed(methods: &[&str]) -> Response {
    let mut r = Response::empty(405);
    r.headers.push(("Allow", methods.join(", ")));
    r
}

fn xml(status: u16, body: Vec<u8>) -> Response {
    Response::with_type(status, "text/xml", body)
}

/// `<failureDetails><reason attrs /></failureDetails>`.
fn failure(status: u16, reason: &str, attrs: &[(&str, &str)]) -> Response {
    let mut x = Xml::new();
    x.open("failureDetails", &[])
        .empty(reason, attrs)
        .close("failureDetails");
    xml(status, x.finish())
}

fn parameter_error(parameter: &str, error: &str) -> Response {
    failure(
        400,
        "parameterError",
        &[("parameter", parameter), ("error", error)],
    )
}

/// Checked form parameters: each one's declaration and value (`None`: clear it).
type Changes = Vec<(&'static Param, Option<Value>)>;

/// The body's parameters checked against `params` (see the module docs); the last of a name
/// given twice wins.
fn parse_params(params: &'static [Param], body: &[u8]) -> Result<Changes, Response> {
    let pairs = form::parse(body).map_err(|e| match e {
        FormError::BadName(name) => parameter_error(&name, "unrecognised"),
        FormError::BadValue(name) => match params.iter().any(|p| p.name == name) {
            true => parameter_error(&name, "invalidValue"),
            false => parameter_error(&name, "unrecognised"),
        },
    })?;
    let mut changes: Changes = Vec::new();
    for (name, raw) in pairs {
        let Some(param) = params.iter().find(|p| p.name == name) else {
            return Err(parameter_error(&name, "unrecognised"));
        };
        let value = param
            .kind
            .parse(&raw)
            .map_err(|_| parameter_error(&name, "invalidValue"))?;
        changes.retain(|(p, _)| p.name != param.name);
        changes.push((param, value));
    }
    Ok(changes)
}

fn apply<T: Parameters>(object: &mut T, changes: &Changes) {
    for (param, value) in changes {
        object.set(param.name, value.clone());
    }
}

/// A required parameter cleared (PUT) or, with `creating`, not given (POST).
fn required_error(changes: &Changes, params: &[Param], creating: bool) -> Option<Response> {
    for p in params.iter().filter(|p| p.required) {
        match changes.iter().find(|(c, _)| c.name == p.name) {
            Some((_, None)) => return Some(parameter_error(p.name, "invalidValue")),
            None if creating => return Some(parameter_error(p.name, "missing")),
            _ => {}
        }
    }
    None
}

/// `offset` and `limit` of a collection GET.
fn page(req: &Request) -> Result<(usize, Option<usize>), Response> {
    let number = |name: &str| -> Result<Option<usize>, Response> {
        match req.query.iter().rev().find(|(n, _)| n == name) {
            None => Ok(None),
            Some((_, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                // Beyond usize: as good as "all of them".
                Ok(Some(v.parse().unwrap_or(usize::MAX)))
            }
            Some(_) => Err(parameter_error(name, "invalidValue")),
        }
    };
    Ok((number("offset")?.unwrap_or(0), number("limit")?))
}

/// The page of `items` a collection GET shows.
fn paged<'a, T>(
    node: &NodeControl,
    items: &'a [T],
    offset: usize,
    limit: Option<usize>,
) -> &'a [T] {
    let size = node.api_page_limit().min(limit.unwrap_or(usize::MAX));
    let start = offset.min(items.len());
    let end = start.saturating_add(size).min(items.len());
    &items[start..end]
}

fn status(node: &NodeControl) -> Response {
    let uptime = node.inner.api.started.elapsed().as_secs().to_string();
    let clustered = !node.api_call_bridges().is_empty();
    let mut x = Xml::new();
    x.open("status", &[])
        .element("softwareVersion", SOFTWARE_VERSION)
        .element("uptimeSeconds", &uptime)
        .element("activated", "true")
        .element("clusterEnabled", boolean(clustered))
        .close("status");
    xml(200, x.finish())
}

fn cluster_config(node: &NodeControl) -> Response {
    let c = node.api_cluster_config();
    let mut x = Xml::new();
    x.open("cluster", &[])
        .element("uniqueName", c.unique_name.as_deref().unwrap_or(""));
    for (name, value) in c.numbers() {
        x.optional(name, value.map(|v| v.to_string()).as_deref());
    }
    x.close("cluster");
    xml(200, x.finish())
}

fn xmpp_config(node: &NodeControl) -> Response {
    let c = node.api_xmpp_config();
    let mut x = Xml::new();
    x.open("xmpp", &[])
        .element("uniqueName", c.unique_name.as_deref().unwrap_or(""))
        .element("domain", c.domain.as_deref().unwrap_or(""))
        .element("serverAddress", c.server_address.as_deref().unwrap_or(""))
        .close("xmpp");
    xml(200, x.finish())
}

/// PUT of a per-node settings object `T`: `change` applies the checked parameters.
fn put_settings<T: Parameters>(req: &Request, change: impl FnOnce(&Changes)) -> Response {
    match parse_params(T::PARAMS, &req.body) {
        Ok(changes) => {
            change(&changes);
            Response::empty(200)
        }
        Err(r) => r,
    }
}

fn alarms(node: &NodeControl, req: &Request) -> Response {
    let (offset, limit) = match page(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all = xmpp_link::alarms(node);
    let total = all.len().to_string();
    let mut x = Xml::new();
    x.open("alarms", &[("total", &total)]);
    for alarm in paged(node, &all, offset, limit) {
        let seconds = alarm.since.elapsed().as_secs().to_string();
        x.open("alarm", &[("id", &alarm.id)])
            .element("type", &alarm.kind)
            .element("activeTimeSeconds", &seconds)
            .close("alarm");
    }
    x.close("alarms");
    xml(200, x.finish())
}

/// `GET|POST /<collection>`.
fn collection<T: Collection>(node: &NodeControl, req: &Request) -> Response {
    match req.method.as_str() {
        "GET" => list::<T>(node, req),
        "POST" => create::<T>(node, req),
        _ => not_allowed(&["GET", "POST"]),
    }
}

fn list<T: Collection>(node: &NodeControl, req: &Request) -> Response {
    let (offset, limit) = match page(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let all = node.api_objects(|db| T::objects(db).clone());
    let total = all.len().to_string();
    let mut x = Xml::new();
    x.open(T::COLLECTION, &[("total", &total)]);
    for o in paged(node, &all, offset, limit) {
        x.open(T::ELEMENT, &[("id", o.id())]);
        o.summary(&mut x);
        x.close(T::ELEMENT);
    }
    x.close(T::COLLECTION);
    xml(200, x.finish())
}

fn create<T: Collection>(node: &NodeControl, req: &Request) -> Response {
    let changes = match parse_params(T::PARAMS, &req.body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = required_error(&changes, T::PARAMS, true) {
        return r;
    }
    let mut object = T::default();
    apply(&mut object, &changes);
    let id = new_id();
    object.set_id(id.clone());
    let added = node.api_objects(|db| {
        let objects = T::objects(db);
        if objects.iter().any(|o| o.key() == object.key()) {
            return false;
        }
        objects.push(object);
        true
    });
    if !added {
        return failure(400, T::DUPLICATE, &[]);
    }
    let mut r = Response::empty(200);
    r.headers
        .push(("Location", format!("{PREFIX}{}/{id}", T::COLLECTION)));
    r
}

/// `GET|PUT|DELETE /<collection>/<id>`.
fn object<T: Collection>(node: &NodeControl, req: &Request, id: &str) -> Response {
    let method = req.method.as_str();
    if !matches!(method, "GET" | "PUT" | "DELETE") {
        return not_allowed(&["GET", "PUT", "DELETE"]);
    }
    let changes = match method {
        "PUT" => Some(parse_params(T::PARAMS, &req.body)),
        _ => None,
    };
    node.api_objects(|db| {
        let objects = T::objects(db);
        let Some(at) = objects.iter().position(|o| o.id() == id) else {
            return failure(404, T::DOES_NOT_EXIST, &[]);
        };
        match changes {
            None if method == "DELETE" => {
                objects.remove(at);
                Response::empty(200)
            }
            None => {
                let o = &objects[at];
                let mut x = Xml::new();
                x.open(T::ELEMENT, &[("id", o.id())]);
                o.detail(&mut x);
                x.close(T::ELEMENT);
                xml(200, x.finish())
            }
            Some(Err(r)) => r,
            Some(Ok(changes)) => {
                if let Some(r) = required_error(&changes, T::PARAMS, false) {
                    return r;
                }
                let mut changed = objects[at].clone();
                apply(&mut changed, &changes);
                let clash = objects
                    .iter()
                    .enumerate()
                    .any(|(i, o)| i != at && o.key() == changed.key());
                if clash {
                    return failure(400, T::DUPLICATE, &[]);
                }
                objects[at] = changed;
                Response::empty(200)
            }
        }
    })
}
