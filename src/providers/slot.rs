//! What providers share: the slot a provider type fills at configure and its resources and
//! data sources read at plan and apply, the environment fallbacks of their attributes, and
//! their `<id>=<value>` override lists.

use std::sync::{Arc, Mutex};
use tf_provider::value::{ValueList, ValueString};
use tf_provider::{AttributePath, Diagnostics};

/// The table `read` makes of the entries of the override list `attribute` (`key_overrides`,
/// `sql_overrides`, `fact_overrides`); its error is reported at the attribute under `summary`.
pub fn overrides<T>(
    list: &ValueList<ValueString<'_>>,
    attribute: &'static str,
    summary: &'static str,
    diags: &mut Diagnostics,
    read: impl FnOnce(&[&str]) -> Result<T, String>,
) -> Option<T> {
    let entries: Vec<&str> = list
        .as_ref_option()
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_ref_option().map(|s| &**s))
                .collect()
        })
        .unwrap_or_default();
    read(&entries)
        .map_err(|e| diags.error(summary, e, AttributePath::new(attribute)))
        .ok()
}

/// The configured provider (`T`: `Cgp`, `Imp`), once `configure` has run.
pub struct Slot<T> {
    /// The provider type's name, for the error of an unconfigured block.
    provider: &'static str,
    value: Mutex<Option<Arc<T>>>,
}

impl<T> Slot<T> {
    pub fn new(provider: &'static str) -> Self {
        Slot {
            provider,
            value: Mutex::new(None),
        }
    }

    pub fn fill(&self, value: T) {
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(value));
    }

    /// The configured provider, or an error: the block's own errors said why not.
    pub fn get(&self, diags: &mut Diagnostics) -> Option<Arc<T>> {
        let got = self.value.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if got.is_none() {
            diags.root_error(
                "Provider not configured",
                format!(
                    "the {} provider block has no usable credentials (see the errors above)",
                    self.provider
                ),
            );
        }
        got
    }
}

/// An environment variable's value, unless unset or empty.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
