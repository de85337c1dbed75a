//! Simulated F5 BIG-IP iControl REST: HTTPS on loopback with a certificate from the lab CA,
//! HTTP Basic or token authentication, and the LTM objects the `lb_virtual_server` resource
//! builds (pools and members, virtuals, virtual addresses, fastL4 and UDP profiles, ICMP,
//! gateway ICMP, TCP and SMTP monitors), with BIG-IP's error bodies.
//!
//! Sources: `/work/shared/reference/devices.md` §4 (F5Networks/terraform-provider-bigip and
//! its vendored f5devcentral/go-bigip `bigip.go`/`ltm.go`; Ansible's `bigip_virtual_server`),
//! the F5 example of seed `communigate-cluster-sip-farm-lb.txt`, and the captures of real
//! answers cited beside each behaviour; every error text is in [`messages`], marked
//! `confirmed` or not, with its source.
//!
//! Layout: [`http`] (a bounded HTTP/1.1 server side), [`server`] (TLS accept loop, faults per
//! request), [`api`] (routes), [`auth`] (Basic, tokens), [`state`] (the configuration and
//! mcpd's rules), [`schema`] (collections and their plain properties), [`names`]
//! (`~Common~x`, destinations, members), [`error`] + [`messages`] (error bodies and texts),
//! [`control`] ([`F5Control`], the test handle), [`lab_device`] (the family `f5_devices`).

pub mod api;
pub mod auth;
pub mod control;
pub mod error;
pub mod http;
pub mod lab_device;
pub mod messages;
pub mod names;
pub mod schema;
pub mod server;
pub mod state;

#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use control::F5Control;

use crate::lab_ca::LabCa;

/// Configuration of one simulated BIG-IP.
#[derive(Clone)]
pub struct F5Config {
    pub name: String,
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub username: String,
    pub password: String,
    /// Issues its certificate (and every rotated one).
    pub ca: Arc<LabCa>,
}

/// A running simulated BIG-IP.
pub struct F5Device {
    addr: SocketAddr,
    control: F5Control,
    accept_task: JoinHandle<()>,
}

impl F5Device {
    /// Binds 127.0.0.1 and serves HTTPS.
    pub async fn start(cfg: F5Config) -> anyhow::Result<F5Device> {
        let bind = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let listener = TcpListener::bind((bind, cfg.port)).await.map_err(|e| {
            anyhow::anyhow!(
                "binding F5 simulator {} to {bind}:{}: {e}",
                cfg.name,
                cfg.port
            )
        })?;
        let addr = listener.local_addr()?;
        let control = F5Control::new(cfg.name, cfg.username, cfg.password, cfg.ca)?;
        let accept_task = tokio::spawn(server::accept_loop(listener, control.clone()));
        Ok(F5Device {
            addr,
            control,
            accept_task,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn control(&self) -> F5Control {
        self.control.clone()
    }

    /// Stops listening and cuts every live connection.
    pub async fn stop(self) {
        self.control.inner.stopping.store(true, Ordering::SeqCst);
        self.accept_task.abort();
        let _ = self.accept_task.await;
        let faults = self.control.faults();
        faults.cut_all_connections();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while faults.active_sessions() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
