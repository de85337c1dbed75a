//! The `lb` provider: one balancer per provider block (aliases for several), named by the one
//! backend block it holds, and the data sources that need no balancer (`lb_config`).

use super::slot::env;
use super::ssh_settings::{settings_from_config, ssh_provider_attributes, SshProviderConfig};
use super::tls_trust::{trust_policy, TRUST};
use crate::client::{Devices, LineProtocol, LineTarget, NodeConnection};
use crate::data_sources::lb_config::LbConfigDataSource;
use crate::devices::cms::prompt::MmpPrompt;
use crate::devices::lb::haproxy::{MasterCli, RuntimeApi};
use crate::duration::{parse_duration, DurationBounds};
use crate::resources::adapter::Adapted;
use crate::resources::lb_virtual_server::attributes::NAME;
use crate::resources::lb_virtual_server::backend::{Balancer, LbDevice};
use crate::resources::lb_virtual_server::config_host::ConfigHost;
use crate::resources::lb_virtual_server::f5::{https_target, F5};
use crate::resources::lb_virtual_server::haproxy::{Haproxy, MasterSocket};
use crate::resources::lb_virtual_server::ipvs::Ipvs;
use crate::resources::lb_virtual_server::keepalived::Keepalived;
use crate::resources::lb_virtual_server::{Balancers, VirtualServerResource};
use crate::resources::node_checks::{ADDRESS, FINGERPRINT, USERNAME};
use crate::resources::spec::{
    attr, rows, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::resources::values::text;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tf_provider::schema::{NestedBlock, Schema};
use tf_provider::value::{self, Value, ValueBool, ValueEmpty, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

/// The prefix of the IPVS director's credential variables (`LB_IPVS_PASSWORD`).
const IPVS_ENV: &str = "LB_IPVS";
/// The same for a HAProxy host reached over SSH (`LB_HAPROXY_PASSWORD`).
const HAPROXY_ENV: &str = "LB_HAPROXY";

fn program(v: &str) -> Result<(), String> {
    crate::grammar::check_no_control(v)?;
    match v.is_empty() {
        true => Err("the program is empty".into()),
        false => Ok(()),
    }
}

/// A balancer's host reached over SSH: where it is; its other SSH settings are the other
/// providers' own attributes (added to the schema by [`LbProvider::schema`]).
const fn ssh_block(description: &'static str) -> BlockSpec {
    BlockSpec {
        name: "ssh",
        nesting: Nesting::Optional,
        description,
        attrs: &SSH_HOST,
        blocks: &[],
    }
}

const SSH_HOST: [Attr; 2] = [
    attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the host's SSH server.").check(ADDRESS),
    attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of the host's SSH host key (`SHA256:...` as `ssh-keygen -lf` prints it). Takes precedence over `known_hosts_file`.").check(FINGERPRINT),
];

const IPVS: BlockSpec = BlockSpec {
    name: "ipvs",
    nesting: Nesting::Optional,
    description: "A Linux IPVS director, driven with `ipvsadm` over SSH (the `ssh` block; the SSH user must be allowed to run it).",
    attrs: &[
        attr("ipvsadm", Type::Text, Presence::Defaulted(DefaultValue::Text("ipvsadm")), "The `ipvsadm` program on the director (default `ipvsadm`, found on the SSH user's `PATH`), e.g. `sudo ipvsadm` is not accepted: give the path of a program the user may run.").check(Check::Text { title: "Invalid program", check: program }),
    ],
    blocks: &[
        ssh_block("The director's SSH server (required). The SSH settings are those of the other uccluster providers."),
        KEEPALIVED,
    ],
};

/// A director whose IPVS table keepalived owns.
const KEEPALIVED: BlockSpec = BlockSpec {
    name: "keepalived",
    nesting: Nesting::Optional,
    description: "keepalived owns the director's IPVS table: each virtual server is a marked section of keepalived's configuration (`virtual_server` blocks with `TCP_CHECK`, `SMTP_CHECK` or `PING_CHECK` for `monitors`), checked with `keepalived -t -f` before it replaces the file, made live by `reload_command`, and waited for until `ipvsadm -S -n` shows it. Members' health comes from the table: keepalived takes a member whose check fails out of it.",
    attrs: &[
        attr("config_path", Type::Text, Presence::Required, "Absolute path on the director of the file uccluster keeps its sections in: keepalived.conf, or a file it `include`s (e.g. `/etc/keepalived/conf.d/uccluster.conf`). Every byte outside the sections is kept.").check(Check::Text { title: "Invalid path", check: absolute_path }),
        attr("keepalived_command", Type::Text, Presence::Defaulted(DefaultValue::Text("keepalived")), "The program that checks a candidate (`<program> -t -f <file>`); default `keepalived` on the SSH user's `PATH`.").check(Check::Text { title: "Invalid program", check: program }),
        attr("reload_command", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["systemctl", "reload", "keepalived"])), "The program and arguments that make keepalived read its configuration again (SIGHUP); default `[\"systemctl\", \"reload\", \"keepalived\"]`. Run without a shell: each word is one argument.").check(Check::Text { title: "Invalid command", check: program }),
        attr("reload_timeout", Type::Text, Presence::Defaulted(DefaultValue::Text("30s")), "Limit for the check, the reload and keepalived's programming of the table, from `1s` to `1h` (default `30s`)."),
    ],
    blocks: &[],
};

