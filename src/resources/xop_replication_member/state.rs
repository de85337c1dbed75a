//! Terraform state of `xop_replication_member`, its defaults, and the managed my.cnf options it
//! stands for.

use super::attributes::SPEC;
use crate::client::{NodeConnection, SqlEndpoint};
use crate::devices::xop::my_cnf::OptionLine;
use crate::timeouts::Timeouts;
use serde::{Deserialize, Serialize};
use tf_provider::value::{self, Value, ValueBool, ValueList, ValueNumber, ValueString};

pub const ROLE_PRIMARY: &str = "primary";
pub const ROLE_SECONDARY: &str = "secondary";
/// The tables the seed keeps local to each server (per-box state, not replicated).
pub const SEED_IGNORED_TABLES: [&str; 6] = [
    "xopdb.ports",
    "xopdb.system_parms",
    "xopdb.sessions",
    "xopdb.session_keys",
    "xopdb.session_parms",
    "xopdb.circuit_groups",
];

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MemberState<'a> {
    pub id: ValueString<'a>,
    pub name: ValueString<'a>,
    pub role: ValueString<'a>,
    pub server_id: ValueNumber,
    pub cluster_size: ValueNumber,
    pub auto_increment_offset: ValueNumber,
    pub replicated_databases: ValueList<ValueString<'a>>,
    pub ignored_databases: ValueList<ValueString<'a>>,
    pub ignored_tables: ValueList<ValueString<'a>>,
    pub log_bin: ValueString<'a>,
    pub expire_logs_days: ValueNumber,
    pub max_binlog_size: ValueString<'a>,
    pub sync_binlog: ValueNumber,
    pub innodb_flush_log_at_trx_commit: ValueNumber,
    pub replication_user: ValueString<'a>,
    pub replication_password: ValueString<'a>,
    pub replication_enabled: ValueBool,
    pub my_cnf_section: ValueString<'a>,
    pub io_running: ValueString<'a>,
    pub sql_running: ValueString<'a>,
    pub seconds_behind: ValueNumber,
    pub master_log_file: ValueString<'a>,
    pub master_log_pos: ValueNumber,
    pub last_error: ValueString<'a>,
    pub resync_trigger: ValueString<'a>,
    pub firewall_allow: ValueList<ValueString<'a>>,
    pub cluster_address: ValueString<'a>,
    pub gtid: ValueString<'a>,
    pub using_gtid: ValueBool,
    pub replication_account: ValueString<'a>,
    pub adopt_existing: ValueBool,
    pub replication_tls_ca_path: ValueString<'a>,
    pub host: Value<HostBlock<'a>>,
    pub mysql: Value<MysqlBlock<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub primary: Value<MysqlBlock<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub primary_host: Value<HostBlock<'a>>,
    #[serde(with = "value::serde_as_vec")]
    pub timeouts: Value<Timeouts<'a>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct HostBlock<'a> {
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub username: ValueString<'a>,
    pub password: ValueString<'a>,
    pub host_key_fingerprint: ValueString<'a>,
    pub my_cnf_path: ValueString<'a>,
    pub restart_command: ValueString<'a>,
    pub dump_command: ValueString<'a>,
    pub client_command: ValueString<'a>,
    pub iptables_command: ValueString<'a>,
    pub firewall_save_command: ValueString<'a>,
    pub sysconf_command: ValueString<'a>,
}

/// A MySQL endpoint with admin credentials: the member's own (`mysql`) or its primary's.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct MysqlBlock<'a> {
    pub address: ValueString<'a>,
    pub port: ValueNumber,
    pub admin_user: ValueString<'a>,
    pub admin_password: ValueString<'a>,
    pub tls_ca_file: ValueString<'a>,
}

pub use crate::resources::values::{known, text};

pub fn strings(v: &ValueList<ValueString<'_>>) -> Vec<String> {
    v.as_ref_option()
        .map(|l| l.iter().filter_map(text).collect())
        .unwrap_or_default()
}

impl<'a> MemberState<'a> {
    pub fn is_primary(&self) -> bool {
        text(&self.role).as_deref() == Some(ROLE_PRIMARY)
    }

