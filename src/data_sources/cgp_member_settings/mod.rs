//! `cgp_member_settings`: one member's settings dictionaries as its CLI returns them, and the
//! key table (`devices::cgp::keys`) checked against them. Read-only: nothing is sent but `Get`
//! commands and `GETVERSION`.

mod attributes;

use crate::client::TransportError;
use crate::devices::cgp::cli::{parse_reply, simple, Reply};
use crate::devices::cgp::data::parse;
use crate::devices::cgp::keys::{Id, KeyTable, Kind, Status, TABLE};
use crate::providers::cgp::{Cgp, CgpSlot};
use crate::resources::values::{known, text};
use attributes::SPEC;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty, ValueList, ValueNumber, ValueString};
use tf_provider::{DataSource, Diagnostics};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MemberSettingsState<'a> {
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub version: ValueString<'a>,
    pub cluster_settings: ValueString<'a>,
    pub network: ValueString<'a>,
    pub cluster_network: ValueString<'a>,
    pub keys: ValueList<ValueString<'a>>,
}

pub struct MemberSettingsDataSource {
    pub cgp: Arc<CgpSlot>,
}

/// The dictionaries the key table reads, in the order they are asked for.
const READS: [Id; 3] = [
    Id::GetClusterSettings,
    Id::GetNetwork,
    Id::GetClusterNetwork,
];

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Confirmed => "confirmed",
        Status::Likely => "likely",
        Status::Unconfirmed => "unconfirmed",
    }
}

/// One line per dictionary key of the table: its name here, how sure the table is, and
/// whether the member's dictionary has it.
fn key_lines(keys: &KeyTable, read: &[(Id, String)]) -> Vec<String> {
    TABLE
        .iter()
        .filter_map(|e| match e.kind {
            Kind::Key { get, .. } => Some((e, get)),
            Kind::Command => None,
        })
        .map(|(e, get)| {
            let command = keys.name(get);
            let name = keys.name(e.id);
            let found = read
                .iter()
                .find(|(id, _)| *id == get)
                .and_then(|(_, text)| parse(text).ok())
                .is_some_and(|dict| dict.get(name).is_some());
            let place = match found {
                true => format!("found in {command}"),
                false => format!("not in {command}"),
            };
            format!(
                "{} = {name} ({}, {}): {place}",
                e.stable_id,
                status_word(e.status),
                e.source
            )
        })
        .collect()
}

/// One command's data reply; anything else is the server's error, in its words.
async fn ask(cgp: &Cgp, target: &crate::client::LineTarget, id: Id) -> Result<String, String> {
    let line = simple(cgp.keys(), id).map_err(|e| e.to_string())?;
    let mut session = cgp.devices.line(target).await;
    let reply = session
        .request(&line)
        .await
        .map_err(|e: TransportError| e.to_string())?;
    match parse_reply(&reply) {
        Ok(Reply::Data(text)) => Ok(text),
        Ok(Reply::Ok) => Ok(String::new()),
        Err(e) => Err(format!(
            "{} on {}: {line}: {} {}",
            cgp.keys().name(id),
            target.host,
            e.code,
            e.text
        )),
    }
}

#[async_trait::async_trait]
impl DataSource for MemberSettingsDataSource {
    type State<'a> = MemberSettingsState<'a>;
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
        let cgp = self.cgp.get(diags)?;
        let host = text(&config.address)?;
        let port = config
            .port
            .as_ref_option()
            .and_then(|p| u16::try_from(*p).ok());
        let target = cgp.target(&host, port);
        let mut read = Vec::new();
        for id in READS {
            match ask(&cgp, &target, id).await {
                Ok(text) => read.push((id, text)),
                Err(e) => {
                    diags.root_error(format!("Cannot read {host}"), e);
                    return None;
                }
            }
        }
        let version = match ask(&cgp, &target, Id::GetVersion).await {
            Ok(v) => v,
            Err(e) => {
                diags.root_error(format!("Cannot read {host}"), e);
                return None;
            }
        };
        let dict = |id| {
            let text = read
                .iter()
                .find(|(i, _)| *i == id)
                .map_or(String::new(), |(_, t)| t.clone());
            known(text)
        };
        Some(MemberSettingsState {
            version: known(version.trim_matches('"').to_string()),
            cluster_settings: dict(Id::GetClusterSettings),
            network: dict(Id::GetNetwork),
            cluster_network: dict(Id::GetClusterNetwork),
            keys: Value::Value(
                key_lines(cgp.keys(), &read)
                    .into_iter()
                    .map(known)
                    .collect(),
            ),
            ..config
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::cgp::keys::Overrides;
    use crate::resources::spec::assert_declares;

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &[], &MemberSettingsState::default());
    }

    #[test]
    fn each_key_says_where_it_was_found_under_its_name_here() {
        let keys = KeyTable::new(Overrides::new([("server_wan_address", "WANIPAddress")]).unwrap());
        let read = vec![
            (
                Id::GetClusterSettings,
                "{SIPFarmMode=Member;LegHostMode=Auto;}".to_string(),
            ),
            (
                Id::GetNetwork,
                "{UseRBL=NO;WANIPAddress=\"192.0.2.5\";}".to_string(),
            ),
            (Id::GetClusterNetwork, "{}".to_string()),
        ];
        let lines = key_lines(&keys, &read);
        let line = |id: &str| {
            lines
                .iter()
                .find(|l| l.starts_with(&format!("{id} = ")))
                .cloned()
                .unwrap_or_default()
        };
        assert!(
            line("sip_farm_mode").ends_with("found in GetClusterSettings"),
            "{lines:?}"
        );
        assert!(
            line("signal_host_mode").ends_with("not in GetClusterSettings"),
            "{lines:?}"
        );
        assert!(
            line("server_wan_address").starts_with("server_wan_address = WANIPAddress ("),
            "{lines:?}"
        );
        assert!(
            line("server_wan_address").ends_with("found in GetNetwork"),
            "{lines:?}"
        );
        assert!(
            line("cluster_wan_address").contains("unconfirmed"),
            "{lines:?}"
        );
    }
}