/// The HAProxy host, when it is not the machine Terraform runs on.
const HAPROXY_SSH: BlockSpec = ssh_block("HAProxy runs on another host: its configuration file is read and replaced, and `haproxy -c` run, over SSH (the SSH user must be allowed to write the file and run the program); the runtime API and the master CLI are then TCP addresses. The SSH settings are those of the other uccluster providers.");

const TLS_BOUNDS: DurationBounds = DurationBounds::secs(1, 3600);

const F5: BlockSpec = BlockSpec {
    name: "f5",
    nesting: Nesting::Optional,
    description: "An F5 BIG-IP, through iControl REST over HTTPS with a token login (`/mgmt/shared/authn/login`, the `X-F5-Auth-Token` renewed when BIG-IP expires it). The device's certificate is checked: against `ca_file`, or pinned with `certificate_sha256`, or else against the system's trust store.",
    attrs: &rows::<9>(&TRUST, &[
        attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the BIG-IP's management interface; the certificate must name it unless `certificate_sha256` pins it.").check(ADDRESS),
        attr("port", Type::Number, Presence::Defaulted(DefaultValue::Number(443)), "HTTPS port (default 443).").check(Check::Port),
        attr("username", Type::Text, Presence::Defaulted(DefaultValue::Text("admin")), "BIG-IP user with the Manager role or above on the partition (default `admin`), or `LB_F5_USERNAME`.").check(USERNAME),
        attr("password", Type::Text, Presence::Optional, "Its password, or `LB_F5_PASSWORD`.").sensitive(),
        attr("partition", Type::Text, Presence::Defaulted(DefaultValue::Text("Common")), "Administrative partition of the objects (default `Common`).").check(NAME),
        attr("request_timeout", Type::Text, Presence::Defaulted(DefaultValue::Text("60s")), "Limit for one request's answer, from `1s` to `1h` (default `60s`)."),
    ]),
    blocks: &[],
};

/// `host:port` of a TCP socket (HAProxy's `ipv4@` or `ipv6@` prefix accepted).
fn tcp_endpoint(v: &str) -> Result<(), String> {
    let v = strip_family(v);
    match v.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => {
            crate::grammar::check_no_control(host)
        }
        _ => Err(format!("{v:?} is not host:port")),
    }
}

fn strip_family(v: &str) -> &str {
    v.strip_prefix("ipv4@")
        .or_else(|| v.strip_prefix("ipv6@"))
        .unwrap_or(v)
}

/// A Unix socket path, or a TCP `host:port`.
fn socket(v: &str) -> Result<(), String> {
    match v.starts_with('/') {
        true => crate::grammar::check_no_control(v),
        false => tcp_endpoint(v).map_err(|e| format!("{e}, nor an absolute Unix socket path")),
    }
}

fn absolute_path(v: &str) -> Result<(), String> {
    crate::grammar::check_no_control(v)?;
    match v.starts_with('/') {
        true => Ok(()),
        false => Err(format!("{v:?} is not an absolute path")),
    }
}

