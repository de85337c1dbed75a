//! The steps of Cisco's procedure (seed: imp-intercluster-peers.txt), each checked before it
//! acts: the prerequisites, the remote publisher's connectivity, the peer entry (read, or
//! written with AXL in `axl_sql` mode), the XCP Router restarts, Force Sync, the wait for sync.

use super::checks::{
    self, connectivity, local, peer_table, row_of, service_report, services_of, IN_SYNC,
    NOT_REACHABLE, POINTS_BACK,
};
use super::state::{Node, Peer};
use crate::backoff::Backoff;
use crate::client::imp::{control, query, update};
use crate::devices::imp::control_center::{Control, State, INTERCLUSTER_SYNC_AGENT, XCP_ROUTER};
use crate::devices::imp::sql::{self, PeerRow};
use crate::providers::imp::Imp;
use std::time::Duration;
use tokio::time::Instant;

/// Cisco's limit: up to 30 clusters in an intercluster mesh [seed].
pub const MAX_CLUSTERS: usize = 30;

const CONTROL_CENTER: &str = "Start it in Cisco Unified IM and Presence Serviceability > Tools > Control Center - Feature Services (Cisco XCP Router: Network Services); a service that is not activated is activated in Tools > Service Activation";

/// The prerequisites: the publisher is the database publisher (first: every other check is
/// per node of its cluster), the services, each missing one named with its node; `creating`:
/// also the mesh limit.
pub async fn prerequisites(imp: &Imp, peer: &Peer, creating: bool) -> Result<(), String> {
    let publisher = peer.publisher();
    let target = local(imp, publisher);
    let names: Vec<String> = query(&imp.devices, &target, &imp.axl_version, sql::PUBLISHER)
        .await?
        .iter()
        .filter_map(|r| r.get("name").map(|n| n.trim().to_string()))
        .collect();
    if !names
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&publisher.name))
    {
        return Err(format!(
            "{} ({}) is not the database publisher of its cluster: its database names {} as the publisher. Peers are configured on the publisher (publisher.name and publisher.address). Nothing was changed.",
            publisher.name,
            target.base_url,
            match names.is_empty() {
                true => "no node".to_string(),
                false => names.join(", "),
            }
        ));
    }
    let mut missing = Vec::new();
    for (i, node) in peer.nodes.iter().enumerate() {
        match service_report(imp, node, false).await {
            Err(e) => missing.push(format!("the services of {} cannot be read: {e}", node.name)),
            Ok(report) => {
                // The XCP Router is not a prerequisite: the apply restarts it.
                for service in services_of(i).into_iter().filter(|s| *s != XCP_ROUTER) {
                    match report.service(service) {
                        Some(s) if s.state == State::Started => {}
                        Some(s) => {
                            missing.push(format!("{service} on {} is {}", node.name, s.describe()))
                        }
                        None => missing.push(format!("{service} is not on {}", node.name)),
                    }
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "not every service the peer needs runs:\n  - {}\n{CONTROL_CENTER}. Nothing was changed.",
            missing.join("\n  - ")
        ));
    }
    if creating {
        let others = peer_table(imp, &target, false)
            .await?
            .iter()
            .filter(|r| !r.address.eq_ignore_ascii_case(&peer.address))
            .count();
        // This cluster, its peers, and the new one.
        if others + 2 > MAX_CLUSTERS {
            return Err(format!(
                "{} already has {others} intercluster peers: with {} the mesh would have {} clusters, and Cisco supports up to {MAX_CLUSTERS}. Nothing was changed.",
                publisher.name,
                peer.address,
                others + 2
            ));
        }
    }
    Ok(())
}

/// The remote publisher answers the Sync Agent's query with the configured credentials.
pub async fn check_reachable(imp: &Imp, peer: &Peer) -> Result<(), String> {
    connectivity(imp, peer).await.map_err(|e| {
        format!(
            "{} (at {}) as {}: {NOT_REACHABLE}: {e}. Nothing was changed.",
            peer.address,
            checks::remote(imp, peer).base_url,
            peer.username
        )
    })
}

pub fn wanted_row(peer: &Peer) -> PeerRow {
    PeerRow {
        address: peer.address.clone(),
        username: peer.username.clone(),
        password: peer.password.clone(),
        protocol: if peer.tls { "tls" } else { "tcp" }.to_string(),
    }
}

