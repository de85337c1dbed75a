//! The Cisco Meeting Server REST API of one node (its Web Admin) over the node's HTTPS client:
//! the provider block's API account and trust, and the reads and writes resources make with
//! `devices::cms::rest`'s requests. Every error names the request (`PUT /api/v1/...`) and the
//! node, in the device's words, masked.

use super::{Devices, HttpsAuth, HttpsRequest, HttpsTarget, TransportError, TrustPolicy};
use crate::backoff::Backoff;
use crate::devices::cms::rest::{self, AnswerError, Collection, Object};
use std::num::NonZeroUsize;
use std::time::Duration;

/// A list longer than this many pages is refused, so a device that never ends its list cannot
/// keep a read going (the API's own limits are far below: 8 Call Bridges, a few Web Bridges).
const MAX_PAGES: usize = 1000;

/// The provider block's REST API settings (`api_*`).
#[derive(Clone, Debug)]
pub struct ApiSettings {
    pub username: Option<String>,
    pub password: Option<String>,
    pub trust: TrustPolicy,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl ApiSettings {
    /// The API of the node whose Web Admin is at `host:port`.
    pub fn target(&self, host: &str, port: u16) -> Result<HttpsTarget, String> {
        let (Some(username), Some(password)) = (&self.username, &self.password) else {
            return Err("no REST API account: set api_username and api_password in the provider block (an MMP user with the appadmin role, e.g. a cms_mmp_user), or CMS_API_USERNAME and CMS_API_PASSWORD".into());
        };
        Ok(HttpsTarget {
            base_url: match host.contains(':') {
                true => format!("https://[{host}]:{port}"),
                false => format!("https://{host}:{port}"),
            },
            trust: self.trust.clone(),
            auth: HttpsAuth::Basic {
                username: username.clone(),
                password: password.clone(),
            },
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            busy_deadline: Duration::from_secs(60),
            busy_backoff: Backoff::new(Duration::from_millis(250), Duration::from_secs(5)),
            busy: None,
            // Web Admin serves the API from one process; a few requests at once are plenty.
            concurrency_cap: NonZeroUsize::new(4),
            max_reply_bytes: 4 << 20,
        })
    }
}

/// Why a request to the API failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// Unreachable, refused login, untrusted certificate, lost connection.
    Transport(TransportError),
    /// The node answered, refusing or unreadably.
    Answer {
        endpoint: String,
        request: String,
        error: AnswerError,
    },
}

impl ApiError {
    /// The object the request named does not exist.
    pub fn is_missing(&self) -> bool {
        matches!(self, ApiError::Answer { error: AnswerError::Refused(r), .. } if r.is_missing())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            ApiError::Transport(e) => e.to_string(),
            ApiError::Answer {
                endpoint,
                request,
                error,
            } => format!("`{request}` on {endpoint}: the API answered {error}"),
        };
        f.write_str(&crate::secrets::mask(&text))
    }
}

/// `METHOD /path`, and the parameter names of a body (never their values: one may be a secret).
fn describe(request: &HttpsRequest) -> String {
    let line = format!("{} {}", request.method, request.path);
    let body = String::from_utf8_lossy(&request.body);
    let names: Vec<&str> = body
        .split('&')
        .filter_map(|p| p.split_once('=').map(|(n, _)| n))
        .collect();
    match names.is_empty() {
        true => line,
        false => format!("{line} ({})", names.join(", ")),
    }
}

/// One node's API.
pub struct Api<'d> {
    pub devices: &'d Devices,
    pub target: HttpsTarget,
}

impl Api<'_> {
    pub fn endpoint(&self) -> String {
        self.target.base_url.clone()
    }

    async fn send<T>(
        &self,
        request: HttpsRequest,
        read: impl FnOnce(&crate::client::HttpsReply) -> Result<T, AnswerError>,
    ) -> Result<T, ApiError> {
        let turn = self
            .devices
            .https(&self.target)
            .await
            .map_err(ApiError::Transport)?;
        let reply = turn.send(&request).await.map_err(ApiError::Transport)?;
        read(&reply).map_err(|error| ApiError::Answer {
            endpoint: self.endpoint(),
            request: describe(&request),
            error,
        })
    }

    /// The object at `path`, under root element `root`.
    pub async fn get(&self, path: &str, root: &str) -> Result<Object, ApiError> {
        self.send(rest::get(path), |r| rest::object(r, root)).await
    }

    /// Every object of `collection` (the list's fields only), page by page until `total`.
    pub async fn list(&self, collection: &Collection) -> Result<Vec<Object>, ApiError> {
        let mut objects: Vec<Object> = Vec::new();
        for _ in 0..MAX_PAGES {
            let (total, page) = self
                .send(rest::page(collection, objects.len()), |r| {
                    rest::page_of(r, collection)
                })
                .await?;
            let empty = page.is_empty();
            objects.extend(page);
            // An empty page ends it too: objects deleted meanwhile make `total` stale.
            if objects.len() >= total || empty {
                return Ok(objects);
            }
        }
        Err(ApiError::Answer {
            endpoint: self.endpoint(),
            request: format!("GET {}", collection.path),
            error: AnswerError::Unreadable(format!(
                "more than {MAX_PAGES} pages; the list does not end"
            )),
        })
    }

    /// Every object of `collection` with all its fields (one GET per object).
    pub async fn list_full(&self, collection: &Collection) -> Result<Vec<Object>, ApiError> {
        let mut full = Vec::new();
        for listed in self.list(collection).await? {
            let id = listed.id.clone().unwrap_or_default();
            match self
                .get(&rest::object_path(collection, &id), collection.item)
                .await
            {
                Ok(o) => full.push(Object { id: Some(id), ..o }),
                // Deleted between the list and the read.
                Err(e) if e.is_missing() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(full)
    }

    /// Create an object in `collection`; its id.
    pub async fn create(
        &self,
        collection: &Collection,
        params: &[(&str, &str)],
    ) -> Result<String, ApiError> {
        self.send(rest::create(collection, params), |r| {
            rest::created_id(r, collection)
        })
        .await
    }

    /// Change `params` of the object at `path`.
    pub async fn update(&self, path: &str, params: &[(&str, &str)]) -> Result<(), ApiError> {
        self.send(rest::update(path, params), rest::accepted).await
    }

    /// Delete the object at `path`; one already gone is fine.
    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        match self.send(rest::delete(path), rest::accepted).await {
            Err(e) if e.is_missing() => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_described_without_its_values() {
        let r = rest::update(
            rest::XMPP_PATH,
            &[("uniqueName", "cb1"), ("sharedSecret", "s3cr3t")],
        );
        assert_eq!(
            describe(&r),
            "PUT /api/v1/system/configuration/xmpp (uniqueName, sharedSecret)"
        );
        assert_eq!(
            describe(&rest::get(rest::CLUSTER_PATH)),
            "GET /api/v1/system/configuration/cluster"
        );
    }

    #[test]
    fn no_target_without_an_account() {
        let settings = ApiSettings {
            username: Some("api".into()),
            password: None,
            trust: TrustPolicy::SystemStore,
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(1),
        };
        let Err(e) = settings.target("10.0.0.1", 445) else {
            panic!("a target without a password");
        };
        assert!(e.contains("api_password"), "{e}");
        let t = ApiSettings {
            password: Some("pw".into()),
            ..settings
        }
        .target("fd00::1", 445)
        .unwrap();
        assert_eq!(t.base_url, "https://[fd00::1]:445");
    }
}
