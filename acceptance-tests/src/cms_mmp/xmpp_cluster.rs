//! The `xmpp cluster ...` MMP commands (but `xmpp cluster trust`, see [`super::services`]),
//! `xmpp reset`, and the XMPP cluster accessors of [`NodeControl`]. Membership, peer lists,
//! timing and the leader election live in [`super::xmpp_cluster_state`], on the lab's
//! [`super::Fabric`].
//!
//! Sources:
//! - Cisco TAC 213479 "Configure XMPP Resiliency",
//!   <https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/213479-configure-xmpp-resiliency.html>:
//!   per node `xmpp domain`, `xmpp listen a`, `xmpp certs`, `xmpp cluster trust <bundle>`; on the
//!   first node `xmpp disable`, `xmpp cluster enable`, `xmpp cluster initialize` ("creates a 1
//!   node xmpp cluster"), `xmpp enable`; on the others `xmpp disable`, `xmpp cluster enable`,
//!   `xmpp enable`, `xmpp cluster join <cluster>` ("the IP address or domain name of the first
//!   node"); `xmpp cluster status` ("a report on the live state of the xmpp cluster"), one node
//!   the Leader, the others Followers; "Scenario 3": remove nodes from the cluster before
//!   resetting them ("XMPP reset"), else a re-join lists the node twice (Cisco bug CSCvi67717).
//! - The status layout, from TAC 213479 / CSCvi67717:
//!   ```text
//!   State: LEADER
//!   List of peers
//!   10.61.7.91:5222
//!   10.59.103.71:5222
//!   10.59.103.70:5222 (Leader)
//!   ```
//! - meeting-infohub FAQs "How does an XMPP cluster work?" and "Why does an XMPP cluster require
//!   three XMPP servers and not two?": keep-alives, leader election, more than half of the
//!   nodes needed.
//!
//! Not documented, chosen for the simulator [GUESS]: the removal command (no Cisco text names
//! it: `xmpp cluster remove <address>` run on a member, `xmpp reset` on the leaving node wipes
//! its cluster state), every `SUCCESS: ...` / `FAILURE: ...` / `Usage: ...` text, the states
//! other than LEADER / FOLLOWER, what a non-member prints, the peer order (newest first),
//! which preconditions each command checks (beyond the TAC order), and all timing.
//!
//! The wire contract (preconditions are checked in the order listed; the first that fails
//! prints its one line and changes nothing):
//!
//! | command | preconditions and their failure lines | output on success |
//! |---|---|---|
//! | `xmpp cluster enable` | none | nothing; `xmpp` shows `Clustered : true` |
//! | `xmpp cluster disable` | none | nothing; `Clustered : false`; the node forgets its membership **without** telling its peers (its entry stays in their lists) |
//! | `xmpp cluster initialize` | clustering enabled (`FAILURE: XMPP cluster not enabled`); a cluster trust (`FAILURE: XMPP cluster trust not configured`); the XMPP server disabled, per the TAC order (`FAILURE: the XMPP server must be disabled to initialize the XMPP cluster`); not a member (`FAILURE: this node is already in an XMPP cluster`) | `SUCCESS: XMPP cluster initialized`: a one-node cluster; the node is `INACTIVE` until `xmpp enable`, then `CANDIDATE`, then, after the election delay, `LEADER` |
//! | `xmpp cluster join <address>` (an address or hostname, optionally `:5222`) | clustering enabled (`FAILURE: XMPP cluster not enabled`); a cluster trust (`FAILURE: XMPP cluster trust not configured`); the XMPP server enabled (`FAILURE: XMPP server not enabled`); a domain (`FAILURE: domain not configured`); not a member (`FAILURE: this node is already in an XMPP cluster`); the target reachable: an online node at that address or hostname, its XMPP server enabled and clustered, neither side cut off (`FAILURE: unable to contact XMPP server at <address>`); not this node (`FAILURE: <address> is this node`); the target a committed member (`FAILURE: <address> is not in an XMPP cluster`); the target has a cluster trust (`FAILURE: <address> has no XMPP cluster trust configured`); the same domain (`FAILURE: XMPP domain mismatch: <address> serves <theirs>, this node <ours>`) | `SUCCESS: joining XMPP cluster at <address>`; the node is `JOINING` until the cluster commits the join (join delay passed and a leader), then it shows in every member's list |
//! | `xmpp cluster remove <address>` (`<address>` or `<address>:5222`) | a committed member (`FAILURE: this node is not in an XMPP cluster`); the XMPP server enabled (`FAILURE: XMPP server not enabled`); a leader, and this node not cut off (`FAILURE: XMPP cluster has no leader`); a peer at that address (`FAILURE: <address> is not an XMPP cluster peer`) | `SUCCESS: <address> removed from XMPP cluster`; every entry at that address goes at once (duplicates included), its node becomes `NOT_JOINED`; removing the leader starts an election |
//! | `xmpp cluster status` | none | `State: <state>`, `List of peers`, then one `<address>:5222` line per committed member, newest first, ` (Leader)` after the leader |
//! | `xmpp reset` | none | nothing; as `xmpp cluster disable`, and the cluster trust becomes `none` (domain, listen, certs, the enabled flag and call bridge accounts are kept) |
//!
//! Wrong arguments print `Usage: xmpp cluster enable`, `Usage: xmpp cluster disable`,
//! `Usage: xmpp cluster initialize`, `Usage: xmpp cluster join <address>`,
//! `Usage: xmpp cluster remove <address>`, `Usage: xmpp cluster status`, `Usage: xmpp reset`;
//! another `xmpp cluster <word>` is `Unknown command: <line>` ([`super::shell`]).
//!
//! `State:` values ([`XmppClusterRole`]): `DISABLED` (clustering not enabled; no peer lines),
//! `NOT_JOINED` (enabled, not in a cluster; no peer lines), `JOINING`, `INACTIVE` (a member
//! whose XMPP server is disabled; peers without a leader mark), `CANDIDATE` (a member that sees
//! no leader: no majority, an election under way, or cut off from its peers; no leader mark),
//! `FOLLOWER`, `LEADER`. After the leader goes, the others keep showing it as `(Leader)` until
//! the election completes (election delay), then show the new one, or none without a majority.

