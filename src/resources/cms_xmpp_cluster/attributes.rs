//! The declaration of every `cms_xmpp_cluster` attribute: type, description, default, grammar,
//! sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::resources::cms_database_cluster::validate_node_name;
use crate::resources::node_checks::{ADDRESS, SSH_NODE_ROWS};
use crate::resources::spec::{attr, rows, BlockSpec, Check, Nesting, Presence, Spec, Type};
use crate::timeouts::Operation;
use std::time::Duration;

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "The XMPP cluster of Cisco Meeting Server nodes (XMPP resiliency, Cisco TAC 213479): the trust bundle and cluster mode on every node, `initialize` on the first, `join` on the others, and a wait until `xmpp cluster status` lists every node once.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The first node's name."),
        attr("trust_bundle", Type::Text, Presence::Required, "Certificates of every XMPP node (`xmpp cluster trust <bundle>`): PEM text (e.g. `file(\"cluster-trust.crt\")`) or the path of a PEM file. Uploaded by SFTP to every node under a stable name, only when its content differs."),
        attr("leader", Type::Text, Presence::Computed, "The node the cluster has elected leader now (its `name`; the address when it is not a listed node). An election is the cluster doing its job, not drift."),
        attr("peers", Type::TextList, Presence::Computed, "The addresses `xmpp cluster status` lists, sorted; a stale or duplicate entry (Cisco bug CSCvi67717) shows here and is removed by the next apply."),
    ],
    blocks: &[BlockSpec {
        name: "node",
        nesting: Nesting::List,
        blocks: &[],
        description: "An XMPP server node; at least two (three for resiliency: a leader needs more than half of the nodes). The first one initializes a new cluster; the others join it. The XMPP server itself (certificates, listen, domain) is `cms_node_services`'s.",
        attrs: &rows::<9>(
            &rows::<7>(&[
            attr("name", Type::Text, Presence::Required, "Name of the node in this configuration (in messages, `leader` and the import ID): 1 to 63 letters, digits, `.`, `_`, `-`.")
                .check(Check::Text { title: "Invalid node name", check: validate_node_name }),
            attr("address", Type::Text, Presence::Required, "The address the cluster lists the node by (`xmpp cluster status`) and the others join (`xmpp cluster join <address>`).").check(ADDRESS),
            ], &SSH_NODE_ROWS),
            &[
            attr("state", Type::Text, Presence::Computed, "What the node reports: `clustered`, `joining`, `not_clustered` (left or reset), `duplicate` (listed twice), `inactive` (its XMPP server disabled), `no_leader`, `other_cluster` or `unreachable`. The plan always wants `clustered`."),
            attr("trust", Type::Text, Presence::Computed, "The node's cluster trust: `current`, `outdated` (our file, other content), `other` (another file) or `none`."),
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
        use super::super::state::{XmppClusterState, XmppNode};
        assert_declares(&SPEC.names(), &["timeouts"], &XmppClusterState::default());
        assert_declares(&names_of(SPEC.blocks[0].attrs), &[], &XmppNode::default());
    }
}
