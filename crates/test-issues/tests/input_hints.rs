//! Every input rejection of test-issues, enumerated: each names the input and a short excerpt
//! of the value, says what is wrong, ends with a `hint:`, and happens before any request
//! reaches GitHub. Every message, in full, is in `snapshots/input_hints__rejections.snap`.

mod common;

use common::*;
use slipway_testkit::snapshot::Sections;

#[test]
fn every_bad_value_of_every_input_is_refused_with_a_hint() {
    let huge = "x".repeat(100_000);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("reports", "")],
            "input `reports` has an invalid value ``: no pattern given",
        ),
        (
            &[("reports", "[junit.xml")],
            "input `reports` has an invalid value `[junit.xml`",
        ),
        (
            &[("context", &huge)],
            "input `context` has an invalid value `xxxxxxxx",
        ),
        (
            &[("label", "a,b")],
            "input `label` has an invalid value `a,b`: a label cannot contain `,`",
        ),
        (&[("label", &huge)], "a label has at most 50 characters"),
        (
            &[("flaky-label", "test-failure")],
            "input `flaky-label` has an invalid value `test-failure`: it is the same as `label`",
        ),
        (
            &[("close-on-pass", "maybe")],
            "input `close-on-pass` must be a boolean",
        ),
        (
            &[("max-issues", "0")],
            "input `max-issues` has an invalid value `0`: expected a whole number, 1 or more",
        ),
        (
            &[("max-issues", "ten")],
            "input `max-issues` has an invalid value `ten`",
        ),
        (&[("dry-run", "yes")], "input `dry-run` must be a boolean"),
        (
            &[("repository", "not a repo")],
            "input `repository` has an invalid value `not a repo`",
        ),
        (
            &[("api-url", "ftp://example.com")],
            "input `api-url` has an invalid value `ftp://example.com`",
        ),
    ];
    let fake = fake();
    let mut rejections = Sections::default();
    for (inputs, expected) in cases {
        let case = format!(
            "{:?}",
            inputs
                .iter()
                .map(|(n, v)| (n, &v[..v.len().min(20)]))
                .collect::<Vec<_>>()
        );
        let mut h = step(&fake);
        h.write_file("junit.xml", junit(&[("test_a", R::Fail("boom"))]));
        for (name, value) in *inputs {
            h = h.input(name, *value);
        }
        let run = h.run();
        run.assert_rejected(&case, expected);
        assert!(fake.requests().is_empty(), "{case}: {:#?}", fake.requests());
        rejections.add(&case, &run.error_annotations().join("\n"));
    }
    insta::assert_snapshot!("rejections", rejections.text());
}
