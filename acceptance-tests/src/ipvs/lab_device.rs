//! The lab's IPVS directors as a device family (`ipvs_directors`): one [`IpvsHost`] each under
//! `<out>/ipvs/<name>`, reached over its own real sshd.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::IpvsHost;
use crate::device::{
    distinct_names, endpoints_variable, DeviceTrust, FaultControl, FaultError, LabDevice, NoHook,
    Pending, StartContext, StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec};

/// One director. JSON: `{"name": "ipvs1"}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DirectorSpec {
    pub name: String,
}

pub struct IpvsDirectors {
    hosts: Vec<IpvsHost>,
}

impl StartDevice for IpvsDirectors {
    const KEY: &'static str = "ipvs_directors";
    const DESCRIPTION: &'static str =
        "IPVS directors (real sshd, an ipvsadm 1.31 stand-in: this kernel has no IPVS; \
         keepalived.conf checked by the real keepalived -t, a reload stand-in)";
    type Spec = Vec<DirectorSpec>;

    fn numbered(n: usize) -> Vec<DirectorSpec> {
        (1..=n)
            .map(|i| DirectorSpec {
                name: format!("ipvs{i}"),
            })
            .collect()
    }

    fn check(spec: &Vec<DirectorSpec>) -> anyhow::Result<Vec<String>> {
        for d in spec {
            anyhow::ensure!(
                !d.name.is_empty()
                    && d.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "director name {:?}: letters, digits and '-' only",
                d.name
            );
        }
        distinct_names(spec.iter().map(|d| d.name.as_str()), "IPVS director")
    }

    async fn start(spec: Vec<DirectorSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        let mut hosts = Vec::new();
        for d in spec {
            hosts.push(IpvsHost::start(&d.name, &ctx.out_dir.join("ipvs").join(&d.name)).await?);
        }
        Ok(IpvsDirectors { hosts })
    }
}

impl LabDevice for IpvsDirectors {
    fn names(&self) -> Vec<String> {
        self.hosts.iter().map(|h| h.name().to_string()).collect()
    }

    /// `[{"name","ssh":{"host","port","user","private_key_file","known_hosts",
    /// "host_key_fingerprint"},"ipvsadm_command","rules_path","keepalived_config_path",
    /// "keepalived_reload_command","keepalived_command"}]`.
    fn endpoints(&self) -> Value {
        self.hosts
            .iter()
            .map(|h| {
                let s = h.sshd();
                json!({
                    "name": h.name(),
                    "ssh": {
                        "host": "127.0.0.1",
                        "port": s.port(),
                        "user": s.user(),
                        "private_key_file": s.client_key_path().to_string_lossy(),
                        "known_hosts": s.known_hosts_path().to_string_lossy(),
                        "host_key_fingerprint": s.host_key_fingerprint(),
                    },
                    "ipvsadm_command": h.ipvsadm_command().to_string_lossy(),
                    "rules_path": h.rules_path().to_string_lossy(),
                    "keepalived_config_path": h.keepalived_config_path().to_string_lossy(),
                    "keepalived_reload_command": h.keepalived_reload_command().to_string_lossy(),
                    "keepalived_command": h.keepalived_program().to_string_lossy(),
                })
            })
            .collect()
    }

    fn tfvars(&self) -> Map<String, Value> {
        endpoints_variable("ipvs_directors", self.endpoints())
    }

    fn trust(&self) -> Vec<DeviceTrust> {
        self.hosts
            .iter()
            .map(|h| DeviceTrust {
                device: h.name().to_string(),
                known_hosts: Some(h.sshd().known_hosts_line()),
                pin: Some(h.sshd().host_key_fingerprint()),
                ca_pem: None,
            })
            .collect()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        let host = self.hosts.iter().find(|h| h.name() == name)?;
        Some(Box::new(DirectorFaults(host)))
    }

    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(async move {
            for h in self.hosts {
                h.stop().await;
            }
        })
    }
}

/// A rotated identity is a new sshd host key; the rest has no hook in a real sshd.
struct DirectorFaults<'a>(&'a IpvsHost);

impl DirectorFaults<'_> {
    fn unsupported(&self, fault: &'static str) -> FaultError {
        NoHook {
            device: self.0.name().to_string(),
            why: "a real sshd has no hook for it",
        }
        .error(fault)
    }
}

impl FaultControl for DirectorFaults<'_> {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        Box::pin(async move {
            match fault {
                Fault::RotateIdentity => Ok(self.0.sshd().rotate_host_key().await?),
                other => Err(self.unsupported(other.name())),
            }
        })
    }

    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        Box::pin(async { Ok(()) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Err(self.unsupported("a command log"))
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Err(self.unsupported("session counters"))
    }
}

impl Lab {
    /// The IPVS director `name`. Panics on an unknown name (a test bug).
    pub fn ipvs(&self, name: &str) -> &IpvsHost {
        self.family::<IpvsDirectors>()
            .hosts
            .iter()
            .find(|h| h.name() == name)
            .unwrap_or_else(|| panic!("no IPVS director named {name:?} in this lab"))
    }
}

impl LabSpec {
    /// This spec with directors `ipvs1..ipvsN`.
    pub fn with_ipvs_directors(self, n: usize) -> LabSpec {
        self.with::<IpvsDirectors>(IpvsDirectors::numbered(n))
    }
}
