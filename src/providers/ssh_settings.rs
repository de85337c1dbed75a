//! Provider-level SSH settings shared by every provider type whose devices are reached over SSH,
//! and how a per-node override combines with them into a concrete [`SshTarget`].

use crate::duration::{parse_duration, DurationBounds};
use crate::schema_attrs::{optional, sensitive};
use crate::transport::host_key::{is_valid_fingerprint, HostKeyPolicy};
use crate::transport::ssh::{SshAuth, SshTarget};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tf_provider::schema::{Attribute, AttributeType};
use tf_provider::value::{ValueBool, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT_BOUNDS: DurationBounds = DurationBounds::secs(1, 600);
const COMMAND_TIMEOUT_BOUNDS: DurationBounds = DurationBounds::secs(1, 24 * 3600);

/// The provider block's SSH attributes (field names are the attribute names).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct SshProviderConfig<'a> {
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub private_key: ValueString<'a>,
    pub private_key_passphrase: ValueString<'a>,
    pub port: ValueNumber,
    pub known_hosts_file: ValueString<'a>,
    pub insecure_skip_host_key_check: ValueBool,
    pub connect_timeout: ValueString<'a>,
    pub command_timeout: ValueString<'a>,
    /// Only in the schema of providers whose devices also have a SQL side (see
    /// [`sql_admin_attributes`]); absent elsewhere.
    #[serde(default)]
    pub mysql_admin_user: ValueString<'a>,
    #[serde(default)]
    pub mysql_admin_password: ValueString<'a>,
}

pub fn ssh_provider_attributes(env_prefix: &str, device: &str) -> HashMap<String, Attribute> {
    use AttributeType::{Bool, Number, String};
    HashMap::from([
        ("username".into(), optional(String, &format!("SSH user for the {device} nodes (letters, digits, `_`, `.`, `-`, `@`). Default `admin`, or `{env_prefix}_USERNAME`."))),
        (
            "password".into(),
            sensitive(optional(String, &format!("SSH password, or `{env_prefix}_PASSWORD`. Nodes may override it."))),
        ),
        (
            "private_key".into(),
            sensitive(optional(String, "SSH private key (OpenSSH or PEM text, e.g. `file(\"~/.ssh/id_ed25519\")`), used instead of the password.")),
        ),
        ("private_key_passphrase".into(), sensitive(optional(String, "Passphrase of `private_key`, if it is encrypted."))),
        ("port".into(), optional(Number, "SSH port of the nodes. Default `22`. Nodes may override it.")),
        (
            "known_hosts_file".into(),
            optional(String, "OpenSSH known_hosts file that lists every node's host key. Default `~/.ssh/known_hosts`. A node's `host_key_fingerprint` takes precedence."),
        ),
        (
            "insecure_skip_host_key_check".into(),
            optional(Bool, "**Insecure.** Accept any host key, so anyone on the path can impersonate the devices. Default `false`; for labs only."),
        ),
        ("connect_timeout".into(), optional(String, "Limit for TCP connect, SSH handshake and login, from `1s` to `10m`. Default `15s`.")),
        ("command_timeout".into(), optional(String, "Limit for one device command to return its prompt, from `1s` to `24h`. Default `60s`.")),
    ])
}

/// The default MySQL administrative account, for providers whose devices are also reached over
/// SQL. Provider-level, like the SSH credentials, so resources (and their import) need not carry
/// it.
pub fn sql_admin_attributes(env_prefix: &str) -> HashMap<String, Attribute> {
    use AttributeType::String;
    HashMap::from([
        (
            "mysql_admin_user".into(),
            optional(String, &format!("Administrative MySQL account of the servers (needs SUPER or REPLICATION ADMIN, and CREATE USER), or `{env_prefix}_MYSQL_ADMIN_USER`. A resource's `admin_user` takes precedence.")),
        ),
        (
            "mysql_admin_password".into(),
            sensitive(optional(String, &format!("Password of `mysql_admin_user`, or `{env_prefix}_MYSQL_ADMIN_PASSWORD`."))),
        ),
    ])
}

/// Per-node connection overrides written in a resource.
#[derive(Clone, Debug, Default)]
pub struct NodeConnection {
    pub address: String,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub host_key_fingerprint: Option<String>,
}

