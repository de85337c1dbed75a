//! The XMPP cluster ([`super::xmpp_cluster`], [`super::xmpp_cluster_state`]): every command
//! through [`run_command`] on nodes sharing one [`Fabric`], lab time moved with
//! `XmppClusters::skip` on a stopped clock; then over SSH with real nodes for what a stopped node does.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use super::certs::{BUNDLE_VERIFIED, PAIR_MATCH};
use super::services::{NO_DOMAIN, XMPP_ENABLED};
use super::shell::{run_command, Reply};
use super::state::NodeControl;
use super::tests::{login, Term, PASSWORD};
use super::xmpp_cluster::*;
use super::{CmsNode, CmsNodeConfig, Fabric, Service, XmppClusterRole, XmppPeer};
use crate::lab_ca::LabCa;

use XmppClusterRole::{Candidate, Disabled, Follower, Joining, Leader, NotJoined};

const MS: Duration = Duration::from_millis(1);

/// Nodes `cms1..cmsN` at `10.0.0.1..N` on one fabric, each with the TAC 213479 steps 3-4 done
/// (`xmpp domain`, `xmpp listen a`, `xmpp certs`, `xmpp cluster trust`).
struct Site {
    fabric: Fabric,
    nodes: Vec<NodeControl>,
    ca: LabCa,
}

impl Site {
    fn new(n: u8) -> Site {
        let fabric = Fabric::default();
        fabric.xmpp().freeze();
        let ca = LabCa::new("xmpp cluster root").unwrap();
        let mut site = Site {
            fabric,
            nodes: Vec::new(),
            ca,
        };
        for _ in 0..n {
            site.add();
        }
        site
    }

    /// Adds (and prepares) the next node.
    fn add(&mut self) -> NodeControl {
        let i = self.nodes.len() + 1;
        let node = NodeControl::new_in(
            format!("cms{i}"),
            "admin".into(),
            "pw".into(),
            String::new(),
            self.fabric.clone(),
            format!("10.0.0.{i}"),
        );
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, i as u8));
        let cert = self.ca.issue_server_cert(&[ip]).unwrap();
        node.put_file("xmpp.key", cert.key_pem);
        node.put_file("xmpp.cer", cert.cert_pem);
        node.put_file("root.cer", self.ca.cert_pem());
        for cmd in [
            "xmpp domain conf.example.com",
            "xmpp listen a",
            "xmpp certs xmpp.key xmpp.cer root.cer",
            "xmpp cluster trust root.cer",
        ] {
            quiet(&node, cmd);
        }
        self.nodes.push(node.clone());
        node
    }

    /// `cms<i>` (1-based).
    fn n(&self, i: usize) -> &NodeControl {
        &self.nodes[i - 1]
    }

    fn skip(&self, ms: u64) {
        self.fabric.xmpp().skip(Duration::from_millis(ms));
    }

    /// TAC 213479 step 6 on `cms<i>`, then the first election.
    fn initialize(&self, i: usize) {
        let n = self.n(i);
        quiet(n, "xmpp disable");
        quiet(n, "xmpp cluster enable");
        assert_eq!(out(n, "xmpp cluster initialize"), vec![INITIALIZED]);
        enable(n);
        self.skip(1000);
        assert_eq!(n.xmpp_cluster_state(), Leader);
    }

    /// TAC 213479 steps 7-8 on `cms<i>`, joining `target`, and the commit.
    fn join(&self, i: usize, target: &str) {
        let n = self.n(i);
        quiet(n, "xmpp disable");
        quiet(n, "xmpp cluster enable");
        enable(n);
        assert_eq!(
            out(n, &format!("xmpp cluster join {target}")),
            vec![joining(target)]
        );
        self.skip(2000);
        assert_eq!(n.xmpp_cluster_state(), Follower, "cms{i}");
    }

    /// A three-node cluster built in the TAC order, cms1 leading.
    fn three() -> Site {
        let site = Site::new(3);
        site.initialize(1);
        site.join(2, "10.0.0.1");
        site.join(3, "10.0.0.1");
        site
    }

    /// `xmpp cluster status` on `cms<i>`.
    fn status(&self, i: usize) -> Vec<String> {
        out(self.n(i), "xmpp cluster status")
    }
}

