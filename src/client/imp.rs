//! IM&P's two SOAP services over one node's HTTPS client: AXL's `executeSQLQuery` /
//! `executeSQLUpdate` and ControlCenterServices' `soapGetServiceStatus` /
//! `soapDoControlServices` (the envelopes and replies are `devices::imp`'s). Every error names
//! the operation, the statement or services, and the node, in the device's words, masked.

use super::{Devices, HttpsReply, HttpsRequest, HttpsTarget};
use crate::devices::imp::axl::{self, AxlBusy, AxlError, Operation, Row};
use crate::devices::imp::control_center::{self, Control, RateLimited, Report};
use crate::transport::https::BusyAnswer;
use std::sync::atomic::{AtomicU64, Ordering};

/// AXL's memory throttle and ControlCenterServices' rate limit, both asked again by the
/// transport like a 503.
pub struct ImpBusy;

impl BusyAnswer for ImpBusy {
    fn is_busy(&self, reply: &HttpsReply) -> bool {
        AxlBusy.is_busy(reply) || RateLimited.is_busy(reply)
    }
}

/// The `sequence` of AXL requests: echoed by the server, so an answer is known to be ours.
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

async fn send(
    devices: &Devices,
    target: &HttpsTarget,
    request: &HttpsRequest,
    what: &str,
) -> Result<HttpsReply, String> {
    let failed = |e: String| crate::secrets::mask(&format!("{what} on {}: {e}", target.base_url));
    let turn = devices
        .https(target)
        .await
        .map_err(|e| failed(e.to_string()))?;
    turn.send(request).await.map_err(|e| failed(e.to_string()))
}

/// Why an AXL call failed: the transport's (unreachable, refused login, certificate) or the
/// server's answer.
#[derive(Debug, Clone)]
pub enum AxlFailure {
    Transport(crate::transport::TransportError, String),
    Answer(AxlError, String),
}

impl std::fmt::Display for AxlFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AxlFailure::Transport(_, text) | AxlFailure::Answer(_, text) => f.write_str(text),
        }
    }
}

impl From<AxlFailure> for String {
    fn from(e: AxlFailure) -> String {
        e.to_string()
    }
}

async fn axl_call(
    devices: &Devices,
    target: &HttpsTarget,
    version: &str,
    op: Operation,
    sql: &str,
) -> Result<(HttpsReply, u64), AxlFailure> {
    let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let what = format!("{} `{sql}`", op.name());
    let words = |e: &dyn std::fmt::Display| {
        crate::secrets::mask(&format!("{what} on {}: {e}", target.base_url))
    };
    let turn = devices
        .https(target)
        .await
        .map_err(|e| AxlFailure::Transport(e.clone(), words(&e)))?;
    let reply = turn
        .send(&axl::request(version, op, sql, sequence))
        .await
        .map_err(|e| AxlFailure::Transport(e.clone(), words(&e)))?;
    Ok((reply, sequence))
}

/// The rows `sql` selects on the node `target` names.
pub async fn query(
    devices: &Devices,
    target: &HttpsTarget,
    version: &str,
    sql: &str,
) -> Result<Vec<Row>, AxlFailure> {
    let (reply, sequence) = axl_call(devices, target, version, Operation::Query, sql).await?;
    axl::rows(version, &reply, sequence).map_err(|e| {
        let text = crate::secrets::mask(&format!(
            "executeSQLQuery `{sql}` on {}: {e}",
            target.base_url
        ));
        AxlFailure::Answer(e, text)
    })
}

/// How many rows `sql` changed on the node `target` names.
pub async fn update(
    devices: &Devices,
    target: &HttpsTarget,
    version: &str,
    sql: &str,
) -> Result<u64, AxlFailure> {
    let (reply, sequence) = axl_call(devices, target, version, Operation::Update, sql).await?;
    axl::rows_updated(version, &reply, sequence).map_err(|e| {
        let text = crate::secrets::mask(&format!(
            "executeSQLUpdate `{sql}` on {}: {e}",
            target.base_url
        ));
        AxlFailure::Answer(e, text)
    })
}

/// The states of `services` on the node `target` names (its own ControlCenterServices).
pub async fn services(
    devices: &Devices,
    target: &HttpsTarget,
    services: &[&str],
) -> Result<Report, String> {
    let what = format!("soapGetServiceStatus {}", services.join(", "));
    let reply = send(
        devices,
        target,
        &control_center::status_request(services),
        &what,
    )
    .await?;
    control_center::report(&reply).map_err(|e| format!("{what} on {}: {e}", target.base_url))
}

/// `control` (Start or Restart) of `services` on the node `target` names.
pub async fn control(
    devices: &Devices,
    target: &HttpsTarget,
    control: Control,
    services: &[&str],
) -> Result<Report, String> {
    let what = format!(
        "soapDoControlServices {} {}",
        control.name(),
        services.join(", ")
    );
    let reply = send(
        devices,
        target,
        &control_center::control_request(control, services),
        &what,
    )
    .await?;
    control_center::report(&reply).map_err(|e| format!("{what} on {}: {e}", target.base_url))
}
