//! The seed's firewall step: TCP/3306 open to the replication peers only, with iptables rules
//! in the INPUT chain, read back with `iptables -S INPUT`.

use super::my_cnf::shell_quote;

/// The rule specification for one peer, as given to `-C`, `-I` and `-D`.
pub fn rule_spec(peer: &str, port: u16) -> String {
    format!(
        "INPUT -p tcp -s {} --dport {port} -j ACCEPT",
        shell_quote(peer)
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_back() {
        let out = "-P INPUT ACCEPT\n-A INPUT -s 10.0.0.2/32 -p tcp -m tcp --dport 3306 -j ACCEPT\n-A INPUT -s 10.0.0.3/32 -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -s 10.0.0.0/24 -p tcp -m tcp --dport 3306 -j DROP\n-A INPUT -s 10.0.1.0/24 -p tcp -m tcp --dport 3306 -j ACCEPT\n";
        assert_eq!(allowed_peers(out, 3306), vec!["10.0.0.2", "10.0.1.0/24"]);
        assert_eq!(
            rule_spec("10.0.0.2", 3306),
            "INPUT -p tcp -s '10.0.0.2' --dport 3306 -j ACCEPT"
        );
    }
}
