//! The F5 BIG-IP backend: iControl REST over HTTPS with a token login (devices::lb::f5), the
//! device's certificate checked by the provider block's trust policy. One shared read is the
//! partition's six collections; a change creates what is missing and patches what exists, in
//! the order BIG-IP needs references to exist.

use super::backend::{Balancer, Found, Wanted};
use crate::backoff::Backoff;
use crate::client::{Devices, HttpsAuth, HttpsReply, HttpsRequest, HttpsTarget, TrustPolicy};
use crate::devices::lb::f5::F5Login;
use crate::devices::lb::f5::{
    delete_paths, delete_request, error_message, get_request, objects, parse_site, read_requests,
    SiteReport,
};
use crate::devices::lb::rules::{At, Finding};
use crate::devices::lb::virtual_server::{Forwarding, VirtualServer};
use crate::resources::step::StepError;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Requests in flight to one BIG-IP at once: its REST framework serves a handful well
/// (devices.md §4).
pub const CONCURRENCY: usize = 4;

/// The HTTPS target of a BIG-IP at `base_url`: token login (`F5Login`), busy answers retried.
pub fn https_target(
    base_url: String,
    trust: TrustPolicy,
    username: String,
    password: String,
    request_timeout: Duration,
) -> HttpsTarget {
    HttpsTarget {
        base_url,
        trust,
        auth: HttpsAuth::Token {
            username,
            password,
            login: Arc::new(F5Login),
        },
        connect_timeout: Duration::from_secs(15),
        request_timeout,
        busy_deadline: Duration::from_secs(120),
        busy_backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(5)),
        busy: None,
        concurrency_cap: NonZeroUsize::new(CONCURRENCY),
        max_reply_bytes: 32 << 20,
    }
}

pub struct F5 {
    pub devices: Devices,
    pub target: HttpsTarget,
    pub partition: String,
}

/// BIG-IP's limit on a member's ratio (the simulator and go-bigip: 1 to 65535); a pool has no
/// documented member limit below what an operator can review.
pub const MAX_MEMBERS: usize = 1024;

fn command(request: &HttpsRequest) -> String {
    format!("{} {}", request.method, request.path)
}

impl F5 {
    async fn send(&self, request: &HttpsRequest) -> Result<HttpsReply, StepError> {
        let turn = self.devices.https(&self.target).await?;
        Ok(turn.send(request).await?)
    }

    /// `request`'s 2xx reply; another status is the device's own message. `gone_ok`: a 404
    /// counts as done (a delete of what is already gone).
    async fn call(&self, request: &HttpsRequest, gone_ok: bool) -> Result<HttpsReply, StepError> {
        let reply = self.send(request).await?;
        match reply.status {
            200..=299 => Ok(reply),
            404 if gone_ok => Ok(reply),
            status => Err(StepError::Device {
                endpoint: self.target.base_url.clone(),
                command: command(request),
                message: error_message(status, &reply.body),
            }),
        }
    }

    /// The partition as BIG-IP reports it, in the six requests of the shared read.
    async fn site(&self) -> Result<SiteReport, StepError> {
        let mut replies = Vec::new();
        for path in read_requests(&self.partition) {
            let reply = self.call(&get_request(&path), false).await?;
            replies.push((path, reply.body));
        }
        parse_site(&replies, &self.partition).map_err(|message| StepError::Output {
            endpoint: self.target.base_url.clone(),
            command: "GET /mgmt/tm/ltm/... (virtuals, pools, addresses, profiles, monitors)".into(),
            message,
        })
    }
}

#[async_trait::async_trait]
impl Balancer for F5 {
    fn kind(&self) -> &'static str {
        "f5"
    }

    fn refuse(&self, wanted: &Wanted) -> Vec<Finding> {
        let vs = &wanted.vs;
        let mut out = Vec::new();
        if vs.members.len() > MAX_MEMBERS {
            out.push(Finding {
                at: At::Attribute("member"),
                summary: "Too many members",
                detail: format!("this backend takes at most {MAX_MEMBERS} members per pool"),
            });
        }
        out
    }

    fn unheld(&self) -> &'static [&'static str] {
        &["ipvs"]
    }

    fn settle(&self, reported: &mut VirtualServer, configured: &VirtualServer) {
        // BIG-IP has one switch, translateAddress: DSR and no translation read the same.
        if reported.forwarding == Forwarding::NoTranslation
            && configured.forwarding == Forwarding::DirectRouting
        {
            reported.forwarding = Forwarding::DirectRouting;
        }
        // A custom fastL4 profile lists every setting, inherited ones too: only the ones the
        // configuration sets are compared.
        let (r, c) = (&mut reported.f5, &configured.f5);
        if c.idle_timeout.is_none() {
            r.idle_timeout = None;
        }
        if c.tcp_handshake_timeout.is_none() {
            r.tcp_handshake_timeout = None;
        }
        if c.tcp_close_timeout.is_none() {
            r.tcp_close_timeout = None;
        }
        if c.loose_initiation.is_none() {
            r.loose_initiation = None;
        }
        if c.loose_close.is_none() {
            r.loose_close = None;
        }
        if c.software_syncookie.is_none() {
            r.software_syncookie = None;
        }
    }

    async fn read_all(&self, _deadline: Instant) -> Result<Vec<Found>, StepError> {
        Ok(self
            .site()
            .await?
            .virtual_servers
            .into_iter()
            .map(|reported| Found {
                reported,
                one_packet: false,
                foreign: Vec::new(),
            })
            .collect())
    }

    fn find(&self, all: &[Found], vs: &VirtualServer) -> Option<Found> {
        all.iter().find(|f| f.reported.vs.name == vs.name).cloned()
    }

    async fn apply(
        &self,
        wanted: &Wanted,
        _current: Option<&Found>,
        _deadline: Instant,
    ) -> Result<(), StepError> {
        let site = self.site().await?;
        if let Some(Err(reason)) = site.virtual_server(&wanted.vs.name) {
            return Err(StepError::Device {
                endpoint: self.target.base_url.clone(),
                command: format!("virtual {}", wanted.vs.name),
                message: format!(
                    "the virtual server exists but is not one this resource can manage: {reason}"
                ),
            });
        }
        // Monitors and profiles before the pool and virtual that name them.
        for object in objects(&wanted.vs, &self.partition) {
            let request = match site.exists(object.collection, &object.name) {
                false => object.create_request(),
                true => object.patch_request(&self.partition),
            };
            self.call(&request, false).await?;
        }
        Ok(())
    }

    async fn remove(&self, current: &Found, _deadline: Instant) -> Result<(), StepError> {
        let site = self.site().await?;
        for path in delete_paths(&current.reported.vs, &self.partition, &site) {
            self.call(&delete_request(&path), true).await?;
        }
        Ok(())
    }

    fn import_id(&self, vs: &VirtualServer) -> String {
        vs.name.clone()
    }
}
