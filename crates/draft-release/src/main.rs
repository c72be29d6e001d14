//! The `draft-release` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&draft_release::TOOL, draft_release::main)
}
