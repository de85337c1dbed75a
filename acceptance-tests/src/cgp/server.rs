//! One member's PWD CLI listeners (cgp-interface.md §2, §3, §8): the banner with an APOP
//! challenge, `USER`/`PASS` and `APOP` logins, `INLINE`, the settings commands, `QUIT`, the idle
//! timeout, and the shared faults per command line (logged, maybe cut before or after it is
//! applied, its reply delayed) plus the CGP-specific chosen reply. The same session runs in the
//! clear (port 106's role), after `STLS` on that connection, or under implicit TLS (1106's role:
//! the handshake first, then the banner, as CGP's secure listener sockets do, Listener.html).

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;

use super::control::CgpMember;
use super::data::{parse_stored_dict, Lines, StoredDict};
use super::keys::{self, Command};
use super::messages as msg;
use crate::faults::Cut;

/// A command line longer than this closes the connection (no real limit is documented; it keeps
/// a runaway client from filling memory).
const MAX_LINE: usize = 1 << 20;

/// The product version in the banner (the brief's 6.4.1; S11 saw 7.1.10, S1 5.3).
pub const VERSION: &str = msg::VERSION;

/// A TLS handshake that takes longer is dropped (as the F5 simulator's).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What a listener speaks first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Clear text, `STLS` before login (106's role).
    Plain,
    /// The TLS handshake, then the same session (1106's role).
    ImplicitTls,
}

/// Accepts connections until the task is aborted.
pub(crate) async fn accept_loop(listener: TcpListener, member: CgpMember, transport: Transport) {
    loop {
        let Ok((socket, _peer)) = listener.accept().await else {
            // Out of descriptors or the like: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let member = member.clone();
        tokio::spawn(async move {
            serve_connection(member, socket, transport).await;
        });
    }
}

async fn serve_connection(member: CgpMember, socket: TcpStream, transport: Transport) {
    let faults = member.faults();
    let _open = faults.session_opened();
    let _ = socket.set_nodelay(true);
    // Tracked, so faults and `stop` can cut the connection underneath the protocol.
    let Some((socket, conn_id)) = faults.track(socket) else {
        return;
    };
    if !member.inner.stopping.load(Ordering::SeqCst) {
        let _ = serve_session(&member, socket, transport).await;
    }
    faults.cut_connection(conn_id);
}

/// Where a session is in its login.
#[derive(Debug, Default)]
struct Session {
    /// The `<...>` challenge of the banner, angle brackets included.
    challenge: String,
    /// The name of a `USER` waiting for its `PASS`.
    user: Option<String>,
    logged_in: bool,
    inline: bool,
    /// The connection runs under TLS (implicit, or after `STLS`).
    tls: bool,
}

/// What a command does to the connection after its reply.
enum After {
    Continue,
    Close,
    /// `STLS` was accepted: the TLS handshake follows on this connection.
    StartTls,
}

/// How a run of commands on one stream ended.
enum Ended<S> {
    Closed,
    /// `STLS`: the stream back, for the handshake.
    StartTls(BufReader<S>),
}

async fn serve_session(
    member: &CgpMember,
    socket: TcpStream,
    transport: Transport,
) -> std::io::Result<()> {
    let host = member.name().to_string();
    let n = member.inner.next_challenge.fetch_add(1, Ordering::SeqCst);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut session = Session {
        // `<50.1733950486@mymail1.webnames.ca>` (S11's banner): a number, a timestamp, the host.
        challenge: format!("<{n}.{now}@{host}>"),
        ..Session::default()
    };
    let banner = format!(
        "{host} CommuniGate Pro PWD Server {VERSION} ready {}",
        session.challenge
    );
    let banner = msg::BANNER.line(&banner);
    if transport == Transport::ImplicitTls {
        let Some(tls) = handshake(member, socket).await else {
            return Ok(());
        };
        session.tls = true;
        let mut tls = BufReader::new(tls);
        write_lines(tls.get_mut(), &[banner]).await?;
        run_commands(member, &mut session, tls).await?;
        return Ok(());
    }
    let mut plain = BufReader::new(socket);
    write_lines(plain.get_mut(), &[banner]).await?;
    let Ended::StartTls(plain) = run_commands(member, &mut session, plain).await? else {
        return Ok(());
    };
    // Bytes the client sent after `STLS` and before the handshake were not under TLS: a client
    // that pipelines them is not trusted with the session (the STARTTLS command injection
    // problem, RFC 3207 §4.2's "discard any knowledge obtained from the client" rule, and
    // RFC 2595 §4's "further commands are under TLS layer").
    if !plain.buffer().is_empty() {
        return Ok(());
    }
    let Some(tls) = handshake(member, plain.into_inner()).await else {
        return Ok(());
    };
    session.tls = true;
    // No new banner after the upgrade (POP3's STLS sends none, RFC 2595 §4 [GUESS for PWD]);
    // the banner's APOP challenge stays the session's; a `USER` sent in the clear is forgotten.
    session.user = None;
    run_commands(member, &mut session, BufReader::new(tls)).await?;
    Ok(())
}

/// The TLS handshake with the member's current certificate, or `None` when the client refused
/// it, spoke no TLS or took too long.
async fn handshake(member: &CgpMember, socket: TcpStream) -> Option<TlsStream<TcpStream>> {
    let acceptor = tokio_rustls::TlsAcceptor::from(member.tls());
    tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket))
        .await
        .ok()?
        .ok()
}

