//! IPVS through keepalived, for directors where keepalived owns the table: each virtual server
//! is a marked section of keepalived's configuration file on the director (devices::lb::
//! keepalived; everything else kept byte for byte), checked with `keepalived -t -f` before it
//! replaces the file, made live by the site's reload command, and waited for until the kernel's
//! table runs it. The shared read is the file and one `ipvsadm -S -n`: the members come from
//! the file (keepalived takes a member whose check fails out of the table), their health from
//! the table.

use super::backend::{hand_edit, unsupported_finding, Found, Wanted};
use super::config_host::ConfigHost;
use super::ipvs::Ipvs;
use crate::backoff::Backoff;
use crate::client::{Devices, SshTarget};
use crate::devices::lb::ipvs::{services, Service};
use crate::devices::lb::keepalived::{
    config_test_errors, member_reports, programmed, section, sections, splice,
};
use crate::devices::lb::rules::Finding;
use crate::devices::lb::virtual_server::{Reported, VirtualServer};
use crate::resources::step::StepError;
use std::time::Duration;
use tokio::time::Instant;

pub struct Keepalived {
    /// The director, over the IPVS backend's SSH connection.
    pub host: ConfigHost,
    /// The file whose sections uccluster owns (keepalived.conf, or a file it `include`s).
    pub config_path: String,
    /// The `keepalived` program that checks a candidate (`-t -f <file>`).
    pub program: String,
    /// The site's reload, a program and its arguments (`systemctl reload keepalived`).
    pub reload: Vec<String>,
    /// How long the check, the reload and keepalived's programming of the table may take.
    pub reload_timeout: Duration,
}

fn output(endpoint: String, command: &str, message: String) -> StepError {
    StepError::Output {
        endpoint,
        command: command.to_string(),
        message,
    }
}

impl Keepalived {
    fn endpoint(&self) -> String {
        self.host.endpoint(&self.config_path)
    }

    /// What keepalived cannot express of `wanted`, at plan time.
    pub fn refuse(&self, wanted: &Wanted) -> Vec<Finding> {
        match section(&wanted.vs, wanted.one_packet) {
            Ok(_) => Vec::new(),
            Err(u) => vec![unsupported_finding(u, "Not available with keepalived")],
        }
    }

    /// Every virtual server of the file, its members' health from `kernel`.
    pub async fn read(
        &self,
        devices: &Devices,
        kernel: &[Service],
    ) -> Result<Vec<Found>, StepError> {
        let config = self.host.read(devices, &self.config_path).await?;
        let found = sections(&config).map_err(|m| output(self.endpoint(), "read", m))?;
        Ok(found
            .into_iter()
            .filter_map(|s| {
                let edited = s.edited_by_hand();
                let (line, one_packet) = (s.line, s.one_packet);
                let vs = s.vs?;
                let foreign = hand_edit(edited, &vs.name, line);
                let members = member_reports(&vs, kernel);
                Some(Found {
                    reported: Reported { vs, members },
                    one_packet,
                    foreign,
                })
            })
            .collect())
    }

    /// Put `wanted` in the file, or take `removed` out of it, and wait until the table runs it.
    pub async fn change(
        &self,
        ipvs: &Ipvs,
        target: &SshTarget,
        vs: &VirtualServer,
        wanted: Option<&Wanted>,
    ) -> Result<(), StepError> {
        let devices = &ipvs.devices;
        let text = match wanted {
            Some(w) => Some(
                section(&w.vs, w.one_packet)
                    .map_err(|u| StepError::Config(format!("{}: {}", u.attribute, u.detail)))?,
            ),
            None => None,
        };
        let old = self.host.read(devices, &self.config_path).await?;
        let new = splice(&old, &vs.name, text.as_deref())
            .map_err(|m| output(self.endpoint(), "splice", m))?;
        if new != old {
            self.check(devices, &new).await?;
            self.host.replace(devices, &self.config_path, &new).await?;
        }
        self.run_reload(devices).await?;
        let one_packet = wanted.is_some_and(|w| w.one_packet);
        let expected = services(wanted.map_or(vs, |w| &w.vs), one_packet)
            .ok_or_else(|| StepError::Config("IPVS needs a port".into()))?;
        let deadline = Instant::now() + self.reload_timeout;
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
        loop {
            let kernel = ipvs.table(target).await?;
            if programmed(&expected, &kernel, wanted.is_some()) {
                return Ok(());
            }
            match backoff.next_delay(deadline) {
                Some(d) => tokio::time::sleep(d).await,
                None => {
                    return Err(StepError::NotReached {
                        endpoint: self.endpoint(),
                        waiting_for: format!(
                            "keepalived to {} virtual server {} in the IPVS table after the reload",
                            if wanted.is_some() {
                                "program"
                            } else {
                                "remove"
                            },
                            vs.name
                        ),
                        last_seen: format!("{} service(s) in the table", kernel.len()),
                    })
                }
            }
        }
    }

    /// `keepalived -t -f` on a candidate next to the file; refused: keepalived's own lines.
    async fn check(&self, devices: &Devices, config: &str) -> Result<(), StepError> {
        let candidate = format!("{}.uccluster-check", self.config_path);
        self.host.write(devices, &candidate, config).await?;
        let checked = self
            .host
            .run(
                devices,
                &self.program,
                &["-t", "-f", &candidate],
                self.reload_timeout,
            )
            .await;
        self.host.remove(devices, &candidate).await;
        let checked = checked?;
        // Any status but 0 is a refusal (keepalived 2.2.7 exits 5 for most errors).
        if checked.status != 0 {
            let said = config_test_errors(&format!("{}{}", checked.stderr, checked.stdout));
            return Err(StepError::Device {
                endpoint: self.endpoint(),
                command: format!("{} -t -f {}", self.program, self.config_path),
                message: match said.is_empty() {
                    true => format!("exit status {}", checked.status),
                    false => said.join("; "),
                },
            });
        }
        Ok(())
    }

    async fn run_reload(&self, devices: &Devices) -> Result<(), StepError> {
        let Some((program, args)) = self.reload.split_first() else {
            return Err(StepError::Config(
                "keepalived.reload_command is empty".into(),
            ));
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self
            .host
            .run(devices, program, &args, self.reload_timeout)
            .await?;
        match out.status {
            0 => Ok(()),
            status => Err(StepError::Device {
                endpoint: self.endpoint(),
                command: self.reload.join(" "),
                message: match format!("{}{}", out.stderr, out.stdout).trim() {
                    "" => format!("exit status {status}"),
                    said => said.to_string(),
                },
            }),
        }
    }
}
