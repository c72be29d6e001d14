//! The one HTTP transport of every slipway tool. Every request — GitHub API calls, asset
//! uploads and downloads, index look-ups, uploads to an index, the OIDC and token-mint calls —
//! goes through [`Transport`], which owns in one place:
//!
//! - **retries**: one [`RetryPolicy`] (5xx but 501, 408, 429, GitHub's rate-limit 403s with
//!   `retry-after`/`x-ratelimit-reset`, connection errors, broken time bounds), logged and kept
//!   for summaries ([`Transport::retries`]);
//! - **time bounds** ([`TimeBounds`]): connect timeout, silent-peer rule, low-speed rule, a
//!   deadline per logical call with its retries;
//! - **redirects** per request ([`Redirects`]) and a [`Credential`] sent only to the origins it
//!   names, never to a URL a server gave on another origin;
//! - **bounded bodies**: answers read up to a cap, downloads stopped at their expected size;
//! - **redaction**: every text quoted back ([`Answer::text`], errors, URLs) passes through the
//!   run's [`slipway_runner::Secrets`], and URLs are shown without userinfo or query.
//!
//! No other crate builds an HTTP client or a retry loop (a test in `slipway-checks` enforces it).

mod answer;
mod bounds;
mod error;
pub mod parallel;
mod request;
pub mod retry;
pub mod text;
mod transport;

pub use answer::{Answer, Rewind, Sink};
pub use bounds::{Bound, TimeBounds};
pub use error::HttpError;
pub use request::{Body, ByteStream, Credential, DEFAULT_CAP, Redirects, Request, Source};
pub use retry::{RetryEvent, RetryPolicy};
pub use transport::{MAX_REDIRECTS, Transport, TransportConfig};
