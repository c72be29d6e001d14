//! What a call that got no usable answer reports. An answer with any status is not an error of
//! the transport: callers read [`crate::Answer::status`] and name what went wrong in their terms.

use crate::bounds::Bound;

/// A call that ended without a usable answer. Every URL in it is shown without credentials or
/// query, and every text that came from a server is redacted and cut.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No answer: the connection failed, broke, or the answer was cut off, on every attempt.
    #[error(
        "`{method} {url}` failed after {attempts} attempt(s): {message}\nhint: check that `{host}` is reachable from this machine; a proxy or firewall in the way shows up like this"
    )]
    Transport {
        /// The method.
        method: String,
        /// Where it failed (after redirects: the host that failed, not the one first asked).
        url: String,
        /// Its host, for the hint.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// The last cause.
        message: String,
    },
    /// A time bound ended the call (on its last attempt, or its deadline).
    #[error(
        "`{method} {url}` gave up after {attempts} attempt(s): {bound}\nhint: the server at `{host}` is too slow or not answering; try again later, or raise the bound named above if it is legitimately slow"
    )]
    TimedOut {
        /// The method.
        method: String,
        /// Where it stalled.
        url: String,
        /// Its host.
        host: String,
        /// Attempts made.
        attempts: u32,
        /// The bound that was broken.
        bound: Bound,
    },
    /// A redirect that must not be followed.
    #[error("`{method} {url}`: refused to follow a redirect: {reason}")]
    Redirect {
        /// The method.
        method: String,
        /// The URL that redirected.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// A success body longer than the request's cap.
    #[error(
        "`{method} {url}`: the answer is larger than {cap} bytes; stopped reading it\nhint: this is not an answer the API gives; check the URL points at the right service"
    )]
    TooLarge {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The cap.
        cap: u64,
    },
    /// A download that is longer than the size it must have.
    #[error(
        "`{url}` sent more than the {expected} bytes expected; stopped reading\nhint: that server sends other bytes than the ones recorded for this file: do not use them; try again later, and check any proxy in between"
    )]
    Oversized {
        /// The URL that sent too much.
        url: String,
        /// The expected size.
        expected: u64,
    },
    /// A download that broke after bytes were written; the caller starts again into a fresh file.
    #[error(
        "the download from `{url}` broke after {written} bytes: {message}\nhint: the connection to that server broke or slowed down on every attempt; try again later, or raise the bound named above if it is legitimately slow"
    )]
    Interrupted {
        /// Where it broke.
        url: String,
        /// Bytes written before it broke.
        written: u64,
        /// Why.
        message: String,
    },
    /// The body to send could not be read.
    #[error("cannot read what is to be sent: {0}")]
    Source(#[source] std::io::Error),
    /// The download could not be written.
    #[error("cannot write the download: {0}")]
    Sink(#[source] std::io::Error),
    /// The client could not be set up, or a request is malformed.
    #[error("{0}")]
    Config(String),
}

impl HttpError {
    /// Attempts made, when the error comes from the network.
    pub fn attempts(&self) -> Option<u32> {
        match self {
            Self::Transport { attempts, .. } | Self::TimedOut { attempts, .. } => Some(*attempts),
            _ => None,
        }
    }

    /// True when a time bound ended the call.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::TimedOut { .. })
    }
}
