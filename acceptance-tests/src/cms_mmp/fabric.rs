//! The lab-wide network of simulated CMS nodes and the database cluster state
//! machine that runs across it.
//!
//! A [`Fabric`] is what lets `database cluster join <address>` on one node reach
//! the node listening on that address. It holds, under one lock, every node's
//! database state and the clusters they form, so a change seen by one node is
//! seen by all at once (no lock ordering between nodes).
//!
//! Behaviour (Cisco TAC 210530 "Configure Meeting Server Call Bridge Database
//! Cluster"; devices.md 1.1 and 1.4):
//! - `initialize` makes the node the primary ("master") of a new one-node cluster.
//! - `join <primary>` copies the primary's database; it takes time (here
//!   `join_delay`, default [`DEFAULT_JOIN_DELAY`]) during which the node is listed
//!   as `Connecting Replica`; then `Connected Replica ( In Sync )`.
//! - `connect <primary>` attaches a node that keeps no database copy (a client).
//! - `remove` leaves the cluster; the TAC procedure removes replicas first, the
//!   primary last.
//! - When the primary's database stops, after `failover_delay` the connected,
//!   in-sync replica with the lowest address takes over (PostgreSQL failover;
//!   the choice rule is [GUESS]). The old primary comes back as a replica.
//!
//! Time: nothing runs in the background. Each pending event (a join completing,
//! a replica finishing its resync, a failover) has a due time; every access
//! first applies, in time order, all events due by "now" (`FabricState::advance`).
//! This is exact for observers and needs no runtime.
//!
//! The API's database objects (clustered Call Bridges, Web Bridges: [`ApiDatabase`], served by
//! [`super::rest`]) live in the Call Bridge's database, so they follow the database cluster
//! (TAC 210530): a standalone node has its own; `initialize` makes the node's own database the
//! new cluster's; a replica whose join completes has its database replaced by the cluster's
//! (its own is gone); a client (`connect`) uses the cluster's while attached and its own, kept
//! untouched, again once detached; a database node that leaves keeps a copy of the cluster's
//! [GUESS: PostgreSQL leaves the replica's data in place]. While a join is under way the node
//! still uses its own [GUESS]. Whether the cluster's database is reachable (its primary down,
//! a failover under way) does not matter to the API here [GUESS: simplification].
//!
//! The fabric also carries the nodes' XMPP cluster state ([`super::xmpp_cluster_state`]),
//! under its own lock, and a handle on every node (`Fabric::nodes`) so one node can look at
//! another's state (the Call Bridge's XMPP connection, [`super::rest::xmpp_link`]).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::rest::ApiDatabase;
use super::state::{lock, Inner, NodeControl};
use super::xmpp_cluster_state::XmppClusters;

/// Database nodes (primary + replicas) a cluster accepts; clients attached with
/// `database cluster connect` do not count. [GUESS: verify; Cisco recommends 3
/// or 5 database nodes and attaching further servers as clients.]
pub const MAX_DATABASE_NODES: usize = 5;
/// Default time a `join`/`connect` (or a replica's resync) takes.
pub const DEFAULT_JOIN_DELAY: Duration = Duration::from_secs(2);
/// Default time between the primary's database stopping and a replica taking over.
pub const DEFAULT_FAILOVER_DELAY: Duration = Duration::from_secs(1);

/// A node's place in the database cluster, as tests see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRole {
    /// Not in a database cluster (`Status : Disabled`).
    Standalone,
    Primary,
    /// A replica in sync with the primary.
    Replica,
    /// Attached with `database cluster connect` (no local database copy).
    Client,
    /// A `join`/`connect` in progress, or a replica resynchronising after its
    /// database came back.
    Joining,
    /// The last `join`/`connect` failed; not in a cluster.
    Error,
}

/// How a node belongs to its cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MemberKind {
    Database,
    Client,
}

/// Outcome shown after the last command in `database cluster status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    InProgress,
    Success,
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::InProgress => "In progress",
            Outcome::Success => "Success",
            Outcome::Failed => "Failed",
        })
    }
}

pub(crate) type NodeId = u64;
type ClusterId = u64;

