//! The simulated CommuniGate Pro cluster as a lab device family (`cgp_members`): every member of
//! the spec in ONE Dynamic Cluster (they share the cluster-wide Network store), each with its own
//! CLI listeners on 127.0.0.1 (free ports: clear text with `STLS`, and implicit TLS with a
//! certificate from the lab CA), user `postmaster` (the account the doc's sample session logs in
//! with, S1), the lab's password.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{CgpCluster, CgpControl, CgpMember, CgpMemberConfig, DEFAULT_IDLE_TIMEOUT};
use crate::device::{
    distinct_names, endpoints_variable, DeviceTrust, FaultControl, FaultError, LabDevice, Pending,
    StartContext, StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec, CA_FILE};

/// The CLI user of every lab member: CGP's built-in administrator (S1's sample session).
pub const CGP_USERNAME: &str = "postmaster";

/// One member. JSON: `{"name": "cgp1", "role": "frontend"}` (role `frontend` | `backend`,
/// default `frontend`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CgpMemberSpec {
    pub name: String,
    #[serde(default = "frontend")]
    pub role: String,
}

fn frontend() -> String {
    "frontend".into()
}

/// Every member of the lab's cluster.
pub struct CgpMembers {
    cluster: CgpCluster,
    password: String,
    /// The lab's CA bundle, named in `lab.json` and the variables (as the F5 family's).
    ca_file: PathBuf,
}

impl StartDevice for CgpMembers {
    const KEY: &'static str = "cgp_members";
    const DESCRIPTION: &'static str =
        "simulated CommuniGate Pro cluster members (PWD CLI over TCP, STLS and implicit TLS; one cluster of all)";
    type Spec = Vec<CgpMemberSpec>;

    /// `cgp1..cgpN`: the first half frontends, the rest backends (a farm needs both).
    fn numbered(n: usize) -> Vec<CgpMemberSpec> {
        (1..=n)
            .map(|i| CgpMemberSpec {
                name: format!("cgp{i}"),
                role: if i <= n.div_ceil(2) {
                    "frontend".into()
                } else {
                    "backend".into()
                },
            })
            .collect()
    }

    fn check(spec: &Vec<CgpMemberSpec>) -> anyhow::Result<Vec<String>> {
        for m in spec {
            anyhow::ensure!(
                m.role == "frontend" || m.role == "backend",
                "CGP member {:?}: role {:?} is neither \"frontend\" nor \"backend\"",
                m.name,
                m.role
            );
        }
        distinct_names(spec.iter().map(|m| m.name.as_str()), "CGP member")
    }

    async fn start(spec: Vec<CgpMemberSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        let configs = spec
            .into_iter()
            .map(|m| CgpMemberConfig {
                name: m.name,
                role: m.role,
                port: 0,
                tls_port: 0,
                username: CGP_USERNAME.into(),
                password: ctx.password.to_string(),
                idle_timeout: DEFAULT_IDLE_TIMEOUT,
            })
            .collect();
        Ok(CgpMembers {
            cluster: CgpCluster::start(configs, ctx.ca.clone()).await?,
            password: ctx.password.to_string(),
            ca_file: ctx.out_dir.join(CA_FILE),
        })
    }
}

impl LabDevice for CgpMembers {
    fn names(&self) -> Vec<String> {
        self.cluster
            .members()
            .iter()
            .map(|(m, _)| m.name().to_string())
            .collect()
    }

    /// `[{"name","role","host","port","tls_port","username","password","ca_file",
    /// "cert_sha256"}]`: `port` in the clear (`STLS` there), `tls_port` implicit TLS, the lab CA
    /// file and the current leaf's SHA-256 (`AB:CD:...`).
    fn endpoints(&self) -> Value {
        self.cluster
            .members()
            .iter()
            .map(|(m, addr)| {
                let tls_port = self.cluster.tls_addr(m.name()).map(|a| a.port());
                json!({
                    "name": m.name(),
                    "role": m.role(),
                    "host": addr.ip().to_string(),
                    "port": addr.port(),
                    "tls_port": tls_port,
                    "username": CGP_USERNAME,
                    "password": self.password,
                    "ca_file": self.ca_file.to_string_lossy(),
                    "cert_sha256": m.cert_sha256(),
                })
            })
            .collect()
    }

    /// `cgp_members` (the endpoints) and the provider-level credentials `cgp_username`,
    /// `cgp_password`.
    fn tfvars(&self) -> Map<String, Value> {
        let mut vars = endpoints_variable("cgp_members", self.endpoints());
        if !vars.is_empty() {
            vars.insert("cgp_username".into(), json!(CGP_USERNAME));
            vars.insert("cgp_password".into(), json!(self.password));
        }
        vars
    }

    /// The lab CA and the pinned leaf's SHA-256 (`AB:CD:...`) per member, current certificate
    /// (as the F5 family's).
    fn trust(&self) -> Vec<DeviceTrust> {
        self.cluster
            .members()
            .iter()
            .map(|(m, _)| DeviceTrust {
                device: m.name().to_string(),
                known_hosts: None,
                pin: Some(m.cert_sha256()),
                ca_pem: Some(m.ca_pem()),
            })
            .collect()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        let (m, _) = self.cluster.member(name)?;
        Some(Box::new(m))
    }

    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(self.cluster.stop())
    }
}

/// Every fault: the shared ones through [`crate::faults::Faults`], a rotated identity as a new
/// certificate (new key) from the lab CA, exactly as the F5 simulator does.
impl FaultControl for CgpMember {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        let result = match self.faults().inject(fault) {
            Ok(()) => Ok(()),
            Err(_) => self.rotate_certificate().map_err(FaultError::from),
        };
        Box::pin(async move { result })
    }

    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        self.faults().clear();
        self.clear_chosen_replies();
        Box::pin(async { Ok(()) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Ok(CgpMember::command_log(self))
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Ok(self.faults().sessions())
    }
}

/// The CGP cluster of a lab.
impl Lab {
    /// Control handle of the member `name`. Panics on an unknown name (a test bug).
    pub fn cgp(&self, name: &str) -> CgpMember {
        self.family::<CgpMembers>()
            .cluster
            .member(name)
            .map(|(m, _)| m)
            .unwrap_or_else(|| panic!("no CGP member named {name:?} in this lab"))
    }

    /// The whole cluster: every member's stores by name and the cluster-wide store.
    pub fn cgp_cluster(&self) -> CgpControl {
        self.family::<CgpMembers>().cluster.control()
    }

    /// The address of the member's implicit-TLS listener. Panics on an unknown name.
    pub fn cgp_tls_addr(&self, name: &str) -> std::net::SocketAddr {
        self.family::<CgpMembers>()
            .cluster
            .tls_addr(name)
            .unwrap_or_else(|| panic!("no CGP member named {name:?} in this lab"))
    }

    /// Names of the members, in spec order.
    pub fn cgp_names(&self) -> Vec<String> {
        self.family::<CgpMembers>().names()
    }
}

impl LabSpec {
    /// This spec with `cgp1..cgpN` (half frontends, half backends) in one cluster.
    pub fn with_cgp_members(self, n: usize) -> LabSpec {
        self.with::<CgpMembers>(CgpMembers::numbered(n))
    }
}
