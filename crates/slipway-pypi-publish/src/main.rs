//! The `pypi-publish` binary.
fn main() {}
