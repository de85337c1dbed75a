//! Driver for prompt-based CLIs reached over SSH (the Cisco Meeting Server MMP, the UCOS admin
//! CLI of IM&P and CUCM).
//!
//! Such a CLI is a restricted interactive shell, not a POSIX shell: a command is typed at a
//! prompt, its output ends when the prompt comes back, and some commands ask a question first
//! (`Enter callbridge secret:`). This driver opens a PTY shell, learns the prompt with the
//! device's [`PromptGrammar`] (which `devices/` supplies: transport knows no vendor), sends one
//! line at a time, answers the questions the caller expected and returns the output text. The
//! device's own error wording is left to `devices/` to interpret.

use super::pool::{DevicePool, Session};
use super::ssh::{connect, SshHandle, SshTarget};
use super::TransportError;
use russh::client::Msg;
use russh::{Channel, ChannelMsg};
use russh_sftp::client::SftpSession;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// How long the device may stay silent, with a question-like line pending, before we conclude
/// it is waiting for input we did not expect.
const QUESTION_QUIET_PERIOD: Duration = Duration::from_secs(2);

/// A question the caller expects a command to ask, and the line to type in reply.
pub struct PromptAnswer {
    /// Matched case-insensitively against the pending (unterminated) output line.
    pub question: &'static str,
    pub reply: String,
}

/// How a device's CLI prompts, supplied by `devices/` (e.g. `devices::cms::prompt::MMP_PROMPT`).
pub trait PromptGrammar: Send + Sync {
    /// The prompt, if `text` ends with one (alone on its last line): the text before it and the
    /// prompt itself. Called on the login output to learn the prompt; after that, a command's
    /// output ends where exactly that prompt comes back.
    fn detect(&self, text: &str) -> Option<(String, String)>;
}

pub struct InteractiveShell {
    handle: SshHandle,
    channel: Channel<Msg>,
    prompt: String,
    endpoint: String,
    command_timeout: Duration,
    /// Output of read-only commands, shared until the next command that may change the device.
    shared_reads: std::collections::HashMap<String, String>,
}

