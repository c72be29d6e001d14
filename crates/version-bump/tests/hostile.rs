//! version-bump against hostile servers in front of the fake GitHub (issue 10): an API that
//! black-holes or drips ends the run within the shortened bounds; lists that page forever or
//! loop stop with a message; an HTML page where the API should be says to check `api-url`; an
//! echoed token never shows.

use std::time::Duration;

use slipway_testkit::github::{FakeGitHub, ReleaseSeed};
use slipway_testkit::harness::{Harness, RunResult};
use slipway_testkit::hostile::{
    self, Behaviour, EchoFormat, HostileServer, Paging, Rule, WITHIN, timed,
};

const BIN: &str = env!("CARGO_BIN_EXE_version-bump");
const REPO: &str = "octo/demo";
/// A PEP 621 project at 1.3.0, compared through `api` with short bounds.
fn through(fake: &FakeGitHub, api: &HostileServer) -> Harness {
    let h = Harness::new(BIN)
        .github(fake)
        .input("api-url", api.url())
        .short_bounds();
    h.write_file(
        "pyproject.toml",
        "[project]\nname = \"demo\"\nversion = \"1.3.0\"\n",
    );
    h
}

/// The run failed within [`WITHIN`], its message naming every needle and a hint; no output.
fn bounded(run: RunResult, took: Duration, needles: &[&str]) {
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}\n{}", run.stderr);
    for n in needles.iter().chain(&["hint: "]) {
        assert!(
            run.stderr.contains(n),
            "`{n}` not in the error output:\n{}",
            run.stderr
        );
    }
    assert!(!run.outputs.contains_key("bumped"), "{:?}", run.outputs);
}

// #7 / #8: an API that accepts and never answers.
#[test]
fn a_black_holed_api_ends_within_the_bounds_naming_the_silent_peer_rule() {
    let fake = FakeGitHub::with_repo(REPO);
    let api = HostileServer::start().with(Rule::any(Behaviour::BlackHole));
    let (run, took) = timed(&through(&fake, &api));
    bounded(
        run,
        took,
        &["gave up after 2 attempt(s)", "`SLIPWAY_SILENT_TIMEOUT`"],
    );
}

// #7: one byte every 100 ms keeps the silent-peer rule quiet; the low-speed rule ends it.
#[test]
fn a_dripping_api_ends_within_the_bounds_naming_the_low_speed_rule() {
    let fake = FakeGitHub::with_repo(REPO);
    let body = format!("[{}]", "{}, ".repeat(1000) + "{}");
    let api =
        HostileServer::start().with(Rule::any(Behaviour::drip(body, Duration::from_millis(100))));
    let (run, took) = timed(&through(&fake, &api));
    bounded(run, took, &["`SLIPWAY_LOW_SPEED_LIMIT`"]);
}

// #9: the release list (`latest-release`) and the tag list (`latest-tag`) paging forever, or a
// `Link` back to the page just read, stop with a message instead of running on.
#[test]
fn lists_that_page_forever_or_loop_stop_with_a_message() {
    let cases = [
        (
            "latest-release",
            "/releases",
            Paging::Endless,
            "past 100 pages",
        ),
        ("latest-tag", "/tags", Paging::Endless, "past 100 pages"),
        (
            "latest-release",
            "/releases",
            Paging::LoopToSelf,
            "leads back to a page already read",
        ),
    ];
    for (compare_to, list, paging, needle) in cases {
        let fake = FakeGitHub::with_repo(REPO);
        fake.add_release(ReleaseSeed::new("v1.2.0"));
        let api = HostileServer::proxy(fake.api_url());
        let rule = api.add(
            Rule::exact(&format!("/repos/{REPO}{list}"), Behaviour::Paging(paging)).method("GET"),
        );
        let h = through(&fake, &api).input("compare-to", compare_to);
        let (run, took) = timed(&h);
        bounded(run, took, &[needle]);
        let expected = if paging == Paging::Endless { 100 } else { 1 };
        assert_eq!(api.hits(rule), expected, "{compare_to} {paging:?}");
    }
}

// #21: `api-url` pointing at a web page (a login wall answers 200 with HTML).
#[test]
fn an_html_page_where_the_api_should_be_says_to_check_api_url() {
    let fake = FakeGitHub::with_repo(REPO);
    let api = HostileServer::start().with(Rule::any(Behaviour::html(
        200,
        "<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in to continue</form></body></html>",
    )));
    let (run, took) = timed(&through(&fake, &api));
    bounded(
        run,
        took,
        &["the answer is an HTML page", "hint: check `api-url`"],
    );
}

// #6: a token with `"` and `\` echoed by a JSON (or HTML) error page never shows, in any form.
#[test]
fn a_token_with_quotes_and_backslashes_never_shows_when_an_error_page_echoes_it() {
    let token = r#"ghs_Qu"ote\Back\\slash0123456789"#;
    for (status, format) in [
        (403, EchoFormat::Json),
        (500, EchoFormat::Json),
        (403, EchoFormat::Html),
    ] {
        let fake = hostile::github_with_token(token, REPO);
        let api = hostile::echoing_api(&fake, status, format);
        let run = through(&fake, &api).run().assert_failure();
        assert!(api.saw(token), "the page echoed the token it was sent");
        assert!(run.stderr.contains(&status.to_string()), "{}", run.stderr);
        assert_eq!(
            run.leaks(token),
            Vec::<String>::new(),
            "{status} {format:?}:\n{}",
            run.all_text()
        );
    }
}
