//! Simulated CommuniGate Pro Dynamic Cluster, as its CLI/API shows it: one PWD listener per
//! member on 127.0.0.1 (plain TCP, the role of port 106), with per-member settings stores
//! (`GetClusterSettings`, `GetNetwork`) and one cluster-wide store (`GetClusterNetwork`) that a
//! Set on any member changes for every member.
//!
//! Sources: `/work/shared/reference/cgp-interface.md` (its S-ids: CGP's CLI.html S1, Data.html
//! S2, ClusterSignals.html S3, the official Perl client CLI.pm S7 and its callers S9, CGP's own
//! settings files S10, the C# client and its recorded banner S11, the PHP client's live-server
//! tests S12, the Python parser's tests S13, the WebAdmin Cluster page's form fields S15).
//! Every key is in [`keys`] and every reply text in [`messages`], each with its source and
//! confidence; the simulator never imports the provider's tables.
//!
//! Layout: [`data`] (the text data format: parser, stored dictionaries, printer), [`keys`]
//! (commands and settings keys with seeds), [`messages`] (reply lines), [`server`] (the session),
//! [`control`] ([`CgpMember`], [`CgpControl`]: the test handles), [`lab_device`] (the family
//! `cgp_members`).
//!
//! Not imitated: TLS (port 1106, `STLS`), `AUTH WEBUSER`, access rights (every login is the
//! postmaster), and every command outside the SIP-farm resource's needs.

pub mod control;
pub mod data;
pub mod keys;
pub mod lab_device;
pub mod messages;
pub mod server;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use control::{CgpControl, CgpMember};

/// A server drops a CLI session idle for about five minutes: S7 reconnects when idle for more
/// than `60*5-5` s (cgp-interface.md §2, LIKELY).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// One member to start.
#[derive(Debug, Clone)]
pub struct CgpMemberConfig {
    pub name: String,
    /// `frontend` or `backend` (kept for the lab's files; the stores start the same).
    pub role: String,
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub username: String,
    pub password: String,
    pub idle_timeout: Duration,
}

struct Running {
    addr: SocketAddr,
    member: CgpMember,
    accept_task: JoinHandle<()>,
}

/// A running simulated cluster.
pub struct CgpCluster {
    members: Vec<Running>,
    cluster_network: Arc<Mutex<data::StoredDict>>,
}

impl CgpCluster {
    /// Binds one listener per member on 127.0.0.1; on error, what was started is stopped.
    pub async fn start(configs: Vec<CgpMemberConfig>) -> anyhow::Result<CgpCluster> {
        let mut cluster = CgpCluster {
            members: Vec::new(),
            cluster_network: Arc::new(Mutex::new(keys::seed(keys::CLUSTER_NETWORK))),
        };
        for cfg in configs {
            let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
            let listener = match TcpListener::bind((bind, cfg.port)).await {
                Ok(l) => l,
                Err(e) => {
                    let name = cfg.name.clone();
                    cluster.stop().await;
                    anyhow::bail!("binding CGP member {name} to {bind}:{}: {e}", cfg.port);
                }
            };
            let addr = listener.local_addr()?;
            let member = CgpMember::new(
                cfg.name,
                cfg.role,
                cfg.username,
                cfg.password,
                cfg.idle_timeout,
                cluster.cluster_network.clone(),
            );
            let accept_task = tokio::spawn(server::accept_loop(listener, member.clone()));
            cluster.members.push(Running {
                addr,
                member,
                accept_task,
            });
        }
        Ok(cluster)
    }

    /// The handle to the whole cluster.
    pub fn control(&self) -> CgpControl {
        CgpControl {
            members: self.members.iter().map(|r| r.member.clone()).collect(),
            cluster_network: self.cluster_network.clone(),
        }
    }

    /// The member `name` and the address its CLI listens on.
    pub fn member(&self, name: &str) -> Option<(CgpMember, SocketAddr)> {
        self.members
            .iter()
            .find(|r| r.member.name() == name)
            .map(|r| (r.member.clone(), r.addr))
    }

    /// Every member with its address, in start order.
    pub fn members(&self) -> Vec<(CgpMember, SocketAddr)> {
        self.members
            .iter()
            .map(|r| (r.member.clone(), r.addr))
            .collect()
    }

    /// Stops listening and cuts every live connection.
    pub async fn stop(self) {
        for r in self.members {
            r.member.inner.stopping.store(true, Ordering::SeqCst);
            r.accept_task.abort();
            let _ = r.accept_task.await;
            let faults = r.member.faults();
            faults.cut_all_connections();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while faults.active_sessions() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
