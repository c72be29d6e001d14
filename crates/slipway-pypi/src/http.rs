//! The HTTP side shared by the index check, the upload and trusted publishing: the clients, the
//! credentials, the retry policy, and readable text from an error response.

use std::time::Duration;

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("slipway-pypi/", env!("CARGO_PKG_VERSION"));

/// Credentials for the upload (HTTP Basic); the password never appears in `Debug` output.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user (`__token__` for API tokens).
    pub user: String,
    /// The password or API token.
    pub password: SecretString,
}

impl Credentials {
    /// The `Authorization: Basic …` header value, marked sensitive so it is never logged.
    pub fn header(&self) -> HeaderValue {
        let raw = format!("{}:{}", self.user, self.password.expose_secret());
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        value.set_sensitive(true);
        value
    }

    /// Adds the header to a request.
    pub fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(AUTHORIZATION, self.header())
    }
}

/// How often and how patiently a request is retried after 5xx answers and connection errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first one included).
    pub attempts: u32,
    /// The wait before the second attempt; doubled each time after.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The default policy, tuned by the same variables as the GitHub side:
    /// `SLIPWAY_RETRY_ATTEMPTS` (attempts in all) and `SLIPWAY_RETRY_UNIT_MS` (every wait scaled
    /// to this unit; tests and impatient local runs).
    pub fn from_env(env: &slipway_runner::Env) -> Self {
        use slipway_runner::env::{SLIPWAY_RETRY_ATTEMPTS, SLIPWAY_RETRY_UNIT_MS};
        let mut policy = Self::default();
        if let Some(ms) = env
            .get(SLIPWAY_RETRY_UNIT_MS)
            .and_then(|v| v.parse::<u64>().ok())
        {
            policy.base_delay = Duration::from_millis(ms);
            policy.max_delay = Duration::from_millis(ms.saturating_mul(4));
        }
        if let Some(n) = env
            .get(SLIPWAY_RETRY_ATTEMPTS)
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|n| *n >= 1)
        {
            policy.attempts = n;
        }
        policy
    }

    /// The wait after failed attempt number `attempt` (1-based): exponential, capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// The two clients: one that follows redirects for reads (reqwest drops `Authorization` when a
/// redirect changes host), one that never follows them, for uploads (redirects are handled by
/// the uploader, which re-sends the body only to the same origin).
#[derive(Debug, Clone)]
pub struct Clients {
    /// For GET requests.
    pub read: reqwest::Client,
    /// For the upload POST.
    pub upload: reqwest::Client,
}

/// The client could not be built (TLS roots missing, …).
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl Clients {
    /// Builds both clients with slipway's user agent and timeouts.
    pub fn new() -> Result<Self, ClientError> {
        let base = || {
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(Duration::from_secs(30))
                .read_timeout(Duration::from_secs(300))
        };
        Ok(Self {
            read: base()
                .redirect(reqwest::redirect::Policy::limited(10))
                .build()?,
            upload: base().redirect(reqwest::redirect::Policy::none()).build()?,
        })
    }
}

/// A short plain-text rendering of an error body: the HTML `<title>` and text without tags,
/// whitespace collapsed, cut to a few hundred characters.
pub fn body_text(body: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let lower = body.to_ascii_lowercase();
    // Skip <style> and <script> contents, which are not a reason.
    let mut skip_until: Option<usize> = None;
    for (i, c) in body.char_indices() {
        if let Some(end) = skip_until {
            if i < end {
                continue;
            }
            skip_until = None;
        }
        if c == '<' {
            for tag in ["style", "script"] {
                if lower[i + 1..].starts_with(tag) {
                    if let Some(close) = lower[i..].find(&format!("</{tag}>")) {
                        skip_until = Some(i + close + tag.len() + 3);
                    }
                }
            }
            in_tag = true;
            out.push(' ');
            continue;
        }
        if c == '>' && in_tag {
            in_tag = false;
            continue;
        }
        if !in_tag {
            out.push(c);
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'");
    let mut words: Vec<&str> = Vec::new();
    for w in out.split_whitespace() {
        words.push(w);
    }
    let mut text = words.join(" ");
    if text.chars().count() > 400 {
        text = text.chars().take(400).collect::<String>() + "…";
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1), Duration::from_millis(500));
        assert_eq!(p.delay(3), Duration::from_secs(2));
        assert_eq!(p.delay(30), Duration::from_secs(20));
    }

    #[test]
    fn error_bodies_become_one_line() {
        let html = "<html><head><title>400 Bad</title><style>p{}</style></head>\n<body><h1>400 Bad</h1>Invalid &amp; wrong</body></html>";
        assert_eq!(body_text(html), "400 Bad 400 Bad Invalid & wrong");
    }

    #[test]
    fn credentials_are_redacted_in_debug() {
        let c = Credentials {
            user: "__token__".into(),
            password: SecretString::from("pypi-secret"),
        };
        assert!(!format!("{c:?}").contains("pypi-secret"));
        assert!(format!("{:?}", c.header()).contains("Sensitive"));
    }
}
