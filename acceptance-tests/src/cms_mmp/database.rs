//! The `database cluster ...` MMP commands and the database accessors of
//! [`NodeControl`]. Cluster state and timing live in [`super::fabric`].
//!
//! Sources: Cisco TAC 210530 "Configure Meeting Server Call Bridge Database
//! Cluster" (commands, `database cluster status` layout), the seed
//! `cms-failover-cluster-part2a.txt` section "Database Cluster" (certs,
//! localnode a, initialize on the master, join on the others), devices.md 1.1
//! and 1.4 (connect for database-less nodes, remove replicas first then the
//! master, `Last command : '...' (Success)`).
//!
//! | command | output |
//! |---|---|
//! | `database cluster certs <server_key> <server_crt> <client_key> <client_crt> <ca_crt>` | nothing; each file must be uploaded and valid PEM ([`super::pem`]) |
//! | `database cluster certs <client_key> <client_crt> <ca_crt>` | client-only form, same checks |
//! | `database cluster localnode <a\|b\|c\|d>` | nothing |
//! | `database cluster initialize` | [`INITIALIZE_WARNING`], [`CONFIRM_PROMPT`]; `y`: `Initialising database cluster`, `Success` |
//! | `database cluster join <address>` | [`JOIN_WARNING`], [`CONFIRM_PROMPT`]; `y`: `Joining database cluster` (runs in the background) |
//! | `database cluster connect <address>` | [`CONNECT_WARNING`], [`CONFIRM_PROMPT`]; `y`: `Connecting to database cluster` |
//! | `database cluster remove` | nothing [GUESS: no question] |
//! | `database cluster clear error` | nothing; clears a failed join's error |
//! | `database cluster status` | see `FabricState::status_lines` in [`super::fabric`] |
//!
//! Preconditions, checked before the question: `initialize` and `join` need the
//! full (5-file) certs and a localnode (`Failure: database cluster certificates
//! not configured` / `Failure: database cluster interface not configured`);
//! `connect` needs certs of either form. A join/connect fails after the join
//! delay (`Last command : '...' (Failed)`, `Status : Error`) when no node
//! listens at the address, that node is not a primary, its database is
//! stopped, or (join only) the cluster already has
//! [`super::fabric::MAX_DATABASE_NODES`] database nodes. `remove` on a
//! standalone node: `Failure: this node is not in a database cluster`.
//!
//! Any answer other than `y`/`Y` aborts (`Aborted`). The question wording, the
//! answer handling, the `Failure: ...` texts and what `clear error` does are
//! [GUESS]; the status layout follows TAC 210530. Only `initialize`, `join`,
//! `connect` (once confirmed) and a successful `remove` become the status's
//! `Last command` [GUESS].

use super::fabric::{DbRole, FabricState, MemberKind, NodeId, Outcome};
use super::files::{resolve, Path};
use super::pem::{contains_valid_block, PemKind};
use super::shell::Reply;
use super::state::NodeControl;
use std::time::{Duration, Instant};

/// The question after a database cluster warning (no newline) [GUESS: wording].
pub const CONFIRM_PROMPT: &str = "Are you sure you wish to continue? (y/n) ";
/// Printed before the question of `database cluster initialize` [GUESS: wording].
pub const INITIALIZE_WARNING: &str = "WARNING: this will make this node the master of a new database cluster; all other database cluster nodes must then be re-joined";
/// Printed before the question of `database cluster join` [GUESS: wording;
/// TAC 210530: joining wipes the local database].
pub const JOIN_WARNING: &str = "WARNING: joining will delete the local database and replace it with a copy of the database cluster's";
/// Printed before the question of `database cluster connect` [GUESS: wording].
pub const CONNECT_WARNING: &str = "WARNING: connecting will make this node use the database cluster instead of its local database";

/// A database cluster command waiting for its `y`/`n` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    Initialize,
    Join { address: String },
    Connect { address: String },
}

fn one(line: impl Into<String>) -> Reply {
    Reply::Lines(vec![line.into()])
}

fn nothing() -> Reply {
    Reply::Lines(Vec::new())
}

