//! The iControl REST token login: `POST /mgmt/shared/authn/login` with
//! `{"username","password","loginProviderName":"tmos"}`, the token in the reply's
//! `token.token`, sent back in the `X-F5-Auth-Token` header (go-bigip `bigip.go`
//! `NewTokenSession`: the request struct `authReq`, the reply struct `authResp{Token{Token}}`,
//! and `req.Header.Set("X-F5-Auth-Token", b.Token)`; devices.md §4).

use crate::transport::https::{HttpsReply, HttpsRequest, Method, TokenLogin};

pub const LOGIN_PATH: &str = "/mgmt/shared/authn/login";
pub const TOKEN_HEADER: &str = "X-F5-Auth-Token";
/// The login provider of local BIG-IP accounts (go-bigip: "loginProviderName is probably
/// \"tmos\"").
pub const LOGIN_PROVIDER: &str = "tmos";

/// BIG-IP's token login, for `HttpsAuth::Token`.
#[derive(Clone, Copy, Debug, Default)]
pub struct F5Login;

impl TokenLogin for F5Login {
    fn login_request(&self, username: &str, password: &str) -> HttpsRequest {
        let body = serde_json::json!({
            "username": username,
            "password": password,
            "loginProviderName": LOGIN_PROVIDER,
        });
        HttpsRequest {
            method: Method::POST,
            path: LOGIN_PATH.to_string(),
            headers: super::names::json_headers(),
            body: body.to_string().into_bytes(),
        }
    }

    /// Never quotes the reply: a login reply carries the token, and a refused one may echo the
    /// request (the simulator's messages.rs: `originalRequestBody`, with the password).
    fn token(&self, reply: &HttpsReply) -> Result<String, String> {
        let value: serde_json::Value = serde_json::from_slice(&reply.body)
            .map_err(|e| format!("the login reply is not JSON ({e})"))?;
        match value.get("token").and_then(|t| t.get("token")) {
            Some(serde_json::Value::String(token)) if !token.trim().is_empty() => Ok(token.clone()),
            Some(serde_json::Value::String(_)) => Err("token.token is empty".into()),
            Some(_) => Err("token.token is not a string".into()),
            None => Err("the login reply has no token.token".into()),
        }
    }

    fn header(&self) -> &'static str {
        TOKEN_HEADER
    }
}
