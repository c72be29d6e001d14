//! The per-request wrapper every host shares (on the testkit's [`serve`](crate::serve) stack): classify, log, inject
//! faults, check the token, dispatch, add rate-limit headers.

use std::convert::Infallible;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};

use super::Shared;
use super::ctx::{Ctx, json, not_found};
use super::exchange::keep;
use super::fault::{FaultAction, fire};
use super::log::{LogGuard, RequestRecord};
use super::route::{Host, RouteKind, classify};
use super::wire::{RATE_LIMIT, error_body};
use super::{api, transfer};
use crate::serve::{BoxError, Conn, accept};

/// Serves one of the fake's hosts on `listener` until the task is dropped.
pub(crate) async fn serve(listener: TcpListener, host: Host, shared: Arc<Shared>) {
    accept(listener, move |req, conn| {
        handle(shared.clone(), host, conn, req)
    })
    .await;
}

async fn handle(
    shared: Arc<Shared>,
    host: Host,
    conn: Conn,
    req: Request<Incoming>,
) -> Result<Response<Tracked>, Infallible> {
    let (parts, incoming) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let accept = header("accept");
    let octet = accept
        .as_deref()
        .is_some_and(|a| a.contains("application/octet-stream"));
    let route = classify(host, &method, &path, octet);
    let record = (route.kind != RouteKind::Admin).then(|| RequestRecord {
        host,
        route: route.kind,
        method: method.clone(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_string),
        authorization: header("authorization"),
        accept,
        content_length: header("content-length").and_then(|v| v.parse().ok()),
        started: Instant::now(),
        finished: Instant::now(),
        status: 0,
        request_body_len: 0,
        body_len: 0,
    });
    let mut guard = LogGuard::new(shared.clone(), record);
    let (action, capture) = if route.kind == RouteKind::Admin {
        (None, false)
    } else {
        let mut state = shared.lock();
        let action = fire(&mut state.faults, host, &method, &path, route.kind);
        (action, state.capture)
    };
    if capture {
        guard.capture(header("content-type"));
        if action.is_some() {
            guard.mark_injected();
        }
    }
    let mut out = Shaping::default();
    let mut reset_request = None;
    let mut fail_after_create = false;
    let mut corrupt_upload = false;
    match action {
        Some(FaultAction::Respond {
            status,
            headers,
            body,
        }) => {
            // Read the request body first, as GitHub's front proxies do: a client still sending
            // an upload then gets this answer, not a broken pipe.
            let mut incoming = incoming;
            while let Some(Ok(_)) = http_body_util::BodyExt::frame(&mut incoming).await {}
            let mut resp = json(status, body);
            if host != Host::Storage {
                rate_headers(&shared, &mut resp, true);
            }
            set_headers(&mut resp, &headers);
            return Ok(finish(resp, guard, out));
        }
        Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultAction::ResetConnection) => {
            conn.abort();
            std::future::pending::<()>().await;
        }
        Some(FaultAction::ResetRequestBody { after_bytes }) => reset_request = Some(after_bytes),
        Some(FaultAction::ResetResponseBody { after_bytes }) => out.reset_after = Some(after_bytes),
        Some(FaultAction::Corrupt) => out.corrupt = true,
        Some(FaultAction::FailAfterCreate) => fail_after_create = true,
        Some(FaultAction::CorruptUpload) => corrupt_upload = true,
        None => {}
    }
    let body = Body::new(RequestBody {
        inner: incoming,
        read: guard.request_counter(),
        capture: guard.request_capture(),
        reset_after: reset_request,
        conn,
    });
    let ctx = Ctx {
        shared: shared.clone(),
        query: url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        route,
        path,
        headers: parts.headers,
        fail_after_create,
        corrupt_upload,
    };
    let needs_token = !matches!(
        ctx.route.kind,
        RouteKind::Admin
            | RouteKind::Unexpected
            | RouteKind::StorageDownload
            | RouteKind::BrowserDownload
    );
    let denied = if needs_token {
        token_denial(&ctx)
    } else {
        None
    };
    let mut resp = match denied {
        Some(denied) => denied,
        None => dispatch(&ctx, body).await,
    };
    if host != Host::Storage && ctx.route.kind != RouteKind::Admin {
        rate_headers(&shared, &mut resp, ctx.route.kind != RouteKind::RateLimit);
    }
    Ok(finish(resp, guard, out))
}

/// Sends an accepted request to its handler: transfers (uploads, downloads, storage) to
/// [`transfer`], the rest to [`api`]. A transfer to an unknown repository is a 404, as in the API.
async fn dispatch(ctx: &Ctx, body: Body) -> Response {
    match ctx.route.kind {
        RouteKind::StorageDownload => transfer::storage(ctx),
        RouteKind::UploadAsset | RouteKind::DownloadAsset | RouteKind::BrowserDownload
            if !ctx.repo_known() =>
        {
            not_found()
        }
        RouteKind::UploadAsset => transfer::upload(ctx, body).await,
        RouteKind::DownloadAsset => transfer::download_asset(ctx),
        RouteKind::BrowserDownload => transfer::browser_download(ctx),
        _ => api::dispatch(ctx, body).await,
    }
}

