//! `test-issues`: the failing tests of JUnit XML reports open (or reopen) one GitHub issue
//! each, keyed by context and test id; an open issue gets one comment per run attempt, a test
//! that passes again gets its issue closed, a test that passed only on a rerun is labelled
//! flaky, and more failures than `max-issues` make one summary issue instead of a flood.
//!
//! The same three steps as every slipway action: [`request`] turns the inputs into a typed
//! request (every input error, and every report read and checked, before any request is
//! sent), the work is [`slipway_issues::reconcile`], and [`report`] writes the outputs and the
//! step summary. The step succeeds when tests failed: the test step already failed the job.

pub mod report;
pub mod request;

use slipway_runner::{Action, InputSpec, OutputSpec, Tool};

pub use request::Request;

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "test-issues",
    icon: "alert-circle",
    title: "slipway test-issues",
    description: "Open (or reopen) one GitHub issue per failing test from JUnit XML reports, comment once per run attempt, close issues of tests that pass again, label flaky tests, and summarise a flood in one issue.",
    inputs: &[
        InputSpec::list("reports", "JUnit XML reports to read: globs relative to the workspace, newline or comma separated (pytest --junitxml, cargo-nextest, jest-junit, maven surefire).").default("**/junit*.xml"),
        InputSpec::string("context", "Part of every test's key, so matrix cells get their own issues, e.g. `tests (3.12, ubuntu)` built from the matrix values; outside a workflow: `local`.").default("${{ github.job }}"),
        InputSpec::string("label", "The label every issue gets; issues are found by it (through the list API, never search).").default("test-failure"),
        InputSpec::string("flaky-label", "The label added to the issue of a test that failed, then passed on a rerun.").default("flaky"),
        InputSpec::bool("close-on-pass", true, "Close a test's issue (as completed) when the test passes again; false: comment once and leave it open."),
        InputSpec::string("max-issues", "More failing tests than this: one summary issue for the run lists them instead of one issue each.").default("10"),
        InputSpec::bool("dry-run", false, "Read the reports and the issues, write nothing: say what would be opened, reopened, commented and closed."),
        slipway_github::token_input("GitHub token with issues: write."),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
    ],
    outputs: &[
        OutputSpec::new("failed", "How many tests failed (at their last attempt)."),
        OutputSpec::new("passed", "How many tests passed (flaky ones included)."),
        OutputSpec::new("opened", "JSON array of the issue numbers opened."),
        OutputSpec::new("reopened", "JSON array of the issue numbers reopened."),
        OutputSpec::new("commented", "JSON array of the issue numbers commented on."),
        OutputSpec::new("closed", "JSON array of the issue numbers closed."),
    ],
};

/// The whole tool: inputs and reports → [`slipway_issues::reconcile`] → outputs and summary.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    for w in &request.warnings {
        action.commands.warning(w);
    }
    let done = if request.files.is_empty() {
        slipway_issues::Done {
            dry_run: request.settings.dry_run,
            ..slipway_issues::Done::default()
        }
    } else {
        slipway_issues::reconcile(&request.github, &request.report, &request.settings).await?
    };
    report::write(&done, &request, action)
}
