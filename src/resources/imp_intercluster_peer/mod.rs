//! `imp_intercluster_peer`: one direction of a Cisco IM and Presence intercluster peering,
//! configured on the local cluster's database publisher (seed: imp-intercluster-peers.txt).
//!
//! What rests on documented APIs: service states and restarts (ControlCenterServices on each
//! node), the Sync Agent's connectivity query against the remote publisher (AXL
//! `executeSQLQuery`, [TAC217581]). What does not: no public API lists, adds or deletes a peer,
//! and its table is not published, so the peer is read (and in `axl_sql` mode written) under
//! the names of `devices::imp::facts`, each marked, overridable from the provider block.
//!
//! The plan holds the good value of every check (`status`, `service_states`,
//! `certificate_status`), so a failed check is drift at its key and the apply repairs what it
//! can: the peer entry, the XCP Router restarts, Force Sync. A missing peer entry is a create.
//!
//! Import ID: `<peer_address>@<publisher>=<host>[:<port>],<node>=<host>[:<port>]...`, the
//! publisher first, optionally `;peer_endpoint=<host>:<port>` and `;peer_store=axl_sql`.

pub mod attributes;
mod checks;
pub mod state;
mod steps;

use crate::devices::imp::facts::Id;
use crate::providers::imp::{Imp, ImpSlot, HTTPS_PORT};
use crate::resources::adapter::{Change, DeviceResource, Observed, Outcome, Refusal};
use crate::resources::import_id::{ImportId, ImportNode, ImportShape};
use crate::resources::spec::Spec;
use crate::resources::values::{known, text};
use crate::timeouts::{before, import_deadline};
use attributes::SPEC;
use checks::{
    service_key, services_of, Seen, ABSENT, IN_SYNC, NOT_USED, POINTS_BACK, PRESENT, REACHABLE,
};
use state::{default_endpoint, peer_of, NodeState, NotYet, Peer, PeerState};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tf_provider::value::{Value, ValueEmpty, ValueMap, ValueString};
use tf_provider::{AttributePath, Diagnostics};
use tokio::time::Instant;

/// The facts every peer reads or writes.
const USED: [Id; 11] = [
    Id::PeerTable,
    Id::PeerAddress,
    Id::PeerUsername,
    Id::PeerPassword,
    Id::PeerProtocol,
    Id::CertificateTable,
    Id::CertificateServer,
    Id::CertificateSerial,
    Id::CertificateRole,
    Id::UserTable,
    Id::UserHome,
];

pub struct InterclusterPeerResource {
    imp: Arc<ImpSlot>,
    /// The unconfirmed-names warning was given in this run.
    warned: AtomicBool,
}

impl InterclusterPeerResource {
    pub fn new(imp: Arc<ImpSlot>) -> Self {
        InterclusterPeerResource {
            imp,
            warned: AtomicBool::new(false),
        }
    }
}

fn map<'a>(entries: impl IntoIterator<Item = (String, String)>) -> ValueMap<'a, ValueString<'a>> {
    Value::Value(
        entries
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k), known(v)))
            .collect(),
    )
}

fn status_value<'a>(state: &'a PeerState<'_>, key: &str) -> Option<&'a str> {
    state
        .status
        .as_ref_option()?
        .get(key)?
        .as_ref_option()
        .map(|s| s.as_ref())
}

/// `status.peer`: the entry as the last apply left it (`present`), or in `verify` mode, where
/// the operator edits it in the GUI, `absent` or what differs from the state's values, so
/// the apply after a GUI change knows the XCP Routers still run with the old entry.
fn peer_status(seen: &Seen, peer: &Peer, from_row: bool) -> String {
    match &seen.row {
        None => ABSENT.into(),
        Some(_) if from_row => PRESENT.into(),
        Some(row) => match steps::differences(row, &steps::wanted_row(peer)) {
            d if d.is_empty() => PRESENT.into(),
            d => format!("differs: {}", d.join(", ")),
        },
    }
}

