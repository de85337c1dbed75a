//! `imp_database_tables`: the publisher's table names matching a pattern, from Informix's
//! `systables` through AXL `executeSQLQuery`. Nothing but that one query is sent.

mod attributes;

use crate::client::imp::query;
use crate::devices::imp::facts::Id;
use crate::devices::imp::sql::tables_like;
use crate::providers::imp::{ImpSlot, HTTPS_PORT};
use crate::resources::values::{known, text};
use attributes::SPEC;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueBool, ValueEmpty, ValueList, ValueString};
use tf_provider::{AttributePath, DataSource, Diagnostics};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DatabaseTablesState<'a> {
    pub address: ValueString<'a>,
    pub pattern: ValueString<'a>,
    pub tables: ValueList<ValueString<'a>>,
    pub peer_table: ValueString<'a>,
    pub peer_table_found: ValueBool,
}

pub struct DatabaseTablesDataSource {
    pub imp: Arc<ImpSlot>,
}

#[async_trait::async_trait]
impl DataSource for DatabaseTablesDataSource {
    type State<'a> = DatabaseTablesState<'a>;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(SPEC.schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        SPEC.check(&config, diags);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let imp = self.imp.get(diags)?;
        let config = SPEC.with_defaults(config).ok()?;
        let address = text(&config.address).unwrap_or_default();
        let pattern = text(&config.pattern).unwrap_or_default();
        let checked = crate::grammar::parse_endpoint(&address)
            .map_err(|e| ("address", e))
            .and_then(|endpoint| {
                tables_like(&pattern)
                    .map(|sql| (endpoint, sql))
                    .map_err(|e| ("pattern", e))
            });
        let ((host, port), sql) = match checked {
            Ok(c) => c,
            Err((attribute, e)) => {
                diags.error(
                    format!("Invalid {attribute}"),
                    e,
                    AttributePath::new(attribute),
                );
                return None;
            }
        };
        let target = imp.target(&host, port.unwrap_or(HTTPS_PORT));
        let rows = match query(&imp.devices, &target, &imp.axl_version, &sql).await {
            Ok(rows) => rows,
            Err(e) => {
                diags.root_error(
                    format!("Cannot read the tables of {address}"),
                    e.to_string(),
                );
                return None;
            }
        };
        let tables: Vec<String> = rows
            .iter()
            .filter_map(|r| r.get("tabname"))
            .map(|t| t.trim().to_string())
            .collect();
        let peer_table = imp.names.name(Id::PeerTable).to_string();
        let found = tables.iter().any(|t| t.eq_ignore_ascii_case(&peer_table));
        Some(DatabaseTablesState {
            tables: Value::Value(tables.into_iter().map(known).collect()),
            peer_table: known(peer_table),
            peer_table_found: Value::Value(found),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::assert_declares;

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &[], &DatabaseTablesState::default());
    }
}
