//! SSH connections on russh: connect with a timeout, verify the host key, authenticate.

use super::host_key::HostKeyPolicy;
use super::TransportError;
use russh::client;
use russh::keys::PublicKeyOrCertificate;
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Credentials for one login. Secret material is registered with [`crate::secrets`] by whoever
/// builds this from configuration.
#[derive(Clone)]
pub enum SshAuth {
    Password(String),
    PrivateKey {
        key: String,
        passphrase: Option<String>,
    },
}

/// Everything needed to reach one device over SSH.
#[derive(Clone)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub auth: SshAuth,
    pub host_key: HostKeyPolicy,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
}

impl SshTarget {
    /// `host:port`, the name used in messages and as the pool key (with the user).
    pub fn endpoint(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn pool_key(&self) -> String {
        format!("{}@{}", self.username, self.endpoint())
    }
}

impl super::pool::PoolTarget for SshTarget {
    fn pool_key(&self) -> String {
        SshTarget::pool_key(self)
    }

    fn endpoint(&self) -> String {
        SshTarget::endpoint(self)
    }
}

/// russh callback object: checks the server key against the policy and keeps the reason when it
/// does not match, because russh itself only reports "unknown key".
pub struct HostKeyCheck {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
    rejection: Arc<Mutex<Option<String>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let key: PublicKey = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => PublicKey::from(cert.public_key().clone()),
        };
        match self.policy.verify(&self.host, self.port, &key) {
            Ok(()) => Ok(true),
            Err(reason) => {
                *self.rejection.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
                Ok(false)
            }
        }
    }
}

pub type SshHandle = client::Handle<HostKeyCheck>;

/// Connect, verify the host key and log in.
pub async fn connect(target: &SshTarget) -> Result<SshHandle, TransportError> {
    let endpoint = target.endpoint();
    let rejection = Arc::new(Mutex::new(None));
    let handler = HostKeyCheck {
        host: target.host.clone(),
        port: target.port,
        policy: target.host_key.clone(),
        rejection: rejection.clone(),
    };
    let config = Arc::new(client::Config {
        keepalive_interval: Some(Duration::from_secs(30)),
        // Interactive exchanges of small packets: Nagle plus delayed ACKs added ~40 ms to logins
        // (measured by `make bench`).
        nodelay: true,
        ..Default::default()
    });
    tracing::debug!(endpoint = %endpoint, user = %target.username, "connecting");
    let connecting = client::connect(config, (target.host.as_str(), target.port), handler);
    let mut handle = match tokio::time::timeout(target.connect_timeout, connecting).await {
        Err(_) => {
            return Err(TransportError::Connect {
                endpoint,
                message: format!(
                    "no SSH handshake within {}s",
                    target.connect_timeout.as_secs_f32()
                ),
            })
        }
        Ok(Err(e)) => {
            if let Some(reason) = rejection.lock().unwrap_or_else(|e| e.into_inner()).take() {
                return Err(TransportError::HostKey {
                    endpoint,
                    message: reason,
                });
            }
            return Err(TransportError::Connect {
                endpoint,
                message: e.to_string(),
            });
        }
        Ok(Ok(handle)) => handle,
    };
    let login = authenticate(&mut handle, target);
    let accepted = tokio::time::timeout(target.connect_timeout, login)
        .await
        .map_err(|_| TransportError::Connect {
            endpoint: endpoint.clone(),
            message: "no answer to the login within the connect timeout".into(),
        })??;
    if !accepted {
        return Err(TransportError::Auth {
            endpoint,
            username: target.username.clone(),
            hint: "check username, password or private_key".into(),
        });
    }
    tracing::debug!(endpoint = %endpoint, "logged in");
    Ok(handle)
}

async fn authenticate(handle: &mut SshHandle, target: &SshTarget) -> Result<bool, TransportError> {
    let endpoint = target.endpoint();
    let failed = |e: russh::Error| TransportError::Connect {
        endpoint: endpoint.clone(),
        message: format!("login failed: {e}"),
    };
    let result = match &target.auth {
        SshAuth::Password(password) => handle
            .authenticate_password(target.username.clone(), password.clone())
            .await
            .map_err(failed)?,
        SshAuth::PrivateKey { key, passphrase } => {
            let key = russh::keys::decode_secret_key(key, passphrase.as_deref()).map_err(|e| {
                TransportError::Connect {
                    endpoint: endpoint.clone(),
                    message: format!("cannot use private_key: {e}"),
                }
            })?;
            let hash = handle
                .best_supported_rsa_hash()
                .await
                .map_err(failed)?
                .flatten();
            handle
                .authenticate_publickey(
                    target.username.clone(),
                    PrivateKeyWithHashAlg::new(Arc::new(key), hash),
                )
                .await
                .map_err(failed)?
        }
    };
    Ok(result.success())
}
