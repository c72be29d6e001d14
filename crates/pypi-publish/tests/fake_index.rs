//! Against a fake index on loopback that records every request: the exact form sent, faults
//! (503, a reset mid-upload, 403, 400 with a reason, 405, redirects), the expected version and
//! bad inputs.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::fake::{self, Reply, Request};
use common::{run, tool};

use common::fake::{TOKEN, publish};

/// Dists built once per test binary: setuptools (rich PKG-INFO) and hatchling.
fn fixtures() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static DISTS: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    DISTS.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = vec![
            common::build_dists("setuptools", "fake-setuptools", "3.1.4", tmp.path()),
            common::build_dists("hatchling", "fake-hatchling", "3.1.4", tmp.path()),
        ];
        (tmp, dirs)
    })
}

/// A fresh copy of the hatchling fixture's dists (tests may add files to it).
fn dists() -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&fixtures().1[1]).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, copy.path().join(p.file_name().unwrap())).unwrap();
    }
    copy
}

/// Reads a dist's METADATA/PKG-INFO with Python's own email parser: `(headers, body)`.
fn python_metadata(dist: &Path) -> (Vec<(String, String)>, String) {
    let script = r#"
import sys, json, zipfile, tarfile, email.parser, email.policy
p = sys.argv[1]
if p.endswith('.whl'):
    z = zipfile.ZipFile(p)
    name = [n for n in z.namelist() if n.count('/') == 1 and n.endswith('.dist-info/METADATA')][0]
    text = z.read(name).decode()
else:
    t = tarfile.open(p)
    name = [m for m in t.getnames() if m.count('/') == 1 and m.endswith('/PKG-INFO')][0]
    text = t.extractfile(name).read().decode()
msg = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
print(json.dumps({"headers": [[k, v] for k, v in msg.items()], "body": msg.get_payload()}))
"#;
    let out = Command::new(tool("python"))
        .args(["-c", script])
        .arg(dist)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let headers = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (headers, v["body"].as_str().unwrap_or_default().to_string())
}

/// The upload form's name for a core-metadata header, as the legacy API defines it.
fn form_name(header: &str) -> String {
    match header.to_ascii_lowercase().as_str() {
        "classifier" => "classifiers".into(),
        "project-url" => "project_urls".into(),
        other => other.replace('-', "_"),
    }
}

fn ok_index() -> fake::Fake {
    fake::index(|_, _| None)
}

#[test]
fn the_form_carries_every_metadata_field_of_each_dist() {
    for dir in &fixtures().1 {
        let index = ok_index();
        publish(&index, dir, &[]).assert_ok();
        let uploads = index.uploads();
        assert_eq!(uploads.len(), 2);
        for upload in uploads {
            let fields = upload.fields();
            let filename = String::from_utf8_lossy(&upload.body)
                .split("filename=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string();
            let path = dir.join(&filename);
            let (headers, body) = python_metadata(&path);
            let expected: Vec<(String, String)> = headers
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("description"))
                .map(|(k, v)| (form_name(k), v.replace("\n        ", "\n")))
                .collect();
            let skip = [
                ":action",
                "protocol_version",
                "filetype",
                "pyversion",
                "sha256_digest",
                "blake2_256_digest",
                "description",
            ];
            let sent: Vec<(String, String)> = fields
                .iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .cloned()
                .collect();
            assert_eq!(sent, expected, "{filename}");
            let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            assert_eq!(get(":action").as_deref(), Some("file_upload"));
            assert_eq!(get("protocol_version").as_deref(), Some("1"));
            let wheel = filename.ends_with(".whl");
            assert_eq!(
                get("filetype").unwrap(),
                if wheel { "bdist_wheel" } else { "sdist" }
            );
            assert_eq!(
                get("pyversion").unwrap(),
                if wheel { "py3" } else { "source" }
            );
            assert_eq!(get("description").unwrap(), body, "{filename}");
            let bytes = std::fs::read(&path).unwrap();
            let content = upload
                .form()
                .into_iter()
                .find(|(k, _)| k == "content")
                .unwrap()
                .1;
            assert_eq!(content, bytes, "content is the file, byte for byte");
            assert_eq!(get("sha256_digest").unwrap(), fake::sha256(&bytes));
            assert_eq!(get("blake2_256_digest").unwrap().len(), 64);
            assert_eq!(
                upload.form().last().unwrap().0,
                "content",
                "content goes last"
            );
            assert!(
                upload
                    .header("authorization")
                    .unwrap()
                    .starts_with("Basic ")
            );
            assert_eq!(
                upload.header("content-length").unwrap(),
                upload.body.len().to_string()
            );
        }
    }
}

