//! Every input rejection of nightly, enumerated: each names the input and a short excerpt of
//! the value, says what is wrong, ends with a `hint:`, and happens before any request reaches
//! GitHub. Every message, in full, is in `snapshots/input_hints__rejections.snap`.

mod common;

use common::*;
use slipway_testkit::snapshot::Sections;

#[test]
fn every_bad_value_of_every_input_is_refused_with_a_hint() {
    let huge = "x".repeat(100_000);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("version", "")], "input `version` is required"),
        (
            &[("version", "one.two")],
            "input `version` has an invalid value `one.two`",
        ),
        (
            &[("version", "1.2.4.dev1+g1234abc")],
            "it has a local part (`+…`)",
        ),
        (
            &[("version", &huge)],
            "input `version` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag-template", "nightly-{major}")],
            "must contain `{version}`",
        ),
        (
            &[("tag-template", "{version}")],
            "the channel needs a prefix before `{version}`",
        ),
        (
            &[("tag-template", "nightly {version}")],
            "which is not a valid git tag name: it contains a space",
        ),
        (
            &[("keep-builds", "-1")],
            "input `keep-builds` has an invalid value `-1`: expected a whole number, 0 or more",
        ),
        (
            &[("keep-builds", "many")],
            "input `keep-builds` has an invalid value `many`",
        ),
        (
            &[("keep-days", "1.5")],
            "input `keep-days` has an invalid value `1.5`",
        ),
        (
            &[("files", "")],
            "input `files` has an invalid value ``: no pattern given",
        ),
        (
            &[("checksums", "...")],
            "input `checksums` has an invalid value `...`: it is not a usable asset name",
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
