//! Every input rejection of draft-release, enumerated: each names the input and a short
//! excerpt of the value, says what is wrong, ends with a `hint:`, stays one short error, and
//! happens before any request reaches GitHub. Tags are checked by the same rules as in
//! version-bump (`slipway_version::validate_tag`). Every message, in full, is in
//! `snapshots/input_hints__rejections.snap`, so a change of wording shows in review.

mod common;

use common::*;
use slipway_testkit::harness::Harness;
use slipway_testkit::snapshot::Sections;

/// A step with the fixture dists in place and `inputs` set.
fn with_inputs(fake: &slipway_testkit::github::FakeGitHub, inputs: &[(&str, &str)]) -> Harness {
    let mut h = step(fake);
    for (name, value) in inputs {
        h = h.input(name, *value);
    }
    write_dists(&h, 1);
    h
}

#[test]
fn every_bad_value_of_every_input_is_refused_with_a_hint() {
    let huge = "x".repeat(100_000);
    let huge_tag = format!("v{}", "1".repeat(100_000));
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("version", "")], "input `version` is required"),
        (
            &[("version", "one.two")],
            "input `version` has an invalid value `one.two`",
        ),
        (
            &[("version", "1.0 2.0")],
            "input `version` has an invalid value `1.0 2.0`",
        ),
        (
            &[("version", &huge)],
            "input `version` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag-template", "release-{major}")],
            "must contain `{version}`",
        ),
        (&[("tag-template", "v{ver}")], "unknown placeholder `{ver}`"),
        (&[("tag-template", "v{version")], "without a matching `}`"),
        (
            &[("tag-template", "v}{version}")],
            "a `}` without a matching `{`",
        ),
        (
            &[("tag-template", "release {version}")],
            "it makes the tag `release 1.2.0`, which is not a valid git tag name: it contains a space",
        ),
        (&[("tag-template", "v{version}.lock")], "ends with `.lock`"),
        (
            &[("tag-template", &huge)],
            "input `tag-template` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag", "v 1.2.0")],
            "input `tag` has an invalid value `v 1.2.0`: `v 1.2.0` is not a valid git tag name: it contains a space",
        ),
        (&[("tag", "v1..2")], "it contains `..`"),
        (&[("tag", "v1:2")], "it contains `:`"),
        (&[("tag", "/v1")], "starts or ends with `/`"),
        (&[("tag", &huge_tag)], "longer than 255 bytes"),
        (
            &[("files", "")],
            "input `files` has an invalid value ``: no pattern given",
        ),
        (
            &[("files", "dist/[")],
            "`files` pattern `dist/[` is not a valid glob",
        ),
        (
            &[("files", "wheelhouse/*.whl")],
            "`files` pattern `wheelhouse/*.whl` matches no file",
        ),
        (&[("files", &huge)], "`files` pattern `xxxxxxxx"),
        (
            &[("fail-on-unmatched-files", "yes")],
            "input `fail-on-unmatched-files` must be a boolean, got `yes`",
        ),
        (
            &[("generate-notes", "1")],
            "input `generate-notes` must be a boolean",
        ),
        (
            &[("overwrite", "on")],
            "input `overwrite` must be a boolean",
        ),
        (
            &[("allow-published", "tRUE")],
            "input `allow-published` must be a boolean",
        ),
        (&[("publish", "no")], "input `publish` must be a boolean"),
        (
            &[("dry-run", &huge)],
            "input `dry-run` must be a boolean, got `xxxxxxxx",
        ),
        (
            &[("prerelease", "maybe")],
            "input `prerelease` has an invalid value `maybe`: expected `auto`, `true` or `false`",
        ),
        (
            &[("make-latest", "yes")],
            "input `make-latest` has an invalid value `yes`",
        ),
        (
            &[("checksums", "...")],
            "input `checksums` has an invalid value `...`: it is not a usable asset name",
        ),
        (
            &[("body-path", "CHANGES.md")],
            "input `body-path` has an invalid value `CHANGES.md`: cannot read it",
        ),
        (
            &[("body", "x"), ("body-path", "notes.md")],
            "both `body` and `body-path` are set",
        ),
        (
            &[("repository", "not a repo")],
            "input `repository` has an invalid value `not a repo`",
        ),
        (
            &[("repository", &huge)],
            "input `repository` has an invalid value `xxxxxxxx",
        ),
        (
            &[("api-url", "ftp://example.com")],
            "input `api-url` has an invalid value `ftp://example.com`",
        ),
        (
            &[("api-url", &huge)],
            "input `api-url` has an invalid value `xxxxxxxx",
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
        let run = with_inputs(&fake, inputs).run();
        run.assert_rejected(&case, expected);
        assert!(fake.requests().is_empty(), "{case}: {:#?}", fake.requests());
        rejections.add(&case, &run.error_annotations().join("\n"));
    }
    insta::assert_snapshot!("rejections", rejections.text());
}

