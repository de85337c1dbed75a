//! The simulated CMS nodes as a lab device family (`cms_nodes`): one [`CmsNode`] per
//! [`CmsNodeSpec`] (own loopback address `127.77.<lab>.<n>` unless given, ephemeral port unless
//! given, user `admin`, the lab's password), all on one [`Fabric`], so `database cluster join
//! <address>` and `xmpp cluster join <address>` on one node reach the node whose address that is.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{CmsNode, CmsNodeConfig, Fabric, NodeControl};
use crate::device::{
    distinct_names, DeviceTrust, FaultControl, FaultError, LabDevice, Pending, StartContext,
    StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec};

/// MMP user every lab node accepts.
pub const LAB_USERNAME: &str = "admin";
/// XMPP domain of every lab node (the seed's `conf.example.com`).
pub const LAB_XMPP_DOMAIN: &str = "conf.example.com";

/// One simulated CMS node; `name` is also its hostname (prompt `<name>> `).
/// JSON: `{"name": "cms2", "address": "127.0.0.2", "port": 2222}` (address and port optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CmsNodeSpec {
    pub name: String,
    #[serde(default)]
    pub address: Option<IpAddr>,
    #[serde(default)]
    pub port: Option<u16>,
}

/// Every simulated CMS node of a lab.
pub struct CmsNodes {
    nodes: Vec<(String, CmsNode)>,
    fabric: Fabric,
    password: String,
    /// The lab's `known_hosts`, named in the variables.
    known_hosts_file: PathBuf,
}

impl CmsNodes {
    /// The `i`-th node of the spec, at `127.77.<subnet>.<i + 1>` unless it names an address.
    async fn start_node(
        n: &CmsNodeSpec,
        i: usize,
        ctx: &StartContext<'_>,
        fabric: &Fabric,
    ) -> anyhow::Result<CmsNode> {
        let host = u8::try_from(i + 1).context("too many CMS nodes (max 254)")?;
        let bind = n
            .address
            .unwrap_or(IpAddr::V4(Ipv4Addr::new(127, 77, ctx.subnet, host)));
        let config = CmsNodeConfig {
            hostname: n.name.clone(),
            bind,
            port: n.port.unwrap_or(0),
            username: LAB_USERNAME.to_string(),
            password: ctx.password.to_string(),
            xmpp_domain: LAB_XMPP_DOMAIN.to_string(),
        };
        CmsNode::start_in(config, fabric.clone()).await
    }

    async fn stop_all(nodes: Vec<(String, CmsNode)>) {
        for (_, node) in nodes {
            node.stop().await;
        }
    }
}

/// `[addr]:port` as OpenSSH writes a host on a port other than 22.
fn known_hosts_host(node: &CmsNode) -> String {
    let addr = node.addr();
    if addr.port() == 22 {
        addr.ip().to_string()
    } else {
        format!("[{}]:{}", addr.ip(), addr.port())
    }
}

impl StartDevice for CmsNodes {
    const KEY: &'static str = "cms_nodes";
    const DESCRIPTION: &'static str = "simulated Cisco Meeting Server nodes (MMP over SSH)";
    type Spec = Vec<CmsNodeSpec>;

    /// `cms1..cmsN` with automatic addresses and ports.
    fn numbered(n: usize) -> Vec<CmsNodeSpec> {
        (1..=n)
            .map(|i| CmsNodeSpec {
                name: format!("cms{i}"),
                address: None,
                port: None,
            })
            .collect()
    }

    fn check(spec: &Vec<CmsNodeSpec>) -> anyhow::Result<Vec<String>> {
        distinct_names(spec.iter().map(|n| n.name.as_str()), "CMS node")
    }

    async fn start(spec: Vec<CmsNodeSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        let fabric = Fabric::default();
        let mut nodes = Vec::new();
        for (i, n) in spec.iter().enumerate() {
            let started = Self::start_node(n, i, ctx, &fabric).await;
            match started {
                Ok(node) => nodes.push((n.name.clone(), node)),
                Err(e) => {
                    Self::stop_all(nodes).await;
                    return Err(e);
                }
            }
        }
        Ok(CmsNodes {
            nodes,
            fabric,
            password: ctx.password.to_string(),
            known_hosts_file: ctx.known_hosts_path(),
        })
    }
}