/// `(key, value)` of each status check.
fn status_entries(seen: &Seen, peer: &Peer, from_row: bool) -> Vec<(String, String)> {
    vec![
        ("peer".into(), peer_status(seen, peer, from_row)),
        ("connectivity".into(), seen.connectivity.clone()),
        ("far_side".into(), seen.far_side.clone()),
        ("sync".into(), seen.sync.clone()),
    ]
}

/// The state the devices report: every check and service, and `from_row` (`axl_sql`, and an
/// import) the peer entry's values; else `base`'s, with `status.peer` saying what differs.
fn observed<'a>(base: &PeerState<'a>, peer: &Peer, seen: &Seen, from_row: bool) -> PeerState<'a> {
    let mut state = base.clone();
    if let Some(row) = seen.row.as_ref().filter(|_| from_row) {
        state.peer_axl_username = known(row.username.clone());
        state.peer_axl_password = known(row.password.clone());
        state.protocol = known(row.protocol.clone());
    }
    if state.peer_endpoint.is_null() {
        state.peer_endpoint = known(default_endpoint(&peer.address));
    }
    state.status = map(status_entries(seen, peer, from_row));
    state.service_states = map(seen.services.clone());
    state.associated_users = seen
        .associated_users
        .and_then(|n| i64::try_from(n).ok())
        .map_or(Value::Null, Value::Value);
    state.certificate_status = known(seen.certificate_status.clone());
    state.id = import_id(&state).map_or(Value::Null, known);
    state
}

fn endpoint_text(host: &str, port: u16) -> String {
    match host.contains(':') {
        true => format!("[{host}]:{port}"),
        false => format!("{host}:{port}"),
    }
}

fn import_id(state: &PeerState<'_>) -> Option<String> {
    let peer = peer_of(state).ok()?;
    let mut settings = Vec::new();
    if peer.axl_sql {
        settings.push(("peer_store".to_string(), "axl_sql".to_string()));
    }
    let default = default_endpoint(&peer.address);
    let endpoint = endpoint_text(&peer.endpoint.host, peer.endpoint.port);
    if endpoint != default {
        settings.push(("peer_endpoint".to_string(), endpoint));
    }
    Some(
        ImportId {
            name: Some(peer.address.clone()),
            nodes: peer
                .nodes
                .iter()
                .map(|n| ImportNode {
                    label: Some(n.name.clone()),
                    address: n.host.clone(),
                    port: Some(n.port),
                })
                .collect(),
            settings,
        }
        .to_string(),
    )
}

/// The configured peer, or why not (an error in `diags`).
fn peer_or_error(state: &PeerState<'_>, what: &str, diags: &mut Diagnostics) -> Option<Peer> {
    match peer_of(state) {
        Ok(p) => Some(p),
        Err(e) => {
            diags.root_error(
                format!("Cannot {what} the intercluster peer"),
                format!("{e:?}"),
            );
            None
        }
    }
}

