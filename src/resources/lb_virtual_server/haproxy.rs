//! The HAProxy backend: the configuration file, on the provider's machine or on the balancer's
//! host over SSH (config_host; a marked section per virtual server, everything else kept byte
//! for byte), `haproxy -c` before any reload, a
//! hitless reload through the master CLI, and the runtime API for what changes without one
//! (devices::lb::haproxy). The shared read is the file and one `show servers state`.

use super::backend::{hand_edit, unsupported_finding, Balancer, Found, Wanted};
use super::config_host::ConfigHost;
use crate::backoff::Backoff;
use crate::client::{local, Devices, LineTarget, PoolTarget, TransportError};
use crate::devices::lb::haproxy::{
    live_changes, member_reports, parse_servers_state, parse_show_proc, reload_outcome,
    runtime::{reply_text, STILL_HAS_CONNECTIONS},
    runtime_error, section, sections, splice, Processes, ReloadOutcome, ServerState,
};
use crate::devices::lb::rules::{At, Finding};
use crate::devices::lb::virtual_server::{Member, Reported, VirtualServer};
use crate::resources::step::StepError;
use std::time::Duration;
use tokio::time::Instant;

/// Where the master CLI listens: HAProxy's `-S` takes a Unix socket or `ipv4@host:port`.
pub enum MasterSocket {
    Unix(String),
    Tcp(LineTarget),
}

pub struct Haproxy {
    pub devices: Devices,
    /// Where `config_path` is and `haproxy -c` runs.
    pub host: ConfigHost,
    pub config_path: String,
    pub runtime: LineTarget,
    pub master: MasterSocket,
    /// The `haproxy` program that checks a candidate configuration (`haproxy -c -f`).
    pub haproxy: String,
    /// How long a reload may take to be reported by the master.
    pub reload_timeout: Duration,
}

/// A backend's servers, as HAProxy's limit on one backend allows (`MAX_SRV` is not a limit of
/// 2.6; this bound keeps one service's table to what an operator can review).
pub const MAX_MEMBERS: usize = 1024;

fn output(endpoint: &str, command: &str, message: String) -> StepError {
    StepError::Output {
        endpoint: endpoint.to_string(),
        command: command.to_string(),
        message,
    }
}

impl Haproxy {
    fn endpoint(&self) -> String {
        self.host.endpoint(&self.config_path)
    }

    async fn config(&self) -> Result<String, StepError> {
        self.host.read(&self.devices, &self.config_path).await
    }

    async fn replace(&self, config: &str) -> Result<(), StepError> {
        self.host
            .replace(&self.devices, &self.config_path, config)
            .await
    }

    /// One runtime `show` command's answer.
    async fn show(&self, command: &str) -> Result<String, StepError> {
        let mut session = self.devices.line(&self.runtime).await;
        Ok(reply_text(&session.request(command).await?))
    }

    /// One runtime command that changes something; an answer in HAProxy's error words is the
    /// device's refusal.
    async fn runtime(&self, command: &str) -> Result<String, StepError> {
        let text = self.show(command).await?;
        match runtime_error(&text) {
            None => Ok(text),
            Some(message) => Err(StepError::Device {
                endpoint: self.runtime.endpoint(),
                command: command.to_string(),
                message,
            }),
        }
    }

    async fn servers(&self) -> Result<Vec<ServerState>, StepError> {
        let text = self.show("show servers state").await?;
        parse_servers_state(&text)
            .map_err(|m| output(&self.runtime.endpoint(), "show servers state", m))
    }

    async fn master(&self, command: &str) -> Result<String, TransportError> {
        match &self.master {
            MasterSocket::Unix(path) => {
                local::unix_request(path, command, Duration::from_secs(5)).await
            }
            MasterSocket::Tcp(target) => {
                let mut session = self.devices.line(target).await;
                let reply = session.request(command).await;
                // `reload` closes the connection; the next command gets a new one.
                session.reset();
                reply.map(|r| String::from_utf8_lossy(&r).into_owned())
            }
        }
    }

    async fn processes(&self) -> Result<Processes, StepError> {
        let text = self.master("show proc").await?;
        parse_show_proc(&text).map_err(|m| output("master CLI", "show proc", m))
    }

    /// Check `config` with `haproxy -c`, put it in place, reload, and wait until the master
    /// reports the new workers; a refused reload puts the old file back.
    async fn reload_with(&self, old: &str, config: &str) -> Result<(), StepError> {
        let candidate = format!("{}.uccluster-check", self.config_path);
        self.host.write(&self.devices, &candidate, config).await?;
        let checked = self
            .host
            .run(
                &self.devices,
                &self.haproxy,
                &["-c", "-f", &candidate],
                self.reload_timeout,
            )
            .await;
        self.host.remove(&self.devices, &candidate).await;
        let checked = checked?;
        if checked.status != 0 {
            return Err(StepError::Device {
                endpoint: self.endpoint(),
                command: format!("{} -c -f {}", self.haproxy, self.config_path),
                message: format!("{}{}", checked.stdout, checked.stderr)
                    .trim()
                    .to_string(),
            });
        }
        let before = self.processes().await?;
        self.replace(config).await?;
        // The master re-executes itself and drops the connection: no answer is expected.
        let _ = self.master("reload").await;
        let deadline = Instant::now() + self.reload_timeout;
        let mut backoff = Backoff::new(Duration::from_millis(20), Duration::from_millis(500));
        loop {
            if let Ok(after) = self.processes().await {
                match reload_outcome(&before, &after) {
                    ReloadOutcome::Accepted => break,
                    ReloadOutcome::Refused { failed } => {
                        self.replace(old).await?;
                        return Err(StepError::Device {
                            endpoint: self.endpoint(),
                            command: "reload".into(),
                            message: format!("HAProxy refused the new configuration ({failed} failed reload(s)); the old workers keep serving and the file is as it was. HAProxy's log says why"),
                        });
                    }
                    ReloadOutcome::Pending => {}
                }
            }
            match backoff.next_delay(deadline) {
                Some(d) => tokio::time::sleep(d).await,
                None => {
                    return Err(StepError::NotReached {
                        endpoint: self.endpoint(),
                        waiting_for: "the master to report the reload".into(),
                        last_seen: format!("{:?}", before.counters()),
                    })
                }
            }
        }
        // A runtime connection opened before the reload talks to the old worker.
        self.devices.line(&self.runtime).await.reset();
        Ok(())
    }

