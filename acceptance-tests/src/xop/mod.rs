//! XOP server lab: real MariaDB server processes and one real OpenSSH sshd on
//! loopback, laid out like XOP Networks appliances (seed
//! `xop-mysql-replication-ha.txt`), for the `xop_replication_member` tests and
//! the demo.
//!
//! - [`Sshd`] (`sshd.rs`): one sshd per lab on 127.0.0.1; all appliances share it
//!   (they are all on this host), key login as the current user.
//! - [`XopServer`] (`host.rs`): one appliance = one `mariadbd` on 127.0.0.1
//!   (movable to another loopback address: [`XopServer::rebind`]) with its own
//!   `etc/my.cnf`, an admin account, the XOP schema (`xopdb`, `xopdb_local`), a
//!   restart command and `iptables`/`service iptables save`/`sysconf` stand-ins.
//! - `mariadb.rs`: binaries, the per-process template datadir
//!   (`mariadb-install-db` once), my.cnf lab lines, throwaway TLS
//!   certificates ([`XopServer::enable_tls`]), SQL over TCP or TLS.
//! - [`lab_device`]: the servers and their sshd as a lab device family.
//! - `scripts.rs`: the appliance's shell scripts; daemons, pid-files and ports are
//!   [`crate::process`].
//!
//! Recipes and pitfalls: `reference/real-components.md` §1, §2, §5, §6.
//! The programs come from Debian packages that `make tools` installs
//! (mariadb-server, mariadb-client, openssh-server).

mod host;
pub mod lab_device;
mod mariadb;
mod scripts;
mod sshd;

#[cfg(test)]
mod tests;

pub use host::{XopServer, XopServerSpec, XOP_ADMIN_USER};
pub use mariadb::TlsFiles;
pub use sshd::{SshEndpoint, Sshd};

/// How long `mariadb-install-db` took for this process's template (runs it if needed).
pub async fn template_install_time() -> anyhow::Result<std::time::Duration> {
    Ok(mariadb::template().await?.install_time)
}
