//! The simulated BIG-IPs as a lab device family (`f5_devices`): one [`F5Device`] per
//! [`F5DeviceSpec`] on 127.0.0.1 (a free port unless given), user `admin`, the lab's password,
//! a certificate from the lab CA.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{F5Config, F5Control, F5Device};
use crate::device::{
    distinct_names, DeviceTrust, FaultControl, FaultError, LabDevice, Pending, StartContext,
    StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec, CA_FILE};

/// The iControl REST user of every lab BIG-IP (BIG-IP's own administrator).
pub const F5_USERNAME: &str = "admin";

/// One simulated BIG-IP. JSON: `{"name": "bigip1", "port": 8443}` (port optional).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct F5DeviceSpec {
    pub name: String,
    #[serde(default)]
    pub port: Option<u16>,
}

/// Every simulated BIG-IP of a lab.
pub struct F5Devices {
    devices: Vec<(String, F5Device)>,
    password: String,
    /// The lab's CA bundle, named in `lab.json` and the variables.
    ca_file: PathBuf,
}

impl F5Devices {
    async fn stop_all(devices: Vec<(String, F5Device)>) {
        for (_, d) in devices {
            d.stop().await;
        }
    }
}

impl StartDevice for F5Devices {
    const KEY: &'static str = "f5_devices";
    const DESCRIPTION: &'static str = "simulated F5 BIG-IP devices (iControl REST over HTTPS)";
    type Spec = Vec<F5DeviceSpec>;

    /// `bigip1..bigipN` on free ports.
    fn numbered(n: usize) -> Vec<F5DeviceSpec> {
        (1..=n)
            .map(|i| F5DeviceSpec {
                name: format!("bigip{i}"),
                port: None,
            })
            .collect()
    }

    fn check(spec: &Vec<F5DeviceSpec>) -> anyhow::Result<Vec<String>> {
        distinct_names(spec.iter().map(|d| d.name.as_str()), "F5 device")
    }

    async fn start(spec: Vec<F5DeviceSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        let mut devices = Vec::new();
        for d in &spec {
            let started = F5Device::start(F5Config {
                name: d.name.clone(),
                port: d.port.unwrap_or(0),
                username: F5_USERNAME.into(),
                password: ctx.password.to_string(),
                ca: ctx.ca.clone(),
            })
            .await;
            match started {
                Ok(device) => devices.push((d.name.clone(), device)),
                Err(e) => {
                    Self::stop_all(devices).await;
                    return Err(e);
                }
            }
        }
        Ok(F5Devices {
            devices,
            password: ctx.password.to_string(),
            ca_file: ctx.out_dir.join(CA_FILE),
        })
    }
}

impl F5Devices {
    /// One device as `lab.json` and the variables show it.
    fn entry(&self, name: &str, device: &F5Device) -> Value {
        json!({
            "name": name,
            "host": device.addr().ip().to_string(),
            "port": device.addr().port(),
            "username": F5_USERNAME,
            "password": self.password,
            "ca_file": self.ca_file.to_string_lossy(),
        })
    }
}

impl LabDevice for F5Devices {
    fn names(&self) -> Vec<String> {
        self.devices.iter().map(|(n, _)| n.clone()).collect()
    }

    /// `[{"name","host","port","username","password","ca_file","ca_pem","cert_sha256"}]`.
    fn endpoints(&self) -> Value {
        self.devices
            .iter()
            .map(|(name, d)| {
                let mut e = self.entry(name, d);
                let c = d.control();
                e["ca_pem"] = json!(c.ca_pem());
                e["cert_sha256"] = json!(c.cert_sha256());
                e
            })
            .collect()
    }

    /// `f5_devices`: `[{"name","host","port","username","password","ca_file"}]`.
    fn tfvars(&self) -> Map<String, Value> {
        let mut vars = Map::new();
        if self.devices.is_empty() {
            return vars;
        }
        let devices: Vec<Value> = self
            .devices
            .iter()
            .map(|(name, d)| self.entry(name, d))
            .collect();
        vars.insert("f5_devices".into(), json!(devices));
        vars
    }

    /// The lab CA and the pinned leaf's SHA-256 (`AB:CD:...`), current certificate.
    fn trust(&self) -> Vec<DeviceTrust> {
        self.devices
            .iter()
            .map(|(name, d)| {
                let c = d.control();
                DeviceTrust {
                    device: name.clone(),
                    known_hosts: None,
                    pin: Some(c.cert_sha256()),
                    ca_pem: Some(c.ca_pem()),
                }
            })
            .collect()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        let (_, d) = self.devices.iter().find(|(n, _)| n == name)?;
        Some(Box::new(d.control()))
    }

    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(Self::stop_all(self.devices))
    }
}

/// Every fault: the shared ones through [`crate::faults::Faults`], a rotated identity as a new
/// certificate (new key) from the lab CA.
impl FaultControl for F5Control {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        let result = match self.faults().inject(fault) {
            Ok(()) => Ok(()),
            Err(_) => self.rotate_certificate().map_err(FaultError::from),
        };
        Box::pin(async move { result })
    }

    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        self.faults().clear();
        Box::pin(async { Ok(()) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Ok(F5Control::command_log(self))
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Ok(self.faults().sessions())
    }
}

/// The BIG-IPs of a lab.
impl Lab {
    /// Control handle of the BIG-IP `name`. Panics on an unknown name (a test bug).
    pub fn f5(&self, name: &str) -> F5Control {
        self.family::<F5Devices>()
            .devices
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.control())
            .unwrap_or_else(|| panic!("no F5 device named {name:?} in this lab"))
    }

    /// Names of the BIG-IPs, in spec order.
    pub fn f5_names(&self) -> Vec<String> {
        self.family::<F5Devices>().names()
    }
}

impl LabSpec {
    /// This spec with `bigip1..bigipN` on free ports.
    pub fn with_f5_devices(self, n: usize) -> LabSpec {
        self.with::<F5Devices>(F5Devices::numbered(n))
    }
}