/// A `join`/`connect` under way.
#[derive(Debug, Clone)]
pub(crate) struct PendingJoin {
    target: String,
    due: Instant,
}

/// Database state of one node.
#[derive(Debug, Clone)]
pub(crate) struct NodeDb {
    pub address: String,
    /// `false` once the simulated node was stopped.
    pub online: bool,
    /// The local database process runs.
    pub running: bool,
    /// Since when the database is unreachable (stopped or node offline).
    down_since: Option<Instant>,
    /// File names set by `database cluster certs`: 5 (full form) or 3 (client form).
    pub certs: Vec<String>,
    /// `database cluster localnode <a|b|c|d>`.
    pub interface: Option<String>,
    cluster: Option<ClusterId>,
    kind: MemberKind,
    /// A replica catching up until then (after its database came back).
    resync_until: Option<Instant>,
    pending: Option<PendingJoin>,
    /// Why the last join/connect failed.
    error: Option<String>,
    pub last_command: Option<(String, Outcome)>,
    pub join_delay: Duration,
    pub failover_delay: Duration,
    pub join_never_completes: bool,
    /// The node's own database of API objects (in use while it is not in a cluster).
    pub api_db: ApiDatabase,
}

impl NodeDb {
    fn new(address: &str) -> NodeDb {
        NodeDb {
            address: address.to_string(),
            online: true,
            running: true,
            down_since: None,
            certs: Vec::new(),
            interface: None,
            cluster: None,
            kind: MemberKind::Database,
            resync_until: None,
            pending: None,
            error: None,
            last_command: None,
            join_delay: DEFAULT_JOIN_DELAY,
            failover_delay: DEFAULT_FAILOVER_DELAY,
            join_never_completes: false,
            api_db: ApiDatabase::default(),
        }
    }

    /// Database reachable by the other nodes.
    pub fn up(&self) -> bool {
        self.online && self.running
    }
}

#[derive(Debug, Clone)]
struct Cluster {
    primary: NodeId,
    /// The cluster's database of API objects.
    api_db: ApiDatabase,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    JoinDone(NodeId),
    Resynced(NodeId),
    Failover(ClusterId),
}

/// Sort key of an address: IP order for IP addresses, text order otherwise.
pub(crate) fn address_key(address: &str) -> (Option<IpAddr>, String) {
    (address.parse().ok(), address.to_string())
}

/// Every node's database state and the clusters; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct FabricState {
    nodes: BTreeMap<NodeId, NodeDb>,
    clusters: BTreeMap<ClusterId, Cluster>,
    next_id: u64,
}

/// Lab-wide registry of CMS nodes (cheap to clone; clones share the state).
/// `Fabric::default()` is an empty network.
#[derive(Clone, Default)]
pub struct Fabric {
    state: Arc<Mutex<FabricState>>,
    xmpp: XmppClusters,
    /// Every node's state, weakly (a node holds its fabric).
    nodes: Arc<Mutex<BTreeMap<NodeId, Weak<Inner>>>>,
}

impl fmt::Debug for Fabric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.state);
        f.debug_struct("Fabric")
            .field("nodes", &s.nodes.len())
            .field("clusters", &s.clusters.len())
            .field("xmpp_clusters", &self.xmpp.cluster_count())
            .finish()
    }
}

impl Fabric {
    /// Adds a node reachable at `address`.
    pub(crate) fn register(&self, address: &str) -> NodeId {
        let mut s = lock(&self.state);
        s.next_id += 1;
        let id = s.next_id;
        s.nodes.insert(id, NodeDb::new(address));
        id
    }

    /// Gives the fabric a handle on node `id`'s state.
    pub(crate) fn attach(&self, id: NodeId, inner: &Arc<Inner>) {
        lock(&self.nodes).insert(id, Arc::downgrade(inner));
    }

    /// Every node of the fabric still in memory (stopped ones too), in registration order.
    pub(crate) fn nodes(&self) -> Vec<NodeControl> {
        lock(&self.nodes)
            .values()
            .filter_map(Weak::upgrade)
            .map(|inner| NodeControl { inner })
            .collect()
    }

    /// The nodes' XMPP cluster state.
    pub(crate) fn xmpp(&self) -> &XmppClusters {
        &self.xmpp
    }

