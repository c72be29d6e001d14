//! What one logical call asks for: method, URL, headers, body, the credential and where it may
//! go, how redirects are treated, how much of the answer may be read, and whether to retry.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use futures_util::future::BoxFuture;
use http::Method;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::text::same_origin;

/// A body stream for one attempt.
pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// A body that is sent streamed and can be sent again: each attempt opens it anew.
pub trait Source: Send + Sync {
    /// The body's exact length in bytes (sent as `Content-Length`).
    fn len(&self) -> u64;
    /// True when the body is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A fresh stream of the whole body.
    fn open(&self) -> BoxFuture<'_, std::io::Result<ByteStream>>;
}

/// A request body.
#[derive(Clone, Default)]
pub enum Body {
    /// No body.
    #[default]
    Empty,
    /// A small body held in memory (JSON).
    Bytes(Bytes),
    /// A streamed body (files), reopened for each attempt.
    Source(Arc<dyn Source>),
}

impl Body {
    /// The body's length.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::Source(s) => s.len(),
        }
    }

    /// True for no body or an empty one.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How redirects are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// Never followed: a 3xx answer is returned as it is. For requests that carry a secret in
    /// their body (the OIDC token to the mint endpoint) and for uploads.
    None,
    /// Followed only within the request's origin; a redirect to another origin is returned as
    /// it is, for the caller to read (an index redirecting an unknown project elsewhere).
    SameOrigin,
    /// Followed anywhere (at most 5 hops, never from https to http); the credential goes only
    /// to the origins it names.
    Follow,
}

/// A header that authenticates, and the only origins it is sent to. A URL taken from a
/// server's answer on another origin never gets it.
#[derive(Clone)]
pub struct Credential {
    header: HeaderValue,
    origins: Vec<Url>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let origins: Vec<String> = self
            .origins
            .iter()
            .map(|o| crate::text::display_url(o, None))
            .collect();
        f.debug_struct("Credential")
            .field("header", &"[REDACTED]")
            .field("origins", &origins)
            .finish()
    }
}

impl Credential {
    /// `Authorization: Bearer <token>` for `origin`; an error when the token cannot be a header.
    pub fn bearer(token: &str, origin: &Url) -> Result<Self, String> {
        let token = token.trim();
        if token.is_empty() || token.contains(|c: char| c.is_whitespace() || c.is_control()) {
            return Err("the token contains spaces or control characters".into());
        }
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| "the token contains characters a header cannot carry".to_string())?;
        Ok(Self::header(value, origin))
    }

    /// `Authorization: Basic base64(user:password)` for `origin`.
    pub fn basic(user: &str, password: &str, origin: &Url) -> Self {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        Self::header(value, origin)
    }

    /// Any `Authorization` value for `origin`; marked sensitive so it is never logged.
    pub fn header(mut value: HeaderValue, origin: &Url) -> Self {
        value.set_sensitive(true);
        Self {
            header: value,
            origins: vec![origin.clone()],
        }
    }

    /// The same credential, also for `origin` (a host the user configured or GitHub's API named).
    pub fn also_for(mut self, origin: &Url) -> Self {
        if !self.allows(origin) {
            self.origins.push(origin.clone());
        }
        self
    }

    /// True when `url` is on one of the credential's origins.
    pub fn allows(&self, url: &Url) -> bool {
        self.origins.iter().any(|o| same_origin(o, url))
    }

    /// The header value.
    pub(crate) fn value(&self) -> &HeaderValue {
        &self.header
    }
}

/// The most of an answer body read into memory unless a request says otherwise (16 MiB): far
/// above any JSON page GitHub or an index serves, far below what would hurt.
pub const DEFAULT_CAP: u64 = 16 * 1024 * 1024;

/// One logical call.
#[derive(Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The first URL.
    pub url: Url,
    /// Headers other than the credential.
    pub headers: HeaderMap,
    /// The body.
    pub body: Body,
    /// The credential, sent only to its origins.
    pub credential: Option<Credential>,
    /// How redirects are treated.
    pub redirects: Redirects,
    /// The most bytes of an answer body read into memory; a longer success body is an error,
    /// a longer error body is cut.
    pub cap: u64,
    /// Retry under the transport's policy (`false`: one attempt; the caller decides).
    pub retries: bool,
    /// This call's deadline instead of the transport's.
    pub deadline: Option<Duration>,
    /// A success status stands even when the body after it never comes (an index's `200` to
    /// an upload is its word that it took the file; the text after it is not needed).
    pub body_optional: bool,
}

impl Request {
    /// A request with no body, following redirects, retried.
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: Body::Empty,
            credential: None,
            redirects: Redirects::Follow,
            cap: DEFAULT_CAP,
            retries: true,
            deadline: None,
            body_optional: false,
        }
    }

    /// A `GET`.
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    /// A `POST` (no redirects followed unless asked: a body is never re-sent elsewhere).
    pub fn post(url: Url) -> Self {
        let mut r = Self::new(Method::POST, url);
        r.redirects = Redirects::None;
        r
    }

    /// Adds a header (invalid values are dropped: callers pass constants and numbers).
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    /// A small body with its media type.
    pub fn bytes(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.body = Body::Bytes(body.into());
        self.header(CONTENT_TYPE, content_type)
    }

    /// A streamed body with its media type.
    pub fn source(mut self, content_type: &str, source: Arc<dyn Source>) -> Self {
        self.body = Body::Source(source);
        self.header(CONTENT_TYPE, content_type)
    }

    /// The credential for this call.
    pub fn credential(mut self, credential: Option<Credential>) -> Self {
        self.credential = credential;
        self
    }

    /// How redirects are treated.
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }

    /// The most bytes of the answer read into memory.
    pub fn cap(mut self, cap: u64) -> Self {
        self.cap = cap;
        self
    }

    /// One attempt only: the caller decides about retries through
    /// [`crate::Transport::pause_before_retry`].
    pub fn once(mut self) -> Self {
        self.retries = false;
        self
    }

    /// A success status is the answer even when its body breaks off or stalls (the body read
    /// so far is dropped): for uploads, whose status says all.
    pub fn body_optional(mut self) -> Self {
        self.body_optional = true;
        self
    }

    /// This call's own deadline.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_only_to_their_origins() {
        let api = Url::parse("https://api.github.com/").unwrap();
        let up = Url::parse("https://uploads.github.com/x").unwrap();
        let c = Credential::bearer("tok", &api).unwrap();
        assert!(c.allows(&Url::parse("https://api.github.com/repos").unwrap()));
        assert!(!c.allows(&up));
        assert!(!c.allows(&Url::parse("http://api.github.com/").unwrap()));
        assert!(!c.allows(&Url::parse("https://api.github.com:8443/").unwrap()));
        let c = c.also_for(&up);
        assert!(c.allows(&up));
        assert!(!format!("{c:?}").contains("tok"));
        assert!(Credential::bearer("a b", &api).is_err());
    }

    #[test]
    fn basic_is_standard_base64() {
        let origin = Url::parse("https://upload.pypi.org/").unwrap();
        let c = Credential::basic("__token__", "pypi-x", &origin);
        assert_eq!(
            c.value().to_str().unwrap(),
            "Basic X190b2tlbl9fOnB5cGkteA=="
        );
        assert!(c.value().is_sensitive());
    }
}
