//! What a call gives back: an answer with any status, and where a download goes.

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderMap};
use slipway_runner::Secrets;
use tokio::io::AsyncWrite;
use url::Url;

use crate::retry::GiveUp;
use crate::text::body_text_redacted;

/// An answer with any status, its body read (up to the request's cap) or streamed to a sink.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The URL that answered (after redirects).
    pub url: Url,
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body (empty when it was streamed to a sink).
    pub body: Bytes,
    /// Bytes streamed to the sink.
    pub streamed: u64,
    /// Attempts made.
    pub attempts: u32,
    /// Why retrying stopped, when the last answer was still a retryable one.
    pub gave_up: Option<GiveUp>,
    pub(crate) secrets: Secrets,
}

impl Answer {
    /// The body as short, redacted, one-line text (HTML reduced to its words).
    pub fn text(&self) -> String {
        body_text_redacted(&String::from_utf8_lossy(&self.body), &|text| {
            self.secrets.redact(text)
        })
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// `message` of a JSON error body (GitHub, PyPI's mint endpoint), else the body's text.
    pub fn message(&self) -> String {
        #[derive(serde::Deserialize)]
        struct WithMessage {
            message: String,
        }
        match serde_json::from_slice::<WithMessage>(&self.body) {
            Ok(m) => slipway_runner::quote::cut(&self.secrets.redact(&m.message), 400),
            Err(_) => self.text(),
        }
    }
}

/// A download's destination that can start again from nothing: a download that breaks after
/// some bytes is retried (under the one policy) into the rewound writer.
pub trait Rewind: AsyncWrite + Unpin {
    /// Forgets everything written so far (truncates a file, resets a hasher).
    fn rewind(&mut self) -> BoxFuture<'_, std::io::Result<()>>;
}

impl<R: Rewind + ?Sized> Rewind for &mut R {
    fn rewind(&mut self) -> BoxFuture<'_, std::io::Result<()>> {
        (**self).rewind()
    }
}

impl Rewind for Vec<u8> {
    fn rewind(&mut self) -> BoxFuture<'_, std::io::Result<()>> {
        self.clear();
        Box::pin(async { Ok(()) })
    }
}

/// Where a download goes: a writer that can start again, and the size the file must have.
pub struct Sink<'a> {
    /// The writer (a temporary file, a buffer, a hasher).
    pub writer: &'a mut dyn Rewind,
    /// The exact size the body must have, when known: more is refused as soon as it arrives.
    pub expected: Option<u64>,
}