const HAPROXY: BlockSpec = BlockSpec {
    name: "haproxy",
    nesting: Nesting::Optional,
    description: "A HAProxy (2.4 or later, master-worker mode) on the machine Terraform runs on, or on another host through the `ssh` block: uccluster owns one marked section of its configuration file per virtual server and keeps every other byte, checks each new file with `haproxy -c` before a hitless reload through the master CLI, and changes members through the runtime API without a reload.",
    attrs: &[
        attr("config_path", Type::Text, Presence::Required, "Absolute path of the configuration file HAProxy is started with (`-f`), on HAProxy's host.").check(Check::Text { title: "Invalid path", check: absolute_path }),
        attr("runtime_address", Type::Text, Presence::Required, "`host:port` of the runtime API: a `stats socket ipv4@host:port level admin` line of the `global` section (keep its `stats timeout` above 5 s).").check(Check::Text { title: "Invalid address", check: tcp_endpoint }),
        attr("master_socket", Type::Text, Presence::Required, "The master CLI HAProxy was started with (`-S`): an absolute Unix socket path, or `host:port` (the only choice with the `ssh` block; HAProxy takes several `-S`).").check(Check::Text { title: "Invalid socket", check: socket }),
        attr("haproxy_command", Type::Text, Presence::Defaulted(DefaultValue::Text("haproxy")), "The program that checks a new configuration (`<program> -c -f <file>`) on HAProxy's host; default `haproxy` on the `PATH`.").check(Check::Text { title: "Invalid program", check: program }),
        attr("reload_timeout", Type::Text, Presence::Defaulted(DefaultValue::Text("30s")), "Limit for the check and for the master to report a reload, from `1s` to `1h` (default `30s`)."),
    ],
    blocks: &[HAPROXY_SSH],
};

const SPEC: Spec = Spec {
    description: "uccluster provider for the load balancers in front of UC clusters. One provider block is one balancer, named by its backend block (use aliases for several). Data sources: `lb_config` needs no balancer.",
    attrs: &[],
    blocks: &[F5, HAPROXY, IPVS],
    timeouts: &[],
};

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct LbProviderConfig<'a> {
    #[serde(with = "value::serde_as_vec")]
    pub f5: Value<F5Config<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub haproxy: Value<HaproxyConfig<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub ipvs: Value<IpvsConfig<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct F5Config<'a> {
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub partition: ValueString<'a>,
    pub ca_file: ValueString<'a>,
    pub certificate_sha256: ValueString<'a>,
    pub insecure_skip_tls_verify: ValueBool,
    pub request_timeout: ValueString<'a>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct HaproxyConfig<'a> {
    pub config_path: ValueString<'a>,
    pub runtime_address: ValueString<'a>,
    pub master_socket: ValueString<'a>,
    pub haproxy_command: ValueString<'a>,
    pub reload_timeout: ValueString<'a>,
    #[serde(with = "value::serde_as_vec", default)]
    pub ssh: Value<SshProviderConfig<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct IpvsConfig<'a> {
    pub ipvsadm: ValueString<'a>,
    #[serde(with = "value::serde_as_vec", default)]
    pub keepalived: Value<KeepalivedConfig<'a>>,
    #[serde(with = "value::serde_as_vec", default)]
    pub ssh: Value<SshProviderConfig<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct KeepalivedConfig<'a> {
    pub config_path: ValueString<'a>,
    pub keepalived_command: ValueString<'a>,
    pub reload_command: ValueList<ValueString<'a>>,
    pub reload_timeout: ValueString<'a>,
}

pub struct LbProvider {
    balancers: Arc<Balancers>,
}

impl LbProvider {
    pub fn new() -> Self {
        LbProvider {
            balancers: Arc::default(),
        }
    }
}

impl Default for LbProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// The devices and the connection of a balancer's host from its `ssh` block at `at`, errors at
/// their path inside it.
fn ssh_host(
    config: &SshProviderConfig<'_>,
    at: AttributePath,
    env_prefix: &str,
    diags: &mut Diagnostics,
) -> Option<(Devices, NodeConnection)> {
    let mut inner = Diagnostics::default();
    let settings = settings_from_config(config, env_prefix, false, &mut inner);
    for mut d in inner.errors {
        let mut path = at.clone();
        path.add_steps(d.attribute);
        d.attribute = path;
        diags.add_error(d);
    }
    diags.warnings.extend(inner.warnings);
    let devices = Devices::new(&MmpPrompt);
    devices.configure(crate::client::Settings {
        ssh: settings?.ssh,
        sql: None,
        api: None,
        cms_facts: Default::default(),
    });
    let node = NodeConnection {
        address: text(&config.address)?,
        host_key_fingerprint: text(&config.host_key_fingerprint),
        ..Default::default()
    };
    Some((devices, node))
}

