//! JUnit XML reports read into typed test results: one outcome per test id.
//!
//! The formats met in practice, and how each is read:
//! - `<testsuites>` or a lone `<testsuite>` at the root; suites may nest (jest, surefire
//!   aggregates); every `<testcase>` under the root counts, wherever it sits.
//! - A `<testcase>` with `<failure>` or `<error>` failed; with `<skipped>` it was skipped;
//!   empty, it passed.
//! - **pytest-rerunfailures** writes one `<testcase>` per attempt under the same id: the
//!   earlier attempts are empty, the last one carries the outcome. A test id seen several times
//!   counts once; the last attempt decides, and a test that was run again and passed in the end is
//!   [`Outcome::Flaky`] (it was only run again because an attempt failed).
//! - **surefire** (and nextest, which writes the same elements) marks reruns inside one
//!   `<testcase>`: `<flakyFailure>`/`<flakyError>` beside a pass make it flaky; `<rerunFailure>`/
//!   `<rerunError>` beside a `<failure>` are further failed attempts.
//!
//! A test's id is its `classname` and `name` joined with `::` (just `name` when `classname` is
//! empty or missing): `tests.test_api.TestLogin::test_expired[utf-8]`.
//!
//! ```
//! let xml = br#"<testsuite><testcase classname="t" name="a"><failure message="no"/></testcase></testsuite>"#;
//! let cases = slipway_junit::parse(std::path::Path::new("junit.xml"), &xml[..]).unwrap();
//! let report = slipway_junit::Report::from_cases(cases);
//! assert_eq!(report.tests[0].id.to_string(), "t::a");
//! assert!(report.tests[0].outcome.is_failure());
//! ```

mod read;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use read::parse;

/// Text read from one element is kept up to this many bytes (a traceback of megabytes is cut;
/// what an issue shows is far shorter anyway).
pub const TEXT_CAP: usize = 256 * 1024;

/// A test's identity: its `classname` and `name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TestId {
    /// The `classname` attribute (empty when absent).
    pub classname: String,
    /// The `name` attribute.
    pub name: String,
}

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.classname.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}::{}", self.classname, self.name)
        }
    }
}

/// Whether a failed attempt was an assertion (`failure`) or an unexpected error (`error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// `<failure>`, `<flakyFailure>`, `<rerunFailure>`.
    Failure,
    /// `<error>`, `<flakyError>`, `<rerunError>`.
    Error,
}

impl FailureKind {
    /// `failure` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::Error => "error",
        }
    }
}

/// One failed attempt: what the report says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Failure or error.
    pub kind: FailureKind,
    /// The `message` attribute (may be empty).
    pub message: String,
    /// The `type` attribute (an exception class), if any.
    pub error_type: Option<String>,
    /// The element's text, or surefire's `<stackTrace>`: usually the traceback.
    pub details: String,
}

/// What one `<testcase>` element says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseResult {
    /// No failure, error or skip.
    Passed,
    /// `<skipped>`.
    Skipped,
    /// `<failure>` or `<error>`; `reruns` are surefire's further failed attempts.
    Failed {
        /// The failure.
        failure: Failure,
        /// `<rerunFailure>`/`<rerunError>` in the same element.
        reruns: Vec<Failure>,
    },
    /// Passed after `<flakyFailure>`/`<flakyError>` attempts (surefire, nextest).
    Flaky(Vec<Failure>),
}

/// One `<testcase>` element as read, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The test.
    pub id: TestId,
    /// What this element says.
    pub result: CaseResult,
    /// The report it came from.
    pub file: PathBuf,
}

/// A test's outcome once every attempt is counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Passed at the first attempt.
    Passed,
    /// Skipped.
    Skipped,
    /// The last attempt failed; `failure` is that attempt's.
    Failed(Failure),
    /// Failed first, passed on a rerun: the failed attempts as the report gives them
    /// (pytest-rerunfailures leaves them empty, so this can be empty).
    Flaky(Vec<Failure>),
}

impl Outcome {
    /// True for [`Outcome::Failed`].
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
}

/// One test with every attempt counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The test.
    pub id: TestId,
    /// Its outcome.
    pub outcome: Outcome,
    /// How many times it ran (reruns included).
    pub attempts: u32,
    /// The report its last attempt came from.
    pub file: PathBuf,
}

