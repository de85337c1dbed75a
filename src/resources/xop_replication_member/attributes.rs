//! The declaration of every `xop_replication_member` attribute: type, description, default,
//! grammar, sensitivity and replacement, once. The schema, the docs, the plan's defaults and the
//! per-attribute checks all come from [`SPEC`]; relations between attributes stay in the
//! resource's `validate`.

use super::state::SEED_IGNORED_TABLES;
use crate::devices::xop::firewall::check_peer;
use crate::devices::xop::option_values::{
    check_binlog_base_name, check_binlog_size, check_database_name, check_table_name,
    AUTO_INCREMENT, AUTO_INCREMENT_OFFSET, EXPIRE_LOGS_DAYS, INNODB_FLUSH_LOG_AT_TRX_COMMIT,
    SERVER_ID, SYNC_BINLOG,
};
use crate::devices::xop::replication::{validate_member_name, validate_user_name};
use crate::grammar::{check_absolute_path, check_command_line, check_host, check_no_control};
use crate::resources::node_checks::{ADDRESS, FINGERPRINT, USERNAME};
use crate::resources::spec::{
    attr, text, Attr, BlockSpec, Check, DefaultValue, Nesting, Presence, Spec, Type,
};
use crate::timeouts::Operation;
use std::time::Duration;

fn member_name(s: &str) -> Result<(), String> {
    validate_member_name(s).map_err(|e| format!("name {e} (it is the replica's report-host)"))
}

fn user_name(s: &str) -> Result<(), String> {
    validate_user_name(s).map_err(|e| format!("user name {s:?} {e}"))
}

fn optional_command(s: &str) -> Result<(), String> {
    // `firewall_save_command = ""` says: leave the rules unsaved.
    match s.is_empty() {
        true => Ok(()),
        false => check_command_line(s),
    }
}

pub const SPEC: Spec = Spec {
    description: "One XOP Networks server's membership in the MySQL replication set that makes XOP HA: my.cnf options, the replication account, CHANGE MASTER / START SLAVE, kept in sync.",
    attrs: MEMBER,
    blocks: &[
        BlockSpec {
            name: "host",
            nesting: Nesting::Single,
            blocks: &[],
            description: "How to reach the server's shell: my.cnf is edited and MySQL restarted over SSH.",
            attrs: HOST,
        },
        BlockSpec {
            name: "primary_host",
            nesting: Nesting::Optional,
            blocks: &[],
            description: "Secondary only: how to reach the primary's shell, for the seed's network-change step that runs there (`sysconf member`) when `cluster_address` changes. Only the connection settings and `sysconf_command` are used.",
            attrs: HOST,
        },
        BlockSpec {
            name: "mysql",
            nesting: Nesting::Single,
            blocks: &[],
            description: "The server's own MySQL/MariaDB.",
            attrs: MYSQL,
        },
        BlockSpec {
            name: "primary",
            nesting: Nesting::Optional,
            blocks: &[],
            description: "Secondary only: the primary's MySQL, as the secondary reaches it (`MASTER_HOST`).",
            attrs: MYSQL,
        },
    ],
    timeouts: &[
        (Operation::Create, Duration::from_secs(600)),
        (Operation::Read, Duration::from_secs(120)),
        (Operation::Update, Duration::from_secs(600)),
        (Operation::Delete, Duration::from_secs(300)),
    ],
};

