//! Issues and their comments: listed through the list API (consistent: a write is seen by the
//! next read), never through search, whose index lags behind writes.

use http::Method;
use serde::{Deserialize, Serialize};

use crate::client::{GitHub, Keyed};
use crate::error::GitHubError;

/// `open` or `closed`, as GitHub spells an issue's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IssueState {
    /// Open.
    Open,
    /// Closed.
    Closed,
}

/// Why an issue was closed or reopened (GitHub's `state_reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateReason {
    /// Closed as done.
    Completed,
    /// Closed as not planned.
    NotPlanned,
    /// Closed as a duplicate of another issue.
    Duplicate,
    /// Reopened.
    Reopened,
}

/// Which issues a list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFilter {
    /// Open ones (GitHub's default).
    Open,
    /// Closed ones.
    Closed,
    /// Both.
    All,
}

impl StateFilter {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::All => "all",
        }
    }
}

/// A label on an issue (only its name is read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueLabel {
    /// The label's name.
    pub name: String,
}

/// An issue, or a pull request as the issues list also returns them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The issue's id (not its number).
    pub id: u64,
    /// The number shown as `#N`.
    pub number: u64,
    /// Title.
    pub title: String,
    /// Body (markdown); `None` when empty.
    #[serde(default)]
    pub body: Option<String>,
    /// Open or closed.
    pub state: IssueState,
    /// Why it was last closed or reopened.
    #[serde(default)]
    pub state_reason: Option<StateReason>,
    /// Its labels.
    #[serde(default)]
    pub labels: Vec<IssueLabel>,
    /// The issue's page.
    #[serde(default)]
    pub html_url: String,
    /// Present only on pull requests: the issues list returns those too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request: Option<serde_json::Value>,
}

impl Issue {
    /// True for a pull request listed among the issues.
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    /// True when it carries the label `name`.
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.name == name)
    }
}

/// A comment on an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueComment {
    /// The comment's id.
    pub id: u64,
    /// Body (markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// The comment's page.
    #[serde(default)]
    pub html_url: String,
}

/// A new issue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewIssue {
    /// Title.
    pub title: String,
    /// Body (markdown, at most 65,536 characters).
    pub body: String,
    /// Label names (GitHub creates the ones that do not exist yet).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

/// The fields of an issue to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IssuePatch {
    /// New title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// New body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Open or close it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<IssueState>,
    /// Why (only read when `state` changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<StateReason>,
}

#[derive(Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

#[derive(Serialize)]
struct LabelsBody<'a> {
    labels: &'a [String],
}

impl Keyed for Issue {
    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl Keyed for IssueComment {
    fn key(&self) -> String {
        self.id.to_string()
    }
}

/// GitHub refuses issue bodies and comments longer than this many characters.
pub const MAX_BODY_CHARS: usize = 65_536;

impl GitHub {
    /// Every issue (and pull request: see [`Issue::is_pull_request`]) with all of `labels` in
    /// `state`, all pages, through the list API (`GET /repos/{o}/{r}/issues`), which sees every
    /// earlier write, unlike search.
    pub async fn list_issues(
        &self,
        labels: &[&str],
        state: StateFilter,
    ) -> Result<Vec<Issue>, GitHubError> {
        let mut url = self.repo_url("/issues")?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("state", state.as_str());
            if !labels.is_empty() {
                q.append_pair("labels", &labels.join(","));
            }
        }
        self.get_pages(url).await
    }

    /// One issue by number.
    pub async fn issue(&self, number: u64) -> Result<Issue, GitHubError> {
        self.get_json(&self.repo_url(&format!("/issues/{number}"))?)
            .await
    }

    /// Creates an issue. Like every call it is retried after a 5xx, so a caller that must end
    /// with one issue per key looks for duplicates afterwards.
    pub async fn create_issue(&self, issue: &NewIssue) -> Result<Issue, GitHubError> {
        self.send_json(Method::POST, &self.repo_url("/issues")?, issue)
            .await
    }

    /// Changes the fields set in `patch` (reopen, close with a reason, a new body).
    pub async fn update_issue(
        &self,
        number: u64,
        patch: &IssuePatch,
    ) -> Result<Issue, GitHubError> {
        let url = self.repo_url(&format!("/issues/{number}"))?;
        self.send_json(Method::PATCH, &url, patch).await
    }

    /// Every comment on an issue, oldest first, all pages.
    pub async fn list_issue_comments(&self, number: u64) -> Result<Vec<IssueComment>, GitHubError> {
        self.get_pages(self.repo_url(&format!("/issues/{number}/comments"))?)
            .await
    }

    /// Adds a comment to an issue.
    pub async fn create_issue_comment(
        &self,
        number: u64,
        body: &str,
    ) -> Result<IssueComment, GitHubError> {
        let url = self.repo_url(&format!("/issues/{number}/comments"))?;
        self.send_json(Method::POST, &url, &CommentBody { body })
            .await
    }

    /// Adds labels to an issue, keeping the ones it has (GitHub creates unknown labels).
    pub async fn add_issue_labels(
        &self,
        number: u64,
        labels: &[String],
    ) -> Result<Vec<IssueLabel>, GitHubError> {
        let url = self.repo_url(&format!("/issues/{number}/labels"))?;
        self.send_json(Method::POST, &url, &LabelsBody { labels })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_pull_requests_parse_and_patches_skip_unset_fields() {
        let json = r#"{"id":9,"number":3,"title":"t","body":null,"state":"closed",
            "state_reason":"not_planned","labels":[{"id":1,"name":"bug","color":"f00"}],
            "html_url":"h","pull_request":{"url":"u"}}"#;
        let i: Issue = serde_json::from_str(json).unwrap();
        assert!(i.is_pull_request() && i.has_label("bug"));
        assert_eq!(
            (i.state, i.state_reason),
            (IssueState::Closed, Some(StateReason::NotPlanned))
        );
        let patch = IssuePatch {
            state: Some(IssueState::Closed),
            state_reason: Some(StateReason::Completed),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&patch).unwrap(),
            r#"{"state":"closed","state_reason":"completed"}"#
        );
    }
}
