//! The report formats met in practice, each read into one outcome per test.

use std::path::{Path, PathBuf};

use slipway_junit::{CaseResult, FailureKind, JunitError, Outcome, Report, parse};

fn report(xml: &str) -> Report {
    Report::from_cases(parse(Path::new("junit.xml"), xml.as_bytes()).unwrap())
}

fn outcome<'a>(r: &'a Report, id: &str) -> &'a Outcome {
    &r.tests
        .iter()
        .find(|t| t.id.to_string() == id)
        .unwrap_or_else(|| panic!("no `{id}` in {r:#?}"))
        .outcome
}

fn error(xml: &[u8]) -> String {
    parse(Path::new("reports/junit.xml"), xml)
        .map(|c| format!("parsed: {c:?}"))
        .unwrap_or_else(|e| e.to_string())
}

#[test]
fn pytest_rerunfailures_counts_each_test_once_and_the_last_attempt_decides() {
    // As pytest-rerunfailures writes it: earlier attempts are empty elements.
    let r = report(
        r#"<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite name="pytest">
<testcase classname="t" name="ok" time="0.1"/>
<testcase classname="t" name="fails" time="0.1"/><testcase classname="t" name="fails"/>
<testcase classname="t" name="fails"><failure message="boom">trace</failure></testcase>
<testcase classname="t" name="flaky"/><testcase classname="t" name="flaky"/>
</testsuite></testsuites>"#,
    );
    assert_eq!(r.tests.len(), 3);
    assert_eq!(outcome(&r, "t::ok"), &Outcome::Passed);
    let Outcome::Failed(f) = outcome(&r, "t::fails") else {
        panic!()
    };
    assert_eq!((f.message.as_str(), f.details.as_str()), ("boom", "trace"));
    assert_eq!(r.tests[1].attempts, 3);
    assert_eq!(outcome(&r, "t::flaky"), &Outcome::Flaky(vec![]));
    let c = r.counts();
    assert_eq!((c.passed, c.failed, c.flaky, c.skipped), (1, 1, 1, 0));
}

#[test]
fn surefire_flaky_and_rerun_failures() {
    let r = report(
        r#"<testsuite name="com.example.AppTest" tests="3">
  <testcase name="passesOnRetry" classname="com.example.AppTest" time="0.01">
    <flakyFailure message="expected 1" type="java.lang.AssertionError">
      <stackTrace>java.lang.AssertionError: expected 1
	at com.example.AppTest.passesOnRetry(AppTest.java:12)</stackTrace>
      <system-out>noise</system-out>
    </flakyFailure>
  </testcase>
  <testcase name="alwaysFails" classname="com.example.AppTest">
    <failure message="first" type="java.lang.AssertionError">trace 1</failure>
    <rerunFailure message="second" type="java.lang.AssertionError"><stackTrace>trace 2</stackTrace></rerunFailure>
  </testcase>
  <testcase name="skipped" classname="com.example.AppTest"><skipped message="later"/></testcase>
  <testcase name="broken" classname="com.example.AppTest"><error message="NPE" type="java.lang.NullPointerException"/></testcase>
</testsuite>"#,
    );
    let Outcome::Flaky(f) = outcome(&r, "com.example.AppTest::passesOnRetry") else {
        panic!()
    };
    assert_eq!(f.len(), 1);
    assert!(f[0].details.contains("AppTest.java:12"), "{:?}", f[0]);
    assert!(!f[0].details.contains("noise"));
    assert_eq!(r.tests[0].attempts, 2);
    let Outcome::Failed(f) = outcome(&r, "com.example.AppTest::alwaysFails") else {
        panic!()
    };
    assert_eq!(f.message, "first");
    assert_eq!(r.tests[1].attempts, 2);
    assert_eq!(
        outcome(&r, "com.example.AppTest::skipped"),
        &Outcome::Skipped
    );
    let Outcome::Failed(f) = outcome(&r, "com.example.AppTest::broken") else {
        panic!()
    };
    assert_eq!(
        (f.kind, f.error_type.as_deref()),
        (FailureKind::Error, Some("java.lang.NullPointerException"))
    );
}

