//! The service commands ([`super::services`]) and MMP users ([`super::users`]): every command
//! through [`run_command`] with its exact output, then over SSH for what the shell adds (hidden
//! password prompts, the restart delay, drop faults, exec).

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use russh::{client, ChannelMsg};

use super::certs::{BUNDLE_NOT_VERIFIED, BUNDLE_VERIFIED, PAIR_MATCH, PAIR_MISMATCH};
use super::services::*;
use super::shell::{run_command, Reply};
use super::state::NodeControl;
use super::tests::{connect, login, Term, TestClient, PASSWORD, TIMEOUT};
use super::users::{
    set_password, PasswordFor, LIST_HEADER, PASSWORD_AGAIN_PROMPT, PASSWORD_PROMPT,
};
use super::{CmsNode, CmsNodeConfig};
use crate::lab_ca::LabCa;

const PROMPT: &str = "cms1> ";

fn node() -> NodeControl {
    NodeControl::new(
        "cms1".into(),
        "admin".into(),
        "pw".into(),
        "conf.example.com".into(),
    )
}

fn out(n: &NodeControl, cmd: &str) -> Vec<String> {
    match run_command(n, cmd) {
        Reply::Lines(l) => l,
        other => panic!("{cmd}: expected lines, got {other:?}"),
    }
}

/// Asserts `cmd` prints nothing.
fn quiet(n: &NodeControl, cmd: &str) {
    assert_eq!(out(n, cmd), Vec::<String>::new(), "{cmd}");
}

fn waited(n: &NodeControl, cmd: &str) -> (Duration, Vec<String>) {
    match run_command(n, cmd) {
        Reply::Wait { delay, lines } => (delay, lines),
        other => panic!("{cmd}: expected a delayed reply, got {other:?}"),
    }
}