/// What differs between a row and the configuration, in the GUI's field names.
pub fn differences(have: &PeerRow, want: &PeerRow) -> Vec<String> {
    let mut out = Vec::new();
    if have.username != want.username {
        out.push(format!("AXL Username (is {:?})", have.username));
    }
    if have.password != want.password {
        out.push("AXL Password".to_string());
    }
    if have.protocol != want.protocol {
        out.push(format!("Protocol (is {})", have.protocol.to_uppercase()));
    }
    out
}

fn gui_add(peer: &Peer) -> String {
    format!(
        "No public API adds an intercluster peer (peer_store = \"verify\"). Add it in the admin GUI, then apply again:\n  1. In Cisco Unified CM IM and Presence Administration on {pub_}, choose Presence > Inter-Clustering.\n  2. Click Add New.\n  3. In Peer Address, enter {addr} (the remote publisher's node name, exactly as System > Presence Topology on that cluster shows it).\n  4. Enter the AXL credentials: {user} and its password.\n  5. Select the Protocol {proto}.\n  6. Click Save.\nThe apply then restarts Cisco XCP Router on every node and checks the peer. (peer_store = \"axl_sql\" writes the peer through AXL instead; Cisco does not support that.)",
        pub_ = peer.publisher().name,
        addr = peer.address,
        user = peer.username,
        proto = if peer.tls { "TLS" } else { "TCP" },
    )
}

fn gui_edit(peer: &Peer, what: &[String]) -> String {
    format!(
        "The peer {addr} on {pub_} differs from the configuration: {}. No public API changes an intercluster peer (peer_store = \"verify\"). In Cisco Unified CM IM and Presence Administration on {pub_}, choose Presence > Inter-Clustering, click Find, open {addr}, set the fields as configured, click Save, and apply again: the apply then restarts Cisco XCP Router on every node.",
        what.join(", "),
        addr = peer.address,
        pub_ = peer.publisher().name,
    )
}

/// The GUI steps that delete a peer (`verify` mode).
pub fn gui_delete(peer: &Peer) -> String {
    format!(
        "No public API deletes an intercluster peer (peer_store = \"verify\"). Delete it in the admin GUI, then destroy again:\n  1. In Cisco Unified CM IM and Presence Administration on {pub_}, choose Presence > Inter-Clustering.\n  2. Click Find, check {addr}, click Delete Selected.\nThe destroy then restarts Cisco XCP Router on every node. The peer stays in the Terraform state until then.",
        pub_ = peer.publisher().name,
        addr = peer.address,
    )
}

/// The peer entry as configured: left as it is, or written (`axl_sql`), or the GUI steps
/// (`verify`). `true` when a statement changed the table.
pub async fn put_peer(imp: &Imp, peer: &Peer) -> Result<bool, String> {
    let target = local(imp, peer.publisher());
    let rows = peer_table(imp, &target, true).await?;
    let want = wanted_row(peer);
    let existing = row_of(&rows, &peer.address).cloned();
    let statement = match (&existing, peer.axl_sql) {
        (Some(have), _) if differences(have, &want).is_empty() => return Ok(false),
        (None, false) => {
            return Err(format!(
                "{} has no intercluster peer {}. {}",
                peer.publisher().name,
                peer.address,
                gui_add(peer)
            ))
        }
        (Some(have), false) => return Err(gui_edit(peer, &differences(have, &want))),
        (None, true) => sql::insert_peer(&imp.names, &want)?,
        (Some(_), true) => sql::update_peer(&imp.names, &want)?,
    };
    let written = update(&imp.devices, &target, &imp.axl_version, &statement).await;
    imp.reads.peers.forget(&checks::key(&target)).await;
    match written? {
        1 => Ok(true),
        n => Err(format!(
            "executeSQLUpdate on {} changed {n} rows of the peer table, not 1",
            target.base_url
        )),
    }
}

/// Take the peer entry off the publisher (`axl_sql`), or the GUI steps (`verify`). `Ok` also
/// when it is already gone.
pub async fn remove_peer(imp: &Imp, peer: &Peer) -> Result<(), String> {
    let target = local(imp, peer.publisher());
    let rows = peer_table(imp, &target, true).await?;
    if row_of(&rows, &peer.address).is_none() {
        return Ok(());
    }
    if !peer.axl_sql {
        return Err(format!(
            "{} still has the intercluster peer {}. {}",
            peer.publisher().name,
            peer.address,
            gui_delete(peer)
        ));
    }
    let statement = sql::delete_peer(&imp.names, &peer.address)?;
    let removed = update(&imp.devices, &target, &imp.axl_version, &statement).await;
    imp.reads.peers.forget(&checks::key(&target)).await;
    removed.map(drop).map_err(String::from)
}

