//! The `lb` provider: one balancer per provider block (aliases for several), named by the one
//! backend block it holds, and the data sources that need no balancer (`lb_config`).

use super::ssh_settings::{settings_from_config, ssh_provider_attributes, SshProviderConfig};
use crate::client::{Devices, NodeConnection, SshSettings};
use crate::data_sources::lb_config::LbConfigDataSource;
use crate::devices::cms::prompt::MmpPrompt;
use crate::resources::adapter::Adapted;
use crate::resources::image::{from_image, image};
use crate::resources::lb_virtual_server::backend::{Balancer, LbDevice};
use crate::resources::lb_virtual_server::ipvs::Ipvs;
use crate::resources::lb_virtual_server::{Balancers, VirtualServerResource};
use crate::resources::node_checks::{ADDRESS, FINGERPRINT};
use crate::resources::spec::{attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type};
use crate::resources::values::text;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tf_provider::schema::{NestedBlock, Schema};
use tf_provider::value::{self, Value, ValueBool, ValueEmpty, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics, DynamicDataSource, DynamicResource, Provider};

/// The prefix of the IPVS director's credential variables (`LB_IPVS_PASSWORD`).
const IPVS_ENV: &str = "LB_IPVS";

fn program(v: &str) -> Result<(), String> {
    crate::grammar::check_no_control(v)?;
    match v.is_empty() {
        true => Err("the program is empty".into()),
        false => Ok(()),
    }
}

const IPVS: BlockSpec = BlockSpec {
    name: "ipvs",
    nesting: Nesting::Optional,
    description: "A Linux IPVS director, driven with `ipvsadm` over SSH (the SSH user must be allowed to run it). The SSH settings are those of the other uccluster providers.",
    attrs: &[
        attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the director's SSH server.").check(ADDRESS),
        attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of the director's SSH host key (`SHA256:...` as `ssh-keygen -lf` prints it). Takes precedence over `known_hosts_file`.").check(FINGERPRINT),
        attr("ipvsadm", Type::Text, Presence::Defaulted(DefaultValue::Text("ipvsadm")), "The `ipvsadm` program on the director (default `ipvsadm`, found on the SSH user's `PATH`), e.g. `sudo ipvsadm` is not accepted: give the path of a program the user may run.").check(Check::Text { title: "Invalid program", check: program }),
    ],
    blocks: &[],
};

const SPEC: Spec = Spec {
    description: "uccluster provider for the load balancers in front of UC clusters. One provider block is one balancer, named by its backend block (use aliases for several). Data sources: `lb_config` needs no balancer.",
    attrs: &[],
    blocks: &[IPVS],
    timeouts: &[],
};

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct LbProviderConfig<'a> {
    #[serde(with = "value::serde_as_vec")]
    pub ipvs: Value<IpvsConfig<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct IpvsConfig<'a> {
    pub address: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    pub ipvsadm: ValueString<'a>,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub private_key: ValueString<'a>,
    pub private_key_passphrase: ValueString<'a>,
    pub port: ValueNumber,
    pub known_hosts_file: ValueString<'a>,
    pub insecure_skip_host_key_check: ValueBool,
    pub connect_timeout: ValueString<'a>,
    pub command_timeout: ValueString<'a>,
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

/// The SSH settings of a backend block, errors at their path inside it.
fn ssh_settings(
    block: &impl Serialize,
    at: AttributePath,
    env_prefix: &str,
    diags: &mut Diagnostics,
) -> Option<SshSettings> {
    let config: SshProviderConfig<'_> = from_image(image(block)).ok()?;
    let mut inner = Diagnostics::default();
    let settings = settings_from_config(&config, env_prefix, false, &mut inner);
    for mut d in inner.errors {
        let mut path = at.clone();
        path.add_steps(d.attribute);
        d.attribute = path;
        diags.add_error(d);
    }
    diags.warnings.extend(inner.warnings);
    settings.map(|s| s.ssh)
}

/// The balancer a valid configuration names; errors at the attribute.
fn balancer(config: &LbProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Box<dyn Balancer>> {
    SPEC.check(config, diags);
    let config = SPEC.with_defaults(config.clone()).ok()?;
    match &config.ipvs {
        Value::Value(ipvs) => {
            let ssh = ssh_settings(ipvs, AttributePath::new("ipvs").index(0), IPVS_ENV, diags)?;
            let devices = Devices::new(&MmpPrompt);
            devices.configure(crate::client::Settings { ssh, sql: None });
            Some(Box::new(Ipvs {
                devices,
                director: NodeConnection {
                    address: text(&ipvs.address)?,
                    host_key_fingerprint: text(&ipvs.host_key_fingerprint),
                    ..Default::default()
                },
                ipvsadm: text(&ipvs.ipvsadm)?,
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
        if let Some(NestedBlock::Optional(ipvs)) = schema.block.blocks.get_mut("ipvs") {
            ipvs.attributes
                .extend(ssh_provider_attributes(IPVS_ENV, "IPVS director"));
        }
        Some(schema)
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        // Values known only at apply (a director built by the same configuration) wait for it.
        if config.ipvs.is_unknown() {
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
