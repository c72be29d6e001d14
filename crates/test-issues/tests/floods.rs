//! The hard cases: a flood of failures past `max-issues`, hostile test names, a 20,000-character
//! name and huge messages, bursts of runs (one after another within seconds, and at the same time), and
//! GitHub's rate limits and 5xx through the shared retry policy.

mod common;

use std::collections::BTreeMap;

use common::*;
use slipway_testkit::github::{Fault, Match, RouteKind};

const REPORT: &str = "junit.xml";

fn many(n: usize) -> String {
    let names: Vec<String> = (0..n).map(|i| format!("test_{i:02}")).collect();
    let cases: Vec<(&str, R<'_>)> = names
        .iter()
        .map(|n| (n.as_str(), R::Fail("broken import")))
        .collect();
    junit(&cases)
}

#[test]
fn fifty_failures_past_max_issues_make_one_summary_issue_updated_by_the_next_run() {
    let fake = fake();
    let h = run_of(step(&fake), 60, 1).input("max-issues", "10");
    h.write_file(REPORT, many(50));
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let all = issues(&fake);
    assert_eq!(all.len(), 1, "{all:#?}");
    let summary = &all[0];
    assert_eq!(summary.title, "50 failing tests in tests");
    let body = summary.body.clone().unwrap();
    assert!(body.starts_with("<!-- slipway-test-issues context=tests summary=1 -->"));
    assert_eq!(
        body.matches("\n- `tests.test_app::test_").count(),
        50,
        "{body}"
    );
    assert_eq!(run.output("failed"), "50");
    assert_eq!(numbers(&run, "opened"), vec![summary.number]);

    // The next run, with 30 failures: the same issue, updated and commented.
    let h = run_of(step(&fake), 61, 1).input("max-issues", "10");
    h.write_file(REPORT, many(30));
    let run = h.run().assert_success();
    let all = issues(&fake);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].title, "30 failing tests in tests");
    assert_eq!(numbers(&run, "commented"), vec![summary.number]);
    assert_eq!(fake.issue_comments(summary.number).len(), 1);

    // Under the cap again: the summary closes, each failure gets its own issue.
    let h = run_of(step(&fake), 62, 1).input("max-issues", "10");
    h.write_file(REPORT, many(3));
    let run = h.run().assert_success();
    assert_eq!(fake.issue(summary.number).unwrap().state, "closed");
    assert_eq!(numbers(&run, "opened").len(), 3);
    assert_eq!(issues(&fake).len(), 4);
}

