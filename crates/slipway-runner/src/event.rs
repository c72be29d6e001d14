//! Event payloads (`$GITHUB_EVENT_PATH`): only the fields slipway reads, all optional, so any
//! event's JSON parses.

use std::path::Path;

use serde::Deserialize;

/// The parts of an event payload slipway uses.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    /// `published`, `created`, `opened`, …
    pub action: Option<String>,
    /// `release` events.
    pub release: Option<ReleasePayload>,
    /// `push` events: the commit before the push (all zeros for a new branch).
    pub before: Option<String>,
    /// `push` events: the commit after the push.
    pub after: Option<String>,
    /// `push` events: the pushed ref.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    /// `push` events: the newest pushed commit (its id and committer time).
    pub head_commit: Option<HeadCommitPayload>,
    /// `workflow_dispatch` inputs (all strings or booleans, kept as JSON).
    pub inputs: Option<serde_json::Map<String, serde_json::Value>>,
    /// `pull_request` / `pull_request_target` events.
    pub pull_request: Option<PullRequestPayload>,
    /// The repository the event belongs to.
    pub repository: Option<RepositoryPayload>,
}

/// `.release` of a release event.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReleasePayload {
    /// Release id.
    pub id: u64,
    /// Tag name.
    pub tag_name: String,
    /// Whether the release is a draft.
    #[serde(default)]
    pub draft: bool,
    /// Whether the release is a prerelease.
    #[serde(default)]
    pub prerelease: bool,
    /// Web URL.
    pub html_url: Option<String>,
}

/// `.head_commit` of a push event.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HeadCommitPayload {
    /// Commit SHA.
    pub id: Option<String>,
    /// The commit's time, ISO 8601 with the committer's offset (`2026-05-01T09:30:00+02:00`).
    pub timestamp: Option<String>,
}

/// `.pull_request` of a pull-request event.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PullRequestPayload {
    /// Base of the pull request.
    pub base: GitRefPayload,
    /// Head of the pull request.
    pub head: GitRefPayload,
}

/// A commit reference inside a pull request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GitRefPayload {
    /// Commit SHA.
    pub sha: String,
    /// Repository the ref lives in (a fork for fork pull requests).
    pub repo: Option<RepositoryPayload>,
}

/// `.repository` of an event.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RepositoryPayload {
    /// `owner/name`.
    pub full_name: Option<String>,
    /// The default branch.
    pub default_branch: Option<String>,
    /// Whether the repository is a fork.
    #[serde(default)]
    pub fork: bool,
}

/// Why the event payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The file named by GITHUB_EVENT_PATH could not be read.
    #[error("cannot read the event payload `{path}`: {source}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not the JSON we expect.
    #[error("the event payload `{path}` is not valid JSON: {source}")]
    Parse {
        /// The path.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl Event {
    /// Reads and parses an event payload file.
    pub fn load(path: &Path) -> Result<Self, EventError> {
        let text = std::fs::read_to_string(path).map_err(|source| EventError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|source| EventError::Parse {
            path: path.display().to_string(),
            source,
        })
    }

    /// Parses an event payload.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The commit before a push, or the base of a pull request: what `previous-commit` compares
    /// with. `None` for a new branch (all-zero `before`) or other events.
    pub fn previous_commit(&self) -> Option<&str> {
        if let Some(pr) = &self.pull_request {
            return Some(pr.base.sha.as_str()).filter(|s| !s.is_empty());
        }
        self.before
            .as_deref()
            .filter(|b| !b.is_empty() && !b.bytes().all(|c| c == b'0'))
    }

    /// The pushed head commit's time when the event is a push of `sha` (any sha when `None`).
    pub fn head_commit_time(&self, sha: Option<&str>) -> Option<&str> {
        let head = self.head_commit.as_ref()?;
        if let (Some(want), Some(id)) = (sha, head.id.as_deref())
            && !want.eq_ignore_ascii_case(id)
        {
            return None;
        }
        head.timestamp.as_deref().filter(|t| !t.trim().is_empty())
    }

    /// A `workflow_dispatch` input as a string (booleans and numbers rendered).
    pub fn dispatch_input(&self, name: &str) -> Option<String> {
        let v = self.inputs.as_ref()?.get(name)?;
        match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_release_dispatch_pr() {
        let push =
            Event::parse(r#"{"before":"abc","after":"def","ref":"refs/heads/main"}"#).unwrap();
        assert_eq!(push.previous_commit(), Some("abc"));
        let new_branch =
            Event::parse(r#"{"before":"0000000000000000000000000000000000000000"}"#).unwrap();
        assert_eq!(new_branch.previous_commit(), None);
        let rel = Event::parse(r#"{"action":"published","release":{"id":7,"tag_name":"v1.0","prerelease":true,"draft":false}}"#).unwrap();
        let r = rel.release.unwrap();
        assert_eq!((r.id, r.tag_name.as_str(), r.prerelease), (7, "v1.0", true));
        let wd = Event::parse(r#"{"inputs":{"tag":"v2","dry":true}}"#).unwrap();
        assert_eq!(wd.dispatch_input("tag").as_deref(), Some("v2"));
        assert_eq!(wd.dispatch_input("dry").as_deref(), Some("true"));
        let pr = Event::parse(
            r#"{"pull_request":{"base":{"sha":"b1"},"head":{"sha":"h1","repo":{"fork":true}}}}"#,
        )
        .unwrap();
        assert_eq!(pr.previous_commit(), Some("b1"));
        let head =
            Event::parse(r#"{"head_commit":{"id":"abc","timestamp":"2026-05-01T09:30:00+02:00"}}"#)
                .unwrap();
        assert_eq!(
            head.head_commit_time(Some("abc")),
            Some("2026-05-01T09:30:00+02:00")
        );
        assert_eq!(head.head_commit_time(Some("def")), None);
    }
}
