//! The client: one HTTP stack (reqwest) under octocrab for JSON calls, one retry loop for every
//! request, manual redirects, and the rule that the token only goes to GitHub's own hosts.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LINK, LOCATION};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use slipway_runner::RepoSlug;
use url::Url;

use crate::config::{ClientConfig, RetryPolicy};
use crate::error::{ApiFailure, GitHubError, excerpt, human_duration, status_text, utc_time};
use crate::retry::{self, GiveUp, LimitKind, Plan, RetryEvent, Verdict};
use crate::urls::{self, display_url, redirect_target, same_origin};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A response body, whichever stack produced it.
pub(crate) type Body = UnsyncBoxBody<Bytes, BoxError>;

/// The media type of JSON API answers.
pub(crate) const JSON: &str = "application/vnd.github+json";
/// The REST API version every request asks for.
pub(crate) const API_VERSION: &str = "2022-11-28";

/// A typed GitHub REST client for one repository. Cheap to clone; clones share the connection
/// pool and the retry log.
#[derive(Clone)]
pub struct GitHub {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    octo: octocrab::Octocrab,
    pub(crate) http: reqwest::Client,
    pub(crate) api: Url,
    pub(crate) repo: RepoSlug,
    token: Option<secrecy::SecretString>,
    auth: Option<HeaderValue>,
    pub(crate) policy: RetryPolicy,
    retries: Mutex<Vec<RetryEvent>>,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("api", &self.inner.api.as_str())
            .field("repo", &self.inner.repo.to_string())
            .field("token", &self.inner.token.as_ref().map(|_| "[REDACTED]"))
            .finish_non_exhaustive()
    }
}

/// octocrab's transport: requests go out through our reqwest client, so JSON calls and
/// transfers share one connection pool, one TLS setup, and one `User-Agent`, and octocrab's
/// own tracing layer does not log retried 5xx answers as errors.
#[derive(Clone)]
struct ReqwestTransport(reqwest::Client);

impl tower_service::Service<http::Request<octocrab::OctoBody>> for ReqwestTransport {
    type Response = http::Response<reqwest::Body>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<octocrab::OctoBody>) -> Self::Future {
        let client = self.0.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            // JSON request bodies are small; buffering them is what octocrab does too.
            let body = body.collect().await?.to_bytes();
            let req = reqwest::Request::try_from(http::Request::from_parts(parts, body))?;
            let resp = client.execute(req).await.map_err(|e| e.without_url())?;
            Ok(http::Response::from(resp))
        })
    }
}

/// Which stack sends a request: octocrab for JSON calls, reqwest directly for transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    Octocrab,
    Reqwest,
}

/// Why one attempt failed, before the retry policy has looked at it.
pub(crate) enum AttemptError {
    /// No usable answer (connection, TLS, timeout, body cut off): retried with backoff.
    Transport(String),
    /// A non-success answer: classified by status and headers.
    Status {
        url: Url,
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    },
    /// Never retried.
    Fatal(GitHubError),
}

/// A response after redirects, with the URL that gave it.
pub(crate) struct Exchange {
    pub url: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Body,
}

/// The error and its causes on one line, wrappers that repeat their cause left out.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut messages = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        messages.push(e.to_string());
        cur = e.source();
    }
    let mut parts: Vec<&str> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let wraps_next = messages.get(i + 1).is_some_and(|n| m.contains(n.as_str()));
        if !wraps_next && !parts.contains(&m.as_str()) {
            parts.push(m);
        }
    }
    parts.join(": ")
}

