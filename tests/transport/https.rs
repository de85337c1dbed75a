//! The HTTPS client against a small HTTP/1.1 server over TLS on 127.0.0.1: authentication,
//! token renewal, busy answers and unparsed replies.

use crate::support::{lab_tls, Io, LabTls, Server};
use base64::Engine;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::time::Instant;
use uccluster::backoff::{retry, Backoff};
use uccluster::transport::https::{
    BusyAnswer, HttpsAuth, HttpsPool, HttpsReply, HttpsRequest, HttpsTarget, Method, TokenLogin,
};
use uccluster::transport::tls::TrustPolicy;
use uccluster::transport::TransportError;

const PASSWORD: &str = "https-s3cret-pw";

#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    token: Option<String>,
    body: Vec<u8>,
}

/// status, extra headers, body
type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);
type Handler = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

struct Api {
    server: Server,
    seen: Arc<Mutex<Vec<Seen>>>,
    lab: LabTls,
}

impl Api {
    fn count(&self, path: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path == path)
            .count()
    }
}

async fn serve(io: Box<dyn Io>, seen: Arc<Mutex<Vec<Seen>>>, handler: Handler) {
    let mut io = BufReader::new(io);
    loop {
        let mut line = String::new();
        if !matches!(io.read_line(&mut line).await, Ok(n) if n > 0) {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let (mut length, mut authorization, mut token) = (0, None, None);
        loop {
            let mut header = String::new();
            if !matches!(io.read_line(&mut header).await, Ok(n) if n > 0) {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (name, value) = header.split_once(':').unwrap_or((header, ""));
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "authorization" => authorization = Some(value.trim().to_string()),
                "x-test-token" => token = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        if io.read_exact(&mut body).await.is_err() {
            return;
        }
        let request = Seen {
            method,
            path,
            authorization,
            token,
            body,
        };
        seen.lock().unwrap().push(request.clone());
        let (status, headers, body) = handler(&request);
        let mut head = format!(
            "HTTP/1.1 {status} Answer\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let out = io.get_mut();
        if out.write_all(head.as_bytes()).await.is_err() || out.write_all(&body).await.is_err() {
            return;
        }
    }
}

async fn api(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Api {
    let lab = lab_tls();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let handler: Handler = Arc::new(handler);
    let s = seen.clone();
    let server = Server::start(Some(lab.server.clone()), move |io| {
        serve(io, s.clone(), handler.clone())
    })
    .await;
    Api { server, seen, lab }
}

fn basic() -> HttpsAuth {
    uccluster::secrets::register(PASSWORD);
    HttpsAuth::Basic {
        username: "axl-admin".into(),
        password: PASSWORD.into(),
    }
}

fn target(api: &Api, auth: HttpsAuth) -> HttpsTarget {
    HttpsTarget {
        base_url: format!("https://127.0.0.1:{}", api.server.port),
        trust: TrustPolicy::CaBundle(api.lab.ca_file.clone()),
        auth,
        connect_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(10),
        busy_deadline: Duration::from_secs(60),
        busy_backoff: Backoff::new(Duration::from_millis(1), Duration::from_millis(1)),
        busy: None,
        concurrency_cap: None,
        max_reply_bytes: 1 << 20,
    }
}

/// `request` on `target` through `pool`, as a provider sends it.
async fn send(
    pool: &HttpsPool,
    target: &HttpsTarget,
    request: &HttpsRequest,
) -> Result<HttpsReply, TransportError> {
    pool.https(target).await?.send(request).await
}

fn get(path: &str) -> HttpsRequest {
    HttpsRequest {
        method: Method::GET,
        path: path.into(),
        headers: vec![],
        body: vec![],
    }
}

fn ok(body: &str) -> Answer {
    (
        200,
        vec![("X-Device", "yes".into())],
        body.as_bytes().to_vec(),
    )
}

#[tokio::test]
async fn basic_auth_and_unparsed_answers_over_one_kept_connection() {
    let api = api(|seen| match seen.path.as_str() {
        "/fault" => (500, vec![], b"<soap:Fault>boom</soap:Fault>".to_vec()),
        _ => ok("{\"items\":[]}"),
    })
    .await;
    let target = target(&api, basic());
    let pool = HttpsPool::default();
    let post = HttpsRequest {
        method: Method::POST,
        path: "/axl/".into(),
        headers: vec![("SOAPAction", "\"CUCM:DB ver=14.0 listPhone\"".into())],
        body: b"<envelope/>".to_vec(),
    };
    let reply = send(&pool, &target, &post).await.unwrap();
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"{\"items\":[]}"[..])
    );
    assert_eq!(
        reply.headers.get("x-device").map(|v| v.as_bytes()),
        Some(&b"yes"[..])
    );
    // Any other status is the device's answer, handed back as it is.
    let fault = send(&pool, &target, &get("/fault")).await.unwrap();
    assert_eq!(
        (fault.status, fault.body.as_slice()),
        (500, &b"<soap:Fault>boom</soap:Fault>"[..])
    );
    let seen = api.seen.lock().unwrap().clone();
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("axl-admin:{PASSWORD}"));
    assert!(seen
        .iter()
        .all(|s| s.authorization.as_deref() == Some(&format!("Basic {credentials}"))));
    assert_eq!(
        (seen[0].method.as_str(), seen[0].body.as_slice()),
        ("POST", &b"<envelope/>"[..])
    );
    assert_eq!(api.server.connections(), 1, "the connection is kept alive");
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error_never_retried() {
    for status in [401, 403] {
        let api = api(move |_| (status, vec![], b"denied".to_vec())).await;
        let target = target(&api, basic());
        let pool = HttpsPool::default();
        let deadline = Instant::now() + Duration::from_secs(30);
        let e = retry(5, deadline, TransportError::is_retryable, |_| async {
            send(&pool, &target, &get("/axl/")).await
        })
        .await
        .unwrap_err();
        assert!(
            matches!(&e, TransportError::Auth { username, hint, .. } if username == "axl-admin" && *hint == format!("GET /axl/ answered HTTP {status}")),
            "{e:?}"
        );
        assert_eq!(api.count("/axl/"), 1, "{status} is not retried");
        assert!(!e.to_string().contains(PASSWORD));
    }
}

/// A token login in the shape of F5's: POST a JSON body, read the token from the answer.
struct TestLogin;

impl TokenLogin for TestLogin {
    fn login_request(&self, username: &str, password: &str) -> HttpsRequest {
        HttpsRequest {
            method: Method::POST,
            path: "/login".into(),
            headers: vec![("Content-Type", "application/json".into())],
            body: serde_json::json!({ "username": username, "password": password })
                .to_string()
                .into_bytes(),
        }
    }

    fn token(&self, reply: &HttpsReply) -> Result<String, String> {
        String::from_utf8(reply.body.clone())
            .ok()
            .filter(|t| t.starts_with("tok-"))
            .ok_or_else(|| "no token in the answer".to_string())
    }

    fn header(&self) -> &'static str {
        "X-Test-Token"
    }
}

fn token_auth() -> HttpsAuth {
    uccluster::secrets::register(PASSWORD);
    HttpsAuth::Token {
        username: "admin".into(),
        password: PASSWORD.into(),
        login: Arc::new(TestLogin),
    }
}

/// Logins hand out `tok-1`, `tok-2`, ...; the API accepts only tokens in `valid`.
async fn token_api(valid: &'static [&'static str]) -> Api {
    let logins = AtomicUsize::new(0);
    api(move |seen| match seen.path.as_str() {
        "/login" => {
            let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
            ok(&format!("tok-{n}"))
        }
        _ if seen.token.as_deref().is_some_and(|t| valid.contains(&t)) => ok("pool list"),
        _ => (
            401,
            vec![],
            b"{\"code\":401,\"message\":\"X-F5-Auth-Token is invalid\"}".to_vec(),
        ),
    })
    .await
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_new_one_kept() {
    let api = token_api(&["tok-2"]).await;
    let target = target(&api, token_auth());
    let pool = HttpsPool::default();
    let reply = send(&pool, &target, &get("/mgmt/tm/ltm/pool"))
        .await
        .unwrap();
    assert_eq!(
        (reply.status, reply.body.as_slice()),
        (200, &b"pool list"[..])
    );
    assert_eq!(
        (api.count("/login"), api.count("/mgmt/tm/ltm/pool")),
        (2, 2)
    );
    // The renewed token serves the next request without another login.
    send(&pool, &target, &get("/mgmt/tm/ltm/pool"))
        .await
        .unwrap();
    assert_eq!(
        (api.count("/login"), api.count("/mgmt/tm/ltm/pool")),
        (2, 3)
    );
    let login = &api.seen.lock().unwrap()[0];
    assert_eq!(login.method, "POST");
    assert!(String::from_utf8_lossy(&login.body).contains(PASSWORD));
}

#[tokio::test]
async fn a_token_refused_again_after_renewal_is_an_auth_error() {
    let api = token_api(&[]).await;
    let target = target(&api, token_auth());
    let e = send(&HttpsPool::default(), &target, &get("/mgmt/tm/ltm/pool"))
        .await
        .unwrap_err();
    assert!(matches!(e, TransportError::Auth { .. }), "{e:?}");
    assert_eq!(
        (api.count("/login"), api.count("/mgmt/tm/ltm/pool")),
        (2, 2),
        "renewed exactly once"
    );
    assert!(!e.to_string().contains("tok-"), "tokens are masked: {e}");
}

#[tokio::test]
async fn busy_answers_are_asked_again_until_the_device_answers() {
    let n = AtomicUsize::new(0);
    let api = api(move |_| match n.fetch_add(1, Ordering::SeqCst) {
        0 => (503, vec![], b"Service Unavailable".to_vec()),
        1 => (429, vec![("Retry-After", "1".into())], vec![]),
        _ => ok("done"),
    })
    .await;
    let target = target(&api, basic());
    let reply = send(&HttpsPool::default(), &target, &get("/axl/"))
        .await
        .unwrap();
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"done"[..]));
    assert_eq!(api.count("/axl/"), 3);
}