use std::time::{Duration, Instant};

use super::fabric::NodeId;
use super::services;
use super::shell::Reply;
use super::state::NodeControl;
use super::xmpp_cluster_state::XmppState;
pub use super::xmpp_cluster_state::{XmppClusterRole, XmppPeer};

/// `xmpp cluster initialize|join` before `xmpp cluster enable` [GUESS].
pub const NOT_ENABLED: &str = "FAILURE: XMPP cluster not enabled";
/// `xmpp cluster initialize|join` before `xmpp cluster trust <bundle>` [GUESS].
pub const NO_TRUST: &str = "FAILURE: XMPP cluster trust not configured";
/// `xmpp cluster initialize` while the XMPP server runs (TAC 213479 disables it first) [GUESS].
pub const MUST_DISABLE: &str =
    "FAILURE: the XMPP server must be disabled to initialize the XMPP cluster";
/// `xmpp cluster join|remove` while the XMPP server is disabled (TAC 213479 enables it before
/// joining) [GUESS].
pub const NOT_RUNNING: &str = "FAILURE: XMPP server not enabled";
/// `xmpp cluster initialize|join` on a member [GUESS].
pub const ALREADY_MEMBER: &str = "FAILURE: this node is already in an XMPP cluster";
/// `xmpp cluster remove` on a node that is not (yet) a member [GUESS].
pub const NOT_MEMBER: &str = "FAILURE: this node is not in an XMPP cluster";
/// `xmpp cluster remove` while the cluster has no leader to commit it [GUESS].
pub const NO_LEADER: &str = "FAILURE: XMPP cluster has no leader";
/// `xmpp cluster initialize` succeeded [GUESS].
pub const INITIALIZED: &str = "SUCCESS: XMPP cluster initialized";

/// No online node answers for the cluster at `target` [GUESS].
pub fn unreachable(target: &str) -> String {
    format!("FAILURE: unable to contact XMPP server at {target}")
}

/// `xmpp cluster join` naming the node itself [GUESS].
pub fn is_this_node(target: &str) -> String {
    format!("FAILURE: {target} is this node")
}

