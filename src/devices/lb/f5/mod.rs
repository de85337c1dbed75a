//! F5 BIG-IP over iControl REST, pure: the token login, the LTM objects one virtual server is
//! made of (the same objects `legacy::f5_tmsh` writes as bigip.conf text, under the same
//! names), the one shared read of a partition and what it says about every virtual server in
//! it, and F5's error bodies. No I/O: the caller sends the requests through `transport::https`
//! and hands the replies back.
//!
//! Sources, cited beside each behaviour: F5's own clients, f5devcentral/go-bigip (`bigip.go`,
//! `ltm.go`, the library under F5Networks/terraform-provider-bigip) and the provider itself,
//! F5Networks/f5-ansible (`bigip_pool`, `bigip_virtual_address`), F5Networks/f5-common-python
//! (the SDK's user guide); the test fixtures of scottdware/go-bigip and
//! CiscoTestAutomation/genieparser (replies of real boxes); the seed
//! communigate-cluster-sip-farm-lb (its F5 example is what an admin creates by hand);
//! `/work/shared/reference/devices.md` §4.
//!
//! Layout: [`login`] (`F5Login`), [`names`] (addresses with ports, `~Partition~name` paths),
//! [`objects`] (what create, update and delete send), [`read`] (the shared read and its
//! parser), [`error`] (F5's error bodies).

pub mod error;
pub mod login;
pub mod names;
pub mod objects;
pub mod read;

pub use error::error_message;
pub use login::F5Login;
pub use names::{member_path, members_path, object_path};
pub use objects::{delete_paths, delete_request, get_request, objects, patch_body, F5Object};
pub use read::{parse_site, read_requests, SiteReport};

/// The partition a fresh BIG-IP has, and where its built-in profiles and monitors live.
pub const COMMON: &str = "Common";

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod tests;
