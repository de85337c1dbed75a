//! A provider type whose provider block has no settings yet: its resources have not landed
//! (so modules can already declare it and `terraform init` resolves it), or it has only data
//! sources that need no device (`lb_config`).

use std::collections::HashMap;
use tf_provider::schema::{Block, Description, Schema};
use tf_provider::value::ValueEmpty;
use tf_provider::{Diagnostics, DynamicDataSource, DynamicResource, Provider};

type DataSourceSet = fn() -> HashMap<String, Box<dyn DynamicDataSource>>;

pub struct EmptyProvider {
    about: &'static str,
    /// The provider type (`lb`), which prefixes its data sources' names.
    type_name: &'static str,
    data_sources: DataSourceSet,
}

fn none() -> HashMap<String, Box<dyn DynamicDataSource>> {
    HashMap::new()
}

impl EmptyProvider {
    pub fn new(about: &'static str) -> Self {
        EmptyProvider {
            about,
            type_name: "",
            data_sources: none,
        }
    }

    pub fn with_data_sources(
        mut self,
        type_name: &'static str,
        data_sources: DataSourceSet,
    ) -> Self {
        self.type_name = type_name;
        self.data_sources = data_sources;
        self
    }

    /// What the provider offers so far, for its page.
    fn description(&self) -> String {
        let mut names: Vec<String> = (self.data_sources)().into_keys().collect();
        names.sort();
        let offered = match names.is_empty() {
            true => String::new(),
            false => {
                let names: Vec<String> = names
                    .iter()
                    .map(|n| format!("`{}_{n}`", self.type_name))
                    .collect();
                format!(" Data sources: {}.", names.join(", "))
            }
        };
        format!(
            "uccluster provider for {}. No resources yet.{offered}",
            self.about
        )
    }
}

#[async_trait::async_trait]
impl Provider for EmptyProvider {
    type Config<'a> = ValueEmpty;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(Schema {
            version: 1,
            block: Block {
                description: Description::markdown(self.description()),
                ..Default::default()
            },
        })
    }

    async fn configure<'a>(
        &self,
        _diags: &mut Diagnostics,
        _terraform_version: String,
        _config: Self::Config<'a>,
    ) -> Option<()> {
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(HashMap::new())
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some((self.data_sources)())
    }
}
