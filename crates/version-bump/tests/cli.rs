//! version-bump run the way the runner runs it: `INPUT_*` variables, GITHUB_OUTPUT parsed by the
//! runner's rules, an event payload, against the fake GitHub.

use slipway_testkit::github::{FakeGitHub, Fault, Match, ReleaseSeed};
use slipway_testkit::harness::{Harness, RunResult};

const BIN: &str = env!("CARGO_BIN_EXE_version-bump");

fn pep621(version: &str) -> String {
    format!(
        "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"demo\"\nversion = \"{version}\"\n"
    )
}

/// A harness on a workspace holding a PEP 621 project, with fast retries.
fn project(version: &str) -> Harness {
    let h = Harness::new(BIN).env("SLIPWAY_RETRY_UNIT_MS", "5");
    h.write_file("pyproject.toml", pep621(version));
    h
}

fn outputs(r: &RunResult) -> Vec<(&str, &str)> {
    [
        "version",
        "previous-version",
        "bumped",
        "tag",
        "tag-exists",
        "prerelease",
        "bump-kind",
        "source",
    ]
    .iter()
    .map(|n| (*n, r.output(n)))
    .collect()
}

#[test]
fn compare_to_none_reads_the_version_without_any_request() {
    let r = project("1.2.3")
        .input("compare-to", "none")
        .run()
        .assert_success();
    assert_eq!(
        outputs(&r),
        [
            ("version", "1.2.3"),
            ("previous-version", ""),
            ("bumped", "true"),
            ("tag", "v1.2.3"),
            ("tag-exists", ""),
            ("prerelease", "false"),
            ("bump-kind", "major"),
            ("source", "pyproject.toml [project].version")
        ]
    );
    assert!(r.summary.contains("version-bump: 1.2.3"), "{}", r.summary);
}

#[test]
fn latest_release_is_the_highest_version_across_pages_not_the_newest_and_ignores_drafts() {
    let fake = FakeGitHub::with_repo("octo/demo");
    // 230 releases over three pages; the highest version (2.4.0) is created early, a later patch of
    // an older line is the newest by date, and a draft and a foreign tag have higher "versions".
    for i in 0..220u32 {
        fake.add_release(ReleaseSeed::new(format!("v1.{}.{}", i / 10, i % 10)));
    }
    fake.add_release(ReleaseSeed::new("v2.4.0").created_at(1));
    fake.add_release(ReleaseSeed::new("v1.0.99"));
    fake.add_release(ReleaseSeed::new("v9.0.0").draft());
    fake.add_release(ReleaseSeed::new("nightly-20260101"));
    fake.add_release(ReleaseSeed::new("v3.0.0rc1").prerelease().draft());

    let r = project("2.5.0").github(&fake).run().assert_success();
    assert_eq!(r.output("previous-version"), "2.4.0");
    assert_eq!(r.output("bumped"), "true");
    assert_eq!(r.output("bump-kind"), "minor");
    assert_eq!(r.output("tag-exists"), "false");

    let same = project("2.4.0").github(&fake).run().assert_success();
    assert_eq!(
        (same.output("bumped"), same.output("bump-kind")),
        ("false", "none")
    );
    assert!(
        fake.unexpected_requests().is_empty(),
        "{:?}",
        fake.unexpected_requests()
    );
}

#[test]
fn a_lower_version_is_not_a_bump_and_fails_with_fail_on_downgrade() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_release(ReleaseSeed::new("v2.0.0"));
    let r = project("1.9.0").github(&fake).run().assert_success();
    assert_eq!(r.output("bumped"), "false");
    assert!(
        r.warning_annotations()
            .iter()
            .any(|w| w.contains("`1.9.0` is lower than the previous version `2.0.0`")),
        "{:?}",
        r.warning_annotations()
    );

    let r = project("1.9.0")
        .github(&fake)
        .input("fail-on-downgrade", "true")
        .run()
        .assert_failure();
    let errors = r.error_annotations();
    assert!(
        errors.iter().any(
            |e| e.contains("`1.9.0` is lower than the previous version `2.0.0`")
                && e.contains("hint:")
        ),
        "{errors:?}"
    );
    // Outputs are written before failing, so later steps (and `if: failure()`) can still read them.
    assert_eq!(r.output("previous-version"), "2.0.0");
}

#[test]
fn prerelease_and_pep440_normalisation() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_release(ReleaseSeed::new("v1.0.0rc1"));
    let r = project("1.0.0-RC2").github(&fake).run().assert_success();
    assert_eq!(
        (
            r.output("bumped"),
            r.output("bump-kind"),
            r.output("prerelease")
        ),
        ("true", "pre", "true")
    );
    let r = project("1.0.0").github(&fake).run().assert_success();
    assert_eq!(
        (
            r.output("bumped"),
            r.output("bump-kind"),
            r.output("prerelease")
        ),
        ("true", "pre", "false")
    );
}

