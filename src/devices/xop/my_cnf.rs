//! The option lines uccluster owns in an appliance's my.cnf: one marked section, rendered from
//! the resource's settings and spliced into the file so every other byte is kept as it was.

/// First and last line of the managed section.
pub const BEGIN_MARKER: &str =
    "# BEGIN uccluster xop_replication_member (managed; edits here are overwritten)";
pub const END_MARKER: &str = "# END uccluster xop_replication_member";

/// Options that take effect only at server start; the others are also set with SET GLOBAL.
/// (Replication filters are dynamic in MariaDB only while the replica is stopped; restarting is
/// the one way that works on every server version XOP ships.)
const STARTUP_ONLY: &[&str] = &[
    "log-bin",
    "relay-log",
    "binlog-do-db",
    "binlog-ignore-db",
    "log-slave-updates",
    "replicate-do-db",
    "replicate-ignore-db",
    "replicate-ignore-table",
    "report-host",
];

/// `SET GLOBAL` statements that apply the dynamic options of `options` to a running server.
pub fn dynamic_settings(options: &[OptionLine]) -> Vec<String> {
    options
        .iter()
        .filter_map(|o| {
            let value = o.value.as_deref()?;
            let variable = match o.key.as_str() {
                "server-id" => "server_id",
                "auto_increment_offset"
                | "auto_increment_increment"
                | "expire_logs_days"
                | "sync_binlog"
                | "innodb_flush_log_at_trx_commit" => o.key.as_str(),
                "max_binlog_size" => {
                    return size_in_bytes(value)
                        .map(|b| format!("SET GLOBAL max_binlog_size = {b}"))
                }
                _ => return None,
            };
            value
                .parse::<u64>()
                .ok()
                .map(|v| format!("SET GLOBAL {variable} = {v}"))
        })
        .collect()
}

/// `500M` style sizes in bytes.
pub fn size_in_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.to_ascii_uppercase().as_str() {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(factor)
}

/// One `key=value` (or bare `key`) option line, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionLine {
    pub key: String,
    pub value: Option<String>,
}

impl OptionLine {
    pub fn new(key: &str, value: impl ToString) -> Self {
        OptionLine {
            key: key.to_string(),
            value: Some(value.to_string()),
        }
    }

    pub fn flag(key: &str) -> Self {
        OptionLine {
            key: key.to_string(),
            value: None,
        }
    }

    fn render(&self) -> String {
        match &self.value {
            Some(v) => format!("{}={}", self.key, v),
            None => self.key.clone(),
        }
    }
}

/// The managed section's text, to be written: markers, a `[mysqld]` group header (read by MySQL
/// and MariaDB), the options. Refuses any key or value outside the characters the plan-time
/// checks allow (`option_values`), so no value can become a second line or a comment.
pub fn render_section(options: &[OptionLine]) -> Result<String, String> {
    for option in options {
        let key_ok = !option.key.is_empty()
            && option
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
        if !key_ok {
            return Err(format!(
                "refusing to write the my.cnf option name {:?}",
                option.key
            ));
        }
        if let Some(v) = &option.value {
            if !super::option_values::is_safe_option_value(v) {
                return Err(format!(
                    "refusing to write {}={v:?} to my.cnf: the value may contain only letters, digits, '_', '$', '-', '.' and '/'",
                    option.key
                ));
            }
        }
    }
    Ok(section_text(options))
}

/// The section's text for `options` as they are, unchecked: how a section read from a server is
/// shown (hand edits included) and compared with the plan.
pub fn section_text(options: &[OptionLine]) -> String {
    let mut out = format!("{BEGIN_MARKER}\n[mysqld]\n");
    for option in options {
        out.push_str(&option.render());
        out.push('\n');
    }
    out.push_str(END_MARKER);
    out.push('\n');
    out
}

/// `file` with its managed section replaced by `section` (appended when there is none).
/// Everything outside the markers is kept byte for byte.
pub fn splice(file: &str, section: &str) -> String {
    match find_section(file) {
        Some((start, end)) => format!("{}{}{}", &file[..start], section, &file[end..]),
        None if file.is_empty() || file.ends_with('\n') => format!("{file}{section}"),
        None => format!("{file}\n{section}"),
    }
}

/// `file` without the managed section.
pub fn remove_section(file: &str) -> String {
    match find_section(file) {
        Some((start, end)) => format!("{}{}", &file[..start], &file[end..]),
        None => file.to_string(),
    }
}

