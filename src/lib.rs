//! uccluster: Terraform/OpenTofu providers for unified-communications clusters.
//!
//! One library, five provider types (`cms`, `xop`, `imp`, `cgp`, `lb`), each served by a thin
//! binary. See ARCHITECTURE.md for the layers and their invariants.

pub mod backoff;
pub mod client;
pub mod data_sources;
pub mod devices;
pub mod docs;
pub mod duration;
pub mod grammar;
pub mod logging;
pub mod providers;
pub mod resources;
pub mod schema_attrs;
pub mod secrets;
pub mod timeouts;
pub mod transport;

/// Entry point of every provider binary: serve provider type `type_name` over Terraform's
/// plugin protocol 6 until Terraform stops the process.
pub fn serve_provider_type(type_name: &'static str) {
    // tf-provider appends a backtrace to every diagnostic when RUST_BACKTRACE is set in the
    // environment Terraform passes on; users need the message, not the frames.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    logging::init(match type_name {
        "cms" => "provider.terraform-provider-cms",
        "xop" => "provider.terraform-provider-xop",
        "imp" => "provider.terraform-provider-imp",
        "cgp" => "provider.terraform-provider-cgp",
        _ => "provider.terraform-provider-lb",
    });
    let provider =
        providers::provider_for(type_name).expect("every binary names a known provider type");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("cannot start the async runtime");
    if let Err(e) = runtime.block_on(tf_provider::serve_dynamic(type_name.to_string(), provider)) {
        eprintln!("terraform-provider-{type_name}: {e:#}");
        std::process::exit(1);
    }
}
