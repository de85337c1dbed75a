//! The lab: a set of devices on loopback, simulated or real, plus the files that tests
//! and `terraform` use to reach them.
//!
//! [`Lab::start`] checks the whole [`LabSpec`], then starts every device family of the
//! registry ([`crate::registry::FAMILIES`]) with its part of the spec, in registry order, and
//! writes into the output directory:
//! - `lab.json`: [`Lab::endpoints`], one list per family under its key (`cms_nodes`,
//!   `xop_servers`), empty for a family the spec leaves out;
//! - `known_hosts`: every SSH device's OpenSSH line, `[addr]:port ssh-ed25519 AAAA...` (the
//!   form OpenSSH writes for non-22 ports), with the *current* host keys;
//! - `lab-ca.pem`: the lab's CA ([`crate::lab_ca`]), which issues every TLS certificate of the
//!   lab, and any other CA a device reports;
//! - `lab.auto.tfvars.json`: [`Lab::tfvars`], the variables of every family that has devices.
//!
//! Every device of a lab accepts one random password ([`Lab::password`]), full of quotes and
//! shell characters (see `secrets`). What a family starts and writes is in its module
//! (`cms_mmp/lab_device.rs`, `xop/lab_device.rs`), along with its typed accessors on [`Lab`]
//! (`lab.cms(name)`, `lab.xop(name)`, ...); this file knows no family.

use std::any::Any;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::cms_mmp::lab_device::{CmsNodeSpec, LAB_USERNAME, LAB_XMPP_DOMAIN};
use crate::device::{DeviceTrust, Family, FaultControl, LabDevice, StartContext, StartDevice};
use crate::lab_ca::LabCa;
pub use crate::xop::XopServerSpec;

/// The lab's `known_hosts` file, in its output directory.
pub const KNOWN_HOSTS_FILE: &str = "known_hosts";
/// The lab's CA bundle, in its output directory.
pub const CA_FILE: &str = "lab-ca.pem";

/// What to start: each family's part under its key. Also the format of the `--spec` JSON
/// file: `{"cms_nodes": [{"name": "cms1"}, {"name": "cms2", "address": "127.0.0.2", "port":
/// 2222}], "xop_servers": [{"name": "xop1", "server_id": 1}]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LabSpec {
    families: Map<String, Value>,
}

impl LabSpec {
    /// This spec with `spec` as family `D`'s part.
    pub fn with<D: StartDevice>(mut self, spec: D::Spec) -> LabSpec {
        let part = serde_json::to_value(spec).expect("a lab spec is plain data");
        self.families.insert(D::KEY.to_string(), part);
        self
    }

    /// This spec with `n` devices of `family`, default names.
    pub fn with_numbered(mut self, family: &Family, n: usize) -> LabSpec {
        self.families
            .insert(family.key.to_string(), family.numbered(n));
        self
    }

    /// Family `D`'s part (none: no device).
    pub fn get<D: StartDevice>(&self) -> anyhow::Result<D::Spec> {
        match self.families.get(D::KEY) {
            Some(part) => serde_json::from_value(part.clone())
                .with_context(|| format!("lab spec {:?}", D::KEY)),
            None => Ok(D::Spec::default()),
        }
    }

    /// The part under `key`, as written.
    pub fn part(&self, key: &str) -> Option<&Value> {
        self.families.get(key)
    }

    /// Each family's part (empty for one the spec leaves out) and its device names; an error
    /// for a key no family has, a part its family cannot start, or a name used twice.
    fn check(&self, families: &[Family]) -> anyhow::Result<Vec<(Value, Vec<String>)>> {
        if let Some(key) = self
            .families
            .keys()
            .find(|k| !families.iter().any(|f| f.key == k.as_str()))
        {
            let known: Vec<&str> = families.iter().map(|f| f.key).collect();
            anyhow::bail!(
                "the lab spec names {key:?}, which is no device family (known: {})",
                known.join(", ")
            );
        }
        let mut all = HashSet::new();
        let mut parts = Vec::new();
        for family in families {
            let part = self
                .part(family.key)
                .cloned()
                .unwrap_or_else(|| family.numbered(0));
            let names = family.check(&part)?;
            for name in &names {
                anyhow::ensure!(
                    all.insert(name.clone()),
                    "device name {name:?} is used by two families of the lab"
                );
            }
            parts.push((part, names));
        }
        Ok(parts)
    }
}

