//! Structured logs to stderr in the JSON line format of HashiCorp's `hclog`.
//!
//! Terraform's plugin client (go-plugin) parses each stderr line of a provider as hclog JSON
//! (`@level`, `@message`, `@module` and extra fields) and re-emits it under `TF_LOG` with the right
//! level, so `TF_LOG=DEBUG terraform apply` shows our events as
//! `[DEBUG] provider.terraform-provider-cms: running command: device=... command=...`.
//! Every field value passes through [`crate::secrets::mask`] before it is JSON-encoded, and
//! every line after.

use std::fmt::Write as _;
use std::io::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Install the stderr logger for a provider process. The level comes from `TF_LOG_PROVIDER`, then
/// `TF_LOG` (Terraform hands its environment to plugins), and defaults to `info`; Terraform itself
/// filters what it shows.
pub fn init(module: &'static str) {
    let level = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .ok()
        .and_then(|l| parse_level(&l))
        .unwrap_or(Level::INFO);
    let layer = HclogLayer { module, max: level };
    // tf-provider installs its own subscriber when PLUGIN_LOG_FILE is set; keep that one then.
    if std::env::var_os("PLUGIN_LOG_FILE").is_none() {
        let _ = tracing_subscriber::registry().with(layer).try_init();
    }
}

fn parse_level(text: &str) -> Option<Level> {
    match text.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => Some(Level::TRACE),
        "DEBUG" => Some(Level::DEBUG),
        "INFO" => Some(Level::INFO),
        "WARN" => Some(Level::WARN),
        "ERROR" => Some(Level::ERROR),
        _ => None,
    }
}

struct HclogLayer {
    module: &'static str,
    max: Level,
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        // Our own crate only: tonic/h2 internals at DEBUG would drown the useful lines.
        *metadata.level() <= self.max && metadata.target().starts_with("uccluster")
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let line = format_line(self.module, event);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

fn format_line(module: &str, event: &Event<'_>) -> String {
    let mut visitor = JsonFields::default();
    event.record(&mut visitor);
    let level = event.metadata().level().as_str().to_ascii_lowercase();
    let mut line = format!(
        "{{\"@level\":{},\"@message\":{},\"@module\":{},\"@timestamp\":{}",
        json_string(&level),
        json_string(&crate::secrets::mask(&visitor.message)),
        json_string(module),
        json_string(&timestamp(std::time::SystemTime::now()))
    );
    for (name, value) in &visitor.fields {
        // Masked before JSON encoding (an escaped secret inside an escaped value would not
        // match any registered form), and the whole line again after it.
        let _ = write!(
            line,
            ",{}:{}",
            json_string(name),
            json_string(&crate::secrets::mask(value))
        );
    }
    line.push('}');
    crate::secrets::mask(&line)
}

/// RFC 3339 UTC with microseconds, the layout go-plugin parses `@timestamp` with
/// (`2006-01-02T15:04:05.000000Z07:00`); without it Terraform shows a zero time.
fn timestamp(now: std::time::SystemTime) -> String {
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_micros()
    )
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[derive(Default)]
struct JsonFields {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for JsonFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.push(field, format!("{value:?}"));
    }
}

impl JsonFields {
    fn push(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.fields.push((field.name().to_string(), value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Capture(Arc<Mutex<Vec<String>>>);
    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
            self.0
                .lock()
                .unwrap()
                .push(format_line("provider.test", event));
        }
    }

    #[test]
    fn lines_are_hclog_json_with_secrets_masked() {
        crate::secrets::register("hunter2-secret");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(device = "cms1", "login with hunter2-secret failed");
        });
        let line = lines.lock().unwrap()[0].clone();
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "warn");
        assert_eq!(parsed["@message"], "login with *** failed");
        assert_eq!(parsed["@module"], "provider.test");
        assert_eq!(parsed["device"], "cms1");
    }

    /// A field carrying a secret inside a quoted command (shell- or SQL-escaped) is masked
    /// before JSON escapes it a second time.
    #[test]
    fn escaped_secrets_in_fields_are_masked() {
        let secret = r#"lg'pw"\x$y"#;
        crate::secrets::register(secret);
        let shell = crate::devices::shell::shell_quote(secret);
        let sql = crate::devices::xop::replication::create_user_sql("repl", "%", secret);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let command = format!("MYSQL_PWD={shell} mysqldump");
            tracing::debug!(command = %command, statement = %sql, "exec");
        });
        let line = lines.lock().unwrap()[0].clone();
        assert!(!line.contains("lg") && !line.contains("x$y"), "{line}");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["command"], "MYSQL_PWD='***' mysqldump");
    }

    #[test]
    fn timestamps_in_go_plugin_layout() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_micros(1_795_000_000_123_456);
        assert_eq!(timestamp(t), "2026-11-18T11:06:40.123456Z");
        assert_eq!(
            timestamp(std::time::UNIX_EPOCH),
            "1970-01-01T00:00:00.000000Z"
        );
        let leap = std::time::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000000Z");
    }

    #[test]
    fn level_names_follow_tf_log() {
        assert_eq!(parse_level("debug"), Some(Level::DEBUG));
        assert_eq!(parse_level("JSON"), Some(Level::TRACE));
        assert_eq!(parse_level("off"), None);
    }
}
