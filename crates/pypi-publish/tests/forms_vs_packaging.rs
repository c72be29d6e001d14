//! The upload form is exactly the dist's metadata: for dists of the five build backends, a real
//! legacy sdist (six 1.16.0, from PyPI through pip, cached under target/) and hand-made PKG-INFO
//! files with 8-space and 7-space-`|` continuations, the form captured by the fake index passes
//! `packaging.metadata.Metadata.from_raw(..., validate=True)` and matches, field by field,
//! `packaging.metadata.parse_email` of the dist's own METADATA/PKG-INFO.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::fake;
use common::handmade::{self, FormCheck, check_form, metadata_text, sdist, wheel};
use common::{BACKENDS, build_dists, run, tool, workspace_root};

const TOKEN: &str = "pypi-AgEIcHlwaS5vcmcfaketoken0123456789";

/// Publishes every dist of `dir` to a fresh fake index and checks each captured form against
/// the metadata of the file it carried; returns the checks by file name.
fn publish_and_check(dir: &Path) -> Vec<(String, FormCheck)> {
    let index = fake::index(|_, _| None);
    let upload = format!("{}/legacy/", index.base);
    let out = run(
        &[
            ("packages-dir", dir.to_str().unwrap()),
            ("repository-url", &upload),
            ("password", TOKEN),
        ],
        &[],
    );
    out.assert_ok();
    let mut checks = Vec::new();
    for request in index.uploads() {
        let head =
            String::from_utf8_lossy(&request.body[..request.body.len().min(200_000)]).into_owned();
        let filename = head
            .split("filename=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let text = metadata_text(&dir.join(&filename));
        checks.push((filename, check_form(&request.fields(), &text)));
    }
    assert!(
        !checks.is_empty(),
        "nothing uploaded from {}",
        dir.display()
    );
    checks
}

/// Asserts nothing was lost, altered, added or invalid.
fn assert_exact(checks: &[(String, FormCheck)]) {
    for (file, c) in checks {
        assert!(
            c.invalid.is_empty() && c.lost.is_empty() && c.altered.is_empty() && c.added.is_empty(),
            "{file}: {c:#?}"
        );
    }
}

#[test]
fn every_backend_sends_exactly_its_metadata() {
    let tmp = tempfile::tempdir().unwrap();
    for backend in BACKENDS {
        let dir = build_dists(backend, &format!("form-{backend}"), "2.0.1", tmp.path());
        let checks = publish_and_check(&dir);
        assert_eq!(checks.len(), 2, "{backend}");
        assert_exact(&checks);
    }
}

/// six 1.16.0's sdist from PyPI (a distutils-era PKG-INFO: Metadata-Version 1.2, a Description
/// header whose blank lines are 8 spaces, classifiers and Requires-Python after it), downloaded
/// once with pip into target/pydist-cache.
fn six_sdist() -> PathBuf {
    let cache = workspace_root().join("target/pydist-cache");
    let path = cache.join("six-1.16.0.tar.gz");
    if !path.exists() {
        let out = Command::new(tool("python"))
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--disable-pip-version-check",
                "-d",
            ])
            .arg(&cache)
            .arg("six==1.16.0")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pip download six==1.16.0 failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    path
}

#[test]
fn a_legacy_sdist_loses_nothing_after_its_description_header() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(six_sdist(), dir.path().join("six-1.16.0.tar.gz")).unwrap();
    let checks = publish_and_check(dir.path());
    assert_exact(&checks);
    // What PyPI stores for the release: the headers after the Description are all there.
    let index = fake::index(|_, _| None);
    let upload = format!("{}/legacy/", index.base);
    run(
        &[
            ("packages-dir", dir.path().to_str().unwrap()),
            ("repository-url", &upload),
            ("password", TOKEN),
        ],
        &[],
    )
    .assert_ok();
    let fields = index.uploads()[0].fields();
    let get = |k: &str| {
        fields
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(get("requires_python"), [">=2.7, !=3.0.*, !=3.1.*, !=3.2.*"]);
    assert_eq!(get("classifiers").len(), 7);
    assert_eq!(get("platform"), ["UNKNOWN"]);
    let description = &get("description")[0];
    assert!(
        description.starts_with(".. image:: https://img.shields.io/pypi/v/six.svg\n   :target:"),
        "{description}"
    );
    assert!(
        description.contains("\n\nSix is a Python 2 and 3 compatibility library."),
        "{description}"
    );
    assert!(!description.contains("Classifier:"), "{description}");
}