/// Every test of a set of reports, each once, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The tests.
    pub tests: Vec<TestResult>,
}

impl Report {
    /// Folds the cases of one or more reports (in reading order) into one result per test id:
    /// the last attempt decides; a test run more than once that passed at the last attempt is
    /// flaky.
    pub fn from_cases(cases: impl IntoIterator<Item = Case>) -> Self {
        let mut index: HashMap<TestId, usize> = HashMap::new();
        let mut tests: Vec<TestResult> = Vec::new();
        let mut earlier: Vec<Vec<Failure>> = Vec::new();
        for case in cases {
            let slot = *index.entry(case.id.clone()).or_insert_with(|| {
                tests.push(TestResult {
                    id: case.id.clone(),
                    outcome: Outcome::Passed,
                    attempts: 0,
                    file: case.file.clone(),
                });
                earlier.push(Vec::new());
                tests.len() - 1
            });
            let test = &mut tests[slot];
            let before = test.attempts;
            let failed_before = &mut earlier[slot];
            if let Outcome::Failed(f) = &test.outcome {
                failed_before.push(f.clone());
            }
            let (outcome, attempts) = match case.result {
                CaseResult::Passed if before > 0 => (Outcome::Flaky(failed_before.clone()), 1),
                CaseResult::Passed => (Outcome::Passed, 1),
                CaseResult::Skipped => (Outcome::Skipped, 1),
                CaseResult::Failed { failure, reruns } => {
                    let n = 1 + reruns.len() as u32;
                    (Outcome::Failed(failure), n)
                }
                CaseResult::Flaky(failures) => {
                    let n = 1 + failures.len() as u32;
                    failed_before.extend(failures);
                    (Outcome::Flaky(failed_before.clone()), n)
                }
            };
            test.outcome = outcome;
            test.attempts = before + attempts;
            test.file = case.file;
        }
        Self { tests }
    }

    /// Reads every file (each whole, before anything else happens) and folds them in the order
    /// given; the first file that is not a JUnit report is the error.
    pub fn read_files(paths: &[PathBuf]) -> Result<Self, JunitError> {
        let mut cases = Vec::new();
        for path in paths {
            let file = std::fs::File::open(path).map_err(|source| JunitError::Io {
                path: path.clone(),
                source,
            })?;
            cases.extend(parse(path, std::io::BufReader::new(file))?);
        }
        Ok(Self::from_cases(cases))
    }

    /// The tests whose outcome is a failure.
    pub fn failed(&self) -> impl Iterator<Item = &TestResult> {
        self.tests.iter().filter(|t| t.outcome.is_failure())
    }

    /// How many tests have each outcome: (passed, failed, flaky, skipped).
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for t in &self.tests {
            match t.outcome {
                Outcome::Passed => c.passed += 1,
                Outcome::Failed(_) => c.failed += 1,
                Outcome::Flaky(_) => c.flaky += 1,
                Outcome::Skipped => c.skipped += 1,
            }
        }
        c
    }
}

/// Test counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed at the first attempt.
    pub passed: usize,
    /// Failed at the last attempt.
    pub failed: usize,
    /// Passed after failing.
    pub flaky: usize,
    /// Skipped.
    pub skipped: usize,
}

/// The hint every "not a report" error ends with.
const HINT: &str = "hint: `reports` must match JUnit XML files only, as written by `pytest --junitxml=junit.xml`, cargo-nextest (`[profile.ci.junit]`), jest-junit or maven surefire; narrow the globs (e.g. `reports: test-results/junit*.xml`)";

/// Why a report could not be read; nothing has been sent anywhere when this happens.
#[derive(Debug, thiserror::Error)]
pub enum JunitError {
    /// The file could not be read.
    #[error("cannot read the test report `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not well-formed XML.
    #[error("the test report `{}` is not XML: {reason}\n{HINT}", path.display())]
    NotXml {
        /// The file.
        path: PathBuf,
        /// What the XML reader found, with the byte offset.
        reason: String,
    },
    /// The file is XML but not a JUnit report.
    #[error("the test report `{}` is XML but not a JUnit report: {reason}\n{HINT}", path.display())]
    NotJunit {
        /// The file.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },
}

impl JunitError {
    /// The report the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::NotXml { path, .. } | Self::NotJunit { path, .. } => path,
        }
    }
}
