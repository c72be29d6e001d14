//! The `fetch-assets` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&slipway_fetch_assets::TOOL, slipway_fetch_assets::main)
}
