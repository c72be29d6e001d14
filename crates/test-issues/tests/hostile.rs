//! Reports that are not JUnit, and hostile servers in front of the fake GitHub: nothing is
//! written to GitHub from a bad report, nothing hangs past its bound, an endless or looping
//! issue list opens nothing, and an error page echoing the token shows none of it.

mod common;

use common::*;
use slipway_testkit::github::FakeGitHub;
use slipway_testkit::harness::Harness;
use slipway_testkit::hostile::{
    self, Behaviour, EchoFormat, HostileServer, Paging, Rule, WITHIN, timed,
};

/// The issues list (paged).
const LIST: &str = "/repos/octo/widgets/issues";
#[test]
fn a_report_that_is_not_xml_or_not_junit_is_named_and_nothing_is_written() {
    let fake = fake();
    for (name, text, expected) in [
        (
            "junit.xml",
            "not xml at all",
            "the test report `junit.xml` is not XML",
        ),
        (
            "junit-coverage.xml",
            r#"<?xml version="1.0"?><coverage line-rate="0.9"><packages/></coverage>"#,
            "the test report `junit-coverage.xml` is XML but not a JUnit report: its root element is `<coverage>`",
        ),
        (
            "junit-cut.xml",
            "<testsuites><testsuite><testcase name='a'>",
            "the test report `junit-cut.xml` is not XML: it ends before its elements are closed",
        ),
    ] {
        let h = step(&fake);
        // A good report beside the bad one: still nothing is written.
        h.write_file("a/junit-good.xml", junit(&[("test_a", R::Fail("boom"))]));
        h.write_file(name, text);
        let run = h.run().assert_failure();
        let errors = run.error_annotations().join("\n");
        assert!(errors.contains(expected), "{errors}");
        assert!(
            errors.contains("hint: `reports` must match JUnit XML files only"),
            "{errors}"
        );
        assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
    }
}

/// A step through `api` (as `api-url`) with short bounds.
fn through(fake: &FakeGitHub, api: &HostileServer) -> Harness {
    let h = step(fake).input("api-url", api.url()).short_bounds();
    h.write_file(
        "junit.xml",
        junit(&[("test_a", R::Fail("boom")), ("test_b", R::Pass)]),
    );
    h
}

fn writes_seen(api: &HostileServer) -> Vec<String> {
    api.requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.target))
        .collect()
}

#[test]
fn an_issue_list_that_never_ends_opens_nothing() {
    let fake = fake();
    let api = HostileServer::proxy(fake.api_url());
    let endless = api.add(Rule::exact(LIST, Behaviour::Paging(Paging::Endless)).method("GET"));
    let (run, took) = timed(&through(&fake, &api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    assert!(
        run.stderr.contains("the list goes on past 100 pages") && run.stderr.contains("hint: "),
        "{}",
        run.stderr
    );
    assert_eq!(api.hits(endless), 100);
    assert_eq!(writes_seen(&api), Vec::<String>::new());
    assert!(issues(&fake).is_empty());
}

#[test]
fn an_issue_list_that_links_back_to_its_first_page_opens_nothing() {
    let fake = fake();
    for i in 0..120 {
        fake.add_issue(
            slipway_testkit::github::IssueSeed::new(format!("other {i}")).label("test-failure"),
        );
    }
    let api = HostileServer::proxy(fake.api_url());
    api.add(Rule::exact(LIST, Behaviour::Paging(Paging::LoopTo(1))).method("GET"));
    let run = through(&fake, &api).run().assert_failure();
    assert!(
        run.stderr.contains("leads back to a page already read"),
        "{}",
        run.stderr
    );
    assert_eq!(writes_seen(&api), Vec::<String>::new());
}

#[test]
fn a_black_holed_api_ends_within_the_bounds_naming_the_silent_peer_rule() {
    let fake = fake();
    hostile::assert_black_hole_ends_in_time(|api| through(&fake, api));
}

#[test]
fn a_dripping_api_ends_within_the_bounds_naming_the_low_speed_rule() {
    let fake = fake();
    hostile::assert_drip_ends_in_time(|api| through(&fake, api));
}

#[test]
fn a_token_echoed_by_an_error_page_never_shows() {
    let token = r#"ghs_Qu"ote\Back\\slash0123456789"#;
    for (status, format) in [(403, EchoFormat::Json), (500, EchoFormat::Html)] {
        let fake = hostile::github_with_token(token, REPO);
        let api = hostile::echoing_api(&fake, status, format);
        let run = through(&fake, &api).run().assert_failure();
        assert!(api.saw(token), "the page echoed the token it was sent");
        assert_eq!(
            run.leaks(token),
            Vec::<String>::new(),
            "{status} {format:?}:\n{}",
            run.all_text()
        );
    }
}
