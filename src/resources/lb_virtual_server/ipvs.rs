//! The IPVS backend: `ipvsadm` over SSH on the director (one exec channel per command on the
//! pooled connection), read back with one `ipvsadm -S -n` per run (devices::lb::ipvs); or,
//! where keepalived owns the table, keepalived's configuration file ([`Keepalived`]).

use super::backend::{Balancer, Found, Wanted};
use super::keepalived::Keepalived;
use crate::client::{Devices, NodeConnection, SshTarget};
use crate::devices::lb::ipvs::{self, parse_save, services, virtual_servers, Service};
use crate::devices::lb::rules::{At, Finding, SIP_PORT};
use crate::devices::lb::virtual_server::{Forwarding, Protocol, VirtualServer};
use crate::devices::shell::command_line;
use crate::resources::step::StepError;
use tokio::time::Instant;

pub struct Ipvs {
    pub devices: Devices,
    pub director: NodeConnection,
    /// The `ipvsadm` program on the director.
    pub ipvsadm: String,
    /// Where keepalived owns the table: its configuration, not `ipvsadm`, changes it.
    pub keepalived: Option<Keepalived>,
}

/// IPVS has a kernel limit of its own on destinations only through memory; this bound keeps
/// one service's table to what an operator can review.
pub const MAX_MEMBERS: usize = 256;

impl Ipvs {
    fn target(&self) -> Result<SshTarget, StepError> {
        self.devices
            .ssh_target(&self.director)
            .map_err(StepError::Config)
    }

    async fn run(&self, target: &SshTarget, args: &[String]) -> Result<String, StepError> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let command = command_line(&self.ipvsadm, &args);
        let out = self.devices.host(target).await.exec(&command, None).await?;
        match out.status {
            0 => Ok(out.stdout),
            status => Err(StepError::Device {
                endpoint: target.endpoint(),
                command: format!("ipvsadm {}", args.join(" ")),
                message: match out.stderr.trim() {
                    "" => format!("exit status {status}"),
                    said => said.to_string(),
                },
            }),
        }
    }
}

/// The model value each word of the table's own that this backend reports (`Found.foreign`)
/// was read as: a scheduler the model has no word for runs as round robin's stand-in, unknown
/// forwarding as direct routing (devices::lb::ipvs), halves that differ as `both` ([`Ipvs::find`]).
pub const FOREIGN_READ_AS: &[(&str, &str)] = &[
    ("method", "round_robin"),
    ("forwarding", "direct_routing"),
    ("protocol", "both"),
];

/// Whether a UDP service on SIP's port gets one-packet scheduling when the configuration
/// does not say.
pub fn one_packet_default(vs: &VirtualServer) -> bool {
    vs.carries_udp() && vs.port == Some(SIP_PORT)
}

impl Ipvs {
    /// The director's table, as `ipvsadm -S -n` prints it.
    pub(super) async fn table(&self, target: &SshTarget) -> Result<Vec<Service>, StepError> {
        let saved = self.run(target, &["-S".into(), "-n".into()]).await?;
        parse_save(&saved).map_err(|message| StepError::Output {
            endpoint: target.endpoint(),
            command: "ipvsadm -S -n".into(),
            message,
        })
    }
}

