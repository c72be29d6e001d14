//! The one list of slipway's tools, and dispatch to them by name: the multi-call `slipway`
//! binary, the generated action files (`slipway-checks`) and the scripts (`slipway --tools`)
//! all read it from here.

use std::process::ExitCode;

use slipway_runner::{Tool, run_with_args};

/// Every tool, in pipeline order.
pub const TOOLS: [&Tool; 6] = [
    &version_bump::TOOL,
    &draft_release::TOOL,
    &fetch_assets::TOOL,
    &pypi_publish::TOOL,
    &nightly::TOOL,
    &test_issues::TOOL,
];

/// The tools' names, comma separated (for messages).
pub fn tool_names() -> String {
    TOOLS.map(|t| t.name).join(", ")
}

/// Runs the tool called `name` with `args`; `None` when there is no such tool.
pub fn run_tool(name: &str, args: Vec<String>) -> Option<ExitCode> {
    let code = if name == version_bump::TOOL.name {
        run_with_args(&version_bump::TOOL, args, version_bump::main)
    } else if name == draft_release::TOOL.name {
        run_with_args(&draft_release::TOOL, args, draft_release::main)
    } else if name == fetch_assets::TOOL.name {
        run_with_args(&fetch_assets::TOOL, args, fetch_assets::main)
    } else if name == pypi_publish::TOOL.name {
        run_with_args(&pypi_publish::TOOL, args, pypi_publish::main)
    } else if name == nightly::TOOL.name {
        run_with_args(&nightly::TOOL, args, nightly::main)
    } else if name == test_issues::TOOL.name {
        run_with_args(&test_issues::TOOL, args, test_issues::main)
    } else {
        return None;
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_tool_is_dispatched() {
        for tool in TOOLS {
            // `--help` answers without doing any work.
            assert_eq!(
                run_tool(tool.name, vec!["--help".into()]),
                Some(ExitCode::SUCCESS),
                "{}",
                tool.name
            );
        }
        assert_eq!(run_tool("nope", Vec::new()), None);
    }
}
