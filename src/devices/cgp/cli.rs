//! The CommuniGate Pro CLI session (PWD module, TCP 106; cgp-interface.md §2, §3): the
//! framing of its replies, the login, the reply codes, and the command lines this provider
//! sends, as a [`LineProtocol`] for `transport/line.rs`.
//!
//! Sources: S1 (CGP "CLI/API" doc and its sample session), S7 (the official Perl client
//! CLI.pm 2.8.3: `connect`, `_parseResponse`, `getWords`, `send`), S11 (the C# client used
//! against CGP 7.1.10: banner, APOP, `inline`), S12 (the PHP client's INLINE replies).

use super::data::{encode, Value};
use super::keys::{Id, KeyTable};
use crate::client::LineProtocol;
use md5::{Digest, Md5};
use std::fmt;

/// Reply codes (S7: `$CGP::CLI_CODE_OK = 200`, `CLI_CODE_OK_INLINE = 201`,
/// `CLI_CODE_PASSWORD = 300`, `CLI_CODE_UNKNOW_USER = 500`, `CLI_CODE_GEN_ERR = 501`; S11's enum:
/// 510 insufficient access rights).
pub const OK: u16 = 200;
pub const OK_INLINE: u16 = 201;
pub const SEND_PASSWORD: u16 = 300;
/// S12's comment: "Unknown command".
pub const UNKNOWN_COMMAND: u16 = 500;
/// S1: `501 Account with this name already exists`; S7 calls it the general error.
pub const GENERAL_ERROR: u16 = 501;
/// S11: not enough access rights.
pub const ACCESS_RIGHTS: u16 = 510;

/// What `200 <text>` says when the data follows on the next lines (S1 sample session:
/// `200 data follow` then `(mail.servername.com, client1.com, client2.com)`).
pub const DATA_FOLLOW: &str = "data follow";

/// A reply that means success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// `200 <anything>` but `data follow` (`200 OK`, `200 login OK`).
    Ok,
    /// The data object's text: after `201 ` (INLINE, one line, S7 `_parseResponse`), or the
    /// lines after `200 data follow` (S7 `getWords`), white space at both ends trimmed.
    Data(String),
}

/// Any reply but 200/201, in the device's own words: code and the text after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CliError {
    /// 0 when the reply does not start with a code (S7 calls that a "strange" error).
    pub code: u16,
    pub text: String,
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            0 => write!(
                f,
                "CommuniGate Pro answered without a reply code: {:?}",
                self.text
            ),
            code => write!(f, "CommuniGate Pro answered {code} {}", self.text),
        }
    }
}

impl std::error::Error for CliError {}

impl CliError {
    /// The server does not know the command (an older version, or a name the key table has
    /// wrong): the error that says a table entry needs an override.
    pub fn is_unknown_command(&self) -> bool {
        self.code == UNKNOWN_COMMAND
    }

    pub fn is_access_denied(&self) -> bool {
        self.code == ACCESS_RIGHTS
    }
}

/// The first line of `reply` split into its code and text (S7: `^(\d+)\s(.*)$`), without the
/// line ending. `None`: no three-digit code and space.
pub fn code_line(reply: &[u8]) -> Option<(u16, String)> {
    let end = reply
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(reply.len());
    let line = String::from_utf8_lossy(&reply[..end]);
    let line = line.trim_end_matches('\r');
    let (code, text) = match line.split_once(' ') {
        Some((c, t)) => (c, t),
        None => (line, ""),
    };
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((code.parse().ok()?, text.to_string()))
}

/// One framed reply (as [`CgpCli::reply_len`] cut it) read as success or the server's error.
pub fn parse_reply(reply: &[u8]) -> Result<Reply, CliError> {
    let Some((code, text)) = code_line(reply) else {
        let text = String::from_utf8_lossy(reply);
        return Err(CliError {
            code: 0,
            text: text.trim().chars().take(200).collect(),
        });
    };
    match code {
        OK if text.trim().eq_ignore_ascii_case(DATA_FOLLOW) => {
            let start = reply
                .iter()
                .position(|&b| b == b'\n')
                .map_or(reply.len(), |i| i + 1);
            Ok(Reply::Data(
                String::from_utf8_lossy(&reply[start..]).trim().to_string(),
            ))
        }
        OK => Ok(Reply::Ok),
        OK_INLINE => Ok(Reply::Data(text.trim().to_string())),
        _ => Err(CliError { code, text }),
    }
}

