//! The `version-bump` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&version_bump::TOOL, version_bump::main)
}
