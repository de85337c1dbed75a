//! Go-style duration strings ("90s", "5m", "1h30m"), the form Terraform users write in `timeouts`.
//!
//! Parsing uses checked arithmetic and every use names its bounds, so no configured or stored text
//! can overflow (or later push an `Instant` past its range): out-of-range values are refused.

use std::time::Duration;

/// The durations an attribute accepts, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DurationBounds {
    pub min: Duration,
    pub max: Duration,
}

impl DurationBounds {
    pub const fn secs(min: u64, max: u64) -> DurationBounds {
        DurationBounds {
            min: Duration::from_secs(min),
            max: Duration::from_secs(max),
        }
    }
}

/// Bounds of every `timeouts` entry: at least a second, at most a week.
pub const OPERATION_TIMEOUT: DurationBounds = DurationBounds::secs(1, 7 * 24 * 3600);

/// Parse a duration such as `30s`, `5m`, `1h30m` or `500ms` that lies within `bounds`.
pub fn parse_duration(text: &str, bounds: DurationBounds) -> Result<Duration, String> {
    let total = parse_unbounded(text)?;
    if total < bounds.min || total > bounds.max {
        return Err(format!(
            "duration {text:?} is out of range: it must be between {} and {}",
            display(bounds.min),
            display(bounds.max)
        ));
    }
    Ok(total)
}

fn parse_unbounded(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a duration must not be empty (examples: \"30s\", \"5m\", \"1h30m\")".into());
    }
    let too_large = || format!("invalid duration {text:?}: too large");
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "invalid duration {text:?}: expected a number at {rest:?}"
            ));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| too_large())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match &rest[..unit_len] {
            "ms" => Some(Duration::from_millis(number)),
            "s" => Some(Duration::from_secs(number)),
            "m" => number.checked_mul(60).map(Duration::from_secs),
            "h" => number.checked_mul(3600).map(Duration::from_secs),
            other => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {other:?} (use ms, s, m or h)"
                ))
            }
        };
        total = part
            .and_then(|p| total.checked_add(p))
            .ok_or_else(too_large)?;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

/// `90s` → "1m30s", the way users write it.
fn display(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out += &format!("{h}h");
    }
    if m > 0 {
        out += &format!("{m}m");
    }
    if s > 0 || out.is_empty() {
        out += &format!("{s}s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: DurationBounds = DurationBounds {
        min: Duration::ZERO,
        max: Duration::MAX,
    };

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse_duration("30s", ANY), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m", ANY), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m", ANY), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms", ANY), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_duration("", ANY).is_err());
        assert!(parse_duration("10", ANY)
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("m5", ANY).is_err());
        assert!(parse_duration("5d", ANY).unwrap_err().contains("\"d\""));
    }

    /// Each of these once panicked or overflowed; all are errors now, never panics.
    #[test]
    fn overflowing_parts_are_refused_without_panicking() {
        for text in [
            "18446744073709551615s1s",
            "18446744073709551615s18446744073709551615s",
            "9999999999999999999h",
            "18446744073709551615m",
            "99999999999999999999s",
            "18446744073709551615ms18446744073709551615s",
        ] {
            let e = parse_duration(text, ANY).unwrap_err();
            assert!(e.contains("too large"), "{text}: {e}");
        }
    }

    #[test]
    fn operation_timeouts_are_bounded() {
        let e = parse_duration("0s", OPERATION_TIMEOUT).unwrap_err();
        assert!(e.contains("between 1s and 168h"), "{e}");
        assert!(parse_duration("500ms", OPERATION_TIMEOUT).is_err());
        assert!(parse_duration("9999999999999999999s", OPERATION_TIMEOUT).is_err());
        assert!(parse_duration("169h", OPERATION_TIMEOUT).is_err());
        assert_eq!(
            parse_duration("168h", OPERATION_TIMEOUT),
            Ok(Duration::from_secs(604800))
        );
        assert_eq!(
            parse_duration("1s", OPERATION_TIMEOUT),
            Ok(Duration::from_secs(1))
        );
    }

    #[test]
    fn bounds_read_as_written() {
        assert_eq!(display(Duration::from_secs(90)), "1m30s");
        assert_eq!(display(Duration::from_secs(3600)), "1h");
        assert_eq!(display(Duration::from_millis(500)), "500ms");
    }
}