/// Option names the managed section sets, spelled the way MySQL compares them (`_` and `-` are
/// the same in option names).
const MANAGED_KEYS: &[&str] = &[
    "server-id",
    "auto-increment-offset",
    "auto-increment-increment",
    "log-bin",
    "binlog-do-db",
    "binlog-ignore-db",
    "expire-logs-days",
    "max-binlog-size",
    "innodb-flush-log-at-trx-commit",
    "sync-binlog",
    "report-host",
    "replicate-do-db",
    "replicate-ignore-db",
    "replicate-ignore-table",
];

/// Prefix of a line that adoption took out of service.
pub const ADOPTED_PREFIX: &str = "# uccluster: now in the managed section: ";

/// Lines outside the managed section that set what the section sets (a member configured by
/// hand, as the seed does it): `(1-based line number, line)`. Only server groups count
/// (`[mysqld]`, `[mysqld-5.5]`, `[mariadb]`, `[mariadbd]`, `[server]`).
pub fn hand_written_options(file: &str) -> Vec<(usize, String)> {
    let section = find_section(file);
    let mut offset = 0;
    let mut server_group = false;
    let mut found = Vec::new();
    for (i, line) in file.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += line.len();
        if section.is_some_and(|(start, end)| at >= start && at < end) {
            continue;
        }
        let trimmed = line.trim();
        if let Some(group) = trimmed.strip_prefix('[').and_then(|g| g.strip_suffix(']')) {
            let group = group.trim().to_ascii_lowercase();
            server_group = group.starts_with("mysqld") && !group.starts_with("mysqld_safe")
                || group.starts_with("mariadb")
                || group == "server";
            continue;
        }
        if !server_group || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let key = trimmed
            .split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
            .replace('_', "-");
        if MANAGED_KEYS.contains(&key.as_str()) {
            found.push((i + 1, trimmed.to_string()));
        }
    }
    found
}

/// `file` with the given lines (1-based) commented out with [`ADOPTED_PREFIX`]; every other byte
/// kept.
pub fn retire_lines(file: &str, lines: &[usize]) -> String {
    file.split_inclusive('\n')
        .enumerate()
        .map(|(i, line)| match lines.contains(&(i + 1)) {
            true => format!("{ADOPTED_PREFIX}{}", line.trim_start()),
            false => line.to_string(),
        })
        .collect()
}

/// Byte range of the managed section, END line (and its newline) included.
fn find_section(file: &str) -> Option<(usize, usize)> {
    let start = file.find(BEGIN_MARKER)?;
    let rel_end = file[start..].find(END_MARKER)? + END_MARKER.len();
    let mut end = start + rel_end;
    if file[end..].starts_with('\n') {
        end += 1;
    }
    Some((start, end))
}