/// Every input is checked before any file is read: a bad `api-url` is what the user hears about,
/// not the `files` pattern that matches nothing (which was globbed first, before the client was
/// built from the validated request).
#[test]
fn a_bad_api_url_is_reported_before_the_files_are_globbed() {
    let fake = fake();
    let run = with_inputs(
        &fake,
        &[
            ("api-url", "ftp://example.com"),
            ("files", "nothing-here/*"),
        ],
    )
    .run();
    run.assert_rejected(
        "api-url before files",
        "input `api-url` has an invalid value `ftp://example.com`",
    );
    assert!(
        !run.stderr.contains("nothing-here"),
        "the files were looked at before the inputs were all checked:\n{}",
        run.stderr
    );
    assert!(fake.requests().is_empty(), "{:#?}", fake.requests());
}

#[test]
fn a_huge_value_is_quoted_as_a_short_excerpt_with_its_size() {
    let fake = fake();
    let run = with_inputs(&fake, &[("version", &"y".repeat(100_000))]).run();
    let err = run.error_annotations().join("\n");
    assert!(err.contains("yyyy…yyyy"), "{err}");
    assert!(err.contains("yyyy (100000 bytes)`"), "{err}");
    assert!(
        run.stdout.len() + run.stderr.len() < 5000,
        "{}",
        run.stdout.len() + run.stderr.len()
    );
}

#[test]
fn a_version_written_like_a_tag_drops_its_v_with_a_notice() {
    let fake = fake();
    let h = step(&fake).input("version", "v1.2.0");
    write_dists(&h, 1);
    let run = h.run().assert_success();
    assert_eq!(run.output("tag"), TAG);
    assert!(
        run.stdout
            .contains("::notice::input `version` is `v1.2.0`: using `1.2.0`"),
        "{}",
        run.stdout
    );
    let draft = only_draft(&fake);
    assert_eq!(draft.tag_name, TAG);
    assert_release_matches_dist(&fake, &h, draft.id);
    assert_clean(&fake, &run);
}

#[test]
fn a_symlink_beside_its_target_is_attached_under_both_names_and_said() {
    let fake = fake();
    let h = step(&fake).input("checksums", "");
    write_dists(&h, 1);
    let alias = "widgets-latest-py3-none-any.whl";
    std::os::unix::fs::symlink(WHEEL, h.workspace().join("dist").join(alias)).unwrap();
    let run = h.run().assert_success();
    let assets = assets_by_name(&fake, only_draft(&fake).id);
    let names: Vec<&str> = assets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, [WHEEL, SDIST, alias]);
    let wheel = std::fs::read(h.workspace().join("dist").join(WHEEL)).unwrap();
    for (name, asset) in &assets {
        if name != SDIST {
            assert!(fake.asset_bytes(asset.id) == wheel, "{name}");
        }
    }
    let notice = format!(
        "::notice::`dist/{WHEEL}` as `{WHEEL}` and `dist/{alias}` as `{alias}` are the same file (through a symlink)"
    );
    assert!(run.stdout.contains(&notice), "{}", run.stdout);
    assert!(run.summary.contains("are the same file"), "{}", run.summary);
    assert_eq!(run.output_json("assets").as_array().unwrap().len(), 3);
    assert_clean(&fake, &run);
}