/// The provider's SSH settings after `configure`.
#[derive(Clone, Debug)]
pub struct SshDefaults {
    pub username: String,
    pub password: Option<String>,
    pub private_key: Option<(String, Option<String>)>,
    pub port: u16,
    pub known_hosts_file: PathBuf,
    pub insecure_skip_host_key_check: bool,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub mysql_admin_user: Option<String>,
    pub mysql_admin_password: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl SshDefaults {
    /// Build from the provider block, reporting bad values at their attribute.
    pub fn from_config(
        config: &SshProviderConfig<'_>,
        env_prefix: &str,
        diags: &mut Diagnostics,
    ) -> Option<SshDefaults> {
        let text = |v: &ValueString<'_>| v.as_ref_option().map(|s| s.to_string());
        let duration = |v: &ValueString<'_>,
                        name: &'static str,
                        default: Duration,
                        bounds: DurationBounds,
                        diags: &mut Diagnostics| match v.as_ref_option() {
            None => Some(default),
            Some(s) => parse_duration(s, bounds)
                .map_err(|e| diags.error("Invalid duration", e, AttributePath::new(name)))
                .ok(),
        };
        let port = match config.port.as_ref_option() {
            None => 22,
            Some(p) => match u16::try_from(*p) {
                Ok(p) if p > 0 => p,
                _ => {
                    diags.error(
                        "Invalid port",
                        format!("port must be between 1 and 65535, got {p}"),
                        AttributePath::new("port"),
                    );
                    return None;
                }
            },
        };
        let password = text(&config.password).or_else(|| env(&format!("{env_prefix}_PASSWORD")));
        let private_key =
            text(&config.private_key).map(|k| (k, text(&config.private_key_passphrase)));
        for secret in password
            .iter()
            .chain(private_key.iter().map(|(k, _)| k))
            .chain(private_key.iter().filter_map(|(_, p)| p.as_ref()))
        {
            crate::secrets::register(secret);
        }
        let username = text(&config.username).or_else(|| env(&format!("{env_prefix}_USERNAME")));
        let checks = [
            (
                "username",
                username.clone(),
                crate::grammar::check_login_name as fn(&str) -> Result<(), String>,
            ),
            (
                "known_hosts_file",
                text(&config.known_hosts_file),
                crate::grammar::check_no_control,
            ),
            ("mysql_admin_user", text(&config.mysql_admin_user), |u| {
                crate::devices::xop::replication::validate_user_name(u)
                    .map_err(|e| format!("user name {u:?} {e}"))
            }),
        ];
        let mut valid = true;
        for (name, value, check) in checks {
            if let Some(Err(e)) = value.as_deref().map(check) {
                diags.error("Invalid value", e, AttributePath::new(name));
                valid = false;
            }
        }
        if let Some((key, passphrase)) = &private_key {
            // Decoded here, so a wrong key or passphrase is a plan error, not a failed login later.
            if let Err(e) = russh::keys::decode_secret_key(key, passphrase.as_deref()) {
                let at = match passphrase {
                    Some(_) => "private_key_passphrase",
                    None => "private_key",
                };
                diags.error(
                    "Invalid private key",
                    format!("private_key is not a usable OpenSSH or PEM private key ({e}); pass the key's text, e.g. file(\"~/.ssh/id_ed25519\"), with private_key_passphrase when it is encrypted"),
                    AttributePath::new(at),
                );
                valid = false;
            }
        }
        let known_hosts_file = text(&config.known_hosts_file)
            .map(|p| expand_home(&p))
            .unwrap_or_else(|| expand_home("~/.ssh/known_hosts"));
        let connect_timeout = duration(
            &config.connect_timeout,
            "connect_timeout",
            DEFAULT_CONNECT_TIMEOUT,
            CONNECT_TIMEOUT_BOUNDS,
            diags,
        )?;
        let command_timeout = duration(
            &config.command_timeout,
            "command_timeout",
            DEFAULT_COMMAND_TIMEOUT,
            COMMAND_TIMEOUT_BOUNDS,
            diags,
        )?;
        if !valid {
            return None;
        }
        Some(SshDefaults {
            username: username.unwrap_or_else(|| "admin".into()),
            password,
            private_key,
            port,
            known_hosts_file,
            insecure_skip_host_key_check: config
                .insecure_skip_host_key_check
                .as_ref_option()
                .copied()
                .unwrap_or(false),
            connect_timeout,
            command_timeout,
            mysql_admin_user: text(&config.mysql_admin_user)
                .or_else(|| env(&format!("{env_prefix}_MYSQL_ADMIN_USER"))),
            mysql_admin_password: text(&config.mysql_admin_password)
                .or_else(|| env(&format!("{env_prefix}_MYSQL_ADMIN_PASSWORD"))),
        })
    }

    /// The concrete target for one node: its overrides first, then these defaults.
    pub fn target(&self, node: &NodeConnection) -> Result<SshTarget, String> {
        let auth = match (&node.password, &self.private_key, &self.password) {
            (Some(p), _, _) => SshAuth::Password(p.clone()),
            (None, Some((key, passphrase)), _) => SshAuth::PrivateKey { key: key.clone(), passphrase: passphrase.clone() },
            (None, None, Some(p)) => SshAuth::Password(p.clone()),
            (None, None, None) => {
                return Err(format!(
                    "no credentials for {}: set password or private_key in the provider block, or password on the node",
                    node.address
                ))
            }
        };
        let host_key = match (
            &node.host_key_fingerprint,
            self.insecure_skip_host_key_check,
        ) {
            (Some(f), _) => HostKeyPolicy::Pinned(f.clone()),
            (None, true) => HostKeyPolicy::InsecureSkip,
            (None, false) => HostKeyPolicy::KnownHosts(self.known_hosts_file.clone()),
        };
        Ok(SshTarget {
            host: node.address.clone(),
            port: node.port.unwrap_or(self.port),
            username: node
                .username
                .clone()
                .unwrap_or_else(|| self.username.clone()),
            auth,
            host_key,
            connect_timeout: self.connect_timeout,
            command_timeout: self.command_timeout,
        })
    }
}

/// A node's connection attributes as configured, with the names they have in its block
/// (`address`/`port` in most blocks, `ssh_address`/`ssh_port` where the node also has a
/// database address).
pub struct NodeConnectionConfig<'s> {
    pub address: (&'static str, Option<&'s str>),
    pub port: (&'static str, Option<i64>),
    pub username: Option<&'s str>,
    pub host_key_fingerprint: Option<&'s str>,
}

/// Validate a node's connection attributes, each reported at its own path under `path` (the
/// node block).
pub fn validate_node_connection(
    node: NodeConnectionConfig<'_>,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    if let (name, Some(address)) = node.address {
        if let Err(e) = validate_host(address) {
            diags.error("Invalid address", e, path.clone().attribute(name));
        }
    }
    if let (name, Some(port)) = node.port {
        if let Err(e) = crate::grammar::check_port(port) {
            diags.error("Invalid port", e, path.clone().attribute(name));
        }
    }
    if let Some(user) = node.username {
        if let Err(e) = crate::grammar::check_login_name(user) {
            diags.error("Invalid username", e, path.clone().attribute("username"));
        }
    }
    if let Some(f) = node.host_key_fingerprint {
        if !is_valid_fingerprint(f) {
            diags.error(
                "Invalid host key fingerprint",
                format!("{f:?} is not a SHA256 fingerprint; expected the form `ssh-keygen -lf` prints, e.g. SHA256:<43 base64 characters>"),
                path.clone().attribute("host_key_fingerprint"),
            );
        }
    }
}

