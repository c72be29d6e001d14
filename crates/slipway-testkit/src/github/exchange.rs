//! Whole exchanges (request and response, with bodies), recorded only when a test asks for them
//! with [`super::FakeGitHub::capture_exchanges`], so the fake's answers and the client's
//! requests can be checked against GitHub's API description. The request log
//! ([`super::RequestRecord`]) stays light and always on; this one holds bodies.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};

use super::route::{Host, RouteKind};

/// Bodies are kept up to this many bytes (an upload's bytes are never needed whole).
pub(crate) const BODY_CAP: usize = 1 << 20;

/// One request and its response, as the fake saw them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
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
    /// The request's `Content-Type`.
    pub request_content_type: Option<String>,
    /// The request's `Accept`.
    pub accept: Option<String>,
    /// The request body's first MiB.
    pub request_body: Vec<u8>,
    /// The request body's full length.
    pub request_body_len: u64,
    /// Response status; `0` when none was sent (connection reset).
    pub status: u16,
    /// The response's `Content-Type`.
    pub response_content_type: Option<String>,
    /// The response's `Location`.
    pub location: Option<String>,
    /// The response body's first MiB.
    pub response_body: Vec<u8>,
    /// The response body's full length.
    pub response_body_len: u64,
    /// An injected fault chose the answer (it need not look like GitHub's).
    pub injected: bool,
}

impl Exchange {
    /// The exchange as JSON, the shape `scripts/check-openapi.py` reads: bodies with a JSON
    /// media type are embedded as JSON, other bodies only by length.
    pub fn to_json(&self) -> Value {
        json!({
            "host": format!("{:?}", self.host).to_ascii_lowercase(),
            "route": format!("{:?}", self.route),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "injected": self.injected,
            "request": {
                "content_type": self.request_content_type,
                "accept": self.accept,
                "length": self.request_body_len,
                "json": body_json(self.request_content_type.as_deref(), &self.request_body),
            },
            "response": {
                "status": self.status,
                "content_type": self.response_content_type,
                "location": self.location,
                "length": self.response_body_len,
                "json": body_json(self.response_content_type.as_deref(), &self.response_body),
            },
        })
    }
}

/// The body as JSON when its media type says JSON (`{"unparsable": base64}` when it is not).
fn body_json(content_type: Option<&str>, body: &[u8]) -> Value {
    let is_json = content_type.is_some_and(|t| {
        let t = t.split(';').next().unwrap_or("").trim();
        t == "application/json" || t.ends_with("+json")
    });
    if !is_json || body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body).unwrap_or_else(
        |_| json!({ "unparsable": base64::engine::general_purpose::STANDARD.encode(body) }),
    )
}

/// What a request being captured has gathered so far.
#[derive(Debug)]
pub(crate) struct Capture {
    pub request_content_type: Option<String>,
    /// Filled by the request body as the handler reads it.
    pub request_body: Arc<Mutex<Vec<u8>>>,
    pub response_content_type: Option<String>,
    pub location: Option<String>,
    pub response_body: Vec<u8>,
    pub injected: bool,
}

impl Capture {
    pub(super) fn new(request_content_type: Option<String>) -> Self {
        Self {
            request_content_type,
            request_body: Arc::default(),
            response_content_type: None,
            location: None,
            response_body: Vec::new(),
            injected: false,
        }
    }
}

/// Appends `data` to a capture buffer, up to [`BODY_CAP`].
pub(crate) fn keep(buf: &mut Vec<u8>, data: &[u8]) {
    let room = BODY_CAP.saturating_sub(buf.len());
    buf.extend_from_slice(&data[..data.len().min(room)]);
}
