//! The transport: one reqwest client without its own redirects, and the loop every call goes
//! through — attempts under the time bounds, redirects by the request's rule, the credential
//! only to its origins, bodies read under a cap, retries by the one policy, all text redacted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, LOCATION};
use http::{Method, StatusCode};
use slipway_runner::{Env, Secrets};
use tokio::io::AsyncWriteExt as _;
use url::Url;

use crate::answer::{Answer, Sink};
use crate::bounds::{Bound, Meter, TimeBounds};
use crate::error::HttpError;
use crate::request::{Body, Redirects, Request};
use crate::retry::{self, GiveUp, LimitKind, Plan, RetryEvent, RetryPolicy, Verdict};
use crate::text::{describe, display_url, same_origin, status_text};

/// Redirect hops followed at most.
pub const MAX_REDIRECTS: u32 = 5;
/// The most of an error body kept (it is only ever quoted, cut).
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// How the transport is set up.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// The `User-Agent` of every request.
    pub user_agent: String,
    /// The retry policy.
    pub policy: RetryPolicy,
    /// The time bounds.
    pub bounds: TimeBounds,
    /// The run's secrets: everything the transport quotes is redacted with them.
    pub secrets: Secrets,
    /// URLs on this origin are shown as their path in messages (the GitHub API's own).
    pub home: Option<Url>,
}

impl TransportConfig {
    /// Policy and bounds from the `SLIPWAY_*` variables; an invalid bound is an error.
    pub fn from_env(user_agent: &str, env: &Env, secrets: Secrets) -> Result<Self, String> {
        Ok(Self {
            user_agent: user_agent.to_string(),
            policy: RetryPolicy::from_env(env),
            bounds: TimeBounds::from_env(env)?,
            secrets,
            home: None,
        })
    }
}

/// Why one attempt failed.
enum Failure {
    /// No usable answer: retried.
    Transport(String),
    /// A time bound: retried.
    Bound(Bound),
    /// Never retried.
    Fatal(HttpError),
}

/// What one attempt shares with the loop that watches it.
struct AttemptState {
    /// Bytes moving, for the time bounds.
    meter: Arc<Meter>,
    /// The URL being asked (after redirects), for the message when the attempt is cut off.
    at: Mutex<Url>,
    /// Bytes written to the sink.
    written: AtomicU64,
    /// The head of a success answer, kept for a [`Request::body_optional`] call.
    head: Mutex<Option<Answer>>,
}

