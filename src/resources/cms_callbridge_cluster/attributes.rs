//! The declaration of every `cms_callbridge_cluster` attribute: type, description, default,
//! grammar, sensitivity and replacement, once (see [`crate::resources::spec`]).

use crate::devices::cms::services::validate_domain;
use crate::devices::cms::xmpp_callbridge::validate_name;
use crate::grammar::NumberRange;
use crate::resources::api_node::WEB_ADMIN;
use crate::resources::spec::{attr, BlockSpec, Check, Nesting, Presence, Spec, Type};
use crate::timeouts::Operation;
use std::time::Duration;

/// The seed's bounds: "Call Bridge Cluster may support from 2 to 8 nodes".
pub const MIN_NODES: usize = 2;
pub const MAX_NODES: usize = 8;

fn name_check(name: &str) -> Result<(), String> {
    validate_name(name).map_err(|e| format!("unique_name {e}"))
}

fn domain_check(domain: &str) -> Result<(), String> {
    validate_domain(domain).map_err(|e| format!("sip_domain {e}"))
}

const COUNT: NumberRange = NumberRange {
    option: "the value",
    min: 0,
    max: i32::MAX as i64,
};
const BASIS_POINTS: NumberRange = NumberRange {
    option: "a basis-points value",
    min: 0,
    max: 10_000,
};

/// The declaration of every attribute (see [`crate::resources::spec`]).
pub const SPEC: Spec = Spec {
    description: "The Call Bridge cluster of Cisco Meeting Server nodes (Web Admin Configuration > Cluster, through each node's REST API): each Call Bridge's identity (`/api/v1/system/configuration/cluster`) and, on each node, the clustered Call Bridges (`/api/v1/callBridges`: every node's unique name, Web Admin address and peer link SIP domain). 2 to 8 nodes. The Call Bridges' certificates and cluster trust are `cms_node_services`'s.",
    attrs: &[
        attr("id", Type::Text, Presence::Computed, "The first node's unique name."),
    ],
    blocks: &[BlockSpec {
        name: "node",
        nesting: Nesting::List,
        blocks: &[],
        description: "One Call Bridge of the cluster: 2 to 8 (the seed's limit).",
        attrs: &[
            attr("unique_name", Type::Text, Presence::Required, "The Call Bridge's unique name in the cluster (Call Bridge identity; the seed: `callbridge01`): 1 to 64 letters, digits, `.`, `_`, `-`, different on every node.")
                .check(Check::Text { title: "Invalid unique name", check: name_check }),
            attr("address", Type::Text, Presence::Required, "The node's Web Admin URL as its peers reach it, with the port (the seed: `cms01.example.com:445`; `https://` may be written): the Clustered Call Bridges' `Address`.")
                .check(WEB_ADMIN),
            attr("api_address", Type::Text, Presence::Optional, "Where the provider reaches this node's REST API, `host:port`, when it differs from `address`.")
                .check(WEB_ADMIN),
            attr("sip_domain", Type::Text, Presence::Optional, "Peer link SIP domain of this Call Bridge (the seed leaves it empty).")
                .check(Check::Text { title: "Invalid SIP domain", check: domain_check }),
            attr("peer_link_bit_rate", Type::Number, Presence::Optional, "Bit rate of the media between this Call Bridge and its peers (`peerLinkBitRate`, bits per second). Unset: left as the node has it.").check(Check::Number(&COUNT)),
            attr("participant_limit", Type::Number, Presence::Optional, "Participants this Call Bridge hosts at most (`participantLimit`). Unset: left as the node has it.").check(Check::Number(&COUNT)),
            attr("load_limit", Type::Number, Presence::Optional, "Load balancing: this Call Bridge's load limit (`loadLimit`). Unset: left as the node has it.").check(Check::Number(&COUNT)),
            attr("new_conference_load_limit_basis_points", Type::Number, Presence::Optional, "Load balancing: the share of `load_limit`, 0 to 10000 basis points, above which no new conference starts here (`newConferenceLoadLimitBasisPoints`). Unset: left as the node has it.").check(Check::Number(&BASIS_POINTS)),
            attr("existing_conference_load_limit_basis_points", Type::Number, Presence::Optional, "Load balancing: the share of `load_limit`, 0 to 10000 basis points, above which existing conferences take no more participants here (`existingConferenceLoadLimitBasisPoints`). Unset: left as the node has it.").check(Check::Number(&BASIS_POINTS)),
            attr("max_peer_video_streams", Type::Number, Presence::Optional, "Video streams sent to a peer at most (`maxPeerVideoStreams`). Unset: left as the node has it.").check(Check::Number(&COUNT)),
            attr("peers", Type::TextList, Presence::Computed, "The clustered Call Bridges this node lists, sorted, as `<unique name>=<address>` (` sip_domain=<domain>` added when set). The plan always wants exactly every node once: an entry removed, renamed or changed on a node shows here, and the apply puts it back and removes the others."),
        ],
    }],
    timeouts: &[
        (Operation::Create, Duration::from_secs(300)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(300)),
        (Operation::Delete, Duration::from_secs(300)),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        use super::super::state::{CallbridgeClusterState, CallbridgeNode};
        assert_declares(
            &SPEC.names(),
            &["timeouts"],
            &CallbridgeClusterState::default(),
        );
        assert_declares(
            &names_of(SPEC.blocks[0].attrs),
            &[],
            &CallbridgeNode::default(),
        );
    }
}
