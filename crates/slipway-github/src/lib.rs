//! A typed GitHub REST client for slipway's actions: releases, assets, tags and file contents
//! of one repository.
//!
//! JSON calls go through octocrab's raw request methods so that this crate's policy sees every
//! status and header; asset uploads and downloads are streamed with reqwest. One retry policy
//! ([`RetryPolicy`]) covers all of them: 5xx and connection errors back off exponentially,
//! rate limits wait for `retry-after`/`x-ratelimit-reset`, other 4xx fail at once with a typed
//! [`GitHubError`]. Every retry is logged and kept ([`GitHub::retries`]). The token only goes
//! to the API origin and to the upload host a release names; redirects to other hosts are
//! followed without it.
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
mod error;
mod inputs;
mod models;
mod releases;
mod retry;
mod transfer;
mod urls;

pub use client::GitHub;
pub use config::{ClientConfig, DEFAULT_USER_AGENT, RetryPolicy};
pub use error::{ApiFailure, GitHubError};
pub use inputs::{
    API_URL_INPUT, REPOSITORY_INPUT, SetupError, client_from_inputs, retry_policy, token_input,
};
pub use models::{
    Asset, GeneratedNotes, NewRelease, Release, ReleasePatch, Tag, TagCommit, github_asset_name,
};
pub use retry::RetryEvent;
