//! What the IM&P clusters of one lab share: one lock over every cluster's database, accounts,
//! service states and throttles, so a cluster's Intercluster Sync Agent can look at its peers
//! (as the CMS family's `Fabric` lets nodes see each other). Time-driven changes (a service
//! Starting -> Started after `restart_time`, users synced after a peer has been good for
//! `sync_time`) are computed lazily by [`WorldState::tick`], which every request and every
//! handle accessor runs first.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::messages::{ICSA, SERVICES, SYNC_AGENT, TOMCAT, XCP_PREFIX, XCP_ROUTER};
use super::sql::{new_pkid, Db, Value};

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Platform/application administrator: AXL and serviceability.
    Admin,
    /// The intercluster application user: AXL only [ICP].
    AxlOnly,
    /// No AXL role (AXL and ControlCenterServices answer 403).
    None,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub user: String,
    pub password: String,
    pub role: Role,
}

/// A service's status as ControlCenterServices reports it [CCSWSDL].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Started,
    Stopped,
    Starting,
    Stopping,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Started => "Started",
            Status::Stopped => "Stopped",
            Status::Starting => "Starting",
            Status::Stopping => "Stopping",
            Status::Unknown => "Unknown",
        }
    }
}

/// What a test sets a service to behind the provider's back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceState {
    Started,
    Stopped,
    /// Not activated: status Stopped, Start/Restart answer -1068.
    Deactivated,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: &'static str,
    pub activated: bool,
    pub status: Status,
    /// When a Starting service becomes Started.
    pub ready_at: Option<Instant>,
    /// When it last became Started (its StartTime / UpTime).
    pub started_at: Option<std::time::SystemTime>,
}

/// One node: its name and services.
#[derive(Debug, Clone)]
pub struct NodeState {
    pub name: String,
    pub services: Vec<Service>,
}

impl NodeState {
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    pub fn service_mut(&mut self, name: &str) -> Option<&mut Service> {
        self.services.iter_mut().find(|s| s.name == name)
    }
}

/// One cluster's share of the world.
#[derive(Debug)]
pub struct ClusterState {
    pub name: String,
    pub nodes: Vec<NodeState>,
    pub accounts: Vec<Account>,
    pub db: Db,
    pub restart_time: Duration,
    pub sync_time: Duration,
    /// Since when each peer row (by peer address) has been good.
    pub good_since: HashMap<String, Instant>,
    pub throttle_writes: u32,
    pub memory_throttle: u32,
    pub read_limit: Option<usize>,
    pub rate_limit: u32,
    /// `"<node> <ControlType> <service>"` per controlled service, in order.
    pub control_log: Vec<String>,
}

