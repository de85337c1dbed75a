//! Simulated Cisco Meeting Server (CMS) node: the SSH command line (MMP) of one CMS
//! node, as far as the XMPP call bridge accounts, SFTP uploads, the database
//! cluster, the XMPP cluster, the Web Admin / Call Bridge / XMPP server / Web
//! Bridge services and the MMP user accounts go; and, while its Web Admin runs,
//! the REST API over HTTPS on the Web Admin's port ([`rest`]: the Call Bridge
//! identity and cluster peers, the Call Bridge's XMPP connection and its alarm,
//! the Web Bridges).
//!
//! Sources (see `/work/shared/reference/devices.md` 1.2 and 1.4):
//! - Cisco TAC 213479 "Configure XMPP Resiliency",
//!   <https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/213479-configure-xmpp-resiliency.html>:
//!   `xmpp callbridge add|add-secret|list`, `xmpp status`, record fields.
//! - Seed `cms-failover-cluster-part2a.txt`, section "XMPP Cluster": the same
//!   procedure (add on the first node, add-secret on the others; accounts are
//!   not replicated).
//! - Cisco TAC 210530 "Configure Meeting Server Call Bridge Database Cluster",
//!   <https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/210530-configure-cisco-meeting-server-call-brid.html>:
//!   the `<hostname>>` prompt, `database cluster certs|localnode|initialize|join|status`,
//!   the status layout; seed `cms-failover-cluster-part2a.txt`, "Database Cluster".
//! - The XMPP cluster: see [`xmpp_cluster`] (TAC 213479, Cisco bug CSCvi67717, the
//!   meeting-infohub XMPP cluster FAQs).
//! - Services and users: see [`services`] (seed, TAC 213479, the deployment
//!   guide, <https://cmslab.ciscolive.com/pod2/cms/webbridge>) and [`users`]
//!   (MMP Command Line Reference, "MMP User Account Commands").
//! - The REST API: see [`rest`] (the CMS API Reference, TAC 212298, devices.md 1.3).
//!
//! Layout: [`state`] (node state + [`NodeControl`]), [`shell`] (pure command
//! interpreter, exact output formats), [`database`] (the `database cluster`
//! commands), [`fabric`] (the lab-wide network and the database cluster state
//! machine), [`xmpp_cluster`] (the `xmpp cluster` commands) and
//! [`xmpp_cluster_state`] (the XMPP cluster membership and election, on the
//! fabric), [`services`] (the four services' commands, state and accessors),
//! [`users`] (MMP users), [`files`] + [`pem`] + [`certs`] (uploaded files, their
//! PEM checks, key/certificate matching and CA bundle checks), [`sftp`]
//! (the SFTP subsystem), [`server`] (SSH accept loop, auth, shell/exec/sftp
//! channels, fault injection through [`crate::faults::Faults`]), [`rest`] (the
//! REST API: its HTTPS listener, started and closed with the Web Admin, its
//! objects and their XML; the clustered Call Bridges and Web Bridges live in the
//! database, so the [`fabric`] shares them across a database cluster),
//! [`lab_device`] (the nodes as a lab device family). Both the SSH side and the
//! API share the node's [`crate::faults::Faults`]: one command log (MMP lines and
//! `METHOD /path` lines), one set of drop faults and reply delay, one session
//! count. Anything marked [GUESS] is not documented by Cisco and was chosen for
//! the simulator.

pub mod certs;
pub mod database;
pub mod fabric;
pub mod files;
pub mod lab_device;
pub mod pem;
pub mod rest;
pub mod server;
pub mod services;
pub mod sftp;
pub mod shell;
pub mod state;
pub mod users;
pub mod xmpp_cluster;
pub mod xmpp_cluster_state;

#[cfg(test)]
mod database_tests;
#[cfg(test)]
mod services_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod xmpp_cluster_tests;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use fabric::{DbRole, Fabric};
pub use rest::{ApiCallBridge, ApiClusterConfig, ApiWebBridge, ApiXmppConfig, XmppLink};
pub use services::{
    CallBridgeConfig, Service, TlsFiles, WebAdminConfig, WebBridgeConfig, XmppConfig,
};
pub use state::NodeControl;
pub use xmpp_cluster_state::{XmppClusterRole, XmppPeer};

/// Configuration of one simulated CMS node.
#[derive(Debug, Clone)]
pub struct CmsNodeConfig {
    pub hostname: String,
    /// Loopback address to listen on, e.g. `127.77.1.1`.
    pub bind: IpAddr,
    /// TCP port; 0 picks an ephemeral port.
    pub port: u16,
    pub username: String,
    pub password: String,
    pub xmpp_domain: String,
}

/// A running simulated CMS node (SSH server).
pub struct CmsNode {
    addr: SocketAddr,
    control: NodeControl,
    accept_task: JoinHandle<()>,
}

impl CmsNode {
    /// Binds the listener and starts serving SSH, alone on a private [`Fabric`].
    pub async fn start(cfg: CmsNodeConfig) -> anyhow::Result<CmsNode> {
        Self::start_in(cfg, Fabric::default()).await
    }

    /// Binds the listener and starts serving SSH, reachable by the other nodes
    /// of `fabric` at its bind IP (`database cluster join <bind IP>`).
    pub async fn start_in(cfg: CmsNodeConfig, fabric: Fabric) -> anyhow::Result<CmsNode> {
        let listener = TcpListener::bind((cfg.bind, cfg.port)).await.map_err(|e| {
            anyhow::anyhow!(
                "binding CMS simulator {} to {}:{}: {e}",
                cfg.hostname,
                cfg.bind,
                cfg.port
            )
        })?;
        let addr = listener.local_addr()?;
        let control = NodeControl::new_in(
            cfg.hostname,
            cfg.username,
            cfg.password,
            cfg.xmpp_domain,
            fabric,
            cfg.bind.to_string(),
        );
        let accept_task = tokio::spawn(server::accept_loop(listener, control.clone()));
        Ok(CmsNode {
            addr,
            control,
            accept_task,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Handle to inspect the node and inject faults.
    pub fn control(&self) -> NodeControl {
        self.control.clone()
    }

    /// Stops listening and cuts every live connection; the node's database
    /// becomes unreachable for the rest of the fabric, its XMPP server drops out
    /// of its XMPP cluster.
    pub async fn stop(self) {
        self.control.inner.stopping.store(true, Ordering::SeqCst);
        rest::server::stop(&self.control);
        self.control.db(|s, id, now| s.set_offline(id, now));
        self.control.xmpp_cluster(|s, id, _| s.set_offline(id));
        self.accept_task.abort();
        let _ = self.accept_task.await;
        self.control.faults().cut_all_connections();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.control.active_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