    /// The runtime commands, in order; `del server` waits while the sessions it just shut
    /// are still closing.
    async fn run_live(&self, commands: &[String]) -> Result<(), StepError> {
        for command in commands {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_millis(500));
            loop {
                match self.runtime(command).await {
                    Err(StepError::Device { message, .. })
                        if message.contains(STILL_HAS_CONNECTIONS.trim_end_matches('.')) =>
                    {
                        match backoff.next_delay(deadline) {
                            Some(d) => tokio::time::sleep(d).await,
                            None => {
                                return Err(StepError::NotReached {
                                    endpoint: self.runtime.endpoint(),
                                    waiting_for: format!(
                                        "`{command}`: the server's sessions to close"
                                    ),
                                    last_seen: message,
                                })
                            }
                        }
                    }
                    other => {
                        other?;
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The running members of `vs` (its file section): enabled and weight as HAProxy runs them,
/// members deleted at runtime left out, members added at runtime after the others.
fn running(mut vs: VirtualServer, states: &[ServerState]) -> Reported {
    let mine: Vec<&ServerState> = states.iter().filter(|s| s.backend == vs.name).collect();
    if !mine.is_empty() {
        vs.members
            .retain(|m| mine.iter().any(|s| s.server == m.name));
        for m in &mut vs.members {
            if let Some(s) = mine.iter().find(|s| s.server == m.name) {
                m.enabled = s.enabled();
                m.weight = s.weight;
            }
        }
        let added: Vec<&&ServerState> = mine
            .iter()
            .filter(|s| !vs.members.iter().any(|m| m.name == s.server))
            .collect();
        for s in added {
            if let Some(address) = s.address {
                vs.members.push(Member {
                    name: s.server.clone(),
                    address,
                    port: (Some(s.port) != vs.port).then_some(s.port),
                    weight: s.weight,
                    enabled: s.enabled(),
                });
            }
        }
    }
    let members = member_reports(&vs, states);
    Reported { vs, members }
}

#[async_trait::async_trait]
impl Balancer for Haproxy {
    fn kind(&self) -> &'static str {
        "haproxy"
    }

    fn refuse(&self, wanted: &Wanted) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Err(u) = section(&wanted.vs) {
            out.push(unsupported_finding(u, "Not available on HAProxy"));
        }
        if wanted.vs.members.len() > MAX_MEMBERS {
            out.push(Finding {
                at: At::Attribute("member"),
                summary: "Too many members",
                detail: format!("this backend takes at most {MAX_MEMBERS} members per service"),
            });
        }
        out
    }

    fn unheld(&self) -> &'static [&'static str] {
        &["f5", "ipvs"]
    }

    async fn read_all(&self, _deadline: Instant) -> Result<Vec<Found>, StepError> {
        let config = self.config().await?;
        let found = sections(&config).map_err(|m| output(&self.endpoint(), "read", m))?;
        let states = self.servers().await?;
        Ok(found
            .into_iter()
            .filter_map(|s| {
                let edited = s.edited_by_hand();
                let line = s.line;
                let vs = s.vs?;
                let foreign = hand_edit(edited, &vs.name, line);
                Some(Found {
                    reported: running(vs, &states),
                    one_packet: false,
                    foreign,
                })
            })
            .collect())
    }

    fn find(&self, all: &[Found], vs: &VirtualServer) -> Option<Found> {
        all.iter().find(|f| f.reported.vs.name == vs.name).cloned()
    }

    async fn apply(
        &self,
        wanted: &Wanted,
        current: Option<&Found>,
        _deadline: Instant,
    ) -> Result<(), StepError> {
        let vs = &wanted.vs;
        let text =
            section(vs).map_err(|u| StepError::Config(format!("{}: {}", u.attribute, u.detail)))?;
        let old = self.config().await?;
        let new = splice(&old, &vs.name, Some(&text))
            .map_err(|m| output(&self.endpoint(), "splice", m))?;
        let live = match current {
            Some(found) => live_changes(&found.reported.vs, vs).map_err(StepError::Config)?,
            None => None,
        };
        match live {
            // Members only: the running backend is changed in place, and the file says the same
            // so the next reload keeps it.
            Some(commands) => {
                if new != old {
                    self.replace(&new).await?;
                }
                self.run_live(&commands).await
            }
            None => self.reload_with(&old, &new).await,
        }
    }

    async fn remove(&self, current: &Found, _deadline: Instant) -> Result<(), StepError> {
        let old = self.config().await?;
        let new = splice(&old, &current.reported.vs.name, None)
            .map_err(|m| output(&self.endpoint(), "splice", m))?;
        self.reload_with(&old, &new).await
    }

    fn import_id(&self, vs: &VirtualServer) -> String {
        vs.name.clone()
    }
}
