//! The lab's HAProxy is the real one: it serves a VIP from the configuration file, answers its
//! runtime API, reloads without dropping open connections, and keeps serving when a reload is
//! refused.

use super::*;
use crate::process::free_port;
use tokio::io::{AsyncBufReadExt, BufReader};

/// `haproxy.cfg` with a TCP VIP on `port` over `members`, after the base configuration.
fn with_vip(h: &Haproxy, port: u16, members: &MemberServers, extra: &str) -> String {
    let base = std::fs::read_to_string(h.config_path()).unwrap();
    let base = base.split("frontend vip").next().unwrap().to_string();
    let mut cfg = format!("{base}frontend vip\n    bind 127.0.0.1:{port}\n    default_backend pool\nbackend pool\n    balance roundrobin\n{extra}");
    for m in &members.0 {
        cfg.push_str(&format!(
            "    server {} 127.0.0.1:{} check\n",
            m.name, m.port
        ));
    }
    cfg
}

/// The greeting of the member a new connection to the VIP reaches, and the connection.
async fn connect(port: u16) -> (String, BufReader<tokio::net::TcpStream>) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    (line.trim().to_string(), reader)
}

async fn lab_balancer() -> (Haproxy, MemberServers, tempfile::TempDir, u16) {
    let dir = tempfile::Builder::new()
        .prefix("ucl-hap-test-")
        .tempdir()
        .unwrap();
    let h = Haproxy::start(dir.path()).await.unwrap();
    let members = MemberServers::start(&["m1".into(), "m2".into()])
        .await
        .unwrap();
    let port = free_port().unwrap();
    std::fs::write(h.config_path(), with_vip(&h, port, &members, "")).unwrap();
    h.reload().await.unwrap();
    (h, members, dir, port)
}

#[tokio::test]
async fn a_vip_from_the_file_balances_over_the_members_and_the_runtime_api_shows_them() {
    let (h, members, _dir, port) = lab_balancer().await;
    let mut reached = Vec::new();
    for _ in 0..4 {
        reached.push(connect(port).await.0);
    }
    reached.sort();
    assert_eq!(
        reached,
        ["m1", "m1", "m2", "m2"],
        "round robin over both members"
    );
    let state = h.runtime("show servers state pool").await.unwrap();
    assert!(
        state.starts_with("1\n# be_id be_name srv_id srv_name srv_addr"),
        "{state}"
    );
    assert!(state.contains(" pool 1 m1 127.0.0.1 "), "{state}");
    assert_eq!(members.0[0].accepted() + members.0[1].accepted(), 4);
    // A member put in maintenance through the runtime API takes no new connection.
    assert_eq!(
        h.runtime("set server pool/m1 state maint")
            .await
            .unwrap()
            .trim(),
        ""
    );
    for _ in 0..3 {
        assert_eq!(connect(port).await.0, "m2");
    }
    h.stop().await;
}

#[tokio::test]
async fn a_reload_keeps_open_connections_and_a_refused_one_keeps_serving() {
    let (h, members, _dir, port) = lab_balancer().await;
    let (member, mut open) = connect(port).await;
    let (before, _) = h.reloads().await.unwrap();
    // Same VIP, one member fewer: a hitless reload.
    let only_m2 = MemberServers(Vec::new());
    let mut cfg = with_vip(&h, port, &only_m2, "");
    cfg.push_str(&format!(
        "    server m2 127.0.0.1:{} check\n",
        members.0[1].port
    ));
    std::fs::write(h.config_path(), cfg).unwrap();
    h.reload().await.unwrap();
    assert_eq!(h.reloads().await.unwrap().0, before + 1);
    open.get_mut().write_all(b"still there\n").await.unwrap();
    let mut echo = String::new();
    open.read_line(&mut echo).await.unwrap();
    assert_eq!(
        echo, "still there\n",
        "the connection to {member} survived the reload"
    );
    assert_eq!(connect(port).await.0, "m2");
    // A configuration HAProxy refuses: the reload fails and the old workers keep serving.
    std::fs::write(
        h.config_path(),
        with_vip(&h, port, &members, "    no-such-keyword x\n"),
    )
    .unwrap();
    let e = h.reload().await.unwrap_err();
    assert!(
        format!("{e:#}").contains("refused the new configuration"),
        "{e:#}"
    );
    assert_eq!(connect(port).await.0, "m2");
    h.stop().await;
}

#[test]
fn show_proc_reload_counters() {
    let out = "#<PID>          <type>          <reloads>       <uptime>        <version>\n\
               4242            master          3 [failed: 1]   0d00h00m07s     2.6.12-1+deb12u4\n\
               # workers\n\
               4300            worker          0               0d00h00m01s     2.6.12-1+deb12u4\n";
    assert_eq!(parse_reloads(out), Some((3, 1)));
    assert_eq!(parse_reloads("# workers\n"), None);
}
