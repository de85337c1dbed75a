//! The declaration of every `cgp_member_settings` attribute (see [`crate::resources::spec`]).

use crate::resources::node_checks::ADDRESS;
use crate::resources::spec::{attr, Check, Presence, Spec, Type};

pub const SPEC: Spec = Spec {
    description: "The settings dictionaries of one CommuniGate Pro cluster member, as its CLI returns them (`GetClusterSettings`, `GetNetwork`, `GetClusterNetwork`, `GETVERSION`), and the key table checked against them: a site with a real server sees in one `terraform plan` which of the table's key names its server uses, and sets `key_overrides` in the provider block for the others.",
    attrs: &[
        attr("address", Type::Text, Presence::Required, "Address (IP or host name) of the member's CLI.").check(ADDRESS),
        attr("port", Type::Number, Presence::Optional, "Its CLI port; unset: the provider's.").check(Check::Port),
        attr("version", Type::Text, Presence::Computed, "What `GETVERSION` answers."),
        attr("cluster_settings", Type::Text, Presence::Computed, "The member's Cluster page dictionary (`GetClusterSettings`), as the server wrote it."),
        attr("network", Type::Text, Presence::Computed, "The member's server-wide network dictionary (`GetNetwork`)."),
        attr("cluster_network", Type::Text, Presence::Computed, "The cluster-wide network dictionary (`GetClusterNetwork`)."),
        attr("keys", Type::TextList, Presence::Computed, "One line per dictionary key of the key table: `<id> = <name> (<status>, <source>): found in <command>` or `: not in <command>`."),
    ],
    blocks: &[],
    timeouts: &[],
};
