//! The `test-issues` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&test_issues::TOOL, test_issues::main)
}
