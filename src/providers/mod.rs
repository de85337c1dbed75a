//! The five provider types. Each has its own provider block; all are built from this crate.

pub mod cgp;
pub mod imp;
pub mod lb;
pub mod slot;
pub mod ssh_device;
pub mod ssh_settings;
pub mod tls_trust;

use crate::client::Devices;
use crate::devices::cms::prompt::MmpPrompt;
use crate::resources::adapter::Adapted;
use crate::resources::cms_callbridge_cluster::CallbridgeClusterResource;
use crate::resources::cms_callbridge_xmpp::CallbridgeXmppResource;
use crate::resources::cms_database_cluster::DatabaseClusterResource;
use crate::resources::cms_mmp_user::MmpUserResource;
use crate::resources::cms_node_services::NodeServicesResource;
use crate::resources::cms_webbridge::WebBridgeResource;
use crate::resources::cms_xmpp_callbridge::XmppCallbridgeResource;
use crate::resources::cms_xmpp_cluster::XmppClusterResource;
use crate::resources::xop_replication_member::ReplicationMemberResource;
use ssh_device::SshDeviceProvider;
use std::collections::HashMap;
use std::sync::Arc;
use tf_provider::{DynamicProvider, DynamicResource};

fn resource(r: impl DynamicResource + 'static) -> Box<dyn DynamicResource> {
    Box::new(r)
}

fn xop_resources(devices: &Arc<Devices>) -> HashMap<String, Box<dyn DynamicResource>> {
    HashMap::from([(
        "replication_member".to_string(),
        resource(Adapted(ReplicationMemberResource::new(devices.clone()))),
    )])
}

fn cms_resources(devices: &Arc<Devices>) -> HashMap<String, Box<dyn DynamicResource>> {
    HashMap::from([
        (
            "xmpp_callbridge".to_string(),
            resource(Adapted(XmppCallbridgeResource::new(devices.clone()))),
        ),
        (
            "database_cluster".to_string(),
            resource(Adapted(DatabaseClusterResource::new(devices.clone()))),
        ),
        (
            "xmpp_cluster".to_string(),
            resource(Adapted(XmppClusterResource::new(devices.clone()))),
        ),
        (
            "node_services".to_string(),
            resource(Adapted(NodeServicesResource::new(devices.clone()))),
        ),
        (
            "callbridge_cluster".to_string(),
            resource(Adapted(CallbridgeClusterResource::new(devices.clone()))),
        ),
        (
            "callbridge_xmpp".to_string(),
            resource(Adapted(CallbridgeXmppResource::new(devices.clone()))),
        ),
        (
            "webbridge".to_string(),
            resource(Adapted(WebBridgeResource::new(devices.clone()))),
        ),
        (
            "mmp_user".to_string(),
            resource(Adapted(MmpUserResource::new(devices.clone()))),
        ),
    ])
}

/// Every provider type uccluster ships, in documentation order.
pub const PROVIDER_TYPES: &[&str] = &["cms", "xop", "imp", "cgp", "lb"];

/// A fresh provider of type `type_name` (`cms`, `xop`, ...).
pub fn provider_for(type_name: &str) -> Option<Box<dyn DynamicProvider>> {
    match type_name {
        "cms" => Some(Box::new(SshDeviceProvider::new(
            &MmpPrompt,
            "CMS",
            "Meeting Server",
            "Cisco Meeting Server clusters, configured through each node's MMP (SSH command line) and, for the Call Bridge cluster, the Call Bridges' XMPP connections and the Web Bridges, each node's REST API (Web Admin, HTTPS).",
            cms_resources,
        ).with_rest_api().with_fact_overrides())),
        "xop" => Some(Box::new(SshDeviceProvider::new(
            // XOP servers are reached by exec and SQL; no interactive shell is opened.
            &MmpPrompt,
            "XOP",
            "XOP Networks server",
            "XOP Networks servers made highly available by MySQL/MariaDB replication: my.cnf and MySQL restarts over SSH, replication over the MySQL protocol.",
            xop_resources,
        ).with_sql_admin())),
        "imp" => Some(Box::new(imp::ImpProvider::new())),
        "cgp" => Some(Box::new(cgp::CgpProvider::new())),
        "lb" => Some(Box::new(lb::LbProvider::new())),
        _ => None,
    }
}