/// The F5 backend of a valid `f5` block.
fn f5(config: &F5Config<'_>, diags: &mut Diagnostics) -> Option<Box<dyn Balancer>> {
    let at = |name: &'static str| AttributePath::new("f5").index(0).attribute(name);
    // Unknown until apply (a variable set then): only `configure` needs the value.
    let password = match config.password.is_unknown() {
        true => Some(String::new()),
        false => text(&config.password).or_else(|| env("LB_F5_PASSWORD")),
    };
    let Some(password) = password else {
        diags.error(
            "No password",
            "set password in the f5 block, or LB_F5_PASSWORD",
            at("password"),
        );
        return None;
    };
    crate::secrets::register(&password);
    let request_timeout = parse_duration(&text(&config.request_timeout)?, TLS_BOUNDS)
        .map_err(|e| diags.error("Invalid duration", e, at("request_timeout")))
        .ok()?;
    let trust = trust_policy(
        &config.ca_file,
        &config.certificate_sha256,
        &config.insecure_skip_tls_verify,
    )?;
    let address = text(&config.address)?;
    let host = match address.contains(':') {
        true => format!("[{address}]"),
        false => address,
    };
    let port = config.port.as_ref_option().copied().unwrap_or(443);
    let username = text(&config.username)
        .or_else(|| env("LB_F5_USERNAME"))
        .unwrap_or_else(|| "admin".into());
    Some(Box::new(F5 {
        devices: Devices::new(&MmpPrompt),
        target: https_target(
            format!("https://{host}:{port}"),
            trust,
            username,
            password,
            request_timeout,
        ),
        partition: text(&config.partition)?,
    }))
}

/// A line-protocol target on `host:port` (checked by the declaration).
fn line_target(endpoint: &str, protocol: Arc<dyn LineProtocol>) -> Option<LineTarget> {
    let (host, port) = strip_family(endpoint).rsplit_once(':')?;
    Some(LineTarget {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port: port.parse().ok()?,
        tls: None,
        username: String::new(),
        password: String::new(),
        protocol,
        connect_timeout: Duration::from_secs(10),
        reply_timeout: Duration::from_secs(60),
        // Below HAProxy's default `stats timeout` of 10 s, after which it closes the socket.
        idle_reconnect: Duration::from_secs(5),
        max_reply_bytes: 32 << 20,
    })
}

/// The HAProxy backend of a valid `haproxy` block.
fn haproxy(config: &HaproxyConfig<'_>, diags: &mut Diagnostics) -> Option<Box<dyn Balancer>> {
    let at = AttributePath::new("haproxy")
        .index(0)
        .attribute("reload_timeout");
    let reload_timeout = parse_duration(&text(&config.reload_timeout)?, TLS_BOUNDS)
        .map_err(|e| diags.error("Invalid duration", e, at))
        .ok()?;
    let (devices, host) = match &config.ssh {
        Value::Value(ssh) => {
            let at = AttributePath::new("haproxy")
                .index(0)
                .attribute("ssh")
                .index(0);
            let (devices, node) = ssh_host(ssh, at, HAPROXY_ENV, diags)?;
            (devices, ConfigHost::Ssh(node))
        }
        _ => (Devices::new(&MmpPrompt), ConfigHost::Local),
    };
    let master = text(&config.master_socket)?;
    let master = match (master.starts_with('/'), &host) {
        (true, ConfigHost::Local) => MasterSocket::Unix(master),
        (true, ConfigHost::Ssh(node)) => {
            diags.error(
                "Unix socket on another host",
                format!("HAProxy runs on {} (the ssh block), where this machine cannot open a Unix socket: start HAProxy with a TCP master CLI as well (`-S ipv4@<address>:<port>`; it takes several) and give that address here", node.address),
                AttributePath::new("haproxy").index(0).attribute("master_socket"),
            );
            return None;
        }
        (false, _) => MasterSocket::Tcp(line_target(&master, Arc::new(MasterCli))?),
    };
    Some(Box::new(Haproxy {
        devices,
        host,
        config_path: text(&config.config_path)?,
        runtime: line_target(&text(&config.runtime_address)?, Arc::new(RuntimeApi))?,
        master,
        haproxy: text(&config.haproxy_command)?,
        reload_timeout,
    }))
}

