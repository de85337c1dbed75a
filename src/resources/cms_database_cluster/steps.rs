//! The operator's procedure, step by step, each step checking before it acts (seed
//! cms-failover-cluster-part2a "Database Cluster"; Cisco TAC 210530):
//! upload the certificate files; `database cluster certs` and `localnode` on every node;
//! `initialize` on the master; `join` (or `connect`, for database clients) on the others and wait
//! until they report connected; `remove` replicas first and the master last.

use super::state::{cluster_primary, DbNode, NodeReport, CERT_FILES};
use crate::backoff::{retry, Backoff};
use crate::client::Devices;
use crate::client::SshTarget;
use crate::client::{PromptAnswer, ShellSession};
use crate::devices::cms::database_cluster::{
    certs_command, connect_command, join_command, localnode_command, parse_status, ClusterStatus,
    CommandResult, Connection, DatabaseClusterStatus, Role, CONFIRM_QUESTION, INITIALIZE_COMMAND,
    REMOVE_COMMAND, STATUS_COMMAND,
};
use crate::devices::cms::mmp_output::device_error;
use crate::resources::mmp_command::run_mmp;
use crate::resources::step::StepError;
use std::time::Duration;
use tokio::time::Instant;

/// Attempts per idempotent step when the connection drops or cannot be made.
const STEP_ATTEMPTS: u32 = 4;

/// A step failed on the node at this index of the node list.
pub type NodeFailure = (usize, StepError);

pub struct Procedure<'r, 'a> {
    pub devices: &'r Devices,
    pub nodes: &'r [DbNode<'a>],
    /// Resolved PEM contents, in [`CERT_FILES`] order; `None` when only reading.
    pub certs: Option<&'r [String; 5]>,
    pub deadline: Instant,
}

fn yes() -> [PromptAnswer; 1] {
    [PromptAnswer {
        question: CONFIRM_QUESTION,
        reply: "y".into(),
    }]
}

async fn read_status(session: &mut ShellSession<'_>) -> Result<DatabaseClusterStatus, StepError> {
    let output = session.run(STATUS_COMMAND, &[]).await?;
    parse_status(&output).map_err(|message| match device_error(&output) {
        Some(device) => StepError::Device {
            endpoint: session.endpoint(),
            command: STATUS_COMMAND.into(),
            message: device,
        },
        None => StepError::Output {
            endpoint: session.endpoint(),
            command: STATUS_COMMAND.into(),
            message,
        },
    })
}

/// Why a slow step is not done yet, or that it failed.
enum Progress {
    Done,
    Waiting(String),
    Failed(String),
}

impl Procedure<'_, '_> {
    fn target(&self, node: &DbNode<'_>) -> Result<SshTarget, StepError> {
        self.devices
            .ssh_target(&node.connection())
            .map_err(StepError::Config)
    }

    /// Run an idempotent step on one node, retrying when the connection drops.
    async fn step<T, F, Fut>(&self, i: usize, f: F) -> Result<T, NodeFailure>
    where
        F: Fn(SshTarget) -> Fut,
        Fut: std::future::Future<Output = Result<T, StepError>>,
    {
        let target = self.target(&self.nodes[i]).map_err(|e| (i, e))?;
        retry(
            STEP_ATTEMPTS,
            self.deadline,
            StepError::is_retryable,
            |_| f(target.clone()),
        )
        .await
        .map_err(|e| (i, e))
    }

    /// Every node's status (in parallel: they are different devices), and whether our files
    /// hold the wanted content when `certs` is given.
    pub async fn observe(&self) -> Vec<NodeReport> {
        let reads = (0..self.nodes.len()).map(|i| async move {
            let status = self
                .step(i, |t| self.status_of(t))
                .await
                .map_err(|(_, e)| e);
            let certs_match = match (&status, self.certs) {
                (Ok(s), Some(certs)) if s.certificate_files() == CERT_FILES => {
                    self.step(i, |t| self.files_match(t, certs)).await.ok()
                }
                _ => None,
            };
            NodeReport {
                status,
                certs_match,
            }
        });
        futures::future::join_all(reads).await
    }

    async fn status_of(&self, target: SshTarget) -> Result<DatabaseClusterStatus, StepError> {
        read_status(&mut self.devices.mmp(&target).await).await
    }