impl ClusterState {
    /// A fresh cluster: node 0 is the publisher; every service activated and Started; `users`
    /// own users `<cluster>-user<k>`; one 'tomcat' certificate row per node with its serial.
    pub fn new(
        name: &str,
        node_names: &[String],
        serials: &[String],
        accounts: Vec<Account>,
        users: usize,
        restart_time: Duration,
        sync_time: Duration,
    ) -> ClusterState {
        let now = std::time::SystemTime::now();
        let nodes = node_names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut names: Vec<&'static str> = SERVICES.to_vec();
                if i == 0 {
                    names.push(SYNC_AGENT);
                }
                NodeState {
                    name: n.clone(),
                    services: names
                        .into_iter()
                        .map(|s| Service {
                            name: s,
                            activated: true,
                            status: Status::Started,
                            ready_at: None,
                            started_at: Some(now),
                        })
                        .collect(),
                }
            })
            .collect();
        let mut db = Db::default();
        for (i, n) in node_names.iter().enumerate() {
            db.insert(
                "processnode",
                &[
                    ("pkid", Value::Str(new_pkid())),
                    ("name", Value::Str(n.clone())),
                    ("systemnode", Value::Str("f".into())),
                    ("tknodeusage", Value::Int(if i == 0 { 0 } else { 1 })),
                ],
            );
            db.insert(
                "certificate",
                &[
                    ("pkid", Value::Str(new_pkid())),
                    ("servername", Value::Str(n.clone())),
                    ("serialnumber", Value::Str(serials[i].clone())),
                    ("trustrole", Value::Str("tomcat".into())),
                ],
            );
        }
        db.insert(
            "processnode",
            &[
                ("pkid", Value::Str(new_pkid())),
                ("name", Value::Str("EnterpriseWideData".into())),
                ("systemnode", Value::Str("t".into())),
                ("tknodeusage", Value::Int(1)),
            ],
        );
        for k in 1..=users {
            db.insert(
                "enduser",
                &[
                    ("pkid", Value::Str(new_pkid())),
                    ("userid", Value::Str(format!("{name}-user{k}"))),
                    ("homecluster", Value::Str(String::new())),
                ],
            );
        }
        ClusterState {
            name: name.to_string(),
            nodes,
            accounts,
            db,
            restart_time,
            sync_time,
            good_since: HashMap::new(),
            throttle_writes: 0,
            memory_throttle: 0,
            read_limit: None,
            rate_limit: 0,
            control_log: Vec::new(),
        }
    }

    pub fn publisher(&self) -> &str {
        &self.nodes[0].name
    }

    pub fn node(&self, name: &str) -> Option<&NodeState> {
        self.nodes.iter().find(|n| n.name == name)
    }

    pub fn node_mut(&mut self, name: &str) -> Option<&mut NodeState> {
        self.nodes.iter_mut().find(|n| n.name == name)
    }

    /// The account `user` with `password`, if both match.
    pub fn login(&self, user: &str, password: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.user == user && a.password == password)
    }

    /// The peer rows: (peeraddress, axlusername, axlpassword, protocol).
    pub fn peers(&self) -> Vec<(String, String, String, String)> {
        let t = self.db.table("cupsinterclusterpeers");
        t.rows
            .iter()
            .map(|r| {
                (
                    t.get(r, "peeraddress"),
                    t.get(r, "axlusername"),
                    t.get(r, "axlpassword"),
                    t.get(r, "protocol"),
                )
            })
            .collect()
    }

    /// This cluster's own users (homecluster '').
    pub fn own_users(&self) -> Vec<(String, String)> {
        let t = self.db.table("enduser");
        t.rows
            .iter()
            .filter(|r| t.get(r, "homecluster").is_empty())
            .map(|r| (t.get(r, "pkid"), t.get(r, "userid")))
            .collect()
    }

    /// Its nodes' own 'tomcat' serials: (node name, serial).
    pub fn tomcat_serials(&self) -> Vec<(String, String)> {
        let t = self.db.table("certificate");
        t.rows
            .iter()
            .filter(|r| t.get(r, "trustrole") == "tomcat")
            .map(|r| (t.get(r, "servername"), t.get(r, "serialnumber")))
            .collect()
    }

    fn icsa_started(&self) -> bool {
        self.nodes[0]
            .service(ICSA)
            .is_some_and(|s| s.status == Status::Started)
    }
}

/// Every cluster of the lab, behind one lock.
#[derive(Debug, Default)]
pub struct World {
    state: Mutex<WorldState>,
}

#[derive(Debug, Default)]
pub struct WorldState {
    pub clusters: Vec<ClusterState>,
}

impl World {
    /// The state, with time-driven changes applied up to now.
    pub fn lock(&self) -> MutexGuard<'_, WorldState> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.tick(Instant::now());
        s
    }
}

impl WorldState {
    pub fn cluster(&self, name: &str) -> &ClusterState {
        self.clusters
            .iter()
            .find(|c| c.name == name)
            .expect("a cluster of this world")
    }

    pub fn cluster_mut(&mut self, name: &str) -> &mut ClusterState {
        self.clusters
            .iter_mut()
            .find(|c| c.name == name)
            .expect("a cluster of this world")
    }

    /// Applies what time has done: Starting services whose restart time is over are Started;
    /// then each cluster's peers are judged and synced (see [`WorldState::peer_good`]).
    pub fn tick(&mut self, now: Instant) {
        for c in &mut self.clusters {
            for n in &mut c.nodes {
                for s in &mut n.services {
                    if s.status == Status::Starting && s.ready_at.is_some_and(|t| t <= now) {
                        s.status = Status::Started;
                        s.ready_at = None;
                        s.started_at = Some(std::time::SystemTime::now());
                    }
                }
            }
        }
        for i in 0..self.clusters.len() {
            self.sync_cluster(i, now);
        }
    }