/// The target is not a committed member of a cluster [GUESS].
pub fn not_in_cluster(target: &str) -> String {
    format!("FAILURE: {target} is not in an XMPP cluster")
}

/// The target has no `xmpp cluster trust` (the TLS link cannot be set up) [GUESS].
pub fn target_untrusted(target: &str) -> String {
    format!("FAILURE: {target} has no XMPP cluster trust configured")
}

/// The target serves another XMPP domain [GUESS].
pub fn domain_mismatch(target: &str, theirs: &str, ours: &str) -> String {
    format!("FAILURE: XMPP domain mismatch: {target} serves {theirs}, this node {ours}")
}

/// `xmpp cluster remove` naming no peer [GUESS].
pub fn not_a_peer(address: &str) -> String {
    format!("FAILURE: {address} is not an XMPP cluster peer")
}

/// `xmpp cluster join` accepted [GUESS].
pub fn joining(target: &str) -> String {
    format!("SUCCESS: joining XMPP cluster at {target}")
}

/// `xmpp cluster remove` done [GUESS].
pub fn removed(address: &str) -> String {
    format!("SUCCESS: {address} removed from XMPP cluster")
}

fn one(line: impl Into<String>) -> Reply {
    Reply::Lines(vec![line.into()])
}

fn nothing() -> Reply {
    Reply::Lines(Vec::new())
}

/// The `xmpp cluster status` lines for a state and its peers.
pub fn status_lines(role: XmppClusterRole, peers: &[XmppPeer]) -> Vec<String> {
    let mut lines = vec![format!("State: {role}"), "List of peers".to_string()];
    lines.extend(peers.iter().map(XmppPeer::line));
    lines
}

/// Runs `xmpp cluster <sub> <args>` (`sub` is not `trust`); `None` for an unknown `sub`.
pub fn run(node: &NodeControl, sub: &str, args: &[&str]) -> Option<Reply> {
    Some(match (sub, args) {
        // TAC 213479 step 6: `xmpp cluster enable`.
        ("enable", []) => {
            node.with_services(|s| s.xmpp.clustered = true);
            nothing()
        }
        ("enable", _) => one("Usage: xmpp cluster enable"),
        // [GUESS] the converse; the node leaves its peers' lists untouched (CSCvi67717).
        ("disable", []) => {
            node.xmpp_cluster(|s, id, _| s.forget(id));
            node.with_services(|s| s.xmpp.clustered = false);
            nothing()
        }
        ("disable", _) => one("Usage: xmpp cluster disable"),
        // TAC 213479 step 6: "creates a 1 node xmpp cluster", run with the XMPP server disabled.
        ("initialize", []) => {
            let x = node.xmpp_config();
            if !x.clustered {
                return Some(one(NOT_ENABLED));
            }
            if x.cluster_trust.is_none() {
                return Some(one(NO_TRUST));
            }
            if x.enabled {
                return Some(one(MUST_DISABLE));
            }
            match node.xmpp_cluster(|s, id, now| s.initialize(id, now)) {
                Ok(()) => one(INITIALIZED),
                Err(e) => one(e),
            }
        }
        ("initialize", _) => one("Usage: xmpp cluster initialize"),
        // TAC 213479 steps 7-8: `xmpp cluster join <cluster>` after `xmpp enable`.
        ("join", [target]) => {
            let x = node.xmpp_config();
            if !x.clustered {
                return Some(one(NOT_ENABLED));
            }
            if x.cluster_trust.is_none() {
                return Some(one(NO_TRUST));
            }
            if !x.enabled {
                return Some(one(NOT_RUNNING));
            }
            let Some(domain) = x.domain else {
                return Some(one(services::NO_DOMAIN));
            };
            match node.xmpp_cluster(|s, id, now| s.join(id, target, &domain, now)) {
                Ok(()) => one(joining(target)),
                Err(e) => one(e),
            }
        }
        ("join", _) => one("Usage: xmpp cluster join <address>"),
        // [GUESS] TAC 213479 says to remove a node before resetting it, not how.
        ("remove", [address]) => {
            let running = node.xmpp_config().enabled;
            match node.xmpp_cluster(|s, id, _| s.remove(id, address, running)) {
                Ok(()) => one(removed(address)),
                Err(e) => one(e),
            }
        }
        ("remove", _) => one("Usage: xmpp cluster remove <address>"),
        // TAC 213479 "Verify" / CSCvi67717: State, List of peers, `(Leader)`.
        ("status", []) => {
            let (role, peers) = node.xmpp_cluster(|s, id, _| s.view(id));
            Reply::Lines(status_lines(role, &peers))
        }
        ("status", _) => one("Usage: xmpp cluster status"),
        _ => return None,
    })
}

