//! The client: every request goes through the shared transport (`slipway-http`), which owns
//! retries, time bounds, redirects and redaction; this module adds GitHub's headers, its token
//! (only for the API origin), paging, and the mapping of answers to [`GitHubError`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::Method;
use http::header::{ACCEPT, HeaderMap, LINK};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde::de::DeserializeOwned;
use slipway_http::retry::GiveUp;
use slipway_http::text::{excerpt, human_duration, looks_like_html, same_origin, utc_time};
use slipway_http::{Answer, Credential, Request, RetryEvent, Transport, TransportConfig};
use slipway_runner::RepoSlug;
use url::Url;

use crate::config::ClientConfig;
use crate::error::{ApiFailure, GitHubError};
use crate::urls;

/// The media type of JSON API answers.
pub(crate) const JSON: &str = "application/vnd.github+json";
/// The REST API version every request asks for.
pub(crate) const API_VERSION: &str = "2022-11-28";
/// Pages of a list read at most (100 items each): 10,000 releases, assets or tags.
pub const MAX_PAGES: usize = 100;

/// Something listed by a paged endpoint, with the key that tells two items apart.
pub(crate) trait Keyed {
    /// The item's identity (its id, or a tag's name).
    fn key(&self) -> String;
}

/// A typed GitHub REST client for one repository. Cheap to clone; clones share the connection
/// pool and the retry log.
#[derive(Clone)]
pub struct GitHub {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) transport: Transport,
    pub(crate) api: Url,
    pub(crate) repo: RepoSlug,
    credential: Option<Credential>,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("api", &self.inner.api.as_str())
            .field("repo", &self.inner.repo.to_string())
            .field("credential", &self.inner.credential)
            .finish_non_exhaustive()
    }
}