    /// The contract's "good" peer row: a publisher of the lab is named by the address, it
    /// accepts the row's AXL credentials (an account with an AXL role), it has a row pointing
    /// back at the local publisher, and the local publisher's ICSA is Started.
    pub fn peer_good(&self, local: usize, address: &str, user: &str, password: &str) -> bool {
        let c = &self.clusters[local];
        if !c.icsa_started() {
            return false;
        }
        let Some(remote) = self.clusters.iter().find(|r| r.publisher() == address) else {
            return false;
        };
        let accepted = remote
            .login(user, password)
            .is_some_and(|a| a.role != Role::None);
        accepted && remote.peers().iter().any(|p| p.0 == c.publisher())
    }

    fn sync_cluster(&mut self, i: usize, now: Instant) {
        let peers = self.clusters[i].peers();
        let mut judged = Vec::new();
        for (address, user, password, _) in &peers {
            let good = self.peer_good(i, address, user, password);
            let remote_users = self
                .clusters
                .iter()
                .find(|r| r.publisher() == address)
                .map(|r| r.own_users())
                .unwrap_or_default();
            judged.push((address.clone(), good, remote_users));
        }
        let c = &mut self.clusters[i];
        c.good_since
            .retain(|a, _| judged.iter().any(|(j, good, _)| j == a && *good));
        let mut keep: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for (address, good, users) in judged {
            if !good {
                continue;
            }
            let since = *c.good_since.entry(address.clone()).or_insert(now);
            if now.duration_since(since) >= c.sync_time {
                keep.push((address, users));
            }
        }
        let t = c.db.table_mut("enduser");
        let home = t.col("homecluster").expect("homecluster");
        let userid = t.col("userid").expect("userid");
        let pkid = t.col("pkid").expect("pkid");
        // Synced users of peers that are not (or no longer) synced go; each synced peer's users
        // are the remote's own users now.
        t.rows.retain(|r| {
            let h = r[home].text();
            h.is_empty() || keep.iter().any(|(a, _)| *a == h)
        });
        for (address, users) in keep {
            let have: Vec<String> = t
                .rows
                .iter()
                .filter(|r| r[home].text() == address)
                .map(|r| r[userid].text())
                .collect();
            let want: Vec<String> = users.iter().map(|(_, u)| u.clone()).collect();
            if have == want {
                continue;
            }
            t.rows.retain(|r| r[home].text() != address);
            for (p, u) in users {
                let mut row = vec![Value::Str(String::new()); t.columns.len()];
                row[pkid] = Value::Str(p);
                row[userid] = Value::Str(u);
                row[home] = Value::Str(address.clone());
                t.rows.push(row);
            }
        }
    }

    /// Copies the remote's 'tomcat' serials as 'tomcat-trust' rows into cluster `local`'s
    /// certificate table for the TLS peer `address` (replacing earlier copies for those nodes).
    pub fn copy_trust(&mut self, local: usize, address: &str) {
        let Some(remote) = self.clusters.iter().find(|r| r.publisher() == address) else {
            return;
        };
        let serials = remote.tomcat_serials();
        let db = &mut self.clusters[local].db;
        let t = db.table_mut("certificate");
        let role = t.col("trustrole").expect("trustrole");
        let server = t.col("servername").expect("servername");
        t.rows.retain(|r| {
            !(r[role].text() == "tomcat-trust"
                && serials.iter().any(|(n, _)| *n == r[server].text()))
        });
        for (node, serial) in serials {
            db.insert(
                "certificate",
                &[
                    ("pkid", Value::Str(new_pkid())),
                    ("servername", Value::Str(node)),
                    ("serialnumber", Value::Str(serial)),
                    ("trustrole", Value::Str("tomcat-trust".into())),
                ],
            );
        }
    }

    /// The ICSA of cluster `local`'s publisher (re)started: every TLS peer's trust is copied
    /// afresh ([CERT]: restarting ICSA is the documented Force Sync fallback).
    pub fn icsa_restarted(&mut self, local: usize) {
        for (address, _, _, protocol) in self.clusters[local].peers() {
            if protocol == "tls" {
                self.copy_trust(local, &address);
            }
        }
    }
}

/// One item of a control request's answer.
#[derive(Debug, Clone)]
pub struct Controlled {
    pub name: String,
    pub status: Status,
    pub reason: super::messages::Text,
    pub started_at: Option<std::time::SystemTime>,
}

