//! The XOP servers as a lab device family (`xop_servers`): real MariaDB servers under
//! `<out>/xop/<name>`, reached over one real sshd (`<out>/xop/sshd`) started when the lab has
//! any, all sharing the lab's password for the admin account and the lab CA for TLS.
//!
//! Faults of real components: a refused login is MariaDB's own `ACCOUNT LOCK` of the admin
//! account, a rotated identity is a new host key of the sshd (which every XOP server of the
//! lab shares); a reply delay, a dropped connection, a command log and session counters have
//! no hook in MariaDB or sshd, and say so.

use std::net::Ipv4Addr;

use anyhow::Context;
use serde_json::{json, Map, Value};

use super::{Sshd, XopServer, XopServerSpec, XOP_ADMIN_USER};
use crate::device::{
    distinct_names, DeviceTrust, FaultControl, FaultError, LabDevice, NoHook, Pending,
    StartContext, StartDevice,
};
use crate::faults::{Fault, SessionCounts};
use crate::lab::{Lab, LabSpec};

/// Every XOP server of a lab and the sshd they are reached through.
pub struct XopServers {
    servers: Vec<XopServer>,
    /// Started with the first server: a lab without XOP servers runs no sshd.
    sshd: Option<Sshd>,
}

impl StartDevice for XopServers {
    const KEY: &'static str = "xop_servers";
    const DESCRIPTION: &'static str = "XOP servers (real MariaDB behind one real sshd)";
    type Spec = Vec<XopServerSpec>;

    /// `xop1..xopN` with server ids `1..N`.
    fn numbered(n: usize) -> Vec<XopServerSpec> {
        (1..=n)
            .map(|i| XopServerSpec {
                name: format!("xop{i}"),
                server_id: i as u32,
            })
            .collect()
    }

    fn check(spec: &Vec<XopServerSpec>) -> anyhow::Result<Vec<String>> {
        for x in spec {
            x.validate()?;
        }
        distinct_names(spec.iter().map(|x| x.name.as_str()), "XOP server")
    }

    /// The sshd, then the servers one by one (a failed start drops what started, which kills it).
    async fn start(spec: Vec<XopServerSpec>, ctx: &StartContext<'_>) -> anyhow::Result<Self> {
        if spec.is_empty() {
            return Ok(XopServers {
                servers: Vec::new(),
                sshd: None,
            });
        }
        let xop_dir = ctx.out_dir.join("xop");
        let sshd = Sshd::start(&xop_dir.join("sshd")).await?;
        let mut servers = Vec::new();
        for x in &spec {
            let server = XopServer::start_in_lab(
                x,
                &xop_dir.join(&x.name),
                &sshd,
                ctx.password,
                ctx.ca.clone(),
            )
            .await
            .with_context(|| format!("starting XOP server {}", x.name))?;
            servers.push(server);
        }
        Ok(XopServers {
            servers,
            sshd: Some(sshd),
        })
    }
}

impl LabDevice for XopServers {
    fn names(&self) -> Vec<String> {
        self.servers.iter().map(|x| x.name().to_string()).collect()
    }

    /// `[{"name","server_id","ssh":{"host","port","user","private_key_file","known_hosts",
    /// "host_key_fingerprint"},"mysql":{"host","port","admin_user","admin_password"},"dir",
    /// "datadir","my_cnf_path","restart_command","iptables_command","firewall_save_command",
    /// "sysconf_command"}]` (`mysql.host`: [`XopServer::mysql_address`]).
    fn endpoints(&self) -> Value {
        let Some(sshd) = &self.sshd else {
            return json!([]);
        };
        self.servers
            .iter()
            .map(|x| {
                let more = json!({
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
                });
                with_fields(appliance_fields(x), more)
            })
            .collect()
    }

    /// `xop_ssh_user`, `xop_ssh_private_key_file`, `xop_known_hosts_file`,
    /// `xop_mysql_admin_user` and `xop_mysql_admin_password` (the admin account every server
    /// shares, for the xop provider block) and `xop_servers` (`name`, `server_id`, `ssh_host`,
    /// `ssh_port`, `mysql_host`, `mysql_port`, `admin_user`, `admin_password`, `datadir`,
    /// `my_cnf_path`, `restart_command`, `iptables_command`, `firewall_save_command`,
    /// `sysconf_command`, `dump_command` and `client_command`: the absolute paths of
    /// `mariadb-dump` and `mariadb`, for `host.dump_command`/`host.client_command`).
    fn tfvars(&self) -> Map<String, Value> {
        let mut vars = Map::new();
        let Some(sshd) = &self.sshd else {
            return vars;
        };
        let servers: Vec<_> = self
            .servers
            .iter()
            .map(|x| {
                let more = json!({
                    "ssh_host": x.ssh().host,
                    "ssh_port": sshd.port(),
                    "mysql_host": x.mysql_address(),
                    "mysql_port": x.mysql_port(),
                    "admin_user": x.admin_user(),
                    "admin_password": x.admin_password(),
                    "dump_command": x.mariadb_dump_path().to_string_lossy(),
                    "client_command": x.mariadb_client_path().to_string_lossy(),
                });
                with_fields(appliance_fields(x), more)
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
        // Every server has the lab's password for the admin account (see `start`).
        vars.insert("xop_mysql_admin_user".into(), json!(XOP_ADMIN_USER));
        if let Some(x) = self.servers.first() {
            vars.insert("xop_mysql_admin_password".into(), json!(x.admin_password()));
        }
        vars.insert("xop_servers".into(), json!(servers));
        vars
    }

    /// Each server: the sshd's line and fingerprint (the same for all), and the lab CA once
    /// its TLS is on.
    fn trust(&self) -> Vec<DeviceTrust> {
        let Some(sshd) = &self.sshd else {
            return Vec::new();
        };
        self.servers
            .iter()
            .map(|x| DeviceTrust {
                device: x.name().to_string(),
                known_hosts: Some(sshd.known_hosts_line()),
                pin: Some(sshd.host_key_fingerprint()),
                ca_pem: x.tls_ca_pem(),
            })
            .collect()
    }

    fn faults(&self, name: &str) -> Option<Box<dyn FaultControl + '_>> {
        let sshd = self.sshd.as_ref()?;
        let server = self.servers.iter().find(|x| x.name() == name)?;
        Some(Box::new(XopFaults { server, sshd }))
    }

    /// The servers, then the sshd.
    fn stop(self: Box<Self>) -> Pending<'static, ()> {
        Box::pin(async move {
            for server in self.servers {
                server.stop().await;
            }
            if let Some(sshd) = self.sshd {
                sshd.stop().await;
            }
        })
    }
}