impl GitHub {
    /// Builds a client; fails on an invalid `api_url` or a token that cannot be a header.
    pub fn new(config: ClientConfig) -> Result<Self, GitHubError> {
        let api = urls::parse_api_url(&config.api_url).map_err(GitHubError::Config)?;
        let credential = match config
            .token
            .as_ref()
            .map(|t| t.expose_secret().trim())
            .filter(|t| !t.is_empty())
        {
            None => None,
            Some(token) => {
                config.secrets.add(token);
                Some(Credential::bearer(token, &api).map_err(|reason| {
                    GitHubError::Config(format!(
                        "{reason}\nhint: pass the token itself, e.g. `${{{{ secrets.GITHUB_TOKEN }}}}`, without a `Bearer`/`token` prefix"
                    ))
                })?)
            }
        };
        let transport = Transport::new(TransportConfig {
            user_agent: config.user_agent.clone(),
            policy: config.retry.clone(),
            bounds: config.bounds,
            secrets: config.secrets.clone(),
            home: Some(api.clone()),
        })
        .map_err(|e| GitHubError::Config(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                api,
                repo: config.repo,
                credential,
            }),
        })
    }

    /// Every retry made so far by this client and its clones, oldest first (for summaries).
    pub fn retries(&self) -> Vec<RetryEvent> {
        self.inner.transport.retries()
    }

    /// The repository this client works on.
    pub fn repo(&self) -> &RepoSlug {
        &self.inner.repo
    }

    /// The API base URL.
    pub fn api_url(&self) -> &Url {
        &self.inner.api
    }

    /// The transport every request of this client goes through.
    pub fn transport(&self) -> &Transport {
        &self.inner.transport
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

    /// The token for the API origin, and also for `extra` (the upload host a release names).
    pub(crate) fn credential(&self, extra: Option<&Url>) -> Option<Credential> {
        let c = self.inner.credential.clone()?;
        Some(match extra {
            Some(e) => c.also_for(e),
            None => c,
        })
    }

    /// `url` as messages show it: a path on the API's origin, else scheme, host and path.
    pub(crate) fn show(&self, url: &Url) -> String {
        self.inner.transport.show(url)
    }

    /// Removes every secret from text that came from elsewhere (a server could echo it).
    pub(crate) fn redact(&self, text: &str) -> String {
        self.inner.transport.redact(text)
    }

    /// A request with GitHub's headers and the token for the API origin.
    pub(crate) fn request(&self, method: Method, url: &Url, accept: &str) -> Request {
        Request::new(method, url.clone())
            .header(ACCEPT, accept)
            .header(
                http::HeaderName::from_static("x-github-api-version"),
                API_VERSION,
            )
            .credential(self.credential(None))
    }

    /// Maps a non-success answer to its error: rate limits with when they reset, the rest by
    /// status (see [`GitHubError::from_failure`]).
    pub(crate) fn failure(&self, method: &Method, answer: &Answer) -> GitHubError {
        let body = self.redact(&String::from_utf8_lossy(&answer.body));
        let mut failure = ApiFailure::from_body(
            method.as_str(),
            &self.show(&answer.url),
            answer.status.as_u16(),
            body.as_bytes(),
        );
        failure.attempts = answer.attempts;
        let policy = self.inner.transport.policy();
        let limited = matches!(answer.status.as_u16(), 403 | 429)
            && slipway_http::retry::classify(
                answer.status.as_u16(),
                &answer.headers,
                failure.message.as_deref().unwrap_or(""),
            ) != slipway_http::retry::Verdict::Fatal;
        if !limited {
            return GitHubError::from_failure(failure);
        }
        let reset: Option<u64> = answer
            .headers
            .get("x-ratelimit-reset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let now = slipway_http::retry::now_epoch();
        let when = reset
            .map(|r| {
                format!(
                    "; the limit resets at {} (in {})",
                    utc_time(r),
                    human_duration(std::time::Duration::from_secs(r.saturating_sub(now)))
                )
            })
            .unwrap_or_default();
        let detail = match answer.gave_up {
            Some(GiveUp::WaitTooLong(wait)) => format!(
                "GitHub asks to wait {}, longer than the {} this client waits{when}",
                human_duration(wait),
                human_duration(
                    policy
                        .max_rate_limit_wait
                        .min(self.inner.transport.bounds().deadline)
                )
            ),
            _ => format!("still limited after {} attempt(s){when}", answer.attempts),
        };
        GitHubError::RateLimited {
            failure: Box::new(failure),
            detail,
            reset,
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
        let mut req = self.request(method, url, accept);
        if let Some(body) = body {
            req = req.bytes("application/json", body);
        }
        self.fetch_ok(&req).await
    }

    /// Sends `req`; the answer's headers and body on success, its error otherwise.
    pub(crate) async fn fetch_ok(&self, req: &Request) -> Result<(HeaderMap, Bytes), GitHubError> {
        let answer = self.inner.transport.fetch(req).await?;
        if answer.status.is_success() {
            Ok((answer.headers, answer.body))
        } else {
            Err(self.failure(&req.method, &answer))
        }
    }

    /// Decodes a JSON success body, with the body's start in the error; an HTML page (a web
    /// page or login wall where the API was expected) says to check `api-url`.
    pub(crate) fn decode<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        body: &[u8],
    ) -> Result<T, GitHubError> {
        serde_json::from_slice(body).map_err(|e| {
            let message = if looks_like_html(None, body) {
                format!(
                    "the answer is an HTML page, not the GitHub API's JSON\nhint: check `api-url` (`{}`): it must be the REST API (`https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server), not a web page or a login page",
                    slipway_http::text::display_url(&self.inner.api, None)
                )
            } else {
                e.to_string()
            };
            GitHubError::Decode {
                method: method.to_string(),
                url: self.show(url),
                message,
                body_excerpt: self.redact(&excerpt(body)),
            }
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
            url: self.show(url),
            message: format!("cannot encode the request: {e}"),
            body_excerpt: String::new(),
        })?;
        let (_, answer) = self
            .api_bytes(method.clone(), url, JSON, Some(Bytes::from(bytes)))
            .await?;
        self.decode(&method, url, &answer)
    }

    /// `GET` every page of a list, following `Link: rel="next"` (100 per page): each item once
    /// (GitHub's offset paging repeats an item when the list grows while it is read), at most
    /// [`MAX_PAGES`] pages, and a `Link` that leads back to a page already read is an error.
    pub(crate) async fn get_pages<T: DeserializeOwned + Keyed>(
        &self,
        first: Url,
    ) -> Result<Vec<T>, GitHubError> {
        let mut url = urls::with_per_page(first);
        let mut seen_pages = HashSet::new();
        let mut seen_items = HashSet::new();
        let mut out = Vec::new();
        let broken = |url: &Url, message: String| GitHubError::Decode {
            method: "GET".into(),
            url: self.show(url),
            message,
            body_excerpt: String::new(),
        };
        loop {
            seen_pages.insert(url.to_string());
            let (headers, body) = self.api_bytes(Method::GET, &url, JSON, None).await?;
            let page: Vec<T> = self.decode(&Method::GET, &url, &body)?;
            for item in page {
                if seen_items.insert(item.key()) {
                    out.push(item);
                }
            }
            let Some(next) = headers
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(urls::next_link)
            else {
                return Ok(out);
            };
            let next = url.join(&next).map_err(|e| {
                broken(
                    &url,
                    format!("the `Link` header's next page is not a URL: {e}"),
                )
            })?;
            if !same_origin(&next, &self.inner.api) {
                return Err(broken(
                    &url,
                    format!(
                        "the `Link` header's next page is on another host (`{}`); not followed, the token stays with the API\nhint: this is not how GitHub pages; check `api-url` and any proxy in between",
                        self.show(&next)
                    ),
                ));
            }
            if seen_pages.contains(next.as_str()) {
                return Err(broken(
                    &url,
                    format!(
                        "the `Link` header leads back to a page already read (`{}`): the list cannot be trusted\nhint: this is not how GitHub pages; check `api-url` and any proxy in between",
                        self.show(&next)
                    ),
                ));
            }
            if seen_pages.len() >= MAX_PAGES {
                return Err(broken(
                    &url,
                    format!(
                        "the list goes on past {MAX_PAGES} pages of 100; stopped reading\nhint: this is not how GitHub pages; check `api-url` and any proxy in between"
                    ),
                ));
            }
            url = next;
        }
    }
}
