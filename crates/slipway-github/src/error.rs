//! Errors callers branch on, each naming the request, the status and GitHub's own words.

use std::fmt;
use std::time::Duration;

/// The longest response excerpt an error carries.
const EXCERPT_CHARS: usize = 400;

/// A GitHub answer that was not a success: what was asked and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// HTTP method.
    pub method: String,
    /// The request's URL path (never a query string, which may hold a signature).
    pub path: String,
    /// HTTP status code.
    pub status: u16,
    /// GitHub's `message`, when the body had one.
    pub message: Option<String>,
    /// The `errors[].code` values (`already_exists`, `invalid`, …).
    pub codes: Vec<String>,
    /// The start of the response body, whitespace collapsed.
    pub body_excerpt: String,
    /// The attempts made, retries included.
    pub attempts: u32,
}

impl ApiFailure {
    /// Builds a failure from a response body, pulling out `message` and `errors[].code`.
    pub(crate) fn from_body(method: &str, path: &str, status: u16, body: &[u8]) -> Self {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let message = json
            .as_ref()
            .and_then(|j| j.get("message"))
            .and_then(|m| m.as_str())
            .map(str::to_string);
        let codes = json
            .as_ref()
            .and_then(|j| j.get("errors"))
            .and_then(|e| e.as_array())
            .map(|errs| {
                errs.iter()
                    .filter_map(|e| e.get("code").and_then(|c| c.as_str()))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Self {
            method: method.to_string(),
            path: path.to_string(),
            status,
            message,
            codes,
            body_excerpt: excerpt(body),
            attempts: 1,
        }
    }

    /// True when GitHub reported `errors[].code == "already_exists"`.
    pub fn already_exists(&self) -> bool {
        self.codes.iter().any(|c| c == "already_exists")
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{} {}` answered {}",
            self.method,
            self.path,
            status_text(self.status)
        )?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if !self.codes.is_empty() {
            write!(f, " (codes: {})", self.codes.join(", "))?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        if !self.body_excerpt.is_empty() {
            write!(f, "\nresponse body: {}", self.body_excerpt)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong talking to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// 401: the token is missing, malformed, revoked or expired.
    #[error(
        "the token was rejected: {0}\nhint: pass a valid token in the `token` input (default `${{{{ github.token }}}}`); a personal token may have expired"
    )]
    Unauthorized(Box<ApiFailure>),
    /// 404: the resource is not there, or the token may not see it.
    #[error(
        "{0}\nhint: GitHub also answers 404 for a private repository the token cannot read, or when the job lacks a permission: check `repository` and the job's `permissions:`"
    )]
    NotFound(Box<ApiFailure>),
    /// 403 that is not a rate limit: the token lacks a permission.
    #[error(
        "{0}\nhint: give the job the permission it needs, e.g. `permissions: contents: write` for releases"
    )]
    Forbidden(Box<ApiFailure>),
    /// A rate limit that outlasted the retries or the longest allowed wait.
    #[error(
        "{failure}\nrate limited: {detail}\nhint: re-run the job after the limit resets, or space out the workflows that share this token"
    )]
    RateLimited {
        /// The last answer.
        failure: Box<ApiFailure>,
        /// When the limit resets and why the client stopped waiting.
        detail: String,
        /// `x-ratelimit-reset`, in epoch seconds, when GitHub sent it.
        reset: Option<u64>,
    },
    /// 422 with `errors[].code == "already_exists"` (a release for the tag, an asset name).
    #[error("{0}")]
    AlreadyExists(Box<ApiFailure>),
    /// Any other 422: GitHub refused the request's content.
    #[error("{0}")]
    Validation(Box<ApiFailure>),
    /// 5xx, after every retry.
    #[error(
        "{0}\nhint: GitHub had trouble answering; see https://www.githubstatus.com and re-run the job"
    )]
    Server(Box<ApiFailure>),
    /// Another status (400, 409, 410, …), never retried.
    #[error("{0}")]
    Http(Box<ApiFailure>),
    /// No answer: connection refused or reset, DNS, TLS, timeout; after every retry.
    #[error(
        "`{method} {url}` failed after {attempts} attempt(s): {message}\nhint: check `api-url` and the network; GitHub may be unreachable"
    )]
    Transport {
        /// HTTP method.
        method: String,
        /// Scheme, host and path of the request.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The error and its causes.
        message: String,
    },
    /// The answer was a success but not the JSON expected.
    #[error("cannot read the answer to `{method} {url}`: {message}\nresponse body: {body_excerpt}")]
    Decode {
        /// HTTP method.
        method: String,
        /// The request path.
        url: String,
        /// The decoder's complaint.
        message: String,
        /// The start of the body.
        body_excerpt: String,
    },
    /// A download broke after bytes were written: the caller restarts into a fresh file.
    #[error("download of `{url}` broke after {written} bytes: {message}")]
    Interrupted {
        /// The asset's API URL path.
        url: String,
        /// Bytes already written to the caller's writer.
        written: u64,
        /// What broke.
        message: String,
    },
    /// A redirect the client will not follow (downgrade to http, too many hops, no `Location`).
    #[error("refusing a redirect from `{from}`: {reason}")]
    Redirect {
        /// The URL that answered with the redirect (scheme, host, path).
        from: String,
        /// Why it was refused.
        reason: String,
    },
    /// A local file could not be read (upload) or written (download).
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// `read`, `write`, `open`…
        action: &'static str,
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `file_contents` found a directory, symlink or submodule instead of a file.
    #[error("`{path}` at `{git_ref}` is a {kind}, not a file")]
    NotAFile {
        /// The repository path.
        path: String,
        /// The ref it was read at.
        git_ref: String,
        /// `dir`, `submodule`, …
        kind: String,
    },
    /// The client configuration cannot work (a bad `api-url`, a token with line breaks).
    #[error("{0}")]
    Config(String),
}

impl GitHubError {
    /// The HTTP status GitHub answered, when the error is an HTTP answer.
    pub fn status(&self) -> Option<u16> {
        self.failure().map(|f| f.status)
    }

    /// The answer behind an HTTP error.
    pub fn failure(&self) -> Option<&ApiFailure> {
        match self {
            Self::Unauthorized(f)
            | Self::NotFound(f)
            | Self::Forbidden(f)
            | Self::AlreadyExists(f)
            | Self::Validation(f)
            | Self::Server(f)
            | Self::Http(f)
            | Self::RateLimited { failure: f, .. } => Some(f),
            _ => None,
        }
    }

    /// Maps a final (non-retried or retries-exhausted) answer to its variant.
    pub(crate) fn from_failure(failure: ApiFailure) -> Self {
        let f = Box::new(failure);
        match f.status {
            401 => Self::Unauthorized(f),
            403 => Self::Forbidden(f),
            404 => Self::NotFound(f),
            422 if f.already_exists() => Self::AlreadyExists(f),
            422 => Self::Validation(f),
            500..=599 => Self::Server(f),
            _ => Self::Http(f),
        }
    }
}

/// `404 Not Found`, or the bare number for codes without a reason phrase.
pub(crate) fn status_text(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// The start of a body as one line of text.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > EXCERPT_CHARS {
        let cut: String = collapsed.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

/// `250 ms`, `1.5 s`, `14 min 5 s`, `2 h 3 min`.
pub(crate) fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    let s = d.as_secs();
    if ms < 1000 {
        format!("{ms} ms")
    } else if s < 60 {
        let tenths = (ms / 100) % 10;
        if tenths == 0 {
            format!("{s} s")
        } else {
            format!("{s}.{tenths} s")
        }
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// An epoch second as `2024-05-01 12:00:00 UTC` (days-to-civil conversion, proleptic Gregorian).
pub(crate) fn utc_time(epoch: u64) -> String {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_carry_message_codes_and_excerpt() {
        let body = br#"{"message":"Validation Failed","errors":[{"resource":"ReleaseAsset","code":"already_exists","field":"name"}],"documentation_url":"https://docs.github.com"}"#;
        let f = ApiFailure::from_body("POST", "/repos/o/r/releases/1/assets", 422, body);
        assert!(f.already_exists());
        let e = GitHubError::from_failure(f);
        assert!(matches!(e, GitHubError::AlreadyExists(_)), "{e:?}");
        let text = e.to_string();
        assert!(text.starts_with("`POST /repos/o/r/releases/1/assets` answered 422 Unprocessable Entity: Validation Failed (codes: already_exists)"), "{text}");
        assert!(text.contains("response body: {\"message\""), "{text}");
    }

    #[test]
    fn statuses_map_to_variants_with_hints() {
        let make = |s| GitHubError::from_failure(ApiFailure::from_body("GET", "/x", s, b"{}"));
        assert!(matches!(make(401), GitHubError::Unauthorized(_)));
        assert!(matches!(make(403), GitHubError::Forbidden(_)));
        assert!(matches!(make(404), GitHubError::NotFound(_)));
        assert!(matches!(make(422), GitHubError::Validation(_)));
        assert!(matches!(make(502), GitHubError::Server(_)));
        assert!(matches!(make(409), GitHubError::Http(_)));
        assert!(make(401).to_string().contains("the token was rejected"));
        assert!(make(401).to_string().contains(
            "hint: pass a valid token in the `token` input (default `${{ github.token }}`)"
        ));
        assert!(
            make(404)
                .to_string()
                .contains("\nhint: GitHub also answers 404")
        );
        assert!(make(403).to_string().contains("permissions:"));
        assert_eq!(make(404).status(), Some(404));
    }

    #[test]
    fn excerpts_are_one_bounded_line() {
        assert_eq!(excerpt(b"  a\n  b\tc "), "a b c");
        let long = "x".repeat(1000);
        let e = excerpt(long.as_bytes());
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn durations_and_times_read_well() {
        assert_eq!(human_duration(Duration::from_millis(10)), "10 ms");
        assert_eq!(human_duration(Duration::from_secs(2)), "2 s");
        assert_eq!(human_duration(Duration::from_secs(845)), "14 min 5 s");
        assert_eq!(human_duration(Duration::from_secs(7380)), "2 h 3 min");
        assert_eq!(utc_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_time(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc_time(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