/// Running devices.
pub struct Lab {
    /// Every family of the registry, in its order, under its key.
    families: Vec<(&'static str, Box<dyn LabDevice>)>,
    password: String,
    out_dir: PathBuf,
    ca: Arc<LabCa>,
}

static LAB_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Third byte of `127.77.<x>.<n>`: from the process id and a per-process
/// counter, so labs in parallel test processes rarely share addresses (and
/// ephemeral ports keep them apart when they do).
fn lab_subnet() -> u8 {
    let n = std::process::id()
        .wrapping_mul(7)
        .wrapping_add(LAB_COUNTER.fetch_add(1, Ordering::SeqCst));
    (n % 254 + 1) as u8
}

async fn stop_all(families: Vec<(&'static str, Box<dyn LabDevice>)>) {
    for (_, family) in families {
        family.stop().await;
    }
}

impl Lab {
    /// Starts every device of `spec` and writes the lab files into `out_dir`
    /// (created if missing). Nothing starts when any part of the spec is wrong.
    pub async fn start(spec: &LabSpec, out_dir: &Path) -> anyhow::Result<Lab> {
        Self::start_families(crate::registry::FAMILIES, spec, out_dir).await
    }

    /// [`Lab::start`] with the given registry.
    pub(crate) async fn start_families(
        families: &[Family],
        spec: &LabSpec,
        out_dir: &Path,
    ) -> anyhow::Result<Lab> {
        let parts = spec.check(families)?;
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("creating {}", out_dir.display()))?;
        let out_dir = std::fs::canonicalize(out_dir)?;
        let subnet = lab_subnet();
        let password = crate::secrets::random_password();
        let ca = Arc::new(LabCa::new(&format!("uccluster lab CA 127.77.{subnet}"))?);
        let ctx = StartContext {
            out_dir: &out_dir,
            password: &password,
            subnet,
            ca: &ca,
        };
        let mut started = Vec::new();
        for (family, (part, _)) in families.iter().zip(parts) {
            match family.start(part, &ctx).await {
                Ok(device) => started.push((family.key, device)),
                Err(e) => {
                    stop_all(started).await;
                    return Err(e);
                }
            }
        }
        let lab = Lab {
            families: started,
            password,
            out_dir,
            ca,
        };
        if let Err(e) = lab.write_files() {
            lab.stop().await;
            return Err(e);
        }
        Ok(lab)
    }

    /// The running family `D`. Panics when the lab has none (a lab started with another
    /// registry: a test bug).
    pub fn family<D: StartDevice>(&self) -> &D {
        self.families
            .iter()
            .find_map(|(_, f)| (f.as_ref() as &dyn Any).downcast_ref::<D>())
            .unwrap_or_else(|| panic!("no {} in this lab", D::KEY))
    }

    /// Like [`Lab::family`], to change it.
    pub fn family_mut<D: StartDevice>(&mut self) -> &mut D {
        self.families
            .iter_mut()
            .find_map(|(_, f)| (f.as_mut() as &mut dyn Any).downcast_mut::<D>())
            .unwrap_or_else(|| panic!("no {} in this lab", D::KEY))
    }

    /// The fault controls of the device `name`, whatever its family.
    pub fn faults(&self, name: &str) -> anyhow::Result<Box<dyn FaultControl + '_>> {
        self.families
            .iter()
            .find_map(|(_, f)| f.faults(name))
            .with_context(|| format!("no device named {name:?} in this lab"))
    }

    /// Password of every device in this lab (the MMP password of every CMS node, the MariaDB
    /// admin and root password of every XOP server).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Directory holding `lab.json`, `known_hosts`, `lab-ca.pem` and `lab.auto.tfvars.json`.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Absolute path of the lab's `known_hosts` file.
    pub fn known_hosts_path(&self) -> PathBuf {
        self.out_dir.join(KNOWN_HOSTS_FILE)
    }

