//! test-issues run by run against the fake GitHub, as the runner runs it: failures open issues,
//! later runs comment once per attempt, reopen, close on pass, and the real pytest reports
//! (with and without pytest-rerunfailures) are read as pytest writes them.

mod common;

use common::*;
use slipway_testkit::github::{IssueSeed, RouteKind};

const REPORT: &str = "test-results/junit.xml";

#[test]
fn new_failures_open_one_issue_each_with_the_key_links_and_message() {
    let fake = fake();
    let h = run_of(step(&fake), 777, 1);
    h.write_file(
        REPORT,
        junit(&[
            ("test_ok", R::Pass),
            ("test_a", R::Fail("assert 1 == 2")),
            ("test_b", R::Error("fixture broke")),
            ("test_skip", R::Skip),
        ]),
    );
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let all = issues(&fake);
    assert_eq!(all.len(), 2, "{all:#?}");
    let a = issue_for(&fake, "test_a");
    assert_eq!(a.title, "Failing test: tests.test_app::test_a");
    assert_eq!(a.labels, vec!["test-failure"]);
    assert_eq!(a.state, "open");
    let body = a.body.unwrap();
    for needle in [
        "<!-- slipway-test-issues context=tests test=tests.test_app%3A%3Atest_a -->",
        "<!-- slipway-test-issues run=777.1 outcome=failed -->",
        "The test `tests.test_app::test_a` failed in context `tests`",
        &format!(
            "[run 777 (attempt 1)]({}/octo/widgets/actions/runs/777/attempts/1)",
            fake.server_url()
        ),
        &format!(
            "[`4f1c2d3`]({}/octo/widgets/commit/4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c)",
            fake.server_url()
        ),
        "job `tests`",
        "report `test-results/junit.xml`",
        "```text\nassert 1 == 2\n```",
        "<details><summary>Traceback</summary>",
        "tests/test_app.py:3: AssertionError",
    ] {
        assert!(body.contains(needle), "`{needle}` not in:\n{body}");
    }
    assert!(
        issue_for(&fake, "test_b")
            .body
            .unwrap()
            .contains("**error**")
    );
    assert_eq!(run.output("failed"), "2");
    assert_eq!(run.output("passed"), "1");
    assert_eq!(numbers(&run, "opened").len(), 2);
    assert_eq!(numbers(&run, "commented"), Vec::<u64>::new());
    // Everything went through the list API: one list (and one more after opening issues).
    assert_eq!(fake.requests_to(RouteKind::ListIssues).len(), 2);
}

#[test]
fn a_second_run_comments_once_and_the_same_attempt_again_adds_nothing() {
    let fake = fake();
    let report = junit(&[("test_a", R::Fail("first"))]);
    let first = run_of(step(&fake), 1, 1);
    first.write_file(REPORT, &report);
    first.run().assert_success();
    // The same attempt again (a re-run of the step): nothing new.
    fake.clear_requests();
    let again = first.run().assert_success();
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert_eq!(numbers(&again, "opened"), Vec::<u64>::new());
    assert!(
        again.summary.contains("already done by this run attempt"),
        "{}",
        again.summary
    );
    // The next run: one comment, no second issue.
    let second = run_of(step(&fake), 2, 1);
    second.write_file(REPORT, junit(&[("test_a", R::Fail("second"))]));
    let run = second.run().assert_success();
    assert_clean(&fake, &run);
    assert_eq!(issues(&fake).len(), 1);
    let n = issue_for(&fake, "test_a").number;
    assert_eq!(numbers(&run, "commented"), vec![n]);
    let comments = fake.issue_comments(n);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("run=2.1 outcome=failed"));
    assert!(
        comments[0]
            .body
            .starts_with("<!-- slipway-test-issues run=2.1")
    );
    assert!(
        comments[0]
            .body
            .contains("Still failing in [run 2 (attempt 1)]")
    );
    assert!(comments[0].body.contains("```text\nsecond\n```"));
    // That run again, and its second attempt: the attempt is new, so one more comment.
    second.run().assert_success();
    assert_eq!(fake.issue_comments(n).len(), 1);
    run_of(step(&fake), 2, 2)
        .in_workspace_of(&second)
        .run()
        .assert_success();
    assert_eq!(fake.issue_comments(n).len(), 2);
}

