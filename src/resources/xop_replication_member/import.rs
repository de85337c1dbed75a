//! Import of an `xop_replication_member`: the ID names the server and how to reach it; the rest
//! is read from the server (the managed my.cnf section, `SHOW SLAVE STATUS`, the replication
//! account, the firewall rules).
//!
//! ID: `<name>@<ssh_address>[:<ssh_port>]` followed by `;<attribute>=<value>` for each connection
//! setting that differs from its default, named by its attribute path (`host.my_cnf_path`,
//! `mysql.port`, `primary_host.address`, `cluster_address`, ...). Credentials are never part of an
//! ID: they come from the provider block (`username`, `private_key`, `mysql_admin_user`, ...).

use super::state::{known, HostBlock, MemberState, MysqlBlock, ROLE_PRIMARY, ROLE_SECONDARY};
use crate::devices::xop::my_cnf::OptionLine;
use crate::devices::xop::replication::validate_member_name;
use crate::resources::import_id::{ImportId, ImportNode, ImportShape};
use tf_provider::value::{Value, ValueNumber, ValueString};

/// The settings an import ID may carry.
pub const ID_SETTINGS: &[&str] = &[
    "host.username",
    "host.host_key_fingerprint",
    "host.my_cnf_path",
    "host.restart_command",
    "host.dump_command",
    "host.client_command",
    "host.iptables_command",
    "host.firewall_save_command",
    "host.sysconf_command",
    "mysql.address",
    "mysql.port",
    "mysql.tls_ca_file",
    "primary.tls_ca_file",
    "primary_host.address",
    "primary_host.port",
    "primary_host.username",
    "primary_host.host_key_fingerprint",
    "primary_host.sysconf_command",
    "cluster_address",
];

fn port(value: &str, key: &str) -> Result<ValueNumber, String> {
    crate::grammar::parse_port(value)
        .map(|p| Value::Value(i64::from(p)))
        .map_err(|e| format!("{key}: {e}"))
}

fn set_host(host: &mut HostBlock<'static>, attr: &str, value: &str) -> Result<(), String> {
    let field: &mut ValueString<'static> = match attr {
        "address" => &mut host.address,
        "port" => {
            host.port = port(value, attr)?;
            return Ok(());
        }
        "username" => &mut host.username,
        "host_key_fingerprint" => &mut host.host_key_fingerprint,
        "my_cnf_path" => &mut host.my_cnf_path,
        "restart_command" => &mut host.restart_command,
        "dump_command" => &mut host.dump_command,
        "client_command" => &mut host.client_command,
        "iptables_command" => &mut host.iptables_command,
        "firewall_save_command" => &mut host.firewall_save_command,
        "sysconf_command" => &mut host.sysconf_command,
        other => return Err(format!("import ID: host setting {other:?} is not known")),
    };
    *field = known(value);
    Ok(())
}

/// Import ID: the member's name, its SSH endpoint, and the settings that differ from defaults.
pub const IMPORT_ID: ImportShape = ImportShape {
    name: Some(validate_member_name),
    labels: None,
    min_nodes: 1,
    max_nodes: 1,
    settings: ID_SETTINGS,
    usage: "<name>@<ssh_address>[:<ssh_port>][;<setting>=<value>...]",
};

/// The import ID of the member `name` reached over SSH at `address` (and `port`).
pub fn import_id(name: &str, address: &str, port: Option<u16>) -> ImportId {
    ImportId {
        name: Some(name.to_string()),
        nodes: vec![ImportNode {
            label: None,
            address: address.to_string(),
            port,
        }],
        settings: vec![],
    }
}

/// The state an import ID describes: name, connection blocks, and nothing read yet.
pub fn state_from_import_id(parsed: ImportId) -> Result<MemberState<'static>, String> {
    let name = parsed.name.unwrap_or_default();
    let mut host = HostBlock::default();
    let mut mysql = MysqlBlock::default();
    if let Some(node) = parsed.nodes.first() {
        host.address = known(node.address.as_str());
        host.port = node
            .port
            .map(|p| Value::Value(i64::from(p)))
            .unwrap_or(Value::Null);
    }
    let mut state = MemberState {
        id: known(name.as_str()),
        name: known(name.as_str()),
        ..Default::default()
    };
    let mut primary_host = HostBlock::default();
    let mut primary_tls = None;
    for (key, value) in &parsed.settings {
        let (key, value) = (key.as_str(), value.as_str());
        match key.split_once('.') {
            Some(("host", attr)) => set_host(&mut host, attr, value)?,
            Some(("primary_host", attr)) => set_host(&mut primary_host, attr, value)?,
            Some(("mysql", "address")) => mysql.address = known(value),
            Some(("mysql", "port")) => mysql.port = port(value, key)?,
            Some(("mysql", "tls_ca_file")) => mysql.tls_ca_file = known(value),
            Some(("primary", "tls_ca_file")) => primary_tls = Some(known(value)),
            _ => state.cluster_address = known(value),
        }
    }
    state.host = Value::Value(host);
    state.mysql = Value::Value(mysql);
    if primary_host != HostBlock::default() {
        if primary_host.address.is_null() {
            return Err("import ID: primary_host settings need primary_host.address".into());
        }
        state.primary_host = Value::Value(primary_host);
    }
    if let Some(tls) = primary_tls {
        // Kept until the role is known; only a secondary has a primary block.
        state.primary = Value::Value(MysqlBlock {
            tls_ca_file: tls,
            ..Default::default()
        });
    }
    Ok(state)
}

