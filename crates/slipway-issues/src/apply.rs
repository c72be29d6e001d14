//! Carrying out a [`Plan`]: the requests, in order, each step idempotent for the run attempt.

use std::collections::BTreeMap;

use slipway_github::{
    GitHub, GitHubError, IssuePatch, IssueState, NewIssue, StateFilter, StateReason,
};
use slipway_junit::{Outcome, TestResult};

use crate::marker::{Key, RunMark};
use crate::plan::{Existing, Item, Listed, Plan, Step, SummaryStep};
use crate::{IssuesError, Settings, render};

/// One row of the step summary: a test, its outcome, its issue and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The test id (or `(summary)` for the summary issue).
    pub test: String,
    /// `failed`, `flaky`, `passed`, or `summary`.
    pub outcome: &'static str,
    /// The issue's number and page, when there is one.
    pub issue: Option<(u64, String)>,
    /// What was done (in a dry run: what would be).
    pub action: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    /// One row per test that has (or gets) an issue, and one for the summary issue.
    pub rows: Vec<Row>,
    /// Issues opened.
    pub opened: Vec<u64>,
    /// Issues reopened.
    pub reopened: Vec<u64>,
    /// Issues commented on.
    pub commented: Vec<u64>,
    /// Issues closed (duplicates included).
    pub closed: Vec<u64>,
    /// Tests that failed (last attempt).
    pub failed: usize,
    /// Tests that passed (flaky ones included).
    pub passed: usize,
    /// Tests that failed, then passed on a rerun.
    pub flaky: usize,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Lines for the summary's notes.
    pub notes: Vec<String>,
}

fn gh<T>(doing: impl FnOnce() -> String, r: Result<T, GitHubError>) -> Result<T, IssuesError> {
    r.map_err(|source| IssuesError::GitHub {
        doing: doing(),
        source,
    })
}

/// Every issue with the label, open and closed, sorted by key.
pub(crate) async fn list(github: &GitHub, settings: &Settings) -> Result<Listed, IssuesError> {
    let issues = gh(
        || format!("listing the issues labelled `{}`", settings.label),
        github
            .list_issues(&[settings.label.as_str()], StateFilter::All)
            .await,
    )?;
    Ok(Listed::from_issues(&issues, &settings.flaky_label))
}

fn outcome_word(test: &TestResult) -> &'static str {
    match test.outcome {
        Outcome::Failed(_) => "failed",
        Outcome::Flaky(_) => "flaky",
        Outcome::Passed | Outcome::Skipped => "passed",
    }
}

struct Run<'a> {
    github: &'a GitHub,
    settings: &'a Settings,
    done: Done,
    /// Issue number → whether this run attempt's mark is already on it (comments read once).
    marked: BTreeMap<u64, Vec<RunMark>>,
}

