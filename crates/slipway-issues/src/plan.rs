//! What to do, decided from the report and the listed issues alone (no request): testable
//! without HTTP, and what a dry run shows.

use std::collections::BTreeMap;

use slipway_github::{Issue, IssueState};
use slipway_junit::{Outcome, Report, TestResult};

use crate::Settings;
use crate::marker::Key;

/// An issue that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// `#N`.
    pub number: u64,
    /// Open (else closed).
    pub open: bool,
    /// Its page.
    pub url: String,
    /// Its body (for the run mark of the run that opened it).
    pub body: String,
    /// Whether it carries the flaky label.
    pub flaky_labelled: bool,
}

/// The listed issues, by key: one canonical issue per key, and the duplicates to close.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    /// Key → the issue that stands for it: the lowest-numbered open one, else the
    /// lowest-numbered one.
    pub by_key: BTreeMap<Key, Existing>,
    /// Open issues with the key of a lower-numbered open issue: (duplicate, original).
    pub duplicates: Vec<(Existing, u64)>,
}

impl Listed {
    /// Sorts issues by key; pull requests and issues without a key are left out.
    pub fn from_issues(issues: &[Issue], flaky_label: &str) -> Self {
        let mut groups: BTreeMap<Key, Vec<Existing>> = BTreeMap::new();
        for issue in issues.iter().filter(|i| !i.is_pull_request()) {
            let body = issue.body.as_deref().unwrap_or("");
            let Some(key) = Key::from_body(body) else {
                continue;
            };
            groups.entry(key).or_default().push(Existing {
                number: issue.number,
                open: issue.state == IssueState::Open,
                url: issue.html_url.clone(),
                body: body.to_string(),
                flaky_labelled: issue.has_label(flaky_label),
            });
        }
        let mut listed = Self::default();
        for (key, mut group) in groups {
            group.sort_by_key(|e| (!e.open, e.number));
            let first = group.remove(0);
            if first.open {
                for dup in group.into_iter().filter(|e| e.open) {
                    listed.duplicates.push((dup, first.number));
                }
            }
            listed.by_key.insert(key, first);
        }
        listed
    }
}

/// What happens to one test's issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Failing (or flaky) with no issue: open one.
    Open,
    /// Failing, its issue closed: reopen it and comment.
    Reopen,
    /// Failing, its issue open: comment once for this run attempt.
    Comment,
    /// Flaky, with an issue: add the flaky label and comment once.
    Flaky,
    /// Passing, its issue open, `close-on-pass`: comment and close it.
    Close,
    /// Passing, its issue open, no `close-on-pass`: comment once (not again while it passes).
    NotePass,
    /// Failing, but more tests fail than `max-issues`: listed in the summary issue instead.
    InSummary,
}

impl Step {
    /// What the step does, in a dry run's words.
    pub fn would(self) -> &'static str {
        match self {
            Self::Open => "would open",
            Self::Reopen => "would reopen and comment",
            Self::Comment => "would comment (once per run attempt)",
            Self::Flaky => "would label flaky and comment",
            Self::Close => "would comment and close",
            Self::NotePass => "would comment (passed)",
            Self::InSummary => "would list in the summary issue",
        }
    }
}

/// One test and its step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The test, all attempts counted.
    pub test: TestResult,
    /// Its key.
    pub key: Key,
    /// Its issue, if it has one.
    pub issue: Option<Existing>,
    /// What happens.
    pub step: Step,
}

/// What happens to the context's summary issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SummaryStep {
    /// Open it (or reopen / update the one there is) listing the failing tests.
    Write {
        /// The summary issue there is.
        issue: Option<Existing>,
    },
    /// The run is under the cap again: comment and close it (with `close-on-pass`).
    Close {
        /// The open summary issue.
        issue: Existing,
    },
}

/// Every step of a run, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Per-test steps, in report order: failing, flaky, then passing tests with open issues.
    pub items: Vec<Item>,
    /// The summary issue's step.
    pub summary: Option<SummaryStep>,
    /// Open duplicates found (left by earlier concurrent runs): closed as duplicates.
    pub duplicates: Vec<(Existing, u64)>,
    /// How many tests failed (last attempt), passed (at once or flaky), were flaky.
    pub failed: usize,
    /// Tests that passed, flaky ones included.
    pub passed: usize,
    /// Tests that failed, then passed on a rerun.
    pub flaky: usize,
}