/// An IPv4/IPv6 address or a DNS host name.
pub fn validate_host(text: &str) -> Result<(), String> {
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let looks_numeric = text
        .split('.')
        .all(|l| l.chars().all(|c| c.is_ascii_digit()));
    if text.is_empty()
        || text.len() > 253
        || looks_numeric
        || !text.trim_end_matches('.').split('.').all(valid_label)
    {
        return Err(format!(
            "{text:?} is neither an IP address nor a valid host name"
        ));
    }
    Ok(())
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(validate_host("127.0.0.1").is_ok());
        assert!(validate_host("::1").is_ok());
        assert!(validate_host("cms1.example.com").is_ok());
        assert!(validate_host("256.1.1.1").is_err());
        assert!(validate_host("bad host").is_err());
        assert!(validate_host("").is_err());
        assert!(validate_host("-x.example").is_err());
    }

    pub fn defaults() -> SshDefaults {
        SshDefaults {
            username: "admin".into(),
            password: Some("pw-default".into()),
            private_key: None,
            port: 22,
            known_hosts_file: "/kh".into(),
            insecure_skip_host_key_check: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            mysql_admin_user: None,
            mysql_admin_password: None,
        }
    }

    #[test]
    fn node_overrides_win() {
        let node = NodeConnection {
            address: "10.0.0.1".into(),
            port: Some(2222),
            username: Some("ops".into()),
            password: None,
            host_key_fingerprint: Some("SHA256:abc".into()),
        };
        let t = defaults().target(&node).unwrap();
        assert_eq!((t.port, t.username.as_str()), (2222, "ops"));
        assert_eq!(t.host_key, HostKeyPolicy::Pinned("SHA256:abc".into()));
        let plain = defaults()
            .target(&NodeConnection {
                address: "h".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(plain.host_key, HostKeyPolicy::KnownHosts("/kh".into()));
        assert_eq!(plain.port, 22);
    }

    #[test]
    fn missing_credentials_are_explained() {
        let d = SshDefaults {
            password: None,
            ..defaults()
        };
        let err = d
            .target(&NodeConnection {
                address: "h".into(),
                ..Default::default()
            })
            .err()
            .unwrap();
        assert!(err.contains("no credentials for h"));
    }
}