/// Restart `service` on `node` and wait until it reports Started again.
pub async fn restart(
    imp: &Imp,
    node: &Node,
    service: &str,
    deadline: Instant,
) -> Result<(), String> {
    let target = local(imp, node);
    let answer = control(&imp.devices, &target, Control::Restart, &[service]).await;
    // Whatever the answer, the states read before are stale now.
    service_report(imp, node, true).await.ok();
    let report = answer?;
    if let Some(code) = report.return_code.filter(|c| *c != 0) {
        return Err(format!(
            "soapDoControlServices Restart {service} on {}: ReturnCode {code}: {}",
            node.name, report.reason
        ));
    }
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(3));
    loop {
        let state = service_report(imp, node, true)
            .await
            .map(|r| r.service(service).cloned());
        match &state {
            Ok(Some(s)) if s.state == State::Started => return Ok(()),
            _ => {}
        }
        let Some(delay) = backoff.next_delay(deadline) else {
            let now = match state {
                Ok(Some(s)) => s.describe(),
                Ok(None) => "not listed".to_string(),
                Err(e) => e,
            };
            return Err(format!(
                "{service} on {} was restarted but is not Started within the timeout (now: {now})",
                node.name
            ));
        };
        tokio::time::sleep(delay).await;
    }
}

/// Cisco XCP Router restarted on every node of the local cluster, one at a time.
pub async fn restart_xcp_routers(imp: &Imp, peer: &Peer, deadline: Instant) -> Result<(), String> {
    for node in &peer.nodes {
        restart(imp, node, XCP_ROUTER, deadline).await?;
    }
    Ok(())
}

/// Cisco XCP Router restarted on the nodes where it is not Started (stopped behind the
/// provider's back); a Restart also starts a stopped router [DEP91].
pub async fn restart_stopped_xcp_routers(
    imp: &Imp,
    peer: &Peer,
    deadline: Instant,
) -> Result<(), String> {
    for node in &peer.nodes {
        let report = service_report(imp, node, false).await?;
        if report
            .service(XCP_ROUTER)
            .is_none_or(|s| s.state != State::Started)
        {
            restart(imp, node, XCP_ROUTER, deadline).await?;
        }
    }
    Ok(())
}

/// Force Sync's documented fallback: Cisco Intercluster Sync Agent restarted on the publisher.
pub async fn force_sync(imp: &Imp, peer: &Peer, deadline: Instant) -> Result<(), String> {
    restart(imp, peer.publisher(), INTERCLUSTER_SYNC_AGENT, deadline).await
}

/// Wait until the checks a synced peer passes pass: reachable, the far side pointing back,
/// every remote user associated, and (TLS) the certificates in sync.
pub async fn wait_for_sync(imp: &Imp, peer: &Peer, deadline: Instant) -> Result<(), String> {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
    loop {
        let remote = checks::key(&checks::remote(imp, peer));
        imp.reads.peers.forget(&remote).await;
        let seen = checks::observe(imp, peer, false).await?;
        let pending: Vec<String> = match &seen {
            None => vec![format!(
                "{} has no peer {}",
                peer.publisher().name,
                peer.address
            )],
            Some(s) => [
                ("connectivity", &s.connectivity, checks::REACHABLE),
                ("far_side", &s.far_side, POINTS_BACK),
                ("sync", &s.sync, IN_SYNC),
                (
                    "certificate_status",
                    &s.certificate_status,
                    if peer.tls { IN_SYNC } else { checks::NOT_USED },
                ),
            ]
            .into_iter()
            .filter(|(_, have, want)| have != want)
            .map(|(k, have, _)| format!("{k}: {have}"))
            .collect(),
        };
        if pending.is_empty() {
            return Ok(());
        }
        let Some(delay) = backoff.next_delay(deadline) else {
            return Err(format!(
                "the peer {} is not in sync within the timeout: {}. The remote cluster needs its own peer for {} (the other direction); the Sync Agent may take up to 30 minutes.",
                peer.address,
                pending.join("; "),
                peer.publisher().name
            ));
        };
        tokio::time::sleep(delay).await;
    }
}
