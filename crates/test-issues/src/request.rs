//! Inputs → a typed, validated [`Request`]: every input error (the GitHub client's included),
//! then every report read and checked, before any request is sent.

use std::path::PathBuf;

use slipway_github::GitHub;
use slipway_issues::{RunContext, Settings};
use slipway_junit::Report;
use slipway_runner::Action;

/// A validated request, built from the inputs and the reports.
#[derive(Debug)]
pub struct Request {
    /// What to do.
    pub settings: Settings,
    /// The client for `repository` at `api-url`.
    pub github: GitHub,
    /// The report files read, sorted.
    pub files: Vec<PathBuf>,
    /// Every test of those files, each once.
    pub report: Report,
    /// Warnings for the log (no report found).
    pub warnings: Vec<String>,
}

/// A label GitHub accepts: not empty, at most 50 characters, no comma (the list API's
/// separator).
fn parse_label(value: &str) -> Result<String, String> {
    if value.chars().count() > 50 {
        return Err(
            "a label has at most 50 characters\nhint: use a short name such as `test-failure`"
                .into(),
        );
    }
    if value.contains(',') {
        return Err("a label cannot contain `,` (the issues list separates labels with it)\nhint: use a name such as `test-failure`".into());
    }
    Ok(value.to_string())
}

fn parse_max(value: &str) -> Result<usize, String> {
    value.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
        "expected a whole number, 1 or more\nhint: e.g. `10`: with more failing tests than this, one summary issue lists them all".to_string()
    })
}

impl Request {
    /// Reads and validates every input, then reads every report (no network); errors name the
    /// input and the value, or the report file.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        let i = &action.inputs;
        let patterns = i.list("reports");
        if patterns.is_empty() {
            return Err(i
                .invalid(
                    "reports",
                    "",
                    "no pattern given\nhint: list the JUnit XML reports to read, e.g. `reports: **/junit*.xml` (pytest writes one with `--junitxml=junit.xml`)",
                )
                .into());
        }
        let context = i.string("context").unwrap_or_default();
        let context = if context.is_empty() {
            // Outside a workflow there is no job: a context of its own, so a local run never
            // touches the issues of a CI job.
            action.context.job.clone().unwrap_or_else(|| "local".into())
        } else {
            context
        };
        if context.chars().count() > 200 {
            return Err(i
                .invalid(
                    "context",
                    &context,
                    "it is longer than 200 characters\nhint: name the job and matrix cell briefly, e.g. `tests (3.12, ubuntu)`",
                )
                .into());
        }
        let label = i
            .parsed("label", parse_label)?
            .unwrap_or_else(|| i.or_default("label"));
        let flaky_label = i
            .parsed("flaky-label", parse_label)?
            .unwrap_or_else(|| i.or_default("flaky-label"));
        if flaky_label == label {
            return Err(i
                .invalid(
                    "flaky-label",
                    &flaky_label,
                    "it is the same as `label`\nhint: flaky tests get a label of their own on top of `label`, e.g. `flaky`",
                )
                .into());
        }
        let close_on_pass = i.bool("close-on-pass")?;
        let max_issues = i.parsed("max-issues", parse_max)?.unwrap_or(10);
        let dry_run = i.bool("dry-run")?;
        let github = slipway_github::client_from_inputs(i, &action.commands)?;
        let c = &action.context;
        let run = RunContext {
            server_url: c.server_url.clone(),
            repository: c.repository.clone(),
            run_id: c.run_id.clone(),
            run_attempt: c.run_attempt.clone().unwrap_or_else(|| "1".into()),
            sha: c.sha.clone(),
            job: c.job.clone(),
        };
        let files = slipway_issues::reports::find(&patterns)
            .map_err(|e| i.invalid("reports", &patterns.join(", "), e.to_string()))?;
        let mut warnings = Vec::new();
        if files.is_empty() {
            warnings.push(format!(
                "no file matches `reports` ({}): no test results, so no issue is opened, commented or closed\nhint: check the path the test step writes its JUnit XML to (pytest: `--junitxml=junit.xml`)",
                patterns.join(", ")
            ));
        }
        // Every report is read whole before the first request: a file that is not a JUnit
        // report stops the run with nothing written to GitHub.
        let report = Report::read_files(&files)?;
        Ok(Self {
            settings: Settings {
                context,
                label,
                flaky_label,
                close_on_pass,
                max_issues,
                dry_run,
                run,
            },
            github,
            files,
            report,
            warnings,
        })
    }
}
