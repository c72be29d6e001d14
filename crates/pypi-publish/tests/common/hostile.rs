//! Helpers for the runs against hostile servers (`slipway_testkit::hostile`): small handmade
//! wheels, shortened time bounds, an index served by rules, and the forms a secret takes. The
//! GitHub side of trusted publishing is the well-behaved double (`doubles::oidc`) unless a test
//! makes it misbehave.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use slipway_testkit::doubles::oidc::{self, GitHubOidc, TokenIssuer};
use slipway_testkit::hostile::{Behaviour, HostileServer, Rule, SeenRequest};

use super::{Outcome, run_within};

/// The API token of the token runs.
pub(crate) const TOKEN: &str = "pypi-hostileTOKEN-0123456789abcdef";

/// The bounds every hostile run gets: half-second silences, a one-second connect timeout, three
/// attempts 10 ms apart, a low-speed rule of 1 KiB/s over half a second, and a 10 s deadline so
/// that a missed bound fails the test instead of hanging it.
pub(crate) const FAST: &[(&str, &str)] = &[
    ("SLIPWAY_RETRY_ATTEMPTS", "3"),
    ("SLIPWAY_RETRY_UNIT_MS", "10"),
    ("SLIPWAY_CONNECT_TIMEOUT", "1"),
    ("SLIPWAY_SILENT_TIMEOUT", "0.5"),
    ("SLIPWAY_LOW_SPEED_LIMIT", "1024"),
    ("SLIPWAY_LOW_SPEED_TIME", "0.5"),
    ("SLIPWAY_DEADLINE", "10"),
];

/// The longest a hostile run may take with [`FAST`] bounds.
pub(crate) const BOUND: Duration = Duration::from_secs(20);

/// When a hostile run is killed as hung (a test failure, not a stalled suite).
pub(crate) const HUNG: Duration = Duration::from_secs(60);

/// Writes `<name>-1.0-py3-none-any.whl` into `dir`: METADATA, WHEEL, RECORD and a stored
/// payload of `payload` bytes (a counter pattern, so two sizes never share a hash).
pub(crate) fn wheel(dir: &Path, name: &str, payload: u64) -> PathBuf {
    use std::io::Write as _;
    let path = dir.join(format!("{name}-1.0-py3-none-any.whl"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let info = format!("{name}-1.0.dist-info");
    zip.start_file(format!("{info}/METADATA"), stored).unwrap();
    write!(
        zip,
        "Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nSummary: hostile fixture\n"
    )
    .unwrap();
    zip.start_file(format!("{info}/WHEEL"), stored).unwrap();
    zip.write_all(
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    )
    .unwrap();
    zip.start_file(format!("{name}/data.bin"), stored).unwrap();
    let chunk: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let mut left = payload;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        zip.write_all(&chunk[..n]).unwrap();
        left -= n as u64;
    }
    zip.start_file(format!("{info}/RECORD"), stored).unwrap();
    write!(
        zip,
        "{info}/METADATA,,\n{info}/WHEEL,,\n{name}/data.bin,,\n{info}/RECORD,,\n"
    )
    .unwrap();
    zip.finish().unwrap();
    path
}

/// A directory with one small wheel of project `name`; returns it and the wheel's path.
pub(crate) fn one_wheel(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = wheel(dir.path(), name, 4096);
    (dir, path)
}

/// The wheel's file name.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// sha256 of a file, hex.
pub(crate) fn sha256_of(path: &Path) -> String {
    super::fake::sha256(&std::fs::read(path).unwrap())
}

/// A PEP 691 JSON project page listing `(filename, url, sha256)`.
pub(crate) fn json_page(files: &[(&str, &str, Option<&str>)]) -> Behaviour {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(name, url, sha)| {
            let hashes = match sha {
                Some(s) => serde_json::json!({ "sha256": s }),
                None => serde_json::json!({}),
            };
            serde_json::json!({ "filename": name, "url": url, "hashes": hashes })
        })
        .collect();
    let body = serde_json::json!({ "meta": { "api-version": "1.1" }, "name": "x", "files": files });
    Behaviour::respond(200, "application/vnd.pypi.simple.v1+json", body.to_string())
}

/// A PEP 503 HTML project page listing `(filename, href)`.
pub(crate) fn html_page(files: &[(&str, &str)]) -> Behaviour {
    let links: String = files
        .iter()
        .map(|(name, href)| format!("<a href=\"{href}\">{name}</a><br>\n"))
        .collect();
    Behaviour::html(200, &format!("<html><body>\n{links}</body></html>"))
}

