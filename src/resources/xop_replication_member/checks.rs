//! Plan-time checks of `xop_replication_member` attributes: each attribute's own grammar comes
//! from its declaration ([`SPEC`]); relations between attributes (role, offsets, the primary
//! block) are checked in the resource's `validate`.

use super::attributes::SPEC;
use super::state::MemberState;
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

/// Every attribute's own grammar, reported at its path (an import ID's settings).
pub fn check_attributes(config: &MemberState<'_>, diags: &mut Diagnostics) {
    SPEC.check(config, diags);
    check_primary_address(config, diags);
}

/// The primary block names its MySQL (the block is optional, its address is not).
pub fn check_primary_address(config: &MemberState<'_>, diags: &mut Diagnostics) {
    if let Value::Value(primary) = &config.primary {
        if primary.address.is_null() {
            diags.error(
                "Missing primary address",
                "primary.address: a secondary needs the address of its primary's MySQL",
                AttributePath::new("primary").index(0).attribute("address"),
            );
        }
    }
}
