//! HTTPS to device APIs (F5 iControl REST, the IM&P AXL and serviceability SOAP services).
//!
//! One reqwest client per device and credentials per provider process, keeping its connections
//! alive between requests, with TLS from the device's [`TrustPolicy`] (reqwest brings no roots
//! and no crypto provider of its own). This module knows status codes, not payloads: 401/403
//! are authentication errors (never retried), "busy" answers (503, 429, or a body `devices/`
//! classifies as throttling) are asked again with backoff until a deadline, and every other
//! answer goes back as status, headers and body bytes for `devices/` to parse.

use super::pool::{DevicePool, PoolTarget, SharedTurn};
use super::tls::{rustls_failure, TrustPolicy};
use super::TransportError;
use crate::backoff::Backoff;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub use reqwest::header::HeaderMap;
pub use reqwest::Method;

/// One request, as `devices/` builds it: a path below the device's base URL.
#[derive(Clone, Debug)]
pub struct HttpsRequest {
    pub method: Method,
    /// Starts with `/` (`/mgmt/tm/ltm/pool`, `/axl/`).
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// A device's answer, unparsed.
#[derive(Clone, Debug)]
pub struct HttpsReply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// How a device's token login works (F5: `POST /mgmt/shared/authn/login`, the token in
/// `X-F5-Auth-Token`). Pure: `devices/` builds the request and reads the token out of the reply.
pub trait TokenLogin: Send + Sync {
    fn login_request(&self, username: &str, password: &str) -> HttpsRequest;
    /// The token in a successful (2xx) login reply, or what is wrong with the reply.
    fn token(&self, reply: &HttpsReply) -> Result<String, String>;
    /// The request header that carries the token.
    fn header(&self) -> &'static str;
}

/// Recognises answers that mean "too busy, ask again later" beyond 503 and 429 (AXL answers a
/// throttled request with a fault saying "Maximum AXL Memory Allocation Consumed").
pub trait BusyAnswer: Send + Sync {
    fn is_busy(&self, reply: &HttpsReply) -> bool;
}

#[derive(Clone)]
pub enum HttpsAuth {
    /// HTTP Basic on every request (AXL, serviceability).
    Basic { username: String, password: String },
    /// A token from `login`, cached per client and renewed once when a request is refused.
    Token {
        username: String,
        password: String,
        login: Arc<dyn TokenLogin>,
    },
}

impl HttpsAuth {
    fn username(&self) -> &str {
        match self {
            HttpsAuth::Basic { username, .. } | HttpsAuth::Token { username, .. } => username,
        }
    }

    fn password(&self) -> &str {
        match self {
            HttpsAuth::Basic { password, .. } | HttpsAuth::Token { password, .. } => password,
        }
    }
}

/// Everything needed to reach one device's HTTPS API. Secrets are registered with
/// [`crate::secrets`] by whoever builds this from configuration.
#[derive(Clone)]
pub struct HttpsTarget {
    /// `https://host[:port]`, without a path.
    pub base_url: String,
    pub trust: TrustPolicy,
    pub auth: HttpsAuth,
    pub connect_timeout: Duration,
    /// For one request's complete answer.
    pub request_timeout: Duration,
    /// How long busy answers are asked again, and how the waits between them grow.
    pub busy_deadline: Duration,
    pub busy_backoff: Backoff,
    pub busy: Option<Arc<dyn BusyAnswer>>,
    /// Requests in flight to this device at once (AXL: 1); `None`: no limit of ours.
    pub concurrency_cap: Option<NonZeroUsize>,
    /// The largest answer body read; a longer one is [`TransportError::ReplyTooLarge`].
    pub max_reply_bytes: usize,
}

impl PoolTarget for HttpsTarget {
    /// A client per base URL, trust and credentials: a token or a connection made under one
    /// trust policy never serves a target that trusts another.
    fn pool_key(&self) -> String {
        format!(
            "{}\0{:?}\0{}\0{}",
            self.base_url,
            self.trust,
            self.auth.username(),
            self.auth.password()
        )
    }

