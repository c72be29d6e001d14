//! Inputs of fetch-assets: every rejection enumerated (the value, what is wrong, a `hint:`,
//! one short error, no request), an empty `max-parallel` taking its default, a `dir` that
//! would lead outside the workspace, and asset names as long as a file name may be. Every
//! rejection's message, in full, is in `snapshots/input_hints__rejections.snap`, so a change of
//! wording shows in review.

mod common;

use common::{assert_clean, bytes_for, entries, step, sums};
use slipway_testkit::github::{FakeGitHub, ReleaseSeed};
use slipway_testkit::harness::Harness;
use slipway_testkit::snapshot::Sections;

fn with_inputs(fake: &FakeGitHub, inputs: &[(&str, &str)]) -> Harness {
    let mut h = step(fake);
    for (name, value) in inputs {
        h = h.input(name, *value);
    }
    h
}

#[test]
fn every_bad_value_of_every_input_is_refused_with_a_hint() {
    let huge = "x".repeat(100_000);
    let max_parallel = "input `max-parallel` has an invalid value";
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("tag", "v 1.0")],
            "input `tag` has an invalid value `v 1.0`: `v 1.0` is not a valid git tag name: it contains a space",
        ),
        (&[("tag", "v1..0")], "it contains `..`"),
        (
            &[("tag", &huge)],
            "input `tag` has an invalid value `xxxxxxxx",
        ),
        (
            &[("release-id", "abc")],
            "input `release-id` has an invalid value `abc`: expected a release's numeric id",
        ),
        (
            &[("release-id", "0")],
            "input `release-id` has an invalid value `0`",
        ),
        (
            &[("release-id", "-5")],
            "input `release-id` has an invalid value `-5`",
        ),
        (
            &[("release-id", "1.5")],
            "input `release-id` has an invalid value `1.5`",
        ),
        (
            &[("release-id", &huge)],
            "input `release-id` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag", "v1.0.0"), ("release-id", "12")],
            "inputs `tag`, `release-id` cannot be used together",
        ),
        (
            &[("tag", "v1.0.0"), ("latest", "true")],
            "inputs `tag`, `latest` cannot be used together",
        ),
        (
            &[("latest", "maybe")],
            "input `latest` must be a boolean, got `maybe`",
        ),
        (
            &[("tag", "v1.0.0"), ("include-drafts", "yes")],
            "input `include-drafts` must be a boolean",
        ),
        (
            &[("tag", "v1.0.0"), ("patterns", "[*.whl")],
            "input `patterns` has an invalid value `[*.whl`: `[*.whl` is not a valid glob",
        ),
        (
            &[("tag", "v1.0.0"), ("patterns", "*.whl\n[!")],
            "input `patterns` has an invalid value `[!`",
        ),
        (
            &[("tag", "v1.0.0"), ("exclude", "[*.whl")],
            "input `exclude` has an invalid value `[*.whl`: `[*.whl` is not a valid glob",
        ),
        (
            &[("tag", "v1.0.0"), ("exclude", &format!("[{huge}"))],
            "input `exclude` has an invalid value `[xxxxxxx",
        ),
        (
            &[("tag", "v1.0.0"), ("dir", "../elsewhere")],
            "`dir` `../elsewhere` leads outside the workspace",
        ),
        (
            &[("tag", "v1.0.0"), ("dir", "dist/../../x")],
            "`dir` `dist/../../x` leads outside the workspace",
        ),
        (
            &[("tag", "v1.0.0"), ("verify", "nope")],
            "input `verify` must be a boolean",
        ),
        (
            &[("tag", "v1.0.0"), ("fail-on-empty", "0")],
            "input `fail-on-empty` must be a boolean",
        ),
        (
            &[("tag", "v1.0.0"), ("dry-run", &huge)],
            "input `dry-run` must be a boolean, got `xxxxxxxx",
        ),
        (&[("tag", "v1.0.0"), ("max-parallel", "0")], max_parallel),
        (&[("tag", "v1.0.0"), ("max-parallel", "65")], max_parallel),
        (&[("tag", "v1.0.0"), ("max-parallel", "-1")], max_parallel),
        (&[("tag", "v1.0.0"), ("max-parallel", "4.5")], max_parallel),
        (&[("tag", "v1.0.0"), ("max-parallel", "0x10")], max_parallel),
        (&[("tag", "v1.0.0"), ("max-parallel", "four")], max_parallel),
        (
            &[
                ("tag", "v1.0.0"),
                ("max-parallel", "99999999999999999999999"),
            ],
            "this one is far larger",
        ),
        (
            &[("tag", "v1.0.0"), ("max-parallel", &huge)],
            "input `max-parallel` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag", "v1.0.0"), ("tag-template", "release")],
            "must contain `{version}`",
        ),
        (
            &[("tag", "v1.0.0"), ("tag-template", "v{ver}")],
            "unknown placeholder `{ver}`",
        ),
        (
            &[("tag", "v1.0.0"), ("tag-template", "release {version}")],
            "it makes the tag `release 0.0.0`, which is not a valid git tag name: it contains a space",
        ),
        (
            &[("tag", "v1.0.0"), ("tag-template", &huge)],
            "input `tag-template` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag", "v1.0.0"), ("repository", "nope")],
            "input `repository` has an invalid value `nope`",
        ),
        (
            &[("tag", "v1.0.0"), ("api-url", "ftp://example.com")],
            "input `api-url` has an invalid value `ftp://example.com`",
        ),
        (
            &[("tag", "v1.0.0"), ("api-url", &huge)],
            "input `api-url` has an invalid value `xxxxxxxx",
        ),
        (&[], "no release to fetch"),
    ];
    let fake = FakeGitHub::with_repo("octo/demo");
    let mut rejections = Sections::default();
    for (inputs, expected) in cases {
        let case = format!(
            "{:?}",
            inputs
                .iter()
                .map(|(n, v)| (n, &v[..v.len().min(20)]))
                .collect::<Vec<_>>()
        );
        let h = with_inputs(&fake, inputs);
        let run = h.run();
        run.assert_rejected(&case, expected);
        assert!(fake.requests().is_empty(), "{case}: {:#?}", fake.requests());
        assert_eq!(entries(&h.workspace()), Vec::<String>::new(), "{case}");
        rejections.add(&case, &run.error_annotations().join("\n"));
    }
    insta::assert_snapshot!("rejections", rejections.text());
}