const CERTS_USAGE: &str =
    "Usage: database cluster certs [<server_key> <server_crt>] <client_key> <client_crt> <ca_crt>";
const NO_CERTS: &str = "Failure: database cluster certificates not configured";
const NO_INTERFACE: &str = "Failure: database cluster interface not configured";

/// Checks that `name` is an uploaded file holding a PEM block of `kind`.
fn check_file(node: &NodeControl, name: &str, kind: PemKind) -> Result<(), String> {
    let content = match resolve(name) {
        Path::File(_) => node.file(name),
        _ => None,
    };
    let Some(content) = content else {
        return Err(format!("Failure: {name}: file not found"));
    };
    if !contains_valid_block(&content, kind) {
        return Err(format!(
            "Failure: {name}: not a valid PEM {}",
            kind.describe()
        ));
    }
    Ok(())
}

/// Runs `database cluster <args>`; `None` for an unknown sub-command.
pub fn run(node: &NodeControl, args: &[&str]) -> Option<Reply> {
    use PemKind::{Certificate as C, PrivateKey as K};
    Some(match args {
        ["certs", files @ ..] => {
            let kinds: &[PemKind] = match files.len() {
                5 => &[K, C, K, C, C],
                3 => &[K, C, C],
                _ => return Some(one(CERTS_USAGE)),
            };
            for (name, kind) in files.iter().zip(kinds) {
                if let Err(e) = check_file(node, name, *kind) {
                    return Some(one(e));
                }
            }
            let names = files.iter().map(|f| f.to_string()).collect();
            node.db(|s, id, _| s.node_mut(id).certs = names);
            nothing()
        }
        ["localnode", rest @ ..] => {
            let [iface] = rest else {
                return Some(one("Usage: database cluster localnode <a|b|c|d>"));
            };
            if !matches!(*iface, "a" | "b" | "c" | "d") {
                return Some(one(format!("Failure: invalid interface {iface}")));
            }
            node.db(|s, id, _| s.node_mut(id).interface = Some(iface.to_string()));
            nothing()
        }
        ["initialize", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: database cluster initialize"));
            }
            let (certs, iface) = node.db(|s, id, _| {
                let n = s.node(id);
                (n.certs.len(), n.interface.is_some())
            });
            if certs != 5 {
                return Some(one(NO_CERTS));
            }
            if !iface {
                return Some(one(NO_INTERFACE));
            }
            Reply::Confirm {
                warning: INITIALIZE_WARNING.to_string(),
                action: Confirm::Initialize,
            }
        }
        ["join", rest @ ..] => {
            let [address] = rest else {
                return Some(one("Usage: database cluster join <address>"));
            };
            let (certs, iface) = node.db(|s, id, _| {
                let n = s.node(id);
                (n.certs.len(), n.interface.is_some())
            });
            if certs != 5 {
                return Some(one(NO_CERTS));
            }
            if !iface {
                return Some(one(NO_INTERFACE));
            }
            Reply::Confirm {
                warning: JOIN_WARNING.to_string(),
                action: Confirm::Join {
                    address: address.to_string(),
                },
            }
        }
        ["connect", rest @ ..] => {
            let [address] = rest else {
                return Some(one("Usage: database cluster connect <address>"));
            };
            if node.db_certs().is_empty() {
                return Some(one(NO_CERTS));
            }
            Reply::Confirm {
                warning: CONNECT_WARNING.to_string(),
                action: Confirm::Connect {
                    address: address.to_string(),
                },
            }
        }
        ["remove", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: database cluster remove"));
            }
            let left = node.db(|s, id, _| {
                let left = s.leave(id);
                if left {
                    s.node_mut(id).last_command =
                        Some(("database cluster remove".to_string(), Outcome::Success));
                }
                left
            });
            if left {
                nothing()
            } else {
                one("Failure: this node is not in a database cluster")
            }
        }
        ["clear", "error"] => {
            node.db(|s, id, _| s.clear_error(id));
            nothing()
        }
        ["clear", ..] => one("Usage: database cluster clear error"),
        ["status", rest @ ..] => {
            if !rest.is_empty() {
                return Some(one("Usage: database cluster status"));
            }
            Reply::Lines(node.db(|s, id, _| s.status_lines(id)))
        }
        _ => return None,
    })
}

