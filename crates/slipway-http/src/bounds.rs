//! Time bounds: how long a peer may take to connect, stay silent, or trickle, and how long one
//! logical call may last, retries included. Defaults are documented in the README; each can be
//! changed by a `SLIPWAY_*` variable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use slipway_runner::Env;
use slipway_runner::env::{
    SLIPWAY_CONNECT_TIMEOUT, SLIPWAY_DEADLINE, SLIPWAY_LOW_SPEED_LIMIT, SLIPWAY_LOW_SPEED_TIME,
    SLIPWAY_SILENT_TIMEOUT,
};

/// The time bounds of every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBounds {
    /// Longest wait for a TCP/TLS connection (default 10 s).
    pub connect: Duration,
    /// Longest time without a byte moving either way, the wait for an answer included
    /// (default 60 s): a peer that accepts and never answers, or stalls after the headers.
    pub silent: Duration,
    /// The low-speed rule's rate in bytes per second (default 1024): a body moving slower than
    /// this, averaged over [`TimeBounds::low_speed_time`], fails the attempt (as curl's
    /// `--speed-limit`, git's `http.lowSpeedLimit`, cargo's `http.low-speed-limit`).
    pub low_speed_limit: u64,
    /// The low-speed rule's window (default 30 s).
    pub low_speed_time: Duration,
    /// Longest time for one logical call, every attempt and wait included (default 5 min).
    /// A transfer of `n` bytes gets `n / low_speed_limit` seconds more.
    pub deadline: Duration,
}

impl Default for TimeBounds {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            silent: Duration::from_secs(60),
            low_speed_limit: 1024,
            low_speed_time: Duration::from_secs(30),
            deadline: Duration::from_secs(300),
        }
    }
}

/// A duration in seconds, fractions allowed (`0.5`).
fn seconds(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    (secs.is_finite() && secs > 0.0 && secs < 1e9).then(|| Duration::from_secs_f64(secs))
}

impl TimeBounds {
    /// The defaults, changed by `SLIPWAY_CONNECT_TIMEOUT`, `SLIPWAY_SILENT_TIMEOUT`,
    /// `SLIPWAY_LOW_SPEED_TIME`, `SLIPWAY_DEADLINE` (seconds, fractions allowed) and
    /// `SLIPWAY_LOW_SPEED_LIMIT` (bytes per second; 0 turns the low-speed rule off).
    /// A value that is not a positive number is an error naming the variable.
    pub fn from_env(env: &Env) -> Result<Self, String> {
        let mut bounds = Self::default();
        let secs = |name: &str, slot: &mut Duration| -> Result<(), String> {
            if let Some(v) = env.get(name).filter(|v| !v.trim().is_empty()) {
                *slot = seconds(v).ok_or_else(|| {
                    format!(
                        "`{name}` is `{}`: not a positive number of seconds\nhint: e.g. `{name}=30` or `{name}=0.5`, or unset it for the default",
                        slipway_runner::quote::cut(v, 40)
                    )
                })?;
            }
            Ok(())
        };
        secs(SLIPWAY_CONNECT_TIMEOUT, &mut bounds.connect)?;
        secs(SLIPWAY_SILENT_TIMEOUT, &mut bounds.silent)?;
        secs(SLIPWAY_LOW_SPEED_TIME, &mut bounds.low_speed_time)?;
        secs(SLIPWAY_DEADLINE, &mut bounds.deadline)?;
        if let Some(v) = env
            .get(SLIPWAY_LOW_SPEED_LIMIT)
            .filter(|v| !v.trim().is_empty())
        {
            bounds.low_speed_limit = v.trim().parse().map_err(|_| {
                format!(
                    "`{SLIPWAY_LOW_SPEED_LIMIT}` is `{}`: not a number of bytes per second\nhint: e.g. `{SLIPWAY_LOW_SPEED_LIMIT}=1024`; `0` turns the low-speed rule off",
                    slipway_runner::quote::cut(v, 40)
                )
            })?;
        }
        Ok(bounds)
    }

    /// The deadline of a call that moves `bytes` of body: the base deadline plus the time the
    /// body takes at the low-speed limit.
    pub fn deadline_for(&self, bytes: u64) -> Duration {
        if self.low_speed_limit == 0 || bytes == 0 {
            return self.deadline;
        }
        self.deadline
            .saturating_add(Duration::from_secs(bytes / self.low_speed_limit))
    }
}

/// Which time bound ended an attempt or a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// No connection within the connect timeout.
    Connect(Duration),
    /// Nothing moved for this long.
    Silent(Duration),
    /// Fewer bytes than the low-speed rule asks for moved in the window: (bytes, window, limit).
    LowSpeed(u64, Duration, u64),
    /// The call's deadline passed.
    Deadline(Duration),
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::text::human_duration as h;
        match self {
            Bound::Connect(d) => write!(
                f,
                "no connection within {} (`{SLIPWAY_CONNECT_TIMEOUT}`)",
                h(*d)
            ),
            Bound::Silent(d) => write!(
                f,
                "the server sent nothing for {} (`{SLIPWAY_SILENT_TIMEOUT}`)",
                h(*d)
            ),
            Bound::LowSpeed(bytes, window, limit) => write!(
                f,
                "only {bytes} bytes moved in {}, below the low-speed limit of {limit} bytes/s (`{SLIPWAY_LOW_SPEED_LIMIT}`, `{SLIPWAY_LOW_SPEED_TIME}`)",
                h(*window)
            ),
            Bound::Deadline(d) => write!(
                f,
                "the call did not finish within its deadline of {} (`{SLIPWAY_DEADLINE}`)",
                h(*d)
            ),
        }
    }
}