impl Run<'_> {
    fn mark(&self, outcome: &str) -> RunMark {
        RunMark {
            run: self.settings.run.run_key(),
            outcome: outcome.to_string(),
        }
    }

    /// The run marks on an issue: its body's and its comments', read once.
    async fn marks(&mut self, issue: &Existing) -> Result<&Vec<RunMark>, IssuesError> {
        if !self.marked.contains_key(&issue.number) {
            let comments = gh(
                || format!("reading the comments of issue #{}", issue.number),
                self.github.list_issue_comments(issue.number).await,
            )?;
            let mut marks = RunMark::all_in(&issue.body);
            for c in &comments {
                marks.extend(RunMark::all_in(c.body.as_deref().unwrap_or("")));
            }
            self.marked.insert(issue.number, marks);
        }
        Ok(&self.marked[&issue.number])
    }

    /// Whether this run attempt already wrote on the issue.
    async fn seen(&mut self, issue: &Existing) -> Result<bool, IssuesError> {
        let run = self.settings.run.run_key();
        Ok(self.marks(issue).await?.iter().any(|m| m.run == run))
    }

    async fn comment(&mut self, number: u64, body: &str) -> Result<(), IssuesError> {
        gh(
            || format!("commenting on issue #{number}"),
            self.github.create_issue_comment(number, body).await,
        )?;
        self.done.commented.push(number);
        Ok(())
    }

    async fn set_state(
        &mut self,
        number: u64,
        state: IssueState,
        reason: StateReason,
    ) -> Result<(), IssuesError> {
        let patch = IssuePatch {
            state: Some(state),
            state_reason: Some(reason),
            ..IssuePatch::default()
        };
        gh(
            || format!("changing the state of issue #{number}"),
            self.github.update_issue(number, &patch).await,
        )?;
        match state {
            IssueState::Open => self.done.reopened.push(number),
            IssueState::Closed => self.done.closed.push(number),
        }
        Ok(())
    }

    async fn item(&mut self, item: &Item) -> Result<Row, IssuesError> {
        let s = self.settings;
        let test = &item.test;
        let mut row = Row {
            test: test.id.to_string(),
            outcome: outcome_word(test),
            issue: item.issue.as_ref().map(|e| (e.number, e.url.clone())),
            action: String::new(),
        };
        if s.dry_run {
            row.action = item.step.would().to_string();
            return Ok(row);
        }
        let word = outcome_word(test);
        let mark = self.mark(word);
        let already = "already done by this run attempt";
        match (item.step, &item.issue) {
            (Step::Open, _) => {
                let mut labels = vec![s.label.clone()];
                if matches!(test.outcome, Outcome::Flaky(_)) {
                    labels.push(s.flaky_label.clone());
                }
                let prefix = if word == "flaky" {
                    "Flaky test: "
                } else {
                    "Failing test: "
                };
                let new = NewIssue {
                    title: render::title(prefix, &test.id.to_string()),
                    body: render::issue_body(s, &item.key, test, &mark),
                    labels,
                };
                let created = gh(
                    || format!("opening an issue for `{}`", test.id),
                    self.github.create_issue(&new).await,
                )?;
                self.done.opened.push(created.number);
                row.issue = Some((created.number, created.html_url));
                row.action = "opened".into();
            }
            (Step::Reopen, Some(e)) => {
                if !self.seen(e).await? {
                    self.set_state(e.number, IssueState::Open, StateReason::Reopened)
                        .await?;
                    self.comment(e.number, &render::failed_comment(s, test, &mark, true))
                        .await?;
                    row.action = "reopened, commented".into();
                } else {
                    row.action = already.into();
                }
            }
            (Step::Comment, Some(e)) => {
                if self.seen(e).await? {
                    row.action = already.into();
                } else {
                    self.comment(e.number, &render::failed_comment(s, test, &mark, false))
                        .await?;
                    row.action = "commented".into();
                }
            }
            (Step::Flaky, Some(e)) => {
                let mut did = Vec::new();
                if !e.flaky_labelled {
                    gh(
                        || format!("labelling issue #{} flaky", e.number),
                        self.github
                            .add_issue_labels(e.number, std::slice::from_ref(&s.flaky_label))
                            .await,
                    )?;
                    did.push(format!("labelled `{}`", s.flaky_label));
                }
                if !self.seen(e).await? {
                    self.comment(e.number, &render::flaky_comment(s, test, &mark))
                        .await?;
                    did.push("commented".into());
                }
                row.action = if did.is_empty() {
                    already.into()
                } else {
                    did.join(", ")
                };
            }
            (Step::Close, Some(e)) => {
                if !self.seen(e).await? {
                    self.comment(e.number, &render::passed_comment(s, &mark))
                        .await?;
                }
                self.set_state(e.number, IssueState::Closed, StateReason::Completed)
                    .await?;
                row.action = "closed".into();
            }
            (Step::NotePass, Some(e)) => {
                // Once per streak of green runs: not again while the last mark says passed.
                let last_passed = self
                    .marks(e)
                    .await?
                    .last()
                    .is_some_and(|m| m.outcome == "passed");
                if last_passed {
                    row.action = "passing (already said)".into();
                } else {
                    self.comment(e.number, &render::passed_comment(s, &mark))
                        .await?;
                    row.action = "commented (passed; left open)".into();
                }
            }
            (Step::InSummary, _) => row.action = "listed in the summary issue".into(),
            (_, None) => row.action = "no issue".into(),
        }
        Ok(row)
    }

    async fn summary(&mut self, step: &SummaryStep, plan: &Plan) -> Result<Row, IssuesError> {
        let s = self.settings;
        let key = Key::Summary {
            context: s.context.clone(),
        };
        let failing: Vec<&TestResult> = plan
            .items
            .iter()
            .filter(|i| i.step == Step::InSummary)
            .map(|i| &i.test)
            .collect();
        let mut row = Row {
            test: "(summary)".into(),
            outcome: "summary",
            issue: None,
            action: String::new(),
        };
        let existing = match step {
            SummaryStep::Close { issue } => Some(issue.clone()),
            SummaryStep::Write { issue } => issue.clone(),
        };
        row.issue = existing.as_ref().map(|e| (e.number, e.url.clone()));
        if s.dry_run {
            row.action = match (step, &existing) {
                (SummaryStep::Write { .. }, None) => "would open, listing the failing tests",
                (SummaryStep::Write { .. }, Some(e)) if !e.open => "would reopen and update",
                (SummaryStep::Write { .. }, Some(_)) => "would update",
                (SummaryStep::Close { .. }, _) => "would comment and close",
            }
            .into();
            return Ok(row);
        }
        let mark = self.mark("summary");
        match (step, existing) {
            (SummaryStep::Write { .. }, None) => {
                let new = NewIssue {
                    title: format!(
                        "{} failing tests in {}",
                        failing.len(),
                        render::title("", &s.context)
                    ),
                    body: render::summary_body(s, &key, &failing, Some(&mark)),
                    labels: vec![s.label.clone()],
                };
                let created = gh(
                    || "opening the summary issue".to_string(),
                    self.github.create_issue(&new).await,
                )?;
                self.done.opened.push(created.number);
                row.issue = Some((created.number, created.html_url));
                row.action = "opened".into();
            }
            (SummaryStep::Write { .. }, Some(e)) => {
                if self.seen(&e).await? {
                    row.action = "already done by this run attempt".into();
                    return Ok(row);
                }
                let patch = IssuePatch {
                    title: Some(format!(
                        "{} failing tests in {}",
                        failing.len(),
                        render::title("", &s.context)
                    )),
                    body: Some(render::summary_body(s, &key, &failing, None)),
                    state: (!e.open).then_some(IssueState::Open),
                    state_reason: (!e.open).then_some(StateReason::Reopened),
                };
                gh(
                    || format!("updating the summary issue #{}", e.number),
                    self.github.update_issue(e.number, &patch).await,
                )?;
                if !e.open {
                    self.done.reopened.push(e.number);
                }
                self.comment(e.number, &render::summary_comment(s, &mark, failing.len()))
                    .await?;
                row.action = if e.open {
                    "updated, commented"
                } else {
                    "reopened, updated, commented"
                }
                .into();
            }
            (SummaryStep::Close { .. }, Some(e)) => {
                if !self.seen(&e).await? {
                    self.comment(
                        e.number,
                        &render::summary_over_comment(s, &mark, plan.failed),
                    )
                    .await?;
                }
                self.set_state(e.number, IssueState::Closed, StateReason::Completed)
                    .await?;
                row.action = "closed".into();
            }
            (SummaryStep::Close { .. }, None) => row.action = "no issue".into(),
        }
        Ok(row)
    }

    /// Closes open duplicates of a key as `duplicate` of the original (lowest number).
    async fn close_duplicates(
        &mut self,
        duplicates: &[(Existing, u64)],
    ) -> Result<(), IssuesError> {
        for (dup, original) in duplicates {
            if self.settings.dry_run {
                self.done.notes.push(format!(
                    "issue #{} duplicates #{original}: would be closed as a duplicate",
                    dup.number
                ));
                continue;
            }
            // Another run may have closed it since it was listed: read it again first.
            let now = gh(
                || format!("reading issue #{}", dup.number),
                self.github.issue(dup.number).await,
            )?;
            if now.state == IssueState::Closed {
                continue;
            }
            let mark = self.mark("duplicate");
            self.comment(dup.number, &render::duplicate_comment(&mark, *original))
                .await?;
            self.set_state(dup.number, IssueState::Closed, StateReason::Duplicate)
                .await?;
            self.done.notes.push(format!(
                "issue #{} duplicated #{original} (opened by a concurrent run): closed as a duplicate",
                dup.number
            ));
        }
        Ok(())
    }
}