/// The control types of soapDoControlServices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Start,
    Stop,
    Restart,
}

impl Control {
    pub fn parse(s: &str) -> Option<Control> {
        match s {
            "Start" => Some(Control::Start),
            "Stop" => Some(Control::Stop),
            "Restart" => Some(Control::Restart),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Control::Start => "Start",
            Control::Stop => "Stop",
            Control::Restart => "Restart",
        }
    }
}

impl ClusterState {
    fn begin_start(&mut self, node: usize, name: &str, now: Instant) {
        let ready = now + self.restart_time;
        if let Some(s) = self.nodes[node].service_mut(name) {
            s.status = Status::Starting;
            s.ready_at = Some(ready);
            s.started_at = None;
        }
    }

    /// Applies `control` to `service` on the node `node`; the item to answer (state at reply
    /// time) and whether the publisher's ICSA was (re)started.
    pub fn control(
        &mut self,
        node: usize,
        control: Control,
        service: &str,
        now: Instant,
    ) -> (Controlled, bool) {
        use super::messages as m;
        let node_name = self.nodes[node].name.clone();
        self.control_log
            .push(format!("{node_name} {} {service}", control.as_str()));
        let Some(s) = self.nodes[node].service(service).cloned() else {
            return (
                Controlled {
                    name: service.to_string(),
                    status: Status::Unknown,
                    reason: m::CCS_UNKNOWN_SERVICE,
                    started_at: None,
                },
                false,
            );
        };
        let item = |cs: &ClusterState, reason| {
            let s = cs.nodes[node].service(service).expect("the service");
            Controlled {
                name: service.to_string(),
                status: s.status,
                reason,
                started_at: s.started_at,
            }
        };
        if s.name == TOMCAT {
            return (item(self, m::CCS_NOT_SUPPORTED), false);
        }
        if !s.activated {
            return (item(self, m::CCS_NOT_ACTIVATED), false);
        }
        let running = matches!(s.status, Status::Started | Status::Starting);
        let mut icsa = false;
        let reason = match control {
            Control::Start if running => m::CCS_ALREADY_STARTED,
            Control::Stop if !running => m::CCS_ALREADY_STOPPED,
            Control::Start | Control::Restart => {
                // [DEP91]: a Restart of the router restarts every running XCP service; a Start
                // starts only the router.
                if control == Control::Restart && s.name == XCP_ROUTER {
                    let others: Vec<&'static str> = self.nodes[node]
                        .services
                        .iter()
                        .filter(|o| {
                            o.name != XCP_ROUTER
                                && o.name.starts_with(XCP_PREFIX)
                                && o.activated
                                && matches!(o.status, Status::Started | Status::Starting)
                        })
                        .map(|o| o.name)
                        .collect();
                    for o in others {
                        self.begin_start(node, o, now);
                    }
                }
                self.begin_start(node, service, now);
                icsa = node == 0 && s.name == ICSA;
                m::CCS_OK
            }
            Control::Stop => {
                // [DEP91]: stopping the router stops every XCP service.
                let stop: Vec<&'static str> = self.nodes[node]
                    .services
                    .iter()
                    .filter(|o| {
                        o.name == service
                            || (s.name == XCP_ROUTER && o.name.starts_with(XCP_PREFIX))
                    })
                    .map(|o| o.name)
                    .collect();
                for o in stop {
                    if let Some(x) = self.nodes[node].service_mut(o) {
                        x.status = Status::Stopped;
                        x.ready_at = None;
                        x.started_at = None;
                    }
                }
                m::CCS_OK
            }
        };
        (item(self, reason), icsa)
    }

    /// A test sets a service's state directly.
    pub fn set_service(&mut self, node: &str, service: &str, state: ServiceState) -> bool {
        let Some(s) = self.node_mut(node).and_then(|n| n.service_mut(service)) else {
            return false;
        };
        match state {
            ServiceState::Started => {
                s.activated = true;
                s.status = Status::Started;
                s.started_at = Some(std::time::SystemTime::now());
            }
            ServiceState::Stopped => {
                s.activated = true;
                s.status = Status::Stopped;
                s.started_at = None;
            }
            ServiceState::Deactivated => {
                s.activated = false;
                s.status = Status::Stopped;
                s.started_at = None;
            }
        }
        s.ready_at = None;
        true
    }
}
