//! The SSH/MMP transport against the simulated MMP: login methods, host key policies, one
//! pooled session per device, serialization, timeouts and the errors users see.

use std::sync::Arc;
use std::time::{Duration, Instant};
use uccluster::devices::cms::prompt::MmpPrompt;
use uccluster::transport::host_key::HostKeyPolicy;
use uccluster::transport::interactive_shell::{PromptAnswer, ShellPool};
use uccluster::transport::ssh::{SshAuth, SshTarget};
use uccluster::transport::TransportError;
use uccluster_lab::cms_mmp::{CmsNode, CmsNodeConfig};

async fn node(name: &str) -> CmsNode {
    CmsNode::start(CmsNodeConfig {
        hostname: name.into(),
        bind: "127.0.0.1".parse().unwrap(),
        port: 0,
        username: "admin".into(),
        password: "lab-password-1".into(),
        xmpp_domain: "conf.example.com".into(),
    })
    .await
    .unwrap()
}

fn target(node: &CmsNode) -> SshTarget {
    SshTarget {
        host: node.addr().ip().to_string(),
        port: node.addr().port(),
        username: "admin".into(),
        auth: SshAuth::Password("lab-password-1".into()),
        host_key: HostKeyPolicy::Pinned(node.control().host_key_fingerprint()),
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(5),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_per_device_for_many_commands() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let t = target(&n);
    for _ in 0..5 {
        let mut s = pool.session(&t).await;
        assert_eq!(s.run("hostname", &[]).await.unwrap(), "cms1");
    }
    assert_eq!(n.control().total_logins(), 1, "the session is reused");
    assert_eq!(n.control().active_sessions(), 1);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_read_runs_once_until_a_command_may_change_the_device() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let t = target(&n);
    let lists = || {
        n.control()
            .command_log()
            .iter()
            .filter(|c| *c == "xmpp callbridge list")
            .count()
    };
    for _ in 0..3 {
        let mut s = pool.session(&t).await;
        s.run_shared_read("xmpp callbridge list").await.unwrap();
    }
    assert_eq!(lists(), 1, "three readers, one listing");
    let answer = [PromptAnswer {
        question: "Enter callbridge secret",
        reply: "s3cret-Shared-1".into(),
    }];
    pool.session(&t)
        .await
        .run("xmpp callbridge add-secret cb1", &answer)
        .await
        .unwrap();
    let listed = pool
        .session(&t)
        .await
        .run_shared_read("xmpp callbridge list")
        .await
        .unwrap();
    assert_eq!(lists(), 2, "a command ended the shared read");
    assert!(listed.contains("cb1"), "{listed}");
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_device_serialized_different_devices_parallel() {
    let (a, b) = (node("cms1").await, node("cms2").await);
    a.control().set_reply_delay(Duration::from_millis(300));
    b.control().set_reply_delay(Duration::from_millis(300));
    let pool = Arc::new(ShellPool::new(&MmpPrompt));
    // Warm up both sessions so login time does not blur the measurement.
    for t in [target(&a), target(&b)] {
        pool.session(&t).await.run("hostname", &[]).await.unwrap();
    }
    let run = |t: SshTarget| {
        let pool = pool.clone();
        tokio::spawn(async move { pool.session(&t).await.run("hostname", &[]).await.unwrap() })
    };
    let start = Instant::now();
    let jobs = [run(target(&a)), run(target(&b))];
    for j in jobs {
        j.await.unwrap();
    }
    let parallel = start.elapsed();
    let start = Instant::now();
    let jobs = [run(target(&a)), run(target(&a))];
    for j in jobs {
        j.await.unwrap();
    }
    let serial = start.elapsed();
    // Two devices overlap (~300ms); two commands on one device queue (~600ms).
    assert!(
        serial >= Duration::from_millis(600),
        "one device serializes: {serial:?}"
    );
    assert!(
        parallel < serial,
        "different devices run in parallel: {parallel:?} vs {serial:?}"
    );
    assert_eq!(a.control().total_logins(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_question_is_answered_and_device_errors_are_returned_as_text() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let t = target(&n);
    let mut s = pool.session(&t).await;
    let answer = [PromptAnswer {
        question: "secret",
        reply: "typedSecret123".into(),
    }];
    let out = s
        .run("xmpp callbridge add-secret cb1", &answer)
        .await
        .unwrap();
    assert_eq!(
        out, "Enter callbridge secret:\nSuccess",
        "the dialogue as the terminal shows it; the secret itself is not echoed"
    );
    assert_eq!(
        n.control().callbridges(),
        vec![("cb1".into(), "typedSecret123".into())]
    );
    let out = s.run("xmpp callbridge del nope", &[]).await.unwrap();
    assert_eq!(out, "Failure: callbridge nope not found");
    // A question nobody expected is reported, not waited on until the timeout.
    let err = s
        .run("xmpp callbridge add-secret cb2", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::UnexpectedQuestion { ref question, .. } if question.contains("Enter callbridge secret")),
        "{err}"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_and_host_keys() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let wrong_password = SshTarget {
        auth: SshAuth::Password("wrong-password".into()),
        ..target(&n)
    };
    let err = pool
        .session(&wrong_password)
        .await
        .run("hostname", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Auth { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("rejected the login of user \"admin\""),
        "{err}"
    );

    n.control().set_refuse_login(true);
    let err = pool
        .session(&target(&n))
        .await
        .run("hostname", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Auth { .. }), "{err}");
    n.control().clear_faults();

    let pinned_elsewhere = SshTarget {
        host_key: HostKeyPolicy::Pinned(
            "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into(),
        ),
        ..target(&n)
    };
    let err = pool
        .session(&pinned_elsewhere)
        .await
        .run("hostname", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::HostKey { .. }), "{err}");
    assert!(!err.is_retryable(), "an untrusted key is never retried");
    assert_eq!(
        n.control().total_logins(),
        0,
        "no credentials were sent to an untrusted host"
    );

    let insecure = SshTarget {
        host_key: HostKeyPolicy::InsecureSkip,
        ..target(&n)
    };
    assert_eq!(
        pool.session(&insecure)
            .await
            .run("hostname", &[])
            .await
            .unwrap(),
        "cms1"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_login() {
    let n = node("cms1").await;
    let key =
        russh::keys::PrivateKey::random(&mut rand::rng(), russh::keys::Algorithm::Ed25519).unwrap();
    n.control()
        .authorize_key(&key.public_key().to_openssh().unwrap());
    let pem = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .unwrap()
        .to_string();
    let t = SshTarget {
        auth: SshAuth::PrivateKey {
            key: pem,
            passphrase: None,
        },
        ..target(&n)
    };
    assert_eq!(
        ShellPool::new(&MmpPrompt)
            .session(&t)
            .await
            .run("hostname", &[])
            .await
            .unwrap(),
        "cms1"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_device_times_out_and_the_session_is_replaced() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let t = SshTarget {
        command_timeout: Duration::from_millis(300),
        ..target(&n)
    };
    n.control().set_reply_delay(Duration::from_millis(1500));
    let err = pool
        .session(&t)
        .await
        .run("hostname", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, TransportError::Timeout { .. }), "{err}");
    n.control().clear_faults();
    assert_eq!(
        pool.session(&t).await.run("hostname", &[]).await.unwrap(),
        "cms1"
    );
    assert_eq!(
        n.control().total_logins(),
        2,
        "a timed-out shell is never reused"
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_is_reported_and_the_next_command_reconnects() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let t = target(&n);
    n.control()
        .drop_connection_after("xmpp callbridge add cb1", 1);
    let err = pool
        .session(&t)
        .await
        .run("xmpp callbridge add cb1", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(err, TransportError::ConnectionLost { .. }),
        "{err}"
    );
    assert!(err.is_retryable());
    let listing = pool
        .session(&t)
        .await
        .run("xmpp callbridge list", &[])
        .await
        .unwrap();
    assert!(listing.contains("Callbridge          : cb1"), "{listing}");
    let down = SshTarget {
        port: 1,
        ..target(&n)
    };
    let err = pool
        .session(&down)
        .await
        .run("hostname", &[])
        .await
        .unwrap_err();
    assert!(err.is_unreachable(), "{err}");
    n.stop().await;
}

/// The last guard against a second command: a command line or a reply with a control character
/// is never sent, and the shell stays usable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_or_reply_that_would_be_two_lines_is_never_sent() {
    let n = node("cms1").await;
    let pool = ShellPool::new(&MmpPrompt);
    let t = target(&n);
    let mut s = pool.session(&t).await;
    let e = s.run("hostname\nshutdown", &[]).await.unwrap_err();
    assert!(matches!(e, TransportError::UnsafeInput { .. }), "{e}");
    assert!(e.to_string().contains("control character"), "{e}");
    let reply = [PromptAnswer {
        question: "Enter callbridge secret",
        reply: "abc\rshutdown".into(),
    }];
    let e = s
        .run("xmpp callbridge add-secret cb1", &reply)
        .await
        .unwrap_err();
    assert!(matches!(e, TransportError::UnsafeInput { .. }), "{e}");
    assert_eq!(s.run("hostname", &[]).await.unwrap(), "cms1");
    assert_eq!(
        n.control().command_log(),
        vec!["hostname".to_string()],
        "only the safe command reached the device"
    );
    n.stop().await;
}