#[test]
fn nextest_and_jest_and_nested_suites() {
    // cargo-nextest: one testsuite per binary, flaky retries as flakyFailure.
    let r = report(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="2" failures="1" errors="0">
  <testsuite name="widgets::api" tests="2">
    <testcase name="tests::retried" classname="widgets::api">
      <flakyFailure type="test failure" message="thread panicked">panicked at src/lib.rs:3</flakyFailure>
    </testcase>
    <testcase name="tests::broken" classname="widgets::api">
      <failure type="test failure"><![CDATA[thread 'tests::broken' panicked at <src/lib.rs>:9]]></failure>
    </testcase>
    <testsuite name="nested"><testcase name="deep" classname="n"/></testsuite>
  </testsuite>
</testsuites>"#,
    );
    assert!(
        matches!(outcome(&r, "widgets::api::tests::retried"), Outcome::Flaky(f) if f.len() == 1)
    );
    let Outcome::Failed(f) = outcome(&r, "widgets::api::tests::broken") else {
        panic!()
    };
    assert!(f.details.contains("<src/lib.rs>:9"));
    assert_eq!(outcome(&r, "n::deep"), &Outcome::Passed);
    // jest-junit: classname is the describe + test title, no `time` on suites sometimes.
    let r = report(
        r#"<testsuites name="jest tests"><testsuite name="sum" tests="1"><testcase classname="sum adds &amp; carries" name="sum adds &amp; carries" time="0.002"><failure>Error: expect(received).toBe(expected) &#x2192; 3</failure></testcase></testsuite></testsuites>"#,
    );
    let Outcome::Failed(f) = outcome(&r, "sum adds & carries::sum adds & carries") else {
        panic!()
    };
    assert!(f.details.ends_with("→ 3"), "{f:?}");
}

#[test]
fn a_case_element_is_kept_as_written() {
    let cases = parse(
        Path::new("a.xml"),
        &br#"<testsuite><testcase name="x"><error message="m"/><system-out>o</system-out></testcase></testsuite>"#[..],
    )
    .unwrap();
    assert_eq!(cases[0].id.to_string(), "x");
    assert!(
        matches!(&cases[0].result, CaseResult::Failed { failure, .. } if failure.message == "m")
    );
    assert_eq!(cases[0].file, PathBuf::from("a.xml"));
}

#[test]
fn files_that_are_not_junit_reports_are_refused_naming_the_file() {
    for (xml, expected) in [
        (
            &b""[..],
            "`reports/junit.xml` is not XML: it has no root element",
        ),
        (
            b"hello world",
            "is not XML: text outside any element, starting `hello world`",
        ),
        (b"{\"tests\": []}", "is not XML: text outside any element"),
        (b"<testsuite><testcase name='a'></testsuite>", "is not XML"),
        (
            b"<testsuite><testcase name='a'/>",
            "is not XML: it ends before its elements are closed",
        ),
        (
            b"<html><body>hi</body></html>",
            "is XML but not a JUnit report: its root element is `<html>`",
        ),
        (
            b"<testsuite><testcase classname='a'/></testsuite>",
            "a `<testcase>` has no `name` attribute",
        ),
        (
            b"<testsuite><testcase name='&bogus;'/></testsuite>",
            "is not XML",
        ),
        (b"<testsuite/><testsuite/>", "a second root element"),
    ] {
        let text = error(xml);
        assert!(text.contains(expected), "{text}");
        assert!(
            text.contains("\nhint: `reports` must match JUnit XML files"),
            "{text}"
        );
    }
    let missing = Report::read_files(&[PathBuf::from("/nonexistent/junit.xml")]).unwrap_err();
    assert!(matches!(missing, JunitError::Io { .. }));
    assert_eq!(missing.path(), Path::new("/nonexistent/junit.xml"));
}

#[test]
fn huge_texts_are_cut() {
    let big = "x".repeat(slipway_junit::TEXT_CAP * 2);
    let r = report(&format!(
        "<testsuite><testcase name='a'><failure>{big}</failure></testcase></testsuite>"
    ));
    let Outcome::Failed(f) = outcome(&r, "a") else {
        panic!()
    };
    assert_eq!(f.details.len(), slipway_junit::TEXT_CAP);
}

#[test]
fn a_byte_order_mark_and_a_doctype_are_fine() {
    let mut xml = b"\xEF\xBB\xBF".to_vec();
    xml.extend_from_slice(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE x>\n<!-- written by a tool -->\n<testsuite><testcase name=\"a\"/></testsuite>\n",
    );
    let cases = parse(Path::new("junit.xml"), &xml[..]).unwrap();
    assert_eq!(cases.len(), 1);
}
