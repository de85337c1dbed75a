//! An iControl REST error answer, in the two shapes BIG-IP uses (see [`super::messages`]):
//! mcpd's for configuration errors, restjavad's for the framework (authentication, unknown
//! URIs).

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Value};

use super::http::Response;
use super::messages::Message;

/// restjavad numbers its operations; any growing number looks the same to a client.
static REST_OPERATION_ID: AtomicU64 = AtomicU64::new(1_000_001);

/// An error answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub body: Value,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// `{"code":N,"message":"...","errorStack":[],"apiError":3}` (mcpd's configuration errors).
    pub fn mcpd(status: u16, message: &Message, args: &[&str]) -> ApiError {
        Self::body(status, message, args, 3)
    }

    /// A body error mcpd never saw: icrd refuses it while reading the JSON, `apiError` 1
    /// [unconfirmed: the value as remembered from iControl REST].
    pub fn icrd(status: u16, message: &Message, args: &[&str]) -> ApiError {
        Self::body(status, message, args, 1)
    }

    fn body(status: u16, message: &Message, args: &[&str], api_error: u8) -> ApiError {
        ApiError {
            status,
            body: json!({
                "code": status,
                "message": message.render(args),
                "errorStack": [],
                "apiError": api_error,
            }),
        }
    }

    /// `{"code":401,"message":"...","referer":"...","restOperationId":N,"kind":":resterrorresponse"}`.
    pub fn rest(status: u16, message: &Message, args: &[&str]) -> ApiError {
        ApiError {
            status,
            body: json!({
                "code": status,
                "message": message.render(args),
                "referer": "127.0.0.1",
                "restOperationId": REST_OPERATION_ID.fetch_add(1, Ordering::Relaxed),
                "kind": ":resterrorresponse",
            }),
        }
    }

    pub fn response(&self) -> Response {
        Response::json(self.status, &self.body)
    }
}
