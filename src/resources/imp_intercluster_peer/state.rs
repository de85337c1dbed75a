//! The state of an `imp_intercluster_peer` and the peer it declares ([`peer_of`]).

use crate::grammar::parse_endpoint;
use crate::providers::imp::HTTPS_PORT;
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueBool, ValueList, ValueMap, ValueNumber, ValueString};

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct PeerState<'a> {
    pub id: ValueString<'a>,
    pub peer_address: ValueString<'a>,
    pub peer_endpoint: ValueString<'a>,
    pub peer_axl_username: ValueString<'a>,
    pub peer_axl_password: ValueString<'a>,
    pub protocol: ValueString<'a>,
    pub peer_store: ValueString<'a>,
    pub restart_xcp_router: ValueBool,
    pub wait_for_sync: ValueBool,
    pub force_sync: ValueString<'a>,
    pub status: ValueMap<'a, ValueString<'a>>,
    pub service_states: ValueMap<'a, ValueString<'a>>,
    pub associated_users: ValueNumber,
    pub certificate_status: ValueString<'a>,
    pub publisher: Value<NodeState<'a>>,
    pub node: ValueList<Value<NodeState<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct NodeState<'a> {
    pub name: ValueString<'a>,
    pub address: ValueString<'a>,
}

/// A local node: its name and where its HTTPS services are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub host: String,
    pub port: u16,
}

/// Everything a state says about the peer, every value known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The publisher first, then the other nodes.
    pub nodes: Vec<Node>,
    pub address: String,
    pub endpoint: Node,
    pub username: String,
    pub password: String,
    pub tls: bool,
    pub axl_sql: bool,
    pub restart_xcp_router: bool,
    pub wait_for_sync: bool,
}

impl Peer {
    pub fn publisher(&self) -> &Node {
        &self.nodes[0]
    }
}

/// Why a state is not a peer yet: a value known only after apply, or one missing.
#[derive(Debug, PartialEq, Eq)]
pub enum NotYet {
    Unknown,
    Invalid(String),
}

fn word(v: &ValueString<'_>, what: &str) -> Result<String, NotYet> {
    match v {
        Value::Value(s) => Ok(s.to_string()),
        Value::Unknown => Err(NotYet::Unknown),
        Value::Null => Err(NotYet::Invalid(format!("{what} is not set"))),
    }
}

fn flag(v: &ValueBool, default: bool) -> Result<bool, NotYet> {
    match v {
        Value::Value(b) => Ok(*b),
        Value::Unknown => Err(NotYet::Unknown),
        Value::Null => Ok(default),
    }
}

fn endpoint_of(name: &str, text: &str, what: &str) -> Result<Node, NotYet> {
    let (host, port) = parse_endpoint(text).map_err(|e| NotYet::Invalid(format!("{what}: {e}")))?;
    Ok(Node {
        name: name.to_string(),
        host,
        port: port.unwrap_or(HTTPS_PORT),
    })
}

fn node_of(n: &Value<NodeState<'_>>, what: &str) -> Result<Node, NotYet> {
    match n {
        Value::Value(n) => {
            let name = word(&n.name, &format!("{what}.name"))?;
            let address = word(&n.address, &format!("{what}.address"))?;
            endpoint_of(&name, &address, &format!("{what}.address"))
        }
        Value::Unknown => Err(NotYet::Unknown),
        Value::Null => Err(NotYet::Invalid(format!("{what} is not set"))),
    }
}

/// The nodes of a state: the publisher, then the `node` blocks.
pub fn nodes_of(state: &PeerState<'_>) -> Result<Vec<Node>, NotYet> {
    let mut nodes = vec![node_of(&state.publisher, "publisher")?];
    match &state.node {
        Value::Value(list) => {
            for (i, n) in list.iter().enumerate() {
                nodes.push(node_of(n, &format!("node[{i}]"))?);
            }
        }
        Value::Unknown => return Err(NotYet::Unknown),
        Value::Null => {}
    }
    Ok(nodes)
}

/// `<peer_address>:8443`, the default `peer_endpoint`.
pub fn default_endpoint(address: &str) -> String {
    match address.contains(':') {
        true => format!("[{address}]:{HTTPS_PORT}"),
        false => format!("{address}:{HTTPS_PORT}"),
    }
}

pub fn peer_of(state: &PeerState<'_>) -> Result<Peer, NotYet> {
    let address = word(&state.peer_address, "peer_address")?;
    let endpoint_text = match &state.peer_endpoint {
        Value::Null => default_endpoint(&address),
        v => word(v, "peer_endpoint")?,
    };
    Ok(Peer {
        nodes: nodes_of(state)?,
        endpoint: endpoint_of(&address, &endpoint_text, "peer_endpoint")?,
        address,
        username: word(&state.peer_axl_username, "peer_axl_username")?,
        password: word(&state.peer_axl_password, "peer_axl_password")?,
        tls: match &state.protocol {
            Value::Null => false,
            v => word(v, "protocol")? == "tls",
        },
        axl_sql: match &state.peer_store {
            Value::Null => false,
            v => word(v, "peer_store")? == "axl_sql",
        },
        restart_xcp_router: flag(&state.restart_xcp_router, true)?,
        wait_for_sync: flag(&state.wait_for_sync, true)?,
    })
}
