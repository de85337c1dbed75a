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
    /// The device kept answering "busy, ask later" (HTTP 503, 429 or a throttling body) until the
    /// retry deadline passed. The request was refused each time, never carried out.
    Busy {
        endpoint: String,
        command: String,
        attempts: u32,
        message: String,
    },
    /// A command line (or a reply to a question) that would be more than one line on the
    /// device: never sent. Plan-time checks refuse such values first; this is the last guard.
    UnsafeInput { endpoint: String, command: String },
    /// The reply grew past the bound the target sets: reading stopped, the connection was
    /// dropped (a misbehaving or hostile device cannot fill the provider's memory).
    ReplyTooLarge {
        endpoint: String,
        command: String,
        limit: usize,
    },
}

impl TransportError {
    /// Refuses `text` for a line-oriented device channel when it holds a control character (a
    /// newline would start a second command).
    pub fn check_one_line(endpoint: &str, command: &str, text: &str) -> Result<(), TransportError> {
        match text.chars().any(char::is_control) {
            true => Err(TransportError::UnsafeInput {
                endpoint: endpoint.to_string(),
                command: command.to_string(),
            }),
            false => Ok(()),
        }
    }

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
            // Quoted (`{:?}`) texts are masked first: an escaped secret would match no form.
            TransportError::Timeout { endpoint, command, after, last_output } => format!(
                "`{command}` on {endpoint} did not finish within {}s; last output: {:?}",
                after.as_secs_f32(),
                crate::secrets::mask(last_output)
            ),
            TransportError::UnexpectedQuestion { endpoint, command, question } => format!(
                "`{command}` on {endpoint} asked {:?}, which uccluster does not know how to answer",
                crate::secrets::mask(question)
            ),
            TransportError::Sql { endpoint, statement, message } => {
                format!("`{statement}` on {endpoint} failed: {message}")
            }
            TransportError::FileTransfer { endpoint, file, message } => {
                format!("SFTP transfer of {file} on {endpoint} failed: {message}")
            }
            TransportError::Busy { endpoint, command, attempts, message } => format!(
                "{endpoint} answered `{command}` as too busy {attempts} times until the retry deadline passed (last answer: {message}); nothing was changed, try again later"
            ),
            TransportError::UnsafeInput { endpoint, command } => format!(
                "refusing to send {:?} to {endpoint}: it (or a reply it expects) contains a control character, which would end the line and start another command",
                crate::secrets::mask(command)
            ),
            TransportError::ReplyTooLarge {
                endpoint,
                command,
                limit,
            } => format!(
                "the reply of {endpoint} to `{command}` is larger than {limit} bytes; reading stopped and the connection was dropped"
            ),
        };
        f.write_str(&crate::secrets::mask(&text))
    }
}

impl std::error::Error for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts an error quotes with `{:?}` are masked before they are escaped.
    #[test]
    fn quoted_texts_carry_no_secret() {
        let secret = "t0p'se\\cr\"et";
        crate::secrets::register(secret);
        let shell = crate::devices::shell::shell_quote(secret);
        for e in [
            TransportError::UnsafeInput {
                endpoint: "h:22".into(),
                command: format!("MYSQL_PWD={shell} mysql\nx"),
            },
            TransportError::Timeout {
                endpoint: "h:22".into(),
                command: "xmpp callbridge list".into(),
                after: Duration::from_secs(1),
                last_output: format!("Secret: {secret}\n"),
            },
        ] {
            let text = e.to_string();
            assert!(!text.contains("t0p") && !text.contains("se\\"), "{text}");
        }
    }
}
