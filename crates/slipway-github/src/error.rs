//! Errors callers branch on, each naming the request, the status and GitHub's own words.

use std::fmt;

use slipway_http::HttpError;
use slipway_http::text::{excerpt, status_text};

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
    /// A redirect where GitHub answers directly (a POST, a JSON call): not followed, so neither
    /// the body nor the token goes where it points.
    #[error(
        "{0}; the redirect was not followed\nhint: GitHub does not redirect this request, and following it would send the request (with its token or body) elsewhere; check `api-url` and any proxy in between"
    )]
    Redirected(Box<ApiFailure>),
    /// Another status (400, 409, 410, …), never retried.
    #[error("{0}")]
    Http(Box<ApiFailure>),
    /// The answer was a success but not the JSON expected.
    #[error(
        "cannot read the answer to `{method} {url}`: {message}{}",
        if body_excerpt.is_empty() { String::new() } else { format!("\nresponse body: {body_excerpt}") }
    )]
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
    /// No usable answer: the network, a time bound, a redirect that must not be followed, an
    /// answer too large, a download that broke or was longer than the asset. The transport's
    /// message names the host that failed.
    #[error(transparent)]
    Network(Box<HttpError>),
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

impl From<HttpError> for GitHubError {
    fn from(e: HttpError) -> Self {
        Self::Network(Box::new(e))
    }
}

impl GitHubError {
    /// The transport's error, when the call got no usable answer.
    pub fn network(&self) -> Option<&HttpError> {
        match self {
            Self::Network(e) => Some(e),
            _ => None,
        }
    }

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
            | Self::Redirected(f)
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
            300..=399 => Self::Redirected(f),
            500..=599 => Self::Server(f),
            _ => Self::Http(f),
        }
    }
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
        assert!(matches!(make(307), GitHubError::Redirected(_)));
        assert!(make(307).to_string().contains("not followed\nhint: "));
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
}
