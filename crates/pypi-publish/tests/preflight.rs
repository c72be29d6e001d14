//! Pre-flight: every rule PyPI applies that can be checked locally refuses the dist before any
//! request to the index (the fake index sees nothing at all), with the rule and a hint; in a
//! directory of several dists where one is bad, nothing is uploaded; `verify-metadata: false`
//! sends it anyway with a warning.

mod common;

use std::path::Path;

use common::fake::{self, Request};
use common::handmade::{self, sdist, tar_gz, wheel};
use common::{Outcome, run};

use common::fake::{TOKEN, publish};

/// Core metadata for `demo 1.0` with extra header lines.
fn meta(mv: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("{extra}\n")
    };
    format!(
        "Metadata-Version: {mv}\nName: demo\nVersion: 1.0\nSummary: A demo\n{extra}\nThe description.\n"
    )
}

/// Publishes `dir` and asserts it was refused before any request, naming the rule, every
/// needle and a hint.
fn refused(dir: &Path, rule: &str, needles: &[&str]) -> Outcome {
    let index = fake::index(|_, _| None);
    let out = publish(&index, dir, &[]);
    let tag = format!("[{rule}]");
    let mut all = vec![tag.as_str(), "nothing was uploaded", "hint: `"];
    all.extend_from_slice(needles);
    out.assert_failed_with(&all);
    let seen: Vec<String> = index
        .requests()
        .iter()
        .map(|r: &Request| format!("{} {}", r.method, r.path))
        .collect();
    assert!(seen.is_empty(), "requests before the refusal: {seen:?}");
    out
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn sdist_names_must_be_pep_625() {
    for (file, name, version, want) in [
        (
            "Django-5.1.1.tar.gz",
            "Django",
            "5.1.1",
            "django-5.1.1.tar.gz",
        ),
        (
            "MarkupSafe-2.1.5.tar.gz",
            "MarkupSafe",
            "2.1.5",
            "markupsafe-2.1.5.tar.gz",
        ),
        (
            "charset-normalizer-3.3.2.tar.gz",
            "charset-normalizer",
            "3.3.2",
            "charset_normalizer-3.3.2.tar.gz",
        ),
        (
            "python-dateutil-2.9.0.post0.tar.gz",
            "python-dateutil",
            "2.9.0.post0",
            "python_dateutil-2.9.0.post0.tar.gz",
        ),
        (
            "certifi-2024.08.30.tar.gz",
            "certifi",
            "2024.08.30",
            "certifi-2024.8.30.tar.gz",
        ),
    ] {
        let dir = tmp();
        let text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        sdist(dir.path(), file, &text, &[]);
        let out = refused(
            dir.path(),
            "sdist-name",
            &[&format!("`{want}`"), "build backend"],
        );
        assert!(out.stderr.contains(&format!("`{file}`")), "{}", out.stderr);
    }
    let dir = tmp();
    let text = meta("2.1", "");
    handmade::zip(
        &dir.path().join("demo-1.0.zip"),
        &[("demo-1.0/PKG-INFO".into(), text.into_bytes())],
        zip::CompressionMethod::Deflated,
    );
    refused(
        dir.path(),
        "sdist-format",
        &["`.tar.gz`", "`demo-1.0.tar.gz`"],
    );
}

#[test]
fn wheel_names_must_start_with_the_normalized_name() {
    let dir = tmp();
    let text = "Metadata-Version: 2.1\nName: Edge.Mixed_Name\nVersion: 1.0\n";
    wheel(
        dir.path(),
        "Edge.Mixed_Name-1.0-py3-none-any.whl",
        text,
        &[],
    );
    refused(
        dir.path(),
        "wheel-name",
        &["`edge_mixed_name-1.0-py3-none-any.whl`"],
    );
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-cp311-cp311-linux_x86_64.whl",
        &meta("2.1", ""),
        &[],
    );
    refused(
        dir.path(),
        "wheel-platform",
        &["`linux_x86_64`", "auditwheel"],
    );
}

#[test]
fn names_with_a_space_or_a_newline_are_refused_before_any_request() {
    for (file, what) in [
        ("demo-1.0-py3-none-any\n.whl", "a newline"),
        ("demo-1.0 (1).tar.gz", "a space"),
    ] {
        let dir = tmp();
        std::fs::write(dir.path().join(file), b"x").unwrap();
        let index = fake::index(|_, _| None);
        let out = publish(&index, dir.path(), &[]);
        out.assert_failed_with(&[what, "not a usable distribution file name", "hint: rename"]);
        assert!(
            !out.stderr.contains("any\n.whl"),
            "the raw newline is escaped: {}",
            out.stderr
        );
        assert!(index.requests().is_empty());
    }
}

