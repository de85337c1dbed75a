//! The interface every device family of the lab implements, simulated or real.
//!
//! A family is all the devices of one kind in a lab (every simulated CMS node; every XOP
//! server with the sshd they share), because devices of a family share things (a network, a
//! daemon) that the lab knows nothing about. A family implements:
//! - [`StartDevice`]: its part of the lab spec (`"cms_nodes": [...]`, also the command-line
//!   flag `--cms-nodes N`), the check of that part before anything starts, and `start`;
//! - [`LabDevice`]: what a running family gives the lab: its `lab.json` entry, its Terraform
//!   variables, the trust material clients need ([`DeviceTrust`]), fault controls per device
//!   ([`FaultControl`]), and `stop`.
//!
//! [`crate::registry::FAMILIES`] lists the families; the lab and `uccluster-lab` only go
//! through it.

use std::any::Any;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize as _, Serialize};
use serde_json::{Map, Value};

use crate::faults::{Fault, SessionCounts};
use crate::lab_ca::LabCa;

/// A boxed future, so the lab can hold families of different types behind one trait object.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the lab hands every family when it starts it.
pub struct StartContext<'a> {
    /// The lab's directory (absolute); a family keeps its files under it.
    pub out_dir: &'a Path,
    /// The password every device of the lab accepts (see [`crate::secrets`]).
    pub password: &'a str,
    /// Third byte of the lab's own loopback addresses, `127.77.<subnet>.<n>`.
    pub subnet: u8,
    /// The lab's CA: every TLS certificate of the lab is issued by it.
    pub ca: &'a Arc<LabCa>,
}

impl StartContext<'_> {
    /// The lab's `known_hosts` file (written once every family has started).
    pub fn known_hosts_path(&self) -> PathBuf {
        self.out_dir.join(crate::lab::KNOWN_HOSTS_FILE)
    }
}

/// What a client needs to trust one device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceTrust {
    /// The device's name in the lab.
    pub device: String,
    /// Its line in the lab's `known_hosts` (SSH devices).
    pub known_hosts: Option<String>,
    /// The `SHA256:...` fingerprint of its SSH host key, for a pinned-key setting; for a TLS
    /// device with no SSH (the F5 and CGP simulators), the SHA-256 of its leaf certificate's DER as
    /// `AB:CD:...` (what `openssl x509 -fingerprint -sha256` prints), for a pinned-certificate
    /// setting.
    pub pin: Option<String>,
    /// The CA that signed its TLS certificate (TLS devices), PEM.
    pub ca_pem: Option<String>,
}

/// A running device family, as the lab sees it.
pub trait LabDevice: Any + Send + Sync {
    /// Names of its devices, in spec order.
    fn names(&self) -> Vec<String>;

    /// Its entry in `lab.json`: one object per device, with the *current* identities.
    fn endpoints(&self) -> Value;

    /// Its Terraform variables for `lab.auto.tfvars.json`; none when it has no device.
    fn tfvars(&self) -> Map<String, Value>;

    /// Trust material of each device.
    fn trust(&self) -> Vec<DeviceTrust>;

    /// The fault controls of the device `name`, if it is one of this family's.
    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>>;

    /// Stops every device of the family.
    fn stop(self: Box<Self>) -> Pending<'static, ()>;
}

/// How a family is started from its part of the lab spec.
pub trait StartDevice: LabDevice + Sized {
    /// Its key in the lab spec and in `lab.json` (`cms_nodes`); the command-line flag is the
    /// key with dashes (`--cms-nodes`).
    const KEY: &'static str;
    /// What one device is, for `--help` ("simulated Cisco Meeting Server nodes").
    const DESCRIPTION: &'static str;

    /// Its part of the spec (a list of devices).
    type Spec: Serialize + DeserializeOwned + Default + Send;

    /// A spec for `n` devices with default names (`cms1..cmsN`).
    fn numbered(n: usize) -> Self::Spec;

    /// The devices' names; an error for a spec the family cannot start (bad or duplicate
    /// names), found before any device of the lab starts.
    fn check(spec: &Self::Spec) -> anyhow::Result<Vec<String>>;

    /// Starts every device of `spec`; on error, what was started is stopped.
    fn start(
        spec: Self::Spec,
        ctx: &StartContext<'_>,
    ) -> impl Future<Output = anyhow::Result<Self>> + Send;
}

/// The names of a family's spec, in order; an error naming the first one given twice
/// (`what`: "CMS node" gives "duplicate CMS node name \"cms1\"").
pub fn distinct_names<'a>(
    names: impl IntoIterator<Item = &'a str>,
    what: &str,
) -> anyhow::Result<Vec<String>> {
    let mut seen = Vec::new();
    for name in names {
        anyhow::ensure!(
            !seen.iter().any(|n: &String| n == name),
            "duplicate {what} name {name:?}"
        );
        seen.push(name.to_string());
    }
    Ok(seen)
}

