//! Where HAProxy's configuration file lives and `haproxy -c` runs: the machine Terraform runs
//! on, or the balancer's own host over SSH exec channels (the commands of devices::shell, every
//! word quoted). The same operations either way, with the same errors.

use crate::client::{local, Devices, ExecOutput, NodeConnection, SshTarget};
use crate::devices::shell::{
    command_line, read_command, remove_command, replace_command, write_command,
};
use crate::resources::step::StepError;
use std::time::Duration;

pub enum ConfigHost {
    Local,
    /// The host's SSH server; the SSH settings are those `Devices` was configured with.
    Ssh(NodeConnection),
}

impl ConfigHost {
    /// `host:path` in messages.
    pub fn endpoint(&self, path: &str) -> String {
        match self {
            ConfigHost::Local => format!("localhost:{path}"),
            ConfigHost::Ssh(node) => format!("{}:{path}", node.address),
        }
    }

    fn target(&self, devices: &Devices) -> Result<Option<SshTarget>, StepError> {
        match self {
            ConfigHost::Local => Ok(None),
            ConfigHost::Ssh(node) => devices
                .ssh_target(node)
                .map(Some)
                .map_err(StepError::Config),
        }
    }

    /// `command` on the host; anything but exit status 0 is the host's refusal, in its words.
    async fn shell(
        &self,
        devices: &Devices,
        target: &SshTarget,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<String, StepError> {
        let out = devices.host(target).await.exec(command, stdin).await?;
        match out.status {
            0 => Ok(out.stdout),
            status => Err(StepError::Device {
                endpoint: target.endpoint(),
                command: command.to_string(),
                message: match out.stderr.trim() {
                    "" => format!("exit status {status}"),
                    e => e.to_string(),
                },
            }),
        }
    }

    pub async fn read(&self, devices: &Devices, path: &str) -> Result<String, StepError> {
        match self.target(devices)? {
            None => Ok(local::read_file(path).await?),
            Some(t) => self.shell(devices, &t, &read_command(path), None).await,
        }
    }

    /// Replace `path` atomically (a sibling written, then renamed; the file's mode kept).
    pub async fn replace(
        &self,
        devices: &Devices,
        path: &str,
        contents: &str,
    ) -> Result<(), StepError> {
        self.put(devices, path, contents, true).await
    }

    /// Write a new file `path` (a candidate to check).
    pub async fn write(
        &self,
        devices: &Devices,
        path: &str,
        contents: &str,
    ) -> Result<(), StepError> {
        self.put(devices, path, contents, false).await
    }

    async fn put(
        &self,
        devices: &Devices,
        path: &str,
        contents: &str,
        atomic: bool,
    ) -> Result<(), StepError> {
        let Some(t) = self.target(devices)? else {
            let written = match atomic {
                true => local::replace_file(path, contents).await,
                false => local::write_file(path, contents).await,
            };
            return Ok(written?);
        };
        let command = match atomic {
            true => replace_command(path),
            false => write_command(path),
        };
        self.shell(devices, &t, &command, Some(contents.as_bytes()))
            .await
            .map(drop)
    }

    /// Remove `path`, if it is there; a failure leaves only a stray candidate file behind.
    pub async fn remove(&self, devices: &Devices, path: &str) {
        match self.target(devices) {
            Ok(None) => local::remove_file(path).await,
            Ok(Some(t)) => {
                let _ = self.shell(devices, &t, &remove_command(path), None).await;
            }
            Err(_) => {}
        }
    }

    /// `program args...` (no shell on this machine; each word quoted on a remote one), within
    /// `timeout` here and the SSH command timeout there. Its exit status is the caller's to
    /// judge.
    pub async fn run(
        &self,
        devices: &Devices,
        program: &str,
        args: &[&str],
        timeout: Duration,
    ) -> Result<ExecOutput, StepError> {
        match self.target(devices)? {
            None => Ok(local::run(program, args, timeout).await?),
            Some(t) => Ok(devices
                .host(&t)
                .await
                .exec(&command_line(program, args), None)
                .await?),
        }
    }
}
