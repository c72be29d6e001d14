//! The request log: what each request asked for and how it was answered, with timings.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::Shared;
use super::exchange::{Capture, Exchange, keep};
use super::route::{Host, RouteKind};

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The host it was sent to.
    pub host: Host,
    /// The endpoint it was classified as.
    pub route: RouteKind,
    /// HTTP method.
    pub method: String,
    /// Path, as sent (not decoded).
    pub path: String,
    /// Query string without `?`, if any.
    pub query: Option<String>,
    /// The `Authorization` header, verbatim (so tests can assert who saw the token).
    pub authorization: Option<String>,
    /// The `Accept` header.
    pub accept: Option<String>,
    /// The `Content-Length` header of the request.
    pub content_length: Option<u64>,
    /// When the request arrived.
    pub started: Instant,
    /// When its response body ended (or the connection was dropped).
    pub finished: Instant,
    /// Response status; `0` when no response was sent (connection reset).
    pub status: u16,
    /// Bytes of the request body that were read.
    pub request_body_len: u64,
    /// Bytes of the response body that were sent.
    pub body_len: u64,
}

impl RequestRecord {
    /// True when this request and `other` were in flight at the same time.
    pub fn overlaps(&self, other: &RequestRecord) -> bool {
        self.started < other.finished && other.started < self.finished
    }
}

/// The largest number of `records` that were in flight at one moment (e.g. concurrent downloads).
pub fn max_concurrency<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> usize {
    crate::serve::most_at_once(records.into_iter().map(|r| (r.started, r.finished)))
}

/// Holds a record until its request ends, then appends it to the log (also when dropped early
/// because the connection went away), and the whole exchange too when capture is on.
#[derive(Debug)]
pub(crate) struct LogGuard {
    shared: Arc<Shared>,
    record: Option<RequestRecord>,
    request_bytes: Arc<AtomicU64>,
    capture: Option<Capture>,
}

impl LogGuard {
    pub(super) fn new(shared: Arc<Shared>, record: Option<RequestRecord>) -> Self {
        Self {
            shared,
            record,
            request_bytes: Arc::default(),
            capture: None,
        }
    }

    /// Also records the bodies and headers of this exchange (see [`Exchange`]).
    pub(super) fn capture(&mut self, request_content_type: Option<String>) {
        if self.record.is_some() {
            self.capture = Some(Capture::new(request_content_type));
        }
    }

    /// The counter the request body adds its bytes to.
    pub(super) fn request_counter(&self) -> Arc<AtomicU64> {
        self.request_bytes.clone()
    }

    /// The buffer the request body copies its bytes into, when capturing.
    pub(super) fn request_capture(&self) -> Option<Arc<Mutex<Vec<u8>>>> {
        self.capture.as_ref().map(|c| c.request_body.clone())
    }

    /// Notes that an injected fault chose the answer.
    pub(super) fn mark_injected(&mut self) {
        if let Some(c) = &mut self.capture {
            c.injected = true;
        }
    }

    /// Notes the response's status and, when capturing, its headers.
    pub(super) fn answered(&mut self, status: u16, headers: &http::HeaderMap) {
        if let Some(r) = &mut self.record {
            r.status = status;
        }
        if let Some(c) = &mut self.capture {
            let header = |name| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            c.response_content_type = header(http::header::CONTENT_TYPE);
            c.location = header(http::header::LOCATION);
        }
    }

    /// Counts (and, when capturing, keeps) bytes of the response body as they are sent.
    pub(super) fn add_body(&mut self, data: &[u8]) {
        if let Some(r) = &mut self.record {
            r.body_len += data.len() as u64;
        }
        if let Some(c) = &mut self.capture {
            keep(&mut c.response_body, data);
        }
    }
}

impl LogGuard {
    /// Appends the record now: called when the last byte of the response is handed over, so a
    /// client that has read its whole response always finds the request in the log.
    pub(super) fn finish(&mut self) {
        if let Some(mut record) = self.record.take() {
            record.finished = Instant::now();
            record.request_body_len = self.request_bytes.load(Ordering::Relaxed);
            let exchange = self.capture.take().map(|c| Exchange {
                host: record.host,
                route: record.route,
                method: record.method.clone(),
                path: record.path.clone(),
                query: record.query.clone(),
                request_content_type: c.request_content_type,
                accept: record.accept.clone(),
                request_body: std::mem::take(
                    &mut *c
                        .request_body
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                ),
                request_body_len: record.request_body_len,
                status: record.status,
                response_content_type: c.response_content_type,
                location: c.location,
                response_body: c.response_body,
                response_body_len: record.body_len,
                injected: c.injected,
            });
            if let Ok(mut state) = self.shared.state.lock() {
                state.log.push(record);
                state.exchanges.extend(exchange);
            }
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rec(start: u64, end: u64, base: Instant) -> RequestRecord {
        RequestRecord {
            host: Host::Storage,
            route: RouteKind::StorageDownload,
            method: "GET".into(),
            path: "/".into(),
            query: None,
            authorization: None,
            accept: None,
            content_length: None,
            started: base + Duration::from_millis(start),
            finished: base + Duration::from_millis(end),
            status: 200,
            request_body_len: 0,
            body_len: 0,
        }
    }

    #[test]
    fn concurrency_counts_overlaps_only() {
        let t = Instant::now();
        let v = [rec(0, 10, t), rec(5, 15, t), rec(6, 8, t), rec(15, 20, t)];
        assert_eq!(max_concurrency(&v), 3);
        assert!(v[0].overlaps(&v[1]));
        assert!(!v[1].overlaps(&v[3]));
        assert_eq!(max_concurrency(&v[3..]), 1);
    }
}