const MEMBER: &[Attr] = &[
    attr("id", Type::Text, Presence::Computed, "The member's name."),
    attr("name", Type::Text, Presence::Required, "Name of the server in this configuration. Changing it replaces the member.").replaces().check(text(member_name)),
    attr("role", Type::Text, Presence::Required, "`primary` or `secondary`. Changing it replaces the member.").replaces(),
    attr("server_id", Type::Number, Presence::Required, "MySQL `server-id`, unique in the replication set (1..N); 1 to 4294967295.").check(Check::Number(&SERVER_ID)),
    attr("cluster_size", Type::Number, Presence::Required, "Number of servers in the set: `auto_increment_increment`, 1 to 65535.").check(Check::Number(&AUTO_INCREMENT)),
    attr("auto_increment_offset", Type::Number, Presence::Defaulted(DefaultValue::ByResource), "`auto_increment_offset`; default `server_id`; at most `cluster_size`.").check(Check::Number(&AUTO_INCREMENT_OFFSET)),
    attr("replicated_databases", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["xopdb"])), "Databases replicated (`binlog-do-db` / `replicate-do-db`): unquoted identifiers (1 to 64 letters, digits, `_`, `$`). Default `[\"xopdb\"]`.").check(text(check_database_name)),
    attr("ignored_databases", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&["xopdb_local"])), "Databases kept local (`binlog-ignore-db` / `replicate-ignore-db`), written like `replicated_databases`. Default `[\"xopdb_local\"]`.").check(text(check_database_name)),
    attr("ignored_tables", Type::TextList, Presence::Defaulted(DefaultValue::TextList(&SEED_IGNORED_TABLES)), "Tables a secondary does not replicate (`replicate-ignore-table`), each `<database>.<table>`. Default: the seed's per-server tables of xopdb.").check(text(check_table_name)),
    attr("log_bin", Type::Text, Presence::Defaulted(DefaultValue::Text("mysql-bin")), "Binary log base name (or path) on the primary: letters, digits, `_`, `-`, `.`, `/`. Default `mysql-bin`.").check(text(check_binlog_base_name)),
    attr("expire_logs_days", Type::Number, Presence::Defaulted(DefaultValue::Number(14)), "Binary log retention on the primary, 0 (keep) to 99 days. Default `14`.").check(Check::Number(&EXPIRE_LOGS_DAYS)),
    attr("max_binlog_size", Type::Text, Presence::Defaulted(DefaultValue::Text("500M")), "Binary log file size on the primary: digits with an optional `K`, `M` or `G`, from 4096 bytes to `1G`. Default `500M`.").check(text(check_binlog_size)),
    attr("sync_binlog", Type::Number, Presence::Defaulted(DefaultValue::Number(1)), "`sync_binlog` on the primary, 0 to 4294967295. Default `1`.").check(Check::Number(&SYNC_BINLOG)),
    attr("innodb_flush_log_at_trx_commit", Type::Number, Presence::Defaulted(DefaultValue::Number(1)), "`innodb_flush_log_at_trx_commit` on the primary: 0, 1, 2 or 3. Default `1`.").check(Check::Number(&INNODB_FLUSH_LOG_AT_TRX_COMMIT)),
    attr("replication_user", Type::Text, Presence::Defaulted(DefaultValue::Text("repl")), "Account the secondaries replicate with: 1 to 80 letters, digits, `_`, `-`, `.`. Default `repl`.").check(text(user_name)),
    attr("replication_password", Type::Text, Presence::Optional, "Password of the replication account. Required on a secondary, which sets it in CHANGE MASTER and keeps the account on its primary. Optional on a primary: when set, the primary keeps the account too (before any secondary exists). MySQL keeps only a hash, so importing a primary cannot read it back.").sensitive(),
    attr("replication_enabled", Type::Bool, Presence::Defaulted(DefaultValue::Bool(true)), "Secondary: `false` stops replication (the seed's step before an upgrade); `true` starts it and waits until it is in sync. Default `true`."),
    attr("my_cnf_section", Type::Text, Presence::Computed, "The managed section of my.cnf as the server has it."),
    attr("io_running", Type::Text, Presence::Computed, "Secondary: `Slave_IO_Running` (`Yes`, `No`, `Connecting`)."),
    attr("sql_running", Type::Text, Presence::Computed, "Secondary: `Slave_SQL_Running`."),
    attr("seconds_behind", Type::Number, Presence::Computed, "Secondary: `Seconds_Behind_Master` (null while broken)."),
    attr("master_log_file", Type::Text, Presence::Computed, "Secondary: binlog file read from the primary; primary: its current binlog file."),
    attr("master_log_pos", Type::Number, Presence::Computed, "Position in `master_log_file`."),
    attr("last_error", Type::Text, Presence::Computed, "The replica's last IO or SQL error, in the server's words."),
    attr("resync_trigger", Type::Text, Presence::Optional, "Secondary: any change runs the seed's resync: replication stopped, the replicated databases dumped from the primary with its binlog coordinates (the ignored, per-server tables are left alone) and loaded here, replication started and verified."),
    attr("firewall_allow", Type::TextSet, Presence::Optional, "IPv4 addresses (or networks `a.b.c.d/n` with no host bits set) allowed to reach this server's MySQL port: one iptables INPUT rule each (`-p tcp -s <peer> --dport <port> -j ACCEPT`), saved with `host.firewall_save_command`. Rules for peers removed from the set are deleted. The seed opens 3306 to the other members only.").check(text(check_peer)),
    attr("replication_tls_ca_path", Type::Text, Presence::Optional, "Secondary: encrypt the replication stream. The path, on this server, of the CA bundle that verifies the primary's certificate (which must name the `primary` address): CHANGE MASTER gets `MASTER_SSL=1`, `MASTER_SSL_CA` and `MASTER_SSL_VERIFY_SERVER_CERT=1`. The primary needs TLS configured (`ssl-cert`/`ssl-key`). Unset: the seed's plain connection (`MASTER_SSL=0`). Switching keeps the replica's place.").check(text(check_absolute_path)),
    attr("adopt_existing", Type::Bool, Presence::Optional, "Create only: take over a server already set up outside this resource, e.g. by hand with the seed's procedure. Without it, creating on such a server fails and says what was found. With it, the hand-written replication lines of my.cnf are commented out (`# uccluster: now in the managed section: ...`) in favour of the managed section, and a running replica is kept where it is. Set `log_bin` to the server's existing binlog base name to keep its file names."),
    attr("gtid", Type::Text, Presence::Defaulted(DefaultValue::Text("auto")), "Secondary: replicate by MariaDB GTID (`MASTER_USE_GTID=slave_pos`) instead of the seed's binlog file and position. `auto` (default): when both servers are MariaDB 10.0 or later; `on`: insist (an error names the server without it); `off`: never. Switching keeps the replica's place: the GTID position is computed from what it executed."),
    attr("using_gtid", Type::Bool, Presence::Computed, "Secondary: whether the replica follows the primary by GTID (`Using_Gtid`)."),
    attr("replication_account", Type::Text, Presence::Computed, "Primary with `replication_password`: whether the replication account exists with its REPLICATION SLAVE grant (`present`, or `missing` when dropped by hand: the plan shows it and the apply creates it again). Null elsewhere."),
    attr("cluster_address", Type::Text, Presence::Optional, "Secondary: this server's IPv4 address on the cluster network, as the primary's HA configuration knows it. Changing it (after the server was re-addressed at its console, seed steps 4-6) runs the seed's steps on the primary over `primary_host`: `sysconf delhost <old>`, `sysconf addhost <new> <hostname>`, `sysconf member <new> <old>`."),
];