/// Second half of a confirmed command: the line typed at [`CONFIRM_PROMPT`].
pub fn answer(node: &NodeControl, action: &Confirm, answer: &str) -> Vec<String> {
    if !matches!(answer.trim(), "y" | "Y") {
        return vec!["Aborted".to_string()];
    }
    let lines: &[&str] = match action {
        Confirm::Initialize => {
            node.db(|s, id, _| s.initialize(id, "database cluster initialize"));
            &["Initialising database cluster", "Success"]
        }
        Confirm::Join { address } => {
            let command = format!("database cluster join {address}");
            node.db(|s, id, now| s.start_join(id, address, MemberKind::Database, &command, now));
            &["Joining database cluster"]
        }
        Confirm::Connect { address } => {
            let command = format!("database cluster connect {address}");
            node.db(|s, id, now| s.start_join(id, address, MemberKind::Client, &command, now));
            &["Connecting to database cluster"]
        }
    };
    lines.iter().map(|l| l.to_string()).collect()
}

/// Database accessors and controls for tests.
impl NodeControl {
    /// Runs `f` on the fabric state (advanced to now) with this node's id.
    pub(crate) fn db<R>(&self, f: impl FnOnce(&mut FabricState, NodeId, Instant) -> R) -> R {
        let id = self.inner.fabric_id;
        self.inner.fabric.with(|s, now| f(s, id, now))
    }

    /// This node's database cluster role.
    pub fn db_role(&self) -> DbRole {
        self.db(|s, id, _| s.role(id))
    }

    /// Interface set by `database cluster localnode`.
    pub fn db_interface(&self) -> Option<String> {
        self.db(|s, id, _| s.node(id).interface.clone())
    }

    /// File names set by `database cluster certs` (5, 3, or none), in command order.
    pub fn db_certs(&self) -> Vec<String> {
        self.db(|s, id, _| s.node(id).certs.clone())
    }

    /// Whether the local database process runs.
    pub fn database_running(&self) -> bool {
        self.db(|s, id, _| s.node(id).running)
    }

    /// Addresses of the established members of this node's cluster (this node
    /// included), sorted by address; empty when standalone or still joining.
    pub fn db_cluster_members(&self) -> Vec<String> {
        self.db(|s, id, _| s.cluster_addresses(id))
    }

    /// `Last command` of `database cluster status` as `(command, "Success" |
    /// "Failed" | "In progress")`.
    pub fn db_last_command(&self) -> Option<(String, String)> {
        self.db(|s, id, _| {
            s.node(id)
                .last_command
                .as_ref()
                .map(|(c, o)| (c.clone(), o.to_string()))
        })
    }

    /// Stops the local database (a primary fails over after the failover delay).
    pub fn stop_database(&self) {
        self.db(|s, id, now| s.stop_database(id, now));
    }

    /// Starts the local database again; a replica resynchronises for the join delay.
    pub fn start_database(&self) {
        self.db(|s, id, now| s.start_database(id, now));
    }

    /// How long `join`/`connect` (and a replica's resync) take on this node (default 2 s).
    pub fn set_join_delay(&self, d: Duration) {
        self.db(|s, id, _| s.node_mut(id).join_delay = d);
    }

    /// How long after this node's database stops, while it is primary, a
    /// replica takes over (default 1 s).
    pub fn set_failover_delay(&self, d: Duration) {
        self.db(|s, id, _| s.node_mut(id).failover_delay = d);
    }

    /// When `true`, joins started on this node stay `(In progress)` until it is
    /// set back to `false`.
    pub fn set_join_never_completes(&self, never: bool) {
        self.db(|s, id, _| s.node_mut(id).join_never_completes = never);
    }

