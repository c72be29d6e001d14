//! What test-issues shows its user, snapshotted (`snapshots/`): the step summary of a run
//! that opens, comments, reopens, labels flaky and closes, and of a flood past `max-issues`;
//! and the body of an issue it opens. Ports, paths, timings and dates are filtered by
//! `slipway_testkit::snapshot`.

mod common;

use common::*;

#[test]
fn a_run_that_opens_comments_reopens_labels_and_closes() {
    let fake = fake();
    let h = run_of(step(&fake), 500, 1);
    h.write_file(
        "junit.xml",
        junit(&[
            ("test_open", R::Fail("still broken")),
            ("test_closed", R::Fail("broken")),
            ("test_fixed", R::Fail("broken")),
            ("test_flaky", R::Fail("broken")),
        ]),
    );
    h.run().assert_success();
    // test_closed's issue is closed by a green run.
    let green = run_of(step(&fake), 501, 1);
    green.write_file("junit.xml", junit(&[("test_closed", R::Pass)]));
    green.run().assert_success();
    let flaky = r#"<testsuite><testcase classname="tests.test_app" name="test_flaky"/><testcase classname="tests.test_app" name="test_flaky"/><testcase classname="tests.test_app" name="test_new"><failure message="AssertionError: `x` @octocat &lt;b&gt;">trace</failure></testcase><testcase classname="tests.test_app" name="test_open"><failure message="still broken"/></testcase><testcase classname="tests.test_app" name="test_closed"><error message="broken again"/></testcase><testcase classname="tests.test_app" name="test_fixed"/></testsuite>"#;
    let h = run_of(step(&fake), 502, 2);
    h.write_file("junit.xml", flaky);
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let body = issue_for(&fake, "test_new").body.unwrap();
    let dry = run_of(step(&fake), 503, 1).input("dry-run", "true");
    dry.write_file(
        "junit.xml",
        junit(&[("test_open", R::Pass), ("test_other", R::Fail("x"))]),
    );
    let dry = dry.run().assert_success();
    let text = slipway_testkit::snapshot::Sections::default()
        .step("run 502 attempt 2", &run.summary, &run.stdout)
        .add("the body of a new issue", &body)
        .step("a dry run", &dry.summary, &dry.stdout)
        .text();
    insta::assert_snapshot!("runs", text);
}

#[test]
fn a_flood_past_max_issues() {
    let fake = fake();
    let names: Vec<String> = (0..12).map(|i| format!("test_{i:02}")).collect();
    let cases: Vec<(&str, R<'_>)> = names
        .iter()
        .map(|n| {
            (
                n.as_str(),
                R::Fail("ImportError: no module named `widgets`"),
            )
        })
        .collect();
    let h = run_of(step(&fake), 600, 1).input("max-issues", "5");
    h.write_file("junit.xml", junit(&cases));
    let run = h.run().assert_success();
    let body = issues(&fake)[0].body.clone().unwrap();
    let text = slipway_testkit::snapshot::Sections::default()
        .step("flood", &run.summary, &run.stdout)
        .add("the summary issue", &body)
        .text();
    insta::assert_snapshot!("flood", text);
}
