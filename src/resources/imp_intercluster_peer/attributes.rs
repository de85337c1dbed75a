//! The declaration of every `imp_intercluster_peer` attribute (see [`crate::resources::spec`]).

use crate::resources::node_checks::USERNAME;
use crate::resources::spec::{
    attr, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::timeouts::Operation;
use std::time::Duration;

pub const PROTOCOLS: &[&str] = &["tcp", "tls"];
pub const PEER_STORES: &[&str] = &["verify", "axl_sql"];

fn one_of(table: &[&str], v: &str) -> Result<(), String> {
    match table.contains(&v) {
        true => Ok(()),
        false => Err(format!("{v:?}: use one of {}", table.join(", "))),
    }
}

fn protocol(v: &str) -> Result<(), String> {
    one_of(PROTOCOLS, v)
}

fn peer_store(v: &str) -> Result<(), String> {
    one_of(PEER_STORES, v)
}

/// A node name as IM&P defines it: an IP address, host name or FQDN.
pub fn node_name(v: &str) -> Result<(), String> {
    crate::grammar::check_host(v)
}

/// `host` or `host:port`.
pub fn endpoint(v: &str) -> Result<(), String> {
    crate::grammar::parse_endpoint(v).map(drop)
}

/// A password as an Informix literal can carry it (no control characters).
fn password(v: &str) -> Result<(), String> {
    match v.is_empty() {
        true => Err("must not be empty".into()),
        false => crate::devices::imp::sql::literal(v).map(drop),
    }
}

const fn check(title: &'static str, check: fn(&str) -> Result<(), String>) -> Check {
    Check::Text { title, check }
}

const NODE: [Attr; 2] = [
    attr("name", Type::Text, Presence::Required, "The node's name as IM&P defines it (System > Presence Topology): IP address, host name or FQDN.").check(check("Invalid node name", node_name)),
    attr("address", Type::Text, Presence::Required, "Where the provider reaches the node's HTTPS services: `host` or `host:port` (default port 8443).").check(check("Invalid address", endpoint)),
];

const OWN: [Attr; 14] = [
    attr("id", Type::Text, Presence::Computed, "The import ID: `<peer_address>@<publisher>=<host>:<port>,<node>=<host>:<port>,...` (see Import)."),
    attr("peer_address", Type::Text, Presence::Required, "The remote cluster's database publisher's node name, exactly as that cluster defines it (an IP address, host name or FQDN; the seed: it \"must match the actual node name that defines the server\"). Changing it replaces the peer, as Cisco's rename procedure deletes and adds it.").check(check("Invalid peer_address", node_name)).replaces(),
    attr("peer_endpoint", Type::Text, Presence::Defaulted(DefaultValue::ByResource), "Where the provider itself reaches the remote publisher's AXL to run the Sync Agent's checks: `host` or `host:port`; default `<peer_address>:8443`.").check(check("Invalid peer_endpoint", endpoint)),
    attr("peer_axl_username", Type::Text, Presence::Required, "The remote cluster's intercluster application user (AXL access), as the peer's AXL Username.").check(USERNAME),
    attr("peer_axl_password", Type::Text, Presence::Required, "Its password.").sensitive().check(check("Invalid peer_axl_password", password)),
    attr("protocol", Type::Text, Presence::Defaulted(DefaultValue::Text("tcp")), "The intercluster SIP transport: `tcp` (default, Cisco's recommendation) or `tls` (certificates exchanged automatically; `certificate_status` reports it).").check(check("Invalid protocol", protocol)),
    attr("peer_store", Type::Text, Presence::Defaulted(DefaultValue::Text("verify")), "How the peer entry itself is made. `verify` (default): the peer is added in the IM&P admin GUI (no public API creates one); the resource reads it, stops with the GUI steps while it is missing or differs, and does everything else. `axl_sql`: the resource also writes it with AXL `executeSQLUpdate` into the table of unpublished names (not supported by Cisco; verified only against uccluster's simulator).").check(check("Invalid peer_store", peer_store)),
    attr("restart_xcp_router", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Restart Cisco XCP Router on every node of the local cluster, one at a time, each waited for until Started, after the peer is added, changed or deleted (default `true`). A Restart, never Stop and Start: stopping the router leaves the other XCP services down."),
    attr("wait_for_sync", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Wait, within the `timeouts`, until the peer is reachable, the remote cluster has a peer pointing back, its users are synced and (TLS) the certificates are in sync (default `true`). With `false`, `status.far_side` and `status.sync` are reported but never drift."),
    attr("force_sync", Type::Text, Presence::Optional, "A trigger: any change runs the GUI's Force Sync the documented way, by restarting Cisco Intercluster Sync Agent on the publisher (which also copies the peer's Tomcat certificates again)."),
    attr("status", Type::TextMap, Presence::Computed, "The checks of the GUI's Intercluster Peer Status: `peer` (`present`), `connectivity` (`reachable`, or the GUI's `Not reachable (...)`), `far_side` (`points back`: the remote publisher has a peer for this one), `sync` (`in sync`: every remote user associated). Planned at those values, so a failed check shows in the plan."),
    attr("service_states", Type::TextMap, Presence::Computed, "`<node>/<service>` = the service's state (`Started`, or e.g. `Stopped (Service Not Activated)`) for Cisco AXL Web Service, Cisco Intercluster Sync Agent and Cisco XCP Router on every node, and Cisco Sync Agent on the publisher."),
    attr("associated_users", Type::Number, Presence::Computed, "Users of the remote cluster associated with this one (the GUI's Associated Users)."),
    attr("certificate_status", Type::Text, Presence::Computed, "With TLS: `in sync` when every remote node's Tomcat certificate is trusted here, else `out of sync: <nodes>`; `not used` with TCP."),
];

pub const SPEC: Spec = Spec {
    description: "A Cisco IM and Presence intercluster peer, set up the way Cisco's procedure orders it, on the local cluster's database publisher: the prerequisite services checked on every node, the peer (read, or written with `peer_store = \"axl_sql\"`), the remote publisher checked the way the Intercluster Sync Agent checks it (its AXL connectivity query with the peer's credentials), Cisco XCP Router restarted on every node one at a time, and the wait until the peer is in sync. A cluster pair needs one resource on each side (see the `imp_cluster_pair` module).",
    attrs: &OWN,
    blocks: &[
        BlockSpec {
            name: "publisher",
            nesting: Nesting::Single,
            description: "The local cluster's database publisher, where the peer is configured (required).",
            attrs: &NODE,
            blocks: &[],
        },
        BlockSpec {
            name: "node",
            nesting: Nesting::List,
            description: "Every other node of the local cluster (subscribers), whose services are checked and whose XCP Router is restarted.",
            attrs: &NODE,
            blocks: &[],
        },
    ],
    timeouts: &[
        (Operation::Create, Duration::from_secs(1800)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(1800)),
        (Operation::Delete, Duration::from_secs(900)),
    ],
};

#[cfg(test)]
mod tests {
    use super::super::state::{NodeState, PeerState};
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &["timeouts"], &PeerState::default());
        assert_declares(&names_of(&NODE), &[], &NodeState::default());
    }
}