impl GitHub {
    /// Builds a client; fails on an invalid `api_url` or a token that cannot be a header.
    /// Must be called inside a Tokio runtime (octocrab spawns its request queue on it).
    pub fn new(config: ClientConfig) -> Result<Self, GitHubError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GitHubError::Config(
                "the GitHub client must be created inside a Tokio runtime".into(),
            ));
        }
        let api = urls::parse_api_url(&config.api_url).map_err(GitHubError::Config)?;
        let token = config
            .token
            .filter(|t| !t.expose_secret().trim().is_empty());
        let auth = match &token {
            None => None,
            Some(t) => {
                let t = t.expose_secret().trim();
                let mut value = HeaderValue::from_str(&format!("Bearer {t}"))
                    .ok()
                    .filter(|_| !t.contains(char::is_whitespace))
                    .ok_or_else(|| {
                        GitHubError::Config(
                            "the token contains spaces or control characters\nhint: pass the token itself, e.g. `${{ secrets.GITHUB_TOKEN }}`, without a `Bearer`/`token` prefix".into(),
                        )
                    })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .build()
            .map_err(|e| {
                GitHubError::Config(format!("cannot set up the HTTP client: {}", describe(&e)))
            })?;
        let octo = match octocrab::OctocrabBuilder::new_empty()
            .with_service(ReqwestTransport(http.clone()))
            .with_auth(octocrab::AuthState::None)
            .build()
        {
            Ok(o) => o,
            Err(never) => match never {},
        };
        Ok(Self {
            inner: Arc::new(Inner {
                octo,
                http,
                api,
                repo: config.repo,
                token,
                auth,
                policy: config.retry,
                retries: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Every retry made so far by this client and its clones, oldest first (for summaries).
    pub fn retries(&self) -> Vec<RetryEvent> {
        self.inner
            .retries
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The repository this client works on.
    pub fn repo(&self) -> &RepoSlug {
        &self.inner.repo
    }

    /// The API base URL.
    pub fn api_url(&self) -> &Url {
        &self.inner.api
    }

    /// `/repos/{owner}/{repo}{rest}` on the API host.
    pub(crate) fn repo_url(&self, rest: &str) -> Result<Url, GitHubError> {
        let repo = &self.inner.repo;
        let path = format!(
            "/repos/{}/{}{rest}",
            urls::encode_component(&repo.owner),
            urls::encode_component(&repo.name)
        );
        urls::endpoint(&self.inner.api, &path).map_err(GitHubError::Config)
    }

    /// The Authorization header for `url`: only on the API's own origin, or on `extra` (the
    /// upload host a release names).
    pub(crate) fn auth_for(&self, url: &Url, extra: Option<&Url>) -> Option<HeaderValue> {
        let allowed =
            same_origin(url, &self.inner.api) || extra.is_some_and(|e| same_origin(url, e));
        if allowed {
            self.inner.auth.clone()
        } else {
            None
        }
    }

    /// Removes the token from text that came from elsewhere (a server could echo it).
    pub(crate) fn redact(&self, text: &str) -> String {
        match &self.inner.token {
            Some(t) if !t.expose_secret().trim().is_empty() => {
                text.replace(t.expose_secret().trim(), "[REDACTED]")
            }
            _ => text.to_string(),
        }
    }

    /// Sends one request, no redirects followed.
    async fn send_one(
        &self,
        via: Via,
        method: &Method,
        url: &Url,
        accept: &str,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, HeaderMap, Body), String> {
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(ACCEPT, accept)
            .header("x-github-api-version", API_VERSION);
        if let Some(auth) = self.auth_for(url, None) {
            req = req.header(AUTHORIZATION, auth);
        }
        if body.is_some() {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        let body = body.unwrap_or_default();
        match via {
            Via::Octocrab => {
                let req = req.body(body).map_err(|e| describe(&e))?;
                let resp = self
                    .inner
                    .octo
                    .execute(req)
                    .await
                    .map_err(|e| describe(&e))?;
                let (parts, body) = resp.into_parts();
                let body = body.map_err(|e| Box::new(e) as BoxError).boxed_unsync();
                Ok((parts.status, parts.headers, body))
            }
            Via::Reqwest => {
                let req = req.body(body).map_err(|e| describe(&e))?;
                let req = reqwest::Request::try_from(req).map_err(|e| describe(&e))?;
                let resp = self
                    .inner
                    .http
                    .execute(req)
                    .await
                    .map_err(|e| describe(&e.without_url()))?;
                let (parts, body) = http::Response::from(resp).into_parts();
                let body = body.map_err(|e| Box::new(e) as BoxError).boxed_unsync();
                Ok((parts.status, parts.headers, body))
            }
        }
    }

    /// Sends a request and follows redirects: at most 5 hops, never to plain http from an
    /// https API, the token only to the API origin (see [`Self::auth_for`]).
    pub(crate) async fn send_following(
        &self,
        via: Via,
        method: &Method,
        url: &Url,
        accept: &str,
        body: Option<Bytes>,
    ) -> Result<Exchange, AttemptError> {
        let mut url = url.clone();
        let mut hops = 0;
        loop {
            let (status, headers, resp_body) = self
                .send_one(via, method, &url, accept, body.clone())
                .await
                .map_err(AttemptError::Transport)?;
            if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
                return Ok(Exchange {
                    url,
                    status,
                    headers,
                    body: resp_body,
                });
            }
            let refuse = |reason: String| {
                AttemptError::Fatal(GitHubError::Redirect {
                    from: display_url(&url, &self.inner.api),
                    reason,
                })
            };
            let location = headers.get(LOCATION).and_then(|v| v.to_str().ok());
            let target = redirect_target(&url, location, &self.inner.api, hops).map_err(refuse)?;
            // 301/302/303 turn other methods into GET, which would silently drop a write.
            if *method != Method::GET
                && *method != Method::HEAD
                && matches!(status.as_u16(), 301..=303)
            {
                return Err(refuse(format!(
                    "a {} would turn the {method} into a GET",
                    status_text(status.as_u16())
                )));
            }
            tracing::debug!(
                "following {} from {} to {}",
                status.as_u16(),
                display_url(&url, &self.inner.api),
                display_url(&target, &self.inner.api)
            );
            url = target;
            hops += 1;
        }
    }

    /// Runs `attempt` until it succeeds, a fatal error occurs, or the policy gives up. Every
    /// retry is logged at WARN and recorded for [`Self::retries`].
    pub(crate) async fn with_retry<T, F, Fut>(
        &self,
        method: &Method,
        url: &Url,
        mut attempt: F,
    ) -> Result<T, GitHubError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AttemptError>>,
    {
        let policy = &self.inner.policy;
        let max = policy.max_attempts.max(1);
        let shown = display_url(url, &self.inner.api);
        let mut failed = 0;
        loop {
            failed += 1;
            let err = match attempt().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let (verdict, reason, last) = match err {
                AttemptError::Fatal(e) => return Err(e),
                AttemptError::Transport(message) => {
                    let message = self.redact(&message);
                    (
                        Verdict::Transient,
                        format!("connection error ({message})"),
                        GitHubError::Transport {
                            method: method.to_string(),
                            url: shown.clone(),
                            attempts: failed,
                            message,
                        },
                    )
                }
                AttemptError::Status {
                    url: at,
                    status,
                    headers,
                    body,
                } => {
                    let body = self.redact(&String::from_utf8_lossy(&body));
                    let mut failure = ApiFailure::from_body(
                        method.as_str(),
                        &display_url(&at, &self.inner.api),
                        status,
                        body.as_bytes(),
                    );
                    failure.attempts = failed;
                    let verdict =
                        retry::classify(status, &headers, failure.message.as_deref().unwrap_or(""));
                    let reason = match verdict {
                        Verdict::RateLimited(l) if l.kind == LimitKind::Secondary => {
                            format!("{} (secondary rate limit)", status_text(status))
                        }
                        Verdict::RateLimited(_) => format!("{} (rate limit)", status_text(status)),
                        _ => status_text(status),
                    };
                    let last = match verdict {
                        Verdict::RateLimited(_) => {
                            let reset = headers
                                .get("x-ratelimit-reset")
                                .and_then(|v| v.to_str().ok())
                                .and_then(|v| v.parse().ok());
                            GitHubError::RateLimited {
                                failure: Box::new(failure),
                                detail: String::new(),
                                reset,
                            }
                        }
                        _ => GitHubError::from_failure(failure),
                    };
                    (verdict, reason, last)
                }
            };
            let now = retry::now_epoch();
            match retry::plan(policy, &verdict, failed, now, retry::jitter()) {
                Plan::Retry(wait) => {
                    let event = RetryEvent {
                        method: method.to_string(),
                        url: shown.clone(),
                        reason,
                        attempt: failed + 1,
                        max_attempts: max,
                        wait,
                    };
                    self.note_retry(event);
                    tokio::time::sleep(wait).await;
                }
                Plan::GiveUp(why) => return Err(finish_rate_limit(last, why, failed, now, policy)),
            }
        }
    }

    /// Logs a retry at WARN and adds it to the retry log.
    pub(crate) fn note_retry(&self, event: RetryEvent) {
        tracing::warn!("{event}");
        if let Ok(mut log) = self.inner.retries.lock() {
            log.push(event);
        }
    }

    /// One JSON API request with retries; the answer's headers and body on success.
    pub(crate) async fn api_bytes(
        &self,
        method: Method,
        url: &Url,
        accept: &'static str,
        body: Option<Bytes>,
    ) -> Result<(HeaderMap, Bytes), GitHubError> {
        self.with_retry(&method, url, || async {
            let ex = self
                .send_following(Via::Octocrab, &method, url, accept, body.clone())
                .await?;
            read_whole(ex).await
        })
        .await
    }

    /// Decodes a JSON success body, with the body's start in the error.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        body: &[u8],
    ) -> Result<T, GitHubError> {
        serde_json::from_slice(body).map_err(|e| GitHubError::Decode {
            method: method.to_string(),
            url: display_url(url, &self.inner.api),
            message: e.to_string(),
            body_excerpt: self.redact(&excerpt(body)),
        })
    }

    /// `GET` a JSON resource.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: &Url) -> Result<T, GitHubError> {
        let (_, body) = self.api_bytes(Method::GET, url, JSON, None).await?;
        self.decode(&Method::GET, url, &body)
    }

    /// `GET` a JSON resource; a 404 is `None`.
    pub(crate) async fn get_json_opt<T: DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<Option<T>, GitHubError> {
        match self.get_json(url).await {
            Ok(v) => Ok(Some(v)),
            Err(GitHubError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends a JSON body and decodes the JSON answer.
    pub(crate) async fn send_json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: &Url,
        body: &B,
    ) -> Result<T, GitHubError> {
        let bytes = serde_json::to_vec(body).map_err(|e| GitHubError::Decode {
            method: method.to_string(),
            url: display_url(url, &self.inner.api),
            message: format!("cannot encode the request: {e}"),
            body_excerpt: String::new(),
        })?;
        let (_, answer) = self
            .api_bytes(method.clone(), url, JSON, Some(Bytes::from(bytes)))
            .await?;
        self.decode(&method, url, &answer)
    }

    /// `GET` every page of a list, following `Link: rel="next"` (100 per page).
    pub(crate) async fn get_pages<T: DeserializeOwned>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, GitHubError> {
        let mut url = urls::with_per_page(first);
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        loop {
            let (headers, body) = self.api_bytes(Method::GET, &url, JSON, None).await?;
            let page: Vec<T> = self.decode(&Method::GET, &url, &body)?;
            out.extend(page);
            let Some(next) = headers
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(urls::next_link)
            else {
                return Ok(out);
            };
            let next = url.join(&next).map_err(|e| GitHubError::Decode {
                method: "GET".into(),
                url: display_url(&url, &self.inner.api),
                message: format!("the `Link` header's next page is not a URL: {e}"),
                body_excerpt: String::new(),
            })?;
            if !same_origin(&next, &self.inner.api) {
                return Err(GitHubError::Redirect {
                    from: display_url(&url, &self.inner.api),
                    reason: format!(
                        "the `Link` header's next page is on another host (`{}`)",
                        display_url(&next, &self.inner.api)
                    ),
                });
            }
            // A server that links a page to itself would otherwise loop forever.
            if !seen.insert(next.to_string()) {
                return Ok(out);
            }
            url = next;
        }
    }
}

/// Reads a whole answer: the body on 2xx, an [`AttemptError::Status`] otherwise; a body cut off
/// mid-way is a transport error (retried).
pub(crate) async fn read_whole(ex: Exchange) -> Result<(HeaderMap, Bytes), AttemptError> {
    let body = ex
        .body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| AttemptError::Transport(describe(e.as_ref())));
    if ex.status.is_success() {
        Ok((ex.headers, body?))
    } else {
        Err(AttemptError::Status {
            url: ex.url,
            status: ex.status.as_u16(),
            headers: ex.headers,
            body: body.unwrap_or_default(),
        })
    }
}

/// Fills in why a rate-limited request gave up, and when the limit resets.
fn finish_rate_limit(
    last: GitHubError,
    why: GiveUp,
    attempts: u32,
    now: u64,
    policy: &RetryPolicy,
) -> GitHubError {
    match last {
        GitHubError::RateLimited { failure, reset, .. } => {
            let when = reset
                .map(|r| {
                    format!(
                        "; the limit resets at {} (in {})",
                        utc_time(r),
                        human_duration(std::time::Duration::from_secs(r.saturating_sub(now)))
                    )
                })
                .unwrap_or_default();
            let detail = match why {
                GiveUp::WaitTooLong(wait) => format!(
                    "GitHub asks to wait {}, longer than the {} this client waits{when}",
                    human_duration(wait),
                    human_duration(policy.max_rate_limit_wait)
                ),
                _ => format!("still limited after {attempts} attempt(s){when}"),
            };
            GitHubError::RateLimited {
                failure,
                detail,
                reset,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Inner2);
    #[derive(Debug)]
    struct Inner2;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "wrapper: inner failed")
        }
    }
    impl fmt::Display for Inner2 {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "inner failed")
        }
    }
    impl std::error::Error for Inner2 {}
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn describe_drops_wrappers_that_repeat_their_cause() {
        assert_eq!(describe(&Outer(Inner2)), "inner failed");
        let io = std::io::Error::other("reset by peer");
        assert_eq!(describe(&io), "reset by peer");
    }

    #[test]
    fn rate_limit_detail_names_the_reset() {
        let failure = Box::new(ApiFailure::from_body("GET", "/x", 403, b"{}"));
        let e = finish_rate_limit(
            GitHubError::RateLimited {
                failure,
                detail: String::new(),
                reset: Some(1_700_003_600),
            },
            GiveUp::WaitTooLong(std::time::Duration::from_secs(3600)),
            1,
            1_700_000_000,
            &RetryPolicy::default(),
        );
        let text = e.to_string();
        assert!(
            text.contains("GitHub asks to wait 1 h 0 min, longer than the 15 min 0 s this client waits; the limit resets at 2023-11-14 23:13:20 UTC (in 1 h 0 min)"),
            "{text}"
        );
    }
}