impl InteractiveShell {
    pub async fn open(
        target: &SshTarget,
        grammar: &dyn PromptGrammar,
    ) -> Result<Self, TransportError> {
        let endpoint = target.endpoint();
        let handle = connect(target).await?;
        let lost = |e: russh::Error| TransportError::Connect {
            endpoint: endpoint.clone(),
            message: format!("cannot open the shell: {e}"),
        };
        let channel = handle.channel_open_session().await.map_err(lost)?;
        // A wide terminal so the device never wraps long lines into our output.
        channel
            .request_pty(false, "vt100", 500, 50, 0, 0, &[])
            .await
            .map_err(lost)?;
        channel.request_shell(false).await.map_err(lost)?;
        let mut shell = InteractiveShell {
            handle,
            channel,
            prompt: String::new(),
            endpoint: endpoint.clone(),
            command_timeout: target.command_timeout,
            shared_reads: Default::default(),
        };
        let (_banner, prompt) = shell
            .read_until(target.connect_timeout, "(login)", &[], |text| {
                grammar.detect(text)
            })
            .await?;
        shell.prompt = prompt;
        tracing::debug!(endpoint = %endpoint, prompt = %shell.prompt, "shell ready");
        Ok(shell)
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// An SFTP session on the same SSH connection (the MMP takes uploads over SFTP).
    async fn sftp(&self, file: &str) -> Result<SftpSession, TransportError> {
        let failed = |message: String| TransportError::FileTransfer {
            endpoint: self.endpoint.clone(),
            file: file.to_string(),
            message,
        };
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| failed(e.to_string()))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| failed(e.to_string()))?;
        SftpSession::new(channel.into_stream())
            .await
            .map_err(|e| failed(e.to_string()))
    }

    /// The content of file `name`, or `None` when the device has no such file.
    pub async fn read_file(&self, name: &str) -> Result<Option<Vec<u8>>, TransportError> {
        let sftp = self.sftp(name).await?;
        let result = match sftp.try_exists(name).await {
            Ok(false) => Ok(None),
            Ok(true) => sftp.read(name).await.map(Some),
            Err(e) => Err(e),
        };
        let _ = sftp.close().await;
        result.map_err(|e| TransportError::FileTransfer {
            endpoint: self.endpoint.clone(),
            file: name.into(),
            message: e.to_string(),
        })
    }

    /// Create or overwrite file `name` with `content`.
    pub async fn write_file(&self, name: &str, content: &[u8]) -> Result<(), TransportError> {
        tracing::debug!(endpoint = %self.endpoint, file = name, bytes = content.len(), "uploading");
        let sftp = self.sftp(name).await?;
        let written = async {
            let mut file = sftp.create(name).await?;
            file.write_all(content).await?;
            file.shutdown().await?;
            Ok::<(), russh_sftp::client::error::Error>(())
        }
        .await;
        let _ = sftp.close().await;
        written.map_err(|e| TransportError::FileTransfer {
            endpoint: self.endpoint.clone(),
            file: name.into(),
            message: e.to_string(),
        })
    }

    /// Remove file `name`; a file that is not there is not an error.
    pub async fn remove_file(&self, name: &str) -> Result<(), TransportError> {
        let sftp = self.sftp(name).await?;
        let result = match sftp.try_exists(name).await {
            Ok(false) => Ok(()),
            Ok(true) => sftp.remove_file(name).await,
            Err(e) => Err(e),
        };
        let _ = sftp.close().await;
        result.map_err(|e| TransportError::FileTransfer {
            endpoint: self.endpoint.clone(),
            file: name.into(),
            message: e.to_string(),
        })
    }

    /// Type `command`, answer the expected questions, and return the output between the echoed
    /// command line and the next prompt (`\r` removed, trailing whitespace trimmed per line).
    pub async fn run(
        &mut self,
        command: &str,
        answers: &[PromptAnswer],
    ) -> Result<String, TransportError> {
        TransportError::check_one_line(&self.endpoint, command, command)?;
        for answer in answers {
            TransportError::check_one_line(&self.endpoint, command, &answer.reply)?;
        }
        tracing::debug!(endpoint = %self.endpoint, command, "running command");
        self.channel
            .data_bytes(format!("{command}\n").into_bytes())
            .await
            .map_err(|_| self.lost(command))?;
        let prompt = self.prompt.clone();
        let (raw, ()) = self
            .read_until(self.command_timeout, command, answers, |text| {
                split_at_prompt(text, &prompt).map(|out| (out, ()))
            })
            .await?;
        let output = strip_echo(&raw, command);
        // Output is not logged: listings carry secrets the provider has not seen (and so cannot mask) yet.
        tracing::debug!(endpoint = %self.endpoint, command, lines = output.lines().count(), "command finished");
        Ok(output)
    }

    fn lost(&self, command: &str) -> TransportError {
        TransportError::ConnectionLost {
            endpoint: self.endpoint.clone(),
            command: command.to_string(),
        }
    }

    /// Read until `done` recognises the accumulated text, answering expected questions on the way.
    async fn read_until<T>(
        &mut self,
        timeout: Duration,
        command: &str,
        answers: &[PromptAnswer],
        done: impl Fn(&str) -> Option<(String, T)>,
    ) -> Result<(String, T), TransportError> {
        let deadline = Instant::now() + timeout;
        let mut text = String::new();
        let mut answered = vec![false; answers.len()];
        loop {
            if let Some(found) = done(&text) {
                return Ok(found);
            }
            let pending = pending_line(&text);
            for (i, answer) in answers.iter().enumerate() {
                if !answered[i]
                    && pending
                        .to_lowercase()
                        .contains(&answer.question.to_lowercase())
                {
                    answered[i] = true;
                    self.channel
                        .data_bytes(format!("{}\n", answer.reply).into_bytes())
                        .await
                        .map_err(|_| self.lost(command))?;
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(TransportError::Timeout {
                    endpoint: self.endpoint.clone(),
                    command: command.to_string(),
                    after: timeout,
                    last_output: last_chars(&text, 200),
                });
            }
            let wait = (deadline - now).min(QUESTION_QUIET_PERIOD);
            match tokio::time::timeout(wait, self.channel.wait()).await {
                Ok(Some(ChannelMsg::Data { data }))
                | Ok(Some(ChannelMsg::ExtendedData { data, .. })) => {
                    text.push_str(&String::from_utf8_lossy(&data).replace('\r', ""));
                }
                Ok(Some(ChannelMsg::Eof | ChannelMsg::Close | ChannelMsg::ExitStatus { .. }))
                | Ok(None) => {
                    return Err(self.lost(command));
                }
                Ok(Some(_)) => {}
                Err(_) => {
                    let pending = pending_line(&text);
                    let already_answered = answers.iter().zip(&answered).any(|(a, done)| {
                        *done && pending.to_lowercase().contains(&a.question.to_lowercase())
                    });
                    if looks_like_question(pending) && !already_answered {
                        return Err(TransportError::UnexpectedQuestion {
                            endpoint: self.endpoint.clone(),
                            command: command.to_string(),
                            question: pending.trim().to_string(),
                        });
                    }
                }
            }
        }
    }
}

/// The last, unterminated line of the output so far (where a prompt or a question waits).
pub fn pending_line(text: &str) -> &str {
    text.rsplit('\n').next().unwrap_or("")
}

fn looks_like_question(line: &str) -> bool {
    let t = line.trim_end();
    !t.is_empty() && (t.ends_with(':') || t.ends_with('?') || t.to_lowercase().ends_with("(y/n)"))
}

