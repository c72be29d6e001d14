//! Failing tests become GitHub issues, one per test and context: the feedback loop from a
//! red build to the people who can fix it.
//!
//! - Each issue carries a hidden key (the context and the test id, see [`marker`]); issues are
//!   found by listing the label's issues (all pages, open and closed) through the list API,
//!   which sees every earlier write. Search is never used: its index lags, and a burst of runs
//!   would open duplicates. Pull requests in the list, and issues without the key, are never
//!   touched.
//! - A failing test with no issue gets one; a closed one is reopened with a comment; an open
//!   one gets one comment per run attempt (every comment carries the run id and attempt, so the
//!   same attempt run again adds nothing). A test that passes now gets a comment and its issue
//!   closed (`completed`) with `close-on-pass`. A test that failed, then passed on a rerun is
//!   flaky: the flaky label and a comment, never a failure.
//! - More failing tests than `max-issues`: one summary issue for the context lists them all
//!   (updated, not duplicated, by the next such run; closed when a run has fewer).
//! - Two runs at once can both find no issue and both open one. Each run lists again after
//!   opening issues; the run that opened the later issue then sees the earlier one and closes
//!   its own as a duplicate of it. So once concurrent runs end, at most one issue per key is
//!   open (a closed duplicate may remain, marked `duplicate`).
//!
//! The work is planned from the report and the listed issues without any request
//! ([`plan::plan`]), then applied ([`reconcile`] does both); a dry run only describes the plan.

pub mod marker;
pub mod plan;
pub mod render;
pub mod reports;

mod apply;

use slipway_github::{GitHub, GitHubError};
use slipway_junit::Report;

pub use apply::{Done, Row};

/// Where and when the run happens: the runner's context, for links and for the run marks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunContext {
    /// The web base URL (`GITHUB_SERVER_URL`).
    pub server_url: String,
    /// `owner/name` of the repository the run belongs to (`GITHUB_REPOSITORY`).
    pub repository: Option<String>,
    /// `GITHUB_RUN_ID`; `None` for a local run.
    pub run_id: Option<String>,
    /// `GITHUB_RUN_ATTEMPT` (`1` when unknown).
    pub run_attempt: String,
    /// The commit tested (`GITHUB_SHA`).
    pub sha: Option<String>,
    /// The job's id (`GITHUB_JOB`).
    pub job: Option<String>,
}

impl RunContext {
    /// `{run id}.{attempt}` (`local.{attempt}` without a run id): what each comment is marked with.
    pub fn run_key(&self) -> String {
        format!(
            "{}.{}",
            self.run_id.as_deref().unwrap_or("local"),
            self.run_attempt
        )
    }

    /// The run attempt's page, when the run is known.
    pub fn run_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/actions/runs/{}/attempts/{}",
            self.server_url.trim_end_matches('/'),
            self.repository.as_deref()?,
            self.run_id.as_deref()?,
            self.run_attempt
        ))
    }

    /// The commit's page, when the commit is known.
    pub fn commit_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/commit/{}",
            self.server_url.trim_end_matches('/'),
            self.repository.as_deref()?,
            self.sha.as_deref()?
        ))
    }
}

/// What to do, from the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Part of every key: tells matrix cells apart.
    pub context: String,
    /// The label every issue carries, and how they are found.
    pub label: String,
    /// The label added for flaky tests.
    pub flaky_label: String,
    /// Close a test's issue when it passes.
    pub close_on_pass: bool,
    /// More failing tests than this: one summary issue instead.
    pub max_issues: usize,
    /// Plan only; write nothing.
    pub dry_run: bool,
    /// The run.
    pub run: RunContext,
}

/// Why the work stopped; what was done before is in the issues themselves, and a re-run
/// converges.
#[derive(Debug, thiserror::Error)]
pub enum IssuesError {
    /// A GitHub request failed (after the retry policy's attempts).
    #[error("{doing}: {source}{}", permission_hint(source))]
    GitHub {
        /// What was being done.
        doing: String,
        /// The request's error.
        #[source]
        source: GitHubError,
    },
}

/// For a refusal (403, or the 404 GitHub gives a token that may not see the repository's
/// issues), the permission this tool needs.
fn permission_hint(source: &GitHubError) -> &'static str {
    match source {
        GitHubError::Forbidden(_) | GitHubError::NotFound(_) => {
            "\nhint: test-issues needs `permissions: issues: write` on the job (a reusable workflow: on the calling job)"
        }
        _ => "",
    }
}

/// Lists the label's issues, plans, and (unless a dry run) applies the plan.
pub async fn reconcile(
    github: &GitHub,
    report: &Report,
    settings: &Settings,
) -> Result<Done, IssuesError> {
    let existing = apply::list(github, settings).await?;
    let plan = plan::plan(report, &existing, settings);
    apply::apply(github, plan, settings).await
}