    /// Absolute path of the lab's CA bundle.
    pub fn ca_path(&self) -> PathBuf {
        self.out_dir.join(CA_FILE)
    }

    /// Each family's devices under its key, with the *current* identities.
    pub fn endpoints(&self) -> Value {
        let families = self
            .families
            .iter()
            .map(|(key, f)| (key.to_string(), f.endpoints()));
        Value::Object(families.collect())
    }

    /// What a client needs to trust each device.
    pub fn trust(&self) -> Vec<DeviceTrust> {
        self.families.iter().flat_map(|(_, f)| f.trust()).collect()
    }

    /// OpenSSH `known_hosts` content for the current host keys, each line once.
    pub fn known_hosts(&self) -> String {
        let lines = self.trust().into_iter().filter_map(|t| t.known_hosts);
        distinct(lines).map(|l| l + "\n").collect()
    }

    /// The lab CA, then every other CA a device reports, each once (PEM).
    pub fn ca_bundle(&self) -> String {
        let reported = self.trust().into_iter().filter_map(|t| t.ca_pem);
        distinct(std::iter::once(self.ca.cert_pem()).chain(reported)).collect()
    }

    /// Terraform variables for the lab (`lab.auto.tfvars.json`): every family's, see their
    /// `tfvars` (`cms_*` in `cms_mmp/lab_device.rs`, `xop_*` in `xop/lab_device.rs`).
    pub fn tfvars(&self) -> Value {
        Value::Object(self.families.iter().flat_map(|(_, f)| f.tfvars()).collect())
    }

    /// (Re)writes `lab.json`, `known_hosts`, `lab-ca.pem` and `lab.auto.tfvars.json`.
    pub fn write_files(&self) -> anyhow::Result<()> {
        let write = |name: &str, content: String| {
            let path = self.out_dir.join(name);
            std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))
        };
        write(
            "lab.json",
            serde_json::to_string_pretty(&self.endpoints())? + "\n",
        )?;
        write(KNOWN_HOSTS_FILE, self.known_hosts())?;
        write(CA_FILE, self.ca_bundle())?;
        write(
            "lab.auto.tfvars.json",
            serde_json::to_string_pretty(&self.tfvars())? + "\n",
        )?;
        Ok(())
    }

    /// Stops every device, family by family in registry order.
    pub async fn stop(self) {
        stop_all(self.families).await;
    }
}

