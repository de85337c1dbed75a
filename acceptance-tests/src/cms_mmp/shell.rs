//! The MMP command interpreter: turns one command line into the node's reply.
//! No I/O here; the SSH layer ([`super::server`]) does echo, prompts and delays.
//!
//! Commands and their source (Cisco TAC 213479 "Configure XMPP Resiliency",
//! <https://www.cisco.com/c/en/us/support/docs/conferencing/meeting-server/213479-configure-xmpp-resiliency.html>,
//! and the seed `cms-failover-cluster-part2a.txt`, section "XMPP Cluster"):
//!
//! | command | output |
//! |---|---|
//! | `xmpp callbridge add <name>` | `Success` + the Callbridge/Domain/Secret record (random 19-char alphanumeric secret) |
//! | `xmpp callbridge add-secret <name>` | prompt `Enter callbridge secret: `, secret read without echo, then `Success` |
//! | `xmpp callbridge list` | one Callbridge/Domain/Secret record per account, sorted by name, blank line between |
//! | `xmpp callbridge del <name>` | nothing on success |
//! | `xmpp status` | State (`ENABLED`/`DISABLED`: the XMPP server's enabled flag)/Domain (`xmpp domain`)/Num. clients/Num. components |
//! | `hostname` | the hostname |
//! | `pki list` | the uploaded file names, one per line, sorted |
//! | `database cluster ...` | see [`super::database`] |
//! | `webadmin ...`, `callbridge ...`, `xmpp [listen\|domain\|certs\|cluster trust\|enable\|disable]`, `webbridge ...` | see [`super::services`] |
//! | `xmpp cluster [enable\|disable\|initialize\|join\|remove\|status]`, `xmpp reset` | see [`super::xmpp_cluster`] |
//! | `user ...` | see [`super::users`] |
//!
//! `pki list` (MMP command reference: lists the user-uploaded keys and
//! certificates; devices.md 1.4): the real output format is not documented; the
//! simulator prints just the names [GUESS].
//!
//! Record layout: key padded with spaces to 20 characters, then `: ` and the value.
//! TAC 213479 shows the fields (`Callbridge`, `Domain`, `Secret`); the exact column
//! alignment and every `Failure: ...`/`Usage: ...` text is [GUESS].
//!
//! Unrecognised input: any line that is not one of the commands above (including
//! unknown `xmpp` sub-commands) answers `Unknown command: <the line, trimmed>`
//! [GUESS: real MMP wording not documented].

use std::time::Duration;

use rand::distr::Alphanumeric;
use rand::RngExt;

use super::database::{self, Confirm};
use super::services;
use super::state::NodeControl;
use super::users::{self, PasswordFor};
use super::xmpp_cluster;

/// Length of the secrets `xmpp callbridge add` generates (TAC 213479 shows
/// `kvgP1SRzWVabhiPVAb1`, 19 alphanumeric characters).
pub const GENERATED_SECRET_LEN: usize = 19;

/// Prompt printed by `xmpp callbridge add-secret <name>` (no newline).
/// devices.md 1.2 words it "Enter call bridge secret"; the exact text is [GUESS].
pub const ADD_SECRET_PROMPT: &str = "Enter callbridge secret: ";

/// What the shell must do after a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Print these lines (each followed by `\r\n`), then the prompt.
    Lines(Vec<String>),
    /// Print [`ADD_SECRET_PROMPT`], read the next line without echo, then call
    /// [`store_secret`] with it.
    AskSecret { name: String },
    /// Print `warning` (one line) and [`database::CONFIRM_PROMPT`], read the
    /// next line (echoed, not logged), then call [`database::answer`] with it.
    Confirm { warning: String, action: Confirm },
    /// Wait `delay` (a restart that takes time; the command has been applied), then
    /// print `lines` like [`Reply::Lines`].
    Wait { delay: Duration, lines: Vec<String> },
    /// Print [`users::PASSWORD_PROMPT`], read a line without echo, print
    /// [`users::PASSWORD_AGAIN_PROMPT`], read another without echo (neither is
    /// logged), then call [`users::set_password`] with both.
    AskPasswords { action: PasswordFor },
    /// Close the channel (`exit` / `quit`).
    Exit,
}

/// `Key                 : value` — key padded to 20 characters.
pub fn field(key: &str, value: &str) -> String {
    format!("{key:<20}: {value}")
}

fn record(name: &str, domain: &str, secret: &str) -> [String; 3] {
    [
        field("Callbridge", name),
        field("Domain", domain),
        field("Secret", secret),
    ]
}

