//! Running one MMP command for a resource step, turning device failure text into an error that
//! names the device, the command and the device's own words.

use crate::devices::cms::mmp_output::device_error;
use crate::transport::interactive_shell::{PromptAnswer, ShellSession};
use crate::transport::TransportError;

#[derive(Debug, Clone, PartialEq)]
pub enum StepError {
    Transport(TransportError),
    /// The device ran the command and reported a failure.
    Device {
        endpoint: String,
        command: String,
        message: String,
    },
    /// The device answered with output we could not understand.
    Output {
        endpoint: String,
        command: String,
        message: String,
    },
    /// The configuration cannot produce a connection (e.g. no credentials).
    Config(String),
    /// A slow device step (a join, a failover) did not reach the wanted state in time.
    NotReached {
        endpoint: String,
        waiting_for: String,
        last_seen: String,
    },
}

impl StepError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, StepError::Transport(t) if t.is_retryable())
    }
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            StepError::Transport(t) => t.to_string(),
            StepError::Device {
                endpoint,
                command,
                message,
            } => {
                format!("`{command}` on {endpoint} failed; the device said: {message}")
            }
            StepError::Output {
                endpoint,
                command,
                message,
            } => {
                format!("unexpected output from `{command}` on {endpoint}: {message}")
            }
            StepError::Config(message) => message.clone(),
            StepError::NotReached {
                endpoint,
                waiting_for,
                last_seen,
            } => {
                format!("{endpoint} did not reach {waiting_for} in time; last seen: {last_seen}")
            }
        };
        f.write_str(&crate::secrets::mask(&text))
    }
}

impl From<TransportError> for StepError {
    fn from(e: TransportError) -> Self {
        StepError::Transport(e)
    }
}

/// Run `command` and fail with the device's message if the MMP reports an error.
pub async fn run_mmp(
    session: &mut ShellSession<'_>,
    command: &str,
    answers: &[PromptAnswer],
) -> Result<String, StepError> {
    let output = session.run(command, answers).await?;
    mmp_result(session, command, output)
}

/// [`run_mmp`] for a listing shared by every resource on the device
/// ([`ShellSession::run_shared_read`]).
pub async fn run_mmp_listing(
    session: &mut ShellSession<'_>,
    command: &str,
) -> Result<String, StepError> {
    let output = session.run_shared_read(command).await?;
    mmp_result(session, command, output)
}

fn mmp_result(
    session: &ShellSession<'_>,
    command: &str,
    output: String,
) -> Result<String, StepError> {
    match device_error(&output) {
        Some(message) => Err(StepError::Device {
            endpoint: session.endpoint(),
            command: command.to_string(),
            message,
        }),
        None => Ok(output),
    }
}
