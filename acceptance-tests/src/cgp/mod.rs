//! Simulated CommuniGate Pro Dynamic Cluster, as its CLI/API shows it: per member one PWD
//! listener on 127.0.0.1 in the clear (the role of port 106, with `STLS` before login) and one
//! with implicit TLS (the role of port 1106), both with the same session, per-member settings
//! stores (`GetClusterSettings`, `GetNetwork`) and one cluster-wide store (`GetClusterNetwork`)
//! that a Set on any member changes for every member. The TLS certificate comes from the lab CA
//! for 127.0.0.1; a rotated identity is a new one, as the F5 simulator's.
//!
//! Sources: `/work/shared/reference/cgp-interface.md` (its S-ids: CGP's CLI.html S1, Data.html
//! S2, ClusterSignals.html S3, the official Perl client CLI.pm S7 and its callers S9, CGP's own
//! settings files S10, the C# client and its recorded banner S11, the PHP client's live-server
//! tests S12, the Python parser's tests S13, go-cgp-acme S14, the WebAdmin Cluster page's form
//! fields S15). TLS: CGP's "Listeners" page (v6.4 https://www.communigate.ru/CommuniGatePro/Listener.html,
//! older http://cgp.dol.ru:8100/Guide/Listener.html): a TCP listener socket accepts clear text or
//! secure (TLS/SSL) connections, and a service usually gets one socket of each on different
//! ports, CONFIRMED; the PWD port numbers 106/1106 and `STLS` are S14 only (§2, LIKELY). Every key
//! is in [`keys`] and every reply text in [`messages`], each with its source and confidence; the
//! simulator never imports the provider's tables.
//!
//! Layout: [`data`] (the text data format: parser, stored dictionaries, printer), [`keys`]
//! (commands and settings keys with seeds), [`messages`] (reply lines), [`server`] (the session,
//! plain, upgraded or implicit TLS), [`control`] ([`CgpMember`], [`CgpControl`]: the test
//! handles), [`lab_device`] (the family `cgp_members`).
//!
//! Not imitated: `AUTH WEBUSER`, SASL `AUTH`, access rights (every login is the postmaster),
//! client certificates, and every command outside the SIP-farm resource's needs.

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

use crate::lab_ca::LabCa;
use server::Transport;

/// A server drops a CLI session idle for about five minutes: S7 reconnects when idle for more
/// than `60*5-5` s (cgp-interface.md §2, LIKELY).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// One member to start.
#[derive(Debug, Clone)]
pub struct CgpMemberConfig {
    pub name: String,
    /// `frontend` or `backend` (kept for the lab's files; the stores start the same).
    pub role: String,
    /// TCP port on 127.0.0.1 of the clear-text listener (CGP's 106); 0 picks a free one.
    pub port: u16,
    /// TCP port on 127.0.0.1 of the implicit-TLS listener (CGP's 1106); 0 picks a free one.
    pub tls_port: u16,
    pub username: String,
    pub password: String,
    pub idle_timeout: Duration,
}

struct Running {
    addr: SocketAddr,
    tls_addr: SocketAddr,
    member: CgpMember,
    accept_tasks: Vec<JoinHandle<()>>,
}

/// A listener on 127.0.0.1:`port` for the member `name`.
async fn listen(name: &str, port: u16) -> anyhow::Result<TcpListener> {
    let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
    TcpListener::bind((bind, port))
        .await
        .map_err(|e| anyhow::anyhow!("binding CGP member {name} to {bind}:{port}: {e}"))
}

/// A running simulated cluster.
pub struct CgpCluster {
    members: Vec<Running>,
    cluster_network: Arc<Mutex<data::StoredDict>>,
}

impl CgpCluster {
    /// Binds two listeners per member on 127.0.0.1 (clear text, implicit TLS), each member with
    /// a certificate from `ca`; on error, what was started is stopped.
    pub async fn start(
        configs: Vec<CgpMemberConfig>,
        ca: Arc<LabCa>,
    ) -> anyhow::Result<CgpCluster> {
        let mut cluster = CgpCluster {
            members: Vec::new(),
            cluster_network: Arc::new(Mutex::new(keys::seed(keys::CLUSTER_NETWORK))),
        };
        for cfg in configs {
            match cluster.start_member(cfg, &ca).await {
                Ok(r) => cluster.members.push(r),
                Err(e) => {
                    cluster.stop().await;
                    return Err(e);
                }
            }
        }
        Ok(cluster)
    }

    async fn start_member(&self, cfg: CgpMemberConfig, ca: &Arc<LabCa>) -> anyhow::Result<Running> {
        let listener = listen(&cfg.name, cfg.port).await?;
        let tls_listener = listen(&cfg.name, cfg.tls_port).await?;
        let addr = listener.local_addr()?;
        let tls_addr = tls_listener.local_addr()?;
        let member = CgpMember::new(
            cfg.name,
            cfg.role,
            cfg.username,
            cfg.password,
            cfg.idle_timeout,
            self.cluster_network.clone(),
            ca.clone(),
        )?;
        let accept_tasks = vec![
            tokio::spawn(server::accept_loop(
                listener,
                member.clone(),
                Transport::Plain,
            )),
            tokio::spawn(server::accept_loop(
                tls_listener,
                member.clone(),
                Transport::ImplicitTls,
            )),
        ];
        Ok(Running {
            addr,
            tls_addr,
            member,
            accept_tasks,
        })
    }

    /// The handle to the whole cluster.
    pub fn control(&self) -> CgpControl {
        CgpControl {
            members: self.members.iter().map(|r| r.member.clone()).collect(),
            cluster_network: self.cluster_network.clone(),
        }
    }

    /// The member `name` and the address its clear-text CLI listens on.
    pub fn member(&self, name: &str) -> Option<(CgpMember, SocketAddr)> {
        self.members
            .iter()
            .find(|r| r.member.name() == name)
            .map(|r| (r.member.clone(), r.addr))
    }

    /// The address of the member's implicit-TLS listener (the role of port 1106).
    pub fn tls_addr(&self, name: &str) -> Option<SocketAddr> {
        self.members
            .iter()
            .find(|r| r.member.name() == name)
            .map(|r| r.tls_addr)
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
            for t in r.accept_tasks {
                t.abort();
                let _ = t.await;
            }
            let faults = r.member.faults();
            faults.cut_all_connections();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            while faults.active_sessions() > 0 && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