    pub fn name(&self) -> String {
        text(&self.name).unwrap_or_default()
    }

    /// The configuration with every unset default filled in, as the plan shows it: the
    /// declared defaults of [`SPEC`], then the two that follow other attributes.
    pub fn with_defaults(self) -> Self {
        let mut state = SPEC.with_defaults(self.clone()).unwrap_or(self);
        if state.auto_increment_offset.is_null() {
            state.auto_increment_offset = state.server_id;
        }
        let host_address = state
            .host
            .as_ref_option()
            .map(|h| h.address.clone())
            .unwrap_or(Value::Null);
        if let Value::Value(mysql) = &mut state.mysql {
            if mysql.address.is_null() {
                mysql.address = host_address;
            }
        }
        state
    }

    /// The options uccluster owns in this member's my.cnf (seed: "Primary Server" and
    /// "Secondary Server" configurations).
    pub fn managed_options(&self) -> Vec<OptionLine> {
        let number = |v: &ValueNumber| v.as_ref_option().copied().unwrap_or_default();
        let mut options = vec![
            OptionLine::new("server-id", number(&self.server_id)),
            OptionLine::new("auto_increment_offset", number(&self.auto_increment_offset)),
            OptionLine::new("auto_increment_increment", number(&self.cluster_size)),
        ];
        if self.is_primary() {
            options.push(OptionLine::new(
                "log-bin",
                text(&self.log_bin).unwrap_or_default(),
            ));
            options.extend(
                strings(&self.replicated_databases)
                    .iter()
                    .map(|d| OptionLine::new("binlog-do-db", d)),
            );
            options.extend(
                strings(&self.ignored_databases)
                    .iter()
                    .map(|d| OptionLine::new("binlog-ignore-db", d)),
            );
            options.push(OptionLine::new(
                "expire_logs_days",
                number(&self.expire_logs_days),
            ));
            options.push(OptionLine::new(
                "max_binlog_size",
                text(&self.max_binlog_size).unwrap_or_default(),
            ));
            options.push(OptionLine::new(
                "innodb_flush_log_at_trx_commit",
                number(&self.innodb_flush_log_at_trx_commit),
            ));
            options.push(OptionLine::new("sync_binlog", number(&self.sync_binlog)));
        } else {
            // Names the replica in the primary's SHOW SLAVE HOSTS (server id collisions).
            options.push(OptionLine::new("report-host", self.name()));
            options.extend(
                strings(&self.replicated_databases)
                    .iter()
                    .map(|d| OptionLine::new("replicate-do-db", d)),
            );
            options.extend(
                strings(&self.ignored_databases)
                    .iter()
                    .map(|d| OptionLine::new("replicate-ignore-db", d)),
            );
            options.extend(
                strings(&self.ignored_tables)
                    .iter()
                    .map(|t| OptionLine::new("replicate-ignore-table", t)),
            );
        }
        options
    }

    pub fn register_secrets(&self) {
        SPEC.register_secrets(self);
    }

    pub fn host_connection(&self) -> NodeConnection {
        self.host
            .as_ref_option()
            .map(HostBlock::connection)
            .unwrap_or_default()
    }
}

impl HostBlock<'_> {
    pub fn connection(&self) -> NodeConnection {
        NodeConnection {
            address: text(&self.address).unwrap_or_default(),
            port: self
                .port
                .as_ref_option()
                .and_then(|p| u16::try_from(*p).ok()),
            username: text(&self.username),
            password: text(&self.password),
            host_key_fingerprint: text(&self.host_key_fingerprint),
        }
    }
}

impl MysqlBlock<'_> {
    /// The endpoint as configured; the provider's admin account fills in a missing one.
    pub fn endpoint(&self) -> SqlEndpoint {
        SqlEndpoint {
            address: self.address(),
            port: self.port(),
            admin_user: text(&self.admin_user),
            admin_password: text(&self.admin_password),
            tls_ca_file: text(&self.tls_ca_file).map(Into::into),
        }
    }

    pub fn address(&self) -> String {
        text(&self.address).unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.port
            .as_ref_option()
            .and_then(|p| u16::try_from(*p).ok())
            .unwrap_or(3306)
    }
}
