//! What providers share: the slot a provider type fills at configure and its resources and
//! data sources read at plan and apply, and the environment fallbacks of their attributes.

use std::sync::{Arc, Mutex};
use tf_provider::Diagnostics;

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