/// GitHub's 401 unless the request carries `Authorization: Bearer <t>` or `token <t>` with the
/// configured token.
fn token_denial(ctx: &Ctx) -> Option<Response> {
    let Some(value) = ctx.header("authorization") else {
        return Some(json(401, error_body("Requires authentication")));
    };
    let presented = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .or_else(|| value.strip_prefix("token "))
        .map(str::trim);
    let state = ctx.shared.lock();
    match presented {
        Some(t) if t == state.token => None,
        _ => Some(json(401, error_body("Bad credentials"))),
    }
}

fn rate_headers(shared: &Shared, resp: &mut Response, count: bool) {
    let (remaining, reset, used) = {
        let mut state = shared.lock();
        if count {
            state.count_request()
        } else {
            (
                RATE_LIMIT - state.rate_used.min(RATE_LIMIT),
                state.rate_reset,
                state.rate_used,
            )
        }
    };
    let h = [
        ("x-ratelimit-limit", RATE_LIMIT.to_string()),
        ("x-ratelimit-remaining", remaining.to_string()),
        ("x-ratelimit-reset", reset.to_string()),
        ("x-ratelimit-used", used.to_string()),
        ("x-ratelimit-resource", "core".to_string()),
    ];
    let owned: Vec<(String, String)> = h.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    set_headers(resp, &owned);
}

fn set_headers(resp: &mut Response, headers: &[(String, String)]) {
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::try_from(k.as_str()),
            HeaderValue::try_from(v.as_str()),
        ) {
            resp.headers_mut().insert(k, v);
        }
    }
}

/// How a response body is altered on the way out.
#[derive(Debug, Default, Clone, Copy)]
struct Shaping {
    reset_after: Option<u64>,
    corrupt: bool,
}

fn finish(resp: Response, mut guard: LogGuard, shaping: Shaping) -> Response<Tracked> {
    guard.answered(resp.status().as_u16(), resp.headers());
    let exact = resp
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if exact == Some(0) || (exact.is_none() && resp.body().is_end_stream()) {
        guard.finish();
    }
    resp.map(|inner| Tracked {
        inner,
        guard,
        shaping,
        exact,
        sent: 0,
        aborted: false,
    })
}

/// A response body that counts what it sends (for the log) and applies response faults.
#[derive(Debug)]
pub(crate) struct Tracked {
    inner: Body,
    guard: LogGuard,
    shaping: Shaping,
    /// A `Content-Length` set by the handler for a streamed body.
    exact: Option<u64>,
    sent: u64,
    aborted: bool,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.aborted {
            this.guard.finish();
            return Poll::Ready(Some(Err("connection reset by an injected fault".into())));
        }
        let frame = match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => frame,
            Poll::Ready(Some(Err(e))) => {
                this.guard.finish();
                return Poll::Ready(Some(Err(e.into())));
            }
            Poll::Ready(None) => {
                this.guard.finish();
                return Poll::Ready(None);
            }
            Poll::Pending => return Poll::Pending,
        };
        let mut data = match frame.into_data() {
            Ok(data) => data,
            Err(frame) => return Poll::Ready(Some(Ok(frame))),
        };
        if let Some(limit) = this.shaping.reset_after {
            let left = limit.saturating_sub(this.sent);
            if data.len() as u64 >= left {
                data = data.slice(..left as usize);
                this.aborted = true;
                if data.is_empty() {
                    return Poll::Ready(Some(Err("connection reset by an injected fault".into())));
                }
            }
        }
        if this.shaping.corrupt && this.sent == 0 && !data.is_empty() {
            let mut v = data.to_vec();
            v[0] ^= 0xff;
            data = Bytes::from(v);
        }
        this.sent += data.len() as u64;
        this.guard.add_body(&data);
        if this.aborted || this.inner.is_end_stream() || this.exact == Some(this.sent) {
            this.guard.finish();
        }
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        !self.aborted && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(n) => SizeHint::with_exact(n.saturating_sub(self.sent)),
            None => self.inner.size_hint(),
        }
    }
}

/// The request body as handlers see it: counted, and cut off by a request-body fault.
struct RequestBody {
    inner: Incoming,
    read: Arc<AtomicU64>,
    /// Where the bytes are copied when the exchange is captured.
    capture: Option<Arc<Mutex<Vec<u8>>>>,
    reset_after: Option<u64>,
    conn: Conn,
}

impl hyper::body::Body for RequestBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        if let Some(limit) = this.reset_after
            && this.read.load(Ordering::Relaxed) >= limit
        {
            // Never answer: the connection task drops the socket.
            this.conn.abort();
            return Poll::Pending;
        }
        let poll = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &poll
            && let Some(data) = frame.data_ref()
        {
            this.read.fetch_add(data.len() as u64, Ordering::Relaxed);
            if let Some(buf) = &this.capture {
                keep(
                    &mut buf
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                    data,
                );
            }
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
