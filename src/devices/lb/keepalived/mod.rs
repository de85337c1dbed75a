//! keepalived 2.2 as the owner of the IPVS table: pure text in and out, no I/O.
//!
//! Where keepalived runs, it owns the kernel's IPVS table (keepalived.conf(5), "LVS
//! CONFIGURATION": "Keepalived will then lead LVS operation by dynamically maintaining
//! topology"), so a virtual server is not `ipvsadm` commands but a marked section of
//! `keepalived.conf` holding `virtual_server` blocks ([`config`]), spliced into the file with
//! every other byte kept ([`splice`]), checked with `keepalived -t -f <file>`
//! ([`config_test_errors`]) and made live by a reload. What the checkers decided is read from
//! the kernel table (`ipvsadm -S -n`, [`crate::devices::lb::ipvs::parse_save`]):
//! [`member_reports`].
//!
//! Sources: keepalived.conf(5) and keepalived(8) as Debian's keepalived 2.2.7 ships them
//! (`/usr/share/man/man5/keepalived.conf.5.gz`, dated 2022-01-15; the same text as
//! `doc/man/man5/keepalived.conf.5` in acassen/keepalived), the samples it ships
//! (`doc/samples/keepalived.conf.*`), `doc/source/software_design.rst` of acassen/keepalived,
//! and `/usr/sbin/keepalived -t -f` 2.2.7 itself: every text the tests render was checked with
//! it, and its messages are quoted in `fixtures.rs` as it printed them.

pub mod config;
pub mod read;
pub mod report;

pub use crate::devices::lb::virtual_server::Unsupported;
pub use config::{section, splice, MARKERS, NOTICE};
pub use read::{find_section, sections, Section};
pub use report::{config_test_errors, member_reports, programmed};

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