#[test]
fn semver_scheme_orders_prereleases_by_semver() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_release(ReleaseSeed::new("v1.0.0-alpha.2"));
    let h = project("1.0.0-alpha.10")
        .github(&fake)
        .input("scheme", "semver");
    let r = h.run().assert_success();
    assert_eq!(
        (r.output("previous-version"), r.output("bumped")),
        ("1.0.0-alpha.2", "true")
    );
}

#[test]
fn latest_tag_and_tag_exists() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_tag("release-0.9.0", "aaa");
    fake.add_tag("release-1.1.0", "bbb");
    fake.add_tag("not-a-version", "ccc");
    let r = project("1.1.0")
        .github(&fake)
        .input("compare-to", "latest-tag")
        .input("tag-template", "release-{version}")
        .run()
        .assert_success();
    assert_eq!(r.output("previous-version"), "1.1.0");
    assert_eq!(
        (r.output("bumped"), r.output("tag"), r.output("tag-exists")),
        ("false", "release-1.1.0", "true")
    );
}

#[test]
fn previous_commit_reads_the_files_through_the_contents_api_without_git() {
    let fake = FakeGitHub::with_repo("octo/demo");
    // setuptools `attr:` through an imported module: two files at the previous commit.
    let pyproject = "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.setuptools.dynamic]\nversion = {attr = \"demo.__version__\"}\n";
    fake.add_file("abc123", "pyproject.toml", pyproject.as_bytes());
    fake.add_file(
        "abc123",
        "src/demo/__init__.py",
        b"from ._version import __version__\n",
    );
    fake.add_file(
        "abc123",
        "src/demo/_version.py",
        b"__version__ = \"0.4.1\"\n",
    );
    let h = Harness::new(BIN)
        .github(&fake)
        .input("compare-to", "previous-commit")
        .event(
            "push",
            serde_json::json!({"before": "abc123", "after": "def456", "ref": "refs/heads/main"}),
        );
    h.write_file("pyproject.toml", pyproject);
    h.write_file(
        "src/demo/__init__.py",
        "from ._version import __version__\n",
    );
    h.write_file("src/demo/_version.py", "__version__ = \"0.5.0\"\n");
    assert!(!h.workspace().join(".git").exists());
    let r = h.run().assert_success();
    assert_eq!(
        (
            r.output("version"),
            r.output("previous-version"),
            r.output("bump-kind")
        ),
        ("0.5.0", "0.4.1", "minor")
    );
    assert_eq!(r.output("source"), "src/demo/_version.py __version__");
    assert!(r.summary.contains("commit abc123"), "{}", r.summary);
}

#[test]
fn previous_commit_on_a_new_branch_counts_as_new() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let r = project("0.1.0")
        .github(&fake)
        .input("compare-to", "previous-commit")
        .event(
            "push",
            serde_json::json!({"before": "0000000000000000000000000000000000000000"}),
        )
        .run()
        .assert_success();
    assert_eq!(
        (r.output("bumped"), r.output("previous-version")),
        ("true", "")
    );
}

