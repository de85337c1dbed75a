//! Every reply line the simulator sends, in one table, each with its source and whether a
//! primary source shows CommuniGate Pro saying it (`confirmed`) or the wording is ours
//! (`confirmed: false`). Codes and texts per cgp-interface.md §2-§3.

/// One reply: its code and text; `{0}` in the text is replaced by an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: &'static str,
    pub confirmed: bool,
    pub source: &'static str,
}

impl Reply {
    /// `<code> <text>` with `{0}` replaced by `arg`.
    pub fn line(&self, arg: &str) -> String {
        format!("{} {}", self.code, self.text.replace("{0}", arg))
    }
}

const fn reply(code: u16, text: &'static str, confirmed: bool, source: &'static str) -> Reply {
    Reply {
        code,
        text,
        confirmed,
        source,
    }
}

/// The banner: `{0}` = `<host> CommuniGate Pro PWD Server <version> ready <challenge>`, the shape
/// a 7.1.10 server sent (S11 `Connection.cs` capture); Nmap matches the same ready-line (S16).
pub const BANNER: Reply = reply(200, "{0}", true, "S11 recorded banner, S16");
/// After `USER`.
pub const SEND_PASS: Reply = reply(300, "please send the PASS", true, "S1 sample session");
/// After a good `PASS` or `APOP`.
pub const LOGIN_OK: Reply = reply(200, "login OK", true, "S1 sample session");
/// A wrong user, password or APOP digest. S7 names 500 `CLI_CODE_UNKNOW_USER`; the wording is
/// ours.
pub const BAD_LOGIN: Reply = reply(
    515,
    "Incorrect user name or password",
    false,
    "code: 515 is `VerifyAccountPassword`'s wrong-password code (S12); wording GUESS",
);
/// `PASS` without `USER` first.
pub const PASS_WITHOUT_USER: Reply = reply(
    500,
    "send the USER command first",
    false,
    "GUESS (no source shows this case)",
);
/// Any command but the login ones before a login (§8: "Commands before login -> 5xx").
pub const NOT_LOGGED_IN: Reply = reply(
    500,
    "please log in first",
    false,
    "code LIKELY (§8), wording GUESS",
);
/// `STLS` accepted: the TLS handshake starts on the same connection right after this line. The
/// code follows every PWD success (S1); the wording is RFC 2595 §4's POP3 example
/// (`+OK Begin TLS negotiation`), not seen from CGP.
pub const STLS_OK: Reply = reply(
    200,
    "begin TLS negotiation",
    false,
    "command: S14 (LIKELY); wording after RFC 2595 §4, GUESS",
);
/// `STLS` after a login: RFC 2595 §4 allows it in the AUTHORIZATION state only.
pub const STLS_AFTER_LOGIN: Reply = reply(
    500,
    "STLS is not allowed after login",
    false,
    "rule: RFC 2595 §4 (AUTHORIZATION state only); code per §8 (5xx); wording GUESS",
);
/// `STLS` on a connection already in TLS (implicit or upgraded).
pub const STLS_ACTIVE: Reply = reply(
    500,
    "TLS is already active",
    false,
    "rule: RFC 2595 §4 (\"-ERR Command not permitted when TLS active\"); wording GUESS",
);
/// A success with no data.
pub const OK: Reply = reply(200, "OK", true, "S1 sample session (`200 OK`)");
/// Before a non-INLINE data reply; the object follows on the next line(s).
pub const DATA_FOLLOW: Reply = reply(200, "data follow", true, "S1 sample session");
/// An INLINE data reply: `{0}` = the whole object on one line.
pub const INLINE_DATA: Reply = reply(201, "{0}", true, "S7, S12 (`201 {}`, `201 ()`)");
/// `QUIT`; the server closes the connection after it.
pub const BYE: Reply = reply(
    200,
    "CommuniGate Pro PWD connection closed",
    true,
    "S1 sample session",
);
/// A command word the server does not know: `{0}` = the word.
pub const UNKNOWN_COMMAND: Reply = reply(
    500,
    "unknown command {0}",
    false,
    "code: S12 comment \"Unknown command\" on 500; wording GUESS",
);
/// A Set argument that is not a dictionary: `{0}` = the parser's words.
pub const BAD_PARAMETER: Reply = reply(
    501,
    "{0}",
    false,
    "code: 501 general error (S1 `501 Account with this name already exists`, S7 \
     `CLI_CODE_GEN_ERR`); text: our parser's message GUESS",
);
/// A Set with no argument.
pub const MISSING_PARAMETER: Reply = reply(
    501,
    "a dictionary parameter expected",
    false,
    "code as BAD_PARAMETER; wording GUESS",
);
/// `GETVERSION`'s reply without INLINE is `200 data follow` + the string, with INLINE `201
/// "6.4.1"`; the version string form is not seen anywhere (S7 only sends the command).
pub const VERSION: &str = "6.4.1";