    async fn files_match(&self, target: SshTarget, certs: &[String; 5]) -> Result<bool, StepError> {
        let mut session = self.devices.mmp(&target).await;
        for (file, content) in CERT_FILES.iter().zip(certs) {
            if session.read_file(file).await?.as_deref() != Some(content.as_bytes()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The PEM files node `i` uses, as named by its status (for import).
    pub async fn download_certificates(&self, i: usize) -> Result<[Option<String>; 5], StepError> {
        let target = self.target(&self.nodes[i])?;
        let files = self.status_of(target.clone()).await?.certificate_files();
        let mut session = self.devices.mmp(&target).await;
        let mut out: [Option<String>; 5] = Default::default();
        if files.len() == out.len() {
            for (slot, file) in out.iter_mut().zip(&files) {
                *slot = session
                    .read_file(file)
                    .await?
                    .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        Ok(out)
    }

    /// Files uploaded, `certs` and `localnode` set, on one node.
    async fn prepare(&self, target: SshTarget, interface: String) -> Result<(), StepError> {
        let certs = self
            .certs
            .ok_or_else(|| StepError::Config("the certificates are not known yet".into()))?;
        let mut session = self.devices.mmp(&target).await;
        let mut uploaded = false;
        for (file, content) in CERT_FILES.iter().zip(certs) {
            if session.read_file(file).await?.as_deref() != Some(content.as_bytes()) {
                session.write_file(file, content.as_bytes()).await?;
                uploaded = true;
            }
        }
        let status = read_status(&mut session).await?;
        // New content under the same names: run `certs` again so the node reloads them.
        if uploaded || status.certificate_files() != CERT_FILES {
            run_mmp(&mut session, &certs_command(&CERT_FILES), &[]).await?;
        }
        if status.interface.as_deref() != Some(interface.as_str()) {
            run_mmp(&mut session, &localnode_command(&interface), &[]).await?;
        }
        Ok(())
    }

    /// Poll the node's status with backoff until `check` says done or failed, or the deadline.
    async fn wait_for(
        &self,
        target: &SshTarget,
        waiting_for: &str,
        check: impl Fn(&DatabaseClusterStatus) -> Progress,
    ) -> Result<(), StepError> {
        // Status polls are cheap; a short cap notices a finished join within a second.
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(1));
        loop {
            let status = read_status(&mut self.devices.mmp(target).await).await?;
            let last_seen = match check(&status) {
                Progress::Done => return Ok(()),
                Progress::Failed(message) => {
                    return Err(StepError::Device {
                        endpoint: target.endpoint(),
                        command: waiting_for.to_string(),
                        message,
                    })
                }
                Progress::Waiting(seen) => seen,
            };
            match backoff.next_delay(self.deadline) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    return Err(StepError::NotReached {
                        endpoint: target.endpoint(),
                        waiting_for: waiting_for.to_string(),
                        last_seen,
                    })
                }
            }
        }
    }

    /// The node is the connected primary of a cluster; initialize it when it is not.
    async fn initialize(&self, target: SshTarget) -> Result<(), StepError> {
        let is_primary = |s: &DatabaseClusterStatus| {
            s.me().is_some_and(|me| {
                me.role == Role::Primary && me.connection == Connection::Connected
            })
        };
        if !is_primary(&self.status_of(target.clone()).await?) {
            let mut session = self.devices.mmp(&target).await;
            run_mmp(&mut session, INITIALIZE_COMMAND, &yes()).await?;
        }
        self.wait_for(
            &target,
            "the connected primary role after `database cluster initialize`",
            |s| {
                if is_primary(s) {
                    Progress::Done
                } else {
                    progress_of(s, INITIALIZE_COMMAND)
                }
            },
        )
        .await
    }

    /// The node is connected to the cluster of `primary` as a replica (or as a client).
    async fn attach(
        &self,
        target: SshTarget,
        primary: String,
        client: bool,
    ) -> Result<(), StepError> {
        let command = if client {
            connect_command(&primary)
        } else {
            join_command(&primary)
        };
        let role = if client { Role::Client } else { Role::Replica };
        let attached = |s: &DatabaseClusterStatus| {
            s.me().is_some_and(|me| {
                me.role == role && me.connection == Connection::Connected && (client || me.in_sync)
            }) && s.primary().is_some_and(|p| p.address == primary)
        };
        let status = self.status_of(target.clone()).await?;
        let underway = status
            .me()
            .is_some_and(|me| me.connection == Connection::Connecting)
            && status
                .last_command
                .as_ref()
                .is_some_and(|c| c.command == command && c.result == CommandResult::InProgress);
        if !attached(&status) && !underway {
            let mut session = self.devices.mmp(&target).await;
            run_mmp(&mut session, &command, &yes()).await?;
        }
        self.wait_for(
            &target,
            &format!(
                "a connected {} of {primary} after `{command}`",
                if client { "client" } else { "in-sync replica" }
            ),
            |s| {
                if attached(s) {
                    Progress::Done
                } else {
                    progress_of(s, &command)
                }
            },
        )
        .await
    }

    /// The node has left any cluster.
    async fn leave(&self, target: SshTarget) -> Result<(), StepError> {
        if self.status_of(target.clone()).await?.status == ClusterStatus::Disabled {
            return Ok(());
        }
        run_mmp(&mut self.devices.mmp(&target).await, REMOVE_COMMAND, &[]).await?;
        self.wait_for(
            &target,
            "standalone after `database cluster remove`",
            |s| match s.status {
                ClusterStatus::Disabled => Progress::Done,
                _ => progress_of(s, REMOVE_COMMAND),
            },
        )
        .await
    }

    /// Build or heal the cluster: every node prepared, a primary (the initial master when there
    /// is none yet), every other node joined or connected to it.
    pub async fn converge(&self, initial_master: &str) -> Result<(), NodeFailure> {
        for (i, node) in self.nodes.iter().enumerate() {
            let interface = node.interface();
            self.step(i, |t| self.prepare(t, interface.clone())).await?;
        }
        let reports = self.observe().await;
        let primary = match cluster_primary(&reports) {
            Some(primary) => primary,
            None => {
                // Validate checks this when the names are known; names computed from other
                // resources are known only now.
                let i = self
                    .nodes
                    .iter()
                    .position(|n| n.name() == initial_master)
                    .ok_or_else(|| {
                        (
                            0,
                            StepError::Config(format!(
                                "initial_master {initial_master:?} is not the name of a node block"
                            )),
                        )
                    })?;
                self.step(i, |t| self.initialize(t)).await?;
                self.nodes[i].address()
            }
        };
        for (i, node) in self.nodes.iter().enumerate() {
            if node.address() != primary {
                self.step(i, |t| self.attach(t, primary.clone(), node.is_client()))
                    .await?;
            }
        }
        Ok(())
    }

    /// Take `leaving` (indexes into the node list) out of the cluster: clients and replicas
    /// first, the primary last. With `keep_quorum`, refuse to remove the primary unless a
    /// remaining database node is an in-sync replica that can take over.
    pub async fn dismantle(&self, leaving: &[usize], keep_quorum: bool) -> Result<(), NodeFailure> {
        let reports = self.observe().await;
        let primary = cluster_primary(&reports);
        let is_primary = |i: &usize| Some(self.nodes[*i].address()) == primary;
        let mut order: Vec<usize> = leaving.iter().copied().filter(|i| !is_primary(i)).collect();
        if let Some(p) = leaving.iter().copied().find(is_primary) {
            if keep_quorum {
                let successor = reports.iter().enumerate().any(|(j, r)| {
                    !leaving.contains(&j)
                        && !self.nodes[j].is_client()
                        && r.status
                            .as_ref()
                            .ok()
                            .and_then(|s| s.me())
                            .is_some_and(|me| {
                                me.role == Role::Replica
                                    && me.connection == Connection::Connected
                                    && me.in_sync
                            })
                });
                if !successor {
                    return Err((
                        p,
                        StepError::Config(format!(
                            "{} is the cluster's master and no remaining database node is an in-sync replica to take over; add or heal a replica first",
                            self.nodes[p].name()
                        )),
                    ));
                }
            }
            order.push(p);
        }
        for i in order {
            self.step(i, |t| self.leave(t)).await?;
        }
        Ok(())
    }
}

/// Waiting or failed, judged from the status line and the last command.
fn progress_of(status: &DatabaseClusterStatus, command: &str) -> Progress {
    let last = status
        .last_command
        .as_ref()
        .filter(|c| c.command == command);
    if last.is_some_and(|c| c.result == CommandResult::Failed)
        || (status.status == ClusterStatus::Error && last.is_some())
    {
        let detail = status
            .error
            .clone()
            .unwrap_or_else(|| "the device reports the command as Failed".into());
        return Progress::Failed(format!("`{command}` failed: {detail}"));
    }
    let me = status.me().map(|me| {
        format!(
            "{:?} {:?}{}",
            me.connection,
            me.role,
            if me.in_sync { " (In Sync)" } else { "" }
        )
    });
    let last = status
        .last_command
        .as_ref()
        .map(|c| format!("'{}' ({:?})", c.command, c.result));
    Progress::Waiting(format!(
        "Status {:?}, this node {}, last command {}",
        status.status,
        me.unwrap_or_else(|| "not listed".into()),
        last.unwrap_or_else(|| "none".into())
    ))
}
