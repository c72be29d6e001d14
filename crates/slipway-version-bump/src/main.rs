//! The `version-bump` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&slipway_version_bump::TOOL, slipway_version_bump::main)
}
