//! Shared setup for the test-issues tests: a step against the fake GitHub, JUnit reports (hand
//! written, and real ones from pytest with and without pytest-rerunfailures), and the checks
//! every test repeats.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use slipway_testkit::github::{FakeGitHub, Issue, RouteKind};
use slipway_testkit::harness::{Harness, RunResult};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_test-issues");
/// The repository every fake holds.
pub(crate) const REPO: &str = "octo/widgets";

/// A fake with the one repository, whose search index lags a day behind (nothing may need it).
pub(crate) fn fake() -> FakeGitHub {
    let fake = FakeGitHub::with_repo(REPO);
    fake.set_search_lag(Duration::from_secs(86_400));
    fake
}

/// A step of job `tests`, run 1000001 attempt 1, against `fake`, with fast retries.
pub(crate) fn step(fake: &FakeGitHub) -> Harness {
    Harness::new(BIN)
        .github(fake)
        .env("SLIPWAY_RETRY_UNIT_MS", "5")
        .env("GITHUB_JOB", "tests")
}

/// The same step as another run (`id`), attempt `attempt`.
pub(crate) fn run_of(h: Harness, id: u64, attempt: u32) -> Harness {
    h.env("GITHUB_RUN_ID", id.to_string())
        .env("GITHUB_RUN_ATTEMPT", attempt.to_string())
}

/// How a hand-written test case ends.
#[derive(Debug, Clone, Copy)]
pub(crate) enum R<'a> {
    /// Passed.
    Pass,
    /// `<failure message=…>` with a traceback.
    Fail(&'a str),
    /// `<error message=…>`.
    Error(&'a str),
    /// `<skipped>`.
    Skip,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A pytest-style report of `cases` (`classname` `tests.test_app`).
pub(crate) fn junit(cases: &[(&str, R<'_>)]) -> String {
    let mut out = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest">"#,
    );
    for (name, r) in cases {
        let open = format!(
            r#"<testcase classname="tests.test_app" name="{}" time="0.01""#,
            esc(name)
        );
        match r {
            R::Pass => out.push_str(&format!("{open} />")),
            R::Fail(m) => out.push_str(&format!(
                "{open}><failure message=\"{}\">def {}():\n&gt;   assert False\nE   {}\n\ntests/test_app.py:3: AssertionError</failure></testcase>",
                esc(m),
                esc(name),
                esc(m)
            )),
            R::Error(m) => out.push_str(&format!(
                "{open}><error message=\"{}\">fixture broke</error></testcase>",
                esc(m)
            )),
            R::Skip => out.push_str(&format!("{open}><skipped message=\"later\"/></testcase>")),
        }
    }
    out.push_str("</testsuite></testsuites>");
    out
}

/// The issues (not pull requests) of the fake, by number.
pub(crate) fn issues(fake: &FakeGitHub) -> Vec<Issue> {
    fake.issues()
        .into_iter()
        .filter(|i| !i.pull_request)
        .collect()
}

/// The issue whose title names `test`.
pub(crate) fn issue_for(fake: &FakeGitHub, test: &str) -> Issue {
    let all = issues(fake);
    let found: Vec<&Issue> = all
        .iter()
        .filter(|i| i.title.ends_with(&format!("::{test}")))
        .collect();
    assert_eq!(found.len(), 1, "issues for `{test}`: {all:#?}");
    found[0].clone()
}

/// Requests that write (create, update, comment, label).
pub(crate) fn writes(fake: &FakeGitHub) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.route))
        .collect()
}

/// No request the fake did not know, no search, and the token nowhere a person or a later step
/// can see.
pub(crate) fn assert_clean(fake: &FakeGitHub, run: &RunResult) {
    assert!(
        fake.unexpected_requests().is_empty(),
        "{:#?}",
        fake.unexpected_requests()
    );
    assert!(
        fake.requests_to(RouteKind::SearchIssues).is_empty(),
        "the tool used search"
    );
    assert_eq!(run.leaks(&fake.token()), Vec::<String>::new());
}

/// The JSON array output `name` as numbers.
pub(crate) fn numbers(run: &RunResult, name: &str) -> Vec<u64> {
    serde_json::from_value(run.output_json(name)).unwrap()
}

/// A pytest project: a passing test, an assertion failure, a fixture error, a skip, a test
/// that fails at its first attempt only, and a parametrized test with a hostile id.
const PYTEST_PROJECT: &str = r#"
import pytest

ATTEMPTS = {"n": 0}

def test_ok():
    pass

def test_fails():
    assert 1 == 2, "boom <b>@octocat</b>"

@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")

def test_errors(broken):
    pass

@pytest.mark.skip(reason="later")
def test_skipped():
    pass

def test_flaky():
    ATTEMPTS["n"] += 1
    assert ATTEMPTS["n"] > 1, "first attempt fails"

@pytest.mark.parametrize("x", ["ok", "--> `x` [l](http://e.com)"])
def test_param(x):
    assert x == "ok"
"#;

/// Real reports from pytest, made once per test binary: `(plain, with reruns)`; the second by
/// pytest-rerunfailures with `--reruns 2`.
pub(crate) fn pytest_reports() -> &'static (String, String) {
    static REPORTS: OnceLock<(tempfile::TempDir, (String, String))> = OnceLock::new();
    &REPORTS
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("test_app.py"), PYTEST_PROJECT).unwrap();
            let pytest = slipway_testkit::real::tool("pytest");
            let run = |out: &str, extra: &[&str]| {
                let status = Command::new(&pytest)
                    .current_dir(dir.path())
                    .args(["-q", "-p", "no:cacheprovider", "--junitxml", out])
                    .args(extra)
                    .output()
                    .expect("run pytest");
                // pytest exits 1 when tests failed; anything else is a broken set-up.
                assert_eq!(
                    status.status.code(),
                    Some(1),
                    "{}",
                    String::from_utf8_lossy(&status.stdout)
                );
                std::fs::read_to_string(dir.path().join(out)).unwrap()
            };
            let plain = run("plain.xml", &["-p", "no:rerunfailures"]);
            let reruns = run("reruns.xml", &["--reruns", "2"]);
            (dir, (plain, reruns))
        })
        .1
}

/// A path for a report in the workspace.
pub(crate) fn report_path(name: &str) -> PathBuf {
    PathBuf::from(name)
}
