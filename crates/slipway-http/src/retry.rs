//! The one retry policy, kept pure so it can be tested without a server: which answers are
//! retried (5xx but 501, 408, 429, GitHub's rate-limit 403s, connection errors, broken time
//! bounds), and how long to wait before the next attempt.

use std::fmt;
use std::time::Duration;

use http::HeaderMap;

use crate::text::human_duration;

/// How failed requests are retried; one policy covers every call, uploads and downloads included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per request, the first included (default 5).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles per attempt, with jitter (default 1 s).
    pub base_backoff: Duration,
    /// Upper bound of one backoff for 5xx and connection errors (default 30 s).
    pub max_backoff: Duration,
    /// Longest single wait for a rate limit; a longer wait fails at once (default 15 min).
    pub max_rate_limit_wait: Duration,
    /// Wait after a secondary rate limit that names no `retry-after` (default 60 s, as GitHub asks).
    pub secondary_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            secondary_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default policy, tuned by `SLIPWAY_RETRY_ATTEMPTS` (attempts in all) and
    /// `SLIPWAY_RETRY_UNIT_MS` (every wait scaled to this unit: tests and impatient local runs; a
    /// rate limit's own `retry-after`/reset is still honoured, up to 1000 units).
    pub fn from_env(env: &slipway_runner::Env) -> Self {
        use slipway_runner::env::{SLIPWAY_RETRY_ATTEMPTS, SLIPWAY_RETRY_UNIT_MS};
        let mut policy = match env
            .get(SLIPWAY_RETRY_UNIT_MS)
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            Some(ms) => {
                let mut p = Self::fast(Duration::from_millis(ms));
                p.max_rate_limit_wait =
                    Duration::from_millis(ms.saturating_mul(1000)).max(Duration::from_secs(2));
                p
            }
            None => Self::default(),
        };
        if let Some(n) = env
            .get(SLIPWAY_RETRY_ATTEMPTS)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .filter(|n| *n >= 1)
        {
            policy.max_attempts = n;
        }
        policy
    }

    /// A policy with every wait shrunk to `unit` (tests: retries happen, but in milliseconds).
    pub fn fast(unit: Duration) -> Self {
        Self {
            max_attempts: 5,
            base_backoff: unit,
            max_backoff: unit * 4,
            max_rate_limit_wait: Duration::from_secs(15 * 60),
            secondary_rate_limit_wait: unit,
        }
    }
}

/// One retry the client made; callers list them in a step summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryEvent {
    /// HTTP method of the retried request.
    pub method: String,
    /// The request's URL without its query (for a storage host: scheme, host and path only).
    pub url: String,
    /// What went wrong: `502 Bad Gateway`, `secondary rate limit`, `connection error: …`.
    pub reason: String,
    /// The attempt about to be made (2 for the first retry).
    pub attempt: u32,
    /// The policy's total attempts.
    pub max_attempts: u32,
    /// How long the client waited before that attempt.
    pub wait: Duration,
}

impl fmt::Display for RetryEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "retrying {} {} after {} (attempt {}/{}) in {}",
            self.method,
            self.url,
            self.reason,
            self.attempt,
            self.max_attempts,
            human_duration(self.wait)
        )
    }
}

/// Which rate limit an answer reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// The hourly request budget (`x-ratelimit-remaining: 0`).
    Primary,
    /// Abuse protection: too many requests at once or too fast.
    Secondary,
}

/// What a rate-limited answer said about when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Which limit.
    pub kind: LimitKind,
    /// `retry-after`, in seconds.
    pub retry_after: Option<u64>,
    /// `x-ratelimit-reset`, in epoch seconds, when `x-ratelimit-remaining` is `0`.
    pub reset: Option<u64>,
}

/// How an unsuccessful answer is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Never retried: the request itself is wrong (4xx) or the server cannot do it.
    Fatal,
    /// 500/502/503/504 or a connection error: retried with exponential backoff.
    Transient,
    /// 429, or a 403 that is a rate limit: retried after the wait the server names.
    RateLimited(RateLimit),
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Reads the rate-limit headers of an answer (GitHub sends them on most answers).
pub fn rate_limit_info(headers: &HeaderMap, kind: LimitKind) -> RateLimit {
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    RateLimit {
        kind,
        retry_after: header_u64(headers, "retry-after"),
        reset: if exhausted {
            header_u64(headers, "x-ratelimit-reset")
        } else {
            None
        },
    }
}