    /// Runs `f` on the state brought up to `Instant::now()`.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut FabricState, Instant) -> R) -> R {
        let now = Instant::now();
        let mut s = lock(&self.state);
        s.advance(now);
        f(&mut s, now)
    }

    /// Addresses of the nodes on the fabric that are still running, sorted.
    pub fn addresses(&self) -> Vec<String> {
        let s = lock(&self.state);
        let mut out: Vec<String> = s
            .nodes
            .values()
            .filter(|n| n.online)
            .map(|n| n.address.clone())
            .collect();
        out.sort_by_key(|a| address_key(a));
        out
    }
}

impl FabricState {
    pub fn node(&self, id: NodeId) -> &NodeDb {
        &self.nodes[&id]
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut NodeDb {
        self.nodes
            .get_mut(&id)
            .expect("node registered on the fabric")
    }

    /// The API objects node `id` sees: its cluster's once it is an established member, else
    /// its own (see the module docs).
    pub fn api_database(&mut self, id: NodeId) -> &mut ApiDatabase {
        let n = self.node(id);
        let cid = n
            .cluster
            .filter(|c| n.pending.is_none() && self.clusters.contains_key(c));
        match cid {
            Some(cid) => &mut self.clusters.get_mut(&cid).expect("cluster").api_db,
            None => &mut self.node_mut(id).api_db,
        }
    }

    fn is_primary(&self, id: NodeId) -> bool {
        let n = self.node(id);
        n.pending.is_none()
            && n.cluster
                .and_then(|c| self.clusters.get(&c))
                .is_some_and(|c| c.primary == id)
    }

    /// Nodes whose cluster is `cid` (pending joiners included), by address.
    fn members(&self, cid: ClusterId) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.cluster == Some(cid))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_by_key(|id| address_key(&self.nodes[id].address));
        ids
    }

    /// The online node listening on `address` (the first registered if several).
    fn resolve(&self, address: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .find(|(_, n)| n.online && n.address == address)
            .map(|(id, _)| *id)
    }

    /// Established database nodes of `cid` other than `except`.
    fn database_nodes(&self, cid: ClusterId, except: NodeId) -> usize {
        self.nodes
            .iter()
            .filter(|(id, n)| {
                **id != except
                    && n.cluster == Some(cid)
                    && n.kind == MemberKind::Database
                    && n.pending.is_none()
            })
            .count()
    }

    /// The connected, in-sync replica with the lowest address.
    fn failover_candidate(&self, cid: ClusterId) -> Option<NodeId> {
        let primary = self.clusters.get(&cid)?.primary;
        self.members(cid).into_iter().find(|id| {
            let n = self.node(*id);
            *id != primary
                && n.kind == MemberKind::Database
                && n.pending.is_none()
                && n.resync_until.is_none()
                && n.up()
        })
    }

    /// Why `joiner` cannot join (or connect to) the cluster whose primary is at `target`.
    fn check_join(&self, joiner: NodeId, target: &str) -> Result<ClusterId, String> {
        // Failure reasons are [GUESS] wordings.
        let Some(t) = self.resolve(target) else {
            return Err(format!("unable to contact {target}"));
        };
        if !self.is_primary(t) {
            return Err(format!("{target} is not a database cluster primary"));
        }
        let cid = self.node(t).cluster.expect("a primary is in a cluster");
        if !self.node(t).up() {
            return Err(format!("database on {target} is not running"));
        }
        if self.node(joiner).kind == MemberKind::Database
            && self.database_nodes(cid, joiner) >= MAX_DATABASE_NODES
        {
            return Err(format!(
                "database cluster at {target} already has {MAX_DATABASE_NODES} database nodes"
            ));
        }
        Ok(cid)
    }

    /// Applies, in time order, every event due at or before `now`.
    pub fn advance(&mut self, now: Instant) {
        let mut cursor: Option<Instant> = None;
        loop {
            let mut next: Option<(Instant, Event)> = None;
            let mut consider = |t: Instant, e: Event| {
                if next.is_none_or(|(nt, _)| t < nt) {
                    next = Some((t, e));
                }
            };
            for (&id, n) in &self.nodes {
                if let Some(p) = &n.pending {
                    if !n.join_never_completes {
                        consider(p.due, Event::JoinDone(id));
                    }
                }
                if let Some(until) = n.resync_until {
                    consider(until, Event::Resynced(id));
                }
            }
            for (&cid, c) in &self.clusters {
                let p = self.node(c.primary);
                if let Some(since) = p.down_since {
                    if self.failover_candidate(cid).is_some() {
                        let t = since + p.failover_delay;
                        consider(cursor.map_or(t, |c| c.max(t)), Event::Failover(cid));
                    }
                }
            }
            match next {
                Some((t, e)) if t <= now => {
                    cursor = Some(t);
                    self.apply(e);
                }
                _ => break,
            }
        }
    }

    fn apply(&mut self, e: Event) {
        match e {
            Event::JoinDone(id) => {
                let n = self.node_mut(id);
                let Some(pending) = n.pending.take() else {
                    return;
                };
                n.cluster = None;
                let result = self.check_join(id, &pending.target);
                let n = self.node_mut(id);
                match result {
                    Ok(cid) => {
                        n.cluster = Some(cid);
                        n.error = None;
                        n.resync_until = None;
                        if n.kind == MemberKind::Database {
                            // TAC 210530: the join wipes the local database.
                            n.api_db = ApiDatabase::default();
                        }
                        set_outcome(n, Outcome::Success);
                    }
                    Err(reason) => {
                        n.error = Some(reason);
                        set_outcome(n, Outcome::Failed);
                    }
                }
            }
            Event::Resynced(id) => self.node_mut(id).resync_until = None,
            Event::Failover(cid) => {
                if let Some(new) = self.failover_candidate(cid) {
                    self.clusters.get_mut(&cid).expect("cluster").primary = new;
                }
            }
        }
    }

    /// The node's role (state must be advanced).
    pub fn role(&self, id: NodeId) -> DbRole {
        let n = self.node(id);
        if n.pending.is_some() || n.resync_until.is_some() {
            return DbRole::Joining;
        }
        if n.error.is_some() {
            return DbRole::Error;
        }
        match n.cluster {
            None => DbRole::Standalone,
            Some(_) if self.is_primary(id) => DbRole::Primary,
            Some(_) if n.kind == MemberKind::Client => DbRole::Client,
            Some(_) => DbRole::Replica,
        }
    }

    /// Established members' addresses of the node's cluster, sorted; empty when
    /// the node is standalone or still joining.
    pub fn cluster_addresses(&self, id: NodeId) -> Vec<String> {
        let n = self.node(id);
        let Some(cid) = n.cluster.filter(|_| n.pending.is_none()) else {
            return Vec::new();
        };
        self.members(cid)
            .into_iter()
            .filter(|m| self.node(*m).pending.is_none())
            .map(|m| self.node(m).address.clone())
            .collect()
    }

    /// Leaves the cluster (or abandons a join, or clears a failed one). A
    /// leaving primary hands over to the connected in-sync replica with the
    /// lowest address (else any other database node); with no database node
    /// left, the cluster dissolves and its clients are detached.
    /// `false` when the node was standalone.
    pub fn leave(&mut self, id: NodeId) -> bool {
        // A database node takes a copy of the cluster's database with it; a client goes back
        // to its own.
        let n = self.node(id);
        let copy = n
            .cluster
            .filter(|_| n.pending.is_none() && n.kind == MemberKind::Database)
            .and_then(|c| self.clusters.get(&c))
            .map(|c| c.api_db.clone());
        let n = self.node_mut(id);
        if let Some(db) = copy {
            n.api_db = db;
        }
        let was_in = n.cluster.is_some() || n.pending.is_some() || n.error.is_some();
        n.pending = None;
        n.error = None;
        n.resync_until = None;
        let Some(cid) = n.cluster.take() else {
            return was_in;
        };
        if self.clusters.get(&cid).is_some_and(|c| c.primary == id) {
            let successor = self.failover_candidate(cid).or_else(|| {
                self.members(cid).into_iter().find(|m| {
                    let n = self.node(*m);
                    n.kind == MemberKind::Database && n.pending.is_none()
                })
            });
            match successor {
                Some(s) => {
                    self.clusters.get_mut(&cid).expect("cluster").primary = s;
                    self.node_mut(s).resync_until = None;
                }
                None => {
                    self.clusters.remove(&cid);
                    for n in self.nodes.values_mut() {
                        if n.cluster == Some(cid) {
                            n.cluster = None;
                        }
                    }
                }
            }
        }
        true
    }

    /// `database cluster initialize` answered `y`.
    pub fn initialize(&mut self, id: NodeId, command: &str) {
        self.leave(id);
        self.next_id += 1;
        let cid = self.next_id;
        // The node's own database becomes the cluster's.
        let api_db = std::mem::take(&mut self.node_mut(id).api_db);
        self.clusters.insert(
            cid,
            Cluster {
                primary: id,
                api_db,
            },
        );
        let n = self.node_mut(id);
        n.cluster = Some(cid);
        n.kind = MemberKind::Database;
        n.last_command = Some((command.to_string(), Outcome::Success));
    }

    /// `database cluster join|connect <target>` answered `y`: starts the
    /// background join. While it runs the node is listed in the target's
    /// cluster (when the target is a primary at this moment).
    pub fn start_join(
        &mut self,
        id: NodeId,
        target: &str,
        kind: MemberKind,
        command: &str,
        now: Instant,
    ) {
        self.leave(id);
        let n = self.node_mut(id);
        n.kind = kind;
        n.last_command = Some((command.to_string(), Outcome::InProgress));
        let tentative = self.check_join(id, target).ok();
        let n = self.node_mut(id);
        n.cluster = tentative;
        n.pending = Some(PendingJoin {
            target: target.to_string(),
            due: now + n.join_delay,
        });
    }

    /// Clears the error left by a failed join (`database cluster clear error`).
    pub fn clear_error(&mut self, id: NodeId) {
        self.node_mut(id).error = None;
    }

    pub fn stop_database(&mut self, id: NodeId, now: Instant) {
        let n = self.node_mut(id);
        if !n.running {
            return;
        }
        n.running = false;
        n.resync_until = None;
        n.down_since.get_or_insert(now);
    }

    /// Restarts the database; a replica (including a former primary that lost
    /// its role while down) resynchronises for `join_delay`.
    pub fn start_database(&mut self, id: NodeId, now: Instant) {
        if self.node(id).running {
            return;
        }
        let replica = !self.is_primary(id);
        let n = self.node_mut(id);
        n.running = true;
        if n.online {
            n.down_since = None;
        }
        if replica && n.cluster.is_some() && n.pending.is_none() && n.kind == MemberKind::Database {
            n.resync_until = Some(now + n.join_delay);
        }
    }

    /// The node was stopped: its database is unreachable from now on.
    pub fn set_offline(&mut self, id: NodeId, now: Instant) {
        let n = self.node_mut(id);
        n.online = false;
        n.down_since.get_or_insert(now);
    }

    /// How the cluster lists member `m`.
    fn member_state(&self, m: NodeId) -> &'static str {
        let n = self.node(m);
        let primary = self.is_primary(m);
        let client = n.kind == MemberKind::Client;
        match () {
            _ if n.pending.is_some() && client => "Connecting Client",
            _ if n.pending.is_some() => "Connecting Replica",
            _ if !n.up() && primary => "Disconnected Primary",
            _ if !n.up() && client => "Disconnected Client",
            _ if !n.up() => "Disconnected Replica",
            _ if primary => "Connected Primary",
            _ if client => "Connected Client",
            _ if n.resync_until.is_some() => "Connecting Replica",
            _ => "Connected Replica ( In Sync )",
        }
    }

    /// The `database cluster status` text of node `id` (state must be advanced).
    ///
    /// Layout (TAC 210530): `Key` padded to 25 columns, `: `, value; node lines
    /// indented 4 spaces, the address (plus ` (me)`) padded to 21 columns, `: `,
    /// the state; nodes sorted by address:
    /// ```text
    /// ERROR                    : <reason>          (only in the Error state [GUESS])
    /// Status                   : Enabled | Disabled | Error
    /// Nodes:                                       (in a cluster or joining)
    ///     10.0.0.1             : Connected Primary
    ///     10.0.0.2 (me)        : Connected Replica ( In Sync )
    /// Node in use              : 10.0.0.1          (the primary, when in a cluster)
    /// Interface                : a                 (when set)
    /// Certificates                                 (when set; 3 lines for the client form)
    ///   Server Key             : <file>
    ///   Server Certificate     : <file>
    ///   Client Key             : <file>
    ///   Client Certificate     : <file>
    ///   CA Certificate         : <file>
    /// Last command             : '<command>' (Success | Failed | In progress)
    /// ```
    /// Node states: `Connected Primary`, `Connected Replica ( In Sync )` (TAC
    /// 210530); `Connecting Replica` (joining or resynchronising),
    /// `Connecting Client`, `Connected Client`, `Disconnected Primary|Replica|Client`
    /// (database stopped or node down) [GUESS]. The ERROR reasons are
    /// `local database not running` (own database stopped) or why the last
    /// join failed. A node joining an address that is not a primary lists only
    /// itself, with no `Node in use` [GUESS].
    pub fn status_lines(&self, id: NodeId) -> Vec<String> {
        let me = self.node(id);
        let mut out = Vec::new();
        let error = if !me.up() {
            Some("local database not running".to_string())
        } else {
            me.error.clone()
        };
        let in_cluster = me.cluster.is_some() || me.pending.is_some();
        let status = match (&error, in_cluster) {
            (Some(e), _) => {
                out.push(status_field("ERROR", e));
                "Error"
            }
            (None, true) => "Enabled",
            (None, false) => "Disabled",
        };
        out.push(status_field("Status", status));
        if in_cluster {
            out.push("Nodes:".to_string());
            let members = match me.cluster {
                Some(cid) => self.members(cid),
                None => vec![id],
            };
            for m in members {
                let n = self.node(m);
                let name = if m == id {
                    format!("{} (me)", n.address)
                } else {
                    n.address.clone()
                };
                out.push(format!("    {name:<21}: {}", self.member_state(m)));
            }
            if let Some(c) = me.cluster.and_then(|c| self.clusters.get(&c)) {
                out.push(status_field("Node in use", &self.node(c.primary).address));
            }
        }
        if let Some(i) = &me.interface {
            out.push(status_field("Interface", i));
        }
        if !me.certs.is_empty() {
            out.push("Certificates".to_string());
            const FULL: [&str; 5] = [
                "Server Key",
                "Server Certificate",
                "Client Key",
                "Client Certificate",
                "CA Certificate",
            ];
            let labels = &FULL[FULL.len() - me.certs.len()..];
            for (label, file) in labels.iter().zip(&me.certs) {
                out.push(status_field(&format!("  {label}"), file));
            }
        }
        if let Some((cmd, outcome)) = &me.last_command {
            out.push(status_field(
                "Last command",
                &format!("'{cmd}' ({outcome})"),
            ));
        }
        out
    }
}

