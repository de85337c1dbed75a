use std::time::Duration;

use super::*;

#[test]
fn injected_faults_are_set_and_cleared_together() {
    let f = Faults::default();
    assert_eq!(f.reply_delay(), Duration::ZERO);
    assert!(!f.refuses_login());
    f.inject(Fault::ReplyDelay(Duration::from_millis(5)))
        .unwrap();
    f.inject(Fault::RefuseLogin).unwrap();
    f.drop_connection_after("xmpp", 1);
    assert_eq!(f.reply_delay(), Duration::from_millis(5));
    assert!(f.refuses_login());
    f.clear();
    assert_eq!(f.reply_delay(), Duration::ZERO);
    assert!(!f.refuses_login());
    assert_eq!(f.take_drop("xmpp status"), None);
}

#[test]
fn rotating_an_identity_is_left_to_the_simulator() {
    let f = Faults::default();
    assert_eq!(f.inject(Fault::RotateIdentity), Err(IdentityRotation));
}

#[test]
fn drops_match_by_prefix_and_run_out() {
    let f = Faults::default();
    f.inject(Fault::DropAfter {
        prefix: "xmpp callbridge add".into(),
        times: 2,
    })
    .unwrap();
    f.drop_connection_before("database", 1);
    f.drop_connection_after("never", 0);
    assert_eq!(f.take_drop("xmpp status"), None);
    assert_eq!(
        f.take_drop("xmpp callbridge add cb1"),
        Some(Cut::AfterApplying)
    );
    assert_eq!(
        f.take_drop("database cluster status"),
        Some(Cut::BeforeApplying)
    );
    assert_eq!(f.take_drop("database cluster status"), None);
    assert_eq!(
        f.take_drop("xmpp callbridge add-secret cb1"),
        Some(Cut::AfterApplying)
    );
    assert_eq!(f.take_drop("xmpp callbridge add cb2"), None);
    assert_eq!(f.take_drop("never"), None);
}

#[test]
fn the_command_log_and_counters_outlive_clear() {
    let f = Faults::default();
    f.log_command("xmpp status");
    f.log_command("hostname");
    {
        let _one = f.session_opened();
        let _two = f.session_opened();
        f.login_succeeded();
        assert_eq!(
            f.sessions(),
            SessionCounts {
                active: 2,
                logins: 1
            }
        );
    }
    f.clear();
    assert_eq!(f.command_log(), ["xmpp status", "hostname"]);
    assert_eq!(
        f.sessions(),
        SessionCounts {
            active: 0,
            logins: 1
        }
    );
}

#[test]
fn a_cut_connection_ends_for_the_peer() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let f = Faults::default();
    let id = f.register_connection(server);
    f.cut_connection(id);
    // A bound on the read, so a connection left open fails the test instead of hanging it.
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(client.read(&mut buf).unwrap(), 0, "end of stream");
    // Cutting again, or cutting all, finds nothing left.
    f.cut_connection(id);
    f.cut_all_connections();
}
