//! Bad inputs and bad files: each a clear error naming the value, with a hint, before any
//! write request reaches GitHub.

mod common;

use common::*;
use slipway_testkit::github::FakeGitHub;
use slipway_testkit::harness::{Harness, RunResult};

/// Runs `h` expecting a failure; returns the error annotation text, checking that nothing was
/// written to GitHub and the token did not leak.
fn refused(fake: &FakeGitHub, h: Harness) -> String {
    let run = h.run().assert_failure();
    assert!(writes(fake).is_empty(), "{:#?}", writes(fake));
    assert!(!run.all_text().contains(&fake.token()));
    let err = run.error_annotations().join("\n");
    assert!(err.contains("\nhint: "), "no hint in: {err}");
    err
}

fn assert_says(err: &str, expected: &str) {
    assert!(err.contains(expected), "expected `{expected}` in:\n{err}");
}

#[test]
fn missing_version() {
    let fake = fake();
    let h = step(&fake).input("version", "");
    write_dists(&h, 1);
    assert_says(&refused(&fake, h), "input `version` is required");
}

#[test]
fn invalid_version() {
    let fake = fake();
    let h = step(&fake).input("version", "one.two");
    write_dists(&h, 1);
    assert_says(
        &refused(&fake, h),
        "input `version` has an invalid value `one.two`",
    );
}

#[test]
fn tag_template_without_version() {
    let fake = fake();
    let h = step(&fake).input("tag-template", "release-{major}");
    write_dists(&h, 1);
    let err = refused(&fake, h);
    assert_says(
        &err,
        "input `tag-template` has an invalid value `release-{major}`",
    );
    assert_says(&err, "must contain `{version}`");
}

#[test]
fn a_glob_matching_nothing_fails_by_default() {
    let fake = fake();
    let h = step(&fake).input("files", "dist/*.whl\nwheelhouse/*.whl");
    write_dists(&h, 1);
    let err = refused(&fake, h);
    assert_says(&err, "`files` pattern `wheelhouse/*.whl` matches no file");
    assert_says(&err, "`fail-on-unmatched-files: false`");
    assert!(fake.requests().is_empty(), "checked before any request");
}

#[test]
fn a_glob_matching_nothing_warns_with_fail_on_unmatched_files_false() {
    let fake = fake();
    let h = step(&fake)
        .input("files", "dist/*\nwheelhouse/*.whl")
        .input("fail-on-unmatched-files", "false");
    write_dists(&h, 1);
    let run: RunResult = h.run().assert_success();
    assert!(
        run.warning_annotations()
            .iter()
            .any(|w| w.contains("`files` pattern `wheelhouse/*.whl` matches no file")),
        "{:?}",
        run.warning_annotations()
    );
    assert_release_matches_dist(&fake, &h, only_draft(&fake).id);
}

#[test]
fn no_file_at_all_is_refused_even_without_fail_on_unmatched_files() {
    let fake = fake();
    let h = step(&fake).input("fail-on-unmatched-files", "false");
    assert_says(&refused(&fake, h), "no file matches `files` (`dist/*`)");
}

#[test]
fn a_directory_in_files() {
    let fake = fake();
    let h = step(&fake).input("files", "dist/*");
    write_dists(&h, 1);
    h.write_file("dist/wheels/extra.whl", "x");
    assert_says(
        &refused(&fake, h),
        "`dist/wheels` (matched by `files` pattern `dist/*`) is a directory, not a file",
    );
}

#[test]
fn body_path_missing() {
    let fake = fake();
    let h = step(&fake).input("body-path", "CHANGES.md");
    write_dists(&h, 1);
    let err = refused(&fake, h);
    assert_says(
        &err,
        "input `body-path` has an invalid value `CHANGES.md`: cannot read it",
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn body_and_body_path_together() {
    let fake = fake();
    let h = step(&fake)
        .input("body", "x")
        .input("body-path", "CHANGES.md");
    h.write_file("CHANGES.md", "y");
    write_dists(&h, 1);
    assert_says(&refused(&fake, h), "both `body` and `body-path` are set");
}

#[test]
fn a_bad_prerelease_or_make_latest_value() {
    let fake = fake();
    let h = step(&fake).input("prerelease", "maybe");
    write_dists(&h, 1);
    assert_says(
        &refused(&fake, h),
        "input `prerelease` has an invalid value `maybe`: expected `auto`, `true` or `false`",
    );
    let h = step(&fake).input("make-latest", "yes");
    write_dists(&h, 1);
    let run = h.run().assert_failure();
    assert!(
        run.error_annotations()
            .join("\n")
            .contains("input `make-latest` has an invalid value `yes`"),
        "{:?}",
        run.error_annotations()
    );
}

#[test]
fn a_file_over_2_gib_is_refused_before_any_upload() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    let big = h.write_file("dist/huge.bin", b"");
    let f = std::fs::OpenOptions::new().write(true).open(&big).unwrap();
    f.set_len(2 * 1024 * 1024 * 1024 + 1).unwrap();
    let err = refused(&fake, h);
    assert_says(&err, "`dist/huge.bin` is 2.0 GiB (2147483649 bytes)");
    assert_says(&err, "must be smaller than 2 GiB");
    assert!(fake.requests().is_empty());
}

#[test]
fn two_files_that_github_would_name_alike_are_refused() {
    let fake = fake();
    let h = step(&fake).input("files", "dist/*\nother/*");
    write_dists(&h, 1);
    h.write_file("dist/notes (1).txt", "a");
    h.write_file("other/notes..1..txt", "b");
    let err = refused(&fake, h);
    assert_says(
        &err,
        "`dist/notes (1).txt` and `other/notes..1..txt` would both become the asset `notes..1..txt`",
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn a_file_named_like_the_manifest_is_refused() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    h.write_file("dist/SHA256SUMS", "stale");
    assert_says(
        &refused(&fake, h),
        "`dist/SHA256SUMS` would become the asset `SHA256SUMS`, the name of the checksums manifest",
    );
}

#[test]
fn an_unreadable_file_is_refused() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    std::os::unix::fs::symlink("../build/gone.whl", h.workspace().join("dist/broken.whl")).unwrap();
    let err = refused(&fake, h);
    assert_says(&err, "cannot read `dist/broken.whl`");
    assert!(fake.requests().is_empty());
}

#[test]
fn the_same_file_matched_twice_is_attached_once_and_checksums_can_be_off() {
    let fake = fake();
    let h = step(&fake)
        .input("files", format!("dist/*, dist/{WHEEL}"))
        .input("checksums", "");
    write_dists(&h, 1);
    let run = h.run().assert_success();
    let names: Vec<String> = assets_by_name(&fake, only_draft(&fake).id)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, [WHEEL, SDIST]);
    assert_eq!(run.output_json("assets").as_array().unwrap().len(), 2);
}

#[test]
fn a_bad_repository_or_token_names_the_value_without_showing_the_token() {
    let fake = fake();
    let h = step(&fake).input("repository", "not a repo");
    write_dists(&h, 1);
    assert_says(
        &refused(&fake, h),
        "input `repository` has an invalid value `not a repo`",
    );
    let h = step(&fake).input("token", "ghs_WrongTokenValue123456789");
    write_dists(&h, 1);
    let run = h.run().assert_failure();
    assert!(!run.all_text().contains("ghs_WrongTokenValue123456789"));
    assert!(
        run.error_annotations()
            .join("\n")
            .contains("the token was rejected"),
        "{:?}",
        run.error_annotations()
    );
}
