//! What MySQL/MariaDB accepts for each option the managed my.cnf section and the replication
//! statements carry. Plan-time checks use these; the section renderer refuses anything outside
//! them again, so no value can ever become a second option line.
//!
//! Ranges from the MariaDB Knowledge Base, "Replication and Binary Log System Variables" and
//! "InnoDB System Variables"; identifier rules from "Identifier Names".

pub use crate::grammar::NumberRange;

/// `server_id`: 1 to 4294967295 (0 refuses to replicate).
pub const SERVER_ID: NumberRange = NumberRange {
    option: "server_id",
    min: 1,
    max: 4_294_967_295,
};
/// `auto_increment_increment` (the cluster size) and `auto_increment_offset`: 1 to 65535.
pub const AUTO_INCREMENT: NumberRange = NumberRange {
    option: "auto_increment_increment",
    min: 1,
    max: 65_535,
};
pub const AUTO_INCREMENT_OFFSET: NumberRange = NumberRange {
    option: "auto_increment_offset",
    min: 1,
    max: 65_535,
};
/// `expire_logs_days`: 0 (never) to 99.
pub const EXPIRE_LOGS_DAYS: NumberRange = NumberRange {
    option: "expire_logs_days",
    min: 0,
    max: 99,
};
/// `sync_binlog`: 0 to 4294967295.
pub const SYNC_BINLOG: NumberRange = NumberRange {
    option: "sync_binlog",
    min: 0,
    max: 4_294_967_295,
};
/// `innodb_flush_log_at_trx_commit`: 0, 1, 2 or 3.
pub const INNODB_FLUSH_LOG_AT_TRX_COMMIT: NumberRange = NumberRange {
    option: "innodb_flush_log_at_trx_commit",
    min: 0,
    max: 3,
};

/// `max_binlog_size`: 4096 bytes to 1G.
pub const MAX_BINLOG_SIZE_BYTES: (u64, u64) = (4096, 1 << 30);

/// A database name as an unquoted identifier: 1 to 64 ASCII letters, digits, `_` or `$`, not
/// only digits.
pub fn check_database_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err(format!("database name {name:?} must be 1 to 64 characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '$')))
    {
        return Err(format!(
            "database name {name:?} contains {c:?}: use letters, digits, '_' and '$'"
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "database name {name:?} must not consist of digits only"
        ));
    }
    Ok(())
}

/// A table for `replicate-ignore-table`: `<database>.<table>`, both identifiers.
pub fn check_table_name(name: &str) -> Result<(), String> {
    let (db, table) = name
        .split_once('.')
        .ok_or_else(|| format!("table {name:?} must be written <database>.<table>"))?;
    check_database_name(db)?;
    check_database_name(table)
        .map_err(|e| e.replacen("database name", "table name", 1))
        .map(|_| ())
}

/// `500M` style sizes: digits with an optional K, M or G, within `MAX_BINLOG_SIZE_BYTES`.
pub fn check_binlog_size(text: &str) -> Result<(), String> {
    let bytes = super::my_cnf::size_in_bytes(text).filter(|_| text.trim() == text);
    match bytes {
        None => Err(format!(
            "{text:?} is not a size: write digits with an optional K, M or G (e.g. \"500M\")"
        )),
        Some(b) if b < MAX_BINLOG_SIZE_BYTES.0 || b > MAX_BINLOG_SIZE_BYTES.1 => Err(format!(
            "{text:?} is {b} bytes; max_binlog_size must be between 4096 bytes and 1G"
        )),
        Some(_) => Ok(()),
    }
}

/// `log-bin`: the binary log's base name (or a path to it): letters, digits, `_`, `-`, `.` and
/// `/`, not starting with `-`.
pub fn check_binlog_base_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err(format!(
            "binlog base name {name:?} must be 1 to 255 characters"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')))
    {
        return Err(format!(
            "binlog base name {name:?} contains {c:?}: use letters, digits, '_', '-', '.' and '/'"
        ));
    }
    if name.starts_with('-') {
        return Err(format!("binlog base name {name:?} must not start with '-'"));
    }
    Ok(())
}

/// The characters any option value in the managed section may have: what the checks above
/// allow. my.cnf has no quoting that every server version reads alike, so anything else (a
/// newline above all, or `#`, which starts a comment) is refused when rendering.
pub fn is_safe_option_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-' | '.' | '/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_ranges_follow_the_server() {
        assert!(SERVER_ID.check(4_294_967_295).is_ok());
        assert!(SERVER_ID.check(5_000_000_000).is_err());
        assert!(SERVER_ID.check(0).is_err());
        assert!(AUTO_INCREMENT.check(65_535).is_ok());
        assert!(AUTO_INCREMENT.check(70_000).is_err());
        assert!(EXPIRE_LOGS_DAYS.check(-1).is_err());
        assert!(EXPIRE_LOGS_DAYS.check(0).is_ok());
        assert!(INNODB_FLUSH_LOG_AT_TRX_COMMIT.check(4).is_err());
    }

    #[test]
    fn identifiers() {
        for ok in ["xopdb", "xopdb_local", "db$1", "1db"] {
            assert!(check_database_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "xopdb\nmax_connections=77",
            "a b",
            "a#b",
            "a`b",
            "123",
            &"d".repeat(65),
        ] {
            assert!(check_database_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_table_name("xopdb.cdr_local").is_ok());
        for bad in [
            "xopdb",
            "xopdb.",
            ".t",
            "xopdb.t\nskip-grant-tables",
            "a.b.c",
        ] {
            assert!(check_table_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_and_names() {
        for ok in ["500M", "4096", "1G", "100k"] {
            assert!(check_binlog_size(ok).is_ok(), "{ok}");
        }
        for bad in [
            "lots",
            "",
            "2G",
            "100",
            "500M\nskip-grant-tables",
            " 500M",
            "-1",
        ] {
            assert!(check_binlog_size(bad).is_err(), "{bad:?}");
        }
        assert!(check_binlog_base_name("mysql-bin").is_ok());
        assert!(check_binlog_base_name("/var/lib/mysql/xop-bin").is_ok());
        for bad in ["", "-x", "bin\nskip-grant-tables", "a b", "a#b"] {
            assert!(check_binlog_base_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn safe_values() {
        assert!(is_safe_option_value("mysql-bin") && is_safe_option_value("500M"));
        assert!(!is_safe_option_value("a\nb") && !is_safe_option_value("a#b"));
        assert!(!is_safe_option_value(""));
    }
}
