//! SQL for the replication steps of the XOP HA procedure, and the replication status parsed.
//!
//! `SHOW SLAVE STATUS` is read by column name (MariaDB 10.x keeps the `Slave_*` names even where
//! MySQL 8 renamed them); the text protocol returns every value as text or NULL, so a row is a
//! map of column name to optional text.

/// Rows as the MySQL transport returns them (column name → optional text).
pub use crate::transport::mysql::Row;

pub const SHOW_SLAVE_STATUS: &str = "SHOW SLAVE STATUS";
pub const SHOW_MASTER_STATUS: &str = "SHOW MASTER STATUS";
pub const START_SLAVE: &str = "START SLAVE";
pub const STOP_SLAVE: &str = "STOP SLAVE";
pub const RESET_SLAVE_ALL: &str = "RESET SLAVE ALL";
pub const SELECT_ONE: &str = "SELECT 1";
pub const SHOW_BINARY_LOGS: &str = "SHOW BINARY LOGS";
pub const SHOW_SLAVE_HOSTS: &str = "SHOW SLAVE HOSTS";
pub const FLUSH_BINARY_LOGS: &str = "FLUSH BINARY LOGS";
/// Where the replica keeps its connection settings (`master.info`): columns `d` and `f`.
pub const MASTER_INFO_LOCATION: &str = "SELECT @@datadir AS d, @@master_info_file AS f";
/// The same on MySQL, which has no `master_info_file` variable: the file's default name.
pub const MASTER_INFO_DEFAULT_LOCATION: &str = "SELECT @@datadir AS d, 'master.info' AS f";
/// The accounts that can replicate but are not administrators: column `u`.
pub const REPLICATION_ACCOUNTS: &str =
    "SELECT DISTINCT User AS u FROM mysql.user WHERE Repl_slave_priv = 'Y' AND Super_priv = 'N'";

/// The server variables uccluster reads; a fixed set, so no name can carry other SQL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerVariable {
    Hostname,
    ServerId,
    Version,
}

/// `SELECT @@<variable> AS v`.
pub fn variable_sql(variable: ServerVariable) -> &'static str {
    match variable {
        ServerVariable::Hostname => "SELECT @@hostname AS v",
        ServerVariable::ServerId => "SELECT @@server_id AS v",
        ServerVariable::Version => "SELECT @@version AS v",
    }
}

/// A new replication password on a configured replica.
pub fn change_master_password_sql(password: &str) -> String {
    format!("CHANGE MASTER TO MASTER_PASSWORD={}", quote(password))
}

/// One row, `n`: the binlog dump threads (connected replicas) of `user`.
pub fn binlog_dump_threads_sql(user: &str) -> String {
    format!(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = {} AND COMMAND LIKE 'Binlog Dump%'",
        quote(user)
    )
}

/// Replica thread state as the server reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadState {
    Yes,
    No,
    Connecting,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlaveStatus {
    pub master_host: String,
    pub master_port: u16,
    pub master_user: String,
    pub io_running: ThreadState,
    pub sql_running: ThreadState,
    pub seconds_behind: Option<i64>,
    pub master_log_file: String,
    pub read_master_log_pos: u64,
    pub last_io_error: String,
    pub last_sql_error: String,
    /// `Last_IO_Errno`: 1236 means the primary no longer has what the replica asks for.
    pub last_io_errno: u32,
    /// Where the SQL thread has executed up to, in the primary's binlog: where replication
    /// continues from when only the way to reach the primary changes.
    pub executed: MasterStatus,
    /// `Master_Server_Id` (MySQL/MariaDB 5.5+; `None` on older servers, `Some(0)` before the
    /// replica first connected).
    pub master_server_id: Option<u64>,
    /// MariaDB `Using_Gtid` other than `No` (the column does not exist on MySQL).
    pub using_gtid: bool,
    /// `Master_SSL_CA_File` while `Master_SSL_Allowed` is `Yes`: the replication stream is
    /// encrypted and the primary's certificate checked against that file.
    pub tls_ca_file: Option<String>,
}

impl SlaveStatus {
    /// Both threads running.
    pub fn running(&self) -> bool {
        self.io_running == ThreadState::Yes && self.sql_running == ThreadState::Yes
    }