#[test]
fn broken_symlinks_that_are_not_dists_are_ignored_with_a_notice() {
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", ""),
        &[],
    );
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("stale.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop"), dir.path().join("loop")).unwrap();
    let index = fake::index(|_, _| None);
    let out = publish(&index, dir.path(), &[]);
    out.assert_ok();
    assert!(
        out.stdout.contains("ignoring `stale.txt`")
            && out.stdout.contains("a symlink to a missing file"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("ignoring `loop`") && out.stdout.contains("a symlink loop"),
        "{}",
        out.stdout
    );
    assert_eq!(out.list("uploaded").len(), 1);
}

/// One wheel with `extra` header lines, refused for `rule`.
fn refused_meta(mv: &str, extra: &str, rule: &str, needles: &[&str]) {
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta(mv, extra),
        &[],
    );
    refused(dir.path(), rule, needles);
}

#[test]
fn metadata_rules_refuse_before_any_request() {
    let long = "x".repeat(513);
    for (summary, needle) in [
        (format!("Summary: {long}"), "513 characters"),
        (
            "Summary: one line\n  and another".to_string(),
            "more than one line",
        ),
    ] {
        let dir = tmp();
        let text = format!("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n{summary}\n");
        wheel(dir.path(), "demo-1.0-py3-none-any.whl", &text, &[]);
        refused(dir.path(), "summary", &[needle]);
    }
    refused_meta(
        "2.1",
        "Project-URL: A label that is far too long for PyPI, https://example.org",
        "project-url",
        &["longer than 32"],
    );
    refused_meta(
        "2.1",
        "Project-URL: Home, UNKNOWN",
        "project-url",
        &["`UNKNOWN` is not a valid"],
    );
    refused_meta(
        "2.1",
        "Requires-Dist: pip @ https://example.org/pip.zip",
        "direct-url",
        &["`https://example.org/pip.zip`", "by version"],
    );
    refused_meta(
        "2.1",
        "Requires-Dist: pip >= banana",
        "requirement",
        &["not a valid PEP 508"],
    );
    refused_meta(
        "2.1",
        "Requires-Python: >=3.8,banana",
        "requires-python",
        &["`banana`"],
    );
    refused_meta(
        "2.1",
        "Author-email: Ada <ada@localhost>",
        "email",
        &["`ada@localhost`"],
    );
    refused_meta(
        "2.4",
        "License: MIT License\nLicense-Expression: MIT",
        "license",
        &["PEP 639"],
    );
    refused_meta(
        "2.2",
        "Dynamic: Version",
        "dynamic",
        &["name and version must be fixed"],
    );
    refused_meta(
        "2.2",
        "Dynamic: Not-A-Field",
        "dynamic",
        &["does not name a field"],
    );
    refused_meta(
        "2.1",
        "Description-Content-Type: text/html",
        "description-content-type",
        &["`Description-Content-Type: text/html`"],
    );
    refused_meta(
        "2.1",
        "Classifier: Framework :: Django CMS :: 4.2",
        "classifier",
        &["deprecated", "`Framework :: Django CMS :: 5.0`"],
    );
    refused_meta(
        "2.1",
        "Classifier: Private :: Do Not Upload",
        "classifier",
        &["Private ::"],
    );
    refused_meta(
        "2.4",
        "License-Expression: Apache 2.0",
        "license-expression",
        &["`License-Expression: Apache 2.0`", "SPDX"],
    );
    refused_meta(
        "2.1",
        "Home-page: UNKNOWN",
        "url",
        &["`Home-page: UNKNOWN`"],
    );
    refused_meta(
        "2.1",
        "Provides-Extra: -bad-",
        "extra",
        &["`Provides-Extra: -bad-`"],
    );
    refused_meta(
        "2.4",
        "License-File: LICENSE",
        "license-file",
        &["`demo-1.0.dist-info/licenses/LICENSE`"],
    );
    refused_meta("2.4", "License-File: ../LICENSE", "license-file", &["`..`"]);
}

