//! The lab-wide XMPP cluster state machine: which nodes form which XMPP cluster, their peer
//! lists, and the leader election. The MMP commands that drive it are in
//! [`super::xmpp_cluster`].
//!
//! Behaviour and its sources:
//! - Cisco TAC 213479 "Configure XMPP Resiliency" and the meeting-infohub FAQ "How does an XMPP
//!   cluster work?": `xmpp cluster initialize` creates a one-node cluster the other nodes join;
//!   the servers monitor each other with keep-alives and elect a Leader; when the Leader fails
//!   a new one is elected.
//! - The FAQ "Why does an XMPP cluster require three XMPP servers and not two?" (and the
//!   Scalability and Resilience Deployment Guide 2.0, 7.4): the failover algorithm needs more
//!   than half of the nodes available. Here a cluster has a leader only while more than half
//!   of its peer entries are live.
//! - TAC 213479 "Scenario 3" and Cisco bug CSCvi67717: a node reset while still in the cluster
//!   and then joined again is listed twice. Here a peer entry belongs to the cluster, not to the
//!   node: a node that forgets its membership (`XmppState::forget`) leaves its entry behind,
//!   and a later join adds a second one. The stale entry never votes but still counts towards
//!   the majority (so duplicates weaken the cluster, the "issues in a resilient setup" TAC
//!   warns of).
//!
//! Everything below about timing, the choice of leader and the states' names is [GUESS]:
//! - An entry is *live* when its node still holds that membership, is online, its XMPP server
//!   is enabled and clustered, and it is not partitioned (`XmppState::set_partitioned`).
//! - A join is committed by the cluster's leader: the new entry becomes visible in every
//!   member's peer list once the joiner's join delay ([`DEFAULT_XMPP_JOIN_DELAY`]) has passed
//!   and the cluster has a leader (at once when it gets one later). Until then it neither
//!   shows nor votes.
//! - Whenever the wanted leader differs from the current one (the leader stopped being live,
//!   the majority was lost or regained), an election completes one election delay later (the
//!   smallest [`DEFAULT_XMPP_ELECTION_DELAY`] among the live members): with a majority, the
//!   current leader if still live, else the live entry with the lowest address; without one,
//!   no leader. Until then members keep showing the previous leader.
//! - Removal (`xmpp cluster remove`) is committed at once.
//!
//! Time: as in [`super::fabric`], nothing runs in the background. Pending events (an entry
//! becoming visible, an election) have due times; every access first applies, in time order,
//! everything due by "now" (`XmppState::advance`), then looks at the nodes' flags again
//! (`XmppState::refresh`). Every change of a flag the election depends on goes through an
//! access before and after it (see `NodeControl::with_services`), so elections are timed from
//! the moment of the change.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fabric::{address_key, NodeId};
use super::services::Services;
use super::state::lock;
use super::xmpp_cluster as text;

/// The port every peer line shows (TAC 213479 / CSCvi67717: `10.61.7.91:5222`).
pub const XMPP_CLUSTER_PORT: u16 = 5222;
/// Default time between `xmpp cluster join` and the new peer showing in every list [GUESS].
pub const DEFAULT_XMPP_JOIN_DELAY: Duration = Duration::from_secs(2);
/// Default time an election takes (keep-alive timeout) [GUESS].
pub const DEFAULT_XMPP_ELECTION_DELAY: Duration = Duration::from_secs(1);

/// A node's place in the XMPP cluster, as `xmpp cluster status` names it on its `State:` line.
/// `LEADER` / `FOLLOWER` are TAC 213479's; the others are [GUESS].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmppClusterRole {
    /// `xmpp cluster enable` not run (`Clustered : false`).
    Disabled,
    /// Clustering enabled, but the node neither initialised nor joined a cluster (or it was
    /// removed, or it forgot its membership).
    NotJoined,
    /// `xmpp cluster join` accepted, not yet committed.
    Joining,
    /// A member whose XMPP server is not running (disabled, or the node is offline).
    Inactive,
    /// A member that sees no leader: no majority, or cut off from its peers.
    Candidate,
    Follower,
    Leader,
}

