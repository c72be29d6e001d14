//! The `fetch-assets` binary.
fn main() {}
