//! One file per resource: schema, validation, plan, create/read/update/delete, import. Each reads
//! like the operator's procedure, and each step checks before it acts, so a re-run after a
//! failure finishes the job instead of repeating it.

pub mod cms_database_cluster;
pub mod cms_xmpp_callbridge;
pub mod import_id;
pub mod mmp_command;
pub mod node_checks;
pub mod spec;
pub mod step;
pub mod values;
pub mod xop_replication_member;