/// Classifies an answer by status, headers and GitHub's `message`.
pub fn classify(status: u16, headers: &HeaderMap, message: &str) -> Verdict {
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    let message = message.to_ascii_lowercase();
    match status {
        408 | 500 | 502 | 503 | 504 => Verdict::Transient,
        429 => {
            let kind = if exhausted && !message.contains("secondary") {
                LimitKind::Primary
            } else {
                LimitKind::Secondary
            };
            Verdict::RateLimited(rate_limit_info(headers, kind))
        }
        403 if message.contains("secondary rate limit") => {
            Verdict::RateLimited(rate_limit_info(headers, LimitKind::Secondary))
        }
        403 if exhausted || message.contains("rate limit") => {
            Verdict::RateLimited(rate_limit_info(headers, LimitKind::Primary))
        }
        _ => Verdict::Fatal,
    }
}

/// Why the client stops retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GiveUp {
    /// The answer is not retryable.
    Fatal,
    /// Every attempt was used.
    Exhausted,
    /// The rate limit asks for a longer wait than the policy allows.
    WaitTooLong(Duration),
}

/// The next step after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Sleep this long, then try again.
    Retry(Duration),
    /// Report the failure.
    GiveUp(GiveUp),
}

/// The exponential backoff before attempt `failed + 1`, with "equal jitter": between half and
/// all of `base * 2^(failed-1)`, capped at `max`. `jitter` is in `[0, 1)`.
pub fn backoff(policy: &RetryPolicy, failed: u32, jitter: f64) -> Duration {
    let exp = failed.saturating_sub(1).min(20);
    let full = policy
        .base_backoff
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    let half = full / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

/// The wait a rate limit asks for: `retry-after`, else until `x-ratelimit-reset` (plus one base
/// backoff, since the reset second itself may still be limited), else the secondary-limit wait,
/// doubled per attempt as GitHub's guidance says.
pub fn rate_limit_wait(
    policy: &RetryPolicy,
    limit: &RateLimit,
    failed: u32,
    now_epoch: u64,
) -> Duration {
    if let Some(secs) = limit.retry_after {
        return Duration::from_secs(secs);
    }
    if let Some(reset) = limit.reset {
        return Duration::from_secs(reset.saturating_sub(now_epoch)) + policy.base_backoff;
    }
    let exp = failed.saturating_sub(1).min(10);
    policy.secondary_rate_limit_wait.saturating_mul(1u32 << exp)
}

/// Decides what follows failed attempt number `failed` (1-based).
pub fn plan(
    policy: &RetryPolicy,
    verdict: &Verdict,
    failed: u32,
    now_epoch: u64,
    jitter: f64,
) -> Plan {
    let wait = match verdict {
        Verdict::Fatal => return Plan::GiveUp(GiveUp::Fatal),
        Verdict::Transient => backoff(policy, failed, jitter),
        Verdict::RateLimited(limit) => {
            let wait = rate_limit_wait(policy, limit, failed, now_epoch);
            if wait > policy.max_rate_limit_wait {
                return Plan::GiveUp(GiveUp::WaitTooLong(wait));
            }
            wait
        }
    };
    if failed >= policy.max_attempts {
        Plan::GiveUp(GiveUp::Exhausted)
    } else {
        Plan::Retry(wait)
    }
}

/// A number in `[0, 1)` for jitter; `RandomState` is seeded randomly per process and per call,
/// which is all backoff jitter needs.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x5eed);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn now_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            max_rate_limit_wait: Duration::from_secs(900),
            secondary_rate_limit_wait: Duration::from_secs(60),
        }
    }

    #[test]
    fn server_errors_are_transient_and_other_statuses_fatal() {
        let none = HeaderMap::new();
        for s in [408, 500, 502, 503, 504] {
            assert_eq!(classify(s, &none, ""), Verdict::Transient, "{s}");
        }
        for s in [400, 401, 404, 409, 410, 422, 501] {
            assert_eq!(classify(s, &none, "Not Found"), Verdict::Fatal, "{s}");
        }
        // A permissions 403 is not a rate limit, even with rate-limit headers left.
        let h = headers(&[("x-ratelimit-remaining", "4999")]);
        assert_eq!(
            classify(403, &h, "Resource not accessible by integration"),
            Verdict::Fatal
        );
    }

    #[test]
    fn rate_limits_are_recognised_from_headers_and_message() {
        let h = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000100"),
        ]);
        assert_eq!(
            classify(403, &h, "API rate limit exceeded for installation ID 1."),
            Verdict::RateLimited(RateLimit {
                kind: LimitKind::Primary,
                retry_after: None,
                reset: Some(1_700_000_100)
            })
        );
        let h = headers(&[("retry-after", "7")]);
        assert_eq!(
            classify(
                403,
                &h,
                "You have exceeded a secondary rate limit. Please wait."
            ),
            Verdict::RateLimited(RateLimit {
                kind: LimitKind::Secondary,
                retry_after: Some(7),
                reset: None
            })
        );
        assert_eq!(
            classify(429, &h, ""),
            Verdict::RateLimited(RateLimit {
                kind: LimitKind::Secondary,
                retry_after: Some(7),
                reset: None
            })
        );
        // A reset is only meaningful when the budget is spent.
        let h = headers(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", "1700000100"),
        ]);
        match classify(429, &h, "") {
            Verdict::RateLimited(l) => assert_eq!(l.reset, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let p = policy();
        assert_eq!(backoff(&p, 1, 0.0), Duration::from_millis(50));
        let top = backoff(&p, 1, 0.999_999);
        assert!(top > Duration::from_micros(99_990) && top < Duration::from_millis(100));
        assert_eq!(backoff(&p, 2, 0.0), Duration::from_millis(100));
        assert_eq!(backoff(&p, 3, 0.5), Duration::from_millis(300));
        // 100ms * 2^5 = 3.2 s, capped at 1 s.
        assert_eq!(backoff(&p, 6, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(&p, 60, 1.0), Duration::from_millis(1000));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j), "{j}");
        }
    }

    #[test]
    fn rate_limit_waits() {
        let p = policy();
        let after = RateLimit {
            kind: LimitKind::Secondary,
            retry_after: Some(30),
            reset: Some(1_000_500),
        };
        assert_eq!(
            rate_limit_wait(&p, &after, 1, 1_000_000),
            Duration::from_secs(30)
        );
        let reset = RateLimit {
            kind: LimitKind::Primary,
            retry_after: None,
            reset: Some(1_000_042),
        };
        assert_eq!(
            rate_limit_wait(&p, &reset, 1, 1_000_000),
            Duration::from_millis(42_100)
        );
        // A reset in the past (clock skew) waits only the margin.
        assert_eq!(
            rate_limit_wait(&p, &reset, 1, 2_000_000),
            Duration::from_millis(100)
        );
        let bare = RateLimit {
            kind: LimitKind::Secondary,
            retry_after: None,
            reset: None,
        };
        assert_eq!(rate_limit_wait(&p, &bare, 1, 0), Duration::from_secs(60));
        assert_eq!(rate_limit_wait(&p, &bare, 3, 0), Duration::from_secs(240));
    }

    #[test]
    fn plans() {
        let p = policy();
        assert_eq!(
            plan(&p, &Verdict::Fatal, 1, 0, 0.0),
            Plan::GiveUp(GiveUp::Fatal)
        );
        assert_eq!(
            plan(&p, &Verdict::Transient, 1, 0, 0.0),
            Plan::Retry(Duration::from_millis(50))
        );
        assert_eq!(
            plan(&p, &Verdict::Transient, 4, 0, 0.0),
            Plan::Retry(Duration::from_millis(400))
        );
        assert_eq!(
            plan(&p, &Verdict::Transient, 5, 0, 0.0),
            Plan::GiveUp(GiveUp::Exhausted)
        );
        let far = Verdict::RateLimited(RateLimit {
            kind: LimitKind::Primary,
            retry_after: None,
            reset: Some(3_600),
        });
        assert_eq!(
            plan(&p, &far, 1, 0, 0.0),
            Plan::GiveUp(GiveUp::WaitTooLong(Duration::from_millis(3_600_100)))
        );
        let near = Verdict::RateLimited(RateLimit {
            kind: LimitKind::Primary,
            retry_after: None,
            reset: Some(60),
        });
        assert_eq!(
            plan(&p, &near, 2, 0, 0.0),
            Plan::Retry(Duration::from_millis(60_100))
        );
    }

    #[test]
    fn events_read_like_log_lines() {
        let e = RetryEvent {
            method: "GET".into(),
            url: "/repos/o/r/releases".into(),
            reason: "502 Bad Gateway".into(),
            attempt: 2,
            max_attempts: 5,
            wait: Duration::from_millis(1500),
        };
        assert_eq!(
            e.to_string(),
            "retrying GET /repos/o/r/releases after 502 Bad Gateway (attempt 2/5) in 1.5 s"
        );
    }
}