#[tokio::test]
async fn a_device_busy_past_the_deadline_is_reported_as_busy() {
    let api = api(|_| (503, vec![], vec![])).await;
    let target = HttpsTarget {
        busy_deadline: Duration::ZERO,
        ..target(&api, basic())
    };
    let e = send(&HttpsPool::default(), &target, &get("/axl/"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, TransportError::Busy { attempts: 1, command, .. } if command == "GET /axl/"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(api.count("/axl/"), 1);
}

/// AXL's throttling fault, recognised by what `devices/` would say about the body.
struct AxlThrottle;

impl BusyAnswer for AxlThrottle {
    fn is_busy(&self, reply: &HttpsReply) -> bool {
        String::from_utf8_lossy(&reply.body).contains("Maximum AXL Memory Allocation Consumed")
    }
}

#[tokio::test]
async fn a_throttling_body_is_busy_only_when_devices_say_so() {
    let throttled = || {
        let n = AtomicUsize::new(0);
        move |_: &Seen| match n.fetch_add(1, Ordering::SeqCst) {
            0 => (
                500,
                vec![],
                b"<faultstring>Maximum AXL Memory Allocation Consumed</faultstring>".to_vec(),
            ),
            _ => ok("<return/>"),
        }
    };
    let api_a = api(throttled()).await;
    let with = HttpsTarget {
        busy: Some(Arc::new(AxlThrottle)),
        ..target(&api_a, basic())
    };
    let reply = send(&HttpsPool::default(), &with, &get("/axl/"))
        .await
        .unwrap();
    assert_eq!((reply.status, api_a.count("/axl/")), (200, 2));
    let api_b = api(throttled()).await;
    let without = target(&api_b, basic());
    let reply = send(&HttpsPool::default(), &without, &get("/axl/"))
        .await
        .unwrap();
    assert_eq!((reply.status, api_b.count("/axl/")), (500, 1));
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_certificate_error_never_retried() {
    let api = api(|_| ok("never")).await;
    let other = lab_tls();
    let target = HttpsTarget {
        trust: TrustPolicy::CaBundle(other.ca_file.clone()),
        ..target(&api, basic())
    };
    let pool = HttpsPool::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    let e = retry(5, deadline, TransportError::is_retryable, |_| async {
        send(&pool, &target, &get("/axl/")).await
    })
    .await
    .unwrap_err();
    assert!(
        matches!(&e, TransportError::Certificate { message, .. } if message == "invalid peer certificate: BadSignature"),
        "{e:?}"
    );
    assert_eq!(api.server.connections(), 1, "one attempt");
    assert_eq!(api.count("/axl/"), 0);
    // The pin of the right certificate is trusted on the same server.
    let pinned = HttpsTarget {
        trust: TrustPolicy::PinnedSha256(api.lab.leaf_fingerprint),
        ..target.clone()
    };
    assert_eq!(
        send(&pool, &pinned, &get("/axl/")).await.unwrap().status,
        200
    );
}

/// With a cap of one, requests to one device never overlap, whatever the callers' parallelism.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_cap_bounds_requests_in_flight() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (i, m) = (in_flight.clone(), most.clone());
    let api = api(move |_| {
        let now = i.fetch_add(1, Ordering::SeqCst) + 1;
        m.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
        i.fetch_sub(1, Ordering::SeqCst);
        ok("x")
    })
    .await;
    let target = HttpsTarget {
        concurrency_cap: NonZeroUsize::new(1),
        ..target(&api, basic())
    };
    let pool = Arc::new(HttpsPool::default());
    let calls = (0..4).map(|_| {
        let (pool, target) = (pool.clone(), target.clone());
        tokio::spawn(async move { send(&pool, &target, &get("/axl/")).await })
    });
    for call in futures::future::join_all(calls).await {
        assert_eq!(call.unwrap().unwrap().status, 200);
    }
    assert_eq!(api.count("/axl/"), 4);
    assert_eq!(most.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_retry_after_longer_than_the_backoff_is_waited_for() {
    let n = AtomicUsize::new(0);
    let api = api(move |_| match n.fetch_add(1, Ordering::SeqCst) {
        0 => (503, vec![("Retry-After", "1".into())], vec![]),
        _ => ok("done"),
    })
    .await;
    // The backoff alone would ask again after 1 ms.
    let target = target(&api, basic());
    let started = Instant::now();
    let reply = send(&HttpsPool::default(), &target, &get("/axl/"))
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "asked again before the second the device asked for"
    );
}

#[tokio::test]
async fn an_answer_larger_than_the_bound_is_refused_unread() {
    let api = api(|_| ok(&"x".repeat(4096))).await;
    let small = HttpsTarget {
        max_reply_bytes: 1024,
        ..target(&api, basic())
    };
    let e = send(&HttpsPool::default(), &small, &get("/big"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, TransportError::ReplyTooLarge { limit: 1024, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("larger than 1024 bytes"), "{e}");
    assert_eq!(api.count("/big"), 1, "never asked again");
}
