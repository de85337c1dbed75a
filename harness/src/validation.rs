//! Validation cases: configurations that `terraform validate` (which reaches no device) must
//! refuse with a given error at the attribute at fault.

use crate::protocol::in_step;
use crate::tf::Tf;

/// One configuration `terraform validate` must refuse.
pub struct Invalid<'a> {
    /// The whole `main.tf`.
    pub config: String,
    /// The error's summary and a text of its detail.
    pub summary: &'a str,
    pub detail: &'a str,
    /// A text of the configuration line Terraform quotes under the error (the attribute at
    /// fault); empty: only that Terraform points at a line.
    pub line: &'a str,
}

impl<'a> Invalid<'a> {
    /// The cases `(resource, summary, detail, line)`, each after the same `provider` blocks.
    pub fn after(
        provider: &str,
        cases: impl IntoIterator<Item = (String, &'a str, &'a str, &'a str)>,
    ) -> Vec<Invalid<'a>> {
        cases
            .into_iter()
            .map(|(resource, summary, detail, line)| Invalid {
                config: format!("{provider}\n{resource}"),
                summary,
                detail,
                line,
            })
            .collect()
    }
}

/// Each case is refused as [`assert_invalid`] says; `terraform init` runs once, on the first
/// case's configuration (they all use the same providers). A failure names its case.
pub async fn assert_all_invalid(tf: &Tf, cases: &[Invalid<'_>]) {
    let Some(first) = cases.first() else {
        return;
    };
    tf.write("main.tf", &first.config);
    tf.init().await;
    for (i, case) in cases.iter().enumerate() {
        in_step(
            &format!("validation case {} ({:?})", i + 1, case.summary),
            assert_invalid(tf, case),
        )
        .await;
    }
}

/// `terraform validate` refuses the case's configuration with its summary and detail, and the
/// error with that summary points at the configuration line that contains its `line`.
pub async fn assert_invalid(tf: &Tf, case: &Invalid<'_>) {
    let Invalid {
        config,
        summary,
        detail,
        line,
    } = case;
    tf.write("main.tf", config);
    let out = tf.run(&["validate", "-no-color"]).await;
    assert_eq!(out.code, 1, "{config}\n{}", out.all());
    let text = out.text();
    assert!(
        text.contains(summary) && text.contains(detail),
        "expected {summary:?} / {detail:?}:\n{}",
        out.all()
    );
    // The configuration line Terraform quotes under the error with this summary.
    let at_line = out
        .all()
        .lines()
        .skip_while(|l| !l.contains(&format!("Error: {summary}")))
        .skip_while(|l| !l.contains("on main.tf line"))
        .nth(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    assert!(
        !at_line.is_empty() && at_line.contains(line),
        "expected the error at {line:?}, got {at_line:?}:\n{}",
        out.all()
    );
}
