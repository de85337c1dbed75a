//! The seed's firewall step: TCP/3306 open to the replication peers only, with iptables rules
//! in the INPUT chain, read back with `iptables -S INPUT`.

use crate::devices::shell::shell_quote;

/// The rule specification for one peer, as given to `-C`, `-I` and `-D`.
pub fn rule_spec(peer: &str, port: u16) -> String {
    format!(
        "INPUT -p tcp -s {} --dport {port} -j ACCEPT",
        shell_quote(peer)
    )
}

/// What `iptables` does with one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// `-C`: exit status 0 when the rule exists.
    Check,
    /// `-I`: insert it at the top of INPUT.
    Insert,
    /// `-D`: delete it.
    Delete,
}

/// `iptables -C|-I|-D <rule for peer>`.
pub fn rule_command(iptables: &str, action: RuleAction, peer: &str, port: u16) -> String {
    let flag = match action {
        RuleAction::Check => "-C",
        RuleAction::Insert => "-I",
        RuleAction::Delete => "-D",
    };
    format!("{iptables} {flag} {}", rule_spec(peer, port))
}

/// `iptables -S INPUT`: the rules, read back by [`allowed_peers`].
pub fn list_rules_command(iptables: &str) -> String {
    format!("{iptables} -S INPUT")
}

/// Peers allowed to reach `port` according to `iptables -S INPUT` output
/// (`-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT`). Host masks (/32) are
/// dropped so the addresses compare with the configuration.
pub fn allowed_peers(rules: &str, port: u16) -> Vec<String> {
    let port = port.to_string();
    rules
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let value = |flag: &str| {
                words
                    .iter()
                    .position(|w| *w == flag)
                    .and_then(|i| words.get(i + 1))
                    .copied()
            };
            let accepts = words.first() == Some(&"-A")
                && words.get(1) == Some(&"INPUT")
                && value("-p") == Some("tcp")
                && value("--dport") == Some(port.as_str())
                && value("-j") == Some("ACCEPT");
            accepts
                .then(|| value("-s").map(|s| s.trim_end_matches("/32").to_string()))
                .flatten()
        })
        .collect()
}

/// A peer as `iptables -s` takes it and `iptables -S` prints it back: an IPv4 address, or an IPv4
/// network `a.b.c.d/n` (n below 32) with no host bits set. Anything else would be refused by
/// iptables or read back differently (a perpetual diff).
pub fn check_peer(peer: &str) -> Result<(), String> {
    let (address, prefix) = match peer.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (peer, None),
    };
    let ip: std::net::Ipv4Addr = address.parse().map_err(|_| {
        format!("{peer:?} is not an IPv4 address or network (iptables rules are IPv4), e.g. \"10.0.0.2\" or \"10.0.0.0/24\"")
    })?;
    if let Some(p) = prefix {
        let bits: u32 = p
            .parse()
            .ok()
            .filter(|b| *b < 32 && p.bytes().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| {
                format!("{peer:?}: the prefix length must be 0 to 31 (write a single address without /32)")
            })?;
        let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
        if u32::from(ip) & !mask != 0 {
            let network = std::net::Ipv4Addr::from(u32::from(ip) & mask);
            return Err(format!(
                "{peer:?} has host bits set; iptables records it as {network}/{bits}: write that"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_what_iptables_reads_back() {
        for ok in ["10.0.0.2", "10.0.0.0/24", "0.0.0.0/0"] {
            assert!(check_peer(ok).is_ok(), "{ok}");
        }
        for bad in [
            "not an address",
            "10.0.0.2/32",
            "10.0.0.5/24",
            "10.0.0.0/33",
            "10.0.0.0/+8",
            "::1",
            "",
            "10.0.0.2\n-j DROP",
        ] {
            assert!(check_peer(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rules_read_back() {
        let out = "-P INPUT ACCEPT\n-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT\n-A INPUT -s 10.0.0.3/32 -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -s 10.0.0.0/24 -p tcp -m tcp --dport 3306 -j DROP\n-A INPUT -s 10.0.1.0/24 -p tcp -m tcp --dport 3306 -j ACCEPT\n";
        assert_eq!(allowed_peers(out, 3306), vec!["10.0.0.2", "10.0.1.0/24"]);
        assert_eq!(
            rule_spec("10.0.0.2", 3306),
            "INPUT -p tcp -s '10.0.0.2' --dport 3306 -j ACCEPT"
        );
        assert_eq!(
            rule_command("iptables", RuleAction::Delete, "10.0.0.2", 3306),
            "iptables -D INPUT -p tcp -s '10.0.0.2' --dport 3306 -j ACCEPT"
        );
        assert_eq!(
            list_rules_command("/sbin/iptables"),
            "/sbin/iptables -S INPUT"
        );
    }
}