fn last_chars(text: &str, n: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars[chars.len().saturating_sub(n)..].iter().collect()
}

/// The output before `prompt`, if the text ends with the prompt on a line of its own.
pub fn split_at_prompt(text: &str, prompt: &str) -> Option<String> {
    let line = pending_line(text);
    (line.trim_end() == prompt.trim_end() && !prompt.trim_end().is_empty())
        .then(|| text[..text.len() - line.len()].to_string())
}

/// Drop the PTY's echo of the command line, and trailing whitespace on every line.
pub fn strip_echo(raw: &str, command: &str) -> String {
    let mut lines: Vec<&str> = raw.split('\n').map(str::trim_end).collect();
    if lines.first().map(|l| l.trim()) == Some(command.trim()) {
        lines.remove(0);
    }
    while lines.last() == Some(&"") {
        lines.pop();
    }
    lines.join("\n")
}

/// The per-process pool of interactive shells, one per device, for devices that prompt alike.
pub struct ShellPool {
    shells: DevicePool<InteractiveShell>,
    grammar: &'static dyn PromptGrammar,
}

impl ShellPool {
    /// A pool of shells whose prompt `grammar` recognises.
    pub fn new(grammar: &'static dyn PromptGrammar) -> Self {
        ShellPool {
            shells: DevicePool::default(),
            grammar,
        }
    }

    /// Exclusive use of `target`'s shell for a sequence of commands (check, then act).
    pub async fn session<'a>(&self, target: &'a SshTarget) -> ShellSession<'a> {
        ShellSession {
            session: self.shells.session(target).await,
            grammar: self.grammar,
        }
    }
}

/// A task's turn on one device's shell, for a sequence of commands (check, then act).
pub struct ShellSession<'a> {
    session: Session<'a, InteractiveShell, SshTarget>,
    grammar: &'static dyn PromptGrammar,
}

impl ShellSession<'_> {
    pub fn endpoint(&self) -> String {
        self.session.endpoint()
    }

    /// The device's shell, connecting (or reconnecting after a failure) first when needed.
    async fn shell(&mut self) -> Result<&mut InteractiveShell, TransportError> {
        let (target, grammar) = (self.session.target, self.grammar);
        self.session
            .connection(|s| !s.is_closed(), InteractiveShell::open(target, grammar))
            .await
    }

    pub async fn read_file(&mut self, name: &str) -> Result<Option<Vec<u8>>, TransportError> {
        self.shell().await?.read_file(name).await
    }

    pub async fn write_file(&mut self, name: &str, content: &[u8]) -> Result<(), TransportError> {
        let shell = self.shell().await?;
        shell.shared_reads.clear();
        shell.write_file(name, content).await
    }

    pub async fn remove_file(&mut self, name: &str) -> Result<(), TransportError> {
        let shell = self.shell().await?;
        shell.shared_reads.clear();
        shell.remove_file(name).await
    }

    /// Run one command. Any command may change the device, so shared reads end here.
    pub async fn run(
        &mut self,
        command: &str,
        answers: &[PromptAnswer],
    ) -> Result<String, TransportError> {
        let shell = self.shell().await?;
        shell.shared_reads.clear();
        let result = shell.run(command, answers).await;
        if result.is_err() {
            // A timed-out or broken shell is in an unknown position in its dialogue: never reuse it.
            self.session.drop_connection();
        }
        result
    }

    /// Run a read-only command whose output only commands change (a listing, not a status that
    /// moves by itself), sharing the output with every later caller in this process until a
    /// command runs on this device: a refresh of N resources on one device lists once. Every
    /// change goes through this one shell, so the shared output is what the device holds.
    pub async fn run_shared_read(&mut self, command: &str) -> Result<String, TransportError> {
        if let Some(output) = self.shell().await?.shared_reads.get(command) {
            return Ok(output.clone());
        }
        let output = self.run(command, &[]).await?;
        if let Some(shell) = self.session.open_connection() {
            shell
                .shared_reads
                .insert(command.to_string(), output.clone());
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_at_the_prompt_and_echo_removed() {
        let raw = "xmpp callbridge list\nCallbridge          : cb1   \n\ncms1> ";
        let before = split_at_prompt(raw, "cms1> ").unwrap();
        assert_eq!(
            strip_echo(&before, "xmpp callbridge list"),
            "Callbridge          : cb1"
        );
        assert!(split_at_prompt("cms1> partial", "cms1> ").is_none());
        assert!(split_at_prompt("text mentioning cms1> ", "cms1> ").is_none());
    }

    #[test]
    fn questions_are_recognised() {
        assert!(looks_like_question("Enter callbridge secret: "));
        assert!(looks_like_question("Are you sure? (y/n)"));
        assert!(!looks_like_question("Working"));
        assert!(!looks_like_question(""));
    }
}
