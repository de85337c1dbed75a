//! What a peer looks like from the devices: the local publisher's peer table, every node's
//! service states, and the checks of the GUI's Intercluster Peer Status, run the way the
//! Intercluster Sync Agent runs them (AXL queries against the remote publisher with the peer's
//! credentials, [TAC217581]). Nothing here changes a device.
//!
//! Shared per run (`providers::imp::Reads`): one `soapGetServiceStatus` per node for every
//! service any peer needs, one read of each publisher's peer table; counts and certificates
//! move by themselves and are asked each time.

use super::state::{Node, Peer};
use crate::client::imp::{query, services, AxlFailure};
use crate::client::HttpsTarget;
use crate::devices::imp::axl::Row;
use crate::devices::imp::control_center::{
    Report, AXL_WEB_SERVICE, INTERCLUSTER_SYNC_AGENT, SYNC_AGENT, XCP_ROUTER,
};
use crate::devices::imp::sql::{self, PeerRow};
use crate::providers::imp::Imp;
use std::collections::{BTreeMap, BTreeSet};

pub const PRESENT: &str = "present";
/// `status.peer` in `verify` mode while the publisher has no such peer.
pub const ABSENT: &str = "absent";
pub const REACHABLE: &str = "reachable";
pub const POINTS_BACK: &str = "points back";
pub const IN_SYNC: &str = "in sync";
pub const NOT_USED: &str = "not used";
/// The GUI's Peer Connectivity Test failure (imp-interface.md §1, [TAC217581]).
pub const NOT_REACHABLE: &str = "Not reachable (Check peer address is valid, AXL is running on peer and AXL username/password credentials are valid)";

/// Every service a peer needs, asked in one status request per node.
pub const SERVICES: [&str; 4] = [
    AXL_WEB_SERVICE,
    SYNC_AGENT,
    INTERCLUSTER_SYNC_AGENT,
    XCP_ROUTER,
];

/// The services that must run on the `index`th node (0: the publisher): AXL, the
/// Intercluster Sync Agent and the XCP Router everywhere, the Sync Agent on the publisher.
pub fn services_of(index: usize) -> Vec<&'static str> {
    SERVICES
        .iter()
        .copied()
        .filter(|s| index == 0 || *s != SYNC_AGENT)
        .collect()
}

/// `<node>/<service>`, the key of `service_states`.
pub fn service_key(node: &str, service: &str) -> String {
    format!("{node}/{service}")
}

/// A node's entry in the run's shared reads: its URL and who asked.
pub fn key(target: &HttpsTarget) -> String {
    let user = match &target.auth {
        crate::client::HttpsAuth::Basic { username, .. }
        | crate::client::HttpsAuth::Token { username, .. } => username,
    };
    format!("{}\0{user}", target.base_url)
}

pub fn local(imp: &Imp, node: &Node) -> HttpsTarget {
    imp.target(&node.host, node.port)
}

/// The remote publisher's AXL, as the peer's credentials reach it.
pub fn remote(imp: &Imp, peer: &Peer) -> HttpsTarget {
    imp.target_as(
        &peer.endpoint.host,
        peer.endpoint.port,
        &peer.username,
        &peer.password,
    )
}

/// The peer table of the publisher `target` names (shared in the run unless `fresh`).
pub async fn peer_table(
    imp: &Imp,
    target: &HttpsTarget,
    fresh: bool,
) -> Result<Vec<PeerRow>, String> {
    let key = key(target);
    if fresh {
        imp.reads.peers.forget(&key).await;
    }
    imp.reads
        .peers
        .get(&key, async {
            let rows = query(
                &imp.devices,
                target,
                &imp.axl_version,
                &sql::peers(&imp.names),
            )
            .await?;
            sql::peer_rows(&imp.names, &rows)
                .map_err(|e| format!("the peer table of {}: {e}", target.base_url))
        })
        .await
}

/// The states of every service a peer needs on `node` (shared in the run unless `fresh`).
pub async fn service_report(imp: &Imp, node: &Node, fresh: bool) -> Result<Report, String> {
    let target = local(imp, node);
    let key = key(&target);
    if fresh {
        imp.reads.services.forget(&key).await;
    }
    imp.reads
        .services
        .get(&key, services(&imp.devices, &target, &SERVICES))
        .await
        .map_err(|e| format!("{} ({}): {e}", node.name, target.base_url))
}

/// `<node>/<service>` = state, for every service the nodes need.
pub async fn service_states(imp: &Imp, nodes: &[Node]) -> BTreeMap<String, String> {
    let mut states = BTreeMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let report = service_report(imp, node, false).await;
        for service in services_of(i) {
            let state = match &report {
                Ok(r) => r
                    .service(service)
                    .map_or("not on this node".to_string(), |s| s.describe()),
                Err(e) => format!("unreadable: {e}"),
            };
            states.insert(service_key(&node.name, service), state);
        }
    }
    states
}

/// The first row's `count` of a `count(*)` answer.
fn count(rows: &[Row], what: &str) -> Result<u64, String> {
    rows.first()
        .and_then(|r| r.get("count"))
        .and_then(|c| c.trim().parse().ok())
        .ok_or_else(|| format!("{what}: the answer has no count"))
}

/// The row of `address` in a peer table (node names are compared without case, as DNS does).
pub fn row_of<'r>(rows: &'r [PeerRow], address: &str) -> Option<&'r PeerRow> {
    rows.iter()
        .find(|r| r.address.eq_ignore_ascii_case(address))
}

/// The Sync Agent's connectivity test against the remote publisher.
pub async fn connectivity(imp: &Imp, peer: &Peer) -> Result<(), AxlFailure> {
    query(
        &imp.devices,
        &remote(imp, peer),
        &imp.axl_version,
        sql::CONNECTIVITY,
    )
    .await
    .map(drop)
}

