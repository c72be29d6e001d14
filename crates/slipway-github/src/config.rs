//! Client configuration: where the API is, who we are, and how patient to be.

use std::time::Duration;

use secrecy::SecretString;
use slipway_runner::RepoSlug;

/// The `User-Agent` sent on every request unless the caller sets another.
pub const DEFAULT_USER_AGENT: &str = concat!("slipway/", env!("CARGO_PKG_VERSION"));

/// How failed requests are retried; one policy covers every call, uploads and downloads included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per request, the first included (default 5).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles per attempt, with jitter (default 1 s).
    pub base_backoff: Duration,
    /// Upper bound of one backoff for 5xx and connection errors (default 30 s).
    pub max_backoff: Duration,
    /// Longest single wait for a rate limit; a longer wait fails at once (default 15 min).
    pub max_rate_limit_wait: Duration,
    /// Wait after a secondary rate limit that names no `retry-after` (default 60 s, as GitHub asks).
    pub secondary_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            secondary_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy with every wait shrunk to `unit` (tests: retries happen, but in milliseconds).
    pub fn fast(unit: Duration) -> Self {
        Self {
            max_attempts: 5,
            base_backoff: unit,
            max_backoff: unit * 4,
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            secondary_rate_limit_wait: unit,
        }
    }
}

/// Everything [`crate::GitHub::new`] needs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// REST API base URL: `https://api.github.com`, `https://HOST/api/v3` (GitHub Enterprise
    /// Server; the path prefix is kept) or `http://127.0.0.1:PORT` in tests.
    pub api_url: String,
    /// The token, sent only to the API host and the release upload host; `None` is anonymous.
    pub token: Option<SecretString>,
    /// The repository every call works on.
    pub repo: RepoSlug,
    /// The `User-Agent` header (GitHub rejects requests without one).
    pub user_agent: String,
    /// Retry and rate-limit policy.
    pub retry: RetryPolicy,
    /// Longest wait for a TCP/TLS connection (default 30 s).
    pub connect_timeout: Duration,
    /// Longest silence while reading a response or body (default 120 s); not a total timeout,
    /// so a slow multi-gigabyte transfer that keeps moving never times out.
    pub read_timeout: Duration,
}

impl ClientConfig {
    /// A configuration with the default user agent, retry policy and timeouts.
    pub fn new(api_url: impl Into<String>, token: Option<SecretString>, repo: RepoSlug) -> Self {
        Self {
            api_url: api_url.into(),
            token,
            repo,
            user_agent: DEFAULT_USER_AGENT.to_string(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(120),
        }
    }
}
