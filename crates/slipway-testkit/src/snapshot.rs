//! Text for snapshot tests (`insta::assert_snapshot!` in the action crates' tests): what a user
//! reads — error messages, the step summary — with everything that differs between runs or
//! machines replaced by a placeholder, so a snapshot changes only when the wording does. The one
//! filter set is [`FILTERS`] (plus the temporary directory, found at run time); every snapshot
//! passes through [`redact`]. (Not to be confused with `github::snapshot`, the fake's saved state.)
//!
//! ```
//! use slipway_testkit::snapshot::{Sections, redact};
//! assert_eq!(
//!     redact("GET http://127.0.0.1:40123/x failed after 1.5 s (300 ms apart)"),
//!     "GET http://127.0.0.1:[PORT]/x failed after [DURATION] ([DURATION] apart)"
//! );
//! let mut text = Sections::default();
//! text.add("scheme=calver", "input `scheme` has an invalid value `calver`\nhint: …");
//! assert!(text.text().starts_with("## scheme=calver\ninput `scheme`"));
//! // In a test: insta::assert_snapshot!("rejections", text.text());
//! ```

use std::fmt::Write as _;
use std::sync::OnceLock;

use regex_lite::Regex;

use crate::harness::annotations;

/// What varies between runs or machines, in the order applied: `(pattern, placeholder)`; `$1` in a
/// placeholder keeps the pattern's first group. The temporary directory comes first (see
/// [`redact`]); sizes and sha256 are left alone — snapshot tests use fixed content.
pub const FILTERS: &[(&str, &str)] = &[
    // Loopback servers (the fakes, the index double) listen on a free port.
    (r"(127\.0\.0\.1|localhost|\[::1\]):\d+", "$1:[PORT]"),
    // Dates and times: ISO 8601 (the fake's `created_at`), and `utc_time`'s `… UTC`.
    (
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2}| UTC)?",
        "[TIMESTAMP]",
    ),
    // Transfer speeds (`progress`): `1.5 MiB/s`, `812 B/s`.
    (r"\b\d+(\.\d+)? ?([KMGT]i?B|kB|B)/s\b", "[SPEED]"),
    // Durations (`human_duration`, Debug): `250 ms`, `1.5 s`, `14 min 5 s`, `2 h 3 min`, `5.01s`.
    (
        r"\b\d+(\.\d+)? ?(ns|µs|us|ms|s|min|h)( \d+ ?(min|s))?\b",
        "[DURATION]",
    ),
    // `GITHUB_OUTPUT` heredoc delimiters are random.
    (r"ghadelimiter_[0-9A-Za-z_-]+", "ghadelimiter_[RANDOM]"),
];

/// The compiled filters, the temporary directory's first.
fn filters() -> &'static [(Regex, &'static str)] {
    static COMPILED: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let tmp = std::env::temp_dir();
        let mut dirs = vec![tmp.display().to_string()];
        if let Ok(real) = tmp.canonicalize() {
            dirs.push(real.display().to_string());
            dirs.dedup();
        }
        // A directory made in it (`/tmp/.tmpAbC123`, `/tmp/slipway-harness-XyZ`) becomes `[TMP]`;
        // what lies below stays (`[TMP]/workspace/dist`).
        dirs.iter()
            .map(|d| {
                format!(
                    r"{}/[^/\s`'\x22()]+",
                    regex_lite::escape(d.trim_end_matches('/'))
                )
            })
            .map(|p| (p, "[TMP]"))
            .chain(FILTERS.iter().map(|&(p, r)| (p.to_string(), r)))
            .map(|(p, r)| (Regex::new(&p).expect("a snapshot filter compiles"), r))
            .collect()
    })
}

/// `text` with every [`FILTERS`] match (and the temporary directory) replaced.
pub fn redact(text: &str) -> String {
    filters().iter().fold(text.to_string(), |text, (re, with)| {
        re.replace_all(&text, *with).into_owned()
    })
}

/// A snapshot of several texts, each under a `## title` line (a case and its message, a run's
/// summary and its errors), read back redacted.
#[derive(Debug, Default, Clone)]
pub struct Sections {
    text: String,
}

impl Sections {
    /// Adds `body` under `## title` (`(empty)` when it is blank, so that shows too).
    pub fn add(&mut self, title: &str, body: &str) -> &mut Self {
        let body = match body.trim_end() {
            "" => "(empty)",
            text => text,
        };
        let _ = write!(self.text, "## {title}\n{body}\n\n");
        self
    }

    /// Adds what one run of a step showed its user: the step summary (`## {run}: step summary`),
    /// then each `::error`, `::warning` and `::notice` annotation in its `stdout`
    /// (`## {run}: ::error`, …).
    pub fn step(&mut self, run: &str, summary: &str, stdout: &str) -> &mut Self {
        self.add(&format!("{run}: step summary"), summary);
        for kind in ["error", "warning", "notice"] {
            for message in annotations(stdout, kind) {
                self.add(&format!("{run}: ::{kind}"), &message);
            }
        }
        self
    }

    /// Everything added, redacted: what to snapshot.
    pub fn text(&self) -> String {
        redact(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_varies_is_replaced_and_the_words_are_kept() {
        let tmp = std::env::temp_dir().join(".tmpAbC123/workspace/dist");
        let cases = [
            (
                format!("cannot read `{}`", tmp.display()),
                "cannot read `[TMP]/workspace/dist`",
            ),
            (
                "http://localhost:8080/ and [::1]:9 and 127.0.0.1:65535".into(),
                "http://localhost:[PORT]/ and [::1]:[PORT] and 127.0.0.1:[PORT]",
            ),
            (
                "at 2024-05-01T12:00:00Z, 2024-05-01T12:00:00.123+02:00, 2024-05-01 12:00:00 UTC"
                    .into(),
                "at [TIMESTAMP], [TIMESTAMP], [TIMESTAMP]",
            ),
            (
                "1.5 MiB/s, 812 B/s, 3MB/s".into(),
                "[SPEED], [SPEED], [SPEED]",
            ),
            (
                "250 ms, 1.5 s, 14 min 5 s, 2 h 3 min, 5.01s".into(),
                "[DURATION], [DURATION], [DURATION], [DURATION], [DURATION]",
            ),
            (
                "name<<ghadelimiter_0a1b2c".into(),
                "name<<ghadelimiter_[RANDOM]",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(&text), expected);
        }
    }

    #[test]
    fn versions_sizes_hashes_and_words_next_to_numbers_are_left_alone() {
        let text = "v1.2.0 skipped, 3 sdists, 2 files, 68.4 KiB, sha256 `0a9f…`, 100000 bytes, 1.2.0 as `v1.2.0`";
        assert_eq!(redact(text), text);
    }
}
