//! `lb_config`: the configuration text of a load-balanced site for a balancer without an API
//! (Foundry ServerIron, Alteon AD3, F5 BIG-IP v9), rendered by `devices::lb::legacy` from the
//! virtual servers the configuration declares, after the seed's rules (`devices::lb::rules`).
//! Everything is decided at plan time: a bad service is an error naming its attribute before
//! anything is rendered; nothing is sent to any device.

mod attributes;

use crate::devices::lb::legacy::{render, Site, VENDORS};
use crate::devices::lb::rules;
use crate::devices::lb::virtual_server::word;
use crate::resources::image::image;
use crate::resources::lb_virtual_server::state::F5Block;
use crate::resources::lb_virtual_server::{model, report};
use crate::resources::values::text;
use attributes::SPEC;
use serde::{Deserialize, Serialize};
use tf_provider::schema::Schema;
use tf_provider::value::{self, Value, ValueBool, ValueEmpty, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, DataSource, Diagnostics};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct ConfigState<'a> {
    pub vendor: ValueString<'a>,
    pub alteon_first_real: ValueNumber,
    pub alteon_group_names: ValueList<ValueString<'a>>,
    pub text: ValueString<'a>,
    pub virtual_server: ValueList<Value<VirtualServerBlock<'a>>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct VirtualServerBlock<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub protocol: ValueString<'a>,
    pub method: ValueString<'a>,
    pub forwarding: ValueString<'a>,
    pub persistence: ValueString<'a>,
    pub monitors: ValueList<ValueString<'a>>,
    pub member: ValueList<Value<MemberBlock<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub f5: Value<F5Block<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MemberBlock<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub weight: ValueNumber,
    pub enabled: ValueBool,
}

pub struct LbConfigDataSource;

fn vs_path(i: usize) -> AttributePath {
    AttributePath::new("virtual_server").index(i as i64)
}

/// A known number that fits `T`; `None` while unknown (the plan cannot tell yet).
fn number<T: TryFrom<i64>>(v: &ValueNumber) -> Option<T> {
    v.as_ref_option().and_then(|n| T::try_from(*n).ok())
}

/// The site the configuration describes (defaults filled in), or `None` while some value is
/// unknown. Values were checked by the declaration; what still fails to convert is reported.
fn site_of(config: &ConfigState<'_>, diags: &mut Diagnostics) -> Option<Site> {
    let config = SPEC.with_defaults(config.clone()).ok()?;
    let blocks = config.virtual_server.as_ref_option()?;
    let mut virtual_servers = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let block = block.as_ref_option()?;
        virtual_servers.push(model::virtual_server(&image(block), &vs_path(i), diags).ok()?);
    }
    Some(Site {
        virtual_servers,
        alteon_first_real: number(&config.alteon_first_real)?,
        alteon_group_names: config
            .alteon_group_names
            .as_ref_option()
            .map(|l| l.iter().filter_map(text).collect())
            .unwrap_or_default(),
    })
}

/// The seed's rules for every service, each finding at its attribute.
fn check_rules(site: &Site, diags: &mut Diagnostics) {
    for (i, vs) in site.virtual_servers.iter().enumerate() {
        report(rules::check(vs), &vs_path(i), diags);
    }
}

/// The text for the configured vendor, or the error naming what the vendor cannot say.
fn rendered(config: &ConfigState<'_>, diags: &mut Diagnostics) -> Option<String> {
    let site = site_of(config, diags)?;
    if site.virtual_servers.is_empty() {
        diags.error(
            "No virtual servers",
            "at least one virtual_server block is required",
            AttributePath::new("virtual_server"),
        );
    }
    check_rules(&site, diags);
    let vendor = word(VENDORS, &text(&config.vendor)?).ok()?;
    if !diags.errors.is_empty() {
        return None;
    }
    render(vendor, &site)
        .map_err(|e| {
            diags.error(
                format!(
                    "Not expressible on {}",
                    text(&config.vendor).unwrap_or_default()
                ),
                e.detail,
                vs_path(e.virtual_server).attribute(e.attribute),
            )
        })
        .ok()
}

#[async_trait::async_trait]
impl DataSource for LbConfigDataSource {
    type State<'a> = ConfigState<'a>;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(SPEC.schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        SPEC.check(&config, diags);
        if diags.errors.is_empty() {
            // Known already at plan time: the rules and what the vendor can say.
            rendered(&config, diags);
        }
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let text = rendered(&config, diags)?;
        let state = SPEC.with_defaults(config).ok()?;
        Some(ConfigState {
            text: Value::Value(text.into()),
            ..state
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &[], &ConfigState::default());
        let vs = &SPEC.blocks[0];
        let mut names = names_of(vs.attrs);
        names.extend(vs.blocks.iter().map(|b| b.name));
        assert_declares(&names, &[], &VirtualServerBlock::default());
        assert_declares(&names_of(vs.blocks[0].attrs), &[], &MemberBlock::default());
        assert_declares(&names_of(vs.blocks[1].attrs), &[], &F5Block::default());
    }
}
