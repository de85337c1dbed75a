//! The conventional `timeouts { create = "10m" ... }` block for slow device operations, and
//! the deadlines steps run under.

use crate::duration::{parse_duration, OPERATION_TIMEOUT};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tf_provider::schema::{AttributeType, Block, Description, NestedBlock};
use tf_provider::value::{Value, ValueString};
use tf_provider::{AttributePath, Diagnostics};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Timeouts<'a> {
    pub create: ValueString<'a>,
    pub read: ValueString<'a>,
    pub update: ValueString<'a>,
    pub delete: ValueString<'a>,
}

/// Schema of the block, with each operation's default in its description.
pub fn timeouts_block(defaults: &[(Operation, Duration)]) -> NestedBlock {
    let attributes = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Delete,
    ]
    .into_iter()
    .map(|op| {
        let default = defaults
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, d)| d.as_secs())
            .unwrap_or(0);
        let text = format!(
            "How long the {} may take, as a duration like `30s`, `5m` or `1h` (from `1s` to `168h`). Default `{}s`.",
            op.name(),
            default
        );
        (
            op.name().to_string(),
            crate::schema_attrs::optional(AttributeType::String, &text),
        )
    })
    .collect();
    NestedBlock::Optional(Block {
        attributes,
        description: Description::markdown("Time limits for the slow operations on the devices."),
        ..Default::default()
    })
}

impl Timeouts<'_> {
    fn value(&self, op: Operation) -> &ValueString<'_> {
        match op {
            Operation::Create => &self.create,
            Operation::Read => &self.read,
            Operation::Update => &self.update,
            Operation::Delete => &self.delete,
        }
    }

    /// Report malformed durations at `timeouts.<op>`.
    pub fn validate(&self, diags: &mut Diagnostics) {
        for op in [
            Operation::Create,
            Operation::Read,
            Operation::Update,
            Operation::Delete,
        ] {
            if let Value::Value(text) = self.value(op) {
                if let Err(e) = parse_duration(text, OPERATION_TIMEOUT) {
                    diags.error(
                        "Invalid timeout",
                        e,
                        AttributePath::new("timeouts").index(0).attribute(op.name()),
                    );
                }
            }
        }
    }
}

/// The limit for `op`: the configured one, else `default`.
pub fn limit(timeouts: &Value<Timeouts<'_>>, op: Operation, default: Duration) -> Duration {
    timeouts
        .as_ref_option()
        .and_then(|t| {
            t.value(op)
                .as_ref_option()
                .and_then(|text| parse_duration(text, OPERATION_TIMEOUT).ok())
        })
        .unwrap_or(default)
}

/// The deadline of an import's read (an import has no `timeouts` of its own).
pub fn import_deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(120)
}

/// `work`, or an error naming `what` when `deadline` passes first.
pub async fn before<T>(
    deadline: tokio::time::Instant,
    what: &str,
    work: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout_at(deadline, work)
        .await
        .unwrap_or_else(|_| Err(format!("{what}: the timeout passed")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_value_wins_over_default() {
        let t = Value::Value(Timeouts {
            create: Value::Value("90s".into()),
            ..Default::default()
        });
        assert_eq!(
            limit(&t, Operation::Create, Duration::from_secs(5)),
            Duration::from_secs(90)
        );
        assert_eq!(
            limit(&t, Operation::Delete, Duration::from_secs(5)),
            Duration::from_secs(5)
        );
        assert_eq!(
            limit(&Value::Null, Operation::Read, Duration::from_secs(7)),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn malformed_and_out_of_range_durations_are_reported() {
        let t = Timeouts {
            create: Value::Value("0s".into()),
            read: Value::Value("18446744073709551615s1s".into()),
            update: Value::Value("soon".into()),
            delete: Value::Value("9999999999999999999s".into()),
        };
        let mut diags = Diagnostics::default();
        t.validate(&mut diags);
        assert_eq!(diags.errors.len(), 4);
    }

    /// A value that slipped into state unchecked falls back to the default instead of overflowing
    /// the deadline computed from it.
    #[test]
    fn out_of_range_value_in_state_uses_the_default() {
        let t = Value::Value(Timeouts {
            create: Value::Value("9999999999999999999s".into()),
            ..Default::default()
        });
        let d = limit(&t, Operation::Create, Duration::from_secs(5));
        assert_eq!(d, Duration::from_secs(5));
        let _ = std::time::Instant::now() + d;
    }
}