/// The configuration the managed section stands for (the inverse of
/// [`MemberState::managed_options`]); settings the section does not hold for this role keep
/// their defaults.
pub fn apply_section(
    state: &mut MemberState<'static>,
    options: &[OptionLine],
) -> Result<(), String> {
    let values = |key: &str| -> Vec<ValueString<'static>> {
        options
            .iter()
            .filter(|o| o.key == key)
            .filter_map(|o| o.value.clone().map(known))
            .collect()
    };
    let one = |key: &str| {
        options
            .iter()
            .find(|o| o.key == key)
            .and_then(|o| o.value.clone())
    };
    let number = |key: &str| -> Result<ValueNumber, String> {
        one(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| format!("{key}={v} is not a number"))
            })
            .transpose()
            .map(|n| n.map(Value::Value).unwrap_or(Value::Null))
    };
    let primary = one("log-bin").is_some();
    state.role = known(if primary {
        ROLE_PRIMARY
    } else {
        ROLE_SECONDARY
    });
    state.server_id = number("server-id")?;
    state.auto_increment_offset = number("auto_increment_offset")?;
    state.cluster_size = number("auto_increment_increment")?;
    if state.server_id.is_null() || state.cluster_size.is_null() {
        return Err("the managed section has no server-id or auto_increment_increment".into());
    }
    if primary {
        state.log_bin = one("log-bin").map(known).unwrap_or(Value::Null);
        state.replicated_databases = Value::Value(values("binlog-do-db"));
        state.ignored_databases = Value::Value(values("binlog-ignore-db"));
        state.expire_logs_days = number("expire_logs_days")?;
        state.max_binlog_size = one("max_binlog_size").map(known).unwrap_or(Value::Null);
        state.sync_binlog = number("sync_binlog")?;
        state.innodb_flush_log_at_trx_commit = number("innodb_flush_log_at_trx_commit")?;
    } else {
        state.replicated_databases = Value::Value(values("replicate-do-db"));
        state.ignored_databases = Value::Value(values("replicate-ignore-db"));
        state.ignored_tables = Value::Value(values("replicate-ignore-table"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_import_id(id: &str) -> Result<MemberState<'static>, String> {
        IMPORT_ID.parse(id).and_then(state_from_import_id)
    }
    use crate::resources::values::text;

    #[test]
    fn ids_name_the_server_and_its_connection_settings() {
        let s = parse_import_id(
            "xop2@10.0.0.2:2222;host.my_cnf_path=/srv/xop2/etc/my.cnf;mysql.port=3307;primary_host.address=10.0.0.1;primary_host.sysconf_command=/usr/sbin/sysconf;cluster_address=10.0.0.2",
        )
        .unwrap();
        assert_eq!(text(&s.name).as_deref(), Some("xop2"));
        let host = s.host.as_ref_option().unwrap();
        assert_eq!(text(&host.address).as_deref(), Some("10.0.0.2"));
        assert_eq!(host.port, Value::Value(2222));
        assert_eq!(
            text(&host.my_cnf_path).as_deref(),
            Some("/srv/xop2/etc/my.cnf")
        );
        assert_eq!(s.mysql.as_ref_option().unwrap().port, Value::Value(3307));
        let ph = s.primary_host.as_ref_option().unwrap();
        assert_eq!(text(&ph.address).as_deref(), Some("10.0.0.1"));
        assert_eq!(
            text(&ph.sysconf_command).as_deref(),
            Some("/usr/sbin/sysconf")
        );
        assert_eq!(text(&s.cluster_address).as_deref(), Some("10.0.0.2"));
        let plain = parse_import_id("xop1@xop1.example").unwrap();
        assert_eq!(plain.host.as_ref_option().unwrap().port, Value::Null);
        assert!(plain.primary_host.is_null());
    }

    #[test]
    fn bad_ids_say_what_is_wrong() {
        for (id, says) in [
            ("xop1", "expected <name>@<ssh_address>"),
            ("xop1@", "expected <name>@<ssh_address>"),
            ("xop 1@h", "name must contain only"),
            ("xop1@h:99999", "invalid port"),
            (
                "xop1@h;host.password=x",
                "passwords come from the provider block",
            ),
            ("xop1@h;mysql.port", "is not <setting>=<value>"),
            (
                "xop1@h;primary_host.sysconf_command=s",
                "need primary_host.address",
            ),
        ] {
            let e = parse_import_id(id).unwrap_err();
            assert!(e.contains(says), "{id}: {e}");
        }
    }

    #[test]
    fn the_section_gives_back_the_settings() {
        let mut primary = MemberState {
            role: known(ROLE_PRIMARY),
            server_id: Value::Value(1),
            cluster_size: Value::Value(3),
            ..Default::default()
        }
        .with_defaults();
        let options = primary.managed_options();
        let mut read = MemberState::default();
        apply_section(&mut read, &options).unwrap();
        let read = read.with_defaults();
        primary.auto_increment_offset = Value::Value(1);
        assert_eq!(read.managed_options(), options);
        assert_eq!(read.role, primary.role);
        assert_eq!(read.log_bin, primary.log_bin);

        let secondary = MemberState {
            name: known("xop2"),
            role: known(ROLE_SECONDARY),
            server_id: Value::Value(2),
            cluster_size: Value::Value(3),
            ignored_databases: Value::Value(vec![]),
            ..Default::default()
        }
        .with_defaults();
        let mut read = MemberState {
            name: known("xop2"),
            ..Default::default()
        };
        apply_section(&mut read, &secondary.managed_options()).unwrap();
        let read = read.with_defaults();
        assert_eq!(read.ignored_databases, Value::Value(vec![]));
        assert_eq!(read.ignored_tables, secondary.ignored_tables);
        assert_eq!(read.managed_options(), secondary.managed_options());

        let e = apply_section(
            &mut MemberState::default(),
            &[OptionLine::new("server-id", "x")],
        )
        .unwrap_err();
        assert!(e.contains("server-id=x is not a number"), "{e}");
    }
}