#[test]
fn outputs_go_to_stdout_as_name_value_lines_locally() {
    let dir = std::env::temp_dir().join(format!("vb-local-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pyproject.toml"), pep621("3.0.0")).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["--path", dir.to_str().unwrap(), "--compare-to", "none"])
        .env_clear()
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.lines().any(|l| l == "version=3.0.0") && stdout.lines().any(|l| l == "tag=v3.0.0"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// --- bad input: each gives a clear error naming the value ---

fn failure(h: Harness) -> String {
    let r = h.run().assert_failure();
    let errors = r.error_annotations();
    assert_eq!(
        errors.len(),
        1,
        "exactly one ::error annotation: {errors:?}\n{}",
        r.stderr
    );
    errors[0].clone()
}

#[test]
fn missing_path() {
    let e = failure(
        Harness::new(BIN)
            .input("path", "nope")
            .input("compare-to", "none"),
    );
    assert!(
        e.contains("input `path` has an invalid value `nope`: no such directory")
            && e.contains("hint:"),
        "{e}"
    );
}

#[test]
fn malformed_pyproject_names_file_and_line() {
    let h = Harness::new(BIN).input("compare-to", "none");
    h.write_file(
        "pyproject.toml",
        "[project]\nname = \"demo\"\nversion = \"1.0\n",
    );
    let e = failure(h);
    assert!(e.contains("pyproject.toml:3"), "{e}");
}

#[test]
fn invalid_version_string() {
    let e = failure(project("not.a.version!").input("compare-to", "none"));
    assert!(e.contains("`not.a.version!`"), "{e}");
}

#[test]
fn unknown_version_source() {
    let e = failure(
        project("1.0")
            .input("version-source", "magic")
            .input("compare-to", "none"),
    );
    assert!(
        e.contains("input `version-source` has an invalid value `magic`"),
        "{e}"
    );
}

#[test]
fn tag_template_without_version() {
    let e = failure(
        project("1.0")
            .input("tag-template", "release")
            .input("compare-to", "none"),
    );
    assert!(
        e.contains("input `tag-template` has an invalid value `release`")
            && e.contains("{version}"),
        "{e}"
    );
}

#[test]
fn repository_not_owner_name() {
    let e = failure(project("1.0").input("repository", "just-a-name"));
    assert!(
        e.contains("input `repository` has an invalid value `just-a-name`")
            && e.contains("owner/name"),
        "{e}"
    );
}

#[test]
fn git_tag_versions_get_the_named_error_and_hint() {
    let h = Harness::new(BIN).input("compare-to", "none");
    h.write_file("pyproject.toml", "[build-system]\nrequires = [\"setuptools\", \"setuptools-scm\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.setuptools_scm]\n");
    let e = failure(h);
    assert!(
        e.contains("setuptools_scm") && e.contains("version-source: dist"),
        "{e}"
    );
}

#[test]
fn token_rejected() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let h = project("1.0")
        .github(&fake)
        .input("token", "ghp_wrongwrongwrong");
    let r = h.run().assert_failure();
    let e = r.error_annotations().join("\n");
    assert!(
        e.contains("401") && e.to_lowercase().contains("token"),
        "{e}"
    );
    assert!(
        !r.all_text().contains("ghp_wrongwrongwrong"),
        "the token leaked: {}",
        r.all_text()
    );
}

#[test]
fn repository_not_found() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let e = failure(
        project("1.0")
            .github(&fake)
            .input("repository", "octo/missing"),
    );
    assert!(e.contains("404") && e.contains("octo/missing"), "{e}");
}

#[test]
fn rate_limited_until_the_retries_run_out() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.inject(Fault::too_many_requests(Match::any().always(), 1));
    let h = project("1.0")
        .github(&fake)
        .env("SLIPWAY_RETRY_ATTEMPTS", "2")
        .env("SLIPWAY_RETRY_UNIT_MS", "1");
    let r = h.run().assert_failure();
    let e = r.error_annotations().join("\n");
    assert!(e.to_lowercase().contains("rate limit"), "{e}");
    assert!(
        r.stderr.contains("retrying"),
        "retries are logged: {}",
        r.stderr
    );
}

#[test]
fn a_502_once_is_retried_and_the_answer_is_right() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_release(ReleaseSeed::new("v0.9.0"));
    fake.inject(Fault::status(Match::any(), 502));
    let r = project("1.0.0").github(&fake).run().assert_success();
    assert_eq!(r.output("previous-version"), "0.9.0");
    assert!(r.stderr.contains("502"), "{}", r.stderr);
}

#[test]
fn the_version_output_is_normalized_and_the_written_one_kept() {
    // certifi writes `__version__ = "2024.08.30"`; its dists say 2024.8.30.
    let r = project("2024.08.30")
        .input("compare-to", "none")
        .run()
        .assert_success();
    assert_eq!(
        (
            r.output("version"),
            r.output("version-as-written"),
            r.output("tag")
        ),
        ("2024.8.30", "2024.08.30", "v2024.8.30")
    );
    assert!(
        r.summary.contains("(written `2024.08.30`)"),
        "{}",
        r.summary
    );
    let r = project("1.0.0-RC1")
        .input("compare-to", "none")
        .run()
        .assert_success();
    assert_eq!(
        (
            r.output("version"),
            r.output("version-as-written"),
            r.output("tag")
        ),
        ("1.0.0rc1", "1.0.0-RC1", "v1.0.0rc1")
    );
    // Already normalized: both outputs agree.
    let r = project("1.2.3")
        .input("compare-to", "none")
        .run()
        .assert_success();
    assert_eq!(r.output("version-as-written"), "1.2.3");
}

#[test]
fn a_release_tagged_with_the_written_form_is_still_the_same_version() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_release(ReleaseSeed::new("v2024.08.30"));
    let r = project("2024.8.30").github(&fake).run().assert_success();
    assert_eq!(
        (
            r.output("bumped"),
            r.output("previous-version"),
            r.output("version")
        ),
        ("false", "2024.08.30", "2024.8.30")
    );
}
