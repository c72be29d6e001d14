//! The `draft-release` binary.
fn main() {}
