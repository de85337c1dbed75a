//! The simulated IM&P clusters as a lab device family (`imp_clusters`): per cluster a publisher
//! `<cluster>-pub.lab.example` and subscribers `<cluster>-sub<k>.lab.example`, each node on its
//! own 127.0.0.1 port with its own lab-CA certificate; accounts `admin` (the lab's password;
//! AXL and serviceability), `<cluster>-icsa` (the intercluster application user, AXL only [ICP])
//! and `<cluster>-readonly` (no AXL role), each password a lab secret. The handle
//! [`ImpCluster`] (`lab.imp("imp1")`) plays the operator and the clock for tests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::messages::ICSA;
use super::sql::{self, Value as Col};
use super::world::{Account, ClusterState, Role, ServiceState, Status, World};
use super::{Node, DOMAIN};
use crate::device::{
    distinct_names, DeviceTrust, FaultControl, FaultError, LabDevice, Pending, StartContext,
    StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec, CA_FILE};
use crate::lab_ca::LabCa;

fn default_nodes() -> usize {
    2
}
fn default_users() -> usize {
    3
}
fn default_restart() -> u64 {
    300
}
fn default_sync() -> u64 {
    500
}

/// One cluster. JSON: `{"name": "imp1", "nodes": 2, "users": 3, "restart_time_ms": 300,
/// "sync_time_ms": 500}` (all but the name optional).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImpClusterSpec {
    pub name: String,
    /// Node count: the publisher and `nodes - 1` subscribers.
    #[serde(default = "default_nodes")]
    pub nodes: usize,
    /// The cluster's own users.
    #[serde(default = "default_users")]
    pub users: usize,
    /// How long a started service stays Starting.
    #[serde(default = "default_restart")]
    pub restart_time_ms: u64,
    /// How long a peer must be good before its users are synced.
    #[serde(default = "default_sync")]
    pub sync_time_ms: u64,
}

impl ImpClusterSpec {
    pub fn named(name: &str) -> ImpClusterSpec {
        ImpClusterSpec {
            name: name.to_string(),
            nodes: default_nodes(),
            users: default_users(),
            restart_time_ms: default_restart(),
            sync_time_ms: default_sync(),
        }
    }

    /// The node names: `<name>-pub.lab.example`, `<name>-sub<k>.lab.example`.
    pub fn node_names(&self) -> Vec<String> {
        (0..self.nodes)
            .map(|i| match i {
                0 => format!("{}-pub.{DOMAIN}", self.name),
                k => format!("{}-sub{k}.{DOMAIN}", self.name),
            })
            .collect()
    }
}

/// A username and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// One peer row as the GUI lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub address: String,
    pub username: String,
    pub password: String,
    pub protocol: String,
}

/// A running simulated IM&P cluster and its test hooks.
pub struct ImpCluster {
    name: String,
    nodes: Vec<Arc<Node>>,
    tasks: Vec<JoinHandle<()>>,
    world: Arc<World>,
    admin: Credentials,
    intercluster: Credentials,
    readonly: Credentials,
}

impl ImpCluster {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The publisher's node name (what a peer address must equal).
    pub fn publisher_name(&self) -> &str {
        &self.nodes[0].name
    }

    /// Every node: (name, `127.0.0.1:port`), the publisher first.
    pub fn nodes(&self) -> Vec<(String, SocketAddr)> {
        self.nodes
            .iter()
            .map(|n| (n.name.clone(), n.addr))
            .collect()
    }

    /// The platform/application administrator (AXL and serviceability).
    pub fn admin(&self) -> &Credentials {
        &self.admin
    }

    /// The intercluster application user (AXL only).
    pub fn intercluster(&self) -> &Credentials {
        &self.intercluster
    }

    /// A user with no AXL role.
    pub fn readonly(&self) -> &Credentials {
        &self.readonly
    }

    /// The lab CA's PEM (every node's issuer).
    pub fn ca_pem(&self) -> String {
        self.nodes[0].ca_pem()
    }

    /// The SHA-256 (`AB:CD:...`) of the certificate `node` presents now.
    pub fn cert_sha256(&self, node: &str) -> String {
        self.node(node).cert_sha256()
    }

