//! XOP's `sysconf` tool, for the seed's network change (xop-mysql-replication-ha, "Changing the
//! network address"): the hosts entry of a re-addressed server and its HA membership.

use crate::devices::shell::shell_quote;

/// `sysconf delhost <old>`: the hosts entry of the old address removed.
pub fn delhost_command(sysconf: &str, old: &str) -> String {
    format!("{sysconf} delhost {}", shell_quote(old))
}

/// `sysconf addhost <new> <hostname>`: the server's hosts entry at its new address.
pub fn addhost_command(sysconf: &str, new: &str, hostname: &str) -> String {
    format!(
        "{sysconf} addhost {} {}",
        shell_quote(new),
        shell_quote(hostname)
    )
}

/// `sysconf member <new> <old>`: the primary's HA membership follows the moved secondary.
pub fn member_command(sysconf: &str, new: &str, old: &str) -> String {
    format!("{sysconf} member {} {}", shell_quote(new), shell_quote(old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_steps_quote_their_words() {
        assert_eq!(
            delhost_command("sysconf", "10.0.0.2"),
            "sysconf delhost '10.0.0.2'"
        );
        assert_eq!(
            addhost_command("/usr/sbin/sysconf", "10.0.1.2", "xop2"),
            "/usr/sbin/sysconf addhost '10.0.1.2' 'xop2'"
        );
        assert_eq!(
            member_command("sysconf", "10.0.1.2", "10.0.0.2"),
            "sysconf member '10.0.1.2' '10.0.0.2'"
        );
    }
}
