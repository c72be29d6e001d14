//! A typed GitHub REST client for slipway's actions: releases, assets, tags, file contents and
//! issues and deployment environments of one repository.
//!
//! Every request — JSON calls, streamed asset uploads and downloads — goes through the shared
//! transport (`slipway-http`): one retry policy ([`RetryPolicy`]: 5xx and connection errors back
//! off exponentially, rate limits wait for `retry-after`/`x-ratelimit-reset`), the time bounds,
//! capped answers; other 4xx fail at once with a typed [`GitHubError`]. Every retry is logged
//! and kept ([`GitHub::retries`]). The token only goes to the API origin and to the upload host
//! a release names; redirects to other hosts are followed without it. Lists are read page by
//! page with each item once and a cap on pages.
//!
//! ```no_run
//! # async fn demo() -> Result<(), slipway_github::GitHubError> {
//! use slipway_github::{ClientConfig, GitHub};
//! let repo = slipway_runner::RepoSlug::parse("octo/pkg").unwrap();
//! let gh = GitHub::new(ClientConfig::new("https://api.github.com", None, repo))?;
//! for release in gh.find_release("v1.0.0", true).await? {
//!     println!("{} draft={}", release.id, release.draft);
//! }
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod environments;
mod error;
mod inputs;
mod issues;
mod models;
mod releases;
mod transfer;
mod urls;

pub use client::{GitHub, MAX_PAGES};
pub use config::{ClientConfig, DEFAULT_USER_AGENT};
pub use environments::{BranchPolicy, Environment, ProtectionRule};
pub use error::{ApiFailure, GitHubError};
pub use inputs::{
    API_URL_INPUT, REPOSITORY_INPUT, SetupError, asset_name_input, client_from_inputs,
    retry_policy, token_input,
};
pub use issues::{
    Issue, IssueComment, IssueLabel, IssuePatch, IssueState, MAX_BODY_CHARS, NewIssue, StateFilter,
    StateReason,
};
pub use models::{
    Asset, GeneratedNotes, NewRelease, Release, ReleasePatch, Tag, TagCommit, github_asset_name,
};
pub use slipway_http::RetryEvent;
pub use slipway_http::{HttpError, RetryPolicy, TimeBounds};
