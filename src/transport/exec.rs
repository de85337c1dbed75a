//! Commands on Linux hosts over SSH exec channels (XOP appliances): one connection per host per
//! provider process, a channel per command, exit status and both output streams returned.

use super::pool::{DevicePool, Session};
use super::ssh::{connect, SshHandle, SshTarget};
use super::TransportError;
use russh::ChannelMsg;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOutput {
    pub status: u32,
    pub stdout: String,
    pub stderr: String,
}

/// One SSH connection per host per provider process.
pub type HostPool = DevicePool<SshHandle>;

/// A task's turn on one host: commands run over exec channels of the pooled connection.
pub type HostSession<'a> = Session<'a, SshHandle, SshTarget>;

impl HostSession<'_> {
    /// Run `command` (a shell command line), feeding `stdin` when given.
    pub async fn exec(
        &mut self,
        command: &str,
        stdin: Option<&[u8]>,
    ) -> Result<ExecOutput, TransportError> {
        TransportError::check_one_line(&self.target.endpoint(), command, command)?;
        let target = self.target;
        let handle = self.connection(|h| !h.is_closed(), connect(target)).await?;
        let lost = || TransportError::ConnectionLost {
            endpoint: target.endpoint(),
            command: command.to_string(),
        };
        tracing::debug!(endpoint = %target.endpoint(), command, "exec");
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
        let result = match tokio::time::timeout(target.command_timeout, run).await {
            Ok(r) => r,
            Err(_) => Err(TransportError::Timeout {
                endpoint: target.endpoint(),
                command: command.to_string(),
                after: target.command_timeout,
                last_output: String::new(),
            }),
        };
        if matches!(
            result,
            Err(TransportError::ConnectionLost { .. } | TransportError::Timeout { .. })
        ) {
            self.drop_connection();
        }
        result
    }
}
