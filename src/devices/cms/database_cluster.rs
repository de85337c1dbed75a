//! MMP commands of the CMS database cluster, and `database cluster status` parsed.
//!
//! Source: Cisco TAC document 210530 "Configure Meeting Server (CMS) Call Bridge Database
//! Cluster", the CMS MMP command reference and seed cms-failover-cluster-part2a ("Database
//! Cluster"): `database cluster certs` names uploaded key/certificate files, `localnode` picks the
//! interface, `initialize` makes the master, `join <master>` makes a replica (wiping its local
//! database), `connect <master>` attaches a database-less client, `remove` leaves the cluster,
//! and `status` reports the cluster as the node sees it:
//!
//! ```text
//! Status                   : Enabled
//! Nodes:
//!     10.48.36.61          : Connected Primary
//!     10.48.36.118 (me)    : Connected Replica ( In Sync )
//! Node in use              : 10.48.36.61
//! Interface                : a
//! Certificates
//!   Server Key             : dbclusterserver.key
//!   ...
//! Last command             : 'database cluster join 10.48.36.61' (Success)
//! ```

/// Interfaces the MMP can cluster on.
pub const INTERFACES: &[&str] = &["a", "b", "c", "d"];
/// Cisco documents at most five nodes in one database cluster; further servers attach as
/// database clients with `database cluster connect` [GUESS: from Cisco's scalability guidance,
/// not seen verbatim in a command reference].
pub const MAX_DATABASE_NODES: usize = 5;
pub const STATUS_COMMAND: &str = "database cluster status";
pub const INITIALIZE_COMMAND: &str = "database cluster initialize";
pub const REMOVE_COMMAND: &str = "database cluster remove";
/// `initialize`, `join` and `connect` ask for confirmation before they act.
pub const CONFIRM_QUESTION: &str = "(y/n)";

/// Stable names for the files uploaded by uccluster: the same on every node, so a re-run finds
/// them and `database cluster status` shows which set is in use.
pub const SERVER_KEY_FILE: &str = "uccluster-dbcluster-server.key";
pub const SERVER_CERT_FILE: &str = "uccluster-dbcluster-server.crt";
pub const CLIENT_KEY_FILE: &str = "uccluster-dbcluster-client.key";
pub const CLIENT_CERT_FILE: &str = "uccluster-dbcluster-client.crt";
pub const CA_FILE: &str = "uccluster-dbcluster-ca.crt";

pub fn validate_interface_name(name: &str) -> Result<(), String> {
    if INTERFACES.contains(&name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not an MMP interface; use one of a, b, c, d"
        ))
    }
}

pub fn certs_command(files: &[&str]) -> String {
    format!("database cluster certs {}", files.join(" "))
}

pub fn localnode_command(interface: &str) -> String {
    format!("database cluster localnode {interface}")
}

pub fn join_command(master: &str) -> String {
    format!("database cluster join {master}")
}