    /// The most relevant error text, if any.
    pub fn last_error(&self) -> Option<String> {
        [&self.last_sql_error, &self.last_io_error]
            .into_iter()
            .find(|e| !e.is_empty())
            .cloned()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterStatus {
    pub file: String,
    pub position: u64,
}

fn field<'r>(row: &'r Row, name: &str) -> Result<Option<&'r str>, String> {
    row.get(name)
        .map(|v| v.as_deref())
        .ok_or_else(|| format!("no column {name} in the status"))
}

fn thread_state(value: Option<&str>) -> Result<ThreadState, String> {
    match value {
        Some("Yes") => Ok(ThreadState::Yes),
        Some("No") | None => Ok(ThreadState::No),
        Some("Connecting") | Some("Preparing") => Ok(ThreadState::Connecting),
        Some(other) => Err(format!("unknown replica thread state {other:?}")),
    }
}

fn number<T: std::str::FromStr>(value: Option<&str>, name: &str) -> Result<T, String> {
    value
        .unwrap_or("0")
        .parse()
        .map_err(|_| format!("{name} is not a number: {value:?}"))
}

/// `SHOW SLAVE STATUS`: `None` when the server is not a replica (no row).
pub fn parse_slave_status(rows: &[Row]) -> Result<Option<SlaveStatus>, String> {
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let text = |name: &str| field(row, name).map(|v| v.unwrap_or_default().to_string());
    Ok(Some(SlaveStatus {
        master_host: text("Master_Host")?,
        master_port: number(field(row, "Master_Port")?, "Master_Port")?,
        master_user: text("Master_User")?,
        io_running: thread_state(field(row, "Slave_IO_Running")?)?,
        sql_running: thread_state(field(row, "Slave_SQL_Running")?)?,
        seconds_behind: field(row, "Seconds_Behind_Master")?
            .map(|v| number(Some(v), "Seconds_Behind_Master"))
            .transpose()?,
        master_log_file: text("Master_Log_File")?,
        read_master_log_pos: number(field(row, "Read_Master_Log_Pos")?, "Read_Master_Log_Pos")?,
        last_io_error: text("Last_IO_Error")?,
        last_sql_error: text("Last_SQL_Error")?,
        last_io_errno: number(field(row, "Last_IO_Errno")?, "Last_IO_Errno")?,
        executed: MasterStatus {
            file: text("Relay_Master_Log_File")?,
            position: number(field(row, "Exec_Master_Log_Pos")?, "Exec_Master_Log_Pos")?,
        },
        master_server_id: row
            .get("Master_Server_Id")
            .map(|v| number(v.as_deref(), "Master_Server_Id"))
            .transpose()?,
        using_gtid: row
            .get("Using_Gtid")
            .and_then(|v| v.as_deref())
            .is_some_and(|v| v != "No"),
        tls_ca_file: match row.get("Master_SSL_Allowed").and_then(|v| v.as_deref()) {
            Some("Yes") => Some(text("Master_SSL_CA_File")?),
            _ => None,
        },
    }))
}

/// Binlog error a replica cannot get past by retrying: the primary purged (or never had) the
/// file and position asked for.
pub const ER_MASTER_FATAL_ERROR_READING_BINLOG: u32 = 1236;

/// `SHOW BINARY LOGS`: the primary's binlog file names.
pub fn parse_binary_logs(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.get("Log_name").cloned().flatten())
        .collect()
}

