//! Simulated Cisco IM and Presence (IM&P) clusters: per node an HTTPS listener on 127.0.0.1 with
//! a lab-CA certificate (SANs: the node name and 127.0.0.1) serving AXL (`/axl/`,
//! executeSQLQuery/executeSQLUpdate over a small SQL engine on the cluster database) and
//! Serviceability ControlCenterServices (service status and control); the clusters of a lab see
//! each other through one [`world::World`], where each publisher's Intercluster Sync Agent
//! judges its peer rows and syncs users and Tomcat trust the way the lab contract says.
//!
//! Sources: `/work/shared/reference/imp-interface.md` §4-§6 (short IDs [AXLDG], [AXLWSDL],
//! [CCSWSDL], [TAC217581], [DEP91], [ICP], [CERT], [CLI15]); the shared contract with the
//! provider is `/work/notes/imp-contract.md` (this module keeps its own copy in code, never
//! the provider's). Every text, code, table and placeholder is in [`messages`] with its source
//! and confidence.
//!
//! Layout: [`messages`] (texts, services, tables), [`sql`] (the database and the SQL subset),
//! [`world`] (clusters, accounts, services, peering), [`soap`] (AXL and ControlCenterServices),
//! [`server`] (TLS accept loop, faults per request), [`lab_device`] (the family
//! `imp_clusters`, the handle [`lab_device::ImpCluster`]).

pub mod lab_device;
pub mod messages;
pub mod server;
pub mod soap;
pub mod sql;
pub mod world;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::faults::Faults;
use crate::lab_ca::{Identity, LabCa};

/// The lab's DNS suffix of IM&P node names.
pub const DOMAIN: &str = "lab.example";

/// One node of a cluster, as its server task sees it.
pub struct Node {
    pub name: String,
    pub cluster: String,
    /// Its position in the cluster (0 = publisher).
    pub index: usize,
    pub addr: SocketAddr,
    pub faults: Faults,
    pub world: Arc<world::World>,
    identity: Mutex<Identity>,
    ca: Arc<LabCa>,
    pub(crate) stopping: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A fresh serial number: 8 random bytes, the first below 0x80 (a positive DER integer) and
/// non-zero; with its lower-case hex.
fn new_serial() -> (Vec<u8>, String) {
    let mut b: [u8; 8] = rand::random();
    b[0] = (b[0] & 0x7f).max(1);
    let hex = b.iter().map(|x| format!("{x:02x}")).collect();
    (b.to_vec(), hex)
}

impl Node {
    /// A node with a fresh certificate; its serial (lower-case hex) is the second value.
    fn new(
        name: &str,
        cluster: &str,
        index: usize,
        addr: SocketAddr,
        world: Arc<world::World>,
        ca: Arc<LabCa>,
    ) -> anyhow::Result<(Node, String)> {
        let (serial, hex) = new_serial();
        let identity = Identity::issue_named(&ca, name, &serial)?;
        Ok((
            Node {
                name: name.to_string(),
                cluster: cluster.to_string(),
                index,
                addr,
                faults: Faults::default(),
                world,
                identity: Mutex::new(identity),
                ca,
                stopping: AtomicBool::new(false),
            },
            hex,
        ))
    }

    pub fn tls(&self) -> Arc<rustls::ServerConfig> {
        lock(&self.identity).server.clone()
    }

    /// The PEM of the certificate presented now.
    pub fn cert_pem(&self) -> String {
        lock(&self.identity).cert_pem.clone()
    }

    /// SHA-256 of the leaf now presented, `AB:CD:...`.
    pub fn cert_sha256(&self) -> String {
        lock(&self.identity).sha256.clone()
    }

    pub fn ca_pem(&self) -> String {
        self.ca.cert_pem()
    }

    /// A new certificate (new key, new serial) for the node, and its 'tomcat' row's serial
    /// updated to match; trust copied by peers stays as it was (stale).
    pub fn regenerate_tomcat(&self) -> anyhow::Result<String> {
        let (serial, hex) = new_serial();
        let identity = Identity::issue_named(&self.ca, &self.name, &serial)?;
        *lock(&self.identity) = identity;
        let mut world = self.world.lock();
        let t = world.cluster_mut(&self.cluster).db.table_mut("certificate");
        let (role, server, serial_col) = (
            t.col("trustrole").expect("trustrole"),
            t.col("servername").expect("servername"),
            t.col("serialnumber").expect("serialnumber"),
        );
        for r in &mut t.rows {
            if r[role].text() == "tomcat" && r[server].text() == self.name {
                r[serial_col] = sql::Value::Str(hex.clone());
            }
        }
        Ok(hex)
    }
}
