//! The declaration of every `cms_database_cluster` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use super::state::{DEFAULT_INTERFACE, MEMBERSHIP_CLIENT, MEMBERSHIP_DATABASE};
use super::validate_node_name;
use crate::devices::cms::database_cluster::validate_interface_name;
use crate::resources::node_checks::{ADDRESS, SSH_NODE_ROWS};
use crate::resources::spec::{
    attr, rows, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::timeouts::Operation;
use std::time::Duration;

/// How a certificate attribute is given, at the end of its description.
macro_rules! pem {
    ($what:literal) => {
        concat!(
            $what,
            ": PEM text (e.g. `file(\"dbserver.key\")`) or the path of a PEM file. Uploaded by SFTP to every node under a stable name."
        )
    };
}

fn membership_check(m: &str) -> Result<(), String> {
    match m {
        MEMBERSHIP_DATABASE | MEMBERSHIP_CLIENT => Ok(()),
        _ => Err(format!("{m:?}: use \"database\" or \"client\"")),
    }
}

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "The replicated database cluster of a Cisco Meeting Server deployment: certificates, interface, master and replicas (and database clients), across 2 to 5 database nodes.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The `initial_master` name."),
        attr("initial_master", Type::Text, Presence::Required, "Name of the node that initializes the cluster (`database cluster initialize`). Only used when there is no cluster yet."),
        attr("current_master", Type::Text, Presence::Computed, "Name of the node that is the database master now (it moves on failover)."),
        attr("server_key", Type::Text, Presence::Required, pem!("Private key of the database server certificate")).sensitive(),
        attr("server_certificate", Type::Text, Presence::Required, pem!("Database server certificate")),
        attr("client_key", Type::Text, Presence::Required, pem!("Private key of the database client certificate (CN `postgres`)")).sensitive(),
        attr("client_certificate", Type::Text, Presence::Required, pem!("Database client certificate (CN `postgres`)")),
        attr("ca_bundle", Type::Text, Presence::Required, pem!("CA certificate(s) that signed both certificates")),
    ],
    blocks: &[BlockSpec {
        name: "node",
        nesting: Nesting::List,
        blocks: &[],
        description: "A Meeting Server node of the cluster.",
        attrs: &rows::<12>(
            &rows::<9>(&[
            attr("name", Type::Text, Presence::Required, "Name of the node in this configuration (used by `initial_master`, in messages and in the import ID): 1 to 63 letters, digits, `.`, `_`, `-`.")
                .check(Check::Text { title: "Invalid node name", check: validate_node_name }),
            attr("address", Type::Text, Presence::Required, "Cluster address of the node: what `database cluster join` is given on the other nodes.").check(ADDRESS),
            attr("interface", Type::Text, Presence::Defaulted(DefaultValue::Text(DEFAULT_INTERFACE)), "MMP interface the node clusters on (`database cluster localnode`): `a`, `b`, `c` or `d`. Default `a`.")
                .check(Check::Text { title: "Invalid interface", check: validate_interface_name }),
            attr("membership", Type::Text, Presence::Defaulted(DefaultValue::Text(MEMBERSHIP_DATABASE)), "`database` (default): holds a replica of the database (`join`); `client`: a database-less node that connects to the cluster (`database cluster connect`).")
                .check(Check::Text { title: "Invalid membership", check: membership_check }),
            ], &SSH_NODE_ROWS),
            &[
            attr("role", Type::Text, Presence::Computed, "What the node is now: `primary`, `replica`, `client` or `none`. A failover changes it; that is not drift."),
            attr("state", Type::Text, Presence::Computed, "What the node reports: `connected`, `connecting`, `disconnected`, `standalone` (left the cluster), `other_cluster`, `error` or `unreachable`."),
            attr("certificates", Type::Text, Presence::Computed, "The node's certificate set: `current`, `outdated` (same files, other content), `other` (other files) or `none`."),
            ],
        ),
    }],
    timeouts: &[
        (Operation::Create, Duration::from_secs(900)),
        (Operation::Read, Duration::from_secs(300)),
        (Operation::Update, Duration::from_secs(900)),
        (Operation::Delete, Duration::from_secs(600)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        use super::super::state::{ClusterState, DbNode};
        assert_declares(&SPEC.names(), &["timeouts"], &ClusterState::default());
        assert_declares(&names_of(SPEC.blocks[0].attrs), &[], &DbNode::default());
    }
}
