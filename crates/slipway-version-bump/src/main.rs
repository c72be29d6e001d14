//! The `version-bump` binary.
fn main() {}