/// What `lab.json` and the variables both say of a server: its name, server id, datadir,
/// my.cnf and commands.
fn appliance_fields(x: &XopServer) -> Value {
    json!({
        "name": x.name(),
        "server_id": x.server_id(),
        "datadir": x.datadir().to_string_lossy(),
        "my_cnf_path": x.my_cnf_path().to_string_lossy(),
        "restart_command": x.restart_command(),
        "iptables_command": x.iptables_command(),
        "firewall_save_command": x.firewall_save_command(),
        "sysconf_command": x.sysconf_command(),
    })
}

/// `base` with the fields of `more` added (both `json!({..})` objects).
fn with_fields(mut base: Value, more: Value) -> Value {
    if let (Some(fields), Value::Object(more)) = (base.as_object_mut(), more) {
        fields.extend(more);
    }
    base
}

/// The faults one real XOP server can take.
struct XopFaults<'a> {
    server: &'a XopServer,
    sshd: &'a Sshd,
}

impl XopFaults<'_> {
    fn unsupported(&self, fault: &'static str) -> FaultError {
        NoHook {
            device: self.server.name().to_string(),
            why: "a real MariaDB and sshd have no hook for it \
                  (a loopback TCP fault proxy in front of them would add one)",
        }
        .error(fault)
    }
}

impl FaultControl for XopFaults<'_> {
    fn inject(&self, fault: Fault) -> Pending<'_, Result<(), FaultError>> {
        Box::pin(async move {
            match fault {
                Fault::RefuseLogin => Ok(self.server.set_admin_login_refused(true).await?),
                Fault::RotateIdentity => Ok(self.sshd.rotate_host_key().await?),
                other => Err(self.unsupported(other.name())),
            }
        })
    }

    /// Accepts the admin's logins again (the rotated host key stays, as on a simulator).
    fn clear(&self) -> Pending<'_, Result<(), FaultError>> {
        Box::pin(async move { Ok(self.server.set_admin_login_refused(false).await?) })
    }

    fn command_log(&self) -> Result<Vec<String>, FaultError> {
        Err(self.unsupported("a command log"))
    }

    fn sessions(&self) -> Result<SessionCounts, FaultError> {
        Err(self.unsupported("session counters"))
    }
}

/// The XOP servers of a lab.
impl Lab {
    fn xop_servers(&self) -> &XopServers {
        self.family::<XopServers>()
    }

    /// The XOP server `name`. Panics on an unknown name (a test bug).
    pub fn xop(&self, name: &str) -> &XopServer {
        self.xop_servers()
            .servers
            .iter()
            .find(|x| x.name() == name)
            .unwrap_or_else(|| panic!("no XOP server named {name:?} in this lab"))
    }

    /// Moves the MySQL of XOP server `name` to `address` (127.0.0.0/8, see
    /// [`XopServer::rebind`]) and rewrites the lab's files, so `lab.json` and
    /// `lab.auto.tfvars.json` name the new address. Panics on an unknown name.
    pub async fn rebind_xop(&mut self, name: &str, address: Ipv4Addr) -> anyhow::Result<()> {
        self.family_mut::<XopServers>()
            .servers
            .iter_mut()
            .find(|x| x.name() == name)
            .unwrap_or_else(|| panic!("no XOP server named {name:?} in this lab"))
            .rebind(address)
            .await?;
        self.write_files()
    }

    /// Names of the XOP servers, in spec order.
    pub fn xop_names(&self) -> Vec<String> {
        self.xop_servers().names()
    }

    /// The sshd the XOP servers are reached through (None without XOP servers).
    pub fn sshd(&self) -> Option<&Sshd> {
        self.xop_servers().sshd.as_ref()
    }
}

impl LabSpec {
    /// This spec with `xop1..xopN` (server ids `1..N`).
    pub fn with_xop_servers(self, n: usize) -> LabSpec {
        self.with::<XopServers>(XopServers::numbered(n))
    }
}