    fn endpoint(&self) -> String {
        self.base_url.clone()
    }

    fn concurrency_cap(&self) -> Option<NonZeroUsize> {
        self.concurrency_cap
    }
}

/// One device's client: reqwest's keep-alive connections and the cached login token.
#[derive(Clone)]
pub struct HttpsClient {
    http: reqwest::Client,
    token: Arc<tokio::sync::Mutex<Option<String>>>,
}

impl HttpsClient {
    fn open(target: &HttpsTarget) -> Result<HttpsClient, TransportError> {
        let endpoint = target.endpoint();
        let tls = target.trust.client_config(&endpoint)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(Arc::unwrap_or_clone(tls))
            .https_only(true)
            // The trust policy names the device: a proxy or a redirect would put another
            // server (or our credentials) in its place.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(target.connect_timeout)
            .build()
            .map_err(|e| TransportError::Connect {
                endpoint,
                message: format!("cannot set up the HTTPS client: {e}"),
            })?;
        Ok(HttpsClient {
            http,
            token: Arc::default(),
        })
    }
}

/// One HTTPS client per device and credentials per provider process.
pub type HttpsPool = DevicePool<HttpsClient>;

/// A task's turn on a device's HTTPS client, under the device's concurrency cap.
pub type HttpsTurn<'a> = SharedTurn<'a, HttpsClient, HttpsTarget>;

impl HttpsPool {
    pub async fn https<'a>(
        &self,
        target: &'a HttpsTarget,
    ) -> Result<HttpsTurn<'a>, TransportError> {
        self.shared(target, |_| true, async { HttpsClient::open(target) })
            .await
    }
}

