//! Routes: one request to the box's answer. Authentication comes first (BIG-IP answers 401
//! before anything else, even for an unknown URI), then:
//! - `/mgmt/shared/authn/login` (POST), `/mgmt/shared/authz/tokens/<t>` (GET, PATCH, DELETE);
//! - `/mgmt/tm/ltm/<collection>` (GET, POST), `/<collection>/~P~name` (GET, PATCH, PUT,
//!   DELETE), `pool/~P~p/members[/~P~addr:port]`, `virtual/~P~v/profiles[/~P~name]` (GET);
//! - anything else: restjavad's 404 "URI path ... not registered".

use serde_json::Value;

use super::auth::{self, Identity};
use super::control::F5Control;
use super::error::{ApiError, ApiResult};
use super::http::{Request, Response};
use super::messages::{INVALID_JSON, METHOD_NOT_ALLOWED, NOT_FOUND, NOT_REGISTERED};
use super::names::{self, FullName};
use super::schema::Collection;

const LOGIN: &str = "/mgmt/shared/authn/login";
const TOKENS: &str = "/mgmt/shared/authz/tokens/";
const LTM: &str = "/mgmt/tm/ltm/";

/// What one connection remembers between its requests.
#[derive(Debug, Default)]
pub struct ConnectionState {
    /// A Basic login on this connection was counted already: the lab counts a connection's
    /// Basic credentials as one login, not one per request.
    pub basic_counted: bool,
}

/// The answer to `req`.
pub fn handle(control: &F5Control, conn: &mut ConnectionState, req: &Request) -> Response {
    let answer = route(control, conn, req);
    match answer {
        Ok(Some(v)) => Response::json(200, &v),
        Ok(None) => Response::empty(200),
        Err(e) => e.response(),
    }
}

fn not_allowed(req: &Request) -> ApiError {
    ApiError::rest(405, &METHOD_NOT_ALLOWED, &[&req.method, &req.path])
}

fn not_registered(req: &Request) -> ApiError {
    ApiError::rest(404, &NOT_REGISTERED, &[&req.path])
}

fn json_body(req: &Request) -> ApiResult<Value> {
    serde_json::from_slice(&req.body).map_err(|_| ApiError::icrd(400, &INVALID_JSON, &[]))
}

fn authenticate(
    control: &F5Control,
    conn: &mut ConnectionState,
    req: &Request,
) -> ApiResult<Identity> {
    let inner = &control.inner;
    if let Some(token) = req.header("x-f5-auth-token") {
        return control.tokens().check(token);
    }
    let Some(header) = req.header("authorization") else {
        return Err(auth::no_credentials(&req.path));
    };
    let (user, password) = auth::basic_credentials(header).ok_or_else(auth::failed)?;
    if inner.faults.refuses_login()
        || user != inner.username
        || !auth::same_secret(&password, &inner.password)
    {
        return Err(auth::failed());
    }
    if !conn.basic_counted {
        conn.basic_counted = true;
        inner.faults.login_succeeded();
    }
    Ok(Identity::Basic(user))
}

fn login(control: &F5Control, req: &Request) -> ApiResult<Option<Value>> {
    if req.method != "POST" {
        return Err(not_allowed(req));
    }
    let inner = &control.inner;
    let (user, password) = auth::login_request(&req.body)?;
    if inner.faults.refuses_login()
        || user != inner.username
        || !auth::same_secret(&password, &inner.password)
    {
        return Err(auth::failed());
    }
    let body = control.tokens().issue(&user);
    inner.faults.login_succeeded();
    Ok(Some(body))
}

fn route(
    control: &F5Control,
    conn: &mut ConnectionState,
    req: &Request,
) -> ApiResult<Option<Value>> {
    if req.path == LOGIN {
        return login(control, req);
    }
    authenticate(control, conn, req)?;
    if let Some(token) = req.path.strip_prefix(TOKENS) {
        let mut tokens = control.tokens();
        return match req.method.as_str() {
            "GET" => tokens.get(token).map(Some),
            "PATCH" => tokens.patch(token, &json_body(req)?).map(Some),
            "DELETE" => tokens.delete(token).map(Some),
            _ => Err(not_allowed(req)),
        };
    }
    match req.path.strip_prefix(LTM) {
        Some(rest) => ltm(control, req, rest.trim_end_matches('/')),
        None => Err(not_registered(req)),
    }
}

/// An object's name in the URL; a segment that names nothing BIG-IP could hold is an object
/// that is not there.
fn url_name(c: Collection, segment: &str) -> ApiResult<FullName> {
    names::from_url(segment)
        .ok_or_else(|| ApiError::mcpd(404, &NOT_FOUND, &[c.noun(), &segment.replace('~', "/")]))
}

fn ltm(control: &F5Control, req: &Request, rest: &str) -> ApiResult<Option<Value>> {
    let segments: Vec<&str> = rest.split('/').collect();
    let (c, tail) = match segments.as_slice() {
        [a, b, tail @ ..] if Collection::from_path(&format!("{a}/{b}")).is_some() => {
            (Collection::from_path(&format!("{a}/{b}")), tail.to_vec())
        }
        [a, tail @ ..] => (Collection::from_path(a), tail.to_vec()),
        [] => (None, Vec::new()),
    };
    let c = c.ok_or_else(|| not_registered(req))?;
    let expand = req.query_param("expandSubcollections") == Some("true");
    let method = req.method.as_str();
    let mut config = control.config();
    match tail.as_slice() {
        [] => match method {
            "GET" => Ok(Some(config.list(c, expand))),
            "POST" => config.create(c, &json_body(req)?).map(Some),
            _ => Err(not_allowed(req)),
        },
        [name] => {
            let name = url_name(c, name)?;
            match method {
                "GET" => config.get(c, &name, expand).map(Some),
                "PATCH" => config.update(c, &name, &json_body(req)?, false).map(Some),
                "PUT" => config.update(c, &name, &json_body(req)?, true).map(Some),
                "DELETE" => config.delete(c, &name).map(|()| None),
                _ => Err(not_allowed(req)),
            }
        }
        [pool, "members"] if c == Collection::Pool => {
            let pool = url_name(c, pool)?;
            match method {
                "GET" => config.list_members(&pool).map(Some),
                "POST" => config.create_member(&pool, &json_body(req)?).map(Some),
                _ => Err(not_allowed(req)),
            }
        }
        [pool, "members", member] if c == Collection::Pool => {
            let pool = url_name(c, pool)?;
            let member = names::from_url(member).ok_or_else(|| {
                ApiError::mcpd(404, &NOT_FOUND, &["Pool Member", &member.replace('~', "/")])
            })?;
            match method {
                "GET" => config.get_member(&pool, &member).map(Some),
                "PATCH" => config
                    .update_member(&pool, &member, &json_body(req)?, false)
                    .map(Some),
                "PUT" => config
                    .update_member(&pool, &member, &json_body(req)?, true)
                    .map(Some),
                "DELETE" => config.delete_member(&pool, &member).map(|()| None),
                _ => Err(not_allowed(req)),
            }
        }
        [virtual_, "profiles"] if c == Collection::Virtual => {
            let v = url_name(c, virtual_)?;
            match method {
                "GET" => config.list_profiles(&v).map(Some),
                _ => Err(not_allowed(req)),
            }
        }
        [virtual_, "profiles", profile] if c == Collection::Virtual => {
            let v = url_name(c, virtual_)?;
            let p = url_name(Collection::Fastl4, profile)?;
            match method {
                "GET" => config.get_profile(&v, &p).map(Some),
                _ => Err(not_allowed(req)),
            }
        }
        _ => Err(not_registered(req)),
    }
}