const CONTINUED: &str = "Metadata-Version: 2.1\nName: cont\nVersion: 1.0\nSummary: Continuations\n\
License: line one\n        line two\n\
Description: Title\n        =====\n        \n        Indented:\n        \n            code\n        \n\
Classifier: Programming Language :: Python :: 3\nRequires-Python: >=3.8\nKeywords: a, b,\n        c\n";

#[test]
fn hand_made_pkg_info_with_8_space_and_pipe_continuations() {
    let pipe = "Metadata-Version: 1.2\nName: cont\nVersion: 1.0\nDescription: Title\n       |=====\n       |\n       |    code\n       |  trailing  \nRequires-Python: >=3.8\nPlatform: any\n";
    let crlf = CONTINUED.replace('\n', "\r\n");
    for (label, text) in [
        ("8 spaces", CONTINUED.to_string()),
        ("7 spaces and |", pipe.to_string()),
        ("CRLF", crlf),
    ] {
        let dir = tempfile::tempdir().unwrap();
        sdist(dir.path(), "cont-1.0.tar.gz", &text, &[]);
        wheel(dir.path(), "cont-1.0-py3-none-any.whl", &text, &[]);
        let checks = publish_and_check(dir.path());
        assert_eq!(checks.len(), 2, "{label}");
        assert_exact(&checks);
    }
}

#[test]
fn fields_newer_than_the_declared_version_are_the_only_ones_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Metadata-Version: 2.1\nName: older\nVersion: 1.0\nLicense-File: LICENSE\nLicense-Expression: MIT\nDynamic: Summary\nProvides-Extra: x\nRequires-Dist: packaging; extra == 'x'\n\nBody\n";
    wheel(
        dir.path(),
        "older-1.0-py3-none-any.whl",
        text,
        &[("older-1.0.dist-info/licenses/LICENSE", "MIT")],
    );
    let checks = publish_and_check(dir.path());
    assert_exact(&checks);
    let mut omitted = checks[0].1.omitted.clone();
    omitted.sort();
    assert_eq!(omitted, ["dynamic", "license_expression", "license_files"]);
}

#[test]
fn a_description_in_the_body_and_unicode_survive_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Metadata-Version: 2.4\nName: uni\nVersion: 1.0\nSummary: Ünïcode ✓ summary  \nAuthor: Zoë <z@example.org>\nAuthor-email: \"Zoë, Z\" <z@example.org>, other@example.org\nProject-URL: Source, https://example.org/src\nProject-URL: Docs, https://example.org/docs\nDescription-Content-Type: text/markdown; charset=UTF-8; variant=GFM\n\n# Title\r\n\r\n    indented code\n\ttab\n\nlast line without newline";
    wheel(dir.path(), "uni-1.0-py3-none-any.whl", text, &[]);
    sdist(dir.path(), "uni-1.0.tar.gz", text, &[]);
    assert_exact(&publish_and_check(dir.path()));
}

#[test]
fn the_checker_itself_sees_a_lost_field() {
    // The comparison can fail: a form without the dist's Requires-Python is reported.
    let text = "Metadata-Version: 2.1\nName: x\nVersion: 1.0\nRequires-Python: >=3.8\n";
    let form = vec![
        ("metadata_version".to_string(), "2.1".to_string()),
        ("name".to_string(), "x".to_string()),
        ("version".to_string(), "1.0".to_string()),
        ("summary".to_string(), "a\nb".to_string()),
    ];
    let c = handmade::check_form(&form, text);
    assert_eq!(c.lost, ["requires_python"]);
    assert_eq!(c.added.len(), 1, "{c:?}");
    assert!(c.invalid.iter().any(|e| e.contains("summary")), "{c:?}");
}
