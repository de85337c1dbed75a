//! One folder per resource, the same files for the same roles: `attributes.rs` (the declaration
//! of every attribute, see [`spec`]), `mod.rs` (the [`adapter::DeviceResource`] hooks: plan,
//! observe, refuse, converge, delete, import; the house rules around them are the adapter's),
//! `steps.rs` where the procedure is long (each step checks before it acts, so a re-run after a
//! failure finishes the job instead of repeating it), `state.rs` and `import.rs` where they are
//! large.

pub mod adapter;
pub mod api_node;
pub mod cgp_sip_farm;
pub mod cms_callbridge_cluster;
pub mod cms_callbridge_xmpp;
pub mod cms_database_cluster;
pub mod cms_mmp_user;
pub mod cms_node_services;
pub mod cms_webbridge;
pub mod cms_xmpp_callbridge;
pub mod cms_xmpp_cluster;
pub mod image;
pub mod imp_intercluster_peer;
pub mod import_id;
pub mod lb_virtual_server;
pub mod mmp_command;
pub mod node_checks;
pub mod node_connection;
pub mod spec;
pub mod step;
pub mod values;
pub mod xop_replication_member;