fn set_outcome(n: &mut NodeDb, outcome: Outcome) {
    if let Some((_, o)) = &mut n.last_command {
        *o = outcome;
    }
}

/// `Key                      : value` — key padded to 25 columns (TAC 210530 output).
pub(crate) fn status_field(key: &str, value: &str) -> String {
    format!("{key:<25}: {value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    struct World {
        s: FabricState,
        t0: Instant,
    }

    impl World {
        fn new(n: u8) -> (World, Vec<NodeId>) {
            let mut s = FabricState::default();
            let ids = (1..=n)
                .map(|i| {
                    s.next_id += 1;
                    let id = s.next_id;
                    let mut db = NodeDb::new(&format!("10.0.0.{i}"));
                    db.join_delay = 100 * MS;
                    db.failover_delay = 50 * MS;
                    s.nodes.insert(id, db);
                    id
                })
                .collect();
            (
                World {
                    s,
                    t0: Instant::now(),
                },
                ids,
            )
        }

        fn at(&mut self, ms: u64) -> Instant {
            let t = self.t0 + Duration::from_millis(ms);
            self.s.advance(t);
            t
        }
    }

    #[test]
    fn join_failover_and_return() {
        let (mut w, ids) = World::new(3);
        let [a, b, c] = ids[..] else { unreachable!() };
        w.s.initialize(a, "database cluster initialize");
        let now = w.at(0);
        w.s.start_join(b, "10.0.0.1", MemberKind::Database, "j", now);
        w.s.start_join(c, "10.0.0.1", MemberKind::Database, "j", now);
        assert_eq!(w.s.role(b), DbRole::Joining);
        assert_eq!(w.s.member_state(b), "Connecting Replica");
        assert_eq!(w.s.cluster_addresses(a), vec!["10.0.0.1"]);
        w.at(100);
        assert_eq!(w.s.role(b), DbRole::Replica);
        assert_eq!(w.s.cluster_addresses(c).len(), 3);

        let now = w.at(200);
        w.s.stop_database(a, now);
        w.at(249);
        assert_eq!(w.s.role(a), DbRole::Primary);
        assert_eq!(w.s.member_state(a), "Disconnected Primary");
        w.at(250);
        assert_eq!(w.s.role(b), DbRole::Primary);
        assert_eq!(w.s.member_state(a), "Disconnected Replica");
        let now = w.at(300);
        w.s.start_database(a, now);
        assert_eq!(w.s.role(a), DbRole::Joining);
        assert_eq!(w.s.member_state(a), "Connecting Replica");
        w.at(400);
        assert_eq!(w.s.role(a), DbRole::Replica);
    }

    #[test]
    fn failover_waits_for_a_candidate() {
        let (mut w, ids) = World::new(2);
        let [a, b] = ids[..] else { unreachable!() };
        w.s.initialize(a, "i");
        let now = w.at(0);
        w.s.start_join(b, "10.0.0.1", MemberKind::Database, "j", now);
        let now = w.at(100);
        w.s.stop_database(b, now);
        w.s.stop_database(a, now);
        w.at(1000);
        assert_eq!(w.s.role(a), DbRole::Primary);
        let now = w.at(1000);
        w.s.start_database(b, now);
        w.at(1099);
        assert_eq!(w.s.role(a), DbRole::Primary);
        w.at(1100);
        assert_eq!(w.s.role(b), DbRole::Primary);
    }

    #[test]
    fn primary_leaving_hands_over_or_dissolves() {
        let (mut w, ids) = World::new(3);
        let [a, b, c] = ids[..] else { unreachable!() };
        w.s.initialize(a, "i");
        let now = w.at(0);
        w.s.start_join(c, "10.0.0.1", MemberKind::Database, "j", now);
        w.s.start_join(b, "10.0.0.1", MemberKind::Client, "c", now);
        w.at(100);
        assert_eq!(w.s.role(b), DbRole::Client);
        assert!(w.s.leave(a));
        assert_eq!(w.s.role(c), DbRole::Primary);
        assert_eq!(w.s.cluster_addresses(b), vec!["10.0.0.2", "10.0.0.3"]);
        assert!(w.s.leave(c));
        assert_eq!(w.s.role(b), DbRole::Standalone);
        assert!(w.s.clusters.is_empty());
        assert!(!w.s.leave(c));
    }

    #[test]
    fn join_failures() {
        let (mut w, ids) = World::new(7);
        let now = w.at(0);
        w.s.start_join(ids[1], "10.0.0.9", MemberKind::Database, "j", now);
        w.s.start_join(ids[2], "10.0.0.1", MemberKind::Database, "j", now);
        w.at(100);
        assert_eq!(w.s.role(ids[1]), DbRole::Error);
        assert_eq!(
            w.s.node(ids[2]).error.as_deref(),
            Some("10.0.0.1 is not a database cluster primary")
        );
        w.s.initialize(ids[0], "i");
        for &id in &ids[1..] {
            w.s.start_join(id, "10.0.0.1", MemberKind::Database, "j", now);
        }
        w.at(300);
        let roles: Vec<DbRole> = ids.iter().map(|id| w.s.role(*id)).collect();
        assert_eq!(roles.iter().filter(|r| **r == DbRole::Replica).count(), 4);
        assert_eq!(roles.iter().filter(|r| **r == DbRole::Error).count(), 2);
    }
}