/// `status.connectivity` for a connectivity result.
pub fn connectivity_word(result: &Result<(), AxlFailure>) -> String {
    match result {
        Ok(()) => REACHABLE.to_string(),
        Err(e) => format!("{NOT_REACHABLE}: {e}"),
    }
}

/// The remote checks, for a peer whose connectivity is good.
struct Far {
    far_side: String,
    sync: String,
    associated_users: Option<u64>,
    certificate_status: String,
}

async fn far_checks(imp: &Imp, peer: &Peer) -> Far {
    let remote = remote(imp, peer);
    let local = local(imp, peer.publisher());
    let far_side = match peer_table(imp, &remote, false).await {
        Ok(rows) if row_of(&rows, &peer.publisher().name).is_some() => POINTS_BACK.to_string(),
        Ok(_) => format!("no peer for {} on {}", peer.publisher().name, peer.address),
        Err(e) => format!("unreadable: {e}"),
    };
    let users = |target: HttpsTarget, home: String| async move {
        let sql = sql::users_of(&imp.names, &home)?;
        let rows = query(&imp.devices, &target, &imp.axl_version, &sql).await?;
        count(&rows, &sql)
    };
    let theirs = users(remote.clone(), String::new()).await;
    let ours = users(local.clone(), peer.address.clone()).await;
    let sync = match (&ours, &theirs) {
        (Ok(o), Ok(t)) if o == t && far_side == POINTS_BACK => IN_SYNC.to_string(),
        (Ok(o), Ok(t)) => format!("syncing: {o} of {t} users associated"),
        (Err(e), _) | (_, Err(e)) => format!("unreadable: {e}"),
    };
    let certificate_status = match peer.tls {
        false => NOT_USED.to_string(),
        true => certificates(imp, &local, &remote)
            .await
            .unwrap_or_else(|e| format!("unreadable: {e}")),
    };
    Far {
        far_side,
        sync,
        associated_users: ours.ok(),
        certificate_status,
    }
}

/// Server and serial of each certificate an answer lists.
fn serials(imp: &Imp, rows: &[Row]) -> BTreeSet<(String, String)> {
    use crate::devices::imp::facts::Id;
    let (server, serial) = (
        imp.names.name(Id::CertificateServer),
        imp.names.name(Id::CertificateSerial),
    );
    rows.iter()
        .filter_map(|r| {
            Some((
                r.get(server)?.trim().to_ascii_lowercase(),
                r.get(serial)?.trim().to_ascii_lowercase(),
            ))
        })
        .collect()
}

/// `in sync` when every remote node's Tomcat certificate is trusted here.
async fn certificates(
    imp: &Imp,
    local: &HttpsTarget,
    remote: &HttpsTarget,
) -> Result<String, String> {
    let v = &imp.axl_version;
    let nodes: Vec<String> = query(&imp.devices, remote, v, sql::NODES)
        .await?
        .iter()
        .filter_map(|r| r.get("name").map(|n| n.trim().to_string()))
        .collect();
    let names: Vec<&str> = nodes.iter().map(String::as_str).collect();
    let theirs = sql::certificates(&imp.names, "tomcat", &names)?;
    let ours = sql::certificates(&imp.names, "tomcat-trust", &names)?;
    let theirs = serials(imp, &query(&imp.devices, remote, v, &theirs).await?);
    let ours = serials(imp, &query(&imp.devices, local, v, &ours).await?);
    let missing: BTreeSet<&str> = theirs
        .iter()
        .filter(|c| !ours.contains(*c))
        .map(|(server, _)| server.as_str())
        .collect();
    Ok(match missing.is_empty() {
        true => IN_SYNC.to_string(),
        false => format!(
            "out of sync: {}",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        ),
    })
}

/// What the devices report of a peer.
#[derive(Clone, Debug)]
pub struct Seen {
    /// `None`: the publisher has no such peer (reported in `verify` mode only).
    pub row: Option<PeerRow>,
    pub services: BTreeMap<String, String>,
    pub connectivity: String,
    pub far_side: String,
    pub sync: String,
    pub associated_users: Option<u64>,
    pub certificate_status: String,
}

/// The peer as the devices report it, checked with the credentials its row holds (as the
/// Sync Agent uses them); when the publisher has no such peer, `None`, or with `absent_too`
/// the checks with the configured credentials.
pub async fn observe(imp: &Imp, peer: &Peer, absent_too: bool) -> Result<Option<Seen>, String> {
    let rows = peer_table(imp, &local(imp, peer.publisher()), false).await?;
    let row = row_of(&rows, &peer.address).cloned();
    let as_stored = match &row {
        None if !absent_too => return Ok(None),
        None => peer.clone(),
        Some(row) => {
            crate::secrets::register(&row.password);
            Peer {
                username: row.username.clone(),
                password: row.password.clone(),
                tls: row.protocol == "tls",
                ..peer.clone()
            }
        }
    };
    let services = service_states(imp, &peer.nodes).await;
    let reach = connectivity(imp, &as_stored).await;
    let far = match &reach {
        Ok(()) => far_checks(imp, &as_stored).await,
        Err(_) => Far {
            far_side: "not checked: the peer is not reachable".into(),
            sync: "not checked: the peer is not reachable".into(),
            associated_users: None,
            certificate_status: match as_stored.tls {
                true => "not checked: the peer is not reachable".into(),
                false => NOT_USED.into(),
            },
        },
    };
    Ok(Some(Seen {
        row,
        services,
        connectivity: connectivity_word(&reach),
        far_side: far.far_side,
        sync: far.sync,
        associated_users: far.associated_users,
        certificate_status: far.certificate_status,
    }))
}