#[test]
fn repeated_single_fields_and_versions_are_refused() {
    refused_meta(
        "2.1",
        "Summary: again",
        "repeated-field",
        &["`Summary` occurs 2 times"],
    );
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0+cpu-py3-none-any.whl",
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0+cpu\n",
        &[],
    );
    refused(
        dir.path(),
        "local-version",
        &["`+cpu`", "verify-metadata: false"],
    );
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.1\n",
        &[],
    );
    refused(dir.path(), "version-mismatch", &["`1.0`", "`1.1`"]);
}

#[test]
fn archive_rules_refuse_before_any_request() {
    // A wheel without WHEEL, and one whose RECORD does not list every file.
    let dir = tmp();
    handmade::zip(
        &dir.path().join("demo-1.0-py3-none-any.whl"),
        &[
            (
                "demo-1.0.dist-info/METADATA".into(),
                meta("2.1", "").into_bytes(),
            ),
            (
                "demo-1.0.dist-info/RECORD".into(),
                b"demo-1.0.dist-info/METADATA,,\ndemo-1.0.dist-info/RECORD,,\n".to_vec(),
            ),
        ],
        zip::CompressionMethod::Deflated,
    );
    refused(
        dir.path(),
        "wheel-contents",
        &["`demo-1.0.dist-info/WHEEL`"],
    );
    let dir = tmp();
    let path = wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", ""),
        &[("demo/__init__.py", "")],
    );
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    for i in 0..archive.len() {
        use std::io::Read as _;
        let mut f = archive.by_index(i).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        members.push((f.name().unwrap().to_string(), bytes));
    }
    members.push(("demo/extra.py".into(), b"x = 1\n".to_vec()));
    handmade::zip(&path, &members, zip::CompressionMethod::Deflated);
    refused(dir.path(), "wheel-record", &["`demo/extra.py`"]);
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", ""),
        &[(
            "demo-1.0.dist-info/entry_points.txt",
            "[console_scripts]\nbad/name = demo:main\n",
        )],
    );
    refused(dir.path(), "wheel-entry-points", &["`bad/name`"]);
    // An sdist with two top-level directories.
    let dir = tmp();
    tar_gz(
        &dir.path().join("demo-1.0.tar.gz"),
        &[
            ("demo-1.0/PKG-INFO".into(), meta("2.1", "").into_bytes()),
            ("other/setup.py".into(), b"".to_vec()),
        ],
    );
    refused(dir.path(), "sdist-layout", &["one top-level directory"]);
    // Two sdists of one release (the second fails the PEP 625 rule as well).
    let dir = tmp();
    sdist(dir.path(), "demo-1.0.tar.gz", &meta("2.1", ""), &[]);
    sdist(dir.path(), "Demo-1.0.tar.gz", &meta("2.1", ""), &[]);
    refused(dir.path(), "one-sdist", &["one sdist per release"]);
}

#[test]
fn an_uncompressed_tarball_is_not_an_sdist() {
    let dir = tmp();
    let path = dir.path().join("demo-1.0.tar.gz");
    let mut tar = tar::Builder::new(std::fs::File::create(&path).unwrap());
    let text = meta("2.1", "");
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "demo-1.0/PKG-INFO", text.as_bytes())
        .unwrap();
    tar.finish().unwrap();
    let index = fake::index(|_, _| None);
    publish(&index, dir.path(), &[]).assert_failed_with(&["not gzip-compressed", "hint:"]);
    assert!(index.requests().is_empty());
}

#[test]
fn one_bad_dist_among_several_stops_everything() {
    let dir = tmp();
    sdist(dir.path(), "demo-1.0.tar.gz", &meta("2.1", ""), &[]);
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", ""),
        &[],
    );
    wheel(
        dir.path(),
        "demo-1.0-cp312-cp312-linux_x86_64.whl",
        &meta("2.1", ""),
        &[],
    );
    let out = refused(
        dir.path(),
        "wheel-platform",
        &["demo-1.0-cp312-cp312-linux_x86_64.whl"],
    );
    assert!(
        out.stderr.contains("has problems the index would refuse"),
        "{}",
        out.stderr
    );
    // With verify-metadata: false, all three are sent, each refused one with a warning.
    let index = fake::index(|_, _| None);
    let sent = publish(&index, dir.path(), &[("verify-metadata", "false")]);
    sent.assert_ok();
    assert_eq!(index.uploads().len(), 3);
    assert!(
        sent.stdout
            .contains("::warning::`demo-1.0-cp312-cp312-linux_x86_64.whl`: [wheel-platform]")
            && sent
                .stdout
                .contains("sent anyway because `verify-metadata` is false"),
        "{}",
        sent.stdout
    );
}

