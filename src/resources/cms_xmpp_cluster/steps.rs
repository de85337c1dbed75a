//! The XMPP cluster procedure of Cisco TAC 213479, each step checked before it acts: the trust
//! bundle on every node, `initialize` on the first node when there is no cluster, `join` on the
//! others (with `xmpp disable` / `enable` around as the TAC orders it), stale and duplicate
//! entries removed before a node joins (CSCvi67717), leaving nodes removed from the cluster
//! before their cluster mode is turned off, and a wait until the cluster lists every node once.

use super::state::{anchor, NodeReport, NodeView, XmppNode};
use crate::backoff::{retry, Backoff};
use crate::client::{Devices, ShellSession, SshTarget};
use crate::devices::cms::facts::Facts;
use crate::devices::cms::services::{enable_command, parse_status, Field, Service};
use crate::devices::cms::xmpp_cluster::{
    join_command, parse_cluster_status, remove_command, trust_command, ClusterStatus,
    DISABLE_COMMAND, ENABLE_COMMAND, INITIALIZE_COMMAND, STATUS_COMMAND, TRUST_FILE,
};
use crate::resources::mmp_command::run_mmp;
use crate::resources::step::StepError;
use std::time::Duration;
use tokio::time::Instant;

const STEP_ATTEMPTS: u32 = 4;

/// A failed step and the index of its node.
pub type NodeFailure = (usize, StepError);

pub struct Procedure<'d, 'a> {
    pub devices: &'d Devices,
    /// The status labels and clear word, with the site's overrides.
    pub facts: Facts,
    pub nodes: Vec<XmppNode<'a>>,
    /// The trust bundle's content (`None` when only reading).
    pub trust: Option<String>,
    pub deadline: Instant,
}

async fn run(session: &mut ShellSession<'_>, command: &str) -> Result<(), StepError> {
    run_mmp(session, command, &[]).await.map(|_| ())
}

/// The node's `xmpp` and `xmpp cluster status` reports, and whether its trust file is ours
/// with `trust` as content.
async fn view_of(
    session: &mut ShellSession<'_>,
    facts: &Facts,
    trust: Option<&str>,
) -> Result<NodeView, StepError> {
    let output = run_mmp(session, Service::Xmpp.word(), &[]).await?;
    let xmpp =
        parse_status(facts, Service::Xmpp, &output).map_err(|message| StepError::Output {
            endpoint: session.endpoint(),
            command: Service::Xmpp.word().into(),
            message,
        })?;
    let cluster = read_cluster(session).await?;
    let trust_file = xmpp.get(Field::ClusterTrustFile).map(str::to_string);
    let trust_matches = match (trust_file.as_deref(), trust) {
        (Some(TRUST_FILE), Some(content)) => {
            Some(session.read_file(TRUST_FILE).await?.as_deref() == Some(content.as_bytes()))
        }
        (Some(TRUST_FILE), None) => Some(true),
        _ => None,
    };
    Ok(NodeView {
        cluster,
        clustered: xmpp.flag(Field::Clustered),
        enabled: xmpp.flag(Field::Enabled),
        trust_file,
        trust_matches,
    })
}

async fn read_cluster(session: &mut ShellSession<'_>) -> Result<ClusterStatus, StepError> {
    let output = run_mmp(session, STATUS_COMMAND, &[]).await?;
    parse_cluster_status(&output).map_err(|message| StepError::Output {
        endpoint: session.endpoint(),
        command: STATUS_COMMAND.into(),
        message,
    })
}

impl Procedure<'_, '_> {
    fn target(&self, i: usize) -> Result<SshTarget, StepError> {
        self.devices
            .ssh_target(&self.nodes[i].connection())
            .map_err(StepError::Config)
    }