/// Call bridge names accepted: `[A-Za-z0-9._-]{1,64}` [GUESS: MMP limits undocumented].
pub fn valid_callbridge_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn random_secret() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(GENERATED_SECRET_LEN)
        .map(char::from)
        .collect()
}

fn one(line: impl Into<String>) -> Reply {
    Reply::Lines(vec![line.into()])
}

fn invalid_name(name: &str) -> Reply {
    one(format!("Failure: invalid callbridge name \"{name}\""))
}

/// Runs one command line against the node state.
pub fn run_command(node: &NodeControl, line: &str) -> Reply {
    let line = line.trim();
    let words: Vec<&str> = line.split_whitespace().collect();
    let domain = node.xmpp_domain();
    match words.as_slice() {
        ["exit"] | ["quit"] => Reply::Exit,
        // TAC 213479 step "xmpp callbridge add <name>": creates the account with a random secret
        // and shows it.
        ["xmpp", "callbridge", "add", args @ ..] => {
            let [name] = args else {
                return one("Usage: xmpp callbridge add <name>");
            };
            if !valid_callbridge_name(name) {
                return invalid_name(name);
            }
            node.with_callbridges(|cbs| {
                if cbs.contains_key(*name) {
                    return one(format!("Failure: callbridge {name} already exists"));
                }
                let secret = random_secret();
                cbs.insert(name.to_string(), secret.clone());
                let mut lines = vec!["Success".to_string()];
                lines.extend(record(name, &domain, &secret));
                Reply::Lines(lines)
            })
        }
        // TAC 213479 step "xmpp callbridge add-secret <name>": prompts for the secret generated
        // on the first node.
        ["xmpp", "callbridge", "add-secret", args @ ..] => {
            let [name] = args else {
                return one("Usage: xmpp callbridge add-secret <name>");
            };
            if !valid_callbridge_name(name) {
                return invalid_name(name);
            }
            Reply::AskSecret {
                name: name.to_string(),
            }
        }
        // TAC 213479 "xmpp callbridge list" (fields Callbridge/Domain/Secret per account).
        ["xmpp", "callbridge", "list", args @ ..] => {
            if !args.is_empty() {
                return one("Usage: xmpp callbridge list");
            }
            let mut lines = Vec::new();
            for (i, (name, secret)) in node.callbridges().iter().enumerate() {
                if i > 0 {
                    lines.push(String::new());
                }
                lines.extend(record(name, &domain, secret));
            }
            Reply::Lines(lines)
        }
        // MMP command reference "xmpp callbridge del <name>" (devices.md 1.2; output [GUESS]).
        ["xmpp", "callbridge", "del", args @ ..] => {
            let [name] = args else {
                return one("Usage: xmpp callbridge del <name>");
            };
            if !valid_callbridge_name(name) {
                return invalid_name(name);
            }
            if node.remove_callbridge(name) {
                Reply::Lines(Vec::new())
            } else {
                one(format!("Failure: callbridge {name} not found"))
            }
        }
        // TAC 213479 / seed: "xmpp status" to check the XMPP service (exact fields [GUESS]).
        // State follows `xmpp enable|disable` ([`super::services`]; a fresh node's XMPP
        // server is disabled); Domain follows `xmpp domain`.
        ["xmpp", "status", args @ ..] => {
            if !args.is_empty() {
                return one("Usage: xmpp status");
            }
            let components = node.callbridges().len().to_string();
            let state = if node.xmpp_config().enabled {
                "ENABLED"
            } else {
                "DISABLED"
            };
            let domain = if domain.is_empty() { "none" } else { &domain };
            Reply::Lines(vec![
                field("State", state),
                field("Domain", domain),
                field("Num. clients", "0"),
                field("Num. components", &components),
            ])
        }
        // MMP "hostname" prints the node name (setting it is not simulated).
        ["hostname", args @ ..] => {
            if !args.is_empty() {
                return one("Usage: hostname");
            }
            one(node.hostname())
        }
        // MMP command reference "pki list": the user-uploaded keys/certificates.
        ["pki", "list", args @ ..] => {
            if !args.is_empty() {
                return one("Usage: pki list");
            }
            Reply::Lines(node.files())
        }
        ["database", "cluster", args @ ..] => {
            database::run(node, args).unwrap_or_else(|| one(format!("Unknown command: {line}")))
        }
        ["xmpp", "cluster", sub, args @ ..] if *sub != "trust" => {
            xmpp_cluster::run(node, sub, args)
                .unwrap_or_else(|| one(format!("Unknown command: {line}")))
        }
        ["xmpp", "reset", args @ ..] => xmpp_cluster::reset(node, args),
        ["webadmin" | "callbridge" | "xmpp" | "webbridge", ..] => {
            services::run(node, &words).unwrap_or_else(|| one(format!("Unknown command: {line}")))
        }
        ["user", args @ ..] => {
            users::run(node, args).unwrap_or_else(|| one(format!("Unknown command: {line}")))
        }
        [] => Reply::Lines(Vec::new()),
        _ => one(format!("Unknown command: {line}")),
    }
}