/// `Basic base64(user:password)`'s base64 part, padded.
pub(crate) fn basic64(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Every form of a Basic credential that must never be printed: the password, its JSON-escaped
/// form, and the base64 of `user:password` with and without padding.
pub(crate) fn basic_forms(user: &str, password: &str) -> Vec<String> {
    let json = serde_json::to_string(password).unwrap();
    let padded = basic64(user, password);
    vec![
        password.to_string(),
        json[1..json.len() - 1].to_string(),
        padded.trim_end_matches('=').to_string(),
        padded,
    ]
}

/// Panics when any of `forms` shows anywhere in the run's output but an `::add-mask::` line.
pub(crate) fn assert_no_leak(out: &Outcome, forms: &[String]) {
    for form in forms {
        assert!(!out.leaks(form), "`{form}` leaked:\n{}", out.all_text());
    }
}

/// Runs pypi-publish on `dir` against the index at `base` (upload `base/legacy/`, simple
/// `base/simple/`) with the [`FAST`] bounds; `inputs` and `env` add or replace. Returns the
/// outcome and how long the run took.
pub(crate) fn publish(
    base: &str,
    dir: &Path,
    inputs: &[(&str, &str)],
    env: &[(&str, &str)],
) -> (Outcome, Duration) {
    let upload = format!("{base}/legacy/");
    let simple = format!("{base}/simple/");
    let mut all = vec![
        ("packages-dir", dir.to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
        ("password", TOKEN),
    ];
    for (k, v) in inputs {
        all.retain(|(name, _)| name != k);
        all.push((k, v));
    }
    let mut environment: Vec<(&str, &str)> = FAST.to_vec();
    for (k, v) in env {
        environment.retain(|(name, _)| name != k);
        environment.push((k, v));
    }
    let started = Instant::now();
    let out = run_within(&all, &environment, HUNG);
    assert_ne!(
        out.code,
        -1,
        "pypi-publish hung for {HUNG:?}:\n{}",
        out.all_text()
    );
    (out, started.elapsed())
}

/// Panics unless the run failed within [`BOUND`] with every needle in its error output.
pub(crate) fn assert_failed_in_bound(out: &Outcome, took: Duration, needles: &[&str]) {
    assert!(took < BOUND, "the run took {took:?}:\n{}", out.all_text());
    out.assert_failed_with(needles);
    assert!(out.stderr.contains("hint: "), "no hint:\n{}", out.stderr);
}

/// The upload POSTs a server received (the index's `/legacy/`).
pub(crate) fn posts(server: &HostileServer) -> Vec<SeenRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path() == "/legacy/")
        .collect()
}

/// An index that takes every upload.
pub(crate) fn ok_upload() -> Rule {
    Rule::exact("/legacy/", Behaviour::respond(200, "text/plain", "OK")).method("POST")
}

/// The job's `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub(crate) const REQUEST_TOKEN: &str = "ghs_hostileREQUESTtoken0123456789";
/// The upload token a fake mint endpoint gives.
pub(crate) const MINTED: &str = "pypi-hostileMINTED-0123456789abcdef";

/// The GitHub OIDC token (a JWT with the claims PyPI matches on).
pub(crate) fn jwt() -> String {
    oidc::jwt(&serde_json::json!({
        "repository": "octo/pkg",
        "workflow_ref": "octo/pkg/.github/workflows/release.yml@refs/tags/v1.0",
        "job_workflow_ref": "octo/pkg/.github/workflows/release.yml@refs/tags/v1.0",
        "ref": "refs/tags/v1.0",
    }))
}

/// A well-behaved GitHub OIDC token endpoint (`slipway_testkit::doubles::oidc`) giving [`jwt`]
/// to [`REQUEST_TOKEN`] for the audience [`audience`] names.
pub(crate) fn github_oidc() -> GitHubOidc {
    GitHubOidc::start(TokenIssuer::new(REQUEST_TOKEN, "testpypi", &jwt()))
}

/// Runs a trusted-publishing publish against `index`, with `token_url` as
/// `ACTIONS_ID_TOKEN_REQUEST_URL`.
pub(crate) fn trusted(
    index: &HostileServer,
    token_url: &str,
    dir: &std::path::Path,
) -> (Outcome, std::time::Duration) {
    let (out, took) = publish(
        index.url(),
        dir,
        // Attestations have their own tests (tests/attestations.rs) against Sigstore doubles.
        &[("password", ""), ("attestations", "false")],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", token_url),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN),
        ],
    );
    for secret in [REQUEST_TOKEN, MINTED, jwt().as_str()] {
        assert!(!out.leaks(secret), "`{secret}` leaked:\n{}", out.all_text());
    }
    (out, took)
}

/// The index's `/_/oidc/audience`.
pub(crate) fn audience() -> Rule {
    Rule::exact(
        "/_/oidc/audience",
        Behaviour::json(200, &serde_json::json!({ "audience": "testpypi" })),
    )
    .method("GET")
}