#[test]
fn metadata_versions_by_index() {
    // 2.6: PyPI and TestPyPI refuse it (before any request: no network is reached).
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.6", ""),
        &[],
    );
    let out = run(
        &[
            ("packages-dir", dir.path().to_str().unwrap()),
            ("repository-url", "https://test.pypi.org/legacy/"),
            ("password", TOKEN),
        ],
        &[],
    );
    out.assert_failed_with(&[
        "[metadata-version]",
        "PyPI does not accept `Metadata-Version: 2.6`",
        "hint:",
    ]);
    // Another index gets it as it is.
    let index = fake::index(|_, _| None);
    publish(&index, dir.path(), &[]).assert_ok();
    assert_eq!(index.uploads().len(), 1);
    // A version newer than slipway knows: a warning, and every known field is sent.
    let dir = tmp();
    let text = meta(
        "2.9",
        "License-Expression: MIT\nImport-Name: demo\nFuture-Field: x",
    );
    wheel(dir.path(), "demo-1.0-py3-none-any.whl", &text, &[]);
    let index = fake::index(|_, _| None);
    let out = publish(&index, dir.path(), &[]);
    out.assert_ok();
    assert!(
        out.stdout.contains("::warning::")
            && out.stdout.contains("`Metadata-Version: 2.9` is newer"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("not core metadata, so not sent: Future-Field"),
        "{}",
        out.stdout
    );
    let fields = index.uploads()[0].fields();
    assert!(
        fields.contains(&("license_expression".into(), "MIT".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("import_name".into(), "demo".into())),
        "{fields:?}"
    );
    assert!(fields.contains(&("metadata_version".into(), "2.9".into())));
}

#[test]
fn unknown_classifiers_warn_and_upload() {
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", "Classifier: Programming Language :: Python :: 3.99"),
        &[],
    );
    let index = fake::index(|_, _| None);
    let out = publish(&index, dir.path(), &[]);
    out.assert_ok();
    assert!(
        out.stdout.contains("::warning::")
            && out.stdout.contains("[classifier]")
            && out.stdout.contains("3.99"),
        "{}",
        out.stdout
    );
    assert_eq!(index.uploads().len(), 1);
    let check = handmade::check_form(
        &index.uploads()[0].fields(),
        &meta("2.1", "Classifier: Programming Language :: Python :: 3.99"),
    );
    assert!(
        check.lost.is_empty() && check.altered.is_empty(),
        "{check:?}"
    );
}

#[test]
fn verbose_logs_the_requests_at_debug_level_without_secrets() {
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", ""),
        &[],
    );
    let index = fake::index(|_, _| None);
    let out = publish(&index, dir.path(), &[("verbose", "true")]);
    out.assert_ok();
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);
    assert!(
        out.stderr.contains("POST http://127.0.0.1"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("name=\"demo\""), "{}", out.stderr);
    assert!(
        out.stderr.contains("GET the index page of `demo`"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("Unexpected input"), "{}", out.stdout);
    let quiet = publish(&fake::index(|_, _| None), dir.path(), &[]);
    assert!(!quiet.stderr.contains("DEBUG"), "{}", quiet.stderr);
    publish(&index, dir.path(), &[("verbose", "loud")])
        .assert_failed_with(&["`verbose`", "boolean"]);
}

#[test]
fn the_pypa_actions_old_input_spellings_still_work() {
    // As the runner passes them: the kebab-case input at its default, the old name as given.
    let dir = tmp();
    wheel(
        dir.path(),
        "demo-1.0-py3-none-any.whl",
        &meta("2.1", ""),
        &[],
    );
    let index = fake::index(|_, _| None);
    let upload = format!("{}/legacy/", index.base);
    let out = run(
        &[
            ("packages-dir", "dist"),
            ("packages_dir", dir.path().to_str().unwrap()),
            ("repository-url", "https://upload.pypi.org/legacy/"),
            ("repository_url", &upload),
            ("print_hash", "false"),
            ("password", TOKEN),
        ],
        &[],
    );
    out.assert_ok();
    assert_eq!(index.uploads().len(), 1);
    assert!(
        !out.summary.contains("sha256"),
        "print_hash: false: {}",
        out.summary
    );
}
