//! A node's connection from the attributes every SSH-reached resource declares for it (address,
//! SSH port, login, pinned host key), and the unlabelled import-ID node it stands for.

use crate::client::NodeConnection;
use crate::resources::import_id::ImportNode;
use crate::resources::values::text;
use tf_provider::value::{ValueNumber, ValueString};

/// The connection attributes of one node, as a resource's state holds them.
pub struct NodeAttributes<'s, 'a> {
    pub address: &'s ValueString<'a>,
    pub ssh_port: &'s ValueNumber,
    pub username: &'s ValueString<'a>,
    pub password: &'s ValueString<'a>,
    pub host_key_fingerprint: &'s ValueString<'a>,
}

impl NodeAttributes<'_, '_> {
    pub fn connection(&self) -> NodeConnection {
        NodeConnection {
            address: text(self.address).unwrap_or_default(),
            port: self
                .ssh_port
                .as_ref_option()
                .and_then(|p| u16::try_from(*p).ok()),
            username: text(self.username),
            password: text(self.password),
            host_key_fingerprint: text(self.host_key_fingerprint),
        }
    }
}

/// The import-ID node (no label) that reaches `node`.
pub fn import_node(node: &NodeConnection) -> ImportNode {
    ImportNode {
        label: None,
        address: node.address.clone(),
        port: node.port,
    }
}
