//! Device lab: simulated devices for tests and the demo.
//!
//! - [`cms_mmp`]: a simulated Cisco Meeting Server MMP (SSH CLI) node.
//! - [`xop`]: XOP appliances: real MariaDB servers and a real OpenSSH sshd on loopback.
//! - [`lab`]: starts a set of simulated devices on loopback and writes the
//!   files (`lab.json`, `known_hosts`, `lab.auto.tfvars.json`) that tests and
//!   `terraform` use to reach them.

pub mod cms_mmp;
pub mod lab;
pub mod secrets;
pub mod xop;
