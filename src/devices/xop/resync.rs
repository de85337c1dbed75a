//! The seed's resync of a secondary, run in the secondary's shell: the replicated databases
//! dumped from the primary with its binlog coordinates (`--master-data=1`, or `--gtid`), then
//! loaded into the secondary's own server.
//!
//! Both passwords travel on the command's standard input, one per line, read into shell
//! variables and handed to each tool in its environment (`MYSQL_PWD`): never on a command line,
//! where the appliance's process list would show them while the dump runs.

use crate::devices::shell::shell_quote;

/// Where one side of the pipeline logs in (its password goes to [`resync_stdin`]).
pub struct Login<'a> {
    pub host: &'a str,
    pub port: u16,
    pub user: &'a str,
}

/// What to dump: the replicated databases, the per-server tables left alone, and whether the
/// dump sets the GTID position (`--gtid`) instead of file and position.
pub struct DumpScope<'a> {
    pub databases: &'a [String],
    pub ignored_tables: &'a [String],
    pub gtid: bool,
}

/// The command line (no secret in it): `dump` and `client` are the configured tools.
pub fn resync_command(
    dump: &str,
    client: &str,
    primary: &Login<'_>,
    own: &Login<'_>,
    scope: &DumpScope<'_>,
) -> String {
    let databases: Vec<String> = scope.databases.iter().map(|d| shell_quote(d)).collect();
    let ignored: Vec<String> = scope
        .ignored_tables
        .iter()
        .map(|t| format!("--ignore-table={}", shell_quote(t)))
        .collect();
    let gtid = if scope.gtid { "--gtid " } else { "" };
    format!(
        "IFS= read -r ppw && IFS= read -r opw && f=$(mktemp) && MYSQL_PWD=\"$ppw\" {dump} -h{ph} -P{pp} -u{pu} --single-transaction --master-data=1 {gtid}--routines --databases {dbs} {ignored} > \"$f\" && MYSQL_PWD=\"$opw\" {client} -h{oh} -P{op} -u{ou} < \"$f\"; rc=$?; rm -f \"$f\"; exit $rc",
        ph = shell_quote(primary.host),
        pp = primary.port,
        pu = shell_quote(primary.user),
        dbs = databases.join(" "),
        ignored = ignored.join(" "),
        oh = shell_quote(own.host),
        op = own.port,
        ou = shell_quote(own.user),
    )
}

/// The standard input of [`resync_command`]: the primary's password, then the secondary's, a
/// line each. A password with a line break (or NUL) cannot be passed this way and is refused.
pub fn resync_stdin(primary_password: &str, own_password: &str) -> Result<String, String> {
    for password in [primary_password, own_password] {
        if password.contains(['\n', '\r', '\0']) {
            return Err(
                "a MySQL password with a line break cannot be handed to the dump tools".into(),
            );
        }
    }
    Ok(format!("{primary_password}\n{own_password}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_carries_no_password() {
        let (databases, tables) = (vec!["xopdb".to_string()], vec!["xopdb.ports".to_string()]);
        let command = resync_command(
            "mysqldump",
            "mysql",
            &Login {
                host: "10.0.0.1",
                port: 3306,
                user: "root",
            },
            &Login {
                host: "127.0.0.1",
                port: 3307,
                user: "admin",
            },
            &DumpScope {
                databases: &databases,
                ignored_tables: &tables,
                gtid: true,
            },
        );
        assert!(
            command.starts_with("IFS= read -r ppw && IFS= read -r opw && "),
            "{command}"
        );
        assert!(command.contains("MYSQL_PWD=\"$ppw\" mysqldump -h'10.0.0.1' -P3306 -u'root' --single-transaction --master-data=1 --gtid --routines --databases 'xopdb' --ignore-table='xopdb.ports' > \"$f\""), "{command}");
        assert!(
            command.contains("MYSQL_PWD=\"$opw\" mysql -h'127.0.0.1' -P3307 -u'admin' < \"$f\""),
            "{command}"
        );
        let stdin = resync_stdin("p'w\"\\$x", "own pw").unwrap();
        assert_eq!(stdin, "p'w\"\\$x\nown pw\n");
        assert!(!command.contains("p'w"));
        assert!(resync_stdin("a\nb", "x").is_err());
        assert!(resync_stdin("x", "a\rb").is_err());
    }
}
