//! The API steps on one node, each reading before it writes so that a run repeated after a
//! failure finishes the job instead of doing it twice.

use super::state::{CallbridgeNode, Peer, SETTINGS};
use crate::client::cms_api::Api;
use crate::devices::cms::rest::{object_path, Object, CALL_BRIDGES, CLUSTER_PATH};
use crate::resources::step::StepError;

/// What one node's API shows: its cluster settings and its clustered Call Bridges.
#[derive(Clone, Debug)]
pub struct NodeView {
    pub cluster: Object,
    pub peers: Vec<Peer>,
}

pub async fn read(api: &Api<'_>) -> Result<NodeView, StepError> {
    let cluster = api.get(CLUSTER_PATH, "cluster").await?;
    let peers = api
        .list_full(&CALL_BRIDGES)
        .await?
        .iter()
        .map(Peer::from_object)
        .collect();
    Ok(NodeView { cluster, peers })
}

/// The node's identity and the settings its block sets (`clear`: emptied, for a destroy), in
/// one PUT when anything differs.
pub async fn identity(
    api: &Api<'_>,
    node: &CallbridgeNode<'_>,
    clear: bool,
) -> Result<(), StepError> {
    let cluster = api.get(CLUSTER_PATH, "cluster").await?;
    let mut wanted: Vec<(&str, String)> = vec![(
        "uniqueName",
        match clear {
            true => String::new(),
            false => node.name(),
        },
    )];
    for s in &SETTINGS {
        if let Some(v) = (s.get)(node).as_ref_option() {
            wanted.push((
                s.api,
                match clear {
                    true => String::new(),
                    false => v.to_string(),
                },
            ));
        }
    }
    let differs = wanted
        .iter()
        .any(|(field, value)| cluster.get(field).unwrap_or_default() != value);
    if differs {
        let params: Vec<(&str, &str)> = wanted.iter().map(|(f, v)| (*f, v.as_str())).collect();
        api.update(CLUSTER_PATH, &params).await?;
    }
    Ok(())
}

fn params(peer: &Peer) -> [(&'static str, &str); 3] {
    [
        ("name", peer.name.as_str()),
        ("address", peer.address.as_str()),
        ("sipDomain", peer.sip_domain.as_str()),
    ]
}

/// The node lists exactly `wanted`, each once: changed entries put back, missing ones added,
/// the others (stale, renamed, duplicate) removed first, so a name freed by one is free for
/// another.
pub async fn peers(api: &Api<'_>, wanted: &[Peer]) -> Result<(), StepError> {
    let listed: Vec<Peer> = read(api).await?.peers;
    let mut keep: Vec<&Peer> = Vec::new();
    for peer in &listed {
        let wanted_name = wanted.iter().any(|w| w.name == peer.name);
        if wanted_name && !keep.iter().any(|k| k.name == peer.name) {
            keep.push(peer);
        } else {
            delete(api, peer).await?;
        }
    }
    for want in wanted {
        match keep.iter().find(|k| k.name == want.name) {
            Some(have) if have.same(want) => {}
            Some(have) => {
                let path = object_path(&CALL_BRIDGES, have.id.as_deref().unwrap_or_default());
                api.update(&path, &params(want)).await?;
            }
            None => {
                api.create(&CALL_BRIDGES, &params(want)).await?;
            }
        }
    }
    Ok(())
}

/// The entries named `names` removed from the node.
pub async fn remove(api: &Api<'_>, names: &[String]) -> Result<(), StepError> {
    for peer in read(api).await?.peers {
        if names.contains(&peer.name) {
            delete(api, &peer).await?;
        }
    }
    Ok(())
}

async fn delete(api: &Api<'_>, peer: &Peer) -> Result<(), StepError> {
    let path = object_path(&CALL_BRIDGES, peer.id.as_deref().unwrap_or_default());
    Ok(api.delete(&path).await?)
}
