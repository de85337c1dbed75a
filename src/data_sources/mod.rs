//! Data sources: read-only answers computed from configuration (and, for some, from devices).
//! Each has the folder shape of a resource: `attributes.rs` (its declaration, see
//! [`crate::resources::spec`]) and `mod.rs`.

pub mod cgp_member_settings;
pub mod imp_database_tables;
pub mod lb_config;
