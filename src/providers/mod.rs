//! The five provider types. Each has its own provider block; all are built from this crate.

pub mod cms;
pub mod empty;
pub mod ssh_settings;

use tf_provider::DynamicProvider;

/// Every provider type uccluster ships, in documentation order.
pub const PROVIDER_TYPES: &[&str] = &["cms", "xop", "imp", "cgp", "lb"];

/// A fresh provider of type `type_name` (`cms`, `xop`, ...).
pub fn provider_for(type_name: &str) -> Option<Box<dyn DynamicProvider>> {
    match type_name {
        "cms" => Some(Box::new(cms::CmsProvider::default())),
        "xop" => Some(Box::new(empty::EmptyProvider::new(
            "XOP Networks servers (MySQL replication HA)",
        ))),
        "imp" => Some(Box::new(empty::EmptyProvider::new(
            "Cisco IM and Presence intercluster peering",
        ))),
        "cgp" => Some(Box::new(empty::EmptyProvider::new(
            "CommuniGate Pro SIP farms",
        ))),
        "lb" => Some(Box::new(empty::EmptyProvider::new(
            "load balancers in front of UC clusters",
        ))),
        _ => None,
    }
}
