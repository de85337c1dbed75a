//! What every resource reached through a Meeting Server node's REST API shares: the
//! `api_address` attribute (the node's Web Admin, `host:port`), the node's [`Api`] from it, the
//! import ID that is that address, and the API's errors as [`StepError`]s.

use crate::backoff::retry;
use crate::client::cms_api::{Api, ApiError};
use crate::client::Devices;
use crate::devices::cms::rest::{parse_web_admin, AnswerError};
use crate::resources::import_id::{ImportId, ImportNode};
use crate::resources::spec::{attr, Attr, Check, Presence, Type};
use crate::resources::step::StepError;
use std::future::Future;
use tokio::time::Instant;

/// Attempts per idempotent request when the connection drops or cannot be made.
const ATTEMPTS: u32 = 4;

fn check_api_address(text: &str) -> Result<(), String> {
    parse_web_admin(text).map(|_| ())
}

pub const WEB_ADMIN: Check = Check::Text {
    title: "Invalid Web Admin address",
    check: check_api_address,
};

/// The `api_address` row: where the provider reaches the node's API; changing it replaces.
pub const API_ADDRESS: Attr = attr("api_address", Type::Text, Presence::Required, "The node's Web Admin, where its REST API is: `host:port` or `https://host:port` (the port of `webadmin listen`, e.g. `10.0.0.1:445`). The provider's `api_username` and `api_password` log in; the certificate is checked against `api_ca_file`. Changing it replaces the resource.")
    .replaces()
    .check(WEB_ADMIN);

impl From<ApiError> for StepError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Transport(t) => StepError::Transport(t),
            ApiError::Answer {
                endpoint,
                request,
                error: AnswerError::Refused(r),
            } => StepError::Device {
                endpoint,
                command: request,
                message: r.to_string(),
            },
            ApiError::Answer {
                endpoint,
                request,
                error: AnswerError::Unreadable(why),
            } => StepError::Output {
                endpoint,
                command: request,
                message: why,
            },
        }
    }
}

/// The API of the node whose Web Admin is `address`.
pub fn api<'d>(devices: &'d Devices, address: &str) -> Result<Api<'d>, StepError> {
    let (host, port) = parse_web_admin(address).map_err(StepError::Config)?;
    devices.api(&host, port).map_err(StepError::Config)
}

/// `step` again while it fails on a dropped or refused connection, until `deadline`: for
/// requests that are safe to repeat (every step checks the node before it writes).
pub async fn retried<T, F, Fut>(deadline: Instant, step: F) -> Result<T, StepError>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, StepError>>,
{
    retry(ATTEMPTS, deadline, StepError::is_retryable, step).await
}

/// The import ID of one node's API: its Web Admin address, the port required.
pub fn parse_api_import(id: &str, usage: &str) -> Result<ImportId, String> {
    let (host, port) =
        parse_web_admin(id).map_err(|e| format!("import ID {id:?}: {e}; expected {usage}"))?;
    Ok(ImportId {
        name: None,
        nodes: vec![ImportNode {
            label: None,
            address: host,
            port: Some(port),
        }],
        settings: vec![],
    })
}

/// `host:port` of the first node of an import ID (`[v6]:port` for IPv6).
pub fn import_address(id: &ImportId) -> String {
    let node = id.nodes.first();
    let host = node.map(|n| n.address.clone()).unwrap_or_default();
    let port = node.and_then(|n| n.port).unwrap_or_default();
    match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}
