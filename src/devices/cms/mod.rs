//! Cisco Meeting Server MMP (the SSH command line of CMS).

pub mod database_cluster;
pub mod facts;
pub mod mmp_output;
pub mod prompt;
pub mod rest;
pub mod services;
pub mod users;
pub mod xmpp_callbridge;
pub mod xmpp_cluster;
