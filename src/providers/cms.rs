//! The `cms` provider type: Cisco Meeting Server nodes reached through the MMP over SSH.

use super::ssh_settings::{ssh_provider_attributes, SshDefaults, SshProviderConfig};
use crate::resources::cms_database_cluster::DatabaseClusterResource;
use crate::resources::cms_xmpp_callbridge::XmppCallbridgeResource;
use crate::transport::interactive_shell::ShellPool;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use tf_provider::schema::{Block, Description, Schema};
use tf_provider::value::ValueEmpty;
use tf_provider::{Diagnostics, DynamicDataSource, DynamicResource, Provider};

const ENV_PREFIX: &str = "CMS";

/// What every `cms_*` resource of one provider process shares: the settings from the provider
/// block and the pool of MMP shells (one per node).
#[derive(Default)]
pub struct CmsClient {
    settings: RwLock<Option<SshDefaults>>,
    pub shells: ShellPool,
}

impl CmsClient {
    pub fn settings(&self) -> Result<SshDefaults, String> {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| "the cms provider is not configured yet".to_string())
    }
}

#[derive(Default)]
pub struct CmsProvider {
    client: Arc<CmsClient>,
}

#[async_trait::async_trait]
impl Provider for CmsProvider {
    type Config<'a> = SshProviderConfig<'a>;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: 1,
            block: Block {
                attributes: ssh_provider_attributes(ENV_PREFIX, "Meeting Server"),
                description: Description::markdown(
                    "Cisco Meeting Server clusters, configured through each node's MMP (SSH command line).",
                ),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        SshDefaults::from_config(&config, ENV_PREFIX, diags);
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        tracing::debug!(terraform_version, "configuring cms provider");
        let settings = SshDefaults::from_config(&config, ENV_PREFIX, diags)?;
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
        Some(HashMap::from([
            (
                "xmpp_callbridge".to_string(),
                Box::new(XmppCallbridgeResource::new(self.client.clone()))
                    as Box<dyn DynamicResource>,
            ),
            (
                "database_cluster".to_string(),
                Box::new(DatabaseClusterResource::new(self.client.clone()))
                    as Box<dyn DynamicResource>,
            ),
        ]))
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(HashMap::new())
    }
}