/// Counts the bytes of one attempt as they move (sent or received) and knows whether a body is
/// moving or the attempt is waiting for an answer. Shared by the body streams and the watchdog.
#[derive(Debug)]
pub(crate) struct Meter {
    start: Instant,
    bytes: AtomicU64,
    /// Milliseconds since `start` of the last sign of life.
    last: AtomicU64,
    moving: AtomicBool,
}

impl Meter {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            bytes: AtomicU64::new(0),
            last: AtomicU64::new(0),
            moving: AtomicBool::new(false),
        })
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// `n` bytes moved.
    pub(crate) fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
        self.last.store(self.now_ms(), Ordering::Relaxed);
    }

    /// A body starts (`true`) or ends (`false`) moving; either is a sign of life.
    pub(crate) fn moving(&self, moving: bool) {
        self.moving.store(moving, Ordering::Relaxed);
        self.last.store(self.now_ms(), Ordering::Relaxed);
    }

    /// Resolves when the attempt breaks the silent-peer or the low-speed rule; never otherwise.
    pub(crate) async fn watch(&self, bounds: &TimeBounds) -> Bound {
        let shortest = if bounds.low_speed_limit > 0 {
            bounds.silent.min(bounds.low_speed_time)
        } else {
            bounds.silent
        };
        let tick = (shortest / 8).clamp(Duration::from_millis(5), Duration::from_millis(500));
        let mut window = (self.now_ms(), self.bytes.load(Ordering::Relaxed));
        loop {
            tokio::time::sleep(tick).await;
            let now = self.now_ms();
            let idle = now.saturating_sub(self.last.load(Ordering::Relaxed));
            if idle >= bounds.silent.as_millis() as u64 {
                return Bound::Silent(bounds.silent);
            }
            let bytes = self.bytes.load(Ordering::Relaxed);
            if !self.moving.load(Ordering::Relaxed) || bounds.low_speed_limit == 0 {
                window = (now, bytes);
                continue;
            }
            let span = now.saturating_sub(window.0);
            if span >= bounds.low_speed_time.as_millis() as u64 {
                let moved = bytes - window.1;
                let wanted = bounds.low_speed_limit as f64 * span as f64 / 1000.0;
                if (moved as f64) < wanted {
                    return Bound::LowSpeed(
                        moved,
                        Duration::from_millis(span),
                        bounds.low_speed_limit,
                    );
                }
                window = (now, bytes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_and_variables() {
        assert_eq!(
            TimeBounds::from_env(&env(&[])).unwrap(),
            TimeBounds::default()
        );
        let b = TimeBounds::from_env(&env(&[
            (SLIPWAY_SILENT_TIMEOUT, "0.5"),
            (SLIPWAY_LOW_SPEED_LIMIT, "0"),
            (SLIPWAY_DEADLINE, "3"),
        ]))
        .unwrap();
        assert_eq!(b.silent, Duration::from_millis(500));
        assert_eq!(b.low_speed_limit, 0);
        assert_eq!(b.deadline, Duration::from_secs(3));
        let e = TimeBounds::from_env(&env(&[(SLIPWAY_CONNECT_TIMEOUT, "-1")])).unwrap_err();
        assert!(
            e.contains("`SLIPWAY_CONNECT_TIMEOUT` is `-1`") && e.contains("hint:"),
            "{e}"
        );
        let e = TimeBounds::from_env(&env(&[(SLIPWAY_LOW_SPEED_LIMIT, "fast")])).unwrap_err();
        assert!(e.contains("hint:"), "{e}");
    }

    #[test]
    fn transfers_get_time_for_their_size() {
        let b = TimeBounds::default();
        assert_eq!(b.deadline_for(0), b.deadline);
        assert_eq!(
            b.deadline_for(1024 * 60),
            b.deadline + Duration::from_secs(60)
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_silent_peer_is_caught() {
        let bounds = TimeBounds {
            silent: Duration::from_millis(80),
            ..TimeBounds::default()
        };
        let meter = Meter::new();
        let t = Instant::now();
        assert_eq!(meter.watch(&bounds).await, Bound::Silent(bounds.silent));
        assert!(t.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_trickle_is_caught_and_a_steady_flow_is_not() {
        let bounds = TimeBounds {
            silent: Duration::from_secs(5),
            low_speed_limit: 1000,
            low_speed_time: Duration::from_millis(100),
            ..TimeBounds::default()
        };
        let meter = Meter::new();
        meter.moving(true);
        let drip = {
            let meter = meter.clone();
            async move {
                loop {
                    meter.add(1);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        };
        tokio::select! {
            b = meter.watch(&bounds) => assert!(matches!(b, Bound::LowSpeed(..)), "{b:?}"),
            _ = drip => unreachable!(),
        }
        let meter = Meter::new();
        meter.moving(true);
        let flow = {
            let meter = meter.clone();
            async move {
                loop {
                    meter.add(1000);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        };
        tokio::select! {
            b = meter.watch(&bounds) => panic!("{b:?}"),
            _ = flow => unreachable!(),
            _ = tokio::time::sleep(Duration::from_millis(400)) => {}
        }
    }
}