#[test]
fn a_closed_issue_is_reopened_and_a_passing_test_closes_its_issue() {
    let fake = fake();
    let failing = junit(&[("test_a", R::Fail("boom")), ("test_b", R::Pass)]);
    let passing = junit(&[("test_a", R::Pass), ("test_b", R::Pass)]);
    let h = run_of(step(&fake), 10, 1);
    h.write_file(REPORT, &failing);
    h.run().assert_success();
    let n = issue_for(&fake, "test_a").number;

    let h = run_of(step(&fake), 11, 1);
    h.write_file(REPORT, &passing);
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let closed = fake.issue(n).unwrap();
    assert_eq!(
        (closed.state.as_str(), closed.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    assert_eq!(numbers(&run, "closed"), vec![n]);
    assert!(fake.issue_comments(n)[0].body.contains("Passed in [run 11"));
    // Green again: nothing more to say.
    fake.clear_requests();
    let h = run_of(step(&fake), 12, 1);
    h.write_file(REPORT, &passing);
    h.run().assert_success();
    assert_eq!(writes(&fake), Vec::<String>::new());

    let h = run_of(step(&fake), 13, 1);
    h.write_file(REPORT, &failing);
    let run = h.run().assert_success();
    let reopened = fake.issue(n).unwrap();
    assert_eq!(
        (reopened.state.as_str(), reopened.state_reason.as_deref()),
        ("open", Some("reopened"))
    );
    assert_eq!(numbers(&run, "reopened"), vec![n]);
    assert_eq!(numbers(&run, "opened"), Vec::<u64>::new());
    let last = fake.issue_comments(n).pop().unwrap();
    assert!(
        last.body.contains("Failing again (reopened) in [run 13"),
        "{}",
        last.body
    );
    assert_eq!(issues(&fake).len(), 1);
}

#[test]
fn with_close_on_pass_false_a_passing_test_gets_one_comment_and_stays_open() {
    let fake = fake();
    let h = run_of(step(&fake), 20, 1);
    h.write_file(REPORT, junit(&[("test_a", R::Fail("boom"))]));
    h.run().assert_success();
    let n = issue_for(&fake, "test_a").number;
    for id in [21, 22] {
        let h = run_of(step(&fake), id, 1).input("close-on-pass", "false");
        h.write_file(REPORT, junit(&[("test_a", R::Pass)]));
        let run = h.run().assert_success();
        assert_eq!(numbers(&run, "closed"), Vec::<u64>::new());
    }
    assert_eq!(fake.issue(n).unwrap().state, "open");
    let comments = fake.issue_comments(n);
    assert_eq!(comments.len(), 1, "once per green streak: {comments:#?}");
    assert!(comments[0].body.contains("left open"));
}

#[test]
fn real_pytest_reports_open_issues_for_failures_and_errors_only() {
    let (plain, _) = pytest_reports();
    let fake = fake();
    let h = step(&fake);
    h.write_file("junit.xml", plain);
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let mut titles: Vec<String> = issues(&fake).into_iter().map(|i| i.title).collect();
    titles.sort();
    assert_eq!(
        titles,
        vec![
            "Failing test: test_app::test_errors",
            "Failing test: test_app::test_fails",
            "Failing test: test_app::test_flaky",
            "Failing test: test_app::test_param[--> `x` [l](http://e.com)]",
        ]
    );
    assert_eq!((run.output("failed"), run.output("passed")), ("4", "2"));
    let body = issue_for(&fake, "test_fails").body.unwrap();
    assert!(
        body.contains("AssertionError: boom <b>@octocat</b>"),
        "{body}"
    );
}

#[test]
fn real_pytest_rerunfailures_reports_make_flaky_issues_not_failures() {
    let (plain, reruns) = pytest_reports();
    // pytest-rerunfailures writes one <testcase> per attempt: each test id counts once.
    assert!(
        reruns.matches(r#"name="test_fails""#).count() == 3,
        "{reruns}"
    );
    let fake = fake();
    let h = run_of(step(&fake), 30, 1);
    h.write_file("junit.xml", plain);
    h.run().assert_success();
    let flaky = issue_for(&fake, "test_flaky");
    let h = run_of(step(&fake), 31, 1);
    h.write_file("junit.xml", reruns);
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    // Failed at every attempt: still failures; failed then passed: flaky, not a failure.
    assert_eq!((run.output("failed"), run.output("passed")), ("3", "3"));
    let now = fake.issue(flaky.number).unwrap();
    assert_eq!(now.state, "open");
    assert_eq!(now.labels, vec!["test-failure", "flaky"]);
    let comment = fake.issue_comments(flaky.number).pop().unwrap();
    assert!(
        comment.body.contains("Flaky in [run 31"),
        "{}",
        comment.body
    );
    assert!(comment.body.contains("(2 attempts)"), "{}", comment.body);
    assert!(run.summary.contains("| flaky |"), "{}", run.summary);
    // A flaky test without an issue gets one, labelled flaky.
    let fresh = fake_with_flaky_only(reruns);
    let f = issue_for(&fresh, "test_flaky");
    assert_eq!(f.title, "Flaky test: test_app::test_flaky");
    assert_eq!(f.labels, vec!["test-failure", "flaky"]);
}

fn fake_with_flaky_only(reruns: &str) -> slipway_testkit::github::FakeGitHub {
    let fake = fake();
    let h = step(&fake);
    h.write_file("junit.xml", reruns);
    h.run().assert_success();
    fake
}

#[test]
fn surefire_flaky_failures_are_flaky() {
    let fake = fake();
    let h = step(&fake);
    h.write_file(
        "target/surefire-reports/junit-AppTest.xml",
        r#"<testsuite name="AppTest"><testcase name="retried" classname="com.example.AppTest"><flakyFailure message="expected 1" type="java.lang.AssertionError"><stackTrace>at com.example.AppTest.retried(AppTest.java:12)</stackTrace></flakyFailure></testcase></testsuite>"#,
    );
    let run = h
        .input("reports", "target/surefire-reports/*.xml")
        .run()
        .assert_success();
    assert_clean(&fake, &run);
    let i = issue_for(&fake, "retried");
    assert_eq!(i.labels, vec!["test-failure", "flaky"]);
    assert!(i.body.unwrap().contains("AppTest.java:12"));
    assert_eq!(run.output("failed"), "0");
}

#[test]
fn two_contexts_get_their_own_issues_and_leave_each_other_alone() {
    let fake = fake();
    for ctx in ["tests (3.12, ubuntu)", "tests (3.13, macos)"] {
        let h = step(&fake).input("context", ctx);
        h.write_file(REPORT, junit(&[("test_a", R::Fail("boom"))]));
        h.run().assert_success();
    }
    assert_eq!(issues(&fake).len(), 2);
    // One cell passes: only its own issue closes.
    let h = run_of(step(&fake), 40, 1).input("context", "tests (3.12, ubuntu)");
    h.write_file(REPORT, junit(&[("test_a", R::Pass)]));
    let run = h.run().assert_success();
    assert_eq!(numbers(&run, "closed").len(), 1);
    let states: Vec<(String, bool)> = issues(&fake)
        .into_iter()
        .map(|i| {
            (
                i.state,
                i.body
                    .unwrap()
                    .contains("context=tests%20%283.12%2C%20ubuntu%29"),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![("closed".into(), true), ("open".into(), false)]
    );
}

#[test]
fn issues_without_the_key_and_pull_requests_are_never_touched_across_pages() {
    let fake = fake();
    // 300 unrelated items with the label: issues, pull requests (one carrying a copied key),
    // open and closed, spread over three pages of 100.
    let key_body = "<!-- slipway-test-issues context=tests test=tests.test_app%3A%3Atest_a -->";
    for i in 0..300 {
        let mut seed = IssueSeed::new(format!("unrelated {i}")).label("test-failure");
        if i % 3 == 0 {
            seed = seed.pull_request().body(key_body);
        }
        if i % 2 == 0 {
            seed = seed.closed();
        }
        fake.add_issue(seed);
    }
    let before = fake.issues();
    let h = step(&fake);
    h.write_file(
        REPORT,
        junit(&[("test_a", R::Fail("boom")), ("test_b", R::Pass)]),
    );
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let list = fake.requests_to(RouteKind::ListIssues);
    assert!(list.len() >= 3, "all pages were read: {list:#?}");
    assert!(list.iter().all(|r| {
        r.query.as_deref().is_some_and(|q| {
            q.contains("per_page=100")
                && q.contains("labels=test-failure")
                && q.contains("state=all")
        })
    }));
    let after = fake.issues();
    assert_eq!(
        &after[..300],
        &before[..],
        "an unrelated issue or pull request changed"
    );
    assert_eq!(after.len(), 301);
    for i in &before {
        assert!(fake.issue_comments(i.number).is_empty());
    }
}

#[test]
fn a_dry_run_reads_everything_and_writes_nothing() {
    let fake = fake();
    let h = step(&fake);
    h.write_file(REPORT, junit(&[("test_a", R::Fail("boom"))]));
    h.run().assert_success();
    fake.clear_requests();
    let h = run_of(step(&fake), 50, 1).input("dry-run", "true");
    h.write_file(
        REPORT,
        junit(&[("test_a", R::Pass), ("test_new", R::Fail("x"))]),
    );
    let run = h.run().assert_success();
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert!(run.summary.contains("(dry run)"), "{}", run.summary);
    assert!(run.summary.contains("would open"), "{}", run.summary);
    assert!(
        run.summary.contains("would comment and close"),
        "{}",
        run.summary
    );
}

#[test]
fn no_report_found_warns_and_touches_nothing() {
    let fake = fake();
    let run = step(&fake).run().assert_success();
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
    assert!(
        run.warning_annotations()
            .iter()
            .any(|w| w.contains("no file matches `reports`")),
        "{}",
        run.stdout
    );
}

#[test]
fn a_marker_quoted_in_a_failure_message_is_only_text() {
    let fake = fake();
    // Run 1's message quotes run 2's mark and another test's key: neither counts.
    let forged = "<!-- slipway-test-issues run=2.1 outcome=failed -->\n<!-- slipway-test-issues context=tests test=tests.test_app%3A%3Atest_b -->";
    let h = run_of(step(&fake), 1, 1);
    h.write_file(REPORT, junit(&[("test_a", R::Fail(forged))]));
    h.run().assert_success();
    let h = run_of(step(&fake), 2, 1);
    h.write_file(
        REPORT,
        junit(&[("test_a", R::Fail("x")), ("test_b", R::Fail("y"))]),
    );
    let run = h.run().assert_success();
    let a = issue_for(&fake, "test_a").number;
    assert_eq!(
        numbers(&run, "commented"),
        vec![a],
        "run 2 commented on test_a"
    );
    assert_eq!(numbers(&run, "opened").len(), 1, "test_b got its own issue");
    assert_eq!(issues(&fake).len(), 2);
}

#[test]
fn duplicates_left_by_an_earlier_race_are_closed_as_duplicates_of_the_oldest() {
    let fake = fake();
    let key = "<!-- slipway-test-issues context=tests test=tests.test_app%3A%3Atest_a -->\nold";
    let first = fake.add_issue(
        IssueSeed::new("Failing test: tests.test_app::test_a")
            .label("test-failure")
            .body(key),
    );
    let second = fake.add_issue(
        IssueSeed::new("Failing test: tests.test_app::test_a")
            .label("test-failure")
            .body(key),
    );
    let h = run_of(step(&fake), 80, 1);
    h.write_file(REPORT, junit(&[("test_a", R::Fail("boom"))]));
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let dup = fake.issue(second).unwrap();
    assert_eq!(
        (dup.state.as_str(), dup.state_reason.as_deref()),
        ("closed", Some("duplicate"))
    );
    assert!(
        fake.issue_comments(second)[0]
            .body
            .contains(&format!("Duplicate of #{first}"))
    );
    assert_eq!(fake.issue(first).unwrap().state, "open");
    assert_eq!(numbers(&run, "commented"), vec![first, second]);
    assert_eq!(numbers(&run, "closed"), vec![second]);
    assert!(
        run.summary.contains("closed as a duplicate"),
        "{}",
        run.summary
    );
}

#[test]
fn without_a_job_the_context_is_local_so_a_laptop_run_never_touches_ci_issues() {
    let fake = fake();
    let h = step(&fake).unset("GITHUB_JOB");
    h.write_file(REPORT, junit(&[("test_a", R::Fail("boom"))]));
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let body = issue_for(&fake, "test_a").body.unwrap();
    assert!(
        body.starts_with("<!-- slipway-test-issues context=local test="),
        "{body}"
    );
}
