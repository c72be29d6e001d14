//! Promotion (`promote-from`) and read-back (`verify-uploaded`) against two real indexes started
//! here, pypiserver as staging and devpi-server as production: identical bytes are promoted and
//! read back; a file missing on staging or with other bytes there uploads nothing and names
//! both digests; a staging index answering 5xx then recovering is waited for through the
//! transport's retries; production's credentials never reach the staging origin; an index that
//! takes uploads but never serves them fails the read-back.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Outcome, PASSWORD, USER, build_dists, devpi, http, pypiserver, run};
use slipway_testkit::hostile::{Behaviour, EchoFormat, HostileServer, Rule};

/// Fast retries and a short read-back wait, so failures show quickly.
const FAST: &[(&str, &str)] = &[
    ("SLIPWAY_RETRY_ATTEMPTS", "4"),
    ("SLIPWAY_RETRY_UNIT_MS", "10"),
    ("SLIPWAY_VERIFY_WAIT", "2"),
];

fn staging_simple() -> String {
    format!("{}simple/", pypiserver().url)
}

fn production_simple() -> String {
    format!("{}+simple/", devpi().url)
}

/// Publishes `dir` to staging (pypiserver) with the test credentials.
fn to_staging(dir: &Path) -> Outcome {
    let staging = pypiserver();
    run(
        &[
            ("packages-dir", dir.to_str().unwrap()),
            ("repository-url", &staging.url),
            ("index-url", &staging_simple()),
            ("user", USER),
            ("password", PASSWORD),
        ],
        FAST,
    )
}

/// Promotes `dir` to production (devpi) from `from`, reading back what was uploaded.
fn promote(dir: &Path, from: &str, extra: &[(&str, &str)]) -> Outcome {
    let production = devpi();
    let mut inputs = vec![
        ("packages-dir", dir.to_str().unwrap()),
        ("repository-url", production.url.as_str()),
        ("user", USER),
        ("password", PASSWORD),
        ("verify-uploaded", "true"),
        ("promote-from", from),
    ];
    let simple = production_simple();
    inputs.push(("index-url", &simple));
    inputs.extend_from_slice(extra);
    let out = run(&inputs, FAST);
    assert!(!out.leaks(PASSWORD), "password leaked:\n{}", out.all_text());
    out
}

fn files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().into_string().unwrap(), e.path())
        })
        .collect();
    files.sort();
    files
}

fn sha(path: &Path) -> String {
    common::fake::sha256(&std::fs::read(path).unwrap())
}

/// What production's simple page for `name` says (an empty text when it has no such project).
fn production_page(name: &str) -> String {
    let (status, body) = http(
        "GET",
        &format!("{}{name}/", production_simple()),
        None,
        "",
        Duration::from_secs(30),
    )
    .unwrap();
    if status == 200 { body } else { String::new() }
}

/// Publishes `dir` to a fake index (`/legacy/`, `/simple/`) with the [`FAST`] bounds.
fn to_fake(index: &common::fake::Fake, dir: &Path, extra: &[(&str, &str)]) -> Outcome {
    let upload = format!("{}/legacy/", index.base);
    let simple = format!("{}/simple/", index.base);
    let mut inputs = vec![
        ("packages-dir", dir.to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
        ("password", common::fake::TOKEN),
    ];
    inputs.extend_from_slice(extra);
    let out = run(&inputs, FAST);
    assert!(!out.leaks(common::fake::TOKEN), "{}", out.all_text());
    out
}

#[test]
fn identical_bytes_are_promoted_with_their_proof_and_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-same", "1.0.0", tmp.path());
    to_staging(&dist).assert_ok();
    let out = promote(&dist, &staging_simple(), &[]);
    out.assert_ok();
    assert_eq!(out.list("uploaded").len(), 2, "{}", out.all_text());
    let verified: Vec<serde_json::Value> = serde_json::from_str(&out.outputs["verified"]).unwrap();
    assert_eq!(verified.len(), 2, "{verified:?}");
    for (name, path) in files(&dist) {
        let sha = sha(&path);
        // The proof (file, sha256, where staging serves it) and the read-back, in the summary.
        assert!(
            out.summary
                .contains(&format!("`{name}` | `{sha}` | {}", pypiserver().url)),
            "{}",
            out.summary
        );
        assert!(
            verified
                .iter()
                .any(|v| v["file"] == name.as_str() && v["sha256"] == sha.as_str())
        );
    }
    assert!(out.summary.contains("### Promotion") && out.summary.contains("### Read back"));
    // A re-run skips both files, proves them again and reads them back again.
    let again = promote(&dist, &staging_simple(), &[]);
    again.assert_ok();
    assert_eq!(again.list("skipped").len(), 2, "{}", again.all_text());
    assert_eq!(again.list("uploaded"), Vec::<String>::new());
    assert!(again.outputs["verified"].contains("promo_same"));
}

#[test]
fn a_file_missing_on_staging_uploads_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-missing", "1.0.0", tmp.path());
    // Only the wheel went to staging.
    let staged = tmp.path().join("staged");
    std::fs::create_dir_all(&staged).unwrap();
    let (wheel, _) = files(&dist)
        .into_iter()
        .find(|(n, _)| n.ends_with(".whl"))
        .unwrap();
    std::fs::copy(dist.join(&wheel), staged.join(&wheel)).unwrap();
    to_staging(&staged).assert_ok();
    let (sdist, sdist_path) = files(&dist)
        .into_iter()
        .find(|(n, _)| n.ends_with(".tar.gz"))
        .unwrap();
    let out = promote(&dist, &staging_simple(), &[]);
    out.assert_failed_with(&[
        "not promoting: 1 of 2 file(s)",
        &format!(
            "`{sdist}`: not on the staging index (local sha256 `{}`)",
            sha(&sdist_path)
        ),
        "nothing was uploaded",
        "hint: ",
    ]);
    assert_eq!(out.list("uploaded"), Vec::<String>::new());
    assert!(!production_page("promo-missing").contains("promo_missing"));
}

