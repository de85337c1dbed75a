//! SSH side of the simulated MMP: accept loop, authentication, session
//! channels with an interactive shell (PTY optional) and `exec`.
//!
//! Session behaviour follows devices.md 1.4: SSH with an MMP admin user and
//! password (TAC docs use PuTTY); the MMP is a restricted CLI driven through an
//! interactive shell that prints the `<hostname>> ` prompt after each command
//! (TAC 210530 / 213479 show prompts such as `cb1>`). Public-key login is
//! accepted for keys registered with [`NodeControl::authorize_key`] [GUESS:
//! real MMP takes `<username>.pub` uploaded over SFTP]. `exec` requests are
//! served too (harmless extra; a real MMP may not support them). The `sftp`
//! subsystem serves the node's uploaded files ([`super::sftp`]; devices.md 1.4:
//! SFTP on the same port and credentials).
//!
//! Database cluster commands that ask `(y/n)` ([`Reply::Confirm`]): the answer
//! line is echoed like any input but not logged as a command; a drop fault on
//! the command cuts the connection after the answer is applied.
//!
//! `user add` / `user password` ([`Reply::AskPasswords`]): two prompts, each line
//! read without echo and never logged (nor kept beyond the command); a drop fault
//! on the command cuts the connection after the second password is applied.
//! Restarts ([`Reply::Wait`]): the reply comes after the restart's delay (plus any
//! reply-delay fault); a drop-after fault cuts at once, the restart applied.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use russh::server::{
    Auth, ChannelOpenHandle, Handle, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::database::{self, Confirm, CONFIRM_PROMPT};
use super::sftp;
use super::shell::{run_command, store_secret, Reply, ADD_SECRET_PROMPT};
use super::state::NodeControl;
use super::users::{set_password, PasswordFor, PASSWORD_AGAIN_PROMPT, PASSWORD_PROMPT};
use crate::faults::Cut;

/// Banner line printed when a shell starts [GUESS: the real MMP banner is not documented].
pub const BANNER: &str = "Cisco Meeting Server MMP (uccluster simulator)";

/// Accepts connections until the task is aborted; one russh session per connection,
/// built from the node's *current* host key.
pub(crate) async fn accept_loop(listener: TcpListener, control: NodeControl) {
    loop {
        let Ok((socket, _peer)) = listener.accept().await else {
            continue;
        };
        let control = control.clone();
        tokio::spawn(async move {
            serve_connection(control, socket).await;
        });
    }
}

async fn serve_connection(control: NodeControl, socket: TcpStream) {
    let faults = control.faults();
    let _open = faults.session_opened();
    let _ = socket.set_nodelay(true);
    // Tracked, so faults and `stop` can cut the connection underneath the protocol.
    let Some((socket, conn_id)) = faults.track(socket) else {
        return;
    };
    if control.inner.stopping.load(Ordering::SeqCst) {
        faults.cut_connection(conn_id);
        return;
    }
    let handler = ConnectionHandler {
        control: control.clone(),
        conn_id,
        shells: HashMap::new(),
        channels: HashMap::new(),
    };
    if let Ok(session) = russh::server::run_stream(control.server_config(), socket, handler).await {
        let _ = session.await;
    }
    // Closes our duplicate too, so the peer sees the connection end.
    faults.cut_connection(conn_id);
}

struct ConnectionHandler {
    control: NodeControl,
    conn_id: u64,
    /// Input queues of the running shells, per channel.
    shells: HashMap<ChannelId, mpsc::UnboundedSender<Vec<u8>>>,
    /// Session channels not yet given a shell, exec or subsystem. Kept only
    /// until then: a held `Channel` receives a copy of all its data and
    /// would block the session if nobody read it.
    channels: HashMap<ChannelId, Channel<Msg>>,
}