impl HttpsTurn<'_> {
    /// Send `request` and return the device's answer, asking again while it answers busy.
    pub async fn send(&self, request: &HttpsRequest) -> Result<HttpsReply, TransportError> {
        let target = self.target;
        let deadline = Instant::now() + target.busy_deadline;
        let mut backoff = target.busy_backoff.clone();
        let mut attempts = 1;
        loop {
            let reply = self.authenticated(request).await?;
            let busy = matches!(reply.status, 503 | 429)
                || target.busy.as_ref().is_some_and(|b| b.is_busy(&reply));
            if !busy {
                return Ok(reply);
            }
            match backoff.next_delay(deadline) {
                Some(delay) => {
                    // The device's own `Retry-After` (seconds), when it asks for longer.
                    let delay = retry_after(&reply.headers)
                        .map_or(delay, |asked| asked.max(delay))
                        .min(deadline.saturating_duration_since(Instant::now()));
                    tracing::debug!(endpoint = %target.endpoint(), status = reply.status, attempts, "device busy; asking again");
                    tokio::time::sleep(delay).await;
                    attempts += 1;
                }
                None => {
                    return Err(TransportError::Busy {
                        endpoint: target.endpoint(),
                        command: command(request),
                        attempts,
                        message: format!("HTTP {}", reply.status),
                    })
                }
            }
        }
    }

    /// The answer to `request` with the target's credentials; a refused token is renewed once.
    async fn authenticated(&self, request: &HttpsRequest) -> Result<HttpsReply, TransportError> {
        match &self.target.auth {
            HttpsAuth::Basic { username, password } => {
                let reply = self
                    .exchange(request, Credential::Basic(username, password))
                    .await?;
                self.refused(request, reply)
            }
            HttpsAuth::Token { login, .. } => {
                let token = self.token(None).await?;
                let reply = self
                    .exchange(request, Credential::Header(login.header(), &token))
                    .await?;
                if reply.status != 401 {
                    return self.refused(request, reply);
                }
                // Expired or revoked: the device refused the request, so sending it again
                // with a new token cannot do it twice.
                let token = self.token(Some(&token)).await?;
                let reply = self
                    .exchange(request, Credential::Header(login.header(), &token))
                    .await?;
                self.refused(request, reply)
            }
        }
    }

    /// The cached token, or a new one when there is none or the cached one is `stale`.
    async fn token(&self, stale: Option<&str>) -> Result<String, TransportError> {
        let HttpsAuth::Token {
            username,
            password,
            login,
        } = &self.target.auth
        else {
            return Err(self.auth_error("no token login for this device".into()));
        };
        let mut cached = self.connection.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Some(t.as_str()) != stale) {
            return Ok(token.clone());
        }
        let request = login.login_request(username, password);
        let reply = self.exchange(&request, Credential::None).await?;
        if !(200..300).contains(&reply.status) {
            return Err(self.auth_error(format!(
                "the login ({}) answered HTTP {}",
                command(&request),
                reply.status
            )));
        }
        let token = login
            .token(&reply)
            .map_err(|why| self.auth_error(format!("the login answered without a token: {why}")))?;
        crate::secrets::register(&token);
        Ok(cached.insert(token).clone())
    }

    /// 401 and 403 as authentication errors; any other answer as it is.
    fn refused(
        &self,
        request: &HttpsRequest,
        reply: HttpsReply,
    ) -> Result<HttpsReply, TransportError> {
        match reply.status {
            401 | 403 => Err(self.auth_error(format!(
                "{} answered HTTP {}",
                command(request),
                reply.status
            ))),
            _ => Ok(reply),
        }
    }

    fn auth_error(&self, hint: String) -> TransportError {
        TransportError::Auth {
            endpoint: self.target.endpoint(),
            username: self.target.auth.username().to_string(),
            hint,
        }
    }

    /// One request and its whole answer. Nothing here sends a request twice: once it may have
    /// reached the device, a failure is reported, not retried.
    async fn exchange(
        &self,
        request: &HttpsRequest,
        credential: Credential<'_>,
    ) -> Result<HttpsReply, TransportError> {
        let target = self.target;
        let endpoint = target.endpoint();
        let url = format!("{}{}", target.base_url.trim_end_matches('/'), request.path);
        let mut builder = self
            .connection
            .http
            .request(request.method.clone(), url)
            .timeout(target.request_timeout)
            .body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        builder = match credential {
            Credential::None => builder,
            Credential::Basic(user, password) => builder.basic_auth(user, Some(password)),
            Credential::Header(name, value) => builder.header(name, value),
        };
        tracing::debug!(endpoint = %endpoint, request = %crate::secrets::mask(&command(request)), "https");
        let failed = |e: reqwest::Error| match rustls_failure(&e) {
            Some(message) => TransportError::Certificate {
                endpoint: endpoint.clone(),
                message,
            },
            None if e.is_connect() || e.is_builder() => TransportError::Connect {
                endpoint: endpoint.clone(),
                message: innermost(&e),
            },
            None if e.is_timeout() => TransportError::Timeout {
                endpoint: endpoint.clone(),
                command: command(request),
                after: target.request_timeout,
                last_output: String::new(),
            },
            None => TransportError::ConnectionLost {
                endpoint: endpoint.clone(),
                command: command(request),
            },
        };
        let mut response = builder.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let too_large = || TransportError::ReplyTooLarge {
            endpoint: endpoint.clone(),
            command: command(request),
            limit: target.max_reply_bytes,
        };
        if response
            .content_length()
            .is_some_and(|n| n > target.max_reply_bytes as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > target.max_reply_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(endpoint = %endpoint, status, bytes = body.len(), "https answer");
        Ok(HttpsReply {
            status,
            headers,
            body,
        })
    }
}

/// `Retry-After` in delta-seconds (RFC 9110 §10.2.3); the HTTP-date form is left to the backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

enum Credential<'a> {
    None,
    Basic(&'a str, &'a str),
    Header(&'static str, &'a str),
}

/// `METHOD /path`, as errors name a request.
fn command(request: &HttpsRequest) -> String {
    format!("{} {}", request.method, request.path)
}

/// The innermost cause's text (reqwest wraps hyper's, which wraps the socket's).
fn innermost(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