impl XmppClusterRole {
    /// The word on the `State:` line.
    pub fn as_str(self) -> &'static str {
        match self {
            XmppClusterRole::Disabled => "DISABLED",
            XmppClusterRole::NotJoined => "NOT_JOINED",
            XmppClusterRole::Joining => "JOINING",
            XmppClusterRole::Inactive => "INACTIVE",
            XmppClusterRole::Candidate => "CANDIDATE",
            XmppClusterRole::Follower => "FOLLOWER",
            XmppClusterRole::Leader => "LEADER",
        }
    }
}

impl fmt::Display for XmppClusterRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of `List of peers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmppPeer {
    /// The member's address (no port).
    pub address: String,
    /// Marked ` (Leader)`.
    pub leader: bool,
}

impl XmppPeer {
    /// `<address>:5222`, then ` (Leader)` for the leader (TAC 213479).
    pub fn line(&self) -> String {
        let mark = if self.leader { " (Leader)" } else { "" };
        format!("{}:{XMPP_CLUSTER_PORT}{mark}", self.address)
    }
}

type ClusterId = u64;
type EntryId = u64;

/// A peer entry: one join (or the initialisation) of one node.
#[derive(Debug, Clone)]
struct Entry {
    id: EntryId,
    node: NodeId,
    address: String,
    /// When the join may be committed.
    due: Instant,
    visible: bool,
}

#[derive(Debug, Default)]
struct Cluster {
    /// Oldest first; `List of peers` shows them newest first (the initialiser last, as in the
    /// CSCvi67717 output where the duplicate comes first [GUESS: the real order is not
    /// documented; providers should not rely on it]).
    entries: Vec<Entry>,
    leader: Option<EntryId>,
    election_due: Option<Instant>,
}

/// What the cluster knows of one node.
struct XmppNode {
    address: String,
    hostname: String,
    /// The node's service state (XMPP enabled / clustered / domain / cluster trust).
    services: Arc<Mutex<Services>>,
    /// `false` once the simulated node was stopped.
    online: bool,
    /// Cut off from the other XMPP servers (its SSH still answers).
    partitioned: bool,
    /// The cluster and entry this node believes it is.
    member: Option<(ClusterId, EntryId)>,
    join_delay: Duration,
    election_delay: Duration,
    join_never_converges: bool,
}

/// The flags of a node's XMPP server the cluster looks at.
struct Flags {
    enabled: bool,
    clustered: bool,
    domain: Option<String>,
    trust: bool,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Visible(ClusterId, EntryId),
    Elect(ClusterId),
}

/// Every node's XMPP cluster view and the clusters; see the module docs.
#[derive(Default)]
pub(crate) struct XmppState {
    nodes: BTreeMap<NodeId, XmppNode>,
    clusters: BTreeMap<ClusterId, Cluster>,
    next_id: u64,
    /// Lab time ahead of the clock (tests skip time with `XmppClusters::skip`).
    skew: Duration,
    /// A clock stopped at this instant (tests, `XmppClusters::freeze`); else the wall clock.
    frozen: Option<Instant>,
}

impl XmppState {
    fn now(&self) -> Instant {
        self.frozen.unwrap_or_else(Instant::now) + self.skew
    }
}

/// The XMPP side of a [`super::Fabric`] (cheap to clone; clones share the state).
#[derive(Clone, Default)]
pub(crate) struct XmppClusters {
    state: Arc<Mutex<XmppState>>,
}

impl XmppClusters {
    /// Adds the node `id` (registered on the fabric) reachable at `address` or `hostname`.
    pub fn register(
        &self,
        id: NodeId,
        address: &str,
        hostname: &str,
        services: Arc<Mutex<Services>>,
    ) {
        lock(&self.state).nodes.insert(
            id,
            XmppNode {
                address: address.to_string(),
                hostname: hostname.to_string(),
                services,
                online: true,
                partitioned: false,
                member: None,
                join_delay: DEFAULT_XMPP_JOIN_DELAY,
                election_delay: DEFAULT_XMPP_ELECTION_DELAY,
                join_never_converges: false,
            },
        );
    }

    /// Runs `f` on the state brought up to now, then lets the state see any flag `f` changed.
    /// Never call it while holding a node's services lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut XmppState, Instant) -> R) -> R {
        let mut s = lock(&self.state);
        let now = s.now();
        s.advance(now);
        s.refresh(now);
        let r = f(&mut s, now);
        s.refresh(now);
        r
    }

    /// Brings the state up to now (see [`XmppClusters::with`]).
    pub fn touch(&self) {
        self.with(|_, _| ());
    }

    /// Stops the lab clock: from now on only `XmppClusters::skip` moves it.
    #[cfg(test)]
    pub fn freeze(&self) {
        let mut s = lock(&self.state);
        s.frozen = Some(Instant::now());
    }

    /// Moves lab time `d` forward.
    #[cfg(test)]
    pub fn skip(&self, d: Duration) {
        self.touch();
        lock(&self.state).skew += d;
        self.touch();
    }

    /// Number of clusters (for `Debug`).
    pub fn cluster_count(&self) -> usize {
        lock(&self.state).clusters.len()
    }
}

/// `<address>` of `<address>` or `<address>:5222`.
fn bare(address: &str) -> &str {
    address
        .strip_suffix(&format!(":{XMPP_CLUSTER_PORT}"))
        .unwrap_or(address)
}

impl XmppState {
    fn node(&self, id: NodeId) -> &XmppNode {
        &self.nodes[&id]
    }

    fn node_mut(&mut self, id: NodeId) -> &mut XmppNode {
        self.nodes
            .get_mut(&id)
            .expect("node registered on the fabric")
    }

    fn flags(&self, id: NodeId) -> Flags {
        let s = lock(&self.node(id).services);
        Flags {
            enabled: s.xmpp.enabled,
            clustered: s.xmpp.clustered,
            domain: s.xmpp.domain.clone(),
            trust: s.xmpp.cluster_trust.is_some(),
        }
    }

    /// Online with its XMPP server enabled and clustered.
    fn running(&self, id: NodeId) -> bool {
        let f = self.flags(id);
        self.node(id).online && f.enabled && f.clustered
    }

    /// Running and not cut off from its peers.
    fn connected(&self, id: NodeId) -> bool {
        self.running(id) && !self.node(id).partitioned
    }

    fn entry(&self, cid: ClusterId, eid: EntryId) -> Option<&Entry> {
        self.clusters
            .get(&cid)?
            .entries
            .iter()
            .find(|e| e.id == eid)
    }

    fn live(&self, cid: ClusterId, e: &Entry) -> bool {
        e.visible && self.node(e.node).member == Some((cid, e.id)) && self.connected(e.node)
    }

    fn live_entries(&self, cid: ClusterId) -> Vec<&Entry> {
        self.clusters[&cid]
            .entries
            .iter()
            .filter(|e| self.live(cid, e))
            .collect()
    }

    /// More than half of the visible entries are live (FAQ: more than half of the nodes).
    fn quorum(&self, cid: ClusterId) -> bool {
        let visible = self.clusters[&cid]
            .entries
            .iter()
            .filter(|e| e.visible)
            .count();
        visible > 0 && self.live_entries(cid).len() * 2 > visible
    }

    /// Who should lead `cid` now: nobody without a majority; else the current leader while it
    /// is live, else the live entry with the lowest address (the oldest among equals).
    fn wanted_leader(&self, cid: ClusterId) -> Option<EntryId> {
        if !self.quorum(cid) {
            return None;
        }
        let live = self.live_entries(cid);
        let current = self.clusters[&cid].leader;
        if let Some(l) = current.filter(|l| live.iter().any(|e| e.id == *l)) {
            return Some(l);
        }
        live.iter()
            .min_by_key(|e| address_key(&e.address))
            .map(|e| e.id)
    }

    /// The smallest election delay among the live members.
    fn election_delay(&self, cid: ClusterId) -> Duration {
        self.live_entries(cid)
            .iter()
            .map(|e| self.node(e.node).election_delay)
            .min()
            .unwrap_or(DEFAULT_XMPP_ELECTION_DELAY)
    }

    /// Starts (or cancels) an election of `cid` at `t`.
    fn reschedule(&mut self, cid: ClusterId, t: Instant) {
        let wanted = self.wanted_leader(cid);
        let delay = self.election_delay(cid);
        let c = self.clusters.get_mut(&cid).expect("cluster");
        if wanted == c.leader {
            c.election_due = None;
        } else if c.election_due.is_none() {
            c.election_due = Some(t + delay);
        }
    }

    /// Looks at every node's flags again (at `now`): starts or cancels elections.
    pub fn refresh(&mut self, now: Instant) {
        let ids: Vec<ClusterId> = self.clusters.keys().copied().collect();
        for cid in ids {
            self.reschedule(cid, now);
        }
    }

    /// Applies, in time order, every event due at or before `now`.
    pub fn advance(&mut self, now: Instant) {
        let mut cursor: Option<Instant> = None;
        loop {
            let mut next: Option<(Instant, Event)> = None;
            let mut consider = |t: Instant, e: Event| {
                let t = cursor.map_or(t, |c| c.max(t));
                if next.is_none_or(|(nt, _)| t < nt) {
                    next = Some((t, e));
                }
            };
            for (&cid, c) in &self.clusters {
                if let Some(t) = c.election_due {
                    consider(t, Event::Elect(cid));
                }
                if c.leader.is_some() {
                    for e in c.entries.iter().filter(|e| !e.visible) {
                        if !self.node(e.node).join_never_converges {
                            consider(e.due, Event::Visible(cid, e.id));
                        }
                    }
                }
            }
            match next {
                Some((t, e)) if t <= now => {
                    cursor = Some(t);
                    self.apply(e);
                    self.refresh(t);
                }
                _ => break,
            }
        }
    }

    fn apply(&mut self, e: Event) {
        match e {
            Event::Visible(cid, eid) => {
                let c = self.clusters.get_mut(&cid).expect("cluster");
                if let Some(e) = c.entries.iter_mut().find(|e| e.id == eid) {
                    e.visible = true;
                }
            }
            Event::Elect(cid) => {
                let wanted = self.wanted_leader(cid);
                let c = self.clusters.get_mut(&cid).expect("cluster");
                c.leader = wanted;
                c.election_due = None;
            }
        }
    }

    /// The node at `address` (or `address:5222`, or whose hostname it is), if online.
    fn resolve(&self, address: &str) -> Option<NodeId> {
        let a = bare(address);
        self.nodes
            .iter()
            .find(|(_, n)| n.online && (n.address == a || n.hostname.eq_ignore_ascii_case(a)))
            .map(|(id, _)| *id)
    }

    /// `xmpp cluster initialize` on `id`, whose flags the caller checked: a new one-node cluster.
    pub fn initialize(&mut self, id: NodeId, now: Instant) -> Result<(), String> {
        if self.node(id).member.is_some() {
            return Err(text::ALREADY_MEMBER.to_string());
        }
        self.next_id += 1;
        let cid = self.next_id;
        self.next_id += 1;
        let eid = self.next_id;
        let entry = Entry {
            id: eid,
            node: id,
            address: self.node(id).address.clone(),
            due: now,
            visible: true,
        };
        self.clusters.insert(
            cid,
            Cluster {
                entries: vec![entry],
                ..Cluster::default()
            },
        );
        self.node_mut(id).member = Some((cid, eid));
        Ok(())
    }

    /// `xmpp cluster join <target>` on `id`, whose own flags the caller checked (`domain` is
    /// its XMPP domain): adds its entry, committed later.
    pub fn join(
        &mut self,
        id: NodeId,
        target: &str,
        domain: &str,
        now: Instant,
    ) -> Result<(), String> {
        if self.node(id).member.is_some() {
            return Err(text::ALREADY_MEMBER.to_string());
        }
        if self.node(id).partitioned {
            return Err(text::unreachable(target));
        }
        let Some(t) = self.resolve(target) else {
            return Err(text::unreachable(target));
        };
        if t == id {
            return Err(text::is_this_node(target));
        }
        if !self.connected(t) {
            return Err(text::unreachable(target));
        }
        let Some((cid, teid)) = self.node(t).member else {
            return Err(text::not_in_cluster(target));
        };
        if !self.entry(cid, teid).is_some_and(|e| e.visible) {
            return Err(text::not_in_cluster(target));
        }
        let flags = self.flags(t);
        if !flags.trust {
            return Err(text::target_untrusted(target));
        }
        let theirs = flags.domain.unwrap_or_default();
        if theirs != domain {
            return Err(text::domain_mismatch(target, &theirs, domain));
        }
        self.next_id += 1;
        let eid = self.next_id;
        let entry = Entry {
            id: eid,
            node: id,
            address: self.node(id).address.clone(),
            due: now + self.node(id).join_delay,
            visible: false,
        };
        self.clusters
            .get_mut(&cid)
            .expect("cluster")
            .entries
            .push(entry);
        self.node_mut(id).member = Some((cid, eid));
        Ok(())
    }

    /// Drops every entry of `cid` at `address`; their nodes (when they still hold that
    /// membership) are told. Returns how many went; an emptied cluster dissolves.
    fn drop_entries(&mut self, cid: ClusterId, address: &str) -> usize {
        let c = self.clusters.get_mut(&cid).expect("cluster");
        let (gone, kept): (Vec<Entry>, Vec<Entry>) =
            c.entries.drain(..).partition(|e| e.address == address);
        c.entries = kept;
        if c.leader.is_some_and(|l| gone.iter().any(|e| e.id == l)) {
            c.leader = None;
        }
        let empty = c.entries.is_empty();
        for e in &gone {
            let n = self.node_mut(e.node);
            if n.member == Some((cid, e.id)) {
                n.member = None;
            }
        }
        if empty {
            self.clusters.remove(&cid);
        }
        gone.len()
    }

    /// `xmpp cluster remove <address>` on `id` (`running`: its XMPP server is enabled): needs
    /// `id` a committed member of a cluster that has a leader.
    pub fn remove(&mut self, id: NodeId, address: &str, running: bool) -> Result<(), String> {
        let Some((cid, eid)) = self.node(id).member else {
            return Err(text::NOT_MEMBER.to_string());
        };
        if !self.entry(cid, eid).is_some_and(|e| e.visible) {
            return Err(text::NOT_MEMBER.to_string());
        }
        if !running {
            return Err(text::NOT_RUNNING.to_string());
        }
        if self.node(id).partitioned || self.clusters[&cid].leader.is_none() {
            return Err(text::NO_LEADER.to_string());
        }
        if self.drop_entries(cid, bare(address)) == 0 {
            return Err(text::not_a_peer(address));
        }
        Ok(())
    }

    /// Removes `id` from its cluster the proper way (as `xmpp cluster remove <its address>` on
    /// a peer would, without needing a leader). `false` when it was not a member.
    pub fn leave(&mut self, id: NodeId) -> bool {
        let Some((cid, _)) = self.node(id).member else {
            return false;
        };
        let address = self.node(id).address.clone();
        self.drop_entries(cid, &address);
        true
    }

    /// The node forgets its membership without telling its peers (`xmpp reset`, `xmpp cluster
    /// disable`): its entry stays in their lists (CSCvi67717). `false` when it was not a member.
    pub fn forget(&mut self, id: NodeId) -> bool {
        self.node_mut(id).member.take().is_some()
    }

    /// The simulated node was stopped.
    pub fn set_offline(&mut self, id: NodeId) {
        self.node_mut(id).online = false;
    }

    /// Cuts the node off from (or reconnects it to) the other XMPP servers.
    pub fn set_partitioned(&mut self, id: NodeId, partitioned: bool) {
        self.node_mut(id).partitioned = partitioned;
    }

    pub fn set_join_delay(&mut self, id: NodeId, d: Duration) {
        self.node_mut(id).join_delay = d;
    }

    pub fn set_election_delay(&mut self, id: NodeId, d: Duration) {
        self.node_mut(id).election_delay = d;
    }

    pub fn set_join_never_converges(&mut self, id: NodeId, never: bool) {
        self.node_mut(id).join_never_converges = never;
    }

    /// What `xmpp cluster status` on `id` shows (state must be advanced): its state and the
    /// visible peers, newest first. A member that is not running or is cut off marks no
    /// leader; a joining member already sees the cluster's.
    pub fn view(&self, id: NodeId) -> (XmppClusterRole, Vec<XmppPeer>) {
        use XmppClusterRole as R;
        if !self.flags(id).clustered {
            return (R::Disabled, Vec::new());
        }
        let Some((cid, eid)) = self.node(id).member else {
            return (R::NotJoined, Vec::new());
        };
        let c = &self.clusters[&cid];
        let running = self.running(id);
        let sees_leader = running && !self.node(id).partitioned;
        let peers = c
            .entries
            .iter()
            .rev()
            .filter(|e| e.visible)
            .map(|e| XmppPeer {
                address: e.address.clone(),
                leader: sees_leader && c.leader == Some(e.id),
            })
            .collect();
        let joined = self.entry(cid, eid).is_some_and(|e| e.visible);
        let role = match () {
            _ if !running => R::Inactive,
            _ if !joined => R::Joining,
            _ if !sees_leader => R::Candidate,
            _ if c.leader == Some(eid) => R::Leader,
            _ if c.leader.is_some() => R::Follower,
            _ => R::Candidate,
        };
        (role, peers)
    }
}