#[test]
fn a_rerun_skips_everything_and_uploads_nothing() {
    let index = ok_index();
    let dir = dists();
    publish(&index, dir.path(), &[]).assert_ok();
    let again = publish(&index, dir.path(), &[]);
    again.assert_ok();
    assert_eq!(again.list("skipped").len(), 2);
    assert_eq!(index.uploads().len(), 2, "no upload on the re-run");
    assert!(again.summary.contains("skipped"));
}

#[test]
fn an_unexpected_version_fails_before_any_request() {
    let index = ok_index();
    let dir = dists();
    let out = publish(&index, dir.path(), &[("expected-version", "3.1.5")]);
    out.assert_failed_with(&[
        "expected version `3.1.5`",
        "has version `3.1.4`",
        "nothing was uploaded",
    ]);
    assert!(index.requests().is_empty(), "{:?}", index.requests());
    publish(&index, dir.path(), &[("expected-version", "v3.1.4")]).assert_ok();
}

#[test]
fn a_503_is_retried_after_checking_the_index() {
    let index = fake::index(|r, _| {
        static FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        (r.method == "POST" && !FAILED.swap(true, std::sync::atomic::Ordering::SeqCst))
            .then(|| Reply::new(503, "text/html", "<h1>Service Unavailable</h1>"))
    });
    let out = publish(&index, dists().path(), &[]);
    out.assert_ok();
    assert_eq!(out.list("uploaded").len(), 2);
    assert_eq!(index.uploads().len(), 3);
    assert!(out.stdout.contains("retrying"), "{}", out.stdout);
    let gets = index
        .requests()
        .iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(gets, 2, "one lookup, one re-check after the 503");
}

#[test]
fn a_reset_mid_upload_is_retried_and_the_file_lands_once() {
    let index = ok_index();
    index.reset_uploads(1);
    let out = publish(&index, dists().path(), &[]);
    out.assert_ok();
    assert_eq!(out.list("uploaded").len(), 2);
    let complete: Vec<Request> = index
        .uploads()
        .into_iter()
        .filter(|r| !r.body.is_empty())
        .collect();
    assert_eq!(complete.len(), 2, "each file once");
    assert_eq!(
        index.uploads().len(),
        3,
        "the cut upload, then each file once"
    );
}

