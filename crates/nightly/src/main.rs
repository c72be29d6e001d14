//! The `nightly` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&nightly::TOOL, nightly::main)
}
