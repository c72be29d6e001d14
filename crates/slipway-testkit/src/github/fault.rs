//! Fault injection: make the N-th matching request fail the way GitHub and networks fail.
//!
//! ```no_run
//! # use slipway_testkit::github::{FakeGitHub, Fault, Match, RouteKind};
//! let fake = FakeGitHub::with_repo("octo/widgets");
//! // The second upload answers 502 after creating an unfinished (`open`) asset.
//! fake.inject(Fault::upload_fails_after_create(Match::route(RouteKind::UploadAsset).nth(2)));
//! // Every storage download is cut off after 1 KiB.
//! fake.inject(Fault::reset_response_body(Match::route(RouteKind::StorageDownload).always(), 1024));
//! ```

use std::time::Duration;

use serde_json::{Value, json};

use super::route::{Host, RouteKind};
use super::wire::{DOCS, unix_now};

/// Which requests a fault applies to: every set field must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Only requests to this host.
    pub host: Option<Host>,
    /// Only this method (`GET`, `POST`…, compared case-insensitively).
    pub method: Option<String>,
    /// Only requests whose path contains this text.
    pub path_contains: Option<String>,
    /// Only this kind of route.
    pub route: Option<RouteKind>,
    /// The first matching request that fails (1-based): `nth: 2` lets the first one through.
    pub nth: usize,
    /// How many consecutive matching requests fail from the `nth` on (`usize::MAX`: all).
    pub times: usize,
}

impl Default for Match {
    fn default() -> Self {
        Self::any()
    }
}

impl Match {
    /// Matches every request, once (the first).
    pub fn any() -> Self {
        Self {
            host: None,
            method: None,
            path_contains: None,
            route: None,
            nth: 1,
            times: 1,
        }
    }
    /// Matches requests of one route kind, once.
    pub fn route(route: RouteKind) -> Self {
        Self {
            route: Some(route),
            ..Self::any()
        }
    }
    /// Matches requests to one host, once.
    pub fn host(host: Host) -> Self {
        Self {
            host: Some(host),
            ..Self::any()
        }
    }
    /// Matches requests with this method whose path contains `text`, once.
    pub fn path(method: &str, text: &str) -> Self {
        Self {
            method: Some(method.to_string()),
            path_contains: Some(text.to_string()),
            ..Self::any()
        }
    }
    /// Restricts to one method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_string());
        self
    }
    /// Starts failing at the `n`-th matching request (1-based).
    pub fn nth(mut self, n: usize) -> Self {
        self.nth = n.max(1);
        self
    }
    /// Fails `n` consecutive matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }
    /// Fails every matching request from the `nth` on.
    pub fn always(self) -> Self {
        self.times(usize::MAX)
    }

    fn matches(&self, host: Host, method: &str, path: &str, route: RouteKind) -> bool {
        self.host.is_none_or(|h| h == host)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self.route.is_none_or(|r| r == route)
    }
}

/// What happens to a faulted request.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer with this status, headers and JSON body instead of handling the request.
    Respond {
        /// HTTP status.
        status: u16,
        /// Extra headers; they replace the fake's own (e.g. `x-ratelimit-remaining`).
        headers: Vec<(String, String)>,
        /// JSON body.
        body: Value,
    },
    /// Wait, then handle the request normally.
    Delay(Duration),
    /// Close the connection without answering.
    ResetConnection,
    /// Read this many bytes of the request body, then close the connection without answering.
    ResetRequestBody {
        /// Bytes read before the reset.
        after_bytes: u64,
    },
    /// Send the headers and this many bytes of the response body, then abort the connection.
    ResetResponseBody {
        /// Bytes sent before the abort.
        after_bytes: u64,
    },
    /// Serve other bytes than recorded (same length, first byte flipped).
    Corrupt,
    /// Uploads: create the asset, read the body, then answer 502 (the asset stays unfinished,
    /// `open`, as GitHub documents for upstream failures).
    FailAfterCreate,
    /// Uploads: store other bytes than were sent (same length, first byte flipped) and record
    /// their digest, as a corrupting server or proxy would; the answer is a normal `201`.
    CorruptUpload,
}

/// A fault: which requests, and what happens to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// Which requests.
    pub when: Match,
    /// What happens.
    pub action: FaultAction,
}

impl Fault {
    /// A fault from its parts.
    pub fn new(when: Match, action: FaultAction) -> Self {
        Self { when, action }
    }

    /// A status with GitHub's JSON error shape (`500`, `502`, `503`…).
    pub fn status(when: Match, status: u16) -> Self {
        let message = match status {
            500 => "Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            504 => "Gateway Timeout",
            _ => "Error",
        };
        Self::new(
            when,
            FaultAction::Respond {
                status,
                headers: Vec::new(),
                body: json!({ "message": message, "documentation_url": DOCS }),
            },
        )
    }

