//! The lab: a set of simulated devices on loopback, plus the files that tests
//! and `terraform` use to reach them.
//!
//! [`Lab::start`] starts one [`CmsNode`] per [`CmsNodeSpec`] (own loopback
//! address `127.77.<lab>.<n>` unless given, ephemeral port unless given, user
//! `admin`, a random password shared by the lab, full of quotes and shell characters: see `secrets`) and writes into
//! the output directory:
//! - `lab.json`: [`Lab::endpoints`];
//! - `known_hosts`: one OpenSSH line per node, `[addr]:port ssh-ed25519 AAAA...`
//!   (the form OpenSSH writes for non-22 ports);
//! - `lab.auto.tfvars.json`: Terraform variables `cms_username`, `cms_password`,
//!   `cms_known_hosts_file` (absolute path) and `cms_nodes` (`name`, `address`, `port`).
//!
//! All CMS nodes of a lab share one [`Fabric`], so `database cluster join
//! <address>` on one node reaches the node whose address that is.
//!
//! XOP servers ([`XopServerSpec`]) are real MariaDB servers on 127.0.0.1 (until
//! [`Lab::rebind_xop`] moves one to another loopback address) laid out like XOP appliances under `<out>/xop/<name>`, reached over one real
//! sshd (`<out>/xop/sshd`) started when the lab has any. All of them share one
//! random admin password (the lab's password, [`Lab::password`]). With XOP servers,
//! `lab.json` gains `xop_servers` and `lab.auto.tfvars.json` gains `xop_ssh_user`,
//! `xop_ssh_private_key_file`, `xop_known_hosts_file`, `xop_mysql_admin_user`,
//! `xop_mysql_admin_password` and `xop_servers` (see [`Lab::endpoints`],
//! [`Lab::tfvars`]); a lab without CMS nodes leaves out the `cms_*` variables.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cms_mmp::{CmsNode, CmsNodeConfig, Fabric, NodeControl};
pub use crate::xop::XopServerSpec;
use crate::xop::{Sshd, XopServer, XOP_ADMIN_USER};

/// MMP user every lab node accepts.
pub const LAB_USERNAME: &str = "admin";
/// XMPP domain of every lab node (the seed's `conf.example.com`).
pub const LAB_XMPP_DOMAIN: &str = "conf.example.com";

/// What to start. Also the format of the `--spec` JSON file:
/// `{"cms_nodes": [{"name": "cms1"}, {"name": "cms2", "address": "127.0.0.2", "port": 2222}],
///   "xop_servers": [{"name": "xop1", "server_id": 1}]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LabSpec {
    #[serde(default)]
    pub cms_nodes: Vec<CmsNodeSpec>,
    #[serde(default)]
    pub xop_servers: Vec<XopServerSpec>,
}

/// One simulated CMS node; `name` is also its hostname (prompt `<name>> `).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CmsNodeSpec {
    pub name: String,
    #[serde(default)]
    pub address: Option<IpAddr>,
    #[serde(default)]
    pub port: Option<u16>,
}

impl LabSpec {
    /// `cms1..cmsN` with automatic addresses and ports.
    pub fn with_cms_nodes(n: usize) -> LabSpec {
        LabSpec {
            cms_nodes: (1..=n)
                .map(|i| CmsNodeSpec {
                    name: format!("cms{i}"),
                    address: None,
                    port: None,
                })
                .collect(),
            xop_servers: Vec::new(),
        }
    }

    /// `xop1..xopN` with server ids `1..N`.
    pub fn with_xop_servers(mut self, n: usize) -> LabSpec {
        self.xop_servers = (1..=n)
            .map(|i| XopServerSpec {
                name: format!("xop{i}"),
                server_id: i as u32,
            })
            .collect();
        self
    }
}

/// Running simulated devices.
pub struct Lab {
    cms: Vec<(String, CmsNode)>,
    fabric: Fabric,
    password: String,
    out_dir: PathBuf,
    xop: Vec<XopServer>,
    sshd: Option<Sshd>,
}

static LAB_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Middle byte of `127.77.<x>.<n>`: from the process id and a per-process
/// counter, so labs in parallel test processes rarely share addresses (and
/// ephemeral ports keep them apart when they do).
fn lab_subnet() -> u8 {
    let n = std::process::id()
        .wrapping_mul(7)
        .wrapping_add(LAB_COUNTER.fetch_add(1, Ordering::SeqCst));
    (n % 254 + 1) as u8
}

