//! The error every resource step returns: a transport failure, a device that refused, output we
//! could not read, a configuration that cannot reach the device, or a slow step that timed out.
//! Its `Display` masks every registered secret.

use crate::client::TransportError;

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