/// Uploads `srv.key`/`srv.cer` (a pair from the lab CA), `other.key` (an unrelated key),
/// `root.cer` (the lab CA), `wrong-root.cer` (another CA) and `junk.txt`.
fn upload_pki(n: &NodeControl) -> LabCa {
    let ca = LabCa::new("lab root").unwrap();
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let srv = ca.issue_server_cert(&[ip]).unwrap();
    let other = ca.issue_server_cert(&[ip]).unwrap();
    n.put_file("srv.key", srv.key_pem);
    n.put_file("srv.cer", srv.cert_pem);
    n.put_file("other.key", other.key_pem);
    n.put_file("root.cer", ca.cert_pem());
    n.put_file(
        "wrong-root.cer",
        LabCa::new("other root").unwrap().cert_pem(),
    );
    n.put_file("junk.txt", "hello");
    ca
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn status_field_layout() {
    assert_eq!(
        status_field("Enabled", "true"),
        "Enabled                 : true"
    );
    assert_eq!(
        status_field("Callbridge cluster trust", "none"),
        "Callbridge cluster trust: none"
    );
    assert_eq!(
        status_field("TLS listening interface and port", "a 443"),
        "TLS listening interface and port : a 443"
    );
}

#[test]
fn webadmin_commands_and_status() {
    let n = node();
    upload_pki(&n);
    let fresh = strs(&[
        "Enabled                 : false",
        "TLS listening interface and port : none",
        "HTTP redirect           : Disabled",
        "Key file                : none",
        "Certificate file        : none",
        "CA Bundle file          : none",
    ]);
    assert_eq!(out(&n, "webadmin"), fresh);
    assert_eq!(out(&n, "webadmin enable"), vec![NO_LISTEN]);
    quiet(&n, "webadmin listen a 8443");
    assert_eq!(out(&n, "webadmin enable"), vec![NO_CERTS]);
    quiet(&n, "webadmin certs srv.key srv.cer root.cer");
    quiet(&n, "webadmin http-redirect enable");
    assert_eq!(
        out(&n, "webadmin"),
        strs(&[
            "Enabled                 : false",
            "TLS listening interface and port : a 8443",
            "HTTP redirect           : Enabled",
            "Key file                : srv.key",
            "Certificate file        : srv.cer",
            "CA Bundle file          : root.cer",
        ])
    );
    assert_eq!(
        out(&n, "webadmin enable"),
        vec![
            "SUCCESS: Key and certificate pair match",
            "SUCCESS: certificate verified against CA bundle",
            "SUCCESS: Webadmin enabled",
        ]
    );
    assert!(n.webadmin_config().enabled);
    assert_eq!(
        BUNDLE_VERIFIED,
        "SUCCESS: certificate verified against CA bundle"
    );
    assert_eq!(out(&n, "webadmin")[0], "Enabled                 : true");
    assert_eq!(
        n.webadmin_config(),
        WebAdminConfig {
            enabled: true,
            listen: Some(("a".into(), 8443)),
            tls: Some(TlsFiles::new("srv.key", "srv.cer").with_bundle("root.cer")),
            http_redirect: true,
        }
    );
    quiet(&n, "webadmin disable");
    assert!(!n.service_enabled(Service::WebAdmin));

    // Without a bundle: the pair check only.
    quiet(&n, "webadmin certs srv.key srv.cer");
    assert_eq!(
        out(&n, "webadmin enable"),
        vec![PAIR_MATCH, WEBADMIN_ENABLED]
    );
    quiet(&n, "webadmin disable");

    // Failures leave the service disabled.
    quiet(&n, "webadmin certs other.key srv.cer");
    assert_eq!(out(&n, "webadmin enable"), vec![PAIR_MISMATCH]);
    assert_eq!(
        PAIR_MISMATCH,
        "FAILURE: Key and certificate pair do not match"
    );
    quiet(&n, "webadmin certs srv.key srv.cer wrong-root.cer");
    assert_eq!(
        out(&n, "webadmin enable"),
        vec![PAIR_MATCH, BUNDLE_NOT_VERIFIED]
    );
    assert_eq!(
        BUNDLE_NOT_VERIFIED,
        "FAILURE: certificate not verified against CA bundle"
    );
    quiet(&n, "webadmin certs srv.key srv.cer junk.txt");
    assert_eq!(
        out(&n, "webadmin enable"),
        vec![PAIR_MATCH, "FAILURE: junk.txt: not a valid certificate"]
    );
    quiet(&n, "webadmin certs junk.txt srv.cer");
    assert_eq!(
        out(&n, "webadmin enable"),
        vec!["FAILURE: junk.txt: not a valid private key"]
    );
    quiet(&n, "webadmin certs srv.key junk.txt");
    assert_eq!(
        out(&n, "webadmin enable"),
        vec!["FAILURE: junk.txt: not a valid certificate"]
    );
    assert!(!n.webadmin_config().enabled);

    // A file removed after `certs`.
    quiet(&n, "webadmin certs srv.key srv.cer");
    n.put_file("gone.cer", "x");
    quiet(&n, "webadmin certs srv.key gone.cer");
    n.remove_file("gone.cer");
    assert_eq!(
        out(&n, "webadmin enable"),
        vec!["FAILURE: gone.cer: file not found"]
    );

    // Argument errors.
    for (cmd, want) in [
        ("webadmin listen e 443", "FAILURE: invalid interface e"),
        ("webadmin listen a 0", "FAILURE: invalid port 0"),
        ("webadmin listen a 65536", "FAILURE: invalid port 65536"),
        ("webadmin listen a +443", "FAILURE: invalid port +443"),
        (
            "webadmin listen a",
            "Usage: webadmin listen <interface> <port>|none",
        ),
        (
            "webadmin certs srv.key",
            "Usage: webadmin certs <keyfile> <certificatefile> [<cert-bundle>]|none",
        ),
        (
            "webadmin certs a b c d",
            "Usage: webadmin certs <keyfile> <certificatefile> [<cert-bundle>]|none",
        ),
        (
            "webadmin certs srv.key nope.cer",
            "FAILURE: nope.cer: file not found",
        ),
        (
            "webadmin certs srv.key srv.cer sub/root.cer",
            "FAILURE: sub/root.cer: file not found",
        ),
        (
            "webadmin http-redirect on",
            "Usage: webadmin http-redirect enable|disable",
        ),
        ("webadmin enable now", "Usage: webadmin enable"),
        ("webadmin disable now", "Usage: webadmin disable"),
        ("webadmin restart now", "Usage: webadmin restart"),
        ("webadmin frob", "Unknown command: webadmin frob"),
    ] {
        assert_eq!(out(&n, cmd), vec![want], "{cmd}");
    }
    // The failed `certs` left the previous files.
    assert_eq!(
        n.webadmin_config().tls,
        Some(TlsFiles::new("srv.key", "gone.cer"))
    );

    // `none` clears.
    quiet(&n, "webadmin listen none");
    quiet(&n, "webadmin certs none");
    quiet(&n, "webadmin http-redirect disable");
    assert_eq!(out(&n, "webadmin"), fresh);

    // Restart: no output, after the delay; counted.
    assert_eq!(
        waited(&n, "webadmin restart"),
        (WEBADMIN_RESTART_DELAY, Vec::new())
    );
    assert_eq!(WEBADMIN_RESTART_DELAY, Duration::from_secs(1));
    assert_eq!(n.webadmin_restarts(), 1);
}

#[test]
fn callbridge_configuration_applies_at_restart() {
    let n = node();
    upload_pki(&n);
    let fresh = strs(&[
        "Listening interfaces    : none",
        "Preferred interface     : none",
        "Key file                : none",
        "Certificate file        : none",
        "Address                 : none",
        "CA Bundle file          : none",
        "Callbridge trust        : none",
        "Callbridge cluster trust: none",
        "Callbridge xmpp trust   : none",
    ]);
    assert_eq!(out(&n, "callbridge"), fresh);
    quiet(&n, "callbridge listen a b");
    quiet(&n, "callbridge certs srv.key srv.cer root.cer");
    quiet(&n, "callbridge trust cluster root.cer");
    assert_eq!(
        out(&n, "callbridge"),
        strs(&[
            "Listening interfaces    : a b",
            "Preferred interface     : none",
            "Key file                : srv.key",
            "Certificate file        : srv.cer",
            "Address                 : none",
            "CA Bundle file          : root.cer",
            "Callbridge trust        : none",
            "Callbridge cluster trust: root.cer",
            "Callbridge xmpp trust   : none",
        ])
    );
    // Configured, not yet running.
    assert_eq!(n.callbridge_running_config(), CallBridgeConfig::default());
    assert_eq!(n.callbridge_restarts(), 0);

    let (delay, lines) = waited(&n, "callbridge restart");
    assert_eq!(delay, CALLBRIDGE_RESTART_DELAY);
    assert_eq!(CALLBRIDGE_RESTART_DELAY, Duration::from_secs(1));
    assert_eq!(
        lines,
        vec![
            "SUCCESS: Key and certificate pair match",
            "SUCCESS: certificate verified against CA bundle",
            "SUCCESS: Callbridge restarted",
        ]
    );
    let running = CallBridgeConfig {
        listen: strs(&["a", "b"]),
        tls: Some(TlsFiles::new("srv.key", "srv.cer").with_bundle("root.cer")),
        cluster_trust: Some("root.cer".into()),
    };
    assert_eq!(n.callbridge_running_config(), running);
    assert_eq!(n.callbridge_config(), running);
    assert_eq!(n.callbridge_restarts(), 1);

    // A change waits for the next restart.
    quiet(&n, "callbridge listen a");
    quiet(&n, "callbridge trust cluster none");
    assert_eq!(n.callbridge_running_config(), running);
    assert_eq!(n.callbridge_config().listen, strs(&["a"]));

    // A failed restart applies nothing.
    quiet(&n, "callbridge certs other.key srv.cer");
    assert_eq!(
        waited(&n, "callbridge restart"),
        (CALLBRIDGE_RESTART_DELAY, vec![PAIR_MISMATCH.to_string()])
    );
    assert_eq!(n.callbridge_running_config(), running);
    assert_eq!(n.callbridge_restarts(), 1);

    // No certificates: the restart applies without key checks.
    quiet(&n, "callbridge certs none");
    assert_eq!(
        waited(&n, "callbridge restart").1,
        vec![CALLBRIDGE_RESTARTED]
    );
    assert_eq!(
        n.callbridge_running_config(),
        CallBridgeConfig {
            listen: strs(&["a"]),
            tls: None,
            cluster_trust: None,
        }
    );
    assert_eq!(n.callbridge_restarts(), 2);
    quiet(&n, "callbridge listen none");
    assert_eq!(out(&n, "callbridge"), fresh);

    for (cmd, want) in [
        (
            "callbridge listen",
            "Usage: callbridge listen <interface>...|none",
        ),
        ("callbridge listen a x", "FAILURE: invalid interface x"),
        (
            "callbridge certs x",
            "Usage: callbridge certs <keyfile> <certificatefile> [<cert-bundle>]|none",
        ),
        (
            "callbridge certs srv.key nope.cer",
            "FAILURE: nope.cer: file not found",
        ),
        (
            "callbridge trust cluster",
            "Usage: callbridge trust cluster <bundle>|none",
        ),
        (
            "callbridge trust cluster nope.cer",
            "FAILURE: nope.cer: file not found",
        ),
        ("callbridge restart now", "Usage: callbridge restart"),
        (
            "callbridge trust xmpp x",
            "Unknown command: callbridge trust xmpp x",
        ),
        ("callbridge frob", "Unknown command: callbridge frob"),
    ] {
        assert_eq!(out(&n, cmd), vec![want], "{cmd}");
    }
}

#[test]
fn xmpp_commands_status_and_xmpp_status() {
    let n = node();
    upload_pki(&n);
    let fresh = strs(&[
        "Enabled                 : false",
        "Clustered               : false",
        "Domain                  : conf.example.com",
        "Listening interfaces    : none",
        "Key file                : none",
        "Certificate file        : none",
        "CA Bundle file          : none",
        "Cluster trust           : none",
        "STATUS                  : XMPP server not running",
    ]);
    assert_eq!(out(&n, "xmpp"), fresh);
    // A fresh node's XMPP server is disabled; `xmpp status` says so.
    assert_eq!(
        out(&n, "xmpp status"),
        vec![
            "State               : DISABLED",
            "Domain              : conf.example.com",
            "Num. clients        : 0",
            "Num. components     : 0",
        ]
    );
    assert_eq!(out(&n, "xmpp enable"), vec![NO_LISTEN]);
    quiet(&n, "xmpp listen a");
    quiet(&n, "xmpp domain example.org");
    assert_eq!(out(&n, "xmpp enable"), vec![NO_CERTS]);
    quiet(&n, "xmpp certs srv.key srv.cer root.cer");
    quiet(&n, "xmpp cluster trust root.cer");
    assert_eq!(
        out(&n, "xmpp enable"),
        vec![
            "SUCCESS: Key and certificate pair match",
            "SUCCESS: certificate verified against CA bundle",
            "SUCCESS: XMPP server enabled",
        ]
    );
    assert_eq!(
        out(&n, "xmpp"),
        strs(&[
            "Enabled                 : true",
            "Clustered               : false",
            "Domain                  : example.org",
            "Listening interfaces    : a",
            "Key file                : srv.key",
            "Certificate file        : srv.cer",
            "CA Bundle file          : root.cer",
            "Cluster trust           : root.cer",
            "STATUS                  : XMPP server running",
        ])
    );
    // `xmpp status` and the account records follow the service.
    n.add_callbridge("cb1", "s1");
    assert_eq!(
        out(&n, "xmpp status"),
        vec![
            "State               : ENABLED",
            "Domain              : example.org",
            "Num. clients        : 0",
            "Num. components     : 1",
        ]
    );
    assert_eq!(
        out(&n, "xmpp callbridge list")[1],
        "Domain              : example.org"
    );
    assert_eq!(n.xmpp_domain(), "example.org");
    quiet(&n, "xmpp disable");
    assert_eq!(out(&n, "xmpp status")[0], "State               : DISABLED");
    assert!(!n.service_enabled(Service::Xmpp));

    // Mismatched pair: stays disabled.
    quiet(&n, "xmpp certs other.key srv.cer");
    assert_eq!(out(&n, "xmpp enable"), vec![PAIR_MISMATCH]);
    assert!(!n.xmpp_config().enabled);

    // No domain.
    n.update_xmpp(|x| x.domain = None);
    quiet(&n, "xmpp certs srv.key srv.cer");
    assert_eq!(out(&n, "xmpp enable"), vec![NO_DOMAIN]);
    assert_eq!(out(&n, "xmpp")[2], "Domain                  : none");
    assert_eq!(out(&n, "xmpp status")[1], "Domain              : none");

    quiet(&n, "xmpp listen none");
    quiet(&n, "xmpp certs none");
    quiet(&n, "xmpp cluster trust none");
    quiet(&n, "xmpp domain conf.example.com");
    assert_eq!(out(&n, "xmpp"), fresh);

    for (cmd, want) in [
        ("xmpp listen", "Usage: xmpp listen <interface>...|none"),
        ("xmpp listen z", "FAILURE: invalid interface z"),
        ("xmpp domain", "Usage: xmpp domain <domain>"),
        ("xmpp domain a b", "Usage: xmpp domain <domain>"),
        ("xmpp domain -bad.com", "FAILURE: invalid domain -bad.com"),
        ("xmpp domain a..b", "FAILURE: invalid domain a..b"),
        ("xmpp domain a_b.com", "FAILURE: invalid domain a_b.com"),
        (
            "xmpp certs x",
            "Usage: xmpp certs <keyfile> <certificatefile> [<cert-bundle>]|none",
        ),
        (
            "xmpp cluster trust",
            "Usage: xmpp cluster trust <bundle>|none",
        ),
        // The other `xmpp cluster` commands are in xmpp_cluster_tests.rs.
        ("xmpp cluster frob", "Unknown command: xmpp cluster frob"),
        ("xmpp enable x", "Usage: xmpp enable"),
        ("xmpp disable x", "Usage: xmpp disable"),
        ("xmpp frob", "Unknown command: xmpp frob"),
        ("xmpp callbridge", "Unknown command: xmpp callbridge"),
    ] {
        assert_eq!(out(&n, cmd), vec![want], "{cmd}");
    }
    assert!(valid_domain("conf.example.com"));
    assert!(valid_domain("localhost"));
    assert!(!valid_domain(&format!("{}.com", "a".repeat(64))));
}

#[test]
fn webbridge_commands_status_and_port_80() {
    let n = node();
    upload_pki(&n);
    let fresh = strs(&[
        "Enabled                 : false",
        "Listening interfaces    : none",
        "Key file                : none",
        "Certificate file        : none",
        "CA Bundle file          : none",
        "Trust bundle            : none",
        "HTTP redirect           : Disabled",
    ]);
    assert_eq!(out(&n, "webbridge"), fresh);
    assert_eq!(out(&n, "webbridge enable"), vec![NO_LISTEN]);
    // The cmslab sequence.
    quiet(&n, "webbridge certs srv.key srv.cer root.cer");
    quiet(&n, "webbridge listen a:443 b:8443");
    quiet(&n, "webbridge trust root.cer");
    quiet(&n, "webbridge http-redirect enable");
    assert_eq!(
        out(&n, "webbridge enable"),
        vec![
            "SUCCESS: Key and certificate pair match",
            "SUCCESS: certificate verified against CA bundle",
            "SUCCESS: Webbridge enabled",
        ]
    );
    assert_eq!(
        out(&n, "webbridge"),
        strs(&[
            "Enabled                 : true",
            "Listening interfaces    : a:443 b:8443",
            "Key file                : srv.key",
            "Certificate file        : srv.cer",
            "CA Bundle file          : root.cer",
            "Trust bundle            : root.cer",
            "HTTP redirect           : Enabled",
        ])
    );
    assert_eq!(
        n.webbridge_config().listen,
        vec![("a".to_string(), 443), ("b".to_string(), 8443)]
    );
    // Port 80 goes to one service only (cmslab).
    assert_eq!(
        out(&n, "webadmin http-redirect enable"),
        vec!["FAILURE: port 80 is already redirected to webbridge"]
    );
    quiet(&n, "webbridge http-redirect disable");
    quiet(&n, "webadmin http-redirect enable");
    assert_eq!(
        out(&n, "webbridge http-redirect enable"),
        vec!["FAILURE: port 80 is already redirected to webadmin"]
    );
    assert!(!n.webbridge_config().http_redirect);
    quiet(&n, "webadmin http-redirect disable");

    quiet(&n, "webbridge disable");
    assert!(!n.service_enabled(Service::WebBridge));
    quiet(&n, "webbridge certs other.key srv.cer");
    assert_eq!(out(&n, "webbridge enable"), vec![PAIR_MISMATCH]);
    quiet(&n, "webbridge certs srv.key srv.cer wrong-root.cer");
    assert_eq!(
        out(&n, "webbridge enable"),
        vec![PAIR_MATCH, BUNDLE_NOT_VERIFIED]
    );
    assert!(!n.webbridge_config().enabled);
    quiet(&n, "webbridge certs srv.key srv.cer");
    assert_eq!(
        out(&n, "webbridge enable"),
        vec![PAIR_MATCH, WEBBRIDGE_ENABLED]
    );
    quiet(&n, "webbridge disable");

    quiet(&n, "webbridge listen none");
    quiet(&n, "webbridge certs none");
    quiet(&n, "webbridge trust none");
    assert_eq!(out(&n, "webbridge"), fresh);

    for (cmd, want) in [
        (
            "webbridge listen",
            "Usage: webbridge listen <interface:port>...|none",
        ),
        ("webbridge listen a", "FAILURE: invalid listening address a"),
        ("webbridge listen e:443", "FAILURE: invalid interface e"),
        ("webbridge listen a:443 a:x", "FAILURE: invalid port x"),
        ("webbridge listen a:", "FAILURE: invalid port "),
        (
            "webbridge certs",
            "Usage: webbridge certs <keyfile> <certificatefile> [<cert-bundle>]|none",
        ),
        ("webbridge trust", "Usage: webbridge trust <bundle>|none"),
        (
            "webbridge trust nope.cer",
            "FAILURE: nope.cer: file not found",
        ),
        (
            "webbridge http-redirect",
            "Usage: webbridge http-redirect enable|disable",
        ),
        ("webbridge enable x", "Usage: webbridge enable"),
        ("webbridge disable x", "Usage: webbridge disable"),
        ("webbridge frob", "Unknown command: webbridge frob"),
    ] {
        assert_eq!(out(&n, cmd), vec![want], "{cmd}");
    }
    // The failed listen left the previous value.
    assert!(n.webbridge_config().listen.is_empty());
}

#[test]
fn accessors_change_services_behind_terraforms_back() {
    let n = node();
    upload_pki(&n);
    for cmd in [
        "webadmin listen a 8443",
        "webadmin certs srv.key srv.cer",
        "xmpp listen a",
        "xmpp certs srv.key srv.cer",
        "webbridge listen a:443",
        "webbridge certs srv.key srv.cer",
    ] {
        quiet(&n, cmd);
    }
    for cmd in ["webadmin enable", "xmpp enable", "webbridge enable"] {
        assert_eq!(out(&n, cmd)[0], PAIR_MATCH, "{cmd}");
    }
    for s in [Service::WebAdmin, Service::Xmpp, Service::WebBridge] {
        assert!(n.service_enabled(s), "{s:?}");
        n.set_service_enabled(s, false);
        assert!(!n.service_enabled(s), "{s:?}");
    }
    assert_eq!(out(&n, "webadmin")[0], "Enabled                 : false");
    assert_eq!(out(&n, "xmpp status")[0], "State               : DISABLED");

    n.update_webadmin(|w| w.listen = Some(("b".into(), 445)));
    assert_eq!(
        out(&n, "webadmin")[1],
        "TLS listening interface and port : b 445"
    );
    n.update_xmpp(|x| x.listen = vec!["b".into()]);
    assert_eq!(out(&n, "xmpp")[3], "Listening interfaces    : b");
    n.update_webbridge(|w| w.listen = vec![("c".into(), 443)]);
    assert_eq!(out(&n, "webbridge")[1], "Listening interfaces    : c:443");
    n.update_callbridge(|c| c.listen = vec!["d".into()]);
    assert_eq!(out(&n, "callbridge")[0], "Listening interfaces    : d");
    assert!(n.callbridge_running_config().listen.is_empty());

    // A certificate replaced under the same name: the next enable fails.
    n.put_file("srv.cer", n.file("root.cer").unwrap());
    assert_eq!(out(&n, "webadmin enable"), vec![PAIR_MISMATCH]);
    assert!(!n.service_enabled(Service::WebAdmin));
}

#[test]
fn users_commands() {
    let n = node();
    assert_eq!(
        out(&n, "user list"),
        vec![
            "Username         Role       Expiry   Logged in",
            "admin            admin      -        no",
        ]
    );
    assert_eq!(
        LIST_HEADER,
        "Username         Role       Expiry   Logged in"
    );
    let add = PasswordFor::NewUser {
        name: "ops".into(),
        role: "api".into(),
    };
    assert_eq!(
        run_command(&n, "user add ops api"),
        Reply::AskPasswords {
            action: add.clone()
        }
    );
    assert_eq!(
        set_password(&n, &add, "one", "two"),
        vec!["FAILURE: passwords do not match"]
    );
    assert_eq!(
        set_password(&n, &add, "", ""),
        vec!["FAILURE: password must not be empty"]
    );
    assert_eq!(n.user_password("ops"), None);
    assert!(set_password(&n, &add, "Secret-1", "Secret-1").is_empty());
    assert_eq!(n.user_password("ops").as_deref(), Some("Secret-1"));
    assert!(n.check_user_password("ops", "Secret-1"));
    assert!(!n.check_user_password("ops", "Secret-2"));
    assert_eq!(
        set_password(&n, &add, "x", "x"),
        vec!["FAILURE: user ops already exists"]
    );
    assert_eq!(
        out(&n, "user add ops admin"),
        vec!["FAILURE: user ops already exists"]
    );
    assert_eq!(
        out(&n, "user list"),
        vec![
            "Username         Role       Expiry   Logged in",
            "admin            admin      -        no",
            "ops              api        -        no",
        ]
    );

    quiet(&n, "user role ops crypto");
    assert_eq!(
        n.users(),
        vec![
            ("admin".to_string(), "admin".to_string()),
            ("ops".to_string(), "crypto".to_string()),
        ]
    );
    let change = PasswordFor::User { name: "ops".into() };
    assert_eq!(
        run_command(&n, "user password ops"),
        Reply::AskPasswords {
            action: change.clone()
        }
    );
    assert!(set_password(&n, &change, "Secret-2", "Secret-2").is_empty());
    assert!(n.check_user_password("ops", "Secret-2"));
    assert_eq!(
        set_password(&n, &change, "a", "b"),
        vec!["FAILURE: passwords do not match"]
    );
    assert!(n.check_user_password("ops", "Secret-2"));

    quiet(&n, "user del ops");
    assert_eq!(
        set_password(&n, &change, "x", "x"),
        vec!["FAILURE: user ops does not exist"]
    );
    for (cmd, want) in [
        ("user del ops", "FAILURE: user ops does not exist"),
        ("user role ops api", "FAILURE: user ops does not exist"),
        ("user password ops", "FAILURE: user ops does not exist"),
        ("user del admin", "FAILURE: user admin cannot be deleted"),
        (
            "user role admin api",
            "FAILURE: user admin must keep the admin role",
        ),
        ("user add ops root", "FAILURE: invalid role root"),
        ("user role admin root", "FAILURE: invalid role root"),
        (
            "user add bad/name api",
            "FAILURE: invalid username bad/name",
        ),
        (
            "user add ops",
            "Usage: user add <username> (admin|crypto|audit|appadmin|api)",
        ),
        ("user del", "Usage: user del <username>"),
        (
            "user role ops",
            "Usage: user role <username> (admin|crypto|audit|appadmin|api)",
        ),
        ("user password", "Usage: user password <username>"),
        ("user list x", "Usage: user list"),
        ("user frob", "Unknown command: user frob"),
        ("user", "Unknown command: user"),
    ] {
        assert_eq!(out(&n, cmd), vec![want], "{cmd}");
    }
    quiet(&n, "user role admin admin");
    assert_eq!(n.users(), vec![("admin".to_string(), "admin".to_string())]);
    for role in ["admin", "crypto", "audit", "appadmin", "api"] {
        assert!(matches!(
            run_command(&n, &format!("user add u-{role} {role}")),
            Reply::AskPasswords { .. }
        ));
    }

    // Behind terraform's back.
    n.add_user("audit1", "audit", "pw-a");
    assert!(n.check_user_password("audit1", "pw-a"));
    assert!(n.remove_user("audit1"));
    assert!(!n.remove_user("audit1"));
    assert!(!n.remove_user("admin"), "the login user stays");
    assert!(n.check_user_password("admin", "pw"));
}

async fn start_node() -> CmsNode {
    CmsNode::start(CmsNodeConfig {
        hostname: "cms1".into(),
        bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        username: "admin".into(),
        password: PASSWORD.into(),
        xmpp_domain: "conf.example.com".into(),
    })
    .await
    .unwrap()
}

/// A logged-in interactive shell, past its first prompt (keep the handle while using it).
async fn shell(node: &CmsNode) -> (client::Handle<TestClient>, Term) {
    let h = login(node.addr()).await;
    let mut t = Term::open_on(&h, true, PROMPT).await;
    t.read_until(PROMPT).await;
    (h, t)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_prompts_twice_without_echo_and_never_logs() {
    let node = start_node().await;
    let ctl = node.control();
    let (_h, mut t) = shell(&node).await;
    assert_eq!(
        t.cmd("user list").await,
        "Username         Role       Expiry   Logged in\r\nadmin            admin      -        yes\r\n"
    );

    t.send("user add ops api\r").await;
    assert_eq!(
        t.read_until(PASSWORD_PROMPT).await,
        "user add ops api\r\nPlease enter new password: "
    );
    t.send("Pa55-first\r").await;
    assert_eq!(
        t.read_until(PASSWORD_AGAIN_PROMPT).await,
        "\r\nPlease enter new password again: "
    );
    t.send("Pa55-first\r").await;
    assert_eq!(t.read_until(PROMPT).await, "\r\ncms1> ");
    assert!(ctl.check_user_password("ops", "Pa55-first"));
    assert_eq!(ctl.users()[1], ("ops".to_string(), "api".to_string()));

    // Mismatch.
    t.send("user add ops2 audit\r").await;
    t.read_until(PASSWORD_PROMPT).await;
    t.send("one-Pass\r").await;
    t.read_until(PASSWORD_AGAIN_PROMPT).await;
    t.send("two-Pass\r").await;
    assert_eq!(
        t.read_until(PROMPT).await,
        "\r\nFAILURE: passwords do not match\r\ncms1> "
    );
    assert_eq!(ctl.user_password("ops2"), None);

    // The login user's new password is the SSH password from now on.
    t.send("user password admin\r").await;
    t.read_until(PASSWORD_PROMPT).await;
    t.send("N3w-admin\r").await;
    t.read_until(PASSWORD_AGAIN_PROMPT).await;
    t.send("N3w-admin\r").await;
    assert_eq!(t.read_until(PROMPT).await, "\r\ncms1> ");
    let (mut h, _) = connect(node.addr()).await;
    assert!(!h
        .authenticate_password("admin", PASSWORD)
        .await
        .unwrap()
        .success());
    assert!(h
        .authenticate_password("admin", "N3w-admin")
        .await
        .unwrap()
        .success());

    let log = ctl.command_log();
    assert_eq!(
        log,
        vec![
            "user list",
            "user add ops api",
            "user add ops2 audit",
            "user password admin"
        ]
    );
    let joined = log.join("\n");
    for secret in ["Pa55-first", "one-Pass", "two-Pass", "N3w-admin"] {
        assert!(!joined.contains(secret), "{joined}");
    }
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_answer_after_their_delay() {
    let node = start_node().await;
    let ctl = node.control();
    upload_pki(&ctl);
    let (_h, mut t) = shell(&node).await;
    assert_eq!(t.cmd("callbridge listen a").await, "");
    assert_eq!(t.cmd("callbridge certs srv.key srv.cer root.cer").await, "");
    let start = Instant::now();
    assert_eq!(
        t.cmd("callbridge restart").await,
        "SUCCESS: Key and certificate pair match\r\n\
         SUCCESS: certificate verified against CA bundle\r\n\
         SUCCESS: Callbridge restarted\r\n"
    );
    assert!(start.elapsed() >= CALLBRIDGE_RESTART_DELAY);
    assert_eq!(ctl.callbridge_restarts(), 1);
    assert_eq!(ctl.callbridge_running_config().listen, vec!["a"]);
    let start = Instant::now();
    assert_eq!(t.cmd("webadmin restart").await, "");
    assert!(start.elapsed() >= WEBADMIN_RESTART_DELAY);
    assert_eq!(
        ctl.command_log()
            .iter()
            .filter(|c| *c == "callbridge restart")
            .count(),
        1
    );
    node.stop().await;
}

async fn wait_closed(ctl: &NodeControl) {
    let deadline = Instant::now() + TIMEOUT;
    while ctl.active_sessions() > 0 {
        assert!(Instant::now() < deadline, "connection not closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_faults_on_service_and_user_commands() {
    let node = start_node().await;
    let ctl = node.control();
    upload_pki(&ctl);
    for cmd in ["webadmin listen a 8443", "webadmin certs srv.key srv.cer"] {
        quiet(&ctl, cmd);
    }

    // Applied, then cut: no echo, no output.
    ctl.drop_connection_after("webadmin enable", 1);
    let (_h, mut t) = shell(&node).await;
    t.send("webadmin enable\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert!(ctl.service_enabled(Service::WebAdmin));
    wait_closed(&ctl).await;

    // Not applied.
    ctl.drop_connection_before("callbridge restart", 1);
    let (_h, mut t) = shell(&node).await;
    t.send("callbridge restart\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert_eq!(ctl.callbridge_restarts(), 0);
    wait_closed(&ctl).await;

    // Applied at once, cut without waiting for the restart's reply.
    ctl.drop_connection_after("callbridge restart", 1);
    let (_h, mut t) = shell(&node).await;
    t.send("callbridge restart\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert_eq!(ctl.callbridge_restarts(), 1);
    wait_closed(&ctl).await;

    // user add: both passwords typed, the user created, then the cut.
    ctl.drop_connection_after("user add", 1);
    let (_h, mut t) = shell(&node).await;
    t.send("user add ops crypto\r").await;
    t.read_until(PASSWORD_PROMPT).await;
    t.send("Pw-123456\r").await;
    t.read_until(PASSWORD_AGAIN_PROMPT).await;
    t.send("Pw-123456\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert!(ctl.check_user_password("ops", "Pw-123456"));
    wait_closed(&ctl).await;

    ctl.drop_connection_before("user del", 1);
    let (_h, mut t) = shell(&node).await;
    t.send("user del ops\r").await;
    assert_eq!(t.read_to_end().await, "");
    assert!(ctl.user_password("ops").is_some());
    wait_closed(&ctl).await;

    // Faults consumed.
    let (_h, mut t) = shell(&node).await;
    assert_eq!(t.cmd("user del ops").await, "");
    assert_eq!(t.cmd("webadmin disable").await, "");
    assert!(!ctl.service_enabled(Service::WebAdmin));
    node.stop().await;
}

async fn exec(node: &CmsNode, command: &str) -> String {
    let h = login(node.addr()).await;
    let mut ch = h.channel_open_session().await.unwrap();
    ch.exec(true, command).await.unwrap();
    let mut out = Vec::new();
    while let Some(msg) = tokio::time::timeout(TIMEOUT, ch.wait()).await.unwrap() {
        if let ChannelMsg::Data { data } = msg {
            out.extend_from_slice(&data);
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_service_commands_but_not_password_prompts() {
    let node = start_node().await;
    let ctl = node.control();
    assert_eq!(
        exec(&node, "xmpp").await,
        "Enabled                 : false\r\nClustered               : false\r\n\
         Domain                  : conf.example.com\r\nListening interfaces    : none\r\n\
         Key file                : none\r\nCertificate file        : none\r\n\
         CA Bundle file          : none\r\nCluster trust           : none\r\n\
         STATUS                  : XMPP server not running\r\n"
    );
    let start = Instant::now();
    assert_eq!(
        exec(&node, "callbridge restart").await,
        "SUCCESS: Callbridge restarted\r\n"
    );
    assert!(start.elapsed() >= CALLBRIDGE_RESTART_DELAY);
    assert_eq!(
        exec(&node, "user add ops api").await,
        "FAILURE: this command prompts for a password; use an interactive shell\r\n"
    );
    assert_eq!(ctl.user_password("ops"), None);
    node.stop().await;
}
