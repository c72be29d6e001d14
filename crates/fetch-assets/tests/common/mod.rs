//! Shared helpers: a harness pointed at the fake with fast retries, seeding, and looking at `dist`.

#![allow(dead_code)]

use std::path::Path;

use sha2::{Digest as _, Sha256};
use slipway_testkit::github::{FakeGitHub, Host, RequestRecord, RouteKind};
use slipway_testkit::harness::{Harness, RunResult};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_fetch-assets");

/// Lowercase hex SHA-256.
pub(crate) fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A `sha256sum`-style manifest for `files`.
pub(crate) fn sums(files: &[(&str, &[u8])]) -> String {
    files
        .iter()
        .map(|(n, b)| format!("{}  {n}\n", sha(b)))
        .collect()
}

/// Distinct bytes for a file, `len` long.
pub(crate) fn bytes_for(name: &str, len: usize) -> Vec<u8> {
    name.bytes().cycle().take(len).collect()
}

/// A step running fetch-assets against `fake`, retries in milliseconds.
pub(crate) fn step(fake: &FakeGitHub) -> Harness {
    Harness::new(BIN)
        .github(fake)
        .env("SLIPWAY_RETRY_UNIT_MS", "5")
}

/// Every entry of `dir` (hidden ones too), sorted; empty when it does not exist.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Requests that fetched asset bytes (API download routes and the storage host).
pub(crate) fn downloads(fake: &FakeGitHub) -> Vec<RequestRecord> {
    fake.requests()
        .into_iter()
        .filter(|r| {
            matches!(
                r.route,
                RouteKind::DownloadAsset | RouteKind::StorageDownload
            )
        })
        .collect()
}

/// Storage requests that delivered a whole body, per asset id in the path.
pub(crate) fn complete_storage_downloads(fake: &FakeGitHub, asset_id: u64, size: u64) -> usize {
    fake.requests()
        .iter()
        .filter(|r| {
            r.host == Host::Storage
                && r.status == 200
                && r.body_len == size
                && r.path.starts_with(&format!("/release-assets/{asset_id}/"))
        })
        .count()
}

/// Asserts the token shows up nowhere a person or a later step could see it, and that the fake
/// saw no request it does not serve.
pub(crate) fn assert_clean(fake: &FakeGitHub, run: &RunResult) {
    let token = fake.token();
    assert!(
        !run.all_text().contains(&token),
        "the token leaked:\n{}",
        run.all_text()
    );
    assert!(
        fake.unexpected_requests().is_empty(),
        "{:?}",
        fake.unexpected_requests()
    );
}
