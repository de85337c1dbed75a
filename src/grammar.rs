//! The grammars of values that reach a device as part of a command line, a file or a login:
//! endpoints, ports, absolute paths, command lines and login names. Each check says what is
//! wrong in words a user can act on; resources call them at plan time with the attribute's path,
//! and the code that renders device input refuses the same values again.

/// `host`, `host:port`, `[ipv6]`, `[ipv6]:port` or a bare IPv6 address, strictly: nothing may
/// follow the port or the closing bracket.
pub fn parse_endpoint(text: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("unclosed '[' in {text:?}"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{host:?} in brackets is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (host, Some(p)),
                None => return Err(format!("unexpected {after:?} after ']' in {text:?}")),
            },
        }
    } else if text.matches(':').count() == 1 {
        let (h, p) = text.split_once(':').unwrap_or((text, ""));
        (h, Some(p))
    } else {
        (text, None)
    };
    check_host(host)?;
    let port = port.map(parse_port).transpose()?;
    Ok((host.to_string(), port))
}

/// A TCP port written in an ID: digits only, 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse::<u16>().ok())
        .flatten()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("invalid port {text:?}: expected 1 to 65535"))
}

/// An inclusive range a number must lie in.
pub struct NumberRange {
    pub option: &'static str,
    pub min: i64,
    pub max: i64,
}

impl NumberRange {
    pub fn check(&self, n: i64) -> Result<(), String> {
        if (self.min..=self.max).contains(&n) {
            Ok(())
        } else {
            Err(format!(
                "{} must be between {} and {}, got {n}",
                self.option, self.min, self.max
            ))
        }
    }
}

/// A TCP port given as a number attribute.
pub fn check_port(port: i64) -> Result<(), String> {
    if (1..=65535).contains(&port) {
        Ok(())
    } else {
        Err(format!("port must be between 1 and 65535, got {port}"))
    }
}

/// Control characters (newline, carriage return, NUL, ...) end a line or a command on a device:
/// no value that reaches one may hold them.
pub fn check_no_control(text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "{text:?} contains the control character {c:?}, which would end the line on the device"
        )),
        None => Ok(()),
    }
}

/// An absolute path on a device (it is shell-quoted there, so only control characters and
/// relative forms are refused).
pub fn check_absolute_path(text: &str) -> Result<(), String> {
    check_no_control(text)?;
    if !text.starts_with('/') {
        return Err(format!("{text:?} is not an absolute path"));
    }
    Ok(())
}

/// A command line the user gives for a device's shell: one line, not empty.
pub fn check_command_line(text: &str) -> Result<(), String> {
    check_no_control(text)?;
    if text.trim().is_empty() {
        return Err("the command must not be empty".into());
    }
    Ok(())
}

/// A name that is one token on a device's command line and in import IDs: 1 to `max` letters,
/// digits, `.`, `_` or `-`.
pub fn check_word(name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > max {
        return Err(format!(
            "must be at most {max} characters, got {}",
            name.len()
        ));
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        Some(c) => Err(format!(
            "must contain only letters, digits, '.', '_' and '-'; {c:?} is not allowed"
        )),
        None => Ok(()),
    }
}

/// A login name for SSH or the MMP: 1 to 64 letters, digits, `_`, `.`, `-` or `@`, not starting
/// with `-` (it would read as an option).
pub fn check_login_name(text: &str) -> Result<(), String> {
    if text.is_empty() || text.len() > 64 {
        return Err(format!("{text:?} must be 1 to 64 characters"));
    }
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@')))
    {
        return Err(format!(
            "{text:?} contains {c:?}: a login name has only letters, digits, '_', '.', '-' and '@'"
        ));
    }
    if text.starts_with('-') {
        return Err(format!("{text:?} must not start with '-'"));
    }
    Ok(())
}

/// An IPv4/IPv6 address or a DNS host name.
pub fn check_host(text: &str) -> Result<(), String> {
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let looks_numeric = text
        .split('.')
        .all(|l| l.chars().all(|c| c.is_ascii_digit()));
    if text.is_empty()
        || text.len() > 253
        || looks_numeric
        || !text.trim_end_matches('.').split('.').all(valid_label)
    {
        return Err(format!(
            "{text:?} is neither an IP address nor a valid host name"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_strictly() {
        let ok = |t: &str| parse_endpoint(t).unwrap();
        assert_eq!(ok("10.0.0.1"), ("10.0.0.1".into(), None));
        assert_eq!(
            ok("cms1.example.com:2222"),
            ("cms1.example.com".into(), Some(2222))
        );
        assert_eq!(ok("[::1]:22"), ("::1".into(), Some(22)));
        assert_eq!(ok("[::1]"), ("::1".into(), None));
        assert_eq!(ok("fe80::1"), ("fe80::1".into(), None));
        for bad in [
            "[::1]junk",
            "[::1]:22x",
            "[::1:22",
            "[cms1]:22",
            "10.0.0.1:",
            "10.0.0.1:0",
            "10.0.0.1:65536",
            "10.0.0.1:+22",
            "10.0.0.1: 22",
            "",
            "bad host:22",
            "host\n:22",
        ] {
            assert!(parse_endpoint(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn line_breaking_values_are_refused() {
        assert!(check_no_control("ok value").is_ok());
        for bad in ["a\nb", "a\rb", "a\0b", "tab\there"] {
            assert!(check_no_control(bad).is_err(), "{bad:?}");
        }
        assert!(check_absolute_path("/etc/my.cnf").is_ok());
        assert!(check_absolute_path("etc/my.cnf").is_err());
        assert!(check_absolute_path("/etc/my.cnf\n[mysqld]").is_err());
        assert!(check_command_line("service mysqld restart").is_ok());
        assert!(check_command_line("service mysqld restart\nreboot").is_err());
        assert!(check_command_line("  ").is_err());
    }

    #[test]
    fn login_names() {
        for ok in ["admin", "root", "svc_uc-1", "ops@corp.example"] {
            assert!(check_login_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "root\nx",
            "-oProxyCommand=x",
            "a b",
            "a;b",
            "a'b",
            &"x".repeat(65),
        ] {
            assert!(check_login_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ports() {
        assert!(check_port(1).is_ok() && check_port(65535).is_ok());
        assert!(check_port(0).is_err() && check_port(70000).is_err() && check_port(-1).is_err());
        assert_eq!(parse_port("3306"), Ok(3306));
    }

    #[test]
    fn hosts() {
        assert!(check_host("127.0.0.1").is_ok());
        assert!(check_host("::1").is_ok());
        assert!(check_host("cms1.example.com").is_ok());
        assert!(check_host("256.1.1.1").is_err());
        assert!(check_host("bad host").is_err());
        assert!(check_host("").is_err());
        assert!(check_host("-x.example").is_err());
    }
}
