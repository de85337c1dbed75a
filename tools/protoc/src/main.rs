//! Prints the vendored protoc binary and its include directory, one per line, for
//! tools/install-tools.sh to copy into .tools/protoc.

fn main() {
    match (
        protoc_bin_vendored::protoc_bin_path(),
        protoc_bin_vendored::include_path(),
    ) {
        (Ok(bin), Ok(include)) => {
            println!("{}", bin.display());
            println!("{}", include.display());
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("protoc-bin-vendored has no protoc for this platform: {e}");
            std::process::exit(1);
        }
    }
}
