//! The GitHub context every tool shares: repository, API URL, commit, event.

use std::fmt;

use crate::env::{self, Env};

/// A repository as `owner/name`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSlug {
    /// Owner (user or organisation).
    pub owner: String,
    /// Repository name.
    pub name: String,
}

impl RepoSlug {
    /// Parses `owner/name`; the error says what a valid value looks like.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        let ok_part = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                && s != "."
                && s != ".."
        };
        match value.split_once('/') {
            Some((owner, name)) if ok_part(owner) && ok_part(name) => {
                Ok(Self { owner: owner.to_string(), name: name.trim_end_matches(".git").to_string() })
            }
            _ => Err("expected `owner/name`\nhint: write the repository as it appears in its URL, e.g. `octo-org/my-package`".to_string()),
        }
    }
}

impl fmt::Display for RepoSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// The default REST API URL when neither the `api-url` input nor GITHUB_API_URL is set.
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// The workflow context from the environment.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// GITHUB_REPOSITORY.
    pub repository: Option<String>,
    /// GITHUB_API_URL or [`DEFAULT_API_URL`].
    pub api_url: String,
    /// GITHUB_SERVER_URL or `https://github.com`.
    pub server_url: String,
    /// GITHUB_SHA.
    pub sha: Option<String>,
    /// GITHUB_REF.
    pub git_ref: Option<String>,
    /// GITHUB_REF_NAME.
    pub ref_name: Option<String>,
    /// GITHUB_EVENT_NAME.
    pub event_name: Option<String>,
    /// GITHUB_RUN_ID.
    pub run_id: Option<String>,
    /// GITHUB_RUN_ATTEMPT.
    pub run_attempt: Option<String>,
    /// GITHUB_JOB.
    pub job: Option<String>,
}

impl Context {
    /// Reads the context from the environment.
    pub fn from_env(e: &Env) -> Self {
        let s = |n: &str| e.get(n).map(str::to_string);
        Self {
            repository: s(env::GITHUB_REPOSITORY),
            api_url: s(env::GITHUB_API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            server_url: s(env::GITHUB_SERVER_URL)
                .unwrap_or_else(|| "https://github.com".to_string()),
            sha: s(env::GITHUB_SHA),
            git_ref: s(env::GITHUB_REF),
            ref_name: s(env::GITHUB_REF_NAME),
            event_name: s(env::GITHUB_EVENT_NAME),
            run_id: s(env::GITHUB_RUN_ID),
            run_attempt: s(env::GITHUB_RUN_ATTEMPT),
            job: s(env::GITHUB_JOB),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(RepoSlug::parse("octo/pkg").unwrap().to_string(), "octo/pkg");
        assert_eq!(RepoSlug::parse("octo/pkg.git").unwrap().name, "pkg");
        for bad in [
            "",
            "octo",
            "octo/",
            "/pkg",
            "a/b/c",
            "octo/p kg",
            "https://github.com/a/b",
        ] {
            assert!(RepoSlug::parse(bad).is_err(), "{bad}");
        }
    }
}
