//! The provider block of every provider type whose devices are reached over SSH (and, for some,
//! their SQL port): its attributes, and how they become the [`Settings`] of `client/`.

use super::slot::{env, overrides};
use crate::client::cms_api::ApiSettings;
use crate::client::{Settings, SqlSettings, SshSettings, TrustPolicy};
use crate::devices::cms::facts::Facts;
use crate::duration::{parse_duration, DurationBounds};
use crate::schema_attrs::{optional, sensitive};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use tf_provider::schema::{Attribute, AttributeType};
use tf_provider::value::{ValueBool, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT_BOUNDS: DurationBounds = DurationBounds::secs(1, 600);
const COMMAND_TIMEOUT_BOUNDS: DurationBounds = DurationBounds::secs(1, 24 * 3600);

/// The provider block's SSH attributes (field names are the attribute names), also the `ssh`
/// block of an `lb` balancer reached over SSH.
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
    /// Only in the `ssh` blocks of the `lb` provider, which name one host.
    #[serde(default)]
    pub address: ValueString<'a>,
    #[serde(default)]
    pub host_key_fingerprint: ValueString<'a>,
    /// Only in the schema of providers whose devices also have a REST API (see
    /// [`rest_api_attributes`]).
    #[serde(default)]
    pub api_username: ValueString<'a>,
    #[serde(default)]
    pub api_password: ValueString<'a>,
    #[serde(default)]
    pub api_ca_file: ValueString<'a>,
    #[serde(default)]
    pub api_insecure_skip_tls_verify: ValueBool,
    /// Only in the schema of the `cms` provider (see [`fact_override_attributes`]).
    #[serde(default)]
    pub fact_overrides: ValueList<ValueString<'a>>,
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

/// The account and trust of the devices' REST API (CMS: the Web Admin's API), for providers
/// whose devices have one. Provider-level like the SSH login: one API user per cluster.
pub fn rest_api_attributes(env_prefix: &str) -> HashMap<String, Attribute> {
    use AttributeType::{Bool, String};
    HashMap::from([
        ("api_username".into(), optional(String, &format!("REST API user of the nodes (an MMP user with the `appadmin` role, e.g. a `cms_mmp_user`), or `{env_prefix}_API_USERNAME`. Needed by the resources that use the API."))),
        ("api_password".into(), sensitive(optional(String, &format!("Its password, or `{env_prefix}_API_PASSWORD`.")))),
        ("api_ca_file".into(), optional(String, "PEM file of the CAs that issued the nodes' Web Admin certificates. Default: the system's trust store.")),
        ("api_insecure_skip_tls_verify".into(), optional(Bool, "**Insecure.** Accept any Web Admin certificate, so anyone on the path can read the API credentials. Default `false`; for labs only.")),
    ])
}

/// CMS's replacements for the device facts no Cisco document settles (`devices/cms/facts.rs`).
pub fn fact_override_attributes() -> HashMap<String, Attribute> {
    HashMap::from([(
        "fact_overrides".into(),
        optional(
            AttributeType::List(Box::new(AttributeType::String)),
            "What this site's Meeting Server release prints or expects where no Cisco document says, as `<id>=<value>` (e.g. `webadmin.listen=TLS listening interface and port`): a status label, the word that clears a setting (`clear_word`), the alarm type of a Call Bridge cut off from XMPP (`xmpp_alarm`). The ids are listed in the provider docs, under Device facts no Cisco document settles.",
        ),
    )])
}

/// The facts of a provider block with [`fact_override_attributes`]; a bad entry is an error
/// naming `fact_overrides`.
pub fn facts_from_config(config: &SshProviderConfig<'_>, diags: &mut Diagnostics) -> Option<Facts> {
    overrides(
        &config.fact_overrides,
        "fact_overrides",
        "Invalid fact override",
        diags,
        |entries| Facts::new(entries.iter().copied()),
    )
}

/// The REST API settings of a provider block with [`rest_api_attributes`].
pub fn api_settings_from_config(
    config: &SshProviderConfig<'_>,
    env_prefix: &str,
    ssh: &SshSettings,
    diags: &mut Diagnostics,
) -> Option<ApiSettings> {
    let text = |v: &ValueString<'_>| v.as_ref_option().map(|s| s.to_string());
    let username =
        text(&config.api_username).or_else(|| env(&format!("{env_prefix}_API_USERNAME")));
    if let Some(Err(e)) = username.as_deref().map(crate::grammar::check_login_name) {
        diags.error("Invalid value", e, AttributePath::new("api_username"));
        return None;
    }
    let ca_file = text(&config.api_ca_file);
    if let Some(Err(e)) = ca_file.as_deref().map(crate::grammar::check_no_control) {
        diags.error("Invalid path", e, AttributePath::new("api_ca_file"));
        return None;
    }
    let password =
        text(&config.api_password).or_else(|| env(&format!("{env_prefix}_API_PASSWORD")));
    if let Some(p) = &password {
        crate::secrets::register(p);
    }
    let insecure = config
        .api_insecure_skip_tls_verify
        .as_ref_option()
        .copied()
        .unwrap_or(false);
    Some(ApiSettings {
        username,
        password,
        trust: match (ca_file, insecure) {
            (Some(ca), _) => TrustPolicy::CaBundle(expand_home(&ca)),
            (None, true) => TrustPolicy::InsecureAcceptAnyCertificate,
            (None, false) => TrustPolicy::SystemStore,
        },
        connect_timeout: ssh.connect_timeout,
        request_timeout: ssh.command_timeout,
    })
}

/// The provider block's settings, reporting bad values at their attribute. `sql` says whether
/// this provider type has the SQL attributes.
pub fn settings_from_config(
    config: &SshProviderConfig<'_>,
    env_prefix: &str,
    sql: bool,
    diags: &mut Diagnostics,
) -> Option<Settings> {
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
    let private_key = text(&config.private_key).map(|k| (k, text(&config.private_key_passphrase)));
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
    let env_or =
        |v: &ValueString<'_>, name: &str| text(v).or_else(|| env(&format!("{env_prefix}_{name}")));
    Some(Settings {
        ssh: SshSettings {
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
        },
        sql: sql.then(|| SqlSettings {
            admin_user: env_or(&config.mysql_admin_user, "MYSQL_ADMIN_USER"),
            admin_password: env_or(&config.mysql_admin_password, "MYSQL_ADMIN_PASSWORD"),
            connect_timeout,
            statement_timeout: command_timeout,
        }),
        api: None,
        cms_facts: Default::default(),
    })
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