impl Lab {
    /// Starts every device of `spec` and writes the lab files into `out_dir`
    /// (created if missing).
    pub async fn start(spec: &LabSpec, out_dir: &Path) -> anyhow::Result<Lab> {
        let mut names = std::collections::HashSet::new();
        for n in &spec.cms_nodes {
            anyhow::ensure!(
                names.insert(n.name.as_str()),
                "duplicate CMS node name {:?}",
                n.name
            );
        }
        let mut xop_names = std::collections::HashSet::new();
        for x in &spec.xop_servers {
            x.validate()?;
            anyhow::ensure!(
                xop_names.insert(x.name.as_str()),
                "duplicate XOP server name {:?}",
                x.name
            );
        }
        std::fs::create_dir_all(out_dir)
            .with_context(|| format!("creating {}", out_dir.display()))?;
        let out_dir = std::fs::canonicalize(out_dir)?;
        let subnet = lab_subnet();
        let password = crate::secrets::random_password();
        let mut lab = Lab {
            cms: Vec::new(),
            fabric: Fabric::default(),
            password,
            out_dir,
            xop: Vec::new(),
            sshd: None,
        };
        for (i, n) in spec.cms_nodes.iter().enumerate() {
            let bind = n.address.unwrap_or(IpAddr::V4(Ipv4Addr::new(
                127,
                77,
                subnet,
                u8::try_from(i + 1).context("too many CMS nodes (max 254)")?,
            )));
            let started = CmsNode::start_in(
                CmsNodeConfig {
                    hostname: n.name.clone(),
                    bind,
                    port: n.port.unwrap_or(0),
                    username: LAB_USERNAME.to_string(),
                    password: lab.password.clone(),
                    xmpp_domain: LAB_XMPP_DOMAIN.to_string(),
                },
                lab.fabric.clone(),
            )
            .await;
            match started {
                Ok(node) => lab.cms.push((n.name.clone(), node)),
                Err(e) => {
                    lab.stop().await;
                    return Err(e);
                }
            }
        }
        if let Err(e) = lab.start_xop(&spec.xop_servers).await {
            lab.stop().await;
            return Err(e);
        }
        if let Err(e) = lab.write_files() {
            lab.stop().await;
            return Err(e);
        }
        Ok(lab)
    }

    /// The sshd (only if there are XOP servers), then the servers, one by one.
    async fn start_xop(&mut self, specs: &[XopServerSpec]) -> anyhow::Result<()> {
        if specs.is_empty() {
            return Ok(());
        }
        let xop_dir = self.out_dir.join("xop");
        let sshd = Sshd::start(&xop_dir.join("sshd")).await?;
        for spec in specs {
            let server = XopServer::start_with_admin_password(
                spec,
                &xop_dir.join(&spec.name),
                &sshd,
                &self.password,
            )
            .await
            .with_context(|| format!("starting XOP server {}", spec.name))?;
            self.xop.push(server);
        }
        self.sshd = Some(sshd);
        Ok(())
    }

    /// The XOP server `name`. Panics on an unknown name (a test bug).
    pub fn xop(&self, name: &str) -> &XopServer {
        self.xop
            .iter()
            .find(|x| x.name() == name)
            .unwrap_or_else(|| panic!("no XOP server named {name:?} in this lab"))
    }

    /// Moves the MySQL of XOP server `name` to `address` (127.0.0.0/8, see
    /// [`XopServer::rebind`]) and rewrites the lab's files, so `lab.json` and
    /// `lab.auto.tfvars.json` name the new address. Panics on an unknown name.
    pub async fn rebind_xop(&mut self, name: &str, address: Ipv4Addr) -> anyhow::Result<()> {
        self.xop
            .iter_mut()
            .find(|x| x.name() == name)
            .unwrap_or_else(|| panic!("no XOP server named {name:?} in this lab"))
            .rebind(address)
            .await?;
        self.write_files()
    }

    /// Names of the XOP servers, in spec order.
    pub fn xop_names(&self) -> Vec<String> {
        self.xop.iter().map(|x| x.name().to_string()).collect()
    }

    /// The sshd the XOP servers are reached through (None without XOP servers).
    pub fn sshd(&self) -> Option<&Sshd> {
        self.sshd.as_ref()
    }