/// The warning, once per run, that the names the peer is read under are unconfirmed.
fn unconfirmed_warning(imp: &Imp) -> Option<String> {
    let open = imp.names.unconfirmed_in_use(&USED);
    (!open.is_empty()).then(|| {
        format!(
            "No public document names the table that holds intercluster peers. This provider reads it under these unconfirmed names (verified only against uccluster's simulator): {}. Check them on your IM&P with the imp_database_tables data source and set sql_overrides in the provider block where they differ.",
            open.iter()
                .map(|e| format!("{} = {}", e.stable_id, e.name))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

#[async_trait::async_trait]
impl DeviceResource for InterclusterPeerResource {
    type State<'a> = PeerState<'a>;
    type Private<'a> = ValueEmpty;

    const SPEC: &'static Spec = &SPEC;
    const IMPORT_ID: &'static ImportShape = &ImportShape {
        name: Some(attributes::node_name),
        labels: Some(attributes::node_name),
        min_nodes: 1,
        max_nodes: usize::MAX,
        settings: &["peer_endpoint", "peer_store"],
        usage: "`<peer_address>@<publisher>=<host>:<port>,<node>=<host>:<port>,...` with the publisher first, optionally `;peer_endpoint=<host>:<port>` and `;peer_store=axl_sql` (e.g. `imp2-pub.example.com@imp1-pub.example.com=10.0.0.1:8443,imp1-sub.example.com=10.0.0.2:8443`)",
    };
    const NOUN: &'static str = "intercluster peer";

    fn validate(&self, diags: &mut Diagnostics, config: &Self::State<'_>) {
        let Ok(peer) = peer_of(config) else { return };
        let mut seen = std::collections::BTreeSet::new();
        for (i, n) in peer.nodes.iter().enumerate() {
            if !seen.insert(n.name.to_ascii_lowercase()) {
                let path = match i {
                    0 => AttributePath::new("publisher").attribute("name"),
                    i => AttributePath::new("node")
                        .index(i as i64 - 1)
                        .attribute("name"),
                };
                diags.error(
                    "Duplicate node",
                    format!("{} is named twice among the local nodes", n.name),
                    path,
                );
            }
            if n.name.eq_ignore_ascii_case(&peer.address) {
                diags.error(
                    "Invalid peer_address",
                    format!("{} is a node of the local cluster; peer_address names the remote cluster's publisher", n.name),
                    AttributePath::new("peer_address"),
                );
            }
        }
    }

    fn plan<'a>(
        &self,
        diags: &mut Diagnostics,
        mut proposed: Self::State<'a>,
        _config: &Self::State<'a>,
        prior: Option<(&Self::State<'a>, &Self::Private<'a>)>,
    ) -> Option<Self::State<'a>> {
        let imp = self.imp.get(diags)?;
        if !self.warned.swap(true, Ordering::SeqCst) {
            if let Some(w) = unconfirmed_warning(&imp) {
                diags.root_warning("Unconfirmed IM and Presence database names", w);
            }
        }
        if proposed.peer_endpoint.is_null() {
            proposed.peer_endpoint = match text(&proposed.peer_address) {
                Some(a) => known(default_endpoint(&a)),
                None => Value::Unknown,
            };
        }
        let prior = prior.map(|(p, _)| p);
        let peer = match peer_of(&proposed) {
            Ok(p) => p,
            Err(NotYet::Unknown) => {
                for v in [&mut proposed.id, &mut proposed.certificate_status] {
                    *v = Value::Unknown;
                }
                proposed.status = Value::Unknown;
                proposed.service_states = Value::Unknown;
                proposed.associated_users = Value::Unknown;
                return Some(proposed);
            }
            Err(NotYet::Invalid(e)) => {
                diags.root_error("Invalid intercluster peer", e);
                return None;
            }
        };
        proposed.id = import_id(&proposed).map_or(Value::Unknown, known);
        let reported = |key: &str| -> Option<String> {
            prior.and_then(|p| status_value(p, key)).map(str::to_string)
        };
        let mut status: BTreeMap<Cow<'a, str>, ValueString<'a>> = BTreeMap::new();
        status.insert("peer".into(), known(PRESENT));
        status.insert("connectivity".into(), known(REACHABLE));
        for (key, good) in [("far_side", POINTS_BACK), ("sync", IN_SYNC)] {
            // Without the wait, the far side and the sync are reported, never drift.
            let value = match (peer.wait_for_sync, reported(key)) {
                (true, _) => known(good),
                (false, Some(v)) => known(v),
                (false, None) => Value::Unknown,
            };
            status.insert(key.into(), value);
        }
        proposed.status = Value::Value(status);
        proposed.service_states = map(peer.nodes.iter().enumerate().flat_map(|(i, n)| {
            services_of(i)
                .into_iter()
                .map(|s| (service_key(&n.name, s), "Started".to_string()))
                .collect::<Vec<_>>()
        }));
        proposed.certificate_status = known(if peer.tls { IN_SYNC } else { NOT_USED });
        // The count moves with the remote cluster: known while nothing changes.
        proposed.associated_users = prior.map_or(Value::Unknown, |p| p.associated_users);
        if prior != Some(&proposed) {
            proposed.associated_users = Value::Unknown;
        }
        Some(proposed)
    }

    async fn observe<'a>(
        &self,
        diags: &mut Diagnostics,
        base: &Self::State<'a>,
        deadline: Instant,
    ) -> Observed<Self::State<'a>> {
        let Some(imp) = self.imp.get(diags) else {
            return Observed::Unreadable;
        };
        let Some(peer) = peer_or_error(base, "read", diags) else {
            return Observed::Unreadable;
        };
        // In verify mode a missing entry is the operator's to add: kept, and drift.
        let absent_too = !peer.axl_sql;
        let read = checks::observe(&imp, &peer, absent_too);
        match before(deadline, "reading the peer", read).await {
            Ok(Some(seen)) => Observed::Present(observed(base, &peer, &seen, peer.axl_sql)),
            Ok(None) => Observed::Gone,
            Err(e) => {
                diags.root_error("Cannot read the intercluster peer", e);
                Observed::Unreadable
            }
        }
    }

    fn report_drift(&self, diags: &mut Diagnostics, observed: &Self::State<'_>) {
        let Ok(peer) = peer_of(observed) else { return };
        let mut failed = Vec::new();
        if let Some(v) = status_value(observed, "peer").filter(|v| *v != PRESENT) {
            failed.push(format!("status.peer: {v}"));
        }
        for (key, good) in [
            ("connectivity", REACHABLE),
            ("far_side", POINTS_BACK),
            ("sync", IN_SYNC),
        ] {
            if !peer.wait_for_sync && key != "connectivity" {
                continue;
            }
            if let Some(v) = status_value(observed, key).filter(|v| *v != good) {
                failed.push(format!("status.{key}: {v}"));
            }
        }
        if let Some(states) = observed.service_states.as_ref_option() {
            for (k, v) in states {
                if let Some(v) = v.as_ref_option().filter(|v| v.as_ref() != "Started") {
                    failed.push(format!("service_states[\"{k}\"]: {v}"));
                }
            }
        }
        let cert = observed
            .certificate_status
            .as_ref_option()
            .map(|s| s.as_ref());
        let want = if peer.tls { IN_SYNC } else { NOT_USED };
        if let Some(c) = cert.filter(|c| *c != want) {
            failed.push(format!("certificate_status: {c}"));
        }
        if !failed.is_empty() {
            diags.root_warning(
                format!(
                    "Intercluster peer {} on {}: a check fails",
                    peer.address,
                    peer.publisher().name
                ),
                failed.join("\n"),
            );
        }
    }

    async fn refuse_existing<'a>(
        &self,
        planned: &Self::State<'a>,
        deadline: Instant,
    ) -> Result<(), Refusal> {
        let Ok(peer) = peer_of(planned) else {
            return Ok(());
        };
        // In verify mode the operator adds the peer in the GUI: finding it is the point.
        let Some(imp) = self.imp.get(&mut Diagnostics::default()) else {
            return Ok(());
        };
        if !peer.axl_sql {
            return Ok(());
        }
        let target = checks::local(&imp, peer.publisher());
        let rows = before(
            deadline,
            "reading the peer table",
            checks::peer_table(&imp, &target, true),
        )
        .await
        .map_err(|e| Refusal {
            summary: "Cannot check for an existing peer".into(),
            detail: e,
            path: None,
            import: None,
        })?;
        match checks::row_of(&rows, &peer.address) {
            None => Ok(()),
            Some(_) => Err(Refusal {
                summary: format!(
                    "{} already has an intercluster peer {}",
                    peer.publisher().name,
                    peer.address
                ),
                detail: "peer_store = \"axl_sql\" does not take over a peer made outside Terraform"
                    .into(),
                path: Some(AttributePath::new("peer_address")),
                import: import_id(planned).and_then(|id| Self::IMPORT_ID.parse(&id).ok()),
            }),
        }
    }

    async fn converge<'a>(
        &self,
        diags: &mut Diagnostics,
        change: &Change<'_, 'a, Self::State<'a>, Self::Private<'a>>,
    ) -> Outcome {
        let Some(imp) = self.imp.get(diags) else {
            return Outcome::Refused;
        };
        let Some(peer) = peer_or_error(change.planned, "apply", diags) else {
            return Outcome::Refused;
        };
        let prior = change.prior.and_then(|p| peer_of(p).ok());
        let deadline = change.deadline;
        let fail = |diags: &mut Diagnostics, e: String, outcome| {
            diags.root_error(
                format!("Cannot apply the intercluster peer {}", peer.address),
                e,
            );
            outcome
        };
        // Checked before anything changes.
        let checked = before(deadline, "checking the prerequisites", async {
            steps::prerequisites(&imp, &peer, prior.is_none()).await?;
            steps::check_reachable(&imp, &peer).await
        })
        .await;
        if let Err(e) = checked {
            return fail(diags, e, Outcome::Refused);
        }
        // One statement, or none and the GUI steps: a failure changed nothing.
        let wrote = match before(deadline, "writing the peer", steps::put_peer(&imp, &peer)).await {
            Ok(w) => w,
            Err(e) => return fail(diags, e, Outcome::Refused),
        };
        // The XCP Routers run with the entry of the last restart: the prior state's, unless
        // the GUI changed it since (`status.peer` not `present`).
        let row_changed = wrote
            || prior
                .as_ref()
                .is_none_or(|p| steps::wanted_row(p) != steps::wanted_row(&peer))
            || change
                .prior
                .is_some_and(|p| status_value(p, "peer") != Some(PRESENT));
        if peer.restart_xcp_router {
            let restarted = match row_changed {
                true => steps::restart_xcp_routers(&imp, &peer, deadline).await,
                false => steps::restart_stopped_xcp_routers(&imp, &peer, deadline).await,
            };
            if let Err(e) = restarted {
                return fail(diags, e, Outcome::Failed);
            }
        }
        let trigger_changed = change
            .prior
            .is_some_and(|p| p.force_sync != change.planned.force_sync);
        let certificates_stale = peer.tls
            && change.prior.is_some_and(|p| {
                p.certificate_status.as_ref_option().map(|s| s.as_ref()) != Some(IN_SYNC)
            });
        if trigger_changed || certificates_stale {
            if let Err(e) = steps::force_sync(&imp, &peer, deadline).await {
                return fail(diags, e, Outcome::Failed);
            }
        }
        if peer.wait_for_sync {
            if let Err(e) = steps::wait_for_sync(&imp, &peer, deadline).await {
                return fail(diags, e, Outcome::Failed);
            }
        }
        Outcome::Done
    }

    async fn delete<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: &Self::State<'a>,
        deadline: Instant,
    ) {
        let Some(imp) = self.imp.get(diags) else {
            return;
        };
        let Some(peer) = peer_or_error(prior, "delete", diags) else {
            return;
        };
        let done = before(deadline, "deleting the peer", async {
            steps::remove_peer(&imp, &peer).await?;
            match peer.restart_xcp_router {
                true => steps::restart_xcp_routers(&imp, &peer, deadline).await,
                false => Ok(()),
            }
        })
        .await;
        if let Err(e) = done {
            diags.root_error(
                format!("Cannot delete the intercluster peer {}", peer.address),
                e,
            );
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: ImportId,
        deadline: Instant,
    ) -> Option<(Self::State<'a>, Self::Private<'a>)> {
        let imp = self.imp.get(diags)?;
        let setting = |name: &str| {
            id.settings
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let address = id.name.clone().unwrap_or_default();
        let store = setting("peer_store").unwrap_or_else(|| "verify".into());
        if attributes::PEER_STORES.iter().all(|s| *s != store) {
            diags.root_error(
                "Invalid import ID",
                format!("peer_store={store:?}: use one of verify, axl_sql"),
            );
            return None;
        }
        let endpoint = setting("peer_endpoint").unwrap_or_else(|| default_endpoint(&address));
        if let Err(e) = crate::grammar::parse_endpoint(&endpoint) {
            diags.root_error("Invalid import ID", format!("peer_endpoint: {e}"));
            return None;
        }
        let node = |n: &ImportNode| NodeState {
            name: known(n.label.clone().unwrap_or_default()),
            address: known(endpoint_text(&n.address, n.port.unwrap_or(HTTPS_PORT))),
        };
        let publisher = id.nodes.first().map(node)?;
        let mut state = PeerState {
            peer_address: known(address.clone()),
            peer_endpoint: known(endpoint),
            peer_store: known(store),
            restart_xcp_router: Value::Value(true),
            wait_for_sync: Value::Value(true),
            publisher: Value::Value(publisher),
            node: Value::Value(
                id.nodes
                    .iter()
                    .skip(1)
                    .map(|n| Value::Value(node(n)))
                    .collect(),
            ),
            ..Default::default()
        };
        // The entry's own values come from the table; placeholders until it is read.
        state.peer_axl_username = known("-");
        state.peer_axl_password = known("-");
        state.protocol = known("tcp");
        let peer = peer_of(&state).ok()?;
        let read = before(deadline.min(import_deadline()), "reading the peer", async {
            let target = checks::local(&imp, peer.publisher());
            let rows = checks::peer_table(&imp, &target, true).await?;
            let row = checks::row_of(&rows, &address).cloned().ok_or_else(|| {
                format!(
                    "{} has no intercluster peer {address}",
                    peer.publisher().name
                )
            })?;
            let peer = Peer {
                username: row.username.clone(),
                password: row.password.clone(),
                tls: row.protocol == "tls",
                ..peer.clone()
            };
            checks::observe(&imp, &peer, false)
                .await?
                .map(|seen| (peer, seen))
                .ok_or_else(|| format!("the peer {address} went away while it was read"))
        })
        .await;
        match read {
            Ok((peer, seen)) => Some((observed(&state, &peer, &seen, true), ValueEmpty::default())),
            Err(e) => {
                diags.root_error("Cannot import the intercluster peer", e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_import_id_parses_and_prints_back() {
        let id = "imp2-pub.example.com@imp1-pub.example.com=10.0.0.1:8443,imp1-sub.example.com=10.0.0.2:8443;peer_endpoint=10.1.0.1:8443;peer_store=axl_sql";
        let parsed = InterclusterPeerResource::IMPORT_ID.parse(id).unwrap();
        assert_eq!(parsed.to_string(), id);
        assert_eq!(parsed.nodes.len(), 2);
        assert!(InterclusterPeerResource::IMPORT_ID
            .parse("imp1-pub=10.0.0.1:8443")
            .is_err());
    }

    #[test]
    fn the_prior_states_count_is_kept_only_while_nothing_changes() {
        let state = PeerState {
            peer_address: known("imp2-pub"),
            peer_axl_username: known("icsa"),
            peer_axl_password: known("pw"),
            publisher: Value::Value(NodeState {
                name: known("imp1-pub"),
                address: known("127.0.0.1:8443"),
            }),
            ..Default::default()
        };
        let peer = peer_of(&state).unwrap();
        assert_eq!(peer.endpoint.port, 8443);
        assert_eq!(peer.endpoint.host, "imp2-pub");
        assert!(!peer.tls && !peer.axl_sql && peer.restart_xcp_router && peer.wait_for_sync);
        assert_eq!(
            import_id(&state).unwrap(),
            "imp2-pub@imp1-pub=127.0.0.1:8443"
        );
    }
}
