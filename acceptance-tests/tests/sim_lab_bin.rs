//! The `uccluster-lab` binary: READY protocol, lab files, stop on stdin EOF.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn lab_binary_prints_endpoints_then_ready_and_stops_on_stdin_eof() {
    let out = std::env::temp_dir().join(format!("uccluster-lab-bin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut child = Command::new(env!("CARGO_BIN_EXE_uccluster-lab"))
        .args(["--cms-nodes", "2", "--stop-on-stdin-eof", "--out"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let endpoints: serde_json::Value =
        serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(lines.next().unwrap().unwrap(), "READY");
    let nodes = endpoints["cms_nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[1]["name"], "cms2");
    let port = nodes[0]["port"].as_u64().unwrap();
    let addr = format!("{}:{port}", nodes[0]["address"].as_str().unwrap());
    std::net::TcpStream::connect(&addr).expect("lab node listens");
    for f in ["lab.json", "known_hosts", "lab.auto.tfvars.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }

    drop(child.stdin.take()); // EOF -> clean stop
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(std::net::TcpStream::connect(&addr).is_err());
    let _ = std::fs::remove_dir_all(&out);
}