    /// Control handle of the CMS node `name`. Panics on an unknown name (a test bug).
    pub fn cms(&self, name: &str) -> NodeControl {
        self.cms
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, node)| node.control())
            .unwrap_or_else(|| panic!("no CMS node named {name:?} in this lab"))
    }

    /// The network the lab's CMS nodes share.
    pub fn fabric(&self) -> Fabric {
        self.fabric.clone()
    }

    /// Names of the CMS nodes, in spec order.
    pub fn cms_names(&self) -> Vec<String> {
        self.cms.iter().map(|(n, _)| n.clone()).collect()
    }

    /// MMP password of every CMS node and MariaDB admin (and root) password of
    /// every XOP server in this lab.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Directory holding `lab.json`, `known_hosts` and `lab.auto.tfvars.json`.
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Absolute path of the lab's `known_hosts` file.
    pub fn known_hosts_path(&self) -> PathBuf {
        self.out_dir.join("known_hosts")
    }

    /// `{"cms_nodes":[{"name","address","port","username","password","host_key_fingerprint","host_key","xmpp_domain"}]}`
    /// with the *current* host keys; with XOP servers also
    /// `"xop_servers":[{"name","server_id","ssh":{"host","port","user","private_key_file","known_hosts",
    /// "host_key_fingerprint"},"mysql":{"host","port","admin_user","admin_password"},"dir","datadir",
    /// "my_cnf_path","restart_command","iptables_command","firewall_save_command","sysconf_command"}]`
    /// (`mysql.host`: [`XopServer::mysql_address`]).
    pub fn endpoints(&self) -> serde_json::Value {
        let nodes: Vec<_> = self
            .cms
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
            .collect();
        let mut endpoints = json!({ "cms_nodes": nodes });
        if let Some(sshd) = &self.sshd {
            let servers: Vec<_> = self
                .xop
                .iter()
                .map(|x| {
                    json!({
                        "name": x.name(),
                        "server_id": x.server_id(),
                        "ssh": {
                            "host": "127.0.0.1",
                            "port": sshd.port(),
                            "user": sshd.user(),
                            "private_key_file": sshd.client_key_path().to_string_lossy(),
                            "known_hosts": sshd.known_hosts_path().to_string_lossy(),
                            "host_key_fingerprint": sshd.host_key_fingerprint(),
                        },
                        "mysql": {
                            "host": x.mysql_address(),
                            "port": x.mysql_port(),
                            "admin_user": x.admin_user(),
                            "admin_password": x.admin_password(),
                        },
                        "dir": x.dir().to_string_lossy(),
                        "datadir": x.datadir().to_string_lossy(),
                        "my_cnf_path": x.my_cnf_path().to_string_lossy(),
                        "restart_command": x.restart_command(),
                        "iptables_command": x.iptables_command(),
                        "firewall_save_command": x.firewall_save_command(),
                        "sysconf_command": x.sysconf_command(),
                    })
                })
                .collect();
            endpoints["xop_servers"] = json!(servers);
        }
        endpoints
    }

    /// OpenSSH `known_hosts` content for the current host keys.
    pub fn known_hosts(&self) -> String {
        self.cms
            .iter()
            .map(|(_, node)| {
                let addr = node.addr();
                let host = if addr.port() == 22 {
                    addr.ip().to_string()
                } else {
                    format!("[{}]:{}", addr.ip(), addr.port())
                };
                format!("{host} {}\n", node.control().host_key_openssh())
            })
            .collect()
    }

    /// Terraform variables for the lab (`lab.auto.tfvars.json`): `cms_username`,
    /// `cms_password`, `cms_known_hosts_file`, `cms_nodes` (left out when the lab has
    /// XOP servers and no CMS node); with XOP servers `xop_ssh_user`,
    /// `xop_ssh_private_key_file`, `xop_known_hosts_file`, `xop_mysql_admin_user` and
    /// `xop_mysql_admin_password` (the admin account every server shares, for the xop
    /// provider block) and `xop_servers` (`name`, `server_id`, `ssh_host`, `ssh_port`, `mysql_host`,
    /// `mysql_port`, `admin_user`, `admin_password`, `datadir`, `my_cnf_path`,
    /// `restart_command`, `iptables_command`, `firewall_save_command`, `sysconf_command`,
    /// `dump_command` and `client_command`: the absolute paths of `mariadb-dump` and
    /// `mariadb`, for `host.dump_command`/`host.client_command`).
    pub fn tfvars(&self) -> serde_json::Value {
        let nodes: Vec<_> = self
            .cms
            .iter()
            .map(|(name, node)| {
                json!({
                    "name": name,
                    "address": node.addr().ip().to_string(),
                    "port": node.addr().port(),
                })
            })
            .collect();
        let mut vars = serde_json::Map::new();
        if !self.cms.is_empty() || self.sshd.is_none() {
            vars.insert("cms_username".into(), json!(LAB_USERNAME));
            vars.insert("cms_password".into(), json!(self.password));
            vars.insert(
                "cms_known_hosts_file".into(),
                json!(self.known_hosts_path().to_string_lossy()),
            );
            vars.insert("cms_nodes".into(), json!(nodes));
        }
        if let Some(sshd) = &self.sshd {
            let servers: Vec<_> = self
                .xop
                .iter()
                .map(|x| {
                    json!({
                        "name": x.name(),
                        "server_id": x.server_id(),
                        "ssh_host": x.ssh().host,
                        "ssh_port": sshd.port(),
                        "mysql_host": x.mysql_address(),
                        "mysql_port": x.mysql_port(),
                        "admin_user": x.admin_user(),
                        "admin_password": x.admin_password(),
                        "datadir": x.datadir().to_string_lossy(),
                        "my_cnf_path": x.my_cnf_path().to_string_lossy(),
                        "restart_command": x.restart_command(),
                        "iptables_command": x.iptables_command(),
                        "firewall_save_command": x.firewall_save_command(),
                        "sysconf_command": x.sysconf_command(),
                        "dump_command": x.mariadb_dump_path().to_string_lossy(),
                        "client_command": x.mariadb_client_path().to_string_lossy(),
                    })
                })
                .collect();
            vars.insert("xop_ssh_user".into(), json!(sshd.user()));
            vars.insert(
                "xop_ssh_private_key_file".into(),
                json!(sshd.client_key_path().to_string_lossy()),
            );
            vars.insert(
                "xop_known_hosts_file".into(),
                json!(sshd.known_hosts_path().to_string_lossy()),
            );
            // Every server has the lab's password for the admin account (see start_xop).
            vars.insert("xop_mysql_admin_user".into(), json!(XOP_ADMIN_USER));
            vars.insert("xop_mysql_admin_password".into(), json!(self.password));
            vars.insert("xop_servers".into(), json!(servers));
        }
        serde_json::Value::Object(vars)
    }

    /// (Re)writes `lab.json`, `known_hosts` and `lab.auto.tfvars.json`.
    pub fn write_files(&self) -> anyhow::Result<()> {
        let write = |name: &str, content: String| {
            let path = self.out_dir.join(name);
            std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))
        };
        write(
            "lab.json",
            serde_json::to_string_pretty(&self.endpoints())? + "\n",
        )?;
        write("known_hosts", self.known_hosts())?;
        write(
            "lab.auto.tfvars.json",
            serde_json::to_string_pretty(&self.tfvars())? + "\n",
        )?;
        Ok(())
    }

    /// Stops every device.
    pub async fn stop(self) {
        for (_, node) in self.cms {
            node.stop().await;
        }
        for server in self.xop {
            server.stop().await;
        }
        if let Some(sshd) = self.sshd {
            sshd.stop().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

        lab.stop().await;
        let _ = std::fs::remove_dir_all(&dir);
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
        assert!(spec.cms_nodes.is_empty());
        assert_eq!(
            spec.xop_servers,
            [XopServerSpec {
                name: "xop1".into(),
                server_id: 1
            }]
        );
        let spec = LabSpec::with_cms_nodes(0).with_xop_servers(2);
        assert_eq!(spec.xop_servers[1].name, "xop2");
        assert_eq!(spec.xop_servers[1].server_id, 2);
    }

    #[tokio::test]
    async fn bad_xop_server_names_are_rejected_before_starting_anything() {
        let dir = std::env::temp_dir().join(format!("uccluster-lab-badxop-{}", std::process::id()));
        for name in ["..", "", "a/b", ".hidden"] {
            let mut spec = LabSpec::with_cms_nodes(0).with_xop_servers(1);
            spec.xop_servers[0].name = name.into();
            let err = Lab::start(&spec, &dir).await.err().expect("rejected");
            assert!(err.to_string().contains("must match"), "{name:?}: {err:#}");
        }
        let spec = LabSpec::with_cms_nodes(0).with_xop_servers(1);
        let mut twice = spec.clone();
        twice.xop_servers.push(spec.xop_servers[0].clone());
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
        assert_eq!(spec.cms_nodes.len(), 2);
        assert_eq!(spec.cms_nodes[0].address, None);
        assert_eq!(spec.cms_nodes[1].port, Some(2022));
    }
}
