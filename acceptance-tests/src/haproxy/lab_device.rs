//! The lab's load balancers as a device family (`haproxy_balancers`): one real HAProxy per
//! balancer under `<out>/haproxy/<name>`, with its member servers.
//!
//! Faults: HAProxy's runtime API has no login and no identity to rotate, and a real HAProxy
//! has no hook for a reply delay or a dropped command; each says so.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{Haproxy, MemberServers};
use crate::device::{
    distinct_names, endpoints_variable, DeviceTrust, FaultControl, FaultError, LabDevice, NoHook,
    Pending, StartContext, StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec};

/// One balancer and the names of its member servers.
/// JSON: `{"name": "lb1", "members": ["lb1-m1", "lb1-m2"]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BalancerSpec {
    pub name: String,
    pub members: Vec<String>,
}

/// Every balancer of a lab.
pub struct HaproxyBalancers {
    balancers: Vec<(String, Haproxy, MemberServers)>,
}

impl StartDevice for HaproxyBalancers {
    const KEY: &'static str = "haproxy_balancers";
    const DESCRIPTION: &'static str =
        "load balancers (real HAProxy, each with 3 TCP member servers)";
    type Spec = Vec<BalancerSpec>;

    /// `lb1..lbN`, each with members `<lb>-m1..m3`.
    fn numbered(n: usize) -> Vec<BalancerSpec> {
        (1..=n)
            .map(|i| BalancerSpec {
                name: format!("lb{i}"),
                members: (1..=3).map(|m| format!("lb{i}-m{m}")).collect(),
            })
            .collect()
    }

    fn check(spec: &Vec<BalancerSpec>) -> anyhow::Result<Vec<String>> {
        for b in spec {
            anyhow::ensure!(
                !b.name.is_empty()
                    && b.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "balancer name {:?}: letters, digits and '-' only",
                b.name
            );
            distinct_names(b.members.iter().map(|m| m.as_str()), "member")?;
        }
        distinct_names(spec.iter().map(|b| b.name.as_str()), "balancer")
    }

    async fn start(spec: Vec<BalancerSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        let mut balancers = Vec::new();
        for b in spec {
            let haproxy = Haproxy::start(&ctx.out_dir.join("haproxy").join(&b.name)).await?;
            let members = MemberServers::start(&b.members).await?;
            balancers.push((b.name, haproxy, members));
        }
        Ok(HaproxyBalancers { balancers })
    }
}

fn members_json(members: &MemberServers) -> Value {
    members
        .0
        .iter()
        .map(|m| json!({"name": m.name, "address": m.address(), "port": m.port}))
        .collect()
}

impl LabDevice for HaproxyBalancers {
    fn names(&self) -> Vec<String> {
        self.balancers.iter().map(|(n, _, _)| n.clone()).collect()
    }

    /// `[{"name","config_path","runtime_address","master_socket","members":[{"name","address","port"}]}]`.
    fn endpoints(&self) -> Value {
        self.balancers
            .iter()
            .map(|(name, h, members)| {
                json!({
                    "name": name,
                    "config_path": h.config_path().to_string_lossy(),
                    "runtime_address": h.runtime_address(),
                    "master_socket": h.master_socket().to_string_lossy(),
                    "members": members_json(members),
                })
            })
            .collect()
    }

    /// `haproxy_balancers`: the same objects as `lab.json`.
    fn tfvars(&self) -> Map<String, Value> {
        endpoints_variable("haproxy_balancers", self.endpoints())
    }

    /// No TLS and no SSH: nothing to trust.
    fn trust(&self) -> Vec<DeviceTrust> {
        Vec::new()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        self.balancers
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(n, _, _)| {
                Box::new(NoFaults(NoHook {
                    device: n.clone(),
                    why: "a real HAProxy has no hook for it (its runtime API has no login or identity)",
                })) as Box<dyn FaultControl>
            })
    }

    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(async move {
            for (_, haproxy, _) in self.balancers {
                haproxy.stop().await;
            }
        })
    }
}

/// A real HAProxy takes none of the shared faults.
struct NoFaults(NoHook);

impl FaultControl for NoFaults {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        Box::pin(async move { Err(self.0.error(fault.name())) })
    }

    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        Box::pin(async { Ok(()) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Err(self.0.error("a command log"))
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Err(self.0.error("session counters"))
    }
}

impl Lab {
    /// The HAProxy of balancer `name` and its members. Panics on an unknown name (a test bug).
    pub fn haproxy(&self, name: &str) -> (&Haproxy, &MemberServers) {
        self.family::<HaproxyBalancers>()
            .balancers
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, h, m)| (h, m))
            .unwrap_or_else(|| panic!("no balancer named {name:?} in this lab"))
    }
}

impl LabSpec {
    /// This spec with balancers `lb1..lbN` (3 members each).
    pub fn with_haproxy_balancers(self, n: usize) -> LabSpec {
        self.with::<HaproxyBalancers>(HaproxyBalancers::numbered(n))
    }
}
