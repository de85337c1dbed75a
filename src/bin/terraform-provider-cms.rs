fn main() {
    uccluster::serve_provider_type("cms")
}
