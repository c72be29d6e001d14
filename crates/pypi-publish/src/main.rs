//! The `pypi-publish` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&pypi_publish::TOOL, pypi_publish::main)
}