#[async_trait::async_trait]
impl Balancer for Ipvs {
    fn kind(&self) -> &'static str {
        "ipvs"
    }

    fn refuse(&self, wanted: &Wanted) -> Vec<Finding> {
        let vs = &wanted.vs;
        let mut out = Vec::new();
        let mut refuse = |at, summary, detail: &str| {
            out.push(Finding {
                at,
                summary,
                detail: detail.to_string(),
            })
        };
        if self.keepalived.is_none() && vs.port.is_none() {
            refuse(At::Attribute("port"), "IPVS needs a port", "ipvsadm serves port 0 (any) only for a persistent service, which a SIP farm must not be: set port");
        }
        if self.keepalived.is_none() && vs.forwarding == Forwarding::NoTranslation {
            refuse(At::Attribute("forwarding"), "Not available on IPVS", "IPVS keeps the destination only with direct routing (-g): use forwarding = \"direct_routing\", or the f5 backend");
        }
        if self.keepalived.is_none() && !vs.monitors.is_empty() {
            refuse(At::Attribute("monitors"), "IPVS has no health checks", "IPVS itself never checks a member (keepalived does: give the provider's ipvs block a keepalived block), or set monitors = []");
        }
        if self.keepalived.is_none() && wanted.one_packet && vs.protocol == Protocol::Tcp {
            refuse(
                At::Attribute("ipvs"),
                "One-packet scheduling on TCP",
                "ipvsadm: \"One-Packet Scheduling is only for UDP virtual services\"",
            );
        }
        if vs.members.len() > MAX_MEMBERS {
            refuse(
                At::Attribute("member"),
                "Too many members",
                &format!("this backend takes at most {MAX_MEMBERS} members per service"),
            );
        }
        if let Some(k) = &self.keepalived {
            out.extend(k.refuse(wanted));
        }
        out
    }

    fn unheld(&self) -> &'static [&'static str] {
        &["name", "f5"]
    }

    async fn read_all(&self, _deadline: Instant) -> Result<Vec<Found>, StepError> {
        let target = self.target()?;
        let table = self.table(&target).await?;
        if let Some(k) = &self.keepalived {
            return k.read(&self.devices, &table).await;
        }
        Ok(virtual_servers(&table)
            .into_iter()
            .map(|f| Found {
                reported: f.reported,
                one_packet: f.ops,
                foreign: [
                    ("method", f.foreign.method),
                    ("forwarding", f.foreign.forwarding),
                ]
                .into_iter()
                .filter_map(|(a, w)| w.map(|w| (a, w)))
                .collect(),
            })
            .collect())
    }

    /// By address, port and protocol. A `both` service whose TCP and UDP halves differ reads as
    /// two services: it is found as its TCP half (or the one half left) with the protocol in
    /// the table's words, so the plan shows it and replaces the pair.
    fn find(&self, all: &[Found], vs: &VirtualServer) -> Option<Found> {
        let at = |protocol| {
            all.iter()
                .find(|f| ipvs::identity(&f.reported.vs) == (vs.address, vs.port, protocol))
        };
        if let Some(f) = at(vs.protocol) {
            return Some(f.clone());
        }
        if vs.protocol != Protocol::Both {
            return None;
        }
        match (at(Protocol::Tcp), at(Protocol::Udp)) {
            (Some(tcp), Some(udp)) => {
                let mut pair = tcp.clone();
                pair.reported.vs.protocol = Protocol::Both;
                pair.one_packet = udp.one_packet;
                pair.foreign
                    .push(("protocol", "tcp and udp services that differ".into()));
                Some(pair)
            }
            (Some(half), None) | (None, Some(half)) => Some(half.clone()),
            (None, None) => None,
        }
    }

    async fn apply(
        &self,
        wanted: &Wanted,
        current: Option<&Found>,
        _deadline: Instant,
    ) -> Result<(), StepError> {
        let target = self.target()?;
        if let Some(k) = &self.keepalived {
            return k.change(self, &target, &wanted.vs, Some(wanted)).await;
        }
        let wanted_services = services(&wanted.vs, wanted.one_packet)
            .ok_or_else(|| StepError::Config("IPVS needs a port".into()))?;
        // The table itself, not the model of it: a scheduler the model has no word for
        // (`sh`) must still be changed back.
        let table = match current {
            Some(_) => self.table(&target).await?,
            None => Vec::new(),
        };
        for s in &wanted_services {
            let now = table
                .iter()
                .find(|c| c.proto == s.proto && c.address == s.address);
            for args in s.changes_from(now) {
                self.run(&target, &args).await?;
            }
        }
        Ok(())
    }

    async fn remove(&self, current: &Found, _deadline: Instant) -> Result<(), StepError> {
        let target = self.target()?;
        if let Some(k) = &self.keepalived {
            return k.change(self, &target, &current.reported.vs, None).await;
        }
        let present = services(&current.reported.vs, current.one_packet)
            .ok_or_else(|| StepError::Config("IPVS needs a port".into()))?;
        for s in present {
            self.run(&target, &s.delete()).await?;
        }
        Ok(())
    }

    fn import_id(&self, vs: &VirtualServer) -> String {
        let protocol = match vs.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Both => "both",
        };
        let address = match vs.address {
            std::net::IpAddr::V6(a) => format!("[{a}]"),
            a => a.to_string(),
        };
        format!(
            "{}@{address}:{};protocol={protocol}",
            vs.name,
            vs.port.unwrap_or(0)
        )
    }
}