/// `xmpp reset` (TAC 213479 "XMPP reset"; what it resets is [GUESS]): forgets the membership
/// without telling the peers, disables clustering, clears the cluster trust.
pub fn reset(node: &NodeControl, args: &[&str]) -> Reply {
    if !args.is_empty() {
        return one("Usage: xmpp reset");
    }
    node.reset_xmpp_cluster_behind_the_back();
    nothing()
}

/// XMPP cluster accessors and controls for tests.
impl NodeControl {
    /// Runs `f` on the lab's XMPP cluster state (advanced to now) with this node's id. Never
    /// call a services accessor inside `f`.
    pub(crate) fn xmpp_cluster<R>(
        &self,
        f: impl FnOnce(&mut XmppState, NodeId, Instant) -> R,
    ) -> R {
        let id = self.inner.fabric_id;
        self.inner.fabric.xmpp().with(|s, now| f(s, id, now))
    }

    /// This node's state, as the `State:` line of `xmpp cluster status` shows it.
    pub fn xmpp_cluster_state(&self) -> XmppClusterRole {
        self.xmpp_cluster(|s, id, _| s.view(id).0)
    }

    /// This node's `List of peers` (newest first, the leader marked as this node sees it).
    pub fn xmpp_cluster_peers(&self) -> Vec<XmppPeer> {
        self.xmpp_cluster(|s, id, _| s.view(id).1)
    }

    /// The leader's address as this node sees it.
    pub fn xmpp_cluster_leader(&self) -> Option<String> {
        self.xmpp_cluster_peers()
            .into_iter()
            .find(|p| p.leader)
            .map(|p| p.address)
    }

    /// Removes this node from its cluster the proper way, as `xmpp cluster remove <its
    /// address>` on a peer would (no command log entry, no leader needed): every entry at its
    /// address goes. `false` when it was not a member.
    pub fn leave_xmpp_cluster_behind_the_back(&self) -> bool {
        self.xmpp_cluster(|s, id, _| s.leave(id))
    }

    /// Wipes this node's XMPP cluster state as `xmpp reset` does (no command log entry): the
    /// membership is forgotten but its entry stays in the peers' lists (CSCvi67717),
    /// `Clustered` becomes `false`, the cluster trust `none`. `false` when it was not a member.
    pub fn reset_xmpp_cluster_behind_the_back(&self) -> bool {
        let was = self.xmpp_cluster(|s, id, _| s.forget(id));
        self.with_services(|s| {
            s.xmpp.clustered = false;
            s.xmpp.cluster_trust = None;
        });
        was
    }

    /// Cuts this node off from the other XMPP servers (`true`) or reconnects it: it drops out
    /// of the election and sees no leader; its SSH still answers.
    pub fn set_xmpp_partitioned(&self, partitioned: bool) {
        self.xmpp_cluster(|s, id, _| s.set_partitioned(id, partitioned));
    }

    /// How long a join started on this node takes to be committed (default 2 s).
    pub fn set_xmpp_join_delay(&self, d: Duration) {
        self.xmpp_cluster(|s, id, _| s.set_join_delay(id, d));
    }

    /// This node's election timeout (default 1 s); a cluster's election takes the smallest
    /// among its live members.
    pub fn set_xmpp_election_delay(&self, d: Duration) {
        self.xmpp_cluster(|s, id, _| s.set_election_delay(id, d));
    }

    /// When `true`, joins started on this node stay `JOINING` until set back to `false`.
    pub fn set_xmpp_join_never_converges(&self, never: bool) {
        self.xmpp_cluster(|s, id, _| s.set_join_never_converges(id, never));
    }
}