/// keepalived on the director `director`, from a valid `keepalived` block.
fn keepalived(
    config: &KeepalivedConfig<'_>,
    director: &NodeConnection,
    diags: &mut Diagnostics,
) -> Option<Keepalived> {
    let at = |name| {
        AttributePath::new("ipvs")
            .index(0)
            .attribute("keepalived")
            .index(0)
            .attribute(name)
    };
    let reload_timeout = parse_duration(&text(&config.reload_timeout)?, TLS_BOUNDS)
        .map_err(|e| diags.error("Invalid duration", e, at("reload_timeout")))
        .ok()?;
    let reload: Vec<String> = config
        .reload_command
        .as_ref_option()?
        .iter()
        .filter_map(text)
        .collect();
    if reload.is_empty() {
        diags.error(
            "Empty reload command",
            "give the program that makes keepalived reload, e.g. [\"systemctl\", \"reload\", \"keepalived\"]",
            at("reload_command"),
        );
        return None;
    }
    Some(Keepalived {
        host: ConfigHost::Ssh(director.clone()),
        config_path: text(&config.config_path)?,
        program: text(&config.keepalived_command)?,
        reload,
        reload_timeout,
    })
}

/// The balancer a valid configuration names; errors at the attribute.
fn balancer(config: &LbProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Box<dyn Balancer>> {
    SPEC.check(config, diags);
    let config = SPEC.with_defaults(config.clone()).ok()?;
    let named: Vec<&str> = [
        ("f5", config.f5.is_null()),
        ("haproxy", config.haproxy.is_null()),
        ("ipvs", config.ipvs.is_null()),
    ]
    .into_iter()
    .filter(|(_, null)| !null)
    .map(|(n, _)| n)
    .collect();
    if named.len() > 1 {
        diags.root_error(
            "One balancer per provider block",
            format!(
                "this block names {}: give each balancer its own provider block (alias = \"...\") and each lb_virtual_server its provider",
                named.join(" and ")
            ),
        );
        return None;
    }
    if let Value::Value(f5config) = &config.f5 {
        return f5(f5config, diags);
    }
    if let Value::Value(h) = &config.haproxy {
        return haproxy(h, diags);
    }
    match &config.ipvs {
        Value::Value(ipvs) => {
            let at = AttributePath::new("ipvs").index(0);
            let Value::Value(ssh) = &ipvs.ssh else {
                diags.error(
                    "No ssh block",
                    "the director is driven with ipvsadm over SSH: add an ssh block with its address",
                    at,
                );
                return None;
            };
            let (devices, director) = ssh_host(ssh, at.attribute("ssh").index(0), IPVS_ENV, diags)?;
            let keepalived = match &ipvs.keepalived {
                Value::Value(k) => Some(keepalived(k, &director, diags)?),
                _ => None,
            };
            Some(Box::new(Ipvs {
                devices,
                director,
                ipvsadm: text(&ipvs.ipvsadm)?,
                keepalived,
            }))
        }
        _ => None,
    }
}

#[async_trait::async_trait]
impl Provider for LbProvider {
    type Config<'a> = LbProviderConfig<'a>;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let mut schema = SPEC.schema();
        // The director's SSH settings are the other providers' own attributes.
        for (backend, env_prefix, device) in [
            ("ipvs", IPVS_ENV, "IPVS director"),
            ("haproxy", HAPROXY_ENV, "HAProxy host"),
        ] {
            if let Some(NestedBlock::Optional(b)) = schema.block.blocks.get_mut(backend) {
                if let Some(NestedBlock::Optional(ssh)) = b.blocks.get_mut("ssh") {
                    ssh.attributes
                        .extend(ssh_provider_attributes(env_prefix, device));
                }
            }
        }
        Some(schema)
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        // Values known only at apply (a director built by the same configuration) wait for it.
        if config.ipvs.is_unknown() || config.f5.is_unknown() || config.haproxy.is_unknown() {
            return Some(());
        }
        balancer(&config, diags);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        // No backend block: only the data sources can be used; a resource says so.
        if let Some(b) = balancer(&config, diags) {
            self.balancers.configure(LbDevice::new(b));
        }
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(HashMap::from([(
            "virtual_server".to_string(),
            Box::new(Adapted(VirtualServerResource::new(self.balancers.clone())))
                as Box<dyn DynamicResource>,
        )]))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::from([(
            "config".to_string(),
            Box::new(LbConfigDataSource) as Box<dyn DynamicDataSource>,
        )]))
    }
}
