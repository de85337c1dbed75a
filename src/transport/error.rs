//! Transport failures, worded for the operator reading `terraform apply` output.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum TransportError {
    /// TCP connect or SSH handshake failed (device down, wrong address, port closed).
    Connect { endpoint: String, message: String },
    /// The device presented a host key we do not trust. Never retried.
    HostKey { endpoint: String, message: String },
    /// The device refused our credentials. Never retried. `hint`: what to check, with the
    /// device's own reason where it gives one.
    Auth {
        endpoint: String,
        username: String,
        hint: String,
    },
    /// A TLS certificate failed verification, or the CA to verify it with is unusable. Never
    /// retried (the TLS form of an untrusted host key).
    Certificate { endpoint: String, message: String },
    /// The connection closed while a command was running: its effect on the device is unknown.
    ConnectionLost { endpoint: String, command: String },
    /// No prompt within the command timeout.
    Timeout {
        endpoint: String,
        command: String,
        after: Duration,
        last_output: String,
    },
    /// The device asked a question we have no answer for.
    UnexpectedQuestion {
        endpoint: String,
        command: String,
        question: String,
    },
    /// The database server refused a statement.
    Sql {
        endpoint: String,
        statement: String,
        message: String,
    },
    /// An SFTP transfer of a file failed.
    FileTransfer {
        endpoint: String,
        file: String,
        message: String,
    },
}

impl TransportError {
    /// Whether trying the same idempotent step again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Connect { .. } | TransportError::ConnectionLost { .. }
        )
    }

    /// Whether the device could not be reached at all (as opposed to refusing us).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, TransportError::Connect { .. })
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            TransportError::Connect { endpoint, message } => {
                format!("cannot connect to {endpoint}: {message}")
            }
            TransportError::HostKey { endpoint, message } => {
                format!("host key verification failed for {endpoint}: {message}")
            }
            TransportError::Auth { endpoint, username, hint } => format!(
                "{endpoint} rejected the login of user {username:?}: {hint}"
            ),
            TransportError::Certificate { endpoint, message } => {
                format!("TLS certificate check failed for {endpoint}: {message}")
            }
            TransportError::ConnectionLost { endpoint, command } => format!(
                "the connection to {endpoint} closed while running `{command}`; the command may or may not have taken effect"
            ),
            TransportError::Timeout { endpoint, command, after, last_output } => format!(
                "`{command}` on {endpoint} did not finish within {}s; last output: {:?}",
                after.as_secs_f32(),
                last_output
            ),
            TransportError::UnexpectedQuestion { endpoint, command, question } => format!(
                "`{command}` on {endpoint} asked {question:?}, which uccluster does not know how to answer"
            ),
            TransportError::Sql { endpoint, statement, message } => {
                format!("`{statement}` on {endpoint} failed: {message}")
            }
            TransportError::FileTransfer { endpoint, file, message } => {
                format!("SFTP transfer of {file} on {endpoint} failed: {message}")
            }
        };
        f.write_str(&crate::secrets::mask(&text))
    }
}

impl std::error::Error for TransportError {}
