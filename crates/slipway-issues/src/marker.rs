//! The hidden markers: HTML comments in issue bodies and comments that say which test (and
//! context) an issue is for, or which run attempt wrote a comment. Values are percent-encoded
//! (only ASCII letters, digits, `.`, `_` and `~` stay as they are), so no test name can end the
//! comment (`-->`, `--!>`) or forge another field.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Every marker starts with this.
pub const PREFIX: &str = "<!-- slipway-test-issues ";
const SUFFIX: &str = " -->";
const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'.').remove(b'_').remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, KEEP).to_string()
}

/// What an issue is for: one test in one context, or the summary of a context's run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// One test (`context`, test id).
    Test {
        /// The context (job, matrix cell).
        context: String,
        /// The test id (`classname::name`).
        test: String,
    },
    /// The summary issue of a context (more failing tests than `max-issues`).
    Summary {
        /// The context.
        context: String,
    },
}

/// Test ids longer than this many characters are shortened in keys (their start and a hash of
/// the whole), so a marker stays small whatever a test is called.
const LONG_ID: usize = 500;

impl Key {
    /// The key of test `id` in `context`; an id over 500 characters is kept as its first 200
    /// and the SHA-256 of the whole id (the marker stays short, and two ids still differ).
    pub fn for_test(context: &str, id: &str) -> Self {
        let test = if id.chars().count() > LONG_ID {
            use sha2::Digest as _;
            let start: String = id.chars().take(200).collect();
            format!(
                "{start}…sha256:{}",
                hex::encode(sha2::Sha256::digest(id.as_bytes()))
            )
        } else {
            id.to_string()
        };
        Self::Test {
            context: context.to_string(),
            test,
        }
    }

    /// The hidden marker for an issue body.
    pub fn marker(&self) -> String {
        match self {
            Self::Test { context, test } => {
                format!(
                    "{PREFIX}context={} test={}{SUFFIX}",
                    enc(context),
                    enc(test)
                )
            }
            Self::Summary { context } => {
                format!("{PREFIX}context={} summary=1{SUFFIX}", enc(context))
            }
        }
    }

    /// The key in the markers at the start of `body` (a marker quoted further down does not
    /// count), if it has one.
    pub fn from_body(body: &str) -> Option<Self> {
        leading(body).find_map(|fields| {
            let context = field(&fields, "context")?;
            if let Some(test) = field(&fields, "test") {
                return Some(Self::Test { context, test });
            }
            field(&fields, "summary").map(|_| Self::Summary { context })
        })
    }
}

/// What a run attempt wrote: the marker each comment (and each new issue's body) carries, so
/// that the same attempt run again adds nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMark {
    /// `{run id}.{attempt}`.
    pub run: String,
    /// What the comment said: `failed`, `passed`, `flaky`, `summary`, `duplicate`.
    pub outcome: String,
}

impl RunMark {
    /// The marker text.
    pub fn marker(&self) -> String {
        format!(
            "{PREFIX}run={} outcome={}{SUFFIX}",
            enc(&self.run),
            enc(&self.outcome)
        )
    }

    /// The run marks at the start of `text` (the lines before the first that is not a
    /// marker), in order. Only those count: a marker quoted further down (in a failure message)
    /// is text, not a mark.
    pub fn all_in(text: &str) -> Vec<Self> {
        leading(text)
            .filter_map(|fields| {
                Some(Self {
                    run: field(&fields, "run")?,
                    outcome: field(&fields, "outcome")?,
                })
            })
            .collect()
    }
}

/// The fields of each marker line at the start of `text`.
fn leading(text: &str) -> impl Iterator<Item = Vec<(String, String)>> + '_ {
    text.lines()
        .map(str::trim_end)
        .map_while(|line| {
            line.strip_prefix(PREFIX)
                .and_then(|rest| rest.strip_suffix(SUFFIX))
        })
        .map(parse_fields)
}

fn parse_fields(text: &str) -> Vec<(String, String)> {
    text.split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    let raw = fields.iter().find(|(k, _)| k == name)?;
    percent_decode_str(&raw.1)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ids_are_shortened_and_still_told_apart() {
        let a = "t::".to_string() + &"x".repeat(10_000) + "a";
        let b = "t::".to_string() + &"x".repeat(10_000) + "b";
        let (ka, kb) = (Key::for_test("c", &a), Key::for_test("c", &b));
        assert_ne!(ka, kb);
        assert!(ka.marker().len() < 1_000, "{}", ka.marker().len());
        assert_eq!(Key::from_body(&ka.marker()), Some(ka));
        assert_eq!(
            Key::for_test("c", "t::short"),
            Key::Test {
                context: "c".into(),
                test: "t::short".into()
            }
        );
    }

    #[test]
    fn hostile_names_round_trip_and_cannot_end_the_comment() {
        for test in [
            "t::a --> <b>",
            "t::x --!> y",
            "t::a test=other context=x",
            "t::ü 🎉 `code` @octocat [l](http://x)",
            "",
        ] {
            let key = Key::Test {
                context: "tests (3.12, ubuntu) -->".into(),
                test: test.into(),
            };
            let m = key.marker();
            assert_eq!(m.matches("-->").count(), 1, "{m}");
            assert!(!m[..m.len() - 4].contains('>') && !m.contains("--!"), "{m}");
            assert_eq!(Key::from_body(&format!("{m}\nrest")), Some(key.clone()));
            // Quoted below other text (a failure message), a marker is text.
            assert_eq!(Key::from_body(&format!("intro\n{m}\nrest")), None);
        }
        let s = Key::Summary {
            context: "c".into(),
        };
        assert_eq!(Key::from_body(&s.marker()), Some(s));
        assert_eq!(Key::from_body("no marker"), None);
        let r = RunMark {
            run: "12.1".into(),
            outcome: "failed".into(),
        };
        let text = format!(
            "{}\nx {}",
            r.marker(),
            Key::Summary {
                context: "c".into()
            }
            .marker()
        );
        assert_eq!(RunMark::all_in(&text), vec![r]);
    }
}
