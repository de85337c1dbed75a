//! The SQL settings of a provider block (the default admin account), and how an endpoint written
//! in a resource combines with them into a concrete [`MysqlTarget`].

use crate::transport::mysql::MysqlTarget;
use std::path::PathBuf;
use std::time::Duration;

/// The provider's SQL settings after `configure`.
#[derive(Clone, Debug)]
pub struct SqlSettings {
    pub admin_user: Option<String>,
    pub admin_password: Option<String>,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
}

/// A MySQL endpoint as a resource configures it.
#[derive(Clone, Debug, Default)]
pub struct SqlEndpoint {
    pub address: String,
    pub port: u16,
    pub admin_user: Option<String>,
    pub admin_password: Option<String>,
    pub tls_ca_file: Option<PathBuf>,
}

impl SqlSettings {
    /// The endpoint with its admin account: the endpoint's own, else the provider's.
    pub fn target(&self, endpoint: &SqlEndpoint) -> Result<MysqlTarget, String> {
        let (user, password) = match &endpoint.admin_user {
            Some(user) => (user.clone(), endpoint.admin_password.clone()),
            None => (
                self.admin_user.clone().ok_or_else(|| {
                    format!("no MySQL admin account for {}:{}: set admin_user and admin_password in the block, or mysql_admin_user and mysql_admin_password in the provider", endpoint.address, endpoint.port)
                })?,
                self.admin_password.clone(),
            ),
        };
        Ok(MysqlTarget {
            host: endpoint.address.clone(),
            port: endpoint.port,
            user,
            password: password.unwrap_or_default(),
            tls_ca_file: endpoint.tls_ca_file.clone(),
            connect_timeout: self.connect_timeout,
            statement_timeout: self.statement_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_account_from_the_endpoint_else_from_the_provider() {
        let endpoint = SqlEndpoint {
            address: "10.0.0.1".into(),
            port: 3307,
            ..Default::default()
        };
        let none = SqlSettings {
            admin_user: None,
            admin_password: None,
            connect_timeout: Duration::from_secs(15),
            statement_timeout: Duration::from_secs(60),
        };
        let e = none.target(&endpoint).unwrap_err();
        assert!(
            e.contains("no MySQL admin account for 10.0.0.1:3307"),
            "{e}"
        );
        let provider = SqlSettings {
            admin_user: Some("dbadmin".into()),
            admin_password: Some("pw".into()),
            ..none
        };
        let t = provider.target(&endpoint).unwrap();
        assert_eq!(
            (t.user.as_str(), t.password.as_str(), t.port),
            ("dbadmin", "pw", 3307)
        );
        let own = SqlEndpoint {
            admin_user: Some("root".into()),
            admin_password: Some("own".into()),
            ..endpoint
        };
        let t = provider.target(&own).unwrap();
        assert_eq!((t.user.as_str(), t.password.as_str()), ("root", "own"));
    }
}