    /// Run an idempotent step on node `i`, retrying when the connection drops.
    async fn step<T, F>(&self, i: usize, f: F) -> Result<T, NodeFailure>
    where
        F: for<'x> Fn(
            &'x mut ShellSession<'_>,
            &'x Facts,
        ) -> futures::future::BoxFuture<'x, Result<T, StepError>>,
    {
        let target = self.target(i).map_err(|e| (i, e))?;
        retry(
            STEP_ATTEMPTS,
            self.deadline,
            StepError::is_retryable,
            |_| async {
                let mut session = self.devices.mmp(&target).await;
                f(&mut session, &self.facts).await
            },
        )
        .await
        .map_err(|e| (i, e))
    }

    async fn view(&self, i: usize) -> Result<NodeView, NodeFailure> {
        let trust = self.trust.clone();
        self.step(i, move |s, facts| {
            let trust = trust.clone();
            Box::pin(async move { view_of(s, facts, trust.as_deref()).await })
        })
        .await
    }

    /// Every node's report (in parallel: they are different devices).
    pub async fn observe(&self) -> Vec<NodeReport> {
        let reads =
            (0..self.nodes.len()).map(|i| async move { self.view(i).await.map_err(|(_, e)| e) });
        futures::future::join_all(reads).await
    }

    /// The trust bundle of the first node that names one (for import).
    pub async fn download_trust(
        &self,
        reports: &[NodeReport],
    ) -> Result<Option<String>, NodeFailure> {
        for (i, report) in reports.iter().enumerate() {
            let Some(file) = report.as_ref().ok().and_then(|v| v.trust_file.clone()) else {
                continue;
            };
            let content = self
                .step(i, move |s, _| {
                    let file = file.clone();
                    Box::pin(async move { Ok(s.read_file(&file).await?) })
                })
                .await?;
            return Ok(content.map(|b| String::from_utf8_lossy(&b).into_owned()));
        }
        Ok(None)
    }

    /// The trust bundle uploaded and selected; `true` when it changed.
    async fn ensure_trust(&self, i: usize) -> Result<bool, NodeFailure> {
        let content = self.trust.clone().unwrap_or_default();
        self.step(i, move |s, facts| {
            let content = content.clone();
            Box::pin(async move {
                let mut changed = false;
                if s.read_file(TRUST_FILE).await?.as_deref() != Some(content.as_bytes()) {
                    s.write_file(TRUST_FILE, content.as_bytes()).await?;
                    changed = true;
                }
                let output = run_mmp(s, Service::Xmpp.word(), &[]).await?;
                let named = parse_status(facts, Service::Xmpp, &output)
                    .ok()
                    .and_then(|x| x.get(Field::ClusterTrustFile).map(str::to_string));
                if changed || named.as_deref() != Some(TRUST_FILE) {
                    run(s, &trust_command(facts, Some(TRUST_FILE))).await?;
                    changed = true;
                }
                Ok(changed)
            })
        })
        .await
    }

    /// The XMPP server of node `i` on or off, when it is not already.
    async fn xmpp_enabled(&self, i: usize, on: bool) -> Result<(), NodeFailure> {
        self.step(i, move |s, facts| {
            Box::pin(async move {
                let view = view_of(s, facts, None).await?;
                if view.enabled != on {
                    run(s, &enable_command(Service::Xmpp, on)).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// The first node of a new cluster (TAC 213479): `xmpp disable`, `xmpp cluster enable`,
    /// `xmpp cluster initialize`, `xmpp enable`.
    async fn initialize(&self, i: usize) -> Result<(), NodeFailure> {
        self.step(i, |s, facts| {
            Box::pin(async move {
                let view = view_of(s, facts, None).await?;
                if !view.cluster.is_member() {
                    if view.enabled {
                        run(s, &enable_command(Service::Xmpp, false)).await?;
                    }
                    if !view.clustered {
                        run(s, ENABLE_COMMAND).await?;
                    }
                    run(s, INITIALIZE_COMMAND).await?;
                }
                Ok(())
            })
        })
        .await?;
        self.xmpp_enabled(i, true).await
    }

    /// Another node joins the cluster at `target` (TAC 213479): `xmpp disable`, `xmpp cluster
    /// enable`, `xmpp enable`, `xmpp cluster join <target>`.
    async fn join(&self, i: usize, target: &str) -> Result<(), NodeFailure> {
        let target = target.to_string();
        self.step(i, move |s, facts| {
            let target = target.clone();
            Box::pin(async move {
                let view = view_of(s, facts, None).await?;
                // A join whose reply a dropped connection swallowed is already under way.
                if view.cluster.is_member() || view.cluster.state == "JOINING" {
                    return Ok(());
                }
                if view.enabled && !view.clustered {
                    run(s, &enable_command(Service::Xmpp, false)).await?;
                }
                if !view.clustered {
                    run(s, ENABLE_COMMAND).await?;
                }
                if !view_of(s, facts, None).await?.enabled {
                    run(s, &enable_command(Service::Xmpp, true)).await?;
                }
                run(s, &join_command(&target)).await
            })
        })
        .await
    }

    /// Every entry of `address` taken out of the cluster, on member `at` (once the cluster has
    /// a leader again: removing the leader starts an election).
    async fn remove(&self, at: usize, address: &str) -> Result<(), NodeFailure> {
        self.wait_until(at, "an XMPP cluster leader", |s| {
            s.leader().is_none().then_some(at)
        })
        .await?;
        let address = address.to_string();
        self.step(at, move |s, _| {
            let address = address.clone();
            Box::pin(async move {
                if read_cluster(s).await?.entries(&address) > 0 {
                    run(s, &remove_command(&address)).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Node `i` out of cluster mode, without its trust bundle: `xmpp disable`, `xmpp cluster
    /// disable`, `xmpp cluster trust none`, `xmpp enable` when it ran before; our file removed.
    pub async fn leave(&self, i: usize) -> Result<(), NodeFailure> {
        self.step(i, |s, facts| {
            Box::pin(async move {
                let view = view_of(s, facts, None).await?;
                if view.clustered || view.cluster.is_member() {
                    if view.enabled {
                        run(s, &enable_command(Service::Xmpp, false)).await?;
                    }
                    run(s, DISABLE_COMMAND).await?;
                }
                if view.trust_file.is_some() {
                    run(s, &trust_command(facts, None)).await?;
                }
                if view.enabled && !view_of(s, facts, None).await?.enabled {
                    run(s, &enable_command(Service::Xmpp, true)).await?;
                }
                s.remove_file(TRUST_FILE).await?;
                Ok(())
            })
        })
        .await
    }

    /// Poll node `at`'s `xmpp cluster status` until `waiting_on` names no node, or the
    /// deadline; the failure names the node still waited for.
    async fn wait_until(
        &self,
        at: usize,
        waiting_for: &str,
        waiting_on: impl Fn(&ClusterStatus) -> Option<usize>,
    ) -> Result<(), NodeFailure> {
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(1));
        loop {
            let status = self
                .step(at, |s, _| Box::pin(async move { read_cluster(s).await }))
                .await?;
            let Some(waited) = waiting_on(&status) else {
                return Ok(());
            };
            let mut listed: Vec<&str> = status.peers.iter().map(|p| p.address.as_str()).collect();
            listed.sort();
            let last_seen = format!(
                "State: {}, peers [{}], leader {}",
                status.state,
                listed.join(", "),
                status.leader().unwrap_or("none")
            );
            match backoff.next_delay(self.deadline) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    let endpoint = self.target(at).map(|t| t.endpoint()).unwrap_or_default();
                    return Err((
                        waited,
                        StepError::NotReached {
                            endpoint,
                            waiting_for: waiting_for.to_string(),
                            last_seen,
                        },
                    ));
                }
            }
        }
    }

    /// Node `at`'s peer list holds exactly `addresses`, each once, with a leader.
    async fn wait_formed(&self, at: usize, addresses: &[String]) -> Result<(), NodeFailure> {
        let mut wanted = addresses.to_vec();
        wanted.sort();
        let waiting_for = format!("an XMPP cluster of {}", wanted.join(", "));
        self.wait_until(at, &waiting_for, |status| {
            let mut listed: Vec<String> = status.peers.iter().map(|p| p.address.clone()).collect();
            listed.sort();
            if listed == wanted && status.leader().is_some() {
                return None;
            }
            // The first node not listed exactly once, else the polled one (no leader yet).
            let missing = self.nodes.iter().position(|n| {
                addresses.contains(&n.address()) && status.entries(&n.address()) != 1
            });
            Some(missing.unwrap_or(at))
        })
        .await
    }

    /// Build or heal the cluster of `self.nodes`; `leaving` (prior nodes no longer listed, as a
    /// procedure over them) are taken out after the others are in.
    pub async fn converge(&self, leaving: &Procedure<'_, '_>) -> Result<(), Failure> {
        for i in 0..self.nodes.len() {
            let changed = self.ensure_trust(i).await.map_err(Failure::Node)?;
            let member = self
                .view(i)
                .await
                .map_err(Failure::Node)?
                .cluster
                .is_member();
            // A member takes a new trust bundle when its XMPP server starts again.
            if changed && member {
                self.xmpp_enabled(i, false).await.map_err(Failure::Node)?;
            }
            self.xmpp_enabled(i, true).await.map_err(Failure::Node)?;
        }
        let reports = self.observe().await;
        for (i, r) in reports.iter().enumerate() {
            if let Err(e) = r {
                return Err(Failure::Node((i, e.clone())));
            }
        }
        let anchor = match anchor(&reports) {
            Some(a) => a,
            None => {
                self.initialize(0).await.map_err(Failure::Node)?;
                self.wait_formed(0, &[self.nodes[0].address()])
                    .await
                    .map_err(Failure::Node)?;
                0
            }
        };
        let addresses: Vec<String> = self.nodes.iter().map(|n| n.address()).collect();
        let anchor_address = addresses[anchor].clone();
        // Entries the cluster should not have: nodes that left, stale entries of nodes reset
        // behind its back, and duplicates (removed with all their entries; the node re-joins).
        let listed = self.view(anchor).await.map_err(Failure::Node)?.cluster;
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for p in &listed.peers {
            *seen.entry(p.address.clone()).or_default() += 1;
        }
        for (address, count) in &seen {
            if !addresses.contains(address) || *count > 1 {
                self.remove(anchor, address).await.map_err(Failure::Node)?;
            }
        }
        for i in (0..self.nodes.len()).filter(|i| *i != anchor) {
            let view = self.view(i).await.map_err(Failure::Node)?;
            let on_anchor = self.view(anchor).await.map_err(Failure::Node)?.cluster;
            if view.cluster.is_member() && on_anchor.entries(&addresses[i]) == 0 {
                return Err(Failure::OtherCluster(i));
            }
            if !view.cluster.is_member() && view.cluster.state != "JOINING" {
                // A stale entry of this node (reset without leaving) goes before it joins.
                self.remove(anchor, &addresses[i])
                    .await
                    .map_err(Failure::Node)?;
                self.join(i, &anchor_address).await.map_err(Failure::Node)?;
            }
        }
        self.wait_formed(anchor, &addresses)
            .await
            .map_err(Failure::Node)?;
        for i in 0..leaving.nodes.len() {
            leaving.leave(i).await.map_err(Failure::Leaving)?;
        }
        Ok(())
    }

    /// Take every node out: each removed on the first member, then out of cluster mode.
    pub async fn dismantle(&self) -> Result<(), NodeFailure> {
        let reports = self.observe().await;
        if let Some(anchor) = anchor(&reports) {
            for i in (0..self.nodes.len()).filter(|i| *i != anchor) {
                self.remove(anchor, &self.nodes[i].address()).await?;
                self.leave(i).await?;
            }
            self.leave(anchor).await?;
        } else {
            for i in 0..self.nodes.len() {
                self.leave(i).await?;
            }
        }
        Ok(())
    }
}

/// How a converge failed.
pub enum Failure {
    /// A step on a listed node.
    Node(NodeFailure),
    /// A step on a node leaving the list (index among the leaving).
    Leaving(NodeFailure),
    /// The node is in another XMPP cluster.
    OtherCluster(usize),
}