/// The one HTTP transport. Cheap to clone; clones share the connection pool and the retry log.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    config: TransportConfig,
    retries: Mutex<Vec<RetryEvent>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("bounds", &self.inner.config.bounds)
            .field("policy", &self.inner.config.policy)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Builds the transport (TLS with the system's roots).
    pub fn new(config: TransportConfig) -> Result<Self, HttpError> {
        let client = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.bounds.connect)
            .build()
            .map_err(|e| {
                HttpError::Config(format!("cannot set up the HTTP client: {}", describe(&e)))
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                config,
                retries: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The time bounds in force.
    pub fn bounds(&self) -> &TimeBounds {
        &self.inner.config.bounds
    }

    /// The retry policy in force.
    pub fn policy(&self) -> &RetryPolicy {
        &self.inner.config.policy
    }

    /// The run's secrets.
    pub fn secrets(&self) -> &Secrets {
        &self.inner.config.secrets
    }

    /// `text` with every secret redacted.
    pub fn redact(&self, text: &str) -> String {
        self.inner.config.secrets.redact(text)
    }

    /// `url` as messages show it (see [`display_url`]).
    pub fn show(&self, url: &Url) -> String {
        display_url(url, self.inner.config.home.as_ref())
    }

    /// Every retry made so far, oldest first (for step summaries).
    pub fn retries(&self) -> Vec<RetryEvent> {
        self.inner
            .retries
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    fn note_retry(&self, event: RetryEvent) {
        tracing::warn!("{event}");
        if let Ok(mut log) = self.inner.retries.lock() {
            log.push(event);
        }
    }

    /// Sends `req` and reads the whole answer (up to its cap), whatever its status; retries
    /// connection errors, broken time bounds and retryable statuses under the policy.
    pub async fn fetch(&self, req: &Request) -> Result<Answer, HttpError> {
        self.run(req, None, &mut |_| {}).await
    }

    /// [`Transport::fetch`] with `progress` told the bytes of the body sent so far (uploads).
    pub async fn fetch_with_progress(
        &self,
        req: &Request,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Answer, HttpError> {
        self.run(req, None, progress).await
    }

    /// Sends `req` and streams a success body into `sink` (stopping at its expected size);
    /// another status comes back as an [`Answer`] with its body read, nothing written.
    /// A failure after bytes were written rewinds the sink and retries like any other; when the
    /// attempts run out it ends with [`HttpError::Interrupted`].
    pub async fn download(
        &self,
        req: &Request,
        sink: Sink<'_>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Answer, HttpError> {
        self.run(req, Some(sink), progress).await
    }

    /// For callers that must look at the world between attempts (an upload whose answer was
    /// lost: is the file on the index now?): after failed attempt number `failed` of a
    /// [`Request::once`] call, waits as the policy says and returns `true`, or returns `false`
    /// when the policy gives up. `outcome` is the attempt's answer or error.
    pub async fn pause_before_retry(
        &self,
        req: &Request,
        failed: u32,
        outcome: &Result<Answer, HttpError>,
    ) -> bool {
        let (verdict, reason) = match outcome {
            Ok(answer) => self.verdict(answer),
            Err(HttpError::Transport { message, .. }) => {
                (Verdict::Transient, format!("connection error ({message})"))
            }
            Err(HttpError::TimedOut { bound, .. }) => (Verdict::Transient, bound.to_string()),
            Err(_) => return false,
        };
        match retry::plan(
            self.policy(),
            &verdict,
            failed,
            retry::now_epoch(),
            retry::jitter(),
        ) {
            Plan::Retry(wait) => {
                self.note_retry(RetryEvent {
                    method: req.method.to_string(),
                    url: self.show(&req.url),
                    reason,
                    attempt: failed + 1,
                    max_attempts: self.policy().max_attempts.max(1),
                    wait,
                });
                tokio::time::sleep(wait).await;
                true
            }
            Plan::GiveUp(_) => false,
        }
    }

    /// How the policy sees an answer, and the reason a retry log line gives.
    fn verdict(&self, answer: &Answer) -> (Verdict, String) {
        let verdict = retry::classify(answer.status.as_u16(), &answer.headers, &answer.message());
        let status = status_text(answer.status.as_u16());
        let reason = match verdict {
            Verdict::RateLimited(l) if l.kind == LimitKind::Secondary => {
                format!("{status} (secondary rate limit)")
            }
            Verdict::RateLimited(_) => format!("{status} (rate limit)"),
            _ => status,
        };
        (verdict, reason)
    }

    async fn run(
        &self,
        req: &Request,
        mut sink: Option<Sink<'_>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Answer, HttpError> {
        let bounds = *self.bounds();
        let expected = sink.as_ref().and_then(|s| s.expected).unwrap_or(0);
        let deadline = req
            .deadline
            .unwrap_or_else(|| bounds.deadline_for(req.body.len().max(expected)));
        let deadline_at = tokio::time::Instant::now() + deadline;
        let method = req.method.to_string();
        let max = if req.retries {
            self.policy().max_attempts.max(1)
        } else {
            1
        };
        let mut failed = 0;
        loop {
            failed += 1;
            let state = AttemptState {
                meter: Meter::new(),
                at: Mutex::new(req.url.clone()),
                written: AtomicU64::new(0),
                head: Mutex::new(None),
            };
            let attempt = self.attempt(req, &state, sink.as_mut(), progress);
            let outcome = tokio::select! {
                r = attempt => r,
                b = state.meter.watch(&bounds) => Err(Failure::Bound(b)),
                _ = tokio::time::sleep_until(deadline_at) => Err(Failure::Bound(Bound::Deadline(deadline))),
            };
            // A body-optional call whose success head came: the status is the answer.
            let outcome = match (outcome, state.head.lock().ok().and_then(|mut h| h.take())) {
                (Err(Failure::Transport(m)), Some(h)) => self.body_lost(h, failed, &m),
                (Err(Failure::Bound(b)), Some(h)) => self.body_lost(h, failed, &b.to_string()),
                (outcome, _) => outcome,
            };
            let url = state
                .at
                .lock()
                .map(|u| u.clone())
                .unwrap_or_else(|_| req.url.clone());
            let shown = self.show(&url);
            let host = url.host_str().unwrap_or_default().to_string();
            let written = state.written.load(Ordering::Relaxed);
            // A download that broke after writing: the sink starts again before a retry.
            let mut rewind = false;
            let (verdict, reason, last) = match outcome {
                Ok(mut answer) => {
                    answer.attempts = failed;
                    if answer.status.is_success() || answer.status.is_redirection() {
                        return Ok(answer);
                    }
                    let (verdict, reason) = self.verdict(&answer);
                    (verdict, reason, Ok(answer))
                }
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Bound(Bound::Deadline(d))) if written == 0 => {
                    return Err(HttpError::TimedOut {
                        method,
                        url: shown,
                        host,
                        attempts: failed,
                        bound: Bound::Deadline(d),
                    });
                }
                Err(failure) if written > 0 => {
                    let message = self.redact(&match failure {
                        Failure::Transport(m) => m,
                        Failure::Bound(b) => b.to_string(),
                        Failure::Fatal(e) => return Err(e),
                    });
                    let interrupted = HttpError::Interrupted {
                        url: shown.clone(),
                        written,
                        message: message.clone(),
                    };
                    if sink.is_none() || tokio::time::Instant::now() >= deadline_at {
                        return Err(interrupted);
                    }
                    rewind = true;
                    (
                        Verdict::Transient,
                        format!("the body broke after {written} bytes ({message})"),
                        Err(interrupted),
                    )
                }
                Err(Failure::Transport(message)) => {
                    let message = self.redact(&message);
                    (
                        Verdict::Transient,
                        format!("connection error ({message})"),
                        Err(HttpError::Transport {
                            method: method.clone(),
                            url: shown.clone(),
                            host,
                            attempts: failed,
                            message,
                        }),
                    )
                }
                Err(Failure::Bound(bound)) => (
                    Verdict::Transient,
                    bound.to_string(),
                    Err(HttpError::TimedOut {
                        method: method.clone(),
                        url: shown.clone(),
                        host,
                        attempts: failed,
                        bound,
                    }),
                ),
            };
            let plan = if failed >= max {
                Plan::GiveUp(GiveUp::Exhausted)
            } else {
                retry::plan(
                    self.policy(),
                    &verdict,
                    failed,
                    retry::now_epoch(),
                    retry::jitter(),
                )
            };
            let plan = match plan {
                Plan::Retry(wait) if tokio::time::Instant::now() + wait >= deadline_at => {
                    Plan::GiveUp(GiveUp::WaitTooLong(wait))
                }
                p => p,
            };
            match plan {
                Plan::Retry(wait) => {
                    if rewind
                        && let Some(sink) = sink.as_mut()
                        && sink.writer.rewind().await.is_err()
                    {
                        return last.and(Err(HttpError::Sink(std::io::Error::other(
                            "cannot start the download again from nothing",
                        ))));
                    }
                    self.note_retry(RetryEvent {
                        method: method.clone(),
                        url: shown,
                        reason,
                        attempt: failed + 1,
                        max_attempts: max,
                        wait,
                    });
                    tokio::time::sleep(wait).await;
                }
                Plan::GiveUp(why) => {
                    return match last {
                        Ok(mut answer) => {
                            if req.retries {
                                answer.gave_up = Some(why);
                            }
                            Ok(answer)
                        }
                        Err(e) => Err(e),
                    };
                }
            }
        }
    }

    /// One attempt: redirects followed by the request's rule, the answer read or streamed.
    async fn attempt(
        &self,
        req: &Request,
        state: &AttemptState,
        mut sink: Option<&mut Sink<'_>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Answer, Failure> {
        let meter = &state.meter;
        let mut url = req.url.clone();
        let mut hops = 0;
        loop {
            if let Ok(mut a) = state.at.lock() {
                *a = url.clone();
            }
            let resp = self.send_one(req, &url, meter, progress).await?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let follow = match req.redirects {
                    Redirects::None => None,
                    Redirects::SameOrigin | Redirects::Follow => {
                        let location = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok());
                        let target =
                            self.redirect_target(req, &url, location, hops)
                                .map_err(|reason| {
                                    Failure::Fatal(HttpError::Redirect {
                                        method: req.method.to_string(),
                                        url: self.show(&url),
                                        reason,
                                    })
                                })?;
                        let other_origin = !same_origin(&target, &url);
                        if req.redirects == Redirects::SameOrigin && other_origin {
                            None
                        } else if req.method != Method::GET
                            && req.method != Method::HEAD
                            && (matches!(status.as_u16(), 301..=303)
                                || (other_origin && !req.body.is_empty()))
                        {
                            return Err(Failure::Fatal(HttpError::Redirect {
                                method: req.method.to_string(),
                                url: self.show(&url),
                                reason: format!(
                                    "a {} to `{}` would {}",
                                    status_text(status.as_u16()),
                                    self.show(&target),
                                    if matches!(status.as_u16(), 301..=303) {
                                        format!("turn the {} into a GET", req.method)
                                    } else {
                                        "send the request's body to another host".to_string()
                                    }
                                ),
                            }));
                        } else {
                            Some(target)
                        }
                    }
                };
                if let Some(target) = follow {
                    tracing::debug!(
                        "following {} from {} to {}",
                        status.as_u16(),
                        self.show(&url),
                        self.show(&target)
                    );
                    url = target;
                    hops += 1;
                    continue;
                }
            }
            let headers = resp.headers().clone();
            let mut answer = Answer {
                url: url.clone(),
                status,
                headers,
                body: Bytes::new(),
                streamed: 0,
                attempts: 1,
                gave_up: None,
                secrets: self.secrets().clone(),
            };
            if req.body_optional && status.is_success() {
                *state
                    .head
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(answer.clone());
            }
            meter.moving(true);
            match sink.as_deref_mut() {
                Some(sink) if status.is_success() => {
                    answer.streamed = self.stream_into(resp, &url, sink, state, progress).await?;
                }
                _ => {
                    let cap = if status.is_success() || status.is_redirection() {
                        req.cap
                    } else {
                        req.cap.min(ERROR_BODY_CAP)
                    };
                    let (body, complete) = read_capped(resp, cap, meter).await?;
                    if !complete && status.is_success() {
                        return Err(Failure::Fatal(HttpError::TooLarge {
                            method: req.method.to_string(),
                            url: self.show(&url),
                            cap: req.cap,
                        }));
                    }
                    answer.body = body;
                }
            }
            meter.moving(false);
            return Ok(answer);
        }
    }

    /// A [`Request::body_optional`] call's success head, its body lost (logged, with `why`).
    fn body_lost(&self, mut head: Answer, attempts: u32, why: &str) -> Result<Answer, Failure> {
        let (url, status) = (self.show(&head.url), status_text(head.status.as_u16()));
        let why = self.redact(why);
        tracing::warn!("`{url}` answered {status}, but its body did not arrive ({why})");
        head.attempts = attempts;
        Ok(head)
    }

    /// Sends the request to `url` and waits for the answer's head, reporting upload progress.
    async fn send_one(
        &self,
        req: &Request,
        url: &Url,
        meter: &Arc<Meter>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<reqwest::Response, Failure> {
        let mut builder = self
            .inner
            .client
            .request(req.method.clone(), url.clone())
            .headers(req.headers.clone());
        if let Some(credential) = req.credential.as_ref().filter(|c| c.allows(url)) {
            builder = builder.header(AUTHORIZATION, credential.value().clone());
        }
        // Upload progress: the body stream announces each chunk handed to the connection.
        let (sent_tx, mut sent_rx) = tokio::sync::watch::channel(0u64);
        let uploading = matches!(req.body, Body::Source(_));
        builder = match &req.body {
            Body::Empty => builder,
            Body::Bytes(b) => builder.body(b.clone()),
            Body::Source(source) => {
                let stream = source
                    .open()
                    .await
                    .map_err(|e| Failure::Fatal(HttpError::Source(e)))?;
                meter.moving(true);
                let counted = meter.clone();
                let ended = meter.clone();
                let mut total = 0u64;
                let stream = stream
                    .inspect(move |chunk| {
                        if let Ok(c) = chunk {
                            counted.add(c.len() as u64);
                            total += c.len() as u64;
                            sent_tx.send_replace(total);
                        }
                    })
                    .chain(futures_util::stream::poll_fn(move |_| {
                        // The body is handed over whole: from here the attempt waits for the answer.
                        ended.moving(false);
                        std::task::Poll::Ready(None)
                    }));
                builder
                    .header(CONTENT_LENGTH, source.len())
                    .body(reqwest::Body::wrap_stream(stream))
            }
        };
        let send = builder.send();
        tokio::pin!(send);
        let mut reported = 0;
        let result = if uploading {
            loop {
                tokio::select! {
                    r = &mut send => break r,
                    changed = sent_rx.changed() => match changed {
                        Ok(()) => {
                            reported = *sent_rx.borrow_and_update();
                            progress(reported);
                        }
                        // The body was handed over whole: only the answer is left.
                        Err(_) => break (&mut send).await,
                    },
                }
            }
        } else {
            send.await
        };
        let last = *sent_rx.borrow();
        if uploading && last != reported {
            progress(last);
        }
        let resp = result.map_err(|e| {
            if e.is_connect() && e.is_timeout() {
                Failure::Bound(Bound::Connect(self.bounds().connect))
            } else {
                Failure::Transport(describe(&e.without_url()))
            }
        })?;
        meter.moving(false);
        Ok(resp)
    }

    /// Where a redirect leads, or why it must not be followed: at most [`MAX_REDIRECTS`] hops,
    /// only http(s), and plain http only when the request and the home origin are plain http
    /// (a local test server), never down from https.
    fn redirect_target(
        &self,
        req: &Request,
        current: &Url,
        location: Option<&str>,
        hops: u32,
    ) -> Result<Url, String> {
        if hops >= MAX_REDIRECTS {
            return Err(format!("more than {MAX_REDIRECTS} redirects"));
        }
        let location = location.ok_or("the redirect has no `Location` header")?;
        let target = current
            .join(location.trim())
            .map_err(|e| format!("the `Location` header is not a URL: {e}"))?;
        match target.scheme() {
            "https" => Ok(target),
            "http"
                if req.url.scheme() == "http"
                    && self
                        .inner
                        .config
                        .home
                        .as_ref()
                        .is_none_or(|h| h.scheme() == "http") =>
            {
                Ok(target)
            }
            "http" => Err(format!(
                "it leads to plain http (`{}`), a downgrade from https",
                self.show(&target)
            )),
            other => Err(format!("it leads to an unsupported scheme `{other}`")),
        }
    }

    /// Streams a success body into the sink, refusing more than its expected size at once.
    async fn stream_into(
        &self,
        mut resp: reqwest::Response,
        url: &Url,
        sink: &mut Sink<'_>,
        state: &AttemptState,
        progress: &mut dyn FnMut(u64),
    ) -> Result<u64, Failure> {
        let meter = &state.meter;
        let oversized = |expected| {
            Failure::Fatal(HttpError::Oversized {
                url: self.show(url),
                expected,
            })
        };
        let declared = resp.content_length();
        if let (Some(expected), Some(declared)) = (sink.expected, declared)
            && declared > expected
        {
            return Err(oversized(expected));
        }
        let mut total = 0u64;
        loop {
            let chunk = resp
                .chunk()
                .await
                .map_err(|e| Failure::Transport(describe(&e.without_url())))?;
            let Some(chunk) = chunk else { break };
            meter.add(chunk.len() as u64);
            if sink
                .expected
                .is_some_and(|e| total + chunk.len() as u64 > e)
            {
                return Err(oversized(sink.expected.unwrap_or_default()));
            }
            sink.writer
                .write_all(&chunk)
                .await
                .map_err(|e| Failure::Fatal(HttpError::Sink(e)))?;
            total += chunk.len() as u64;
            state.written.store(total, Ordering::Relaxed);
            progress(total);
        }
        let short =
            |of: u64| Failure::Transport(format!("the body ended after {total} of {of} bytes"));
        if let Some(expected) = sink.expected.filter(|e| *e != total) {
            return Err(short(expected));
        }
        if let Some(declared) = declared.filter(|d| *d != total) {
            return Err(short(declared));
        }
        sink.writer
            .flush()
            .await
            .map_err(|e| Failure::Fatal(HttpError::Sink(e)))?;
        Ok(total)
    }
}

/// Reads a body up to `cap` bytes; `false` when there was more (the rest is not read).
async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
    meter: &Arc<Meter>,
) -> Result<(Bytes, bool), Failure> {
    if resp.content_length().is_some_and(|l| l > cap) {
        return Ok((Bytes::new(), false));
    }
    let mut body = BytesMut::new();
    loop {
        let chunk = resp
            .chunk()
            .await
            .map_err(|e| Failure::Transport(describe(&e.without_url())))?;
        let Some(chunk) = chunk else {
            return Ok((body.freeze(), true));
        };
        meter.add(chunk.len() as u64);
        let room = cap.saturating_sub(body.len() as u64) as usize;
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body.freeze(), false));
        }
        body.extend_from_slice(&chunk);
    }
}