    fn node(&self, name: &str) -> &Arc<Node> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no IM&P node {name:?} in cluster {}", self.name))
    }

    fn with<T>(&self, f: impl FnOnce(&mut super::world::WorldState, usize) -> T) -> T {
        let mut w = self.world.lock();
        let i = w
            .clusters
            .iter()
            .position(|c| c.name == self.name)
            .expect("this cluster");
        f(&mut w, i)
    }

    /// What the GUI's Add New does: a peer row (a new pkid), and for TLS the remote's Tomcat
    /// certificates copied. An error text for a duplicate address or a bad protocol.
    pub fn gui_add_peer(
        &self,
        address: &str,
        user: &str,
        password: &str,
        protocol: &str,
    ) -> Result<(), String> {
        self.with(|w, i| {
            let st = sql::Statement::Insert {
                table: "cupsinterclusterpeers".into(),
                columns: [
                    "pkid",
                    "peeraddress",
                    "axlusername",
                    "axlpassword",
                    "protocol",
                ]
                .map(String::from)
                .to_vec(),
                values: vec![
                    Col::Str(sql::new_pkid()),
                    Col::Str(address.into()),
                    Col::Str(user.into()),
                    Col::Str(password.into()),
                    Col::Str(protocol.into()),
                ],
            };
            sql::update(&mut w.clusters[i].db, &st).map_err(|e| e.message)?;
            if protocol == "tls" {
                w.copy_trust(i, address);
            }
            w.tick(std::time::Instant::now());
            Ok(())
        })
    }

    /// What the GUI's Delete does; whether a row was there.
    pub fn gui_delete_peer(&self, address: &str) -> bool {
        self.with(|w, i| {
            let t = w.clusters[i].db.table_mut("cupsinterclusterpeers");
            let col = t.col("peeraddress").expect("peeraddress");
            let before = t.rows.len();
            t.rows.retain(|r| r[col].text() != address);
            let gone = t.rows.len() != before;
            w.tick(std::time::Instant::now());
            gone
        })
    }

    /// The peer rows, in table order.
    pub fn peers(&self) -> Vec<Peer> {
        self.with(|w, i| {
            w.clusters[i]
                .peers()
                .into_iter()
                .map(|(address, username, password, protocol)| Peer {
                    address,
                    username,
                    password,
                    protocol,
                })
                .collect()
        })
    }

    /// Whether the peer row `address` is good now (the contract's definition).
    pub fn peer_good(&self, address: &str) -> bool {
        self.with(|w, i| {
            w.clusters[i]
                .peers()
                .into_iter()
                .find(|p| p.0 == address)
                .is_some_and(|(a, u, p, _)| w.peer_good(i, &a, &u, &p))
        })
    }

    /// The status of `service` on `node`; `None` for a service the node does not run.
    pub fn service_status(&self, node: &str, service: &str) -> Option<Status> {
        self.with(|w, i| {
            w.clusters[i]
                .node(node)
                .and_then(|n| n.service(service))
                .map(|s| s.status)
        })
    }

    /// Sets a service's state behind the provider's back (no control log line). Setting the
    /// publisher's ICSA Started counts as its (re)start (trust copied afresh). Panics on an
    /// unknown node or service.
    pub fn set_service(&self, node: &str, service: &str, state: ServiceState) {
        let publisher = self.publisher_name().to_string();
        self.with(|w, i| {
            assert!(
                w.clusters[i].set_service(node, service, state),
                "no service {service:?} on {node:?}"
            );
            if node == publisher && service == ICSA && state == ServiceState::Started {
                w.icsa_restarted(i);
            }
        })
    }

    /// A new Tomcat certificate for `node` (new key, new serial, presented from now on) and
    /// its 'tomcat' row updated; the new serial (lower-case hex).
    pub fn regenerate_tomcat(&self, node: &str) -> String {
        self.node(node)
            .regenerate_tomcat()
            .expect("issuing a certificate")
    }

    /// The serial of `node`'s own 'tomcat' row.
    pub fn tomcat_serial(&self, node: &str) -> String {
        self.with(|w, i| {
            w.clusters[i]
                .tomcat_serials()
                .into_iter()
                .find(|(n, _)| n == node)
                .map(|(_, s)| s)
                .unwrap_or_default()
        })
    }

    /// The 'tomcat-trust' rows: (servername, serialnumber).
    pub fn trusted_serials(&self) -> Vec<(String, String)> {
        self.with(|w, i| {
            let t = w.clusters[i].db.table("certificate");
            t.rows
                .iter()
                .filter(|r| t.get(r, "trustrole") == "tomcat-trust")
                .map(|r| (t.get(r, "servername"), t.get(r, "serialnumber")))
                .collect()
        })
    }

    /// Users synced from the peer `peer_address` (enduser rows homed there).
    pub fn synced_users(&self, peer_address: &str) -> usize {
        self.with(|w, i| {
            let t = w.clusters[i].db.table("enduser");
            t.rows
                .iter()
                .filter(|r| t.get(r, "homecluster") == peer_address)
                .count()
        })
    }

    /// The cluster's own user ids.
    pub fn users(&self) -> Vec<String> {
        self.with(|w, i| {
            w.clusters[i]
                .own_users()
                .into_iter()
                .map(|(_, u)| u)
                .collect()
        })
    }

    /// Adds an own user (the Sync Agent brought one from CUCM).
    pub fn add_user(&self, userid: &str) {
        self.with(|w, i| {
            w.clusters[i].db.insert(
                "enduser",
                &[
                    ("pkid", Col::Str(sql::new_pkid())),
                    ("userid", Col::Str(userid.into())),
                    ("homecluster", Col::Str(String::new())),
                ],
            )
        })
    }

    /// Every controlled service, `"<node> <ControlType> <service>"`, in order.
    pub fn control_log(&self) -> Vec<String> {
        self.with(|w, i| w.clusters[i].control_log.clone())
    }

    /// `node`'s command log (one line per request, no password).
    pub fn command_log(&self, node: &str) -> Vec<String> {
        self.node(node).faults.command_log()
    }

    /// The next `n` executeSQLUpdate requests (any node) get HTTP 503.
    pub fn throttle_writes(&self, n: u32) {
        self.with(|w, i| w.clusters[i].throttle_writes = n)
    }

    /// The next `n` executeSQLQuery requests get the "Maximum AXL Memory Allocation Consumed"
    /// fault.
    pub fn memory_throttle(&self, n: u32) {
        self.with(|w, i| w.clusters[i].memory_throttle = n)
    }

    /// Query replies whose `<return>` is above `bytes` get the "Query request too large"
    /// fault (a real server's limit is 8 MB [AXLDG]); `None` lifts it.
    pub fn read_limit(&self, bytes: Option<usize>) {
        self.with(|w, i| w.clusters[i].read_limit = bytes)
    }

    /// The next `n` ControlCenterServices requests get the "Exceeded allowed rate" fault.
    pub fn rate_limit(&self, n: u32) {
        self.with(|w, i| w.clusters[i].rate_limit = n)
    }

    async fn stop(self) {
        for n in &self.nodes {
            n.stopping.store(true, Ordering::SeqCst);
        }
        for t in self.tasks {
            t.abort();
            let _ = t.await;
        }
        for n in &self.nodes {
            n.faults.cut_all_connections();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        for n in &self.nodes {
            while n.faults.active_sessions() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Starts the clusters of `spec` in one world (tests start them without a lab).
pub async fn start_clusters(
    spec: &[ImpClusterSpec],
    admin_password: &str,
    ca: &Arc<LabCa>,
) -> anyhow::Result<Vec<ImpCluster>> {
    let world = Arc::new(World::default());
    let mut clusters: Vec<ImpCluster> = Vec::new();
    for c in spec {
        match start_cluster(c, admin_password, ca, &world).await {
            Ok(cluster) => clusters.push(cluster),
            Err(e) => {
                for c in clusters {
                    c.stop().await;
                }
                return Err(e);
            }
        }
    }
    Ok(clusters)
}

async fn start_cluster(
    spec: &ImpClusterSpec,
    admin_password: &str,
    ca: &Arc<LabCa>,
    world: &Arc<World>,
) -> anyhow::Result<ImpCluster> {
    let names = spec.node_names();
    let mut listeners = Vec::new();
    for n in &names {
        let l = TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
            .await
            .map_err(|e| anyhow::anyhow!("binding IM&P node {n}: {e}"))?;
        listeners.push(l);
    }
    let admin = Credentials {
        username: "admin".into(),
        password: admin_password.to_string(),
    };
    let intercluster = Credentials {
        username: format!("{}-icsa", spec.name),
        password: crate::secrets::random_password(),
    };
    let readonly = Credentials {
        username: format!("{}-readonly", spec.name),
        password: crate::secrets::random_password(),
    };
    let mut nodes = Vec::new();
    let mut serials = Vec::new();
    for (i, (n, l)) in names.iter().zip(&listeners).enumerate() {
        let (node, serial) =
            Node::new(n, &spec.name, i, l.local_addr()?, world.clone(), ca.clone())?;
        nodes.push(Arc::new(node));
        serials.push(serial);
    }
    let account = |c: &Credentials, role| Account {
        user: c.username.clone(),
        password: c.password.clone(),
        role,
    };
    let state = ClusterState::new(
        &spec.name,
        &names,
        &serials,
        vec![
            account(&admin, Role::Admin),
            account(&intercluster, Role::AxlOnly),
            account(&readonly, Role::None),
        ],
        spec.users,
        Duration::from_millis(spec.restart_time_ms),
        Duration::from_millis(spec.sync_time_ms),
    );
    world.lock().clusters.push(state);
    let tasks = listeners
        .into_iter()
        .zip(&nodes)
        .map(|(l, n)| tokio::spawn(super::server::accept_loop(l, n.clone())))
        .collect();
    Ok(ImpCluster {
        name: spec.name.clone(),
        nodes,
        tasks,
        world: world.clone(),
        admin,
        intercluster,
        readonly,
    })
}

/// Every simulated IM&P cluster of a lab.
pub struct ImpClusters {
    clusters: Vec<ImpCluster>,
    ca_file: PathBuf,
}

impl StartDevice for ImpClusters {
    const KEY: &'static str = "imp_clusters";
    const DESCRIPTION: &'static str = "simulated Cisco IM and Presence clusters";
    type Spec = Vec<ImpClusterSpec>;

    /// `imp1..impN`, each a publisher and one subscriber.
    fn numbered(n: usize) -> Vec<ImpClusterSpec> {
        (1..=n)
            .map(|i| ImpClusterSpec::named(&format!("imp{i}")))
            .collect()
    }

    fn check(spec: &Vec<ImpClusterSpec>) -> anyhow::Result<Vec<String>> {
        distinct_names(spec.iter().map(|c| c.name.as_str()), "IM&P cluster")?;
        for c in spec {
            anyhow::ensure!(
                !c.name.is_empty()
                    && c.name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "IM&P cluster name {:?}: lower-case letters, digits and dashes only",
                c.name
            );
            anyhow::ensure!(
                (1..=6).contains(&c.nodes),
                "IM&P cluster {}: 1 to 6 nodes",
                c.name
            );
        }
        // The devices the lab counts (`--imp-clusters N`) are the clusters; their nodes are
        // what `names()` and the fault controls go by.
        Ok(spec.iter().map(|c| c.name.clone()).collect())
    }

    async fn start(spec: Vec<ImpClusterSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        Ok(ImpClusters {
            clusters: start_clusters(&spec, ctx.password, ctx.ca).await?,
            ca_file: ctx.out_dir.join(CA_FILE),
        })
    }
}

impl ImpClusters {
    fn entry(&self, c: &ImpCluster) -> Value {
        json!({
            "name": c.name,
            "publisher": c.publisher_name(),
            "nodes": c.nodes.iter().map(|n| json!({
                "name": n.name,
                "endpoint": n.addr.to_string(),
            })).collect::<Vec<_>>(),
            "admin_username": c.admin.username,
            "admin_password": c.admin.password,
            "intercluster_username": c.intercluster.username,
            "intercluster_password": c.intercluster.password,
            "ca_file": self.ca_file.to_string_lossy(),
        })
    }
}

impl LabDevice for ImpClusters {
    /// The node names (faults are per node).
    fn names(&self) -> Vec<String> {
        self.clusters
            .iter()
            .flat_map(|c| c.nodes.iter().map(|n| n.name.clone()))
            .collect()
    }

    /// One object per cluster: the variables' entry plus the readonly user, the CA PEM and
    /// each node's certificate SHA-256.
    fn endpoints(&self) -> Value {
        self.clusters
            .iter()
            .map(|c| {
                let mut e = self.entry(c);
                e["readonly_username"] = json!(c.readonly.username);
                e["readonly_password"] = json!(c.readonly.password);
                e["ca_pem"] = json!(c.ca_pem());
                for (k, n) in c.nodes.iter().enumerate() {
                    e["nodes"][k]["cert_sha256"] = json!(n.cert_sha256());
                }
                e
            })
            .collect()
    }

    /// `imp_clusters`: a map by cluster name of `{publisher, nodes: [{name, endpoint}],
    /// admin_username, admin_password, intercluster_username, intercluster_password, ca_file}`.
    fn tfvars(&self) -> Map<String, Value> {
        let mut vars = Map::new();
        if self.clusters.is_empty() {
            return vars;
        }
        let map: Map<String, Value> = self
            .clusters
            .iter()
            .map(|c| {
                let mut e = self.entry(c);
                e.as_object_mut().expect("an object").remove("name");
                (c.name.clone(), e)
            })
            .collect();
        vars.insert("imp_clusters".into(), Value::Object(map));
        vars
    }

    fn trust(&self) -> Vec<DeviceTrust> {
        self.clusters
            .iter()
            .flat_map(|c| c.nodes.iter())
            .map(|n| DeviceTrust {
                device: n.name.clone(),
                known_hosts: None,
                pin: Some(n.cert_sha256()),
                ca_pem: Some(n.ca_pem()),
            })
            .collect()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        let node = self
            .clusters
            .iter()
            .flat_map(|c| c.nodes.iter())
            .find(|n| n.name == name)?;
        Some(Box::new(NodeFaults(node.clone())))
    }

    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(async move {
            for c in self.clusters {
                c.stop().await;
            }
        })
    }
}

/// One node's fault controls: the shared ones through its [`crate::faults::Faults`]; a rotated
/// identity is a regenerated Tomcat certificate (new key and serial, the 'tomcat' row with it).
pub struct NodeFaults(pub Arc<Node>);

impl FaultControl for NodeFaults {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        let result = match self.0.faults.inject(fault) {
            Ok(()) => Ok(()),
            Err(_) => self
                .0
                .regenerate_tomcat()
                .map(|_| ())
                .map_err(FaultError::from),
        };
        Box::pin(async move { result })
    }

    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        self.0.faults.clear();
        Box::pin(async { Ok(()) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Ok(self.0.faults.command_log())
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Ok(self.0.faults.sessions())
    }
}

impl ImpCluster {
    /// The fault controls of `node` (as `lab.faults(node)` gives them).
    pub fn faults(&self, node: &str) -> NodeFaults {
        NodeFaults(self.node(node).clone())
    }
}

/// The IM&P clusters of a lab.
impl Lab {
    /// The cluster `name`. Panics on an unknown name (a test bug).
    pub fn imp(&self, name: &str) -> &ImpCluster {
        self.family::<ImpClusters>()
            .clusters
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no IM&P cluster named {name:?} in this lab"))
    }

    /// Names of the IM&P clusters, in spec order.
    pub fn imp_names(&self) -> Vec<String> {
        self.family::<ImpClusters>()
            .clusters
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }
}

impl LabSpec {
    /// This spec with clusters `imp1..impN` (publisher + one subscriber each).
    pub fn with_imp_clusters(self, n: usize) -> LabSpec {
        self.with::<ImpClusters>(ImpClusters::numbered(n))
    }
}