pub fn connect_command(master: &str) -> String {
    format!("database cluster connect {master}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterStatus {
    Enabled,
    Disabled,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connected,
    Connecting,
    Disconnected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Primary,
    Replica,
    Client,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNode {
    pub address: String,
    /// The line marked `(me)`: the node that printed the status.
    pub me: bool,
    pub connection: Connection,
    pub role: Role,
    pub in_sync: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandResult {
    Success,
    Failed,
    InProgress,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastCommand {
    pub command: String,
    pub result: CommandResult,
}

/// `database cluster status` as typed values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseClusterStatus {
    pub status: ClusterStatus,
    /// The `ERROR : ...` line, when the node reports one.
    pub error: Option<String>,
    pub nodes: Vec<ClusterNode>,
    pub node_in_use: Option<String>,
    pub interface: Option<String>,
    /// (label, file name), e.g. ("Server Key", "dbserver.key"), in the device's order.
    pub certificates: Vec<(String, String)>,
    pub last_command: Option<LastCommand>,
}

impl DatabaseClusterStatus {
    /// This node's own line in the node list.
    pub fn me(&self) -> Option<&ClusterNode> {
        self.nodes.iter().find(|n| n.me)
    }

    /// The primary as this node sees it.
    pub fn primary(&self) -> Option<&ClusterNode> {
        self.nodes.iter().find(|n| n.role == Role::Primary)
    }

    /// The certificate file names in use, in the device's order.
    pub fn certificate_files(&self) -> Vec<String> {
        self.certificates.iter().map(|(_, f)| f.clone()).collect()
    }
}

fn split_field(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(" : ").or_else(|| line.split_once(':'))?;
    Some((key.trim(), value.trim()))
}

fn parse_node_line(line: &str) -> Result<ClusterNode, String> {
    let (address, state) =
        split_field(line).ok_or_else(|| format!("node line without ':': {line:?}"))?;
    let (address, me) = match address.strip_suffix("(me)") {
        Some(a) => (a.trim(), true),
        None => (address, false),
    };
    let mut words = state.split_whitespace();
    let connection = match words.next() {
        Some("Connected") => Connection::Connected,
        Some("Connecting") => Connection::Connecting,
        Some("Disconnected") => Connection::Disconnected,
        other => return Err(format!("unknown connection state {other:?} in {line:?}")),
    };
    let role = match words.next() {
        Some("Primary") | Some("Master") => Role::Primary,
        Some("Replica") | Some("Slave") => Role::Replica,
        Some("Client") => Role::Client,
        other => return Err(format!("unknown role {other:?} in {line:?}")),
    };
    Ok(ClusterNode {
        address: address.to_string(),
        me,
        connection,
        role,
        in_sync: state.contains("In Sync"),
    })
}

fn parse_last_command(value: &str) -> Result<LastCommand, String> {
    let open = value
        .rfind('(')
        .ok_or_else(|| format!("no result in last command {value:?}"))?;
    let result = match value[open..].trim_matches(|c| c == '(' || c == ')' || c == ' ') {
        "Success" => CommandResult::Success,
        "Failed" | "Failure" => CommandResult::Failed,
        "In progress" | "In Progress" => CommandResult::InProgress,
        other => return Err(format!("unknown result {other:?} of the last command")),
    };
    let command = value[..open].trim().trim_matches('\'').to_string();
    Ok(LastCommand { command, result })
}

/// Parse `database cluster status`.
pub fn parse_status(output: &str) -> Result<DatabaseClusterStatus, String> {
    let mut status = None;
    let mut parsed = DatabaseClusterStatus {
        status: ClusterStatus::Disabled,
        error: None,
        nodes: Vec::new(),
        node_in_use: None,
        interface: None,
        certificates: Vec::new(),
        last_command: None,
    };
    let mut section = "";
    for raw in output.lines() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let indented = raw.starts_with(' ') || raw.starts_with('\t');
        match (section, indented) {
            ("nodes", true) => {
                parsed.nodes.push(parse_node_line(line)?);
                continue;
            }
            ("certificates", true) => {
                let (label, file) = split_field(line)
                    .ok_or_else(|| format!("certificate line without ':': {line:?}"))?;
                parsed
                    .certificates
                    .push((label.to_string(), file.to_string()));
                continue;
            }
            _ => section = "",
        }
        if line == "Nodes:" {
            section = "nodes";
            continue;
        }
        if line == "Certificates" || line == "Certificates:" {
            section = "certificates";
            continue;
        }
        let (key, value) = split_field(line).ok_or_else(|| format!("unexpected line {line:?}"))?;
        match key.to_ascii_lowercase().as_str() {
            "status" => {
                status = Some(match value {
                    "Enabled" => ClusterStatus::Enabled,
                    "Disabled" => ClusterStatus::Disabled,
                    "Error" => ClusterStatus::Error,
                    other => return Err(format!("unknown Status {other:?}")),
                })
            }
            "error" => parsed.error = Some(value.to_string()),
            "node in use" => parsed.node_in_use = Some(value.to_string()),
            "interface" => parsed.interface = Some(value.to_string()),
            "last command" => parsed.last_command = Some(parse_last_command(value)?),
            _ => {} // fields added by later releases do not concern us
        }
    }
    parsed.status = status.ok_or("no Status line")?;
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As printed in Cisco TAC document 210530 (addresses kept).
    const TAC_REPLICA: &str = "Status                   : Enabled\nNodes:\n    10.48.36.61          : Connected Primary\n    10.48.36.118         : Connected Replica ( In Sync )\n    10.48.36.182 (me)    : Connected Replica ( In Sync )\nNode in use              : 10.48.36.61\nInterface                : a\nCertificates\n  Server Key             : dbclusterserver.key\n  Server Certificate     : dbclusterserver.cer\n  Client Key             : dbclusterclient.key\n  Client Certificate     : dbclusterclient.cer\n  CA Certificate         : vngtpRootca.cer\nLast command             : 'database cluster join 10.48.36.61' (Success)\n";

    #[test]
    fn parses_a_replica_status() {
        let s = parse_status(TAC_REPLICA).unwrap();
        assert_eq!(s.status, ClusterStatus::Enabled);
        assert_eq!(s.nodes.len(), 3);
        let me = s.me().unwrap();
        assert_eq!(
            (me.address.as_str(), me.role, me.connection, me.in_sync),
            ("10.48.36.182", Role::Replica, Connection::Connected, true)
        );
        assert_eq!(s.primary().unwrap().address, "10.48.36.61");
        assert_eq!(s.node_in_use.as_deref(), Some("10.48.36.61"));
        assert_eq!(s.interface.as_deref(), Some("a"));
        assert_eq!(
            s.certificate_files(),
            vec![
                "dbclusterserver.key",
                "dbclusterserver.cer",
                "dbclusterclient.key",
                "dbclusterclient.cer",
                "vngtpRootca.cer"
            ]
        );
        assert_eq!(
            s.last_command,
            Some(LastCommand {
                command: "database cluster join 10.48.36.61".into(),
                result: CommandResult::Success
            })
        );
    }

    #[test]
    fn parses_standalone_error_and_progress_states() {
        let standalone = parse_status("Status                   : Disabled\nInterface                : a\nLast command             : 'database cluster remove' (Success)\n").unwrap();
        assert_eq!(standalone.status, ClusterStatus::Disabled);
        assert!(standalone.nodes.is_empty() && standalone.me().is_none());
        let error = parse_status("ERROR                    : Couldn't upgrade the schema\nStatus                   : Error\nLast command             : 'database cluster join 10.0.0.1' (Failed)\n").unwrap();
        assert_eq!(error.status, ClusterStatus::Error);
        assert_eq!(error.error.as_deref(), Some("Couldn't upgrade the schema"));
        assert_eq!(error.last_command.unwrap().result, CommandResult::Failed);
        let joining = parse_status("Status                   : Enabled\nNodes:\n    10.0.0.1             : Connected Primary\n    10.0.0.2 (me)        : Connecting Replica\nNode in use              : 10.0.0.1\nLast command             : 'database cluster join 10.0.0.1' (In progress)\n").unwrap();
        assert_eq!(joining.me().unwrap().connection, Connection::Connecting);
        assert!(!joining.me().unwrap().in_sync);
        assert_eq!(
            joining.last_command.unwrap().result,
            CommandResult::InProgress
        );
    }

    #[test]
    fn client_and_disconnected_nodes() {
        let s = parse_status("Status                   : Enabled\nNodes:\n    10.0.0.1             : Disconnected Primary\n    10.0.0.2             : Connected Replica ( In Sync )\n    10.0.0.9 (me)        : Connected Client\n").unwrap();
        assert_eq!(s.nodes[0].connection, Connection::Disconnected);
        assert_eq!(s.me().unwrap().role, Role::Client);
    }

    #[test]
    fn malformed_output_is_an_error() {
        assert!(parse_status("").unwrap_err().contains("no Status line"));
        assert!(parse_status("Status : Sideways").is_err());
        assert!(
            parse_status("Status : Enabled\nNodes:\n    10.0.0.1 : Flying Primary")
                .unwrap_err()
                .contains("Flying")
        );
        assert!(parse_status("gibberish").is_err());
    }

    #[test]
    fn commands() {
        assert_eq!(certs_command(&[SERVER_KEY_FILE, SERVER_CERT_FILE, CLIENT_KEY_FILE, CLIENT_CERT_FILE, CA_FILE]), "database cluster certs uccluster-dbcluster-server.key uccluster-dbcluster-server.crt uccluster-dbcluster-client.key uccluster-dbcluster-client.crt uccluster-dbcluster-ca.crt");
        assert_eq!(join_command("10.0.0.1"), "database cluster join 10.0.0.1");
        assert_eq!(
            connect_command("10.0.0.1"),
            "database cluster connect 10.0.0.1"
        );
        assert_eq!(localnode_command("b"), "database cluster localnode b");
    }
}