#[test]
fn retries_that_run_out_stop_with_the_attempts_and_upload_nothing_more() {
    let index = failing_with(503, "<h1>Service Unavailable</h1>");
    let upload = format!("{}/legacy/", index.base);
    let simple = format!("{}/simple/", index.base);
    let dir = dists();
    let inputs = [
        ("packages-dir", dir.path().to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
        ("password", TOKEN),
    ];
    let out = run(
        &inputs,
        &[
            ("SLIPWAY_RETRY_ATTEMPTS", "3"),
            ("SLIPWAY_RETRY_UNIT_MS", "5"),
        ],
    );
    assert!(!out.leaks(TOKEN), "token leaked:\n{}", out.all_text());
    out.assert_failed_with(&["failed 3 times", "503", "hint:"]);
    // The first file (the sdist) was tried three times; nothing after it was attempted.
    assert_eq!(
        index.uploads().len(),
        3,
        "{:?}",
        index.uploads().iter().map(|r| &r.path).collect::<Vec<_>>()
    );
}

fn failing_with(status: u16, body: &'static str) -> fake::Fake {
    fake::index(move |r, _| (r.method == "POST").then(|| Reply::new(status, "text/html", body)))
}

#[test]
fn a_403_names_the_token_problem() {
    let index = failing_with(
        403,
        "<title>403 Invalid or non-existent authentication information.</title>",
    );
    let out = publish(&index, dists().path(), &[]);
    out.assert_failed_with(&[
        "refused the credentials (403)",
        "Invalid or non-existent authentication",
        "hint:",
        "nothing was uploaded",
    ]);
    assert_eq!(index.uploads().len(), 1, "4xx is never retried");
}

#[test]
fn a_400_shows_the_index_reason() {
    let index = failing_with(
        400,
        "<html><title>400 'Foo :: Bar' is not a valid classifier.</title></html>",
    );
    let out = publish(&index, dists().path(), &[]);
    out.assert_failed_with(&[
        "rejected `fake_hatchling-3.1.4.tar.gz` (400)",
        "'Foo :: Bar' is not a valid classifier",
    ]);
    assert_eq!(index.uploads().len(), 1);
}

#[test]
fn a_405_says_the_url_is_probably_the_simple_index() {
    let index = failing_with(405, "Method Not Allowed");
    let out = publish(&index, dists().path(), &[]);
    out.assert_failed_with(&["405", "not an upload URL", "upload.pypi.org/legacy/"]);
}

#[test]
fn a_same_host_redirect_is_followed_with_a_warning() {
    let index = fake::index(|r, _| {
        (r.method == "POST" && r.path == "/legacy").then(|| {
            Reply::With(
                308,
                vec![("location".into(), "/legacy/".into())],
                Vec::new(),
            )
        })
    });
    let upload = format!("{}/legacy", index.base);
    let out = publish(&index, dists().path(), &[("repository-url", &upload)]);
    out.assert_ok();
    assert_eq!(out.list("uploaded").len(), 2);
    assert!(
        out.stdout.contains("::warning::") && out.stdout.contains("redirecting"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_redirect_to_another_host_gets_no_credentials() {
    let elsewhere = ok_index();
    let target = format!(
        "{}/legacy/",
        elsewhere.base.replace("127.0.0.1", "localhost")
    );
    let index = fake::index(move |r, _| {
        (r.method == "POST")
            .then(|| Reply::With(307, vec![("location".into(), target.clone())], Vec::new()))
    });
    let out = publish(&index, dists().path(), &[]);
    out.assert_failed_with(&["not the same host", "credentials are not sent there"]);
    assert!(elsewhere.requests().is_empty());
}

#[test]
fn non_dists_are_ignored_with_a_notice() {
    let index = ok_index();
    let dir = dists();
    std::fs::write(dir.path().join("SHA256SUMS"), "x").unwrap();
    let out = publish(&index, dir.path(), &[]);
    out.assert_ok();
    assert!(
        out.stdout.contains("::notice::ignoring `SHA256SUMS`"),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_inputs_fail_clearly_and_send_nothing() {
    let index = ok_index();
    let empty = tempfile::tempdir().unwrap();
    publish(&index, empty.path(), &[]).assert_failed_with(&["no distribution files", "hint:"]);
    publish(&index, &empty.path().join("nope"), &[])
        .assert_failed_with(&["does not exist", "nope"]);

    let only_junk = tempfile::tempdir().unwrap();
    std::fs::write(only_junk.path().join("notes.txt"), "x").unwrap();
    publish(&index, only_junk.path(), &[])
        .assert_failed_with(&["no distribution files", "notes.txt"]);

    let corrupt = tempfile::tempdir().unwrap();
    std::fs::write(
        corrupt.path().join("demo-1.0-py3-none-any.whl"),
        "not a zip",
    )
    .unwrap();
    publish(&index, corrupt.path(), &[]).assert_failed_with(&["demo-1.0-py3-none-any.whl", "zip"]);

    let no_pkg_info = tempfile::tempdir().unwrap();
    let sdist = no_pkg_info.path().join("demo-1.0.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&sdist).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "demo-1.0/setup.py", &b"x=1"[..])
        .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    publish(&index, no_pkg_info.path(), &[]).assert_failed_with(&["demo-1.0.tar.gz", "PKG-INFO"]);

    publish(&index, dists().path(), &[("trusted-publishing", "always")])
        .assert_failed_with(&["`password` is set but `trusted-publishing` is `always`"]);
    publish(
        &index,
        dists().path(),
        &[("repository-url", "http://pypi.example.org/legacy/")],
    )
    .assert_failed_with(&["does not use HTTPS"]);
    publish(&index, dists().path(), &[("skip-existing", "yes")])
        .assert_failed_with(&["`skip-existing`", "boolean"]);
    assert!(index.requests().is_empty(), "{:?}", index.requests());
}

#[test]
fn dry_run_checks_but_uploads_nothing() {
    let index = ok_index();
    let out = publish(&index, dists().path(), &[("dry-run", "true")]);
    out.assert_ok();
    assert!(index.uploads().is_empty());
    assert!(out.summary.contains("would upload") && out.summary.contains("dry run"));
    assert_eq!(out.list("uploaded"), Vec::<String>::new());
}

/// Writes a wheel by hand: METADATA as given, plus a stored payload of `payload` zero bytes.
fn handmade_wheel(dir: &Path, metadata: &str, payload: u64) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join("handmade-1.0-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(payload > u32::MAX as u64 / 2);
    zip.start_file("handmade-1.0.dist-info/METADATA", stored)
        .unwrap();
    zip.write_all(metadata.as_bytes()).unwrap();
    zip.start_file("handmade-1.0.dist-info/WHEEL", stored)
        .unwrap();
    zip.write_all(
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    )
    .unwrap();
    if payload > 0 {
        zip.start_file("handmade/data.bin", stored).unwrap();
        let chunk = vec![0u8; 1024 * 1024];
        let mut left = payload;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            zip.write_all(&chunk[..n]).unwrap();
            left -= n as u64;
        }
    }
    zip.start_file("handmade-1.0.dist-info/RECORD", stored)
        .unwrap();
    let mut record = String::from(
        "handmade-1.0.dist-info/METADATA,,\nhandmade-1.0.dist-info/WHEEL,,\nhandmade-1.0.dist-info/RECORD,,\n",
    );
    if payload > 0 {
        record.push_str("handmade/data.bin,,\n");
    }
    zip.write_all(record.as_bytes()).unwrap();
    zip.finish().unwrap();
    path
}

#[test]
fn fields_newer_than_the_metadata_version_are_left_out_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    handmade_wheel(
        dir.path(),
        "Metadata-Version: 2.1\nName: handmade\nVersion: 1.0\nSummary: by hand\nLicense-File: LICENSE\nLicense-Expression: MIT\nProvides-Extra: x\n\nBody text\n",
        0,
    );
    let index = ok_index();
    let out = publish(&index, dir.path(), &[]);
    out.assert_ok();
    assert!(
        out.stdout.contains("::notice::")
            && out
                .stdout
                .contains("License-File (2.4), License-Expression (2.4)"),
        "{}",
        out.stdout
    );
    let fields = index.uploads()[0].fields();
    assert!(
        fields
            .iter()
            .all(|(k, _)| k != "license_file" && k != "license_expression")
    );
    assert!(fields.contains(&("provides_extra".into(), "x".into())));
    assert!(fields.contains(&("description".into(), "Body text\n".into())));

    let bad = tempfile::tempdir().unwrap();
    handmade_wheel(
        bad.path(),
        "Metadata-Version: 2.0\nName: other\nVersion: 1.0\n",
        0,
    );
    let index = ok_index();
    publish(&index, bad.path(), &[]).assert_failed_with(&[
        "would refuse",
        "[name-mismatch] the file name says project `handmade` but the metadata says `other`",
        "verify-metadata",
    ]);
    assert!(index.requests().is_empty());
    let sent = publish(&index, bad.path(), &[("verify-metadata", "false")]);
    sent.assert_ok();
    assert!(
        sent.stdout.contains("::warning::")
            && sent
                .stdout
                .contains("sent anyway because `verify-metadata` is false"),
        "{}",
        sent.stdout
    );
}

#[test]
fn attestations_beside_a_dist_are_sent() {
    let index = ok_index();
    let dir = dists();
    let sdist = dir.path().join("fake_hatchling-3.1.4.tar.gz");
    let attestation = dir
        .path()
        .join("fake_hatchling-3.1.4.tar.gz.publish.attestation");
    std::fs::write(
        &attestation,
        r#"{"version": 1, "envelope": {"statement": "eyJ9", "signature": "c2ln"}}"#,
    )
    .unwrap();
    assert!(sdist.exists());
    let out = publish(&index, dir.path(), &[]);
    out.assert_ok();
    assert!(!out.stdout.contains("ignoring"), "{}", out.stdout);
    let sent: Vec<Vec<(String, String)>> = index
        .uploads()
        .iter()
        .map(slipway_testkit::serve::Request::fields)
        .collect();
    let att = sent[0].iter().find(|(k, _)| k == "attestations").unwrap();
    let value: serde_json::Value = serde_json::from_str(&att.1).unwrap();
    assert_eq!(value[0]["version"], 1);
    assert!(
        sent[1].iter().all(|(k, _)| k != "attestations"),
        "the wheel has none"
    );
}

#[test]
fn a_one_gib_dist_uploads_with_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = handmade_wheel(
        dir.path(),
        "Metadata-Version: 2.1\nName: handmade\nVersion: 1.0\n",
        1 << 30,
    );
    let size = std::fs::metadata(&wheel).unwrap().len();
    let index = ok_index();
    let upload = format!("{}/legacy/", index.base);
    let simple = format!("{}/simple/", index.base);
    let (out, peak_kib) = common::run_measured(
        &[
            ("packages-dir", dir.path().to_str().unwrap()),
            ("repository-url", &upload),
            ("index-url", &simple),
            ("password", TOKEN),
        ],
        &[],
    );
    out.assert_ok();
    let upload = &index.uploads()[0];
    assert!(upload.body.is_empty(), "a big body is counted, not kept");
    let received = upload.received;
    assert!(
        received > size,
        "the whole file was sent ({received} of {size})"
    );
    assert!(
        out.stderr
            .contains("uploading handmade-1.0-py3-none-any.whl: 50%"),
        "{}",
        out.stderr
    );
    eprintln!("peak RSS uploading {size} bytes: {peak_kib} KiB");
    assert!(
        peak_kib > 0 && peak_kib < 64 * 1024,
        "peak RSS {peak_kib} KiB"
    );
}