/// Decides every step from the report and the listed issues.
pub fn plan(report: &Report, listed: &Listed, settings: &Settings) -> Plan {
    let key_of = |t: &TestResult| Key::for_test(&settings.context, &t.id.to_string());
    let counts = report.counts();
    let flood = counts.failed > settings.max_issues;
    let mut items = Vec::new();
    for test in &report.tests {
        let key = key_of(test);
        let issue = listed.by_key.get(&key).cloned();
        let step = match (&test.outcome, &issue) {
            (Outcome::Failed(_), _) if flood => Some(Step::InSummary),
            (Outcome::Failed(_), None) => Some(Step::Open),
            (Outcome::Failed(_), Some(e)) if e.open => Some(Step::Comment),
            (Outcome::Failed(_), Some(_)) => Some(Step::Reopen),
            (Outcome::Flaky(_), None) => Some(Step::Open),
            (Outcome::Flaky(_), Some(_)) => Some(Step::Flaky),
            (Outcome::Passed, Some(e)) if e.open && settings.close_on_pass => Some(Step::Close),
            (Outcome::Passed, Some(e)) if e.open => Some(Step::NotePass),
            (Outcome::Passed | Outcome::Skipped, _) => None,
        };
        if let Some(step) = step {
            items.push(Item {
                test: test.clone(),
                key,
                issue,
                step,
            });
        }
    }
    // Failing tests first, then flaky, then passing: the order the summary shows.
    items.sort_by_key(|i| match i.step {
        Step::Open | Step::Reopen | Step::Comment | Step::InSummary => {
            if i.test.outcome.is_failure() { 0 } else { 1 }
        }
        Step::Flaky => 1,
        Step::Close | Step::NotePass => 2,
    });
    let summary_issue = listed
        .by_key
        .get(&Key::Summary {
            context: settings.context.clone(),
        })
        .cloned();
    let summary = if flood {
        Some(SummaryStep::Write {
            issue: summary_issue,
        })
    } else {
        summary_issue
            .filter(|s| s.open && settings.close_on_pass)
            .map(|issue| SummaryStep::Close { issue })
    };
    Plan {
        items,
        summary,
        duplicates: listed.duplicates.clone(),
        failed: counts.failed,
        passed: counts.passed + counts.flaky,
        flaky: counts.flaky,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use slipway_github::{Issue, IssueLabel, IssueState};
    use slipway_junit::{Failure, FailureKind, TestId};

    use super::*;
    use crate::RunContext;

    fn settings(max: usize, close: bool) -> Settings {
        Settings {
            context: "tests".into(),
            label: "test-failure".into(),
            flaky_label: "flaky".into(),
            close_on_pass: close,
            max_issues: max,
            dry_run: false,
            run: RunContext::default(),
        }
    }

    fn result(name: &str, outcome: Outcome) -> TestResult {
        TestResult {
            id: TestId {
                classname: "t".into(),
                name: name.into(),
            },
            outcome,
            attempts: 1,
            file: PathBuf::from("junit.xml"),
        }
    }

    fn failed(name: &str) -> TestResult {
        result(
            name,
            Outcome::Failed(Failure {
                kind: FailureKind::Failure,
                message: "m".into(),
                error_type: None,
                details: String::new(),
            }),
        )
    }

    fn issue(number: u64, test: &str, open: bool, pr: bool) -> Issue {
        let key = Key::Test {
            context: "tests".into(),
            test: format!("t::{test}"),
        };
        Issue {
            id: number * 10,
            number,
            title: "x".into(),
            body: Some(key.marker()),
            state: if open {
                IssueState::Open
            } else {
                IssueState::Closed
            },
            state_reason: None,
            labels: vec![IssueLabel {
                name: "test-failure".into(),
            }],
            html_url: String::new(),
            pull_request: pr.then(|| serde_json::json!({})),
        }
    }

    fn steps(p: &Plan) -> Vec<(String, Step, Option<u64>)> {
        p.items
            .iter()
            .map(|i| {
                (
                    i.test.id.name.clone(),
                    i.step,
                    i.issue.as_ref().map(|e| e.number),
                )
            })
            .collect()
    }

    #[test]
    fn each_outcome_and_issue_state_gets_its_step() {
        let report = Report {
            tests: vec![
                failed("new"),
                failed("open"),
                failed("closed"),
                result("flaky", Outcome::Flaky(vec![])),
                result("fixed", Outcome::Passed),
                result("green", Outcome::Passed),
                result("skip", Outcome::Skipped),
            ],
        };
        let issues = vec![
            issue(1, "open", true, false),
            issue(2, "closed", false, false),
            issue(3, "fixed", true, false),
            issue(4, "flaky", false, false),
            // A pull request with the very key, and an issue without a marker: never matched.
            issue(5, "new", true, true),
            Issue {
                body: Some("t::new".into()),
                ..issue(6, "new", true, false)
            },
        ];
        let listed = Listed::from_issues(&issues, "flaky");
        let p = plan(&report, &listed, &settings(10, true));
        assert_eq!(
            steps(&p),
            vec![
                ("new".into(), Step::Open, None),
                ("open".into(), Step::Comment, Some(1)),
                ("closed".into(), Step::Reopen, Some(2)),
                ("flaky".into(), Step::Flaky, Some(4)),
                ("fixed".into(), Step::Close, Some(3)),
            ]
        );
        assert_eq!((p.failed, p.passed, p.flaky), (3, 3, 1));
        assert_eq!(p.summary, None);
        let p = plan(&report, &listed, &settings(10, false));
        assert_eq!(steps(&p)[4].1, Step::NotePass);
    }

    #[test]
    fn past_the_cap_failures_go_to_the_summary_and_duplicates_are_found() {
        let report = Report {
            tests: (0..5).map(|i| failed(&format!("f{i}"))).collect(),
        };
        let issues = vec![
            issue(7, "f1", true, false),
            issue(3, "f1", true, false),
            issue(2, "f1", false, false),
        ];
        let listed = Listed::from_issues(&issues, "flaky");
        assert_eq!(listed.by_key.values().next().unwrap().number, 3);
        assert_eq!(listed.duplicates.len(), 1);
        assert_eq!(listed.duplicates[0].0.number, 7);
        let p = plan(&report, &listed, &settings(4, true));
        assert!(p.items.iter().all(|i| i.step == Step::InSummary));
        assert_eq!(p.summary, Some(SummaryStep::Write { issue: None }));
        let p = plan(&report, &listed, &settings(5, true));
        assert!(p.items.iter().all(|i| i.step != Step::InSummary));
    }
}
