//! Transfer progress: in a workflow log, one line every ~10 % or every few seconds; in a terminal,
//! a live bar redrawn in place on stderr. Shared by uploads and downloads so they all look alike.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a log line is written at the latest, whatever the percentage.
const LOG_EVERY: Duration = Duration::from_secs(5);
/// Files smaller than this get no progress lines (they finish at once).
const QUIET_BELOW: u64 = 8 * 1024 * 1024;

/// Progress of one transfer of a known size.
#[derive(Debug)]
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
    last_decile: u64,
    live: bool,
    quiet: bool,
}

/// Formats a byte count for people: `512 B`, `1.5 MiB`, `2.0 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

impl Progress {
    /// Starts tracking `total` bytes for `label` (e.g. `uploading pkg-1.0.tar.gz`). A live bar is
    /// drawn only when stderr is a terminal and we are not inside Actions.
    pub fn new(label: impl Into<String>, total: u64, in_actions: bool) -> Self {
        let now = Instant::now();
        Self {
            label: label.into(),
            total,
            done: 0,
            started: now,
            last_line: now,
            last_decile: 0,
            live: !in_actions && std::io::stderr().is_terminal(),
            quiet: total < QUIET_BELOW,
        }
    }

    /// Bytes transferred so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Starts over (a retried transfer), keeping the label and total.
    pub fn restart(&mut self) {
        self.done = 0;
        self.last_decile = 0;
    }

    /// Records `n` more bytes and reports when a line (or a redraw) is due.
    #[allow(
        clippy::print_stderr,
        reason = "progress lines are the runner's log output"
    )]
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        if self.quiet {
            return;
        }
        let pct = (self.done * 100).checked_div(self.total).unwrap_or(100);
        let decile = pct / 10;
        let now = Instant::now();
        if self.live {
            if now.duration_since(self.last_line) >= Duration::from_millis(100)
                || self.done >= self.total
            {
                self.last_line = now;
                let width = 30usize;
                let filled = (pct as usize * width / 100).min(width);
                let _ = write!(
                    std::io::stderr().lock(),
                    "\r{} [{}{}] {pct:>3}% {}",
                    self.label,
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    self.rate()
                );
            }
        } else if decile > self.last_decile || now.duration_since(self.last_line) >= LOG_EVERY {
            self.last_decile = decile;
            self.last_line = now;
            eprintln!(
                "{}: {pct}% ({} of {}, {})",
                self.label,
                human_bytes(self.done),
                human_bytes(self.total),
                self.rate()
            );
        }
    }

    fn rate(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        format!("{}/s", human_bytes((self.done as f64 / secs) as u64))
    }

    /// Ends the live bar's line (log mode prints nothing more: the caller reports completion).
    pub fn finish(&mut self) {
        if self.live && !self.quiet {
            let _ = writeln!(std::io::stderr().lock());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn counts_bytes_and_restarts() {
        let mut p = Progress::new("x", 100 * 1024 * 1024, true);
        for _ in 0..10 {
            p.advance(10 * 1024 * 1024);
        }
        assert_eq!(p.done(), 100 * 1024 * 1024);
        p.restart();
        assert_eq!(p.done(), 0);
    }
}
