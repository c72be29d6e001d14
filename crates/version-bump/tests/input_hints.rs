//! Every input rejection of version-bump, enumerated: each names the input and a short
//! excerpt of the value, says what is wrong, ends with a `hint:`, stays one short error, and
//! happens before any request. A template that makes a tag git refuses is refused here, by
//! the same check draft-release applies (`slipway_version::validate_tag`). Every message, in full,
//! is in `snapshots/input_hints__rejections.snap`, so a change of wording shows in review.

use slipway_testkit::github::FakeGitHub;
use slipway_testkit::harness::Harness;
use slipway_testkit::snapshot::Sections;

const BIN: &str = env!("CARGO_BIN_EXE_version-bump");

#[test]
fn every_bad_value_of_every_input_is_refused_with_a_hint() {
    let huge = "x".repeat(100_000);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("path", "nope")],
            "input `path` has an invalid value `nope`: no such directory",
        ),
        (
            &[("path", &huge)],
            "input `path` has an invalid value `xxxxxxxx",
        ),
        (
            &[("version-source", "magic")],
            "input `version-source` has an invalid value `magic`",
        ),
        (
            &[("version-source", &huge)],
            "input `version-source` has an invalid value `xxxxxxxx",
        ),
        (
            &[("version-source", "pep621"), ("version-file", "x.py")],
            "are only used with `version-source: file`",
        ),
        (
            &[("version-source", "file"), ("version-file", "x.py")],
            "needs `version-pattern`",
        ),
        (
            &[("compare-to", "newest")],
            "input `compare-to` has an invalid value `newest`: expected one of",
        ),
        (
            &[("compare-to", &huge)],
            "input `compare-to` has an invalid value `xxxxxxxx",
        ),
        (
            &[("scheme", "calver")],
            "input `scheme` has an invalid value `calver`: expected `pep440` or `semver`",
        ),
        (
            &[("scheme", &huge)],
            "input `scheme` has an invalid value `xxxxxxxx",
        ),
        (
            &[("tag-template", "release")],
            "input `tag-template` has an invalid value `release`",
        ),
        (&[("tag-template", "{version")], "without a matching `}`"),
        (&[("tag-template", "v{ver}")], "unknown placeholder `{ver}`"),
        (
            &[("tag-template", "release {version}")],
            "it makes the tag `release 0.0.0`, which is not a valid git tag name: it contains a space",
        ),
        (&[("tag-template", "v{version}:")], "it contains `:`"),
        (
            &[("tag-template", &huge)],
            "input `tag-template` has an invalid value `xxxxxxxx",
        ),
        (
            &[("dev-number", "run-7")],
            "input `dev-number` has an invalid value `run-7`: expected a number of digits only",
        ),
        (
            &[("dev-number", "99999999999999999999999")],
            "input `dev-number` has an invalid value `99999999999999999999999`: too large",
        ),
        (
            &[("write-version", "1.2-beta-nightly")],
            "input `write-version` has an invalid value `1.2-beta-nightly`: `1.2-beta-nightly` is not a valid PEP 440 version",
        ),
        (
            &[("write-version", &huge)],
            "input `write-version` has an invalid value `xxxxxxxx",
        ),
        (
            &[("write-version", "2.0"), ("version-source", "dist")],
            "input `write-version` has an invalid value `2.0`: a version read from built dists cannot be written",
        ),
        (
            &[("fail-on-downgrade", "maybe")],
            "input `fail-on-downgrade` must be a boolean, got `maybe`",
        ),
        (
            &[("repository", "just-a-name")],
            "input `repository` has an invalid value `just-a-name`",
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
    let fake = FakeGitHub::with_repo("octo/widgets");
    let mut rejections = Sections::default();
    for (inputs, expected) in cases {
        let case = format!(
            "{:?}",
            inputs
                .iter()
                .map(|(n, v)| (n, &v[..v.len().min(20)]))
                .collect::<Vec<_>>()
        );
        let mut h = Harness::new(BIN)
            .github(&fake)
            .env("SLIPWAY_RETRY_UNIT_MS", "5");
        for (name, value) in *inputs {
            h = h.input(name, *value);
        }
        h.write_file(
            "pyproject.toml",
            "[project]\nname = \"demo\"\nversion = \"1.2.0\"\n",
        );
        let run = h.run();
        run.assert_rejected(&case, expected);
        assert!(fake.requests().is_empty(), "{case}: {:#?}", fake.requests());
        rejections.add(&case, &run.error_annotations().join("\n"));
    }
    insta::assert_snapshot!("rejections", rejections.text());
}

/// `write-version` on projects whose version is not a literal in a file: each refusal names
/// the source, says what is wrong, ends with a `hint:`, and leaves the file as it was.
#[test]
fn write_version_is_refused_where_the_version_is_not_a_literal() {
    let scm = "[build-system]\nrequires = [\"setuptools\", \"setuptools-scm\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.setuptools_scm]\n";
    let vcs = "[build-system]\nrequires = [\"hatchling\", \"hatch-vcs\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\nsource = \"vcs\"\n";
    let code = "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n[project]\nname = \"demo\"\ndynamic = [\"version\"]\n\n[tool.hatch.version]\nsource = \"code\"\npath = \"demo.py\"\n";
    let escaped = "[project]\nname = \"demo\"\nversion = \"1.2.\\u0033\"\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "setuptools_scm",
            scm,
            "`write-version` cannot write the version: it is derived from git tags by setuptools_scm",
        ),
        (
            "hatch-vcs",
            vcs,
            "`write-version` cannot write the version: it is derived from git tags by hatch-vcs",
        ),
        (
            "hatch code",
            code,
            "`write-version` cannot write the version into `pyproject.toml`: `[tool.hatch.version].source` is `code`, which is computed at build time",
        ),
        (
            "escaped literal",
            escaped,
            "cannot write the version into `pyproject.toml`: `1.2.3` ([project].version) is not found there as a literal",
        ),
    ];
    let mut rejections = Sections::default();
    for (case, pyproject, expected) in cases {
        let h = Harness::new(BIN)
            .input("compare-to", "none")
            .input("write-version", "2.0.0.dev1");
        h.write_file("pyproject.toml", pyproject);
        let run = h.run();
        run.assert_rejected(case, expected);
        let after = std::fs::read_to_string(h.workspace().join("pyproject.toml")).unwrap();
        assert_eq!(&after, pyproject, "{case}: the file changed");
        rejections.add(case, &run.error_annotations().join("\n"));
    }
    insta::assert_snapshot!("write_refusals", rejections.text());
}
