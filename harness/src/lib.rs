//! Test support for driving the real Terraform CLI against the device lab (`uccluster_lab`):
//! working directories ([`Tf`]), the Terraforms every case runs on ([`on_each_terraform`]), the
//! house protocol as a declaration ([`Protocol`], [`Step`], [`Plan`]), the validation-case runner
//! ([`assert_all_invalid`]) and the provider blocks and resources the tests write.
//!
//! A library of its own, so test binaries and benchmarks link it instead of including its source.
//! Like the lab, it does not depend on the provider crate.

mod cgp;
mod cms;
mod files;
mod imp;
mod lb;
mod protocol;
mod terraform;
mod tf;
mod validation;
mod xop;

pub use cgp::{cgp_members, cgp_provider};
pub use cms::{
    callbridge, callbridge_import_id, cms_lab, cms_nodes, cms_provider, cms_unused_provider,
};
pub use files::{copy_dir, UntouchedDevice};
pub use imp::{
    imp_clusters, imp_peer, imp_peer_import_id, imp_peer_name, imp_provider, imp_terraform_block,
    ImpLabCluster,
};
pub use lb::{
    f5_provider, haproxy_provider, haproxy_ssh_provider, ipvs_keepalived_provider, ipvs_lab,
    ipvs_provider, lb_member, lb_members, lb_terraform_block,
};
pub use protocol::{failure_of, Hook, Plan, Protocol, Step};
pub use terraform::{oldest_terraform, on_each_terraform, terraforms, Terraform};
pub use tf::{provider_profile, workspace_root, Tf, TfOut, PROVIDER_VERSION};
pub use uccluster_lab::secrets::{hcl_string, sql_string, test_secret};
pub use validation::{assert_all_invalid, assert_invalid, Invalid};
pub use xop::{xop_host_block, xop_import_id, xop_provider};
