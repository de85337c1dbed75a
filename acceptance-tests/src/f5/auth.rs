//! Authentication as iControl REST does it (devices.md §4; go-bigip `bigip.go`):
//! - HTTP Basic on any request;
//! - or a token: `POST /mgmt/shared/authn/login` `{"username","password","loginProviderName":
//!   "tmos"}` answers `{"username",..,"loginProviderName":"tmos","token":{"token","name",
//!   "userName","timeout":1200,"startTime",...}}` (the reply's layout as captured in an F5 WAF
//!   tutorial: `loginReference`, `token.user.link`, `partition "[All]"`, `expirationMicros`,
//!   `kind "shared:authz:tokens:authtokenitemstate"`), then the header `X-F5-Auth-Token`;
//!   `PATCH /mgmt/shared/authz/tokens/<token>` `{"timeout":N}` sets its lifetime (what
//!   go-bigip does right after login), `DELETE` ends it.
//!
//! A token expires `timeout` seconds after its start, by the server's clock (the capture has
//! `expirationMicros = startTime + 1200 s`; that a PATCHed timeout also counts from
//! `startTime`, not from the PATCH, is unconfirmed); an expired
//! token is answered "X-F5-Auth-Token has expired.", an unknown one "X-F5-Auth-Token does not
//! exist." (both 401, restjavad body; see messages.rs).

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use rand::distr::Alphanumeric;
use rand::RngExt;
use serde_json::{json, Value};

use super::error::{ApiError, ApiResult};
use super::messages::{
    AUTHENTICATION_FAILED, INVALID_JSON, MISSING_PROPERTY, NO_CREDENTIALS, TOKEN_EXPIRED,
    TOKEN_TIMEOUT_RANGE, TOKEN_UNKNOWN, UNEXPECTED_PROPERTY,
};

/// A new token's lifetime (go-bigip and the capture: `"timeout":1200`).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 1200;
/// The longest lifetime BIG-IP grants: 10 hours.
pub const MAX_TIMEOUT_SECONDS: u64 = 36_000;

/// One token.
#[derive(Debug, Clone)]
pub struct Token {
    pub user: String,
    pub timeout: u64,
    started: Instant,
    started_at: SystemTime,
    /// Set by [`Tokens::expire_all`]: the token answers "has expired" from now on.
    expired_by_hand: bool,
    generation: u64,
    last_update: SystemTime,
}

impl Token {
    fn expired(&self, now: Instant) -> bool {
        self.expired_by_hand || now >= self.started + Duration::from_secs(self.timeout)
    }
}

fn micros(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `2021-12-14T22:22:11.851+0000`, the `startTime` layout of the capture.
fn timestamp(t: SystemTime) -> String {
    let micros = micros(t);
    let at =
        time::OffsetDateTime::from_unix_timestamp(i64::try_from(micros / 1_000_000).unwrap_or(0))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        (micros / 1000) % 1000
    )
}

/// Who a request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// HTTP Basic, checked now.
    Basic(String),
    /// A live token.
    Token(String),
}

/// The tokens of one box.
#[derive(Debug, Default)]
pub struct Tokens {
    tokens: HashMap<String, Token>,
}

/// The token as `/mgmt/shared/authz/tokens/<t>` shows it.
fn token_json(name: &str, t: &Token) -> Value {
    let start = micros(t.started_at);
    json!({
        "token": name,
        "name": name,
        "userName": t.user,
        "authProviderName": "tmos",
        "user": {"link": format!("https://localhost/mgmt/shared/authz/users/{}", t.user)},
        "timeout": t.timeout,
        "startTime": timestamp(t.started_at),
        "address": "127.0.0.1",
        "partition": "[All]",
        "generation": t.generation,
        "lastUpdateMicros": micros(t.last_update),
        "expirationMicros": start.saturating_add(t.timeout.saturating_mul(1_000_000)),
        "kind": "shared:authz:tokens:authtokenitemstate",
        "selfLink": format!("https://localhost/mgmt/shared/authz/tokens/{name}"),
    })
}

/// `user:password` from an `Authorization: Basic ...` header.
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = header.strip_prefix("Basic ")?.trim();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Compares without stopping at the first difference, so timing says nothing of the secret.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

impl Tokens {
    /// Checks a token header.
    pub fn check(&self, token: &str) -> ApiResult<Identity> {
        match self.tokens.get(token) {
            None => Err(ApiError::rest(401, &TOKEN_UNKNOWN, &[])),
            Some(t) if t.expired(Instant::now()) => Err(ApiError::rest(401, &TOKEN_EXPIRED, &[])),
            Some(_) => Ok(Identity::Token(token.to_string())),
        }
    }

