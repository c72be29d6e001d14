//! The fake's issues state: issues and pull requests (one numbered list per repository),
//! comments and labels, as the handlers (`issues.rs`) read and change them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// An issue or pull request in the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Id (not the number).
    pub id: u64,
    /// `#N`, shared by issues and pull requests of a repository.
    pub number: u64,
    /// `owner/name`.
    pub repo: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// `completed`, `not_planned`, `duplicate`, `reopened`, or none.
    pub state_reason: Option<String>,
    /// Label names.
    pub labels: Vec<String>,
    /// True for a pull request.
    pub pull_request: bool,
    /// Creation time (Unix seconds).
    pub created_at: u64,
    /// Last change (Unix seconds).
    pub updated_at: u64,
    /// When it was closed.
    pub closed_at: Option<u64>,
}

/// A comment on an issue in the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    /// Id.
    pub id: u64,
    /// The issue's number.
    pub issue: u64,
    /// Body.
    pub body: String,
    /// Creation time (Unix seconds).
    pub created_at: u64,
}

/// An issue or pull request to seed (`FakeGitHub::add_issue`).
#[derive(Debug, Clone, Default)]
pub struct IssueSeed {
    pub(crate) title: String,
    pub(crate) body: Option<String>,
    pub(crate) labels: Vec<String>,
    pub(crate) closed: bool,
    pub(crate) pull_request: bool,
}

impl IssueSeed {
    /// An open issue titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }
    /// Sets the body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }
    /// Adds a label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.labels.push(label.into());
        self
    }
    /// Makes it closed (as completed).
    pub fn closed(mut self) -> Self {
        self.closed = true;
        self
    }
    /// Makes it a pull request.
    pub fn pull_request(mut self) -> Self {
        self.pull_request = true;
        self
    }
}

/// The issues state of the fake (part of its [`State`]).
#[derive(Debug, Default)]
pub(crate) struct Issues {
    /// (lower-cased repo, number) → issue.
    pub(crate) issues: BTreeMap<(String, u64), Issue>,
    pub(crate) comments: BTreeMap<u64, (String, IssueComment)>,
    /// (lower-cased repo, label) → label id.
    pub(crate) labels: BTreeMap<(String, String), u64>,
    pub(crate) numbers: BTreeMap<String, u64>,
    /// When each issue was created, for the search lag (the fake's clock runs ahead of real
    /// time when many items are seeded at once).
    pub(crate) written: BTreeMap<(String, u64), Instant>,
    /// How long a write takes to reach search (`None`: the default, 60 s).
    pub(crate) search_lag: Option<Duration>,
}

/// A repository's key: GitHub matches names case-insensitively.
pub(crate) fn key(repo: &str) -> String {
    repo.to_ascii_lowercase()
}

/// Label names, each once, in order.
pub(crate) fn dedup(labels: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in labels {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}