/// Command lines on one stream until the client or the server ends the session, or `STLS`
/// hands the stream back.
async fn run_commands<S: AsyncRead + AsyncWrite + Unpin>(
    member: &CgpMember,
    session: &mut Session,
    mut stream: BufReader<S>,
) -> std::io::Result<Ended<S>> {
    let faults = member.faults();
    loop {
        let line = match tokio::time::timeout(member.idle_timeout(), read_line(&mut stream)).await {
            // Idle too long: the server closes the connection (S7 reconnects after 295 s idle).
            Err(_) => return Ok(Ended::Closed),
            Ok(Err(e)) => return Err(e),
            Ok(Ok(None)) => return Ok(Ended::Closed),
            Ok(Ok(Some(l))) => l,
        };
        if line.trim().is_empty() {
            // An empty line is ignored [GUESS: no source shows the answer to one].
            continue;
        }
        faults.log_command(&masked(&line));
        let cut = faults.take_drop(&line);
        if cut == Some(Cut::BeforeApplying) {
            return Ok(Ended::Closed);
        }
        let (reply, after) = match member.take_chosen(&line) {
            Some(c) => (vec![format!("{} {}", c.code, c.text)], After::Continue),
            None => handle(member, session, &line),
        };
        if cut == Some(Cut::AfterApplying) {
            return Ok(Ended::Closed);
        }
        faults.delay_reply().await;
        write_lines(stream.get_mut(), &reply).await?;
        match after {
            After::Continue => {}
            After::Close => {
                let _ = stream.get_mut().shutdown().await;
                return Ok(Ended::Closed);
            }
            After::StartTls => return Ok(Ended::StartTls(stream)),
        }
    }
}

/// The line for the command log: a `PASS` password and an `APOP` digest are not kept.
fn masked(line: &str) -> String {
    let (word, rest) = split_word(line);
    if word.eq_ignore_ascii_case("PASS") {
        format!("{word} ***")
    } else if word.eq_ignore_ascii_case("APOP") {
        let (user, _) = split_word(rest);
        format!("{word} {user} ***")
    } else {
        line.to_string()
    }
}

