//! The declaration of every `imp_database_tables` attribute (see [`crate::resources::spec`]).

use crate::resources::spec::{attr, Check, DefaultValue, Presence, Spec, Type};

fn endpoint(v: &str) -> Result<(), String> {
    crate::grammar::parse_endpoint(v).map(drop)
}

fn pattern(v: &str) -> Result<(), String> {
    match v.is_empty() || v.len() > 128 {
        true => Err(format!("{v:?} must be 1 to 128 characters")),
        false => crate::devices::imp::sql::literal(v).map(drop),
    }
}

pub const SPEC: Spec = Spec {
    description: "The database tables of an IM and Presence database publisher whose names match a pattern, read through AXL `executeSQLQuery` on Informix's catalog (`SELECT tabname FROM systables WHERE tabname LIKE ...`). Cisco publishes no table for intercluster peers; with this a site with a real IM&P confirms in one `terraform plan` which table holds them before `peer_store = \"axl_sql\"` writes to it, and sets `sql_overrides` in the provider block when its name differs. Read-only.",
    attrs: &[
        attr("address", Type::Text, Presence::Required, "The publisher's HTTPS endpoint, `host` or `host:port` (default port 8443).").check(Check::Text { title: "Invalid address", check: endpoint }),
        attr("pattern", Type::Text, Presence::Defaulted(DefaultValue::Text("%peer%")), "An Informix `LIKE` pattern (`%` any characters, `_` one), default `%peer%`.").check(Check::Text { title: "Invalid pattern", check: pattern }),
        attr("tables", Type::TextList, Presence::Computed, "The matching table names, in order."),
        attr("peer_table", Type::Text, Presence::Computed, "The name the provider reads and writes intercluster peers under (the table's `peer_table` entry, or its `sql_overrides`)."),
        attr("peer_table_found", Type::Bool, Presence::Computed, "Whether the publisher's catalog has a table of that name."),
    ],
    blocks: &[],
    timeouts: &[],
};
