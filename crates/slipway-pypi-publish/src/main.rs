//! The `pypi-publish` binary: see the library for what it does.
use std::process::ExitCode;

fn main() -> ExitCode {
    slipway_runner::run(&slipway_pypi_publish::TOOL, slipway_pypi_publish::main)
}
