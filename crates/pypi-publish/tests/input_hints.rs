//! Every input rejection of pypi-publish's own input parsing, enumerated: each names the input
//! and a short excerpt of the value, says what is wrong, ends with a `hint:`, stays one short
//! error, and comes before anything is read or sent. Every message, in full, is in
//! `snapshots/input_hints__rejections.snap`, so a change of wording shows in review.

mod common;

use common::run;
use slipway_testkit::harness::assert_one_rejection;
use slipway_testkit::snapshot::Sections;

#[test]
fn every_bad_value_of_every_input_is_refused_with_a_hint() {
    let huge = "x".repeat(100_000);
    let huge_url = format!("http://{huge}/legacy/");
    let cases: &[(&str, &str, &str)] = &[
        (
            "repository-url",
            "not a url",
            "input `repository-url` has an invalid value `not a url`",
        ),
        (
            "repository-url",
            "http://pypi.example.org/legacy/",
            "does not use HTTPS",
        ),
        (
            "repository-url",
            &huge,
            "input `repository-url` has an invalid value `xxxxxxxx",
        ),
        (
            "repository-url",
            &huge_url,
            "input `repository-url` has an invalid value `http://xxxx",
        ),
        (
            "index-url",
            "nope",
            "input `index-url` has an invalid value `nope`",
        ),
        (
            "index-url",
            "ftp://index.example.org/simple/",
            "does not use HTTPS",
        ),
        (
            "trusted-publishing",
            "sometimes",
            "input `trusted-publishing` has an invalid value `sometimes`: expected `auto`, `always` or `never`",
        ),
        (
            "trusted-publishing",
            &huge,
            "input `trusted-publishing` has an invalid value `xxxxxxxx",
        ),
        (
            "expected-version",
            "one.two",
            "input `expected-version` has an invalid value `one.two`: it is not a PEP 440 version",
        ),
        (
            "expected-version",
            &huge,
            "input `expected-version` has an invalid value `xxxxxxxx",
        ),
        (
            "skip-existing",
            "yes",
            "input `skip-existing` must be a boolean, got `yes`",
        ),
        (
            "verify-metadata",
            "1",
            "input `verify-metadata` must be a boolean",
        ),
        (
            "attestations",
            "on",
            "input `attestations` has an invalid value `on`: expected `true`, `false` or `always`",
        ),
        (
            "fulcio-url",
            "ftp://fulcio.example.com",
            "input `fulcio-url` has an invalid value `ftp://fulcio.example.com/`",
        ),
        (
            "rekor-url",
            "http://rekor.example.com",
            "input `rekor-url` has an invalid value `http://rekor.example.com/`",
        ),
        (
            "print-hash",
            "maybe",
            "input `print-hash` must be a boolean, got `maybe`",
        ),
        (
            "promote-from",
            "not a url",
            "input `promote-from` has an invalid value `not a url`",
        ),
        (
            "promote-from",
            "http://staging.example.com/simple/",
            "does not use HTTPS",
        ),
        (
            "promote-from",
            "https://test.pypi.org/legacy/",
            "input `promote-from` has an invalid value `https://test.pypi.org/legacy/`: it is an upload URL",
        ),
        (
            "promote-from",
            "https://pypi.org/simple",
            "input `promote-from` has an invalid value `https://pypi.org/simple`: it is the index this step publishes to",
        ),
        (
            "verify-uploaded",
            "sometimes",
            "input `verify-uploaded` has an invalid value `sometimes`: expected `auto`, `true` or `false`",
        ),
        (
            "require-protected-environment",
            "yes please",
            "input `require-protected-environment` must be a boolean, got `yes please`",
        ),
        (
            "dry-run",
            &huge,
            "input `dry-run` must be a boolean, got `xxxxxxxx",
        ),
    ];
    let mut rejections = Sections::default();
    for (name, value, expected) in cases {
        let case = format!("{name}={}", &value[..value.len().min(20)]);
        let out = run(&[(name, value)], &[]);
        assert_eq!(out.code, 1, "{case}: {}", out.all_text());
        let errors = out.errors();
        assert_one_rejection(&case, &errors, &out.stdout, &out.stderr, expected);
        // Refused while reading the inputs: before looking for dists (there are none here).
        assert!(
            !out.stderr.contains("does not exist"),
            "{case}: {}",
            out.stderr
        );
        rejections.add(&case, &errors.join("\n"));
    }
    insta::assert_snapshot!("rejections", rejections.text());
}

/// Rejections that need two inputs, or an environment variable, to arise.
#[test]
fn promotion_and_read_back_settings_that_cannot_work_are_refused() {
    type Pairs<'a> = &'a [(&'a str, &'a str)];
    let cases: &[(Pairs<'_>, Pairs<'_>, &str)] = &[
        (
            &[
                ("repository-url", "http://127.0.0.1:9/"),
                ("verify-uploaded", "true"),
            ],
            &[],
            "input `verify-uploaded` has an invalid value `true`: there is no simple index to read the files back from",
        ),
        (
            &[
                ("repository-url", "http://127.0.0.1:9/legacy/"),
                ("index-url", "http://127.0.0.1:9/simple/"),
                ("promote-from", "http://127.0.0.1:9/simple/"),
            ],
            &[],
            "it is the index this step publishes to",
        ),
        (
            &[],
            &[("SLIPWAY_VERIFY_WAIT", "soon")],
            "`SLIPWAY_VERIFY_WAIT` is `soon`, not a number of seconds",
        ),
    ];
    let mut rejections = Sections::default();
    for (inputs, env, expected) in cases {
        let case = expected[..expected.len().min(40)].to_string();
        let out = run(inputs, env);
        assert_eq!(out.code, 1, "{case}: {}", out.all_text());
        let errors = out.errors();
        assert_one_rejection(&case, &errors, &out.stdout, &out.stderr, expected);
        assert!(
            !out.stderr.contains("does not exist"),
            "{case}: {}",
            out.stderr
        );
        rejections.add(&case, &errors.join("\n"));
    }
    insta::assert_snapshot!("promotion_rejections", rejections.text());
}

#[test]
fn an_expected_version_written_like_a_tag_is_accepted() {
    // Past the inputs, the run stops at the missing packages directory: `v1.2.3` was accepted.
    let out = run(&[("expected-version", "v1.2.3")], &[]);
    assert_eq!(out.code, 1, "{}", out.all_text());
    assert!(
        out.stderr.contains("the packages directory") && out.stderr.contains("does not exist"),
        "{}",
        out.stderr
    );
}