/// One line without its line end; LF or CRLF both end a line (S7 and S12 send LF, S11 CRLF).
async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(None);
        }
        match available.iter().position(|b| *b == b'\n') {
            Some(i) => {
                buf.extend_from_slice(&available[..i]);
                reader.consume(i + 1);
                break;
            }
            None => {
                let len = available.len();
                buf.extend_from_slice(available);
                reader.consume(len);
            }
        }
        if buf.len() > MAX_LINE {
            return Err(std::io::Error::other("command line too long"));
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Every server line ends with CRLF (S1).
async fn write_lines<W: AsyncWriteExt + Unpin>(w: &mut W, lines: &[String]) -> std::io::Result<()> {
    let mut out = String::new();
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    w.write_all(out.as_bytes()).await?;
    w.flush().await
}

/// The first word and the rest after the spaces that follow it.
fn split_word(line: &str) -> (&str, &str) {
    match line.split_once(' ') {
        Some((w, rest)) => (w, rest.trim_start_matches(' ')),
        None => (line, ""),
    }
}

fn one(line: String) -> (Vec<String>, After) {
    (vec![line], After::Continue)
}

/// The reply to one command line.
fn handle(member: &CgpMember, s: &mut Session, line: &str) -> (Vec<String>, After) {
    let (word, arg) = split_word(line);
    let Some(command) = keys::command(word) else {
        return one(msg::UNKNOWN_COMMAND.line(word));
    };
    match command {
        Command::Quit => (vec![msg::BYE.line("")], After::Close),
        // Before authentication only (S14, cgp-interface.md §2; RFC 2595 §4's rule for POP3).
        Command::Stls if s.tls => one(msg::STLS_ACTIVE.line("")),
        Command::Stls if s.logged_in => one(msg::STLS_AFTER_LOGIN.line("")),
        Command::Stls => (vec![msg::STLS_OK.line("")], After::StartTls),
        Command::User => {
            s.user = Some(arg.to_string());
            one(msg::SEND_PASS.line(""))
        }
        Command::Pass => {
            let Some(user) = s.user.take() else {
                return one(msg::PASS_WITHOUT_USER.line(""));
            };
            // The password is the rest of the line as sent (S7 sends `PASS $password` raw).
            login(
                member,
                s,
                user == member.username() && arg == member.inner.password,
            )
        }
        Command::Apop => {
            let (user, digest) = split_word(arg);
            // md5 over the challenge with its angle brackets, then the password; hex (S7, S11).
            let expected = Md5::digest(format!("{}{}", s.challenge, member.inner.password));
            let expected: String = expected.iter().map(|b| format!("{b:02x}")).collect();
            let ok = user == member.username() && digest.trim().eq_ignore_ascii_case(&expected);
            login(member, s, ok)
        }
        _ if !s.logged_in => one(msg::NOT_LOGGED_IN.line("")),
        Command::Inline => {
            s.inline = true;
            one(msg::OK.line(""))
        }
        Command::GetClusterSettings => data_reply(s, &member.cluster_settings()),
        Command::GetNetwork => data_reply(s, &member.network()),
        Command::GetClusterNetwork => data_reply(s, &member.cluster_network()),
        // Set replaces the whole dictionary (cgp-interface.md §6: LIKELY; S7 has no Update form
        // for these pages and S9 writes the whole GetNetwork dictionary back).
        Command::SetClusterSettings => set(arg, |d| member.with_cluster_settings(|s| *s = d)),
        Command::SetNetwork => set(arg, |d| member.with_network(|s| *s = d)),
        Command::SetClusterNetwork => set(arg, |d| member.with_cluster_network(|s| *s = d)),
        Command::RefreshOsData => {
            member.inner.refreshes.fetch_add(1, Ordering::SeqCst);
            one(msg::OK.line(""))
        }
        Command::GetVersion => {
            // A quoted string [GUESS: the reply format is not seen anywhere].
            let version = format!("\"{VERSION}\"");
            if s.inline {
                one(msg::INLINE_DATA.line(&version))
            } else {
                (vec![msg::DATA_FOLLOW.line(""), version], After::Continue)
            }
        }
    }
}

fn login(member: &CgpMember, s: &mut Session, ok: bool) -> (Vec<String>, After) {
    if ok && !member.faults().refuses_login() {
        s.logged_in = true;
        member.faults().login_succeeded();
        one(msg::LOGIN_OK.line(""))
    } else {
        // The connection stays open after a refused login [GUESS: §8 leaves keep-or-close open].
        one(msg::BAD_LOGIN.line(""))
    }
}

/// INLINE: `201 <object>` on one line (S7, S12); else `200 data follow` and the object on the
/// next lines (S1).
fn data_reply(s: &Session, dict: &StoredDict) -> (Vec<String>, After) {
    if s.inline {
        one(msg::INLINE_DATA.line(&dict.print_inline()))
    } else {
        let body = dict.print_multiline();
        let mut lines = vec![msg::DATA_FOLLOW.line("")];
        lines.extend(body.split("\r\n").map(str::to_string));
        (lines, After::Continue)
    }
}

fn set(arg: &str, store: impl FnOnce(StoredDict)) -> (Vec<String>, After) {
    if arg.trim().is_empty() {
        return one(msg::MISSING_PARAMETER.line(""));
    }
    // All command parameters are on one line (S1), so the single-line white space rule (S2).
    match parse_stored_dict(arg, Lines::Single) {
        Ok(d) => {
            store(d);
            one(msg::OK.line(""))
        }
        Err(e) => one(msg::BAD_PARAMETER.line(&e.to_string())),
    }
}
