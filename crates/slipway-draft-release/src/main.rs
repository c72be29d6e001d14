//! The `draft-release` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&slipway_draft_release::TOOL, slipway_draft_release::main)
}