/// The options in the managed section, `None` when the file has none.
pub fn parse_section(file: &str) -> Option<Vec<OptionLine>> {
    let (start, end) = find_section(file)?;
    let options = file[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .map(|l| match l.split_once('=') {
            Some((k, v)) => OptionLine {
                key: k.trim().to_string(),
                value: Some(v.trim().to_string()),
            },
            None => OptionLine::flag(l),
        })
        .collect();
    Some(options)
}

/// Whether going from `before` to `after` needs the server restarted: a startup-only option
/// changed, or the section is new.
pub fn needs_restart(before: Option<&[OptionLine]>, after: &[OptionLine]) -> bool {
    let Some(before) = before else { return true };
    let startup = |opts: &[OptionLine]| -> Vec<OptionLine> {
        opts.iter()
            .filter(|o| STARTUP_ONLY.contains(&o.key.as_str()))
            .cloned()
            .collect()
    };
    startup(before) != startup(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seed's hand-made secondary configuration, with a managed section already present.
    const HAND_MADE: &str = "[mysqld]\nbind-address=localhost\ndatadir=/var/lib/mysql\n\nserver-id = 2\nauto_increment_offset    = 2\nauto_increment_increment = 2\n\nreplicate-do-db = xopdb\n# replicate-ignore-db = old\nreplicate-ignore-table = xopdb.ports\n[mysqld_safe]\nlog-error=/var/log/mysqld.log\n[client]\nserver-id=9\n";

    #[test]
    fn hand_written_replication_options_are_found_and_retired() {
        let found = hand_written_options(HAND_MADE);
        let lines: Vec<usize> = found.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, [5, 6, 7, 9, 11]);
        assert_eq!(found[1].1, "auto_increment_offset    = 2");
        let with_section = splice(HAND_MADE, &render_section(&opts()).unwrap());
        assert_eq!(
            hand_written_options(&with_section).len(),
            5,
            "the section itself does not count"
        );
        let retired = retire_lines(HAND_MADE, &lines);
        assert!(retired.contains("# uccluster: now in the managed section: server-id = 2\n"));
        assert!(hand_written_options(&retired).is_empty());
        assert_eq!(retired.lines().count(), HAND_MADE.lines().count());
        assert!(retired.contains("bind-address=localhost\n"));
        assert!(hand_written_options(APPLIANCE).is_empty());
    }

    const APPLIANCE: &str = "# XOP appliance\n[mysqld]\ndatadir=/var/lib/mysql\nsocket=/var/lib/mysql/mysql.sock\n\n[mysqld_safe]\nlog-error=/var/log/mysqld.log\n";

    fn opts() -> Vec<OptionLine> {
        vec![
            OptionLine::new("server-id", 1),
            OptionLine::new("log-bin", "mysql-bin"),
            OptionLine::new("binlog-do-db", "xopdb"),
            OptionLine::new("sync_binlog", 1),
        ]
    }

    #[test]
    fn splice_appends_then_replaces_keeping_the_rest_byte_for_byte() {
        let first = splice(APPLIANCE, &render_section(&opts()).unwrap());
        assert!(first.starts_with(APPLIANCE));
        assert_eq!(parse_section(&first).unwrap(), opts());
        let mut changed = opts();
        changed[0] = OptionLine::new("server-id", 2);
        let second = splice(&first, &render_section(&changed).unwrap());
        assert!(second.starts_with(APPLIANCE));
        assert_eq!(parse_section(&second).unwrap(), changed);
        assert_eq!(second.matches(BEGIN_MARKER).count(), 1);
        assert_eq!(remove_section(&second), APPLIANCE);
    }

    #[test]
    fn section_in_the_middle_and_missing_newline() {
        let middle = format!("a=1\n{}b=2\n", render_section(&opts()).unwrap());
        let replaced = splice(
            &middle,
            &render_section(&[OptionLine::flag("log-slave-updates")]).unwrap(),
        );
        assert!(replaced.starts_with("a=1\n") && replaced.ends_with("b=2\n"));
        assert_eq!(remove_section(&replaced), "a=1\nb=2\n");
        assert_eq!(splice("x=1", "S\n"), "x=1\nS\n");
        assert_eq!(parse_section("no section"), None);
    }

    #[test]
    fn dynamic_options_become_set_global() {
        let sets = dynamic_settings(&[
            OptionLine::new("server-id", 3),
            OptionLine::new("max_binlog_size", "500M"),
            OptionLine::new("log-bin", "x"),
        ]);
        assert_eq!(
            sets,
            vec![
                "SET GLOBAL server_id = 3",
                "SET GLOBAL max_binlog_size = 524288000"
            ]
        );
        assert_eq!(size_in_bytes("1G"), Some(1 << 30));
        assert_eq!(size_in_bytes("12X"), None);
    }

    #[test]
    fn restart_only_for_startup_options() {
        let before = opts();
        let mut dynamic_change = opts();
        dynamic_change[3] = OptionLine::new("sync_binlog", 0);
        assert!(!needs_restart(Some(&before), &dynamic_change));
        let mut startup_change = opts();
        startup_change[2] = OptionLine::new("binlog-do-db", "other");
        assert!(needs_restart(Some(&before), &startup_change));
        assert!(needs_restart(None, &before));
    }

    /// The renderer's second line of defence: a value the plan checks would refuse is never
    /// written, whatever reaches it.
    #[test]
    fn renderer_refuses_values_that_would_add_lines() {
        for bad in [
            OptionLine::new("replicate-do-db", "xopdb\nmax_connections=77"),
            OptionLine::new("replicate-do-db", "xopdb\rskip-grant-tables"),
            OptionLine::new("log-bin", "bin # comment"),
            OptionLine::new("max_binlog_size", ""),
            OptionLine::new("report-host", "x\n[client]"),
            OptionLine::flag("skip-grant-tables\nx"),
        ] {
            let e = render_section(std::slice::from_ref(&bad)).unwrap_err();
            assert!(e.starts_with("refusing"), "{bad:?}: {e}");
        }
        assert!(render_section(&opts()).is_ok());
    }
}