fn out(n: &NodeControl, cmd: &str) -> Vec<String> {
    match run_command(n, cmd) {
        Reply::Lines(l) => l,
        other => panic!("{cmd}: expected lines, got {other:?}"),
    }
}

fn quiet(n: &NodeControl, cmd: &str) {
    assert_eq!(out(n, cmd), Vec::<String>::new(), "{cmd}");
}

fn enable(n: &NodeControl) {
    assert_eq!(
        out(n, "xmpp enable"),
        vec![PAIR_MATCH, BUNDLE_VERIFIED, XMPP_ENABLED]
    );
}

/// The expected `xmpp cluster status` text.
fn status(state: &str, peers: &[&str]) -> Vec<String> {
    let mut v = vec![format!("State: {state}"), "List of peers".to_string()];
    v.extend(peers.iter().map(|p| p.to_string()));
    v
}

fn clustered_field(n: &NodeControl) -> String {
    out(n, "xmpp")
        .into_iter()
        .find(|l| l.starts_with("Clustered"))
        .unwrap()
}

#[test]
fn three_nodes_in_the_tac_order() {
    let site = Site::new(3);
    let n1 = site.n(1);
    assert_eq!(site.status(1), status("DISABLED", &[]));
    quiet(n1, "xmpp disable");
    quiet(n1, "xmpp cluster enable");
    assert_eq!(clustered_field(n1), "Clustered               : true");
    assert_eq!(site.status(1), status("NOT_JOINED", &[]));
    assert_eq!(out(n1, "xmpp cluster initialize"), vec![INITIALIZED]);
    // The XMPP server is still disabled: a member that does not take part.
    assert_eq!(site.status(1), status("INACTIVE", &["10.0.0.1:5222"]));
    enable(n1);
    assert_eq!(site.status(1), status("CANDIDATE", &["10.0.0.1:5222"]));
    site.skip(999);
    assert_eq!(n1.xmpp_cluster_state(), Candidate);
    site.skip(1);
    assert_eq!(
        site.status(1),
        status("LEADER", &["10.0.0.1:5222 (Leader)"])
    );

    // Second node: disable, cluster enable, enable, join; committed after the join delay.
    let n2 = site.n(2);
    quiet(n2, "xmpp disable");
    quiet(n2, "xmpp cluster enable");
    enable(n2);
    assert_eq!(
        out(n2, "xmpp cluster join 10.0.0.1"),
        vec!["SUCCESS: joining XMPP cluster at 10.0.0.1"]
    );
    assert_eq!(
        site.status(2),
        status("JOINING", &["10.0.0.1:5222 (Leader)"])
    );
    site.skip(1999);
    assert_eq!(
        site.status(1),
        status("LEADER", &["10.0.0.1:5222 (Leader)"])
    );
    assert_eq!(n2.xmpp_cluster_state(), Joining);
    site.skip(1);
    let two = ["10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(1), status("LEADER", &two));
    assert_eq!(site.status(2), status("FOLLOWER", &two));

    // Third node joins by the first node's name (TAC: "IP address or domain name").
    let n3 = site.n(3);
    quiet(n3, "xmpp disable");
    quiet(n3, "xmpp cluster enable");
    enable(n3);
    assert_eq!(
        out(n3, "xmpp cluster join cms1"),
        vec!["SUCCESS: joining XMPP cluster at cms1"]
    );
    site.skip(2000);
    let three = ["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(1), status("LEADER", &three));
    assert_eq!(site.status(2), status("FOLLOWER", &three));
    assert_eq!(site.status(3), status("FOLLOWER", &three));
    assert_eq!(
        n3.xmpp_cluster_peers(),
        vec![
            XmppPeer {
                address: "10.0.0.3".into(),
                leader: false
            },
            XmppPeer {
                address: "10.0.0.2".into(),
                leader: false
            },
            XmppPeer {
                address: "10.0.0.1".into(),
                leader: true
            },
        ]
    );
    assert_eq!(n3.xmpp_cluster_leader().as_deref(), Some("10.0.0.1"));
    assert_eq!(clustered_field(n3), "Clustered               : true");
}

#[test]
fn a_late_join_through_a_follower() {
    let mut site = Site::three();
    let n4 = site.add();
    n4.set_xmpp_join_delay(500 * MS);
    site.join_pending(4, "10.0.0.2:5222");
    site.skip(499);
    assert_eq!(site.n(1).xmpp_cluster_peers().len(), 3);
    assert_eq!(n4.xmpp_cluster_state(), Joining);
    site.skip(1);
    let four = [
        "10.0.0.4:5222",
        "10.0.0.3:5222",
        "10.0.0.2:5222",
        "10.0.0.1:5222 (Leader)",
    ];
    for i in 1..=3 {
        assert_eq!(site.status(i)[2..], four.map(String::from), "cms{i}");
    }
    assert_eq!(site.status(4), status("FOLLOWER", &four));

    // A join that never converges stays JOINING.
    let n5 = site.add();
    n5.set_xmpp_join_never_converges(true);
    site.join_pending(5, "10.0.0.1");
    site.skip(10_000);
    assert_eq!(n5.xmpp_cluster_state(), Joining);
    assert_eq!(site.n(1).xmpp_cluster_peers().len(), 4);
    n5.set_xmpp_join_never_converges(false);
    assert_eq!(n5.xmpp_cluster_state(), Follower);
    assert_eq!(site.n(1).xmpp_cluster_peers().len(), 5);
}

impl Site {
    /// The joining steps on `cms<i>` without waiting for the commit.
    fn join_pending(&self, i: usize, target: &str) {
        let n = self.n(i);
        quiet(n, "xmpp cluster enable");
        enable(n);
        assert_eq!(
            out(n, &format!("xmpp cluster join {target}")),
            vec![joining(target)]
        );
    }
}

#[test]
fn usage_and_failures() {
    let mut site = Site::new(1);
    let n1 = site.n(1).clone();
    for (cmd, want) in [
        ("xmpp cluster enable x", "Usage: xmpp cluster enable"),
        ("xmpp cluster disable x", "Usage: xmpp cluster disable"),
        (
            "xmpp cluster initialize x",
            "Usage: xmpp cluster initialize",
        ),
        ("xmpp cluster join", "Usage: xmpp cluster join <address>"),
        (
            "xmpp cluster join a b",
            "Usage: xmpp cluster join <address>",
        ),
        (
            "xmpp cluster remove",
            "Usage: xmpp cluster remove <address>",
        ),
        ("xmpp cluster status x", "Usage: xmpp cluster status"),
        ("xmpp reset now", "Usage: xmpp reset"),
        ("xmpp cluster frob", "Unknown command: xmpp cluster frob"),
        ("xmpp cluster", "Unknown command: xmpp cluster"),
        // Before `xmpp cluster enable`.
        ("xmpp cluster initialize", NOT_ENABLED),
        ("xmpp cluster join 10.0.0.2", NOT_ENABLED),
        ("xmpp cluster remove 10.0.0.2", NOT_MEMBER),
    ] {
        assert_eq!(out(&n1, cmd), vec![want], "{cmd}");
    }
    quiet(&n1, "xmpp cluster enable");
    quiet(&n1, "xmpp cluster trust none");
    assert_eq!(out(&n1, "xmpp cluster initialize"), vec![NO_TRUST]);
    assert_eq!(out(&n1, "xmpp cluster join 10.0.0.2"), vec![NO_TRUST]);
    quiet(&n1, "xmpp cluster trust root.cer");
    enable(&n1);
    assert_eq!(out(&n1, "xmpp cluster initialize"), vec![MUST_DISABLE]);
    quiet(&n1, "xmpp disable");
    assert_eq!(out(&n1, "xmpp cluster join 10.0.0.2"), vec![NOT_RUNNING]);
    assert_eq!(out(&n1, "xmpp cluster initialize"), vec![INITIALIZED]);
    assert_eq!(out(&n1, "xmpp cluster initialize"), vec![ALREADY_MEMBER]);
    assert_eq!(out(&n1, "xmpp cluster remove 10.0.0.1"), vec![NOT_RUNNING]);
    enable(&n1);
    // The first election is not over: nobody to commit a removal.
    assert_eq!(out(&n1, "xmpp cluster remove 10.0.0.1"), vec![NO_LEADER]);
    site.skip(1000);
    assert_eq!(
        out(&n1, "xmpp cluster remove 10.0.0.9"),
        vec![not_a_peer("10.0.0.9")]
    );
    assert_eq!(out(&n1, "xmpp cluster join 10.0.0.2"), vec![ALREADY_MEMBER]);

    // A second node tries to join in ways that fail.
    let n2 = site.add();
    quiet(&n2, "xmpp cluster enable");
    enable(&n2);
    let fails = |target: &str, want: String| {
        assert_eq!(
            out(&n2, &format!("xmpp cluster join {target}")),
            vec![want],
            "join {target}"
        );
        assert_eq!(n2.xmpp_cluster_state(), NotJoined);
    };
    fails("10.0.0.9", unreachable("10.0.0.9"));
    fails("10.0.0.2", is_this_node("10.0.0.2"));
    // The target's XMPP server is down.
    n1.set_service_enabled(Service::Xmpp, false);
    fails("10.0.0.1", unreachable("10.0.0.1"));
    n1.set_service_enabled(Service::Xmpp, true);
    site.skip(1000);
    // The target has no cluster trust.
    quiet(&n1, "xmpp cluster trust none");
    fails("10.0.0.1", target_untrusted("10.0.0.1"));
    quiet(&n1, "xmpp cluster trust root.cer");
    // Another domain.
    quiet(&n2, "xmpp domain other.example.com");
    fails(
        "10.0.0.1",
        domain_mismatch("10.0.0.1", "conf.example.com", "other.example.com"),
    );
    quiet(&n2, "xmpp domain conf.example.com");
    // Cut off from the other XMPP servers.
    n2.set_xmpp_partitioned(true);
    fails("10.0.0.1", unreachable("10.0.0.1"));
    n2.set_xmpp_partitioned(false);

    // The target is clustered and running but in no cluster.
    let n3 = site.add();
    quiet(&n3, "xmpp cluster enable");
    enable(&n3);
    fails("10.0.0.3", not_in_cluster("10.0.0.3"));
    // ... or still joining.
    n3.set_xmpp_join_never_converges(true);
    assert_eq!(
        out(&n3, "xmpp cluster join 10.0.0.1"),
        vec![joining("10.0.0.1")]
    );
    fails("10.0.0.3", not_in_cluster("10.0.0.3"));
    assert_eq!(out(&n3, "xmpp cluster remove 10.0.0.1"), vec![NOT_MEMBER]);

    // A node without a domain.
    n2.update_xmpp(|x| x.domain = None);
    assert_eq!(out(&n2, "xmpp cluster join 10.0.0.1"), vec![NO_DOMAIN]);
    n2.update_xmpp(|x| x.domain = Some("conf.example.com".into()));
    assert_eq!(
        out(&n2, "xmpp cluster join 10.0.0.1"),
        vec![joining("10.0.0.1")]
    );
}

#[test]
fn removal_leaves_no_duplicates() {
    let site = Site::three();
    assert_eq!(
        out(site.n(1), "xmpp cluster remove 10.0.0.3:5222"),
        vec![removed("10.0.0.3:5222")]
    );
    let two = ["10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(1), status("LEADER", &two));
    assert_eq!(site.status(2), status("FOLLOWER", &two));
    assert_eq!(site.status(3), status("NOT_JOINED", &[]));
    // Clustering stays enabled on the removed node; it can join again.
    assert_eq!(clustered_field(site.n(3)), "Clustered               : true");
    assert_eq!(
        out(site.n(3), "xmpp cluster join 10.0.0.2"),
        vec![joining("10.0.0.2")]
    );
    site.skip(2000);
    let three = ["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    for i in 1..=3 {
        assert_eq!(site.status(i)[2..], three.map(String::from), "cms{i}");
    }

    // Removing then resetting (TAC 213479's advice): a later join adds one entry.
    assert!(site.n(2).leave_xmpp_cluster_behind_the_back());
    assert_eq!(site.n(2).xmpp_cluster_state(), NotJoined);
    quiet(site.n(2), "xmpp reset");
    assert_eq!(
        clustered_field(site.n(2)),
        "Clustered               : false"
    );
    quiet(site.n(2), "xmpp cluster trust root.cer");
    quiet(site.n(2), "xmpp cluster enable");
    assert_eq!(
        out(site.n(2), "xmpp cluster join 10.0.0.1"),
        vec![joining("10.0.0.1")]
    );
    site.skip(2000);
    let again = ["10.0.0.2:5222", "10.0.0.3:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(1), status("LEADER", &again));

    // The leader removes itself: the others elect a new one.
    assert_eq!(
        out(site.n(1), "xmpp cluster remove 10.0.0.1"),
        vec![removed("10.0.0.1")]
    );
    assert_eq!(site.n(1).xmpp_cluster_state(), NotJoined);
    assert_eq!(site.n(2).xmpp_cluster_state(), Candidate);
    site.skip(1000);
    assert_eq!(
        site.status(3),
        status("FOLLOWER", &["10.0.0.2:5222 (Leader)", "10.0.0.3:5222"])
    );
}

#[test]
fn a_reset_without_removal_duplicates_the_node() {
    let site = Site::three();
    // CSCvi67717: cms3 is reset while still in the cluster ...
    quiet(site.n(3), "xmpp reset");
    let x = site.n(3).xmpp_config();
    assert!(!x.clustered);
    assert_eq!(x.cluster_trust, None);
    assert_eq!(site.status(3), status("DISABLED", &[]));
    // ... its entry stays in the others' lists ...
    let three = ["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(1), status("LEADER", &three));
    // ... and joining again lists it twice (TAC 213479 "Scenario 3").
    quiet(site.n(3), "xmpp cluster trust root.cer");
    quiet(site.n(3), "xmpp cluster enable");
    assert_eq!(
        out(site.n(3), "xmpp cluster join 10.0.0.1"),
        vec![joining("10.0.0.1")]
    );
    site.skip(2000);
    let four = [
        "10.0.0.3:5222",
        "10.0.0.3:5222",
        "10.0.0.2:5222",
        "10.0.0.1:5222 (Leader)",
    ];
    for i in 1..=3 {
        assert_eq!(site.status(i)[2..], four.map(String::from), "cms{i}");
    }
    // The stale entry never answers but counts: losing one real node (2 of 4 left) leaves no
    // majority.
    site.n(2).set_service_enabled(Service::Xmpp, false);
    site.skip(1000);
    let leaderless = [
        "10.0.0.3:5222",
        "10.0.0.3:5222",
        "10.0.0.2:5222",
        "10.0.0.1:5222",
    ];
    assert_eq!(site.status(1), status("CANDIDATE", &leaderless));
    assert_eq!(site.status(3), status("CANDIDATE", &leaderless));
    assert_eq!(site.status(2), status("INACTIVE", &leaderless));
    site.n(2).set_service_enabled(Service::Xmpp, true);
    site.skip(1000);
    assert_eq!(site.n(1).xmpp_cluster_state(), Leader);

    // Removing the address drops both entries; a fresh join adds one.
    assert_eq!(
        out(site.n(1), "xmpp cluster remove 10.0.0.3"),
        vec![removed("10.0.0.3")]
    );
    assert_eq!(site.n(3).xmpp_cluster_state(), NotJoined);
    assert_eq!(site.n(1).xmpp_cluster_peers().len(), 2);
    assert_eq!(
        out(site.n(3), "xmpp cluster join 10.0.0.1"),
        vec![joining("10.0.0.1")]
    );
    site.skip(2000);
    assert_eq!(site.status(2), status("FOLLOWER", &three));

    // `xmpp cluster disable` forgets the membership the same way.
    quiet(site.n(2), "xmpp cluster disable");
    assert_eq!(site.n(2).xmpp_cluster_state(), Disabled);
    assert_eq!(
        clustered_field(site.n(2)),
        "Clustered               : false"
    );
    quiet(site.n(2), "xmpp cluster enable");
    assert_eq!(site.n(2).xmpp_cluster_state(), NotJoined);
    assert_eq!(site.n(1).xmpp_cluster_peers().len(), 3);
    // The accessor does what `xmpp reset` does.
    assert!(site.n(3).reset_xmpp_cluster_behind_the_back());
    assert!(!site.n(3).reset_xmpp_cluster_behind_the_back());
    assert_eq!(site.n(3).xmpp_cluster_state(), Disabled);
    assert_eq!(site.n(1).xmpp_cluster_peers().len(), 3);
}

#[test]
fn leader_failover_with_a_majority_and_none_without() {
    let site = Site::three();
    // The leader's XMPP server stops: the others keep it as leader until the election ends.
    quiet(site.n(1), "xmpp disable");
    let old = ["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(2), status("FOLLOWER", &old));
    assert_eq!(
        site.status(1),
        status(
            "INACTIVE",
            &["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222"]
        )
    );
    site.skip(999);
    assert_eq!(site.n(2).xmpp_cluster_leader().as_deref(), Some("10.0.0.1"));
    site.skip(1);
    let new = ["10.0.0.3:5222", "10.0.0.2:5222 (Leader)", "10.0.0.1:5222"];
    assert_eq!(site.status(2), status("LEADER", &new));
    assert_eq!(site.status(3), status("FOLLOWER", &new));

    // The new leader is cut off: one of three left, no majority, no leader.
    site.n(2).set_xmpp_partitioned(true);
    assert_eq!(site.n(2).xmpp_cluster_state(), Candidate);
    assert_eq!(site.n(3).xmpp_cluster_state(), Follower);
    site.skip(1000);
    let none = ["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222"];
    assert_eq!(site.status(3), status("CANDIDATE", &none));
    assert_eq!(site.status(2), status("CANDIDATE", &none));
    site.skip(60_000);
    assert_eq!(site.n(3).xmpp_cluster_leader(), None);

    // The first node comes back: a majority again, the lowest live address leads.
    enable(site.n(1));
    assert_eq!(site.n(1).xmpp_cluster_state(), Candidate);
    site.skip(1000);
    let back = ["10.0.0.3:5222", "10.0.0.2:5222", "10.0.0.1:5222 (Leader)"];
    assert_eq!(site.status(1), status("LEADER", &back));
    assert_eq!(site.status(3), status("FOLLOWER", &back));
    site.n(2).set_xmpp_partitioned(false);
    assert_eq!(site.status(2), status("FOLLOWER", &back));

    // A leader that loses its majority steps down after the election delay; a shorter
    // election delay on a member shortens it.
    site.n(3).set_xmpp_election_delay(200 * MS);
    site.n(2).update_xmpp(|x| x.clustered = false);
    site.n(3).set_service_enabled(Service::Xmpp, false);
    site.skip(1000);
    assert_eq!(site.n(1).xmpp_cluster_state(), Candidate);
    site.n(3).set_service_enabled(Service::Xmpp, true);
    site.skip(199);
    assert_eq!(site.n(1).xmpp_cluster_state(), Candidate);
    site.skip(1);
    assert_eq!(site.n(1).xmpp_cluster_state(), Leader);
}

/// Over SSH: the status through the shell, and a stopped node dropping out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_ssh_a_stopped_leader_is_replaced() {
    let fabric = Fabric::default();
    let ca = LabCa::new("xmpp ssh root").unwrap();
    let mut nodes = Vec::new();
    for i in 1..=3u8 {
        let ip = Ipv4Addr::new(127, 77, 21, i);
        let node = CmsNode::start_in(
            CmsNodeConfig {
                hostname: format!("cms{i}"),
                bind: IpAddr::V4(ip),
                port: 0,
                username: "admin".into(),
                password: PASSWORD.into(),
                xmpp_domain: "conf.example.com".into(),
            },
            fabric.clone(),
        )
        .await
        .unwrap();
        let c = node.control();
        let cert = ca.issue_server_cert(&[IpAddr::V4(ip)]).unwrap();
        c.put_file("xmpp.key", cert.key_pem);
        c.put_file("xmpp.cer", cert.cert_pem);
        c.put_file("root.cer", ca.cert_pem());
        c.set_xmpp_join_delay(50 * MS);
        c.set_xmpp_election_delay(50 * MS);
        nodes.push(node);
    }
    let h = login(nodes[1].addr()).await;
    let mut t = Term::open_on(&h, true, "cms2> ").await;
    t.read_until("cms2> ").await;
    for (i, node) in nodes.iter().enumerate() {
        let c = node.control();
        for cmd in [
            "xmpp listen a",
            "xmpp certs xmpp.key xmpp.cer root.cer",
            "xmpp cluster trust root.cer",
            "xmpp disable",
            "xmpp cluster enable",
        ] {
            quiet(&c, cmd);
        }
        if i == 0 {
            assert_eq!(out(&c, "xmpp cluster initialize"), vec![INITIALIZED]);
            enable(&c);
            wait_for(|| c.xmpp_cluster_state() == Leader).await;
        } else {
            enable(&c);
            let cmd = "xmpp cluster join 127.77.21.1";
            if i == 1 {
                assert_eq!(
                    t.cmd(cmd).await,
                    "SUCCESS: joining XMPP cluster at 127.77.21.1\r\n"
                );
            } else {
                // The join is applied, then the connection drops before its reply: a retry
                // finds the node already in the cluster.
                c.drop_connection_after("xmpp cluster join", 1);
                let h3 = login(node.addr()).await;
                let mut t3 = Term::open_on(&h3, true, "cms3> ").await;
                t3.read_until("cms3> ").await;
                t3.send(&format!("{cmd}\r")).await;
                assert_eq!(t3.read_to_end().await, "");
                assert_eq!(out(&c, cmd), vec![ALREADY_MEMBER]);
            }
            wait_for(|| c.xmpp_cluster_state() == Follower).await;
        }
    }
    assert_eq!(
        t.cmd("xmpp cluster status").await,
        "State: FOLLOWER\r\nList of peers\r\n127.77.21.3:5222\r\n127.77.21.2:5222\r\n127.77.21.1:5222 (Leader)\r\n"
    );
    let mut nodes = nodes.into_iter();
    let (n1, n2, n3) = (
        nodes.next().unwrap(),
        nodes.next().unwrap(),
        nodes.next().unwrap(),
    );
    n1.stop().await;
    let c3 = n3.control();
    wait_for(|| c3.xmpp_cluster_leader().as_deref() == Some("127.77.21.2")).await;
    assert_eq!(
        t.cmd("xmpp cluster status").await,
        "State: LEADER\r\nList of peers\r\n127.77.21.3:5222\r\n127.77.21.2:5222 (Leader)\r\n127.77.21.1:5222\r\n"
    );
    // The stopped node is still listed until removed.
    assert_eq!(
        t.cmd("xmpp cluster remove 127.77.21.1").await,
        "SUCCESS: 127.77.21.1 removed from XMPP cluster\r\n"
    );
    assert_eq!(
        c3.xmpp_cluster_peers().len(),
        2,
        "{:?}",
        c3.xmpp_cluster_peers()
    );
    drop(t);
    drop(h);
    n2.stop().await;
    n3.stop().await;
}

async fn wait_for(mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + super::tests::TIMEOUT;
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
