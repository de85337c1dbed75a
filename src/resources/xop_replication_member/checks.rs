//! Plan-time checks of every `xop_replication_member` attribute that reaches the server: each
//! attribute is declared once here with the grammar the server accepts for it, and reported at
//! its own path before anything is touched. Relations between attributes (role, offsets, the
//! primary block) are checked in the resource's `validate`.

use super::state::{HostBlock, MemberState, MysqlBlock};
use crate::devices::xop::firewall::check_peer;
use crate::devices::xop::option_values::{
    check_binlog_base_name, check_binlog_size, check_database_name, check_table_name, NumberRange,
    AUTO_INCREMENT, AUTO_INCREMENT_OFFSET, EXPIRE_LOGS_DAYS, INNODB_FLUSH_LOG_AT_TRX_COMMIT,
    SERVER_ID, SYNC_BINLOG,
};
use crate::devices::xop::replication::{validate_member_name, validate_user_name};
use crate::grammar::{check_absolute_path, check_command_line, check_no_control, check_port};
use crate::resources::node_checks::{validate_node_connection, NodeConnectionConfig};
use tf_provider::value::{Value, ValueList, ValueNumber, ValueString};
use tf_provider::{AttributePath, Diagnostics};

type TextCheck = fn(&str) -> Result<(), String>;

fn check_text(
    diags: &mut Diagnostics,
    path: AttributePath,
    value: &ValueString<'_>,
    check: TextCheck,
) {
    if let Value::Value(v) = value {
        if let Err(e) = check(v) {
            diags.error("Invalid value", e, path);
        }
    }
}

fn check_number(
    diags: &mut Diagnostics,
    name: &'static str,
    value: &ValueNumber,
    range: &NumberRange,
) {
    if let Value::Value(n) = value {
        if let Err(e) = range.check(*n) {
            diags.error(
                "Value out of range",
                format!("{name}: {e}"),
                AttributePath::new(name),
            );
        }
    }
}

/// Each element of a list, reported at `name[i]`; a set (no index) at `name`.
fn check_list(
    diags: &mut Diagnostics,
    name: &'static str,
    value: &ValueList<ValueString<'_>>,
    indexed: bool,
    check: TextCheck,
) {
    for (i, item) in value.as_ref_option().into_iter().flatten().enumerate() {
        let path = match indexed {
            true => AttributePath::new(name).index(i as i64),
            false => AttributePath::new(name),
        };
        check_text(diags, path, item, check);
    }
}

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

fn host_address(s: &str) -> Result<(), String> {
    crate::grammar::check_host(s)
}

/// `base`: `host` (a single block) or `primary_host[0]` (an optional one, a list to Terraform).
fn check_host(diags: &mut Diagnostics, base: AttributePath, host: &HostBlock<'_>) {
    let at = |attr: &'static str| base.clone().attribute(attr);
    validate_node_connection(
        NodeConnectionConfig {
            address: ("address", host.address.as_ref_option().map(|a| a.as_ref())),
            port: ("port", host.port.as_ref_option().copied()),
            username: host.username.as_ref_option().map(|u| u.as_ref()),
            host_key_fingerprint: host
                .host_key_fingerprint
                .as_ref_option()
                .map(|f| f.as_ref()),
        },
        &base,
        diags,
    );
    check_text(
        diags,
        at("my_cnf_path"),
        &host.my_cnf_path,
        check_absolute_path,
    );
    for (attr, value, check) in [
        (
            "restart_command",
            &host.restart_command,
            check_command_line as TextCheck,
        ),
        ("dump_command", &host.dump_command, check_command_line),
        ("client_command", &host.client_command, check_command_line),
        (
            "iptables_command",
            &host.iptables_command,
            check_command_line,
        ),
        ("sysconf_command", &host.sysconf_command, check_command_line),
        (
            "firewall_save_command",
            &host.firewall_save_command,
            optional_command,
        ),
    ] {
        check_text(diags, at(attr), value, check);
    }
}

fn check_mysql(diags: &mut Diagnostics, base: &AttributePath, mysql: &MysqlBlock<'_>) {
    let at = |attr: &'static str| base.clone().attribute(attr);
    check_text(diags, at("address"), &mysql.address, host_address);
    if let Value::Value(p) = mysql.port {
        if let Err(e) = check_port(p) {
            diags.error("Invalid port", e, at("port"));
        }
    }
    check_text(diags, at("admin_user"), &mysql.admin_user, user_name);
    check_text(
        diags,
        at("tls_ca_file"),
        &mysql.tls_ca_file,
        check_no_control,
    );
}

/// Every attribute's own grammar, reported at its path.
pub fn check_attributes(config: &MemberState<'_>, diags: &mut Diagnostics) {
    check_text(diags, AttributePath::new("name"), &config.name, member_name);
    check_text(
        diags,
        AttributePath::new("replication_user"),
        &config.replication_user,
        user_name,
    );
    check_number(diags, "server_id", &config.server_id, &SERVER_ID);
    check_number(diags, "cluster_size", &config.cluster_size, &AUTO_INCREMENT);
    check_number(
        diags,
        "auto_increment_offset",
        &config.auto_increment_offset,
        &AUTO_INCREMENT_OFFSET,
    );
    check_number(
        diags,
        "expire_logs_days",
        &config.expire_logs_days,
        &EXPIRE_LOGS_DAYS,
    );
    check_number(diags, "sync_binlog", &config.sync_binlog, &SYNC_BINLOG);
    check_number(
        diags,
        "innodb_flush_log_at_trx_commit",
        &config.innodb_flush_log_at_trx_commit,
        &INNODB_FLUSH_LOG_AT_TRX_COMMIT,
    );
    check_list(
        diags,
        "replicated_databases",
        &config.replicated_databases,
        true,
        check_database_name,
    );
    check_list(
        diags,
        "ignored_databases",
        &config.ignored_databases,
        true,
        check_database_name,
    );
    check_list(
        diags,
        "ignored_tables",
        &config.ignored_tables,
        true,
        check_table_name,
    );
    check_list(
        diags,
        "firewall_allow",
        &config.firewall_allow,
        false,
        check_peer,
    );
    check_text(
        diags,
        AttributePath::new("log_bin"),
        &config.log_bin,
        check_binlog_base_name,
    );
    check_text(
        diags,
        AttributePath::new("max_binlog_size"),
        &config.max_binlog_size,
        check_binlog_size,
    );
    check_text(
        diags,
        AttributePath::new("replication_tls_ca_path"),
        &config.replication_tls_ca_path,
        check_absolute_path,
    );
    if let Value::Value(host) = &config.host {
        check_host(diags, AttributePath::new("host"), host);
    }
    if let Value::Value(host) = &config.primary_host {
        check_host(diags, AttributePath::new("primary_host").index(0), host);
    }
    if let Value::Value(mysql) = &config.mysql {
        check_mysql(diags, &AttributePath::new("mysql"), mysql);
    }
    if let Value::Value(primary) = &config.primary {
        let base = AttributePath::new("primary").index(0);
        check_mysql(diags, &base, primary);
        if primary.address.is_null() {
            diags.error(
                "Missing primary address",
                "primary.address: a secondary needs the address of its primary's MySQL",
                base.attribute("address"),
            );
        }
    }
}
