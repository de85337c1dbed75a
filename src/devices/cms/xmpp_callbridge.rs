//! MMP commands for the XMPP server's Call Bridge accounts, and their output.
//!
//! Source: Cisco TAC document 213479 "Configure XMPP Resiliency" and the CMS deployment guide
//! (seed cms-failover-cluster-part2a, XMPP section): `xmpp callbridge add <name>` creates the
//! account with a generated secret on one node; `xmpp callbridge add-secret <name>` asks for the
//! secret and stores it on the other nodes (accounts are not replicated by the XMPP cluster);
//! `xmpp callbridge list` prints each account's name, domain and secret; `xmpp callbridge del
//! <name>` removes it. `list` prints records of `Key : value` lines; column alignment differs
//! between releases [GUESS], so parsing splits at the first colon.

/// One Call Bridge account on one XMPP node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbridgeAccount {
    pub name: String,
    pub domain: String,
    pub secret: String,
}

pub const LIST_COMMAND: &str = "xmpp callbridge list";
/// The question `add-secret` asks before reading the secret.
pub const SECRET_QUESTION: &str = "secret";

pub fn add_command(name: &str) -> String {
    format!("xmpp callbridge add {name}")
}

pub fn add_secret_command(name: &str) -> String {
    format!("xmpp callbridge add-secret {name}")
}

pub fn del_command(name: &str) -> String {
    format!("xmpp callbridge del {name}")
}

/// Names the MMP accepts as a single command-line token.
pub fn validate_name(name: &str) -> Result<(), String> {
    crate::grammar::check_word(name, 64)
}

/// A secret typed at the `add-secret` question: one line of printable characters.
pub fn validate_secret(secret: &str) -> Result<(), String> {
    if secret.is_empty() {
        return Err("must not be empty".into());
    }
    if secret.chars().any(|c| c.is_control() || c == ' ') {
        return Err("must not contain spaces or control characters".into());
    }
    Ok(())
}

/// Parse `xmpp callbridge list` (also the record printed by `add`).
pub fn parse_callbridge_list(output: &str) -> Result<Vec<CallbridgeAccount>, String> {
    let mut accounts = Vec::new();
    let mut current: Option<(String, Option<String>, Option<String>)> = None;
    let finish = |record: (String, Option<String>, Option<String>),
                  accounts: &mut Vec<CallbridgeAccount>| {
        let (name, domain, secret) = record;
        let secret = secret.ok_or_else(|| format!("no Secret line for call bridge {name:?}"))?;
        accounts.push(CallbridgeAccount {
            name,
            domain: domain.unwrap_or_default(),
            secret,
        });
        Ok::<(), String>(())
    };
    for line in output.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once(':') else {
            if line.eq_ignore_ascii_case("success") {
                continue;
            }
            return Err(format!("unexpected line {line:?}"));
        };
        let value = value.trim().to_string();
        match key.trim().to_ascii_lowercase().as_str() {
            "callbridge" | "call bridge" => {
                if let Some(record) = current.take() {
                    finish(record, &mut accounts)?;
                }
                current = Some((value, None, None));
            }
            "domain" => match current.as_mut() {
                Some(record) => record.1 = Some(value),
                None => return Err(format!("Domain line before any Callbridge line: {line:?}")),
            },
            "secret" => match current.as_mut() {
                Some(record) => record.2 = Some(value),
                None => return Err("Secret line before any Callbridge line".into()),
            },
            _ => {} // fields added by later releases do not concern us
        }
    }
    if let Some(record) = current.take() {
        finish(record, &mut accounts)?;
    }
    Ok(accounts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST_TWO: &str = "Callbridge          : cb1\r\nDomain              : conf.example.com\nSecret              : kvgP1SRzWVabhiPVAb1\n\nCallbridge          : cb2\nDomain              : conf.example.com\nSecret              : Q2m8xYt0aPzL4nB7cD1\n";

    #[test]
    fn parses_records() {
        let accounts = parse_callbridge_list(LIST_TWO).unwrap();
        assert_eq!(accounts.len(), 2);
        assert_eq!(
            accounts[0],
            CallbridgeAccount {
                name: "cb1".into(),
                domain: "conf.example.com".into(),
                secret: "kvgP1SRzWVabhiPVAb1".into()
            }
        );
        assert_eq!(accounts[1].secret, "Q2m8xYt0aPzL4nB7cD1");
    }

    #[test]
    fn parses_the_add_confirmation_and_tolerates_other_alignment() {
        let out = "Success\nCallbridge: cb9\nDomain: d.example\nSecret: abcDEF123\nNew field : x";
        let accounts = parse_callbridge_list(out).unwrap();
        assert_eq!(accounts[0].name, "cb9");
        assert_eq!(accounts[0].secret, "abcDEF123");
    }

    #[test]
    fn empty_list_and_malformed_output() {
        assert_eq!(parse_callbridge_list("").unwrap(), vec![]);
        assert!(parse_callbridge_list("Callbridge : cb1\nDomain : d")
            .unwrap_err()
            .contains("no Secret line"));
        assert!(parse_callbridge_list("garbage without colon").is_err());
        assert!(parse_callbridge_list("Secret : x").is_err());
    }

    #[test]
    fn commands_and_validation() {
        assert_eq!(add_command("cb1"), "xmpp callbridge add cb1");
        assert_eq!(add_secret_command("cb1"), "xmpp callbridge add-secret cb1");
        assert_eq!(del_command("cb1"), "xmpp callbridge del cb1");
        assert!(validate_name("callbridge01").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("cb 1").unwrap_err().contains("' '"));
        assert!(validate_name(&"a".repeat(65)).is_err());
        assert!(validate_secret("abc def").is_err());
        assert!(validate_secret("kvgP1SRzWVabhiPVAb1").is_ok());
    }
}