    /// `429 Too Many Requests` with `retry-after: <secs>`.
    pub fn too_many_requests(when: Match, retry_after: u64) -> Self {
        Self::new(
            when,
            FaultAction::Respond {
                status: 429,
                headers: vec![("retry-after".into(), retry_after.to_string())],
                body: json!({ "message": "Too Many Requests", "documentation_url": DOCS }),
            },
        )
    }

    /// `403` secondary rate limit with `retry-after: <secs>`, worded as GitHub words it.
    pub fn secondary_rate_limit(when: Match, retry_after: u64) -> Self {
        Self::new(
            when,
            FaultAction::Respond {
                status: 403,
                headers: vec![("retry-after".into(), retry_after.to_string())],
                body: json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                }),
            },
        )
    }

    /// `403` primary rate limit: `x-ratelimit-remaining: 0`, reset `reset_in` seconds from now.
    pub fn primary_rate_limit(when: Match, reset_in: u64) -> Self {
        Self::new(
            when,
            FaultAction::Respond {
                status: 403,
                headers: vec![
                    ("x-ratelimit-remaining".into(), "0".into()),
                    ("x-ratelimit-used".into(), "5000".into()),
                    (
                        "x-ratelimit-reset".into(),
                        (unix_now() + reset_in).to_string(),
                    ),
                ],
                body: json!({
                    "message": "API rate limit exceeded for installation ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
                }),
            },
        )
    }

    /// Waits `delay`, then answers normally.
    pub fn delay(when: Match, delay: Duration) -> Self {
        Self::new(when, FaultAction::Delay(delay))
    }

    /// Closes the connection without an answer.
    pub fn reset_connection(when: Match) -> Self {
        Self::new(when, FaultAction::ResetConnection)
    }

    /// Reads `after_bytes` of the request body, then closes the connection.
    pub fn reset_request_body(when: Match, after_bytes: u64) -> Self {
        Self::new(when, FaultAction::ResetRequestBody { after_bytes })
    }

    /// Sends `after_bytes` of the response body, then aborts.
    pub fn reset_response_body(when: Match, after_bytes: u64) -> Self {
        Self::new(when, FaultAction::ResetResponseBody { after_bytes })
    }

    /// Serves other bytes than recorded.
    pub fn corrupt(when: Match) -> Self {
        Self::new(when, FaultAction::Corrupt)
    }

    /// Uploads: stores (and digests) other bytes than were sent.
    pub fn corrupt_upload(when: Match) -> Self {
        Self::new(when, FaultAction::CorruptUpload)
    }

    /// Uploads: leaves an unfinished (`open`) asset and answers 502.
    pub fn upload_fails_after_create(when: Match) -> Self {
        Self::new(when, FaultAction::FailAfterCreate)
    }
}

/// A fault with its count of matching requests so far.
#[derive(Debug, Clone)]
pub(crate) struct ArmedFault {
    pub fault: Fault,
    pub seen: usize,
}

/// Counts the request against every armed fault and returns the first action that fires.
pub(crate) fn fire(
    faults: &mut [ArmedFault],
    host: Host,
    method: &str,
    path: &str,
    route: RouteKind,
) -> Option<FaultAction> {
    let mut fired = None;
    for armed in faults.iter_mut() {
        if !armed.fault.when.matches(host, method, path, route) {
            continue;
        }
        armed.seen += 1;
        let first = armed.fault.when.nth;
        let in_window = armed.seen >= first && armed.seen - first < armed.fault.when.times;
        if in_window && fired.is_none() {
            fired = Some(armed.fault.action.clone());
        }
    }
    fired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn armed(when: Match) -> Vec<ArmedFault> {
        vec![ArmedFault {
            fault: Fault::status(when, 502),
            seen: 0,
        }]
    }

    #[test]
    fn nth_and_times_select_a_window() {
        let mut f = armed(Match::route(RouteKind::ListReleases).nth(2).times(2));
        let hits: Vec<bool> = (0..5)
            .map(|_| fire(&mut f, Host::Api, "GET", "/x", RouteKind::ListReleases).is_some())
            .collect();
        assert_eq!(hits, [false, true, true, false, false]);
        assert!(fire(&mut f, Host::Api, "GET", "/x", RouteKind::RateLimit).is_none());
    }

    #[test]
    fn fields_must_all_match() {
        let mut f = armed(Match::path("post", "/releases").always());
        assert!(
            fire(
                &mut f,
                Host::Api,
                "GET",
                "/releases",
                RouteKind::ListReleases
            )
            .is_none()
        );
        assert!(
            fire(
                &mut f,
                Host::Api,
                "POST",
                "/releases",
                RouteKind::CreateRelease
            )
            .is_some()
        );
        assert!(fire(&mut f, Host::Api, "POST", "/tags", RouteKind::Unexpected).is_none());
    }
}
