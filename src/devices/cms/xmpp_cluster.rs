//! MMP commands of the XMPP cluster and the `xmpp cluster status` report.
//!
//! Sources: Cisco TAC 213479 "Configure XMPP Resiliency" (the per-node order: `xmpp cluster
//! trust <bundle>`; on the first node `xmpp disable`, `xmpp cluster enable`, `xmpp cluster
//! initialize`, `xmpp enable`; on the others `xmpp disable`, `xmpp cluster enable`, `xmpp
//! enable`, `xmpp cluster join <first node>`; `xmpp cluster status`; "Scenario 3": take a node
//! out of the cluster before resetting it, else a re-join lists it twice, Cisco bug CSCvi67717);
//! the status layout from the TAC document and CSCvi67717:
//!
//! ```text
//! State: LEADER
//! List of peers
//! 10.61.7.91:5222
//! 10.59.103.70:5222 (Leader)
//! ```
//!
//! Unconfirmed, in this one table: the removal command ([`remove_command`]: no Cisco text we
//! have names it), the states other than `LEADER` and `FOLLOWER` ([`STATES`]), and the stable
//! name of the uploaded trust bundle.

use super::facts::Facts;

/// `xmpp cluster status`.
pub const STATUS_COMMAND: &str = "xmpp cluster status";
pub const ENABLE_COMMAND: &str = "xmpp cluster enable";
pub const DISABLE_COMMAND: &str = "xmpp cluster disable";
pub const INITIALIZE_COMMAND: &str = "xmpp cluster initialize";
/// Where the trust bundle is uploaded (our name).
pub const TRUST_FILE: &str = "uccluster-xmpp-cluster-trust.crt";

/// `State:` values and what they mean; LEADER and FOLLOWER are Cisco's (TAC 213479), the rest
/// [unconfirmed].
pub const STATES: &[(&str, &str)] = &[
    ("LEADER", "a member, the leader"),
    ("FOLLOWER", "a member following the leader"),
    (
        "CANDIDATE",
        "a member that sees no leader (no majority, or an election)",
    ),
    ("INACTIVE", "a member whose XMPP server is disabled"),
    ("JOINING", "a join not yet committed by the cluster"),
    ("NOT_JOINED", "cluster mode enabled, in no cluster"),
    ("DISABLED", "cluster mode disabled"),
];

/// `xmpp cluster trust <file>` (`none` clears).
pub fn trust_command(facts: &Facts, file: Option<&str>) -> String {
    format!("xmpp cluster trust {}", file.unwrap_or(facts.clear_word()))
}

/// `xmpp cluster join <address>`: the address of a node already in the cluster.
pub fn join_command(address: &str) -> String {
    format!("xmpp cluster join {address}")
}

/// `xmpp cluster remove <address>`, run on a member, takes a node's entry (every entry) out of
/// the cluster [unconfirmed command].
pub fn remove_command(address: &str) -> String {
    format!("xmpp cluster remove {address}")
}

/// One line of the peer list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The address without the `:5222` port.
    pub address: String,
    pub leader: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterStatus {
    /// The `State:` value, upper case.
    pub state: String,
    pub peers: Vec<Peer>,
}

impl ClusterStatus {
    /// A committed member of a cluster (whatever its role now).
    pub fn is_member(&self) -> bool {
        matches!(
            self.state.as_str(),
            "LEADER" | "FOLLOWER" | "CANDIDATE" | "INACTIVE"
        )
    }

    pub fn leader(&self) -> Option<&str> {
        self.peers
            .iter()
            .find(|p| p.leader)
            .map(|p| p.address.as_str())
    }

    /// How many entries the list has for `address`.
    pub fn entries(&self, address: &str) -> usize {
        self.peers.iter().filter(|p| p.address == address).count()
    }
}

/// Parse `xmpp cluster status`.
pub fn parse_cluster_status(output: &str) -> Result<ClusterStatus, String> {
    let mut status = ClusterStatus::default();
    let mut in_peers = false;
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(state) = line.strip_prefix("State:") {
            status.state = state.trim().to_ascii_uppercase();
        } else if line.eq_ignore_ascii_case("List of peers") {
            in_peers = true;
        } else if in_peers {
            let (entry, leader) = match line.strip_suffix("(Leader)") {
                Some(rest) => (rest.trim(), true),
                None => (line, false),
            };
            let address = match entry.rsplit_once(':') {
                Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
                _ => entry,
            };
            let address = address.trim_start_matches('[').trim_end_matches(']');
            status.peers.push(Peer {
                address: address.to_string(),
                leader,
            });
        }
    }
    match status.state.is_empty() {
        true => Err("no `State:` line".into()),
        false => Ok(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tac_documents_layout() {
        let s = parse_cluster_status(
            "State: LEADER\r\nList of peers\r\n10.61.7.91:5222\r\n10.61.7.91:5222\r\n10.59.103.71:5222\r\n10.59.103.70:5222 (Leader)\r\n",
        )
        .unwrap();
        assert!(s.is_member());
        assert_eq!(s.leader(), Some("10.59.103.70"));
        assert_eq!(s.entries("10.61.7.91"), 2, "CSCvi67717's duplicate");
        assert_eq!(s.peers.len(), 4);
        let d = parse_cluster_status("State: DISABLED\n").unwrap();
        assert!(!d.is_member() && d.peers.is_empty());
        assert!(parse_cluster_status("FAILURE: x").is_err());
    }
}
