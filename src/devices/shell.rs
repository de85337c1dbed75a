//! POSIX shell command lines for the Linux hosts reached over SSH exec channels (XOP
//! appliances, IPVS directors, HAProxy hosts): every word quoted, so a value can never become a
//! second command.

/// A word for a POSIX shell command line.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// `program` and its arguments as one command line.
pub fn command_line(program: &str, args: &[&str]) -> String {
    std::iter::once(program)
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Print the file.
pub fn read_command(path: &str) -> String {
    format!("cat {}", shell_quote(path))
}

/// Write standard input to a new file (a candidate to check before it replaces the real one).
pub fn write_command(path: &str) -> String {
    format!("cat > {}", shell_quote(path))
}

/// Remove the file if it is there.
pub fn remove_command(path: &str) -> String {
    format!("rm -f {}", shell_quote(path))
}

/// Replace the file with standard input atomically (write a sibling, then rename), keeping the
/// original's mode when it exists.
pub fn replace_command(path: &str) -> String {
    let (p, tmp) = (
        shell_quote(path),
        shell_quote(&format!("{path}.uccluster-new")),
    );
    format!("cat > {tmp} && (chmod --reference={p} {tmp} 2>/dev/null || true) && mv -f {tmp} {p}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_in_a_word_stays_inside_it() {
        assert_eq!(shell_quote("it's; rm -rf /"), "'it'\\''s; rm -rf /'");
        assert_eq!(
            command_line("/usr/sbin/haproxy", &["-c", "-f", "/etc/a b.cfg"]),
            "'/usr/sbin/haproxy' '-c' '-f' '/etc/a b.cfg'"
        );
    }

    #[test]
    fn file_commands_quote_the_path() {
        assert_eq!(read_command("/etc/x'y"), "cat '/etc/x'\\''y'");
        assert_eq!(write_command("/tmp/c"), "cat > '/tmp/c'");
        assert_eq!(remove_command("/tmp/c"), "rm -f '/tmp/c'");
        assert_eq!(
            replace_command("/etc/haproxy/haproxy.cfg"),
            "cat > '/etc/haproxy/haproxy.cfg.uccluster-new' && (chmod --reference='/etc/haproxy/haproxy.cfg' '/etc/haproxy/haproxy.cfg.uccluster-new' 2>/dev/null || true) && mv -f '/etc/haproxy/haproxy.cfg.uccluster-new' '/etc/haproxy/haproxy.cfg'"
        );
    }
}