const HOST: &[Attr] = &[
    attr("address", Type::Text, Presence::Required, "SSH address of the XOP server.").check(ADDRESS),
    attr("port", Type::Number, Presence::Optional, "SSH port, 1 to 65535. Default: the provider's `port`.").check(Check::Port),
    attr("username", Type::Text, Presence::Optional, "SSH user (root on XOP appliances; letters, digits, `_`, `.`, `-`, `@`). Default: the provider's `username`.").check(USERNAME),
    attr("password", Type::Text, Presence::Optional, "SSH password. Default: the provider's credentials.").sensitive(),
    attr("host_key_fingerprint", Type::Text, Presence::Optional, "Pinned SHA256 fingerprint of the server's SSH host key.").check(FINGERPRINT),
    attr("my_cnf_path", Type::Text, Presence::Defaulted(DefaultValue::Text("/etc/my.cnf")), "The server's MySQL options file, an absolute path. Default `/etc/my.cnf`.").check(text(check_absolute_path)),
    attr("restart_command", Type::Text, Presence::Defaulted(DefaultValue::Text("service mysqld restart")), "Command that restarts MySQL and returns when it is up (one line). Default `service mysqld restart`.").check(text(check_command_line)),
    attr("dump_command", Type::Text, Presence::Defaulted(DefaultValue::Text("mysqldump")), "The dump tool used by a resync, run on this server. Default `mysqldump`.").check(text(check_command_line)),
    attr("client_command", Type::Text, Presence::Defaulted(DefaultValue::Text("mysql")), "The SQL client that loads a resync dump, run on this server. Default `mysql`.").check(text(check_command_line)),
    attr("iptables_command", Type::Text, Presence::Defaulted(DefaultValue::Text("iptables")), "The firewall tool used for `firewall_allow`. Default `iptables`.").check(text(check_command_line)),
    attr("firewall_save_command", Type::Text, Presence::Defaulted(DefaultValue::Text("service iptables save")), "Makes the running firewall rules survive a reboot; run after `firewall_allow` changed them. Default `service iptables save` (writes /etc/sysconfig/iptables); `\"\"` leaves the rules unsaved.").check(text(optional_command)),
    attr("sysconf_command", Type::Text, Presence::Defaulted(DefaultValue::Text("sysconf")), "XOP's `sysconf` tool, used for the network-change steps. Default `sysconf`.").check(text(check_command_line)),
];

const MYSQL: &[Attr] = &[
    attr("address", Type::Text, Presence::Defaulted(DefaultValue::ByResource), "MySQL/MariaDB address. Default: the host's address (for `mysql`).").check(text(check_host)),
    attr("port", Type::Number, Presence::Defaulted(DefaultValue::Number(3306)), "MySQL/MariaDB port, 1 to 65535. Default `3306`.").check(Check::Port),
    attr("admin_user", Type::Text, Presence::Optional, "Administrative account (needs SUPER or REPLICATION ADMIN, and CREATE USER). Default: the provider's `mysql_admin_user`.").check(text(user_name)),
    attr("admin_password", Type::Text, Presence::Optional, "Password of `admin_user`. Default: the provider's `mysql_admin_password` (when `admin_user` is not set here).").sensitive(),
    attr("tls_ca_file", Type::Text, Presence::Optional, "CA bundle (PEM, on the machine running Terraform) to verify the server's TLS certificate; set it to connect over TLS. Only this CA is trusted, and a certificate it does not vouch for is an error, never retried. It protects uccluster's own SQL connections; the replication stream between the servers is encrypted with `replication_tls_ca_path`.").check(text(check_no_control)),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::spec::{assert_declares, names_of};
    use crate::resources::xop_replication_member::state::{HostBlock, MemberState, MysqlBlock};

    #[test]
    fn the_table_names_exactly_the_state_fields() {
        assert_declares(&SPEC.names(), &["timeouts"], &MemberState::default());
        assert_declares(&names_of(HOST), &[], &HostBlock::default());
        assert_declares(&names_of(MYSQL), &[], &MysqlBlock::default());
    }
}