/// Why a fault could not be injected.
#[derive(Debug)]
pub enum FaultError {
    /// The device cannot do this fault (a real component with no hook for it).
    Unsupported {
        device: String,
        fault: &'static str,
        why: &'static str,
    },
    /// The device could, but doing it failed.
    Failed(anyhow::Error),
}

/// A real component's answer to the shared faults it has no hook for: one device, one reason.
pub struct NoHook {
    pub device: String,
    pub why: &'static str,
}

impl NoHook {
    pub fn error(&self, fault: &'static str) -> FaultError {
        FaultError::Unsupported {
            device: self.device.clone(),
            fault,
            why: self.why,
        }
    }
}

/// A family's variables when they are its `lab.json` list under one name; none for an empty
/// family.
pub fn endpoints_variable(name: &str, endpoints: Value) -> Map<String, Value> {
    let mut vars = Map::new();
    if endpoints.as_array().is_some_and(|a| !a.is_empty()) {
        vars.insert(name.to_string(), endpoints);
    }
    vars
}

impl std::fmt::Display for FaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FaultError::Unsupported { device, fault, why } => {
                write!(f, "{device}: {fault} is not supported: {why}")
            }
            FaultError::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for FaultError {}

impl From<anyhow::Error> for FaultError {
    fn from(e: anyhow::Error) -> Self {
        FaultError::Failed(e)
    }
}

/// The fault controls of one device, the same for every family. A simulator supports all of
/// them (through its [`crate::faults::Faults`]); a real component says which it cannot do.
pub trait FaultControl: Send + Sync {
    /// Injects `fault` (until [`FaultControl::clear`], or for the commands it names).
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>>;

    /// Removes every injected fault that can be undone (a rotated identity stays).
    fn clear(&self) -> Pending<'_, Result<(), FaultError>>;

    /// Every command the device received, in order.
    fn command_log(&self) -> Result<Vec<String>, FaultError>;

    /// Open connections and successful logins.
    fn sessions(&self) -> Result<SessionCounts, FaultError>;
}

/// One entry of the registry: a family's [`StartDevice`] behind plain functions, so families of
/// different types sit in one list.
pub struct Family {
    /// [`StartDevice::KEY`].
    pub key: &'static str,
    /// [`StartDevice::DESCRIPTION`].
    pub description: &'static str,
    numbered: fn(usize) -> Value,
    check: fn(&Value) -> anyhow::Result<Vec<String>>,
    start: for<'a> fn(Value, &'a StartContext<'a>) -> Pending<'a, StartResult>,
}

type StartResult = anyhow::Result<Box<dyn LabDevice>>;

impl Family {
    /// The registry entry of `D`.
    pub const fn of<D: StartDevice>() -> Family {
        Family {
            key: D::KEY,
            description: D::DESCRIPTION,
            numbered: numbered_json::<D>,
            check: check_json::<D>,
            start: start_boxed::<D>,
        }
    }

    /// Its command-line flag: the key with dashes, `--cms-nodes`.
    pub fn flag(&self) -> String {
        format!("--{}", self.key.replace('_', "-"))
    }

    /// Its part of a spec for `n` devices with default names.
    pub fn numbered(&self, n: usize) -> Value {
        (self.numbered)(n)
    }

    /// The names of the devices of `spec` (this family's part), or why it cannot start.
    pub fn check(&self, spec: &Value) -> anyhow::Result<Vec<String>> {
        (self.check)(spec)
    }

    /// Starts the devices of `spec` (this family's part).
    pub fn start<'a>(&self, spec: Value, ctx: &'a StartContext<'a>) -> Pending<'a, StartResult> {
        (self.start)(spec, ctx)
    }
}

fn parse<D: StartDevice>(spec: &Value) -> anyhow::Result<D::Spec> {
    D::Spec::deserialize(spec).map_err(|e| anyhow::anyhow!("lab spec {:?}: {e}", D::KEY))
}

fn numbered_json<D: StartDevice>(n: usize) -> Value {
    serde_json::to_value(D::numbered(n)).expect("a lab spec is plain data")
}

fn check_json<D: StartDevice>(spec: &Value) -> anyhow::Result<Vec<String>> {
    D::check(&parse::<D>(spec)?)
}

fn start_boxed<'a, D: StartDevice>(
    spec: Value,
    ctx: &'a StartContext<'a>,
) -> Pending<'a, StartResult> {
    Box::pin(async move {
        let device = D::start(parse::<D>(&spec)?, ctx).await?;
        Ok(Box::new(device) as Box<dyn LabDevice>)
    })
}