/// Second half of `xmpp callbridge add-secret <name>`: stores the typed secret.
/// An existing account is overwritten [GUESS: device behaviour for an existing
/// name is not documented]. The secret is stored exactly as typed (without the
/// line ending); TAC 213479 warns not to type stray spaces.
pub fn store_secret(node: &NodeControl, name: &str, secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return vec!["Failure: secret must not be empty".to_string()];
    }
    node.add_callbridge(name, secret);
    vec!["Success".to_string()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeControl {
        NodeControl::new(
            "cms1".into(),
            "admin".into(),
            "pw".into(),
            "conf.example.com".into(),
        )
    }

    fn lines(r: Reply) -> Vec<String> {
        match r {
            Reply::Lines(l) => l,
            other => panic!("expected lines, got {other:?}"),
        }
    }

    #[test]
    fn add_list_del() {
        let n = node();
        let out = lines(run_command(&n, "xmpp callbridge add cb2"));
        assert_eq!(out[0], "Success");
        assert_eq!(out[1], "Callbridge          : cb2");
        assert_eq!(out[2], "Domain              : conf.example.com");
        let secret = out[3].strip_prefix("Secret              : ").unwrap();
        assert_eq!(secret.len(), 19);
        assert!(secret.chars().all(|c| c.is_ascii_alphanumeric()));
        n.add_callbridge("cb1", "s1");
        let list = lines(run_command(&n, "xmpp  callbridge list"));
        assert_eq!(
            list,
            vec![
                "Callbridge          : cb1",
                "Domain              : conf.example.com",
                "Secret              : s1",
                "",
                "Callbridge          : cb2",
                "Domain              : conf.example.com",
                &format!("Secret              : {secret}"),
            ]
        );
        assert_eq!(
            lines(run_command(&n, "xmpp callbridge add cb1")),
            vec!["Failure: callbridge cb1 already exists"]
        );
        assert!(lines(run_command(&n, "xmpp callbridge del cb1")).is_empty());
        assert_eq!(
            lines(run_command(&n, "xmpp callbridge del cb1")),
            vec!["Failure: callbridge cb1 not found"]
        );
        // A fresh node's XMPP server is disabled ([`super::services`]); enabled here
        // behind the shell's back, as `xmpp enable` would.
        n.set_service_enabled(crate::cms_mmp::services::Service::Xmpp, true);
        assert_eq!(
            lines(run_command(&n, "xmpp status")),
            vec![
                "State               : ENABLED",
                "Domain              : conf.example.com",
                "Num. clients        : 0",
                "Num. components     : 1",
            ]
        );
    }

    #[test]
    fn errors() {
        let n = node();
        for (cmd, want) in [
            ("xmpp callbridge add", "Usage: xmpp callbridge add <name>"),
            (
                "xmpp callbridge add a b",
                "Usage: xmpp callbridge add <name>",
            ),
            (
                "xmpp callbridge add-secret",
                "Usage: xmpp callbridge add-secret <name>",
            ),
            ("xmpp callbridge del", "Usage: xmpp callbridge del <name>"),
            ("xmpp callbridge list x", "Usage: xmpp callbridge list"),
            ("xmpp status x", "Usage: xmpp status"),
            ("hostname x", "Usage: hostname"),
            (
                "xmpp callbridge add a/b",
                "Failure: invalid callbridge name \"a/b\"",
            ),
            ("frobnicate now", "Unknown command: frobnicate now"),
            ("xmpp callbridge", "Unknown command: xmpp callbridge"),
            ("hostname", "cms1"),
        ] {
            assert_eq!(lines(run_command(&n, cmd)), vec![want], "{cmd}");
        }
        assert!(!valid_callbridge_name(&"a".repeat(65)));
        assert!(valid_callbridge_name("cb-1.x_y"));
        assert_eq!(run_command(&n, "exit"), Reply::Exit);
        assert_eq!(
            run_command(&n, "xmpp callbridge add-secret cb9"),
            Reply::AskSecret { name: "cb9".into() }
        );
        assert_eq!(
            store_secret(&n, "cb9", ""),
            vec!["Failure: secret must not be empty"]
        );
        assert_eq!(store_secret(&n, "cb9", "abc"), vec!["Success"]);
        assert_eq!(
            n.callbridges(),
            vec![("cb9".to_string(), "abc".to_string())]
        );
    }
}
