//! Commands on Linux hosts over SSH exec channels (XOP appliances): one connection per host per
//! provider process, a channel per command, exit status and both output streams returned.

use super::pool::DevicePool;
use super::ssh::{connect, SshHandle, SshTarget};
use super::TransportError;
use russh::ChannelMsg;
use tokio::sync::OwnedMutexGuard;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOutput {
    pub status: u32,
    pub stdout: String,
    pub stderr: String,
}

#[derive(Default)]
pub struct HostPool {
    pool: DevicePool<SshHandle>,
}

impl HostPool {
    /// Exclusive use of the host's connection for a sequence of commands.
    pub async fn session<'a>(&self, target: &'a SshTarget) -> HostSession<'a> {
        HostSession {
            guard: self.pool.lock(&target.pool_key()).await,
            target,
        }
    }
}

pub struct HostSession<'a> {
    guard: OwnedMutexGuard<Option<SshHandle>>,
    target: &'a SshTarget,
}

impl HostSession<'_> {
    pub fn endpoint(&self) -> String {
        self.target.endpoint()
    }

    /// Run `command` (a shell command line), feeding `stdin` when given.
    pub async fn exec(
        &mut self,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, TransportError> {
        TransportError::check_one_line(&self.target.endpoint(), command, command)?;
        if self.guard.as_ref().is_none_or(|h| h.is_closed()) {
            *self.guard = Some(connect(self.target).await?);
        }
        let handle = self.guard.as_ref().expect("connected above");
        let lost = || TransportError::ConnectionLost {
            endpoint: self.target.endpoint(),
            command: command.to_string(),
        };
        tracing::debug!(endpoint = %self.target.endpoint(), command, "exec");
        let run = async {
            let mut channel = handle.channel_open_session().await.map_err(|_| lost())?;
            channel
                .exec(true, command.as_bytes())
                .await
                .map_err(|_| lost())?;
            if let Some(input) = stdin {
                channel
                    .data_bytes(input.to_vec())
                    .await
                    .map_err(|_| lost())?;
            }
            channel.eof().await.map_err(|_| lost())?;
            let (mut stdout, mut stderr, mut status) = (Vec::new(), Vec::new(), None);
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
                    ChannelMsg::ExtendedData { data, .. } => stderr.extend_from_slice(&data),
                    ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                    _ => {}
                }
            }
            let status = status.ok_or_else(lost)?;
            Ok(ExecOutput {
                status,
                stdout: String::from_utf8_lossy(&stdout).into_owned(),
                stderr: String::from_utf8_lossy(&stderr).into_owned(),
            })
        };
        let result = match tokio::time::timeout(self.target.command_timeout, run).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::Timeout {
                endpoint: self.target.endpoint(),
                command: command.to_string(),
                after: self.target.command_timeout,
                last_output: String::new(),
            }),
        };
        if matches!(
            result,
            Err(TransportError::ConnectionLost { .. } | TransportError::Timeout { .. })
        ) {
            *self.guard = None;
        }
        result
    }
}