#[test]
fn hostile_names_and_a_10000_character_message_are_escaped_and_fit() {
    let fake = fake();
    let names = [
        "test_x[-->]",
        "test_y[<script>alert(1)</script>]",
        "test_z[@octocat [click](https://evil.example) ```]",
        "test_w[`a` | b ``` c]",
    ];
    let message = format!(
        "@octocat <img src=x onerror=alert(1)> ```` {}",
        "m".repeat(10_000)
    );
    let traceback_line = "x".repeat(200);
    let long = format!("test_long[{}]", "n".repeat(20_000));
    let mut cases: Vec<(&str, R<'_>)> = names.iter().map(|n| (*n, R::Fail("boom"))).collect();
    cases.push((long.as_str(), R::Fail("a 20,000-character test name")));
    // Last: the 100,000-character traceback below goes to this one.
    cases.push(("test_huge", R::Fail(&message)));
    let mut xml = junit(&cases);
    // A 100,000-character traceback on top.
    let huge_trace = std::iter::repeat_n(traceback_line.as_str(), 500)
        .collect::<Vec<_>>()
        .join("\n");
    xml = xml.replacen("fixture broke", &huge_trace, 1);
    xml = xml.replacen(
        "tests/test_app.py:3: AssertionError</failure></testcase></testsuite>",
        &format!(
            "{huge_trace}\ntests/test_app.py:3: AssertionError</failure></testcase></testsuite>"
        ),
        1,
    );
    let h = step(&fake);
    h.write_file(REPORT, &xml);
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let all = issues(&fake);
    assert_eq!(all.len(), 6);
    for i in &all {
        let body = i.body.as_deref().unwrap();
        assert!(
            body.chars().count() <= 65_536,
            "{} chars",
            body.chars().count()
        );
        // The key survives: the next run finds every issue again (no duplicates below).
        assert!(body.starts_with("<!-- slipway-test-issues context=tests test="));
        let first_line = body.lines().next().unwrap();
        assert_eq!(first_line.matches("-->").count(), 1, "{first_line}");
        assert!(!first_line.contains('<') || first_line.starts_with("<!--"));
        // Every mention, tag and link is inside a code span or block: outside them, none.
        let outside = strip_code(body);
        for bad in ["@octocat", "<script", "<img", "](https://evil"] {
            assert!(
                !outside.contains(bad),
                "`{bad}` outside code in:\n{outside}"
            );
        }
    }
    let huge = issue_for(&fake, "test_huge").body.unwrap();
    assert!(
        huge.contains("more characters cut") || huge.contains("earlier characters cut"),
        "{huge}"
    );
    assert!(
        huge.contains("tests/test_app.py:3: AssertionError"),
        "the traceback's end is kept"
    );
    // Run again: every issue found by its key, commented, none duplicated.
    let h2 = run_of(step(&fake), 99, 1);
    h2.write_file(REPORT, &xml);
    let run = h2.run().assert_success();
    assert_eq!(issues(&fake).len(), 6);
    assert_eq!(numbers(&run, "commented").len(), 6);
    for i in issues(&fake) {
        for c in fake.issue_comments(i.number) {
            assert!(c.body.chars().count() <= 65_536);
        }
    }
}

/// `text` without its fenced code blocks and code spans (what GitHub renders as markdown).
fn strip_code(text: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in text.lines() {
        let ticks: String = line.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) if line.trim_end() == f.as_str() => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                // Remove code spans: a run of n backticks up to the next run of exactly n.
                let chars: Vec<char> = line.chars().collect();
                let mut i = 0;
                while i < chars.len() {
                    if chars[i] == '`' {
                        let n = chars[i..].iter().take_while(|c| **c == '`').count();
                        let mut j = i + n;
                        let mut closed = None;
                        while j < chars.len() {
                            if chars[j] == '`' {
                                let m = chars[j..].iter().take_while(|c| **c == '`').count();
                                if m == n {
                                    closed = Some(j + m);
                                    break;
                                }
                                j += m;
                            } else {
                                j += 1;
                            }
                        }
                        match closed {
                            Some(end) => i = end,
                            None => {
                                out.extend(&chars[i..i + n]);
                                i += n;
                            }
                        }
                    } else {
                        out.push(chars[i]);
                        i += 1;
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn a_burst_of_runs_one_after_another_never_duplicates_even_with_search_lagging() {
    // Search would see none of these issues for a day; the list API sees each at once.
    let fake = fake();
    let report = junit(&[("test_a", R::Fail("boom")), ("test_b", R::Fail("boom"))]);
    for id in 0..6 {
        let h = run_of(step(&fake), 100 + id, 1);
        h.write_file(REPORT, &report);
        let run = h.run().assert_success();
        assert_clean(&fake, &run);
    }
    assert_eq!(issues(&fake).len(), 2);
    for i in issues(&fake) {
        assert_eq!(fake.issue_comments(i.number).len(), 5);
    }
    // And the fake's search really lags: a search for the key finds nothing yet.
    let q = "repo:octo/widgets is:issue label:test-failure tests.test_app::test_a";
    let found = search(&fake, q);
    assert_eq!(found, 0);
    fake.set_search_lag(std::time::Duration::ZERO);
    assert_eq!(search(&fake, q), 1);
}

/// `GET /search/issues?q=…` on the fake (a plain HTTP/1.1 request): the total count.
fn search(fake: &slipway_testkit::github::FakeGitHub, q: &str) -> u64 {
    use std::io::{Read, Write};
    let host = fake.api_url().trim_start_matches("http://").to_string();
    let query: String = q
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut conn = std::net::TcpStream::connect(&host).unwrap();
    write!(
        conn,
        "GET /search/issues?q={query} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nAccept: application/vnd.github+json\r\nUser-Agent: test\r\nConnection: close\r\n\r\n",
        fake.token()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
    let start = body.find('{').unwrap();
    let end = body.rfind('}').unwrap();
    let v: serde_json::Value = serde_json::from_str(&body[start..=end]).unwrap();
    v["total_count"].as_u64().unwrap()
}

#[test]
fn a_burst_of_concurrent_runs_ends_with_one_open_issue_per_test() {
    let fake = fake();
    // Every issue opened is held for a moment before GitHub stores it, so all six runs look
    // before any issue exists: each of them opens both, the race at its worst.
    fake.inject(Fault::delay(
        Match::route(RouteKind::CreateIssue).times(12),
        std::time::Duration::from_millis(1500),
    ));
    let report = junit(&[("test_a", R::Fail("boom")), ("test_b", R::Fail("boom"))]);
    let steps: Vec<_> = (0..6)
        .map(|id| {
            let h = run_of(step(&fake), 200 + id, 1);
            h.write_file(REPORT, &report);
            h
        })
        .collect();
    let runs: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = steps.iter().map(|h| s.spawn(|| h.run())).collect();
        handles.into_iter().map(|j| j.join().unwrap()).collect()
    });
    for run in &runs {
        let run = run.clone().assert_success();
        assert_clean(&fake, &run);
    }
    // Per test: exactly one open issue; any other one was closed as its duplicate.
    let mut open: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for i in issues(&fake) {
        if i.state == "open" {
            open.entry(i.title.clone()).or_default().push(i.number);
        } else {
            assert_eq!(i.state_reason.as_deref(), Some("duplicate"), "{i:#?}");
        }
    }
    assert_eq!(open.len(), 2, "{open:#?}");
    assert!(open.values().all(|v| v.len() == 1), "{open:#?}");
    let duplicates = issues(&fake).iter().filter(|i| i.state == "closed").count();
    assert_eq!(
        duplicates, 10,
        "six runs opened two issues each; all but two were closed"
    );
    // A later run comments on the open one only.
    let h = run_of(step(&fake), 300, 1);
    h.write_file(REPORT, &report);
    let run = h.run().assert_success();
    let commented = numbers(&run, "commented");
    let expected: Vec<u64> = open.values().map(|v| v[0]).collect();
    assert_eq!(commented, expected);
}

#[test]
fn rate_limits_and_5xx_go_through_the_retry_policy() {
    let fake = fake();
    fake.inject(Fault::secondary_rate_limit(
        Match::route(RouteKind::ListIssues),
        0,
    ));
    fake.inject(Fault::status(Match::route(RouteKind::CreateIssue), 502));
    fake.inject(Fault::too_many_requests(
        Match::route(RouteKind::CreateIssueComment),
        0,
    ));
    fake.inject(Fault::status(
        Match::route(RouteKind::UpdateIssue).times(2),
        503,
    ));
    let h = run_of(step(&fake), 70, 1);
    h.write_file(
        REPORT,
        junit(&[("test_a", R::Fail("boom")), ("test_b", R::Fail("boom"))]),
    );
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    assert_eq!(issues(&fake).len(), 2);
    assert!(run.summary.contains("**Retried ("), "{}", run.summary);
    let h = run_of(step(&fake), 71, 1);
    h.write_file(
        REPORT,
        junit(&[("test_a", R::Pass), ("test_b", R::Fail("again"))]),
    );
    let run = h.run().assert_success();
    assert_eq!(numbers(&run, "closed").len(), 1);
    assert_eq!(numbers(&run, "commented").len(), 2);
    // A 5xx that never ends fails the step after the policy's attempts, with GitHub's words.
    fake.inject(Fault::status(
        Match::route(RouteKind::CreateIssueComment).always(),
        500,
    ));
    let h = run_of(step(&fake), 72, 1).env("SLIPWAY_RETRY_ATTEMPTS", "3");
    h.write_file(REPORT, junit(&[("test_b", R::Fail("again"))]));
    let run = h.run().assert_failure();
    assert!(
        run.stderr.contains("commenting on issue #"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("500"), "{}", run.stderr);
}

#[test]
fn a_token_without_issues_write_is_told_which_permission_it_needs() {
    let fake = fake();
    fake.inject(Fault::status(
        Match::route(RouteKind::CreateIssue).always(),
        403,
    ));
    let h = step(&fake);
    h.write_file(REPORT, junit(&[("test_a", R::Fail("boom"))]));
    let run = h.run().assert_failure();
    assert!(
        run.stderr
            .contains("opening an issue for `tests.test_app::test_a`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("hint: test-issues needs `permissions: issues: write`"),
        "{}",
        run.stderr
    );
}
