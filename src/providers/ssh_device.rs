//! A provider type whose devices are reached over SSH (and, for some, their SQL port): the
//! provider block's SSH settings, and the client every resource of the process shares.

use super::ssh_settings::{
    sql_admin_attributes, ssh_provider_attributes, SshDefaults, SshProviderConfig,
};
use crate::transport::exec::HostPool;
use crate::transport::interactive_shell::ShellPool;
use crate::transport::mysql::MysqlPool;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tf_provider::schema::{Block, Description, Schema};
use tf_provider::value::ValueEmpty;
use tf_provider::{Diagnostics, DynamicDataSource, DynamicResource, Provider};

/// What every resource of one provider process shares: the settings from the provider block
/// and the per-device session pools (MMP shells, host exec connections, SQL connections).
pub struct DeviceClient {
    settings: RwLock<Option<SshDefaults>>,
    pub shells: ShellPool,
    pub hosts: HostPool,
    pub mysql: MysqlPool,
}

impl Default for DeviceClient {
    fn default() -> Self {
        DeviceClient {
            settings: RwLock::default(),
            shells: ShellPool::new(&crate::devices::cms::prompt::MmpPrompt),
            hosts: HostPool::default(),
            mysql: MysqlPool::default(),
        }
    }
}

impl DeviceClient {
    pub fn settings(&self) -> Result<SshDefaults, String> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| "the provider is not configured yet".to_string())
    }
}

type ResourceSet = fn(&Arc<DeviceClient>) -> HashMap<String, Box<dyn DynamicResource>>;

pub struct SshDeviceProvider {
    client: Arc<DeviceClient>,
    env_prefix: &'static str,
    device: &'static str,
    description: &'static str,
    resources: ResourceSet,
    /// The devices also have a MySQL side: the provider block takes its admin account.
    sql_admin: bool,
}

impl SshDeviceProvider {
    /// `env_prefix` names the credential variables (`<prefix>_USERNAME`, `<prefix>_PASSWORD`).
    pub fn new(
        env_prefix: &'static str,
        device: &'static str,
        description: &'static str,
        resources: ResourceSet,
    ) -> Self {
        SshDeviceProvider {
            client: Arc::default(),
            env_prefix,
            device,
            description,
            resources,
            sql_admin: false,
        }
    }

    pub fn with_sql_admin(mut self) -> Self {
        self.sql_admin = true;
        self
    }
}

#[async_trait::async_trait]
impl Provider for SshDeviceProvider {
    type Config<'a> = SshProviderConfig<'a>;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: 1,
            block: Block {
                attributes: ssh_provider_attributes(self.env_prefix, self.device)
                    .into_iter()
                    .chain(match self.sql_admin {
                        true => sql_admin_attributes(self.env_prefix),
                        false => HashMap::new(),
                    })
                    .collect(),
                description: Description::markdown(self.description),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        SshDefaults::from_config(&config, self.env_prefix, diags);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        tracing::debug!(
            terraform_version,
            device = self.device,
            "configuring provider"
        );
        let settings = SshDefaults::from_config(&config, self.env_prefix, diags)?;
        if let Some(p) = &settings.mysql_admin_password {
            crate::secrets::register(p);
        }
        *self
            .client
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(settings);
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some((self.resources)(&self.client))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::new())
    }
}