/// `SHOW SLAVE HOSTS`: `(Server_id, Host)` of each registered replica (Host is its `report-host`).
pub fn parse_slave_hosts(rows: &[Row]) -> Result<Vec<(u64, String)>, String> {
    rows.iter()
        .map(|r| {
            Ok((
                number(field(r, "Server_id")?, "Server_id")?,
                field(r, "Host")?.unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// `SHOW MASTER STATUS`: `None` when binary logging is off.
pub fn parse_master_status(rows: &[Row]) -> Result<Option<MasterStatus>, String> {
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(MasterStatus {
        file: field(row, "File")?.unwrap_or_default().to_string(),
        position: number(field(row, "Position")?, "Position")?,
    }))
}

/// The password line of a `master.info` file (line 1 counts the lines; then log file, position,
/// host, user, password).
pub fn parse_master_info_password(info: &str) -> Option<String> {
    let lines: Vec<&str> = info.lines().collect();
    lines.first()?.trim().parse::<u32>().ok()?;
    lines
        .get(5)
        .map(|p| p.to_string())
        .filter(|p| !p.is_empty())
}

/// A string literal for SQL: quotes and backslashes escaped.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Account names the procedure uses: letters, digits, `_`, `-`, `.`; at most 80 characters.
pub fn validate_user_name(name: &str) -> Result<(), String> {
    validate_word(name, 80)
}

/// A member name, written as the replica's `report-host` (at most 60 characters there).
pub fn validate_member_name(name: &str) -> Result<(), String> {
    validate_word(name, 60)
}

fn validate_word(name: &str, max: usize) -> Result<(), String> {
    crate::grammar::check_word(name, max)
}

pub fn create_user_sql(user: &str, host: &str, password: &str) -> String {
    format!(
        "CREATE USER IF NOT EXISTS {}@{} IDENTIFIED BY {}",
        quote(user),
        quote(host),
        quote(password)
    )
}

pub fn set_password_sql(user: &str, host: &str, password: &str) -> String {
    format!(
        "ALTER USER {}@{} IDENTIFIED BY {}",
        quote(user),
        quote(host),
        quote(password)
    )
}

pub fn grant_replication_sql(user: &str, host: &str) -> String {
    format!(
        "GRANT REPLICATION SLAVE ON *.* TO {}@{}",
        quote(user),
        quote(host)
    )
}

/// One row, `n`: how many `user`@`host` accounts hold REPLICATION SLAVE (0 when the account is
/// gone or lost the grant).
pub fn replication_account_sql(user: &str, host: &str) -> String {
    format!(
        "SELECT COUNT(*) AS n FROM mysql.user WHERE User = {} AND Host = {} AND Repl_slave_priv = 'Y'",
        quote(user),
        quote(host)
    )
}

pub fn drop_user_sql(user: &str, host: &str) -> String {
    format!("DROP USER IF EXISTS {}@{}", quote(user), quote(host))
}

/// Where a replica starts reading the primary's binlog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicationStart {
    /// The seed's file and position.
    Position(MasterStatus),
    /// MariaDB GTID: from the replica's `gtid_slave_pos`.
    Gtid,
}

/// The seed's CHANGE MASTER TO, from binlog coordinates or (MariaDB) the replica's GTID position;
/// with `tls_ca_file` (a path on the replica) the stream is encrypted and the primary's
/// certificate verified, without it TLS is switched off explicitly (CHANGE MASTER keeps what it
/// is not told).
pub fn change_master_sql(
    host: &str,
    port: u16,
    user: &str,
    password: &str,
    start: &ReplicationStart,
    tls_ca_file: Option<&str>,
) -> String {
    let tls = match tls_ca_file {
        Some(ca) => format!(
            ", MASTER_SSL=1, MASTER_SSL_CA={}, MASTER_SSL_VERIFY_SERVER_CERT=1",
            quote(ca)
        ),
        None => ", MASTER_SSL=0".into(),
    };
    let from = match start {
        ReplicationStart::Position(c) => format!(
            "MASTER_LOG_FILE={}, MASTER_LOG_POS={}",
            quote(&c.file),
            c.position
        ),
        ReplicationStart::Gtid => "MASTER_USE_GTID=slave_pos".into(),
    };
    format!(
        "CHANGE MASTER TO MASTER_HOST={}, MASTER_PORT={port}, MASTER_USER={}, MASTER_PASSWORD={}, {from}, MASTER_CONNECT_RETRY=5{tls}",
        quote(host),
        quote(user),
        quote(password),
    )
}

/// Whether a server (by `@@version`) has MariaDB's GTID (10.0 and later).
pub fn supports_mariadb_gtid(version: &str) -> bool {
    version.contains("MariaDB")
        && version
            .split('.')
            .next()
            .and_then(|major| major.parse::<u32>().ok())
            .is_some_and(|major| major >= 10)
}

/// The GTID position (on the primary) of binlog coordinates: `NULL` when they are not an event
/// boundary of a binlog the primary has.
pub fn binlog_gtid_pos_sql(at: &MasterStatus) -> String {
    format!(
        "SELECT BINLOG_GTID_POS({}, {}) AS g",
        quote(&at.file),
        at.position
    )
}

pub fn set_gtid_slave_pos_sql(position: &str) -> String {
    format!("SET GLOBAL gtid_slave_pos = {}", quote(position))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, Option<&str>)]) -> Row {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    fn slave_row(io: &str, sql: &str, behind: Option<&str>, sql_error: &str) -> Row {
        row(&[
            ("Master_Host", Some("127.0.0.1")),
            ("Master_Port", Some("13306")),
            ("Master_User", Some("repl")),
            ("Slave_IO_Running", Some(io)),
            ("Slave_SQL_Running", Some(sql)),
            ("Seconds_Behind_Master", behind),
            ("Master_Log_File", Some("mysql-bin.000001")),
            ("Read_Master_Log_Pos", Some("328")),
            ("Last_IO_Error", Some("")),
            ("Last_SQL_Error", Some(sql_error)),
            ("Last_IO_Errno", Some("0")),
            ("Relay_Master_Log_File", Some("mysql-bin.000001")),
            ("Exec_Master_Log_Pos", Some("300")),
            ("Master_Server_Id", Some("1")),
        ])
    }

    #[test]
    fn healthy_and_broken_replicas() {
        let ok = parse_slave_status(&[slave_row("Yes", "Yes", Some("0"), "")])
            .unwrap()
            .unwrap();
        assert!(ok.running());
        assert_eq!(
            (ok.seconds_behind, ok.master_port, ok.read_master_log_pos),
            (Some(0), 13306, 328)
        );
        assert_eq!(ok.last_error(), None);
        assert_eq!(
            (ok.executed.file.as_str(), ok.executed.position),
            ("mysql-bin.000001", 300)
        );
        assert_eq!(ok.master_server_id, Some(1));
        assert!(!ok.using_gtid, "no Using_Gtid column: MySQL");
        let mut gtid_row = slave_row("Yes", "Yes", Some("0"), "");
        gtid_row.insert("Using_Gtid".into(), Some("Slave_Pos".into()));
        assert!(parse_slave_status(&[gtid_row]).unwrap().unwrap().using_gtid);
        assert_eq!(ok.tls_ca_file, None, "no Master_SSL_Allowed column");
        let mut tls_row = slave_row("Yes", "Yes", Some("0"), "");
        tls_row.insert("Master_SSL_Allowed".into(), Some("Yes".into()));
        tls_row.insert("Master_SSL_CA_File".into(), Some("/etc/ca.pem".into()));
        let tls = parse_slave_status(std::slice::from_ref(&tls_row))
            .unwrap()
            .unwrap();
        assert_eq!(tls.tls_ca_file.as_deref(), Some("/etc/ca.pem"));
        tls_row.insert("Master_SSL_Allowed".into(), Some("No".into()));
        assert_eq!(
            parse_slave_status(&[tls_row]).unwrap().unwrap().tls_ca_file,
            None
        );
        let mut old_server = slave_row("Yes", "Yes", Some("0"), "");
        old_server.remove("Master_Server_Id");
        let old = parse_slave_status(&[old_server]).unwrap().unwrap();
        assert_eq!(old.master_server_id, None);
        let broken =
            "Error 'Duplicate entry '100' for key 'PRIMARY'' on query. Default database: 'xopdb'";
        let dup = parse_slave_status(&[slave_row("Yes", "No", None, broken)])
            .unwrap()
            .unwrap();
        assert!(!dup.running());
        assert_eq!(dup.seconds_behind, None);
        assert_eq!(dup.last_error().as_deref(), Some(broken));
        let down = parse_slave_status(&[slave_row("Connecting", "Yes", None, "")])
            .unwrap()
            .unwrap();
        assert_eq!(down.io_running, ThreadState::Connecting);
        assert_eq!(parse_slave_status(&[]).unwrap(), None);
        assert!(parse_slave_status(&[row(&[("Master_Host", Some("x"))])]).is_err());
    }

    #[test]
    fn binary_logs_and_slave_hosts() {
        let logs = [
            row(&[
                ("Log_name", Some("mysql-bin.000001")),
                ("File_size", Some("1")),
            ]),
            row(&[
                ("Log_name", Some("mysql-bin.000002")),
                ("File_size", Some("2")),
            ]),
        ];
        assert_eq!(
            parse_binary_logs(&logs),
            ["mysql-bin.000001", "mysql-bin.000002"]
        );
        let hosts = [row(&[
            ("Server_id", Some("2")),
            ("Host", Some("xop2")),
            ("Port", Some("3306")),
            ("Master_id", Some("1")),
        ])];
        assert_eq!(parse_slave_hosts(&hosts).unwrap(), [(2, "xop2".into())]);
        assert!(parse_slave_hosts(&[row(&[("Server_id", Some("x")), ("Host", None)])]).is_err());
    }

    #[test]
    fn master_info_password() {
        // MariaDB 10.11 master.info after CHANGE MASTER (first lines).
        let info = "33\nmysql-bin.000002\n1234\n127.0.0.1\nrepl\nrepl-Secret-77\n13306\n5\n0\n";
        assert_eq!(
            parse_master_info_password(info).as_deref(),
            Some("repl-Secret-77")
        );
        assert_eq!(
            parse_master_info_password("33\nf\n4\nh\nrepl\n\n3306\n"),
            None
        );
        assert_eq!(parse_master_info_password("mysql-bin.000001\n4\n"), None);
    }

    #[test]
    fn master_status() {
        let rows = [row(&[
            ("File", Some("mysql-bin.000002")),
            ("Position", Some("4711")),
            ("Binlog_Do_DB", Some("xopdb")),
        ])];
        assert_eq!(
            parse_master_status(&rows).unwrap(),
            Some(MasterStatus {
                file: "mysql-bin.000002".into(),
                position: 4711
            })
        );
        assert_eq!(parse_master_status(&[]).unwrap(), None);
    }

    #[test]
    fn statements_quote_their_values() {
        assert_eq!(quote("it's\\"), "'it\\'s\\\\'");
        assert_eq!(
            create_user_sql("repl", "%", "p'w"),
            "CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY 'p\\'w'"
        );
        assert_eq!(
            grant_replication_sql("repl", "%"),
            "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%'"
        );
        let coords = MasterStatus {
            file: "mysql-bin.000001".into(),
            position: 328,
        };
        assert_eq!(
            change_master_sql(
                "10.0.0.1",
                3306,
                "repl",
                "pw",
                &ReplicationStart::Position(coords.clone()),
                None
            ),
            "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='pw', MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=328, MASTER_CONNECT_RETRY=5, MASTER_SSL=0"
        );
        assert_eq!(
            change_master_sql(
                "10.0.0.1",
                3306,
                "repl",
                "pw",
                &ReplicationStart::Gtid,
                Some("/etc/pki/xop-ca.pem")
            ),
            "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='pw', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=5, MASTER_SSL=1, MASTER_SSL_CA='/etc/pki/xop-ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1"
        );
        assert_eq!(
            binlog_gtid_pos_sql(&coords),
            "SELECT BINLOG_GTID_POS('mysql-bin.000001', 328) AS g"
        );
        assert_eq!(
            set_gtid_slave_pos_sql("0-1-8"),
            "SET GLOBAL gtid_slave_pos = '0-1-8'"
        );
        assert!(supports_mariadb_gtid("10.11.6-MariaDB-0+deb12u1"));
        assert!(supports_mariadb_gtid("10.0.38-MariaDB"));
        assert!(!supports_mariadb_gtid("5.5.68-MariaDB"));
        assert!(!supports_mariadb_gtid("5.1.73-log"));
        assert!(!supports_mariadb_gtid("8.0.36"));
        assert!(validate_user_name("repl").is_ok());
        assert!(validate_user_name("re pl").is_err());
        assert!(validate_member_name("xop-2.site").is_ok());
        assert!(validate_member_name(&"x".repeat(61)).is_err());
    }
}