/// Applies `plan` (a dry run only describes it); after opening issues, lists again and closes
/// any duplicate a concurrent run opened at the same time.
pub(crate) async fn apply(
    github: &GitHub,
    plan: Plan,
    settings: &Settings,
) -> Result<Done, IssuesError> {
    let mut run = Run {
        github,
        settings,
        done: Done {
            failed: plan.failed,
            passed: plan.passed,
            flaky: plan.flaky,
            dry_run: settings.dry_run,
            ..Done::default()
        },
        marked: BTreeMap::new(),
    };
    run.close_duplicates(&plan.duplicates).await?;
    for item in &plan.items {
        let row = run.item(item).await?;
        run.done.rows.push(row);
    }
    if let Some(step) = &plan.summary {
        let row = run.summary(step, &plan).await?;
        // Past the cap every failing test is listed in the summary issue: rows link to it.
        if matches!(step, SummaryStep::Write { .. }) {
            let listed = run.done.rows.iter_mut();
            for r in listed.filter(|r| r.outcome == "failed" && r.issue.is_none()) {
                r.issue.clone_from(&row.issue);
            }
        }
        run.done.rows.push(row);
    }
    if !settings.dry_run && !run.done.opened.is_empty() {
        let again = list(github, settings).await?;
        let ours: Vec<(Existing, u64)> = again
            .duplicates
            .into_iter()
            .filter(|(dup, _)| run.done.opened.contains(&dup.number))
            .collect();
        run.close_duplicates(&ours).await?;
    }
    for list in [
        &mut run.done.opened,
        &mut run.done.reopened,
        &mut run.done.commented,
        &mut run.done.closed,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    Ok(run.done)
}