/// `items` without repeats, in first-seen order.
fn distinct(items: impl Iterator<Item = String>) -> impl Iterator<Item = String> {
    let mut seen = HashSet::new();
    items.filter(move |i| seen.insert(i.clone()))
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::cms_mmp::lab_device::CmsNodes;
    use crate::faults::{Fault, SessionCounts};
    use crate::xop::lab_device::XopServers;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn start_writes_the_three_files() {
        let dir = std::env::temp_dir().join(format!("uccluster-lab-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let lab = Lab::start(&LabSpec::with_cms_nodes(2), &dir).await.unwrap();

        let endpoints: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("lab.json")).unwrap()).unwrap();
        assert_eq!(endpoints, lab.endpoints());
        let nodes = endpoints["cms_nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0]["name"], "cms1");
        assert_eq!(nodes[1]["name"], "cms2");
        assert_eq!(nodes[0]["username"], "admin");
        assert_eq!(nodes[0]["password"], lab.password());
        assert!(lab.password().starts_with(crate::secrets::SECRET_MARKER));
        let a1: IpAddr = nodes[0]["address"].as_str().unwrap().parse().unwrap();
        let a2: IpAddr = nodes[1]["address"].as_str().unwrap().parse().unwrap();
        assert_ne!(a1, a2);
        assert!(a1.to_string().starts_with("127.77."));
        assert!(a1.to_string().ends_with(".1") && a2.to_string().ends_with(".2"));
        assert!(nodes[0]["host_key_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:"));
        assert_eq!(
            nodes[0]["host_key_fingerprint"],
            lab.cms("cms1").host_key_fingerprint()
        );

        let known_hosts = std::fs::read_to_string(dir.join("known_hosts")).unwrap();
        let lines: Vec<&str> = known_hosts.lines().collect();
        assert_eq!(lines.len(), 2);
        let port = nodes[0]["port"].as_u64().unwrap();
        assert_eq!(
            lines[0],
            format!("[{a1}]:{port} {}", lab.cms("cms1").host_key_openssh())
        );
        for line in &lines {
            let (_, key) = line.split_once(' ').unwrap();
            assert!(key.starts_with("ssh-ed25519 AAAA"));
            russh::keys::PublicKey::from_openssh(key).unwrap();
        }

        let tfvars: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("lab.auto.tfvars.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(tfvars["cms_username"], "admin");
        assert_eq!(tfvars["cms_password"], nodes[0]["password"]);
        let kh = tfvars["cms_known_hosts_file"].as_str().unwrap();
        assert!(Path::new(kh).is_absolute());
        assert_eq!(std::fs::read_to_string(kh).unwrap(), known_hosts);
        assert_eq!(tfvars["cms_nodes"][1]["name"], "cms2");
        assert_eq!(tfvars["cms_nodes"][1]["address"], a2.to_string());
        assert_eq!(tfvars["cms_nodes"][1]["port"], nodes[1]["port"]);
        // a family the spec leaves out: an empty list, no variables
        assert_eq!(endpoints["xop_servers"], serde_json::json!([]));
        assert!(tfvars.get("xop_servers").is_none(), "{tfvars}");

        // trust: one pin per node; the CA bundle holds the lab CA
        let trust = lab.trust();
        assert_eq!(trust.len(), 2);
        assert_eq!(trust[1].device, "cms2");
        assert_eq!(trust[1].pin, Some(lab.cms("cms2").host_key_fingerprint()));
        assert_eq!(trust[1].known_hosts.as_deref(), Some(lines[1]));
        let bundle = std::fs::read_to_string(lab.ca_path()).unwrap();
        assert_eq!(bundle, lab.ca.cert_pem());
        assert!(bundle.starts_with("-----BEGIN CERTIFICATE-----"));

        lab.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_simulators_faults_are_reached_through_the_lab() {
        let dir = tempfile::tempdir().unwrap();
        let lab = Lab::start(&LabSpec::with_cms_nodes(2), dir.path())
            .await
            .unwrap();
        let faults = lab.faults("cms2").unwrap();
        let node = lab.cms("cms2");
        faults.inject(Fault::RefuseLogin).await.unwrap();
        faults
            .inject(Fault::DropBefore {
                prefix: "xmpp".into(),
                times: 1,
            })
            .await
            .unwrap();
        assert!(node.faults().refuses_login());
        assert!(!lab.cms("cms1").faults().refuses_login());
        faults.clear().await.unwrap();
        assert!(!node.faults().refuses_login());
        assert_eq!(node.faults().take_drop("xmpp status"), None);

        let before = node.host_key_openssh();
        faults.inject(Fault::RotateIdentity).await.unwrap();
        assert_ne!(node.host_key_openssh(), before);
        // the files keep the key the lab started with until they are written again
        let known_hosts = || std::fs::read_to_string(lab.known_hosts_path()).unwrap();
        assert!(known_hosts().contains(&before));
        lab.write_files().unwrap();
        assert!(known_hosts().contains(&node.host_key_openssh()));
        assert!(!known_hosts().contains(&before));

        node.faults().log_command("xmpp status");
        assert_eq!(faults.command_log().unwrap(), ["xmpp status"]);
        assert_eq!(faults.sessions().unwrap(), SessionCounts::default());
        let e = lab.faults("cms3").err().expect("no such device");
        assert!(e.to_string().contains("no device named \"cms3\""), "{e}");
        drop(faults);
        lab.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn lab_nodes_share_a_fabric() {
        use crate::cms_mmp::database::{answer, run, Confirm};
        use crate::cms_mmp::DbRole;
        let dir = std::env::temp_dir().join(format!("uccluster-lab-fabric-{}", std::process::id()));
        let lab = Lab::start(&LabSpec::with_cms_nodes(2), &dir).await.unwrap();
        let pem = |label: &str| format!("-----BEGIN {label}-----\nAAAA\n-----END {label}-----\n");
        for name in lab.cms_names() {
            let n = lab.cms(&name);
            n.set_join_delay(std::time::Duration::ZERO);
            n.put_file("k", pem("PRIVATE KEY"));
            n.put_file("c", pem("CERTIFICATE"));
            run(&n, &["certs", "k", "c", "k", "c", "c"]).unwrap();
            run(&n, &["localnode", "a"]).unwrap();
        }
        let (c1, c2) = (lab.cms("cms1"), lab.cms("cms2"));
        answer(&c1, &Confirm::Initialize, "y");
        let address = c1.address();
        answer(&c2, &Confirm::Join { address }, "y");
        assert_eq!(c2.db_role(), DbRole::Replica);
        assert_eq!(c2.db_cluster_members(), lab.fabric().addresses());
        lab.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tfvars_give_the_shared_admin_account_and_each_servers_client_paths() {
        let dir = tempfile::tempdir().unwrap();
        let lab = Lab::start(&LabSpec::with_cms_nodes(0).with_xop_servers(1), dir.path())
            .await
            .unwrap();
        let tfvars: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("lab.auto.tfvars.json")).unwrap(),
        )
        .unwrap();
        let x = lab.xop("xop1");
        assert_eq!(tfvars["xop_mysql_admin_user"], x.admin_user());
        assert_eq!(tfvars["xop_mysql_admin_password"], x.admin_password());
        assert_eq!(tfvars["xop_mysql_admin_password"], lab.password());
        let s = &tfvars["xop_servers"][0];
        assert_eq!(s["ssh_host"], "127.0.0.1");
        assert_eq!(
            s["dump_command"],
            x.mariadb_dump_path().to_string_lossy().as_ref()
        );
        assert_eq!(
            s["client_command"],
            x.mariadb_client_path().to_string_lossy().as_ref()
        );
        assert!(x.mariadb_client_path().is_absolute());
        lab.stop().await;
    }

    #[test]
    fn spec_parses_xop_servers() {
        let spec: LabSpec =
            serde_json::from_str(r#"{"xop_servers":[{"name":"xop1","server_id":1}]}"#).unwrap();
        assert!(spec.get::<CmsNodes>().unwrap().is_empty());
        assert_eq!(
            spec.get::<XopServers>().unwrap(),
            [XopServerSpec {
                name: "xop1".into(),
                server_id: 1
            }]
        );
        let spec = LabSpec::with_cms_nodes(0).with_xop_servers(2);
        let xop = spec.get::<XopServers>().unwrap();
        assert_eq!(xop[1].name, "xop2");
        assert_eq!(xop[1].server_id, 2);
    }

    #[tokio::test]
    async fn bad_xop_server_names_are_rejected_before_starting_anything() {
        let dir = std::env::temp_dir().join(format!("uccluster-lab-badxop-{}", std::process::id()));
        for name in ["..", "", "a/b", ".hidden"] {
            let spec = LabSpec::default().with::<XopServers>(vec![XopServerSpec {
                name: name.into(),
                server_id: 1,
            }]);
            let err = Lab::start(&spec, &dir).await.err().expect("rejected");
            assert!(err.to_string().contains("must match"), "{name:?}: {err:#}");
        }
        let one = XopServers::numbered(1);
        let twice = LabSpec::default().with::<XopServers>([one.clone(), one].concat());
        let err = Lab::start(&twice, &dir).await.err().expect("rejected");
        assert!(
            err.to_string().contains("duplicate XOP server name"),
            "{err:#}"
        );
        assert!(!dir.join("xop").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn spec_parses_with_optional_fields() {
        let spec: LabSpec = serde_json::from_str(
            r#"{"cms_nodes":[{"name":"a"},{"name":"b","address":"127.0.0.9","port":2022}]}"#,
        )
        .unwrap();
        let nodes = spec.get::<CmsNodes>().unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].address, None);
        assert_eq!(nodes[1].port, Some(2022));
    }
}
