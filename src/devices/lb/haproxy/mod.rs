//! HAProxy 2.6 as a balancer of `lb_virtual_server`: pure text in and out, no I/O.
//!
//! A virtual server is a marked section of `haproxy.cfg` (a `frontend` and a `backend` of the
//! virtual server's name, [`config`]), spliced into the file with every other byte kept
//! ([`splice`]), made live by a hitless reload through the master CLI ([`master`]: `reload`,
//! then `show proc` to see it accepted or refused); when only members change, the runtime API
//! changes the running backend instead ([`runtime::live_changes`]), and the file still gets the
//! same change (runtime changes do not survive a reload). What the running HAProxy holds of the
//! members is `show servers state` ([`state`]).
//!
//! Every reply format and message here was captured from HAProxy 2.6.12 (Debian
//! 2.6.12-1+deb12u4) on 127.0.0.1 and is quoted in the tests as it came (`fixtures.rs`); the
//! behaviours cite the 2.6 management guide (`doc/management.txt`, §9.3 runtime API, §9.4
//! master CLI) and configuration manual as the Debian package ships them.

pub mod config;
pub mod master;
pub mod names;
pub mod runtime;
pub mod state;

pub use crate::devices::lb::virtual_server::Unsupported;
pub use config::{find_section, section, sections, splice, Section};
pub use master::{parse_show_proc, reload_outcome, MasterCli, Processes, ReloadOutcome};
pub use runtime::{live_changes, runtime_error, RuntimeApi};
pub use state::{member_report, member_reports, parse_servers_state, Admin, Maint, ServerState};

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
