//! The `fetch-assets` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&fetch_assets::TOOL, fetch_assets::main)
}
