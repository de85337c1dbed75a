//! Reading and writing tf-provider string values, shared by the resources.

use tf_provider::value::{Value, ValueString};

/// The text of a known, non-null value.
pub fn text(v: &ValueString<'_>) -> Option<String> {
    v.as_ref_option().map(|s| s.to_string())
}

/// A known string value.
pub fn known<T: Into<String>>(v: T) -> ValueString<'static> {
    Value::Value(v.into().into())
}
