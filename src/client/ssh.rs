//! The SSH settings of a provider block, and how a node's overrides combine with them into a
//! concrete [`SshTarget`].

use crate::transport::host_key::HostKeyPolicy;
use crate::transport::ssh::{SshAuth, SshTarget};
use std::path::PathBuf;
use std::time::Duration;

/// Per-node connection overrides written in a resource.
#[derive(Clone, Debug, Default)]
pub struct NodeConnection {
    pub address: String,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub host_key_fingerprint: Option<String>,
}

/// The provider's SSH settings after `configure`.
#[derive(Clone, Debug)]
pub struct SshSettings {
    pub username: String,
    pub password: Option<String>,
    pub private_key: Option<(String, Option<String>)>,
    pub port: u16,
    pub known_hosts_file: PathBuf,
    pub insecure_skip_host_key_check: bool,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
}

impl SshSettings {
    /// The concrete target for one node: its overrides first, then these settings.
    pub fn target(&self, node: &NodeConnection) -> Result<SshTarget, String> {
        let auth = match (&node.password, &self.private_key, &self.password) {
            (Some(p), _, _) => SshAuth::Password(p.clone()),
            (None, Some((key, passphrase)), _) => SshAuth::PrivateKey {
                key: key.clone(),
                passphrase: passphrase.clone(),
            },
            (None, None, Some(p)) => SshAuth::Password(p.clone()),
            (None, None, None) => {
                return Err(format!(
                    "no credentials for {}: set password or private_key in the provider block, or password on the node",
                    node.address
                ))
            }
        };
        let host_key = match (
            &node.host_key_fingerprint,
            self.insecure_skip_host_key_check,
        ) {
            (Some(f), _) => HostKeyPolicy::Pinned(f.clone()),
            (None, true) => HostKeyPolicy::InsecureSkip,
            (None, false) => HostKeyPolicy::KnownHosts(self.known_hosts_file.clone()),
        };
        Ok(SshTarget {
            host: node.address.clone(),
            port: node.port.unwrap_or(self.port),
            username: node
                .username
                .clone()
                .unwrap_or_else(|| self.username.clone()),
            auth,
            host_key,
            connect_timeout: self.connect_timeout,
            command_timeout: self.command_timeout,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn settings() -> SshSettings {
        SshSettings {
            username: "admin".into(),
            password: Some("pw-default".into()),
            private_key: None,
            port: 22,
            known_hosts_file: "/kh".into(),
            insecure_skip_host_key_check: false,
            connect_timeout: Duration::from_secs(15),
            command_timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn node_overrides_win() {
        let node = NodeConnection {
            address: "10.0.0.1".into(),
            port: Some(2222),
            username: Some("ops".into()),
            password: None,
            host_key_fingerprint: Some("SHA256:abc".into()),
        };
        let t = settings().target(&node).unwrap();
        assert_eq!((t.port, t.username.as_str()), (2222, "ops"));
        assert_eq!(t.host_key, HostKeyPolicy::Pinned("SHA256:abc".into()));
        let plain = settings()
            .target(&NodeConnection {
                address: "h".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(plain.host_key, HostKeyPolicy::KnownHosts("/kh".into()));
        assert_eq!(plain.port, 22);
    }

    #[test]
    fn missing_credentials_are_explained() {
        let s = SshSettings {
            password: None,
            ..settings()
        };
        let err = s
            .target(&NodeConnection {
                address: "h".into(),
                ..Default::default()
            })
            .err()
            .unwrap();
        assert!(err.contains("no credentials for h"));
    }
}