impl LabDevice for CmsNodes {
    fn names(&self) -> Vec<String> {
        self.nodes.iter().map(|(n, _)| n.clone()).collect()
    }

    /// `[{"name","address","port","username","password","host_key_fingerprint","host_key",
    /// "xmpp_domain"}]`.
    fn endpoints(&self) -> Value {
        self.nodes
            .iter()
            .map(|(name, node)| {
                let c = node.control();
                json!({
                    "name": name,
                    "address": node.addr().ip().to_string(),
                    "port": node.addr().port(),
                    "username": LAB_USERNAME,
                    "password": self.password,
                    "host_key_fingerprint": c.host_key_fingerprint(),
                    "host_key": c.host_key_openssh(),
                    "xmpp_domain": c.xmpp_domain(),
                })
            })
            .collect()
    }

    /// `cms_username`, `cms_password`, `cms_known_hosts_file` (absolute path) and `cms_nodes`
    /// (`name`, `address`, `port`).
    fn tfvars(&self) -> Map<String, Value> {
        let mut vars = Map::new();
        if self.nodes.is_empty() {
            return vars;
        }
        let nodes: Vec<_> = self
            .nodes
            .iter()
            .map(|(name, node)| {
                json!({
                    "name": name,
                    "address": node.addr().ip().to_string(),
                    "port": node.addr().port(),
                })
            })
            .collect();
        vars.insert("cms_username".into(), json!(LAB_USERNAME));
        vars.insert("cms_password".into(), json!(self.password));
        vars.insert(
            "cms_known_hosts_file".into(),
            json!(self.known_hosts_file.to_string_lossy()),
        );
        vars.insert("cms_nodes".into(), json!(nodes));
        vars
    }

    /// Each node's `[addr]:port ssh-ed25519 AAAA...` line and fingerprint, current keys.
    fn trust(&self) -> Vec<DeviceTrust> {
        self.nodes
            .iter()
            .map(|(name, node)| {
                let c = node.control();
                DeviceTrust {
                    device: name.clone(),
                    known_hosts: Some(format!(
                        "{} {}",
                        known_hosts_host(node),
                        c.host_key_openssh()
                    )),
                    pin: Some(c.host_key_fingerprint()),
                    ca_pem: None,
                }
            })
            .collect()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        let (_, node) = self.nodes.iter().find(|(n, _)| n == name)?;
        Some(Box::new(node.control()))
    }

    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(Self::stop_all(self.nodes))
    }
}

/// Every fault: the shared ones through [`crate::faults::Faults`], a rotated identity as a new
/// host key.
impl FaultControl for NodeControl {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        if self.faults().inject(fault).is_err() {
            self.rotate_host_key();
        }
        Box::pin(async { Ok(()) })
    }

    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        self.clear_faults();
        Box::pin(async { Ok(()) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Ok(NodeControl::command_log(self))
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Ok(self.faults().sessions())
    }
}

/// The CMS nodes of a lab.
impl Lab {
    fn cms_nodes(&self) -> &CmsNodes {
        self.family::<CmsNodes>()
    }

    /// Control handle of the CMS node `name`. Panics on an unknown name (a test bug).
    pub fn cms(&self, name: &str) -> NodeControl {
        self.cms_nodes()
            .nodes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node.control())
            .unwrap_or_else(|| panic!("no CMS node named {name:?} in this lab"))
    }

    /// The network the lab's CMS nodes share.
    pub fn fabric(&self) -> Fabric {
        self.cms_nodes().fabric.clone()
    }

    /// Names of the CMS nodes, in spec order.
    pub fn cms_names(&self) -> Vec<String> {
        self.cms_nodes().names()
    }
}

impl LabSpec {
    /// `cms1..cmsN` with automatic addresses and ports.
    pub fn with_cms_nodes(n: usize) -> LabSpec {
        LabSpec::default().with::<CmsNodes>(CmsNodes::numbered(n))
    }
}