#[test]
fn other_bytes_on_staging_upload_nothing_and_name_both_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let tested = build_dists("hatchling", "promo-other", "1.0.0", &tmp.path().join("a"));
    to_staging(&tested).assert_ok();
    // A rebuild of the same version: same names, other bytes.
    let rebuilt = build_dists("setuptools", "promo-other", "1.0.0", &tmp.path().join("b"));
    let sdist = |dir: &Path| {
        files(dir)
            .into_iter()
            .find(|(n, _)| n.ends_with(".tar.gz"))
            .unwrap()
    };
    let ((name, old), (new_name, new)) = (sdist(&tested), sdist(&rebuilt));
    assert_eq!(name, new_name);
    let out = promote(&rebuilt, &staging_simple(), &[]);
    out.assert_failed_with(&[
        &format!(
            "`{name}`: other bytes on the staging index (staging sha256 `{}`, local sha256 `{}`)",
            sha(&old),
            sha(&new)
        ),
        "nothing was uploaded",
    ]);
    assert!(!production_page("promo-other").contains("promo_other"));
}

#[test]
fn a_staging_index_answering_5xx_then_recovering_is_waited_for() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-flaky", "1.0.0", tmp.path());
    to_staging(&dist).assert_ok();
    let proxy = HostileServer::proxy(&pypiserver().url);
    let failing = proxy.add(
        Rule::prefix(
            "/simple/",
            Behaviour::respond(503, "text/plain", "staging is restarting"),
        )
        .times(2),
    );
    let out = promote(&dist, &format!("{}/simple/", proxy.url()), &[]);
    out.assert_ok();
    assert_eq!(proxy.hits(failing), 2);
    assert_eq!(out.list("uploaded").len(), 2, "{}", out.all_text());
}

#[test]
fn production_credentials_never_reach_the_staging_origin() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-echo", "1.0.0", tmp.path());
    // A staging index that echoes every header it gets, as a 200 HTML page and as an error.
    for status in [200, 500] {
        let staging = HostileServer::start()
            .with(Rule::any(Behaviour::echo_headers(status, EchoFormat::Html)));
        let out = promote(&dist, &format!("{}/simple/", staging.url()), &[]);
        out.assert_failed_with(&["not promoting", "hint: "]);
        let seen = staging.requests();
        assert!(!seen.is_empty());
        assert!(seen.iter().all(|r| r.authorization().is_none()), "{seen:?}");
        common::hostile::assert_no_leak(&out, &common::hostile::basic_forms(USER, PASSWORD));
    }
    assert!(!production_page("promo-echo").contains("promo_echo"));
}

#[test]
fn the_read_back_catches_a_file_the_index_does_not_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-unserved", "1.0.0", tmp.path());
    // Takes every upload, lists nothing.
    let index = common::fake::index(|req, _| {
        (req.method == "GET").then(|| common::fake::Reply::new(404, "text/plain", "not found"))
    });
    let out = to_fake(&index, &dist, &[("verify-uploaded", "true")]);
    out.assert_failed_with(&[
        "read-back: the index",
        "does not serve",
        "looked for",
        "hint: check `index-url`",
    ]);
    // Both files were uploaded (and say so), then the read-back failed.
    assert_eq!(out.list("uploaded").len(), 2, "{}", out.all_text());
    assert_eq!(out.outputs["verified"], "[]");
    assert!(
        out.summary.contains("**Read-back failed:**"),
        "{}",
        out.summary
    );
    let pages = index
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert!(pages >= 2, "looked again within the wait: {pages}");
}

#[test]
fn the_read_back_waits_for_a_page_that_lags_behind_the_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-lagging", "1.0.0", tmp.path());
    // After the uploads, the page goes on showing nothing for its next three reads (a cache).
    let mut uploads = 0;
    let mut stale_reads = 0;
    let index = common::fake::index(move |req, _| {
        uploads += usize::from(common::fake::Fake::is_upload(req));
        let stale = uploads == 2 && req.method == "GET" && stale_reads < 3;
        stale_reads += usize::from(stale);
        stale.then(|| common::fake::Reply::new(404, "text/plain", "not found"))
    });
    let out = to_fake(&index, &dist, &[("verify-uploaded", "true")]);
    out.assert_ok();
    let verified: Vec<serde_json::Value> = serde_json::from_str(&out.outputs["verified"]).unwrap();
    assert_eq!(verified.len(), 2, "{}", out.all_text());
    assert!(
        out.stderr.contains("not listed yet; looking again"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_read_back_is_off_by_default_for_other_indexes() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = build_dists("hatchling", "promo-noverify", "1.0.0", tmp.path());
    let index = common::fake::index(|_, _| None);
    let out = to_fake(&index, &dist, &[]);
    out.assert_ok();
    assert_eq!(out.outputs["verified"], "[]");
    let on = to_fake(&index, &dist, &[("verify-uploaded", "true")]);
    on.assert_ok();
    assert_eq!(on.list("skipped").len(), 2);
    let verified: Vec<serde_json::Value> = serde_json::from_str(&on.outputs["verified"]).unwrap();
    assert_eq!(verified.len(), 2, "{}", on.all_text());
}