/// A release with one wheel (digest recorded) and a SHA256SUMS listing it.
fn seed(fake: &FakeGitHub, name: &str) -> Vec<u8> {
    let bytes = bytes_for(name, 20_000);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    fake.add_asset(id, name, &bytes, true);
    let manifest = sums(&[(name, &bytes)]);
    fake.add_asset(id, "SHA256SUMS", manifest.as_bytes(), true);
    bytes
}

#[test]
fn an_empty_max_parallel_takes_the_default_like_every_other_input() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let wheel = seed(&fake, "demo-1.0.0-py3-none-any.whl");
    let h = step(&fake).input("tag", "v1.0.0").input("max-parallel", "");
    let r = h.run().assert_success();
    assert_eq!(r.output("count"), "2");
    let got = std::fs::read(h.workspace().join("dist/demo-1.0.0-py3-none-any.whl")).unwrap();
    assert!(got == wheel);
    assert_clean(&fake, &r);
}

#[test]
fn an_asset_name_of_255_bytes_is_fetched() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let name = format!("demo-1.0.0-{}-py3-none-any.whl", "x".repeat(255 - 28));
    assert_eq!(name.len(), 255);
    let bytes = seed(&fake, &name);
    let h = step(&fake).input("tag", "v1.0.0");
    let r = h.run().assert_success();
    let dist = h.workspace().join("dist");
    assert_eq!(entries(&dist), ["SHA256SUMS".to_string(), name.clone()]);
    assert!(std::fs::read(dist.join(&name)).unwrap() == bytes);
    assert_clean(&fake, &r);
}

#[test]
fn a_dir_that_leads_out_through_a_symlink_is_refused_unless_given_as_an_absolute_path() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let wheel = seed(&fake, "demo-1.0.0-py3-none-any.whl");
    let outside = tempfile::tempdir().unwrap();
    let h = step(&fake).input("tag", "v1.0.0");
    std::os::unix::fs::symlink(outside.path(), h.workspace().join("dist")).unwrap();
    for dir in ["dist", "dist/sub", "./dist"] {
        let r = with_inputs(&fake, &[("tag", "v1.0.0"), ("dir", dir)]);
        std::os::unix::fs::symlink(outside.path(), r.workspace().join("dist")).unwrap();
        let run = r.run();
        run.assert_rejected(dir, &format!("`dir` `{dir}` leads outside the workspace"));
        assert!(run.error_annotations()[0].contains("give an absolute path"));
    }
    // The default `dir` (`dist`) through the same symlink: refused too, nothing written.
    let run = h.run();
    run.assert_rejected("default", "`dir` `dist` leads outside the workspace");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    assert_eq!(entries(outside.path()), Vec::<String>::new());
    // Said explicitly, as an absolute path: the user's choice.
    let absolute = outside.path().display().to_string();
    let r = step(&fake)
        .input("tag", "v1.0.0")
        .input("dir", absolute.as_str())
        .run()
        .assert_success();
    assert_eq!(r.output("dir"), absolute);
    assert!(std::fs::read(outside.path().join("demo-1.0.0-py3-none-any.whl")).unwrap() == wheel);
    // A symlink that stays inside the workspace is fine.
    let h = step(&fake).input("tag", "v1.0.0").input("dir", "link");
    std::fs::create_dir(h.workspace().join("real")).unwrap();
    std::os::unix::fs::symlink("real", h.workspace().join("link")).unwrap();
    h.run().assert_success();
    assert!(
        h.workspace()
            .join("real/demo-1.0.0-py3-none-any.whl")
            .is_file()
    );
}