/// The length of the data object that starts `received` (after its code line), up to the
/// end of the line where it ends; `None` while it is incomplete. An array or dictionary ends
/// where its brackets balance, brackets inside quoted strings (with their escapes) and data
/// blocks not counted: S7's `getWords` stops at the first line ending in `)` or `}`, which a
/// string value ending a line with `)` would fool, so the brackets are counted instead. Any
/// other object is one line.
fn object_len(received: &[u8]) -> Option<usize> {
    let start = received
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))?;
    let line_end = |from: usize| {
        received[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| from + i + 1)
    };
    if !matches!(received[start], b'(' | b'{') {
        return line_end(start);
    }
    let (mut depth, mut i) = (0usize, start);
    let (mut in_quote, mut in_block) = (false, false);
    while i < received.len() {
        let b = received[i];
        if in_quote {
            match b {
                b'\\' => i += 1,
                b'"' => in_quote = false,
                _ => {}
            }
        } else if in_block {
            in_block = b != b']';
        } else {
            match b {
                b'"' => in_quote = true,
                b'[' => in_block = true,
                b'(' | b'{' => depth += 1,
                b')' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return line_end(i + 1);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// A login name or password that could not be sent as one line.
fn check_login_word(what: &str, word: &str, spaces: bool) -> Result<(), String> {
    if word.is_empty() {
        return Err(format!("the CommuniGate Pro {what} is empty"));
    }
    if word.contains(['\r', '\n', '\0']) || (!spaces && word.contains([' ', '\t'])) {
        return Err(format!(
            "the CommuniGate Pro {what} holds a line break{}: it would not be one CLI line",
            if spaces { "" } else { " or a space" }
        ));
    }
    Ok(())
}

/// The APOP challenge in a banner: the `<...@...>` token, angle brackets included (S7:
/// `$this->{errMsg} =~ /(\<.*\@.*\>)/`; S11's 7.1.10 banner ends with
/// `<50.1733950486@mymail1.webnames.ca>`).
pub fn challenge(greeting: &str) -> Option<&str> {
    let open = greeting.find('<')?;
    let close = open + greeting[open..].rfind('>')?;
    let token = &greeting[open..=close];
    token[1..token.len() - 1].contains('@').then_some(token)
}

/// `APOP <user> <md5 hex>`: lowercase hex of md5(challenge with its brackets + password)
/// (S7 `connect`: `$md5->add($1.$this->{password}); ... 'APOP '.$this->{login}.' '.$md5->hexdigest`).
pub fn apop(user: &str, challenge: &str, password: &str) -> String {
    let mut md5 = Md5::new();
    md5.update(challenge.as_bytes());
    md5.update(password.as_bytes());
    let digest = md5.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("APOP {user} {hex}")
}

/// The CLI as a line protocol. The session is switched to INLINE as the last login step (S7,
/// S11 and S12 all do), so data replies are `201 <object on one line>`; `200 data follow`
/// replies are framed too, for a session that is not.
pub struct CgpCli {
    /// Command names come from the key table (`INLINE`).
    pub keys: KeyTable,
}

impl LineProtocol for CgpCli {
    /// The server speaks first: `200 ... PWD Server <ver> ready[ <challenge>]` (S1, S11, S16).
    fn greets(&self) -> bool {
        true
    }

    /// A reply is one code line (S7 `_parseResponse` reads one line), except `200 data
    /// follow`, whose object follows on the next lines (S1, S7 `getWords`).
    fn reply_len(&self, received: &[u8]) -> Option<usize> {
        let first = received.iter().position(|&b| b == b'\n')? + 1;
        match code_line(&received[..first]) {
            Some((OK, text)) if text.trim().eq_ignore_ascii_case(DATA_FOLLOW) => {
                object_len(&received[first..]).map(|n| first + n)
            }
            _ => Some(first),
        }
    }

    /// The line and CRLF: the server's own line ending (S1); S11 sends CRLF, S7 and S12 LF
    /// only, and both work. Requests come from the builders below, which refuse line breaks.
    fn encode(&self, request: &str) -> Vec<u8> {
        format!("{request}\r\n").into_bytes()
    }

    /// APOP when the banner carries a challenge (S7 uses it by default then), else `USER` and
    /// `PASS` (S1 sample session); then `INLINE`.
    fn login(
        &self,
        greeting: &[u8],
        username: &str,
        password: &str,
    ) -> Result<Vec<String>, String> {
        let banner = String::from_utf8_lossy(greeting);
        match code_line(greeting) {
            Some((OK, _)) => {}
            Some((code, text)) => {
                return Err(format!("CommuniGate Pro greeted with {code} {text}"));
            }
            None => {
                return Err(format!(
                    "not a CommuniGate Pro CLI greeting: {:?}",
                    banner.trim().chars().take(120).collect::<String>()
                ));
            }
        }
        check_login_word("user name", username, false)?;
        let inline = self.keys.name(Id::Inline).to_string();
        match challenge(banner.trim_end()) {
            Some(token) => {
                check_login_word("password", password, true)?;
                Ok(vec![apop(username, token, password), inline])
            }
            None => {
                check_login_word("password", password, true)?;
                Ok(vec![
                    format!("USER {username}"),
                    format!("PASS {password}"),
                    inline,
                ])
            }
        }
    }

    /// `300` (send the password, S1) and `200` go on; anything else is the server's refusal
    /// in its own words (S7 `connect`: `$CGP::ERR_STRING=$this->{errMsg}`).
    fn login_reply(&self, reply: &[u8]) -> Result<(), String> {
        match code_line(reply) {
            Some((OK | OK_INLINE | SEND_PASSWORD, _)) => Ok(()),
            Some((code, text)) => Err(format!("CommuniGate Pro refused the login: {code} {text}")),
            None => Err(format!(
                "CommuniGate Pro answered the login without a reply code: {:?}",
                String::from_utf8_lossy(reply)
                    .trim()
                    .chars()
                    .take(120)
                    .collect::<String>()
            )),
        }
    }
}

/// A command line that could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError(pub String);

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CommandError {}

/// `name` and its parameters as one CLI line. A line break anywhere would end the command
/// and start another with the rest (S1: the CLI reads one command per line), so any CR, LF or
/// NUL is refused here, whatever built the parameter.
pub fn command(name: &str, params: &[&str]) -> Result<String, CommandError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(CommandError(format!(
            "{name:?} is not a CLI command name (letters and digits)"
        )));
    }
    let mut line = name.to_string();
    for p in params {
        if p.contains(['\r', '\n', '\0']) {
            return Err(CommandError(format!(
                "a parameter of {name} holds a line break; CLI parameters must be on one line"
            )));
        }
        line.push(' ');
        line.push_str(p);
    }
    Ok(line)
}

/// A `Get*` command that takes no parameter (`GetClusterSettings`, `GetNetwork`,
/// `GetClusterNetwork`, `RefreshOSData`, `GETVERSION`, `QUIT`), by its table id.
pub fn simple(keys: &KeyTable, id: Id) -> Result<String, CommandError> {
    command(keys.name(id), &[])
}

/// A `Set*` command with a whole dictionary's text, as [`super::edit::edit`] made it (S7:
/// `'SetClusterSettings '.$this->printWords($newSettings)`).
pub fn set_with_text(keys: &KeyTable, id: Id, dict_text: &str) -> Result<String, CommandError> {
    command(keys.name(id), &[dict_text.trim()])
}

/// A `Set*` command with a dictionary value, encoded on one line.
pub fn set_with_value(keys: &KeyTable, id: Id, dict: &Value) -> Result<String, CommandError> {
    command(keys.name(id), &[&encode(dict)])
}