impl russh::server::Handler for ConnectionHandler {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(if self.control.check_password(user, password) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.control.check_publickey(user, offer.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.control.check_publickey(user, key.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_succeeded(&mut self, _session: &mut Session) -> Result<(), Self::Error> {
        self.control.faults().login_succeeded();
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        session.channel_success(channel)?;
        let (tx, rx) = mpsc::unbounded_channel();
        self.shells.insert(channel, tx);
        let shell = Shell {
            control: self.control.clone(),
            conn_id: self.conn_id,
            handle: session.handle(),
            channel,
        };
        tokio::spawn(shell.run(rx));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        session.channel_success(channel)?;
        let shell = Shell {
            control: self.control.clone(),
            conn_id: self.conn_id,
            handle: session.handle(),
            channel,
        };
        let command = String::from_utf8_lossy(data).trim().to_string();
        tokio::spawn(shell.exec(command));
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match (name, self.channels.remove(&channel)) {
            ("sftp", Some(ch)) => {
                session.channel_success(channel)?;
                tokio::spawn(sftp::serve(ch, session.handle(), self.control.clone()));
            }
            _ => session.channel_failure(channel)?,
        }
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(tx) = self.shells.get(&channel) {
            if tx.send(data.to_vec()).is_err() {
                self.shells.remove(&channel);
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.shells.remove(&channel);
        self.channels.remove(&channel);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.shells.remove(&channel);
        self.channels.remove(&channel);
        Ok(())
    }
}

/// Whether the shell keeps going after a line.
enum Flow {
    Continue,
    Stop,
}

/// What the next input line is.
enum Mode {
    Command,
    /// The hidden secret for `xmpp callbridge add-secret <name>`; `drop_after`
    /// when a drop fault matched the command.
    Secret {
        name: String,
        drop_after: bool,
    },
    /// The `y`/`n` answer to a database cluster question.
    Confirm {
        action: Confirm,
        drop_after: bool,
    },
    /// A hidden password for `user add` / `user password`: the first (`first` is
    /// `None`) or the confirmation.
    Password {
        action: PasswordFor,
        first: Option<String>,
        drop_after: bool,
    },
}

struct Shell {
    control: NodeControl,
    conn_id: u64,
    handle: Handle,
    channel: ChannelId,
}

impl Shell {
    fn prompt(&self) -> String {
        format!("{}> ", self.control.hostname())
    }

    async fn send(&self, text: impl Into<String>) -> Result<(), ()> {
        let text: String = text.into();
        if text.is_empty() {
            return Ok(());
        }
        self.handle
            .data(self.channel, text.into_bytes())
            .await
            .map_err(|_| ())
    }

    async fn delay(&self) {
        self.control.faults().delay_reply().await;
    }

    /// Cuts this shell's connection underneath SSH (a drop fault).
    fn cut(&self) {
        self.control.faults().cut_connection(self.conn_id);
    }

    fn render(lines: &[String]) -> String {
        lines.iter().map(|l| format!("{l}\r\n")).collect()
    }

    /// Interactive shell: banner, prompt, then one command per input line.
    async fn run(self, mut input: mpsc::UnboundedReceiver<Vec<u8>>) {
        if self
            .send(format!("{BANNER}\r\n{}", self.prompt()))
            .await
            .is_err()
        {
            return;
        }
        let mut line = Vec::new();
        let mut after_cr = false;
        let mut mode = Mode::Command;
        while let Some(chunk) = input.recv().await {
            for b in chunk {
                // `\r`, `\n` and `\r\n` each end one line.
                if after_cr && b == b'\n' {
                    after_cr = false;
                    continue;
                }
                after_cr = b == b'\r';
                // Backspace / DEL edit the pending line, as the PTY line editor would.
                if b == 0x08 || b == 0x7f {
                    line.pop();
                    continue;
                }
                if b != b'\r' && b != b'\n' {
                    line.push(b);
                    continue;
                }
                let text = String::from_utf8_lossy(&std::mem::take(&mut line)).into_owned();
                let flow = match std::mem::replace(&mut mode, Mode::Command) {
                    Mode::Command => self.command_line(&text, &mut mode).await,
                    Mode::Secret { name, drop_after } => {
                        self.secret_line(&name, &text, drop_after).await
                    }
                    Mode::Confirm { action, drop_after } => {
                        self.confirm_line(&action, &text, drop_after).await
                    }
                    Mode::Password {
                        action,
                        first,
                        drop_after,
                    } => {
                        self.password_line(action, first, text, drop_after, &mut mode)
                            .await
                    }
                };
                if let Flow::Stop = flow {
                    return;
                }
            }
        }
    }

    async fn command_line(&self, raw: &str, mode: &mut Mode) -> Flow {
        let text = raw.trim();
        if text.is_empty() {
            return self.flow(self.send(format!("\r\n{}", self.prompt())).await);
        }
        self.control.faults().log_command(text);
        let cut = match self.control.faults().take_drop(text) {
            Some(Cut::BeforeApplying) => {
                self.cut();
                return Flow::Stop;
            }
            Some(Cut::AfterApplying) => true,
            None => false,
        };
        let reply = run_command(&self.control, text);
        if cut
            && !matches!(
                reply,
                Reply::AskSecret { .. } | Reply::Confirm { .. } | Reply::AskPasswords { .. }
            )
        {
            // Applied; now vanish without echo, output or prompt.
            self.cut();
            return Flow::Stop;
        }
        // PTY-style echo of the typed line.
        if self.send(format!("{raw}\r\n")).await.is_err() {
            return Flow::Stop;
        }
        match reply {
            Reply::Exit => {
                let _ = self.handle.exit_status_request(self.channel, 0).await;
                let _ = self.handle.eof(self.channel).await;
                let _ = self.handle.close(self.channel).await;
                Flow::Stop
            }
            Reply::Lines(lines) => {
                self.delay().await;
                let out = format!("{}{}", Self::render(&lines), self.prompt());
                self.flow(self.send(out).await)
            }
            Reply::AskSecret { name } => {
                self.delay().await;
                *mode = Mode::Secret {
                    name,
                    drop_after: cut,
                };
                self.flow(self.send(ADD_SECRET_PROMPT).await)
            }
            Reply::Confirm { warning, action } => {
                self.delay().await;
                *mode = Mode::Confirm {
                    action,
                    drop_after: cut,
                };
                self.flow(self.send(format!("{warning}\r\n{CONFIRM_PROMPT}")).await)
            }
            Reply::Wait { delay, lines } => {
                tokio::time::sleep(delay).await;
                self.delay().await;
                let out = format!("{}{}", Self::render(&lines), self.prompt());
                self.flow(self.send(out).await)
            }
            Reply::AskPasswords { action } => {
                self.delay().await;
                *mode = Mode::Password {
                    action,
                    first: None,
                    drop_after: cut,
                };
                self.flow(self.send(PASSWORD_PROMPT).await)
            }
        }
    }

    /// A hidden line typed at a password prompt: never echoed nor logged. After the
    /// first, asks again; after the second, sets the password.
    async fn password_line(
        &self,
        action: PasswordFor,
        first: Option<String>,
        typed: String,
        drop_after: bool,
        mode: &mut Mode,
    ) -> Flow {
        let Some(first) = first else {
            // The newline the user typed, then the second prompt.
            if self.send("\r\n").await.is_err() {
                return Flow::Stop;
            }
            self.delay().await;
            let sent = self.send(PASSWORD_AGAIN_PROMPT).await;
            *mode = Mode::Password {
                action,
                first: Some(typed),
                drop_after,
            };
            return self.flow(sent);
        };
        let lines = set_password(&self.control, &action, &first, &typed);
        if drop_after {
            self.cut();
            return Flow::Stop;
        }
        if self.send("\r\n").await.is_err() {
            return Flow::Stop;
        }
        self.delay().await;
        let out = format!("{}{}", Self::render(&lines), self.prompt());
        self.flow(self.send(out).await)
    }

    /// The answer typed at a `(y/n)` question: echoed, not logged.
    async fn confirm_line(&self, action: &Confirm, raw: &str, drop_after: bool) -> Flow {
        let lines = database::answer(&self.control, action, raw);
        if drop_after {
            self.cut();
            return Flow::Stop;
        }
        if self.send(format!("{raw}\r\n")).await.is_err() {
            return Flow::Stop;
        }
        self.delay().await;
        let out = format!("{}{}", Self::render(&lines), self.prompt());
        self.flow(self.send(out).await)
    }

    /// The hidden line typed at the add-secret prompt: never echoed nor logged.
    async fn secret_line(&self, name: &str, secret: &str, drop_after: bool) -> Flow {
        let lines = store_secret(&self.control, name, secret);
        if drop_after {
            self.cut();
            return Flow::Stop;
        }
        // The newline the user typed (input itself is not echoed).
        if self.send("\r\n").await.is_err() {
            return Flow::Stop;
        }
        self.delay().await;
        let out = format!("{}{}", Self::render(&lines), self.prompt());
        self.flow(self.send(out).await)
    }

    fn flow(&self, sent: Result<(), ()>) -> Flow {
        match sent {
            Ok(()) => Flow::Continue,
            Err(()) => Flow::Stop,
        }
    }

    /// `exec` request: one command, its output, exit status 0, close.
    async fn exec(self, command: String) {
        if command.is_empty() {
            self.finish().await;
            return;
        }
        self.control.faults().log_command(&command);
        let cut = self.control.faults().take_drop(&command);
        if cut == Some(Cut::BeforeApplying) {
            self.cut();
            return;
        }
        let cut = cut.is_some();
        let lines = match run_command(&self.control, &command) {
            Reply::Lines(lines) => lines,
            Reply::Exit => Vec::new(),
            Reply::Wait { delay, lines } => {
                if !cut {
                    tokio::time::sleep(delay).await;
                }
                lines
            }
            // Not simulated: the password prompts need interactive input [sim-only message].
            Reply::AskPasswords { .. } => {
                vec![
                    "FAILURE: this command prompts for a password; use an interactive shell"
                        .to_string(),
                ]
            }
            // Not simulated: needs interactive input [sim-only message].
            Reply::AskSecret { .. } => {
                vec!["Failure: add-secret needs an interactive shell".to_string()]
            }
            // Not simulated: the (y/n) question needs interactive input [sim-only message].
            Reply::Confirm { .. } => {
                vec![
                    "Failure: this command asks for confirmation; use an interactive shell"
                        .to_string(),
                ]
            }
        };
        if cut {
            self.cut();
            return;
        }
        self.delay().await;
        let _ = self.send(Self::render(&lines)).await;
        self.finish().await;
    }

    async fn finish(&self) {
        let _ = self.handle.exit_status_request(self.channel, 0).await;
        let _ = self.handle.eof(self.channel).await;
        let _ = self.handle.close(self.channel).await;
    }
}
