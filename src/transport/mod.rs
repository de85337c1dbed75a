//! Device I/O. Knows nothing of resources: it connects, authenticates, verifies host identity,
//! keeps one session per device per provider process and serializes commands on it.

pub mod error;
pub mod exec;
pub mod host_key;
pub mod https;
pub mod interactive_shell;
pub mod line;
pub mod local;
pub mod mysql;
pub mod pool;
pub mod ssh;
pub mod tls;

pub use error::TransportError;
