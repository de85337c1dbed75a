//! The trust policy on real TLS handshakes (the line transport over TLS, as CGP on 1106 uses it).

use crate::line::{toy_server, toy_target};
use crate::support::lab_tls;
use std::time::Duration;
use tokio::time::Instant;
use uccluster::backoff::retry;
use uccluster::transport::line::{LinePool, LineTarget};
use uccluster::transport::tls::TrustPolicy;
use uccluster::transport::TransportError;

/// One request the way a resource step makes it: retried with backoff while the error is
/// retryable.
async fn echo_with_retries(target: &LineTarget) -> Result<Vec<u8>, TransportError> {
    let pool = LinePool::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    retry(5, deadline, TransportError::is_retryable, |_| async {
        pool.session(target).await.request("ECHO tls").await
    })
    .await
}

#[tokio::test]
async fn the_lab_ca_is_trusted_through_its_bundle() {
    let lab = lab_tls();
    let toy = toy_server(Some(lab.server.clone())).await;
    let target = toy_target(
        toy.server.port,
        Some(TrustPolicy::CaBundle(lab.ca_file.clone())),
    );
    assert_eq!(echo_with_retries(&target).await.unwrap(), b"200 tls\r\n");
    assert_eq!(toy.server.connections(), 1);
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_a_certificate_error_never_retried() {
    let (lab, other) = (lab_tls(), lab_tls());
    let toy = toy_server(Some(lab.server.clone())).await;
    let target = toy_target(
        toy.server.port,
        Some(TrustPolicy::CaBundle(other.ca_file.clone())),
    );
    let e = echo_with_retries(&target).await.unwrap_err();
    assert!(
        matches!(&e, TransportError::Certificate { message, .. } if message == "invalid peer certificate: BadSignature"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    assert_eq!(toy.server.connections(), 1, "one attempt, no retry");
    assert!(toy.log.lock().unwrap().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_pinned_leaf_is_trusted_and_any_other_refused() {
    let (lab, other) = (lab_tls(), lab_tls());
    let toy = toy_server(Some(lab.server.clone())).await;
    let pinned = toy_target(
        toy.server.port,
        Some(TrustPolicy::PinnedSha256(lab.leaf_fingerprint)),
    );
    assert_eq!(echo_with_retries(&pinned).await.unwrap(), b"200 tls\r\n");
    let elsewhere = toy_target(
        toy.server.port,
        Some(TrustPolicy::PinnedSha256(other.leaf_fingerprint)),
    );
    let e = echo_with_retries(&elsewhere).await.unwrap_err();
    let expected = format!(
        "invalid peer certificate: the certificate's SHA-256 fingerprint is {}, not the pinned {}",
        lab.leaf_fingerprint, other.leaf_fingerprint
    );
    assert!(
        matches!(&e, TransportError::Certificate { message, .. } if *message == expected),
        "{e:?}"
    );
    assert_eq!(toy.server.connections(), 2, "one connection each, no retry");
}

#[tokio::test]
async fn the_insecure_opt_out_accepts_an_unknown_certificate() {
    let lab = lab_tls();
    let toy = toy_server(Some(lab.server.clone())).await;
    let target = toy_target(
        toy.server.port,
        Some(TrustPolicy::InsecureAcceptAnyCertificate),
    );
    assert_eq!(echo_with_retries(&target).await.unwrap(), b"200 tls\r\n");
}

#[tokio::test]
async fn the_system_store_does_not_vouch_for_a_lab_certificate() {
    let lab = lab_tls();
    let toy = toy_server(Some(lab.server.clone())).await;
    let target = toy_target(toy.server.port, Some(TrustPolicy::SystemStore));
    let e = echo_with_retries(&target).await.unwrap_err();
    assert!(
        matches!(&e, TransportError::Certificate { message, .. } if message == "invalid peer certificate: UnknownIssuer"),
        "{e:?}"
    );
    assert!(toy.server.connections() <= 1, "never retried");
}
