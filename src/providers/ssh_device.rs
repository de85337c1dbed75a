//! A provider type whose devices are reached over SSH (and, for some, their SQL port): the
//! provider block, and the [`Devices`] every resource of the process shares.

use super::ssh_settings::{
    api_settings_from_config, fact_override_attributes, facts_from_config, rest_api_attributes,
    settings_from_config, sql_admin_attributes, ssh_provider_attributes, SshProviderConfig,
};
use crate::client::{Devices, PromptGrammar, Settings};
use std::collections::HashMap;
use std::sync::Arc;
use tf_provider::schema::{Block, Description, Schema};
use tf_provider::value::ValueEmpty;
use tf_provider::{Diagnostics, DynamicDataSource, DynamicResource, Provider};

type ResourceSet = fn(&Arc<Devices>) -> HashMap<String, Box<dyn DynamicResource>>;

pub struct SshDeviceProvider {
    devices: Arc<Devices>,
    env_prefix: &'static str,
    device: &'static str,
    description: &'static str,
    resources: ResourceSet,
    /// The devices also have a MySQL side: the provider block takes its admin account.
    sql_admin: bool,
    /// The devices also have a REST API: the provider block takes its account and trust.
    rest_api: bool,
    /// The provider block takes `fact_overrides` (CMS's unpublished labels and words).
    fact_overrides: bool,
}

impl SshDeviceProvider {
    /// `prompt` is the devices' shell prompt; `env_prefix` names the credential variables (`<prefix>_USERNAME`, `<prefix>_PASSWORD`).
    pub fn new(
        prompt: &'static dyn PromptGrammar,
        env_prefix: &'static str,
        device: &'static str,
        description: &'static str,
        resources: ResourceSet,
    ) -> Self {
        SshDeviceProvider {
            devices: Arc::new(Devices::new(prompt)),
            env_prefix,
            device,
            description,
            resources,
            sql_admin: false,
            rest_api: false,
            fact_overrides: false,
        }
    }

    pub fn with_sql_admin(mut self) -> Self {
        self.sql_admin = true;
        self
    }

    pub fn with_rest_api(mut self) -> Self {
        self.rest_api = true;
        self
    }

    pub fn with_fact_overrides(mut self) -> Self {
        self.fact_overrides = true;
        self
    }

    /// The SSH settings, the API's when the devices have one, and the site's facts.
    fn settings(
        &self,
        config: &SshProviderConfig<'_>,
        diags: &mut Diagnostics,
    ) -> Option<Settings> {
        let mut settings = settings_from_config(config, self.env_prefix, self.sql_admin, diags)?;
        if self.rest_api {
            settings.api = Some(api_settings_from_config(
                config,
                self.env_prefix,
                &settings.ssh,
                diags,
            )?);
        }
        if self.fact_overrides {
            settings.cms_facts = facts_from_config(config, diags)?;
        }
        Some(settings)
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
                    .chain(match self.rest_api {
                        true => rest_api_attributes(self.env_prefix),
                        false => HashMap::new(),
                    })
                    .chain(match self.fact_overrides {
                        true => fact_override_attributes(),
                        false => HashMap::new(),
                    })
                    .collect(),
                description: Description::markdown(self.description),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        self.settings(&config, diags);
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
        let settings = self.settings(&config, diags)?;
        if let Some(p) = settings
            .sql
            .as_ref()
            .and_then(|s| s.admin_password.as_ref())
        {
            crate::secrets::register(p);
        }
        self.devices.configure(settings);
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some((self.resources)(&self.devices))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::new())
    }
}