    /// `POST /mgmt/shared/authn/login` for a user whose password was checked.
    pub fn issue(&mut self, user: &str) -> Value {
        // 26 upper-case letters and digits, as the capture's `QYRBXDSCPZW2LGLGEKIB3E23L5`.
        let name: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(26)
            .map(|c| char::from(c).to_ascii_uppercase())
            .collect();
        let now = SystemTime::now();
        let token = Token {
            user: user.to_string(),
            timeout: DEFAULT_TIMEOUT_SECONDS,
            started: Instant::now(),
            started_at: now,
            expired_by_hand: false,
            generation: 1,
            last_update: now,
        };
        let body = json!({
            "username": user,
            "loginReference": {
                "link": "https://localhost/mgmt/cm/system/authn/providers/tmos/1f44a60e-11a7-3c51-a49f-82983026b41b/login"
            },
            "loginProviderName": "tmos",
            "token": token_json(&name, &token),
            "generation": 0,
            "lastUpdateMicros": 0,
        });
        self.tokens.insert(name, token);
        body
    }

    /// `GET /mgmt/shared/authz/tokens/<t>`.
    pub fn get(&self, name: &str) -> ApiResult<Value> {
        let t = self
            .tokens
            .get(name)
            .ok_or_else(|| ApiError::rest(404, &TOKEN_UNKNOWN, &[]))?;
        Ok(token_json(name, t))
    }

    /// `PATCH /mgmt/shared/authz/tokens/<t>` `{"timeout": N}`.
    pub fn patch(&mut self, name: &str, body: &Value) -> ApiResult<Value> {
        let body = body
            .as_object()
            .ok_or_else(|| ApiError::rest(400, &INVALID_JSON, &[]))?;
        let t = self
            .tokens
            .get_mut(name)
            .ok_or_else(|| ApiError::rest(404, &TOKEN_UNKNOWN, &[]))?;
        for (key, value) in body {
            match key.as_str() {
                "timeout" => {
                    let seconds = value
                        .as_u64()
                        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                        .filter(|s| *s <= MAX_TIMEOUT_SECONDS)
                        .ok_or_else(|| {
                            ApiError::rest(400, &TOKEN_TIMEOUT_RANGE, &[&value.to_string()])
                        })?;
                    t.timeout = seconds;
                }
                "token" | "name" | "kind" | "selfLink" | "generation" => {}
                _ => {
                    let pair = format!("{}:{value}", Value::String(key.clone()));
                    return Err(ApiError::rest(
                        400,
                        &UNEXPECTED_PROPERTY,
                        &["/shared/authz/tokens/", &pair],
                    ));
                }
            }
        }
        t.generation += 1;
        t.last_update = SystemTime::now();
        Ok(token_json(name, t))
    }

    /// `DELETE /mgmt/shared/authz/tokens/<t>` (logout).
    pub fn delete(&mut self, name: &str) -> ApiResult<Value> {
        let t = self
            .tokens
            .remove(name)
            .ok_or_else(|| ApiError::rest(404, &TOKEN_UNKNOWN, &[]))?;
        Ok(token_json(name, &t))
    }

    /// Every token expires now (a test's "token expiry in the middle of an apply").
    pub fn expire_all(&mut self) {
        for t in self.tokens.values_mut() {
            t.expired_by_hand = true;
        }
    }

    /// Tokens not yet expired.
    pub fn live(&self) -> usize {
        let now = Instant::now();
        self.tokens.values().filter(|t| !t.expired(now)).count()
    }
}

/// The user and password of a login body, or the answer BIG-IP gives.
pub fn login_request(body: &[u8]) -> ApiResult<(String, String)> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| ApiError::rest(400, &INVALID_JSON, &[]))?;
    let text = |key: &str| -> ApiResult<String> {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ApiError::rest(400, &MISSING_PROPERTY, &[key]))
    };
    let user = text("username")?;
    let password = text("password")?;
    // "tmos" is the local user store, what go-bigip sends; "local" is its older name
    // [unconfirmed]; another provider knows no such user here.
    match value.get("loginProviderName").and_then(Value::as_str) {
        None | Some("tmos") | Some("local") => Ok((user, password)),
        Some(_) => Err(ApiError::rest(401, &AUTHENTICATION_FAILED, &[])),
    }
}

/// 401 for a request with neither credentials nor token.
pub fn no_credentials(path: &str) -> ApiError {
    ApiError::rest(
        401,
        &NO_CREDENTIALS,
        &[&format!("http://localhost:8100{path}")],
    )
}

pub fn failed() -> ApiError {
    ApiError::rest(401, &AUTHENTICATION_FAILED, &[])
}