    /// Removes this node from its cluster as an operator running `database
    /// cluster remove` by hand would (no command log entry, `Last command`
    /// unchanged). `false` when it was standalone.
    pub fn leave_cluster_behind_the_back(&self) -> bool {
        self.db(|s, id, _| s.leave(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeControl {
        NodeControl::new("cms1".into(), "admin".into(), "pw".into(), "d".into())
    }

    fn lines(r: Option<Reply>) -> Vec<String> {
        match r {
            Some(Reply::Lines(l)) => l,
            other => panic!("expected lines, got {other:?}"),
        }
    }

    const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n";

    #[test]
    fn usage_and_validation() {
        let n = node();
        for (args, want) in [
            (&["certs", "a"][..], CERTS_USAGE),
            (&["certs", "a", "b", "c", "d"][..], CERTS_USAGE),
            (
                &["localnode"][..],
                "Usage: database cluster localnode <a|b|c|d>",
            ),
            (&["localnode", "e"][..], "Failure: invalid interface e"),
            (
                &["initialize", "x"][..],
                "Usage: database cluster initialize",
            ),
            (&["join"][..], "Usage: database cluster join <address>"),
            (
                &["connect", "a", "b"][..],
                "Usage: database cluster connect <address>",
            ),
            (&["remove", "x"][..], "Usage: database cluster remove"),
            (&["status", "x"][..], "Usage: database cluster status"),
            (&["initialize"][..], NO_CERTS),
            (&["join", "1.2.3.4"][..], NO_CERTS),
            (&["connect", "1.2.3.4"][..], NO_CERTS),
            (
                &["remove"][..],
                "Failure: this node is not in a database cluster",
            ),
            (&["certs", "k", "c", "ca"][..], "Failure: k: file not found"),
        ] {
            assert_eq!(lines(run(&n, args)), vec![want], "{args:?}");
        }
        assert!(run(&n, &["frob"]).is_none());
        n.put_file("k", KEY);
        n.put_file("c", CERT);
        n.put_file("ca", "junk");
        assert_eq!(
            lines(run(&n, &["certs", "c", "c", "ca"])),
            vec!["Failure: c: not a valid PEM private key"]
        );
        assert_eq!(
            lines(run(&n, &["certs", "k", "c", "ca"])),
            vec!["Failure: ca: not a valid PEM certificate"]
        );
        n.put_file("ca", CERT);
        assert!(lines(run(&n, &["certs", "/k", "c", "ca"])).is_empty());
        assert_eq!(n.db_certs(), vec!["/k", "c", "ca"]);
        // Client-only certs are not enough to initialize or join.
        assert_eq!(lines(run(&n, &["initialize"])), vec![NO_CERTS]);
        assert!(matches!(
            run(&n, &["connect", "1.2.3.4"]),
            Some(Reply::Confirm { .. })
        ));
        assert!(lines(run(&n, &["certs", "k", "c", "k", "c", "ca"])).is_empty());
        assert_eq!(lines(run(&n, &["join", "1.2.3.4"])), vec![NO_INTERFACE]);
        assert!(lines(run(&n, &["localnode", "b"])).is_empty());
        assert_eq!(n.db_interface().as_deref(), Some("b"));
        assert_eq!(
            run(&n, &["initialize"]),
            Some(Reply::Confirm {
                warning: INITIALIZE_WARNING.into(),
                action: Confirm::Initialize
            })
        );
        assert_eq!(answer(&n, &Confirm::Initialize, "n"), vec!["Aborted"]);
        assert_eq!(n.db_role(), DbRole::Standalone);
        assert_eq!(
            answer(&n, &Confirm::Initialize, "Y"),
            vec!["Initialising database cluster", "Success"]
        );
        assert_eq!(n.db_role(), DbRole::Primary);
        assert_eq!(n.db_cluster_members(), vec!["127.0.0.1"]);
        assert_eq!(
            lines(run(&n, &["status"])),
            vec![
                "Status                   : Enabled",
                "Nodes:",
                "    127.0.0.1 (me)       : Connected Primary",
                "Node in use              : 127.0.0.1",
                "Interface                : b",
                "Certificates",
                "  Server Key             : k",
                "  Server Certificate     : c",
                "  Client Key             : k",
                "  Client Certificate     : c",
                "  CA Certificate         : ca",
                "Last command             : 'database cluster initialize' (Success)",
            ]
        );
    }
}
