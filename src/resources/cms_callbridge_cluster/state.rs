//! The state of `cms_callbridge_cluster`: its nodes, the cluster settings each node has, and
//! the clustered Call Bridges (peers) as the API lists them.

use crate::devices::cms::rest::Object;
use crate::resources::values::{known, text};
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueList, ValueNumber, ValueString};
use tf_provider::AttributePath;

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CallbridgeClusterState<'a> {
    pub id: ValueString<'a>,
    pub node: ValueList<Value<CallbridgeNode<'a>>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct CallbridgeNode<'a> {
    pub unique_name: ValueString<'a>,
    pub address: ValueString<'a>,
    pub api_address: ValueString<'a>,
    pub sip_domain: ValueString<'a>,
    pub peer_link_bit_rate: ValueNumber,
    pub participant_limit: ValueNumber,
    pub load_limit: ValueNumber,
    pub new_conference_load_limit_basis_points: ValueNumber,
    pub existing_conference_load_limit_basis_points: ValueNumber,
    pub max_peer_video_streams: ValueNumber,
    pub peers: ValueList<ValueString<'a>>,
}

/// A numeric field of `/api/v1/system/configuration/cluster` and the node attribute it is.
type SettingField = for<'s, 'a> fn(&'s CallbridgeNode<'a>) -> &'s ValueNumber;
type SettingFieldMut = for<'s, 'a> fn(&'s mut CallbridgeNode<'a>) -> &'s mut ValueNumber;

pub struct Setting {
    pub api: &'static str,
    pub get: SettingField,
    pub get_mut: SettingFieldMut,
}

pub const SETTINGS: [Setting; 6] = [
    Setting {
        api: "peerLinkBitRate",
        get: |n| &n.peer_link_bit_rate,
        get_mut: |n| &mut n.peer_link_bit_rate,
    },
    Setting {
        api: "participantLimit",
        get: |n| &n.participant_limit,
        get_mut: |n| &mut n.participant_limit,
    },
    Setting {
        api: "loadLimit",
        get: |n| &n.load_limit,
        get_mut: |n| &mut n.load_limit,
    },
    Setting {
        api: "newConferenceLoadLimitBasisPoints",
        get: |n| &n.new_conference_load_limit_basis_points,
        get_mut: |n| &mut n.new_conference_load_limit_basis_points,
    },
    Setting {
        api: "existingConferenceLoadLimitBasisPoints",
        get: |n| &n.existing_conference_load_limit_basis_points,
        get_mut: |n| &mut n.existing_conference_load_limit_basis_points,
    },
    Setting {
        api: "maxPeerVideoStreams",
        get: |n| &n.max_peer_video_streams,
        get_mut: |n| &mut n.max_peer_video_streams,
    },
];

pub fn node_path(i: usize) -> AttributePath {
    AttributePath::new("node").index(i as i64)
}

/// One clustered Call Bridge entry (`/api/v1/callBridges/<id>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub id: Option<String>,
    pub name: String,
    pub address: String,
    pub sip_domain: String,
}

impl Peer {
    pub fn from_object(o: &Object) -> Peer {
        Peer {
            id: o.id.clone(),
            name: o.text("name"),
            address: o.text("address"),
            sip_domain: o.text("sipDomain"),
        }
    }

    /// How `peers` lists it.
    pub fn entry(&self) -> String {
        match self.sip_domain.is_empty() {
            true => format!("{}={}", self.name, self.address),
            false => format!(
                "{}={} sip_domain={}",
                self.name, self.address, self.sip_domain
            ),
        }
    }

    /// Same name, address and SIP domain (ids aside).
    pub fn same(&self, other: &Peer) -> bool {
        (&self.name, &self.address, &self.sip_domain)
            == (&other.name, &other.address, &other.sip_domain)
    }
}

/// `peers` of a list of entries: sorted.
pub fn peer_list(peers: &[Peer]) -> ValueList<ValueString<'static>> {
    let mut entries: Vec<String> = peers.iter().map(Peer::entry).collect();
    entries.sort();
    Value::Value(entries.into_iter().map(known).collect())
}

impl<'a> CallbridgeClusterState<'a> {
    pub fn nodes(&self) -> Vec<CallbridgeNode<'a>> {
        self.node
            .as_ref_option()
            .map(|n| {
                n.iter()
                    .filter_map(|n| n.as_ref_option().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn with_nodes(self, nodes: Vec<CallbridgeNode<'a>>) -> Self {
        CallbridgeClusterState {
            id: nodes
                .first()
                .map(|n| n.unique_name.clone())
                .unwrap_or(Value::Null),
            node: Value::Value(nodes.into_iter().map(Value::Value).collect()),
            ..self
        }
    }
}

impl CallbridgeNode<'_> {
    pub fn name(&self) -> String {
        text(&self.unique_name).unwrap_or_default()
    }

    /// Where the provider reaches the node's API: `api_address`, else `address`.
    pub fn api_address(&self) -> String {
        text(&self.api_address)
            .or_else(|| text(&self.address))
            .unwrap_or_default()
    }

    /// The entry every node lists for this one.
    pub fn peer(&self) -> Peer {
        Peer {
            id: None,
            name: self.name(),
            address: text(&self.address).unwrap_or_default(),
            sip_domain: text(&self.sip_domain).unwrap_or_default(),
        }
    }

    /// Whether everything of its entry is known at plan time.
    pub fn peer_known(&self) -> bool {
        !(self.unique_name.is_unknown()
            || self.address.is_unknown()
            || self.sip_domain.is_unknown())
    }
}
