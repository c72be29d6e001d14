//! Client configuration: where the API is, who we are, and how patient to be.

use secrecy::SecretString;
use slipway_http::{RetryPolicy, TimeBounds};
use slipway_runner::{RepoSlug, Secrets};

/// The `User-Agent` sent on every request unless the caller sets another.
pub const DEFAULT_USER_AGENT: &str = concat!("slipway/", env!("CARGO_PKG_VERSION"));

/// Everything [`crate::GitHub::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// REST API base URL: `https://api.github.com`, `https://HOST/api/v3` (GitHub Enterprise
    /// Server; the path prefix is kept) or `http://127.0.0.1:PORT` in tests.
    pub api_url: String,
    /// The token, sent only to the API origin and the upload host a release names; `None` is
    /// anonymous.
    pub token: Option<SecretString>,
    /// The repository every call works on.
    pub repo: RepoSlug,
    /// The `User-Agent` header (GitHub rejects requests without one).
    pub user_agent: String,
    /// Retry and rate-limit policy.
    pub retry: RetryPolicy,
    /// Connect, silent-peer, low-speed and deadline bounds.
    pub bounds: TimeBounds,
    /// The run's secrets (the token is added to them): whatever GitHub echoes is redacted.
    pub secrets: Secrets,
}

impl ClientConfig {
    /// A configuration with the default user agent, retry policy and time bounds.
    pub fn new(api_url: impl Into<String>, token: Option<SecretString>, repo: RepoSlug) -> Self {
        Self {
            api_url: api_url.into(),
            token,
            repo,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            retry: RetryPolicy::default(),
            bounds: TimeBounds::default(),
            secrets: Secrets::new(),
        }
    }
}
