//! MySQL/MariaDB protocol sessions (mysql_async, text protocol): one connection per server per
//! provider process; rows come back as column name → optional text, how admin statements such as
//! `SHOW SLAVE STATUS` are best read.

use super::pool::{DevicePool, PoolTarget, Session};
use super::tls::TrustPolicy;
use super::TransportError;
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder, SslOpts, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// One result row: column name → value as text (`None` for SQL NULL). `devices/` parses it.
pub type Row = BTreeMap<String, Option<String>>;

#[derive(Clone, Debug)]
pub struct MysqlTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// Verify the server's TLS certificate against this CA bundle; `None`: no TLS.
    pub tls_ca_file: Option<PathBuf>,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
}

impl MysqlTarget {
    pub fn endpoint(&self) -> String {
        format!("mysql://{}@{}:{}", self.user, self.host, self.port)
    }

    /// The trust policy of the connection: the CA file is the xop provider's `tls_ca_file`.
    fn trust(&self) -> Option<TrustPolicy> {
        self.tls_ca_file.clone().map(TrustPolicy::CaBundle)
    }
}

impl PoolTarget for MysqlTarget {
    /// Everything that shapes a connection: targets that differ in TLS or credentials never
    /// share one (a connection made with one CA must not serve a target that trusts another).
    fn pool_key(&self) -> String {
        format!(
            "{}\0{:?}\0{}",
            self.endpoint(),
            self.tls_ca_file,
            self.password
        )
    }

    fn endpoint(&self) -> String {
        MysqlTarget::endpoint(self)
    }
}

/// The certificate rejection (or unusable CA) inside a connect error, in rustls' words.
fn certificate_problem(e: &mysql_async::Error) -> Option<String> {
    match e {
        mysql_async::Error::Io(mysql_async::IoError::Io(io)) => super::tls::rustls_failure(io),
        mysql_async::Error::Io(mysql_async::IoError::Tls(tls)) => Some(tls.to_string()),
        _ => None,
    }
}

/// mysql_async's TLS options for `policy`. mysql_async builds its own rustls configuration from
/// roots and flags (it takes no verifier), so a policy that is not a set of roots is refused
/// here rather than weakened.
fn ssl_opts(policy: &TrustPolicy, endpoint: &str) -> Result<SslOpts, TransportError> {
    match policy {
        TrustPolicy::CaBundle(_) | TrustPolicy::SystemStore => {
            let roots = policy.roots(endpoint)?;
            // Only these roots: the bundled public roots would vouch for any public certificate.
            Ok(SslOpts::default()
                .with_root_certs(roots.into_iter().map(|der| der.to_vec().into()).collect())
                .with_disable_built_in_roots(true))
        }
        TrustPolicy::PinnedSha256(_) | TrustPolicy::InsecureAcceptAnyCertificate => {
            Err(TransportError::Certificate {
                endpoint: endpoint.to_string(),
                message: format!(
                    "{policy:?} is not available for MySQL connections; give a CA bundle"
                ),
            })
        }
    }
}

/// The innermost cause's text (mysql_async repeats "Input/output error:" for each layer).
fn innermost(e: &mysql_async::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// One connection per server (and TLS setting and credentials) per provider process.
pub type MysqlPool = DevicePool<Conn>;

/// A task's turn on one server's connection.
pub type MysqlSession<'a> = Session<'a, Conn, MysqlTarget>;

/// A new connection to `t`, with its TLS trust and the server's own words when it refuses.
async fn open(t: &MysqlTarget) -> Result<Conn, TransportError> {
    let mut opts = OptsBuilder::default()
        .ip_or_hostname(t.host.clone())
        .tcp_port(t.port)
        .user(Some(t.user.clone()))
        .pass(Some(t.password.clone()))
        .prefer_socket(false);
    if let Some(policy) = t.trust() {
        // Read here so a wrong path is named and not retried like a server that is down.
        opts = opts.ssl_opts(ssl_opts(&policy, &t.endpoint())?);
    }
    let connecting = Conn::new(opts);
    let conn = match tokio::time::timeout(t.connect_timeout, connecting).await {
        Err(_) => {
            return Err(TransportError::Connect {
                endpoint: t.endpoint(),
                message: "no answer within the connect timeout".into(),
            })
        }
        Ok(Err(mysql_async::Error::Server(e))) if e.code == 1045 => {
            let tls = match t.tls_ca_file {
                None => "; if the account requires TLS, set tls_ca_file",
                Some(_) => "",
            };
            return Err(TransportError::Auth {
                endpoint: t.endpoint(),
                username: t.user.clone(),
                hint: format!(
                    "ERROR {} ({}): {} (check the admin user and password{tls})",
                    e.code, e.state, e.message
                ),
            });
        }
        Ok(Err(e)) => {
            return Err(match certificate_problem(&e) {
                Some(message) => TransportError::Certificate {
                    endpoint: t.endpoint(),
                    message,
                },
                None => TransportError::Connect {
                    endpoint: t.endpoint(),
                    message: innermost(&e),
                },
            })
        }
        Ok(Ok(conn)) => conn,
    };
    Ok(conn)
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

impl MysqlSession<'_> {
    async fn conn(&mut self) -> Result<&mut Conn, TransportError> {
        let target = self.target;
        self.connection(|_| true, open(target)).await
    }

    /// Run `statement` and return its rows (empty for statements without a result set).
    pub async fn query(&mut self, statement: &str) -> Result<Vec<Row>, TransportError> {
        let endpoint = self.target.endpoint();
        let timeout = self.target.statement_timeout;
        tracing::debug!(endpoint = %endpoint, statement = %crate::secrets::mask(statement), "sql");
        let conn = self.conn().await?;
        let result =
            tokio::time::timeout(timeout, conn.query::<mysql_async::Row, _>(statement)).await;
        let failed = |message: String| TransportError::Sql {
            endpoint: endpoint.clone(),
            statement: statement.to_string(),
            message,
        };
        match result {
            Err(_) => {
                self.drop_connection();
                Err(TransportError::Timeout {
                    endpoint,
                    command: statement.to_string(),
                    after: timeout,
                    last_output: String::new(),
                })
            }
            Ok(Err(mysql_async::Error::Server(e))) => Err(failed(format!(
                "ERROR {} ({}): {}",
                e.code, e.state, e.message
            ))),
            Ok(Err(e)) => {
                self.drop_connection();
                tracing::debug!(error = %e, "mysql connection lost");
                Err(TransportError::ConnectionLost {
                    endpoint,
                    command: statement.to_string(),
                })
            }
            Ok(Ok(rows)) => Ok(rows
                .into_iter()
                .map(|row| {
                    let columns = row.columns();
                    columns
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.name_str().into_owned(), row.as_ref(i).and_then(text)))
                        .collect()
                })
                .collect()),
        }
    }

    pub async fn execute(&mut self, statement: &str) -> Result<(), TransportError> {
        self.query(statement).await.map(|_| ())
    }
}
