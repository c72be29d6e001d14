//! `slipway <tool> [--input value]...`: every tool in one static binary, for the container image.
//! Also answers to a tool's name when called through a link named after it.

use std::process::ExitCode;

use slipway_cli::{TOOLS, run_tool, tool_names};

fn usage() -> String {
    let mut s = format!(
        "slipway {}\n\nUsage: slipway <tool> [--input value]...   (or `slipway <tool> --help`)\n\nTools:\n",
        env!("CARGO_PKG_VERSION")
    );
    for t in TOOLS {
        s.push_str(&format!("  {:<15} {}\n", t.name, t.description));
    }
    s
}

#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a binary's usage and errors"
)]
fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let called_as = args
        .first()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or("slipway")
        .to_string();
    let tool = if TOOLS.iter().any(|t| t.name == called_as) {
        args.remove(0);
        called_as
    } else {
        args.remove(0);
        if args.is_empty() {
            eprint!("{}", usage());
            return ExitCode::from(2);
        }
        args.remove(0)
    };
    if let Some(code) = run_tool(&tool, args) {
        return code;
    }
    match tool.as_str() {
        "--tools" => {
            for t in TOOLS {
                println!("{}", t.name);
            }
            ExitCode::SUCCESS
        }
        "-h" | "--help" | "help" => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        "-V" | "--version" => {
            println!("slipway {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        other => {
            eprintln!(
                "error: unknown tool `{other}`\nhint: the tools are {}",
                tool_names()
            );
            ExitCode::from(2)
        }
    }
}
