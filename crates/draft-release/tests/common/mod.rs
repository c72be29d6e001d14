//! Shared setup for the draft-release tests: a step against the fake GitHub, fixture dists,
//! and end-state checks that every test repeats.
#![allow(dead_code)]

use std::process::Command;

use sha2::Digest as _;
use slipway_testkit::github::{Asset, AssetState, FakeGitHub, Release};
use slipway_testkit::harness::{Harness, RunResult};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_draft-release");
/// The repository every fake holds.
pub(crate) const REPO: &str = "octo/widgets";
/// The version (and tag) the fixtures release.
pub(crate) const VERSION: &str = "1.2.0";
/// The tag of [`VERSION`].
pub(crate) const TAG: &str = "v1.2.0";
/// The fixture files, as written under `dist/`.
pub(crate) const SDIST: &str = "widgets-1.2.0.tar.gz";
/// The fixture wheel.
pub(crate) const WHEEL: &str = "widgets-1.2.0-py3-none-any.whl";

/// A fake with the one repository.
pub(crate) fn fake() -> FakeGitHub {
    FakeGitHub::with_repo(REPO)
}

/// A step running draft-release against `fake` for [`VERSION`], with fast retries and the
/// default `dist/*`.
pub(crate) fn step(fake: &FakeGitHub) -> Harness {
    Harness::new(BIN)
        .github(fake)
        .env("SLIPWAY_RETRY_UNIT_MS", "5")
        .input("version", VERSION)
}

/// Bytes of a fixture file, different per `build` (a rebuild gives other bytes).
pub(crate) fn dist_bytes(name: &str, build: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    for i in 0..2000u32 {
        bytes.extend_from_slice(format!("{name} build {build} line {i}\n").as_bytes());
    }
    bytes
}

/// Writes the sdist and the wheel of `build` into `dist/`.
pub(crate) fn write_dists(h: &Harness, build: u32) {
    for name in [SDIST, WHEEL] {
        h.write_file(format!("dist/{name}"), dist_bytes(name, build));
    }
}

/// SHA-256 as lowercase hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The drafts for [`TAG`] in the fake.
pub(crate) fn drafts(fake: &FakeGitHub) -> Vec<Release> {
    fake.releases(REPO)
        .into_iter()
        .filter(|r| r.draft && r.tag_name == TAG)
        .collect()
}

/// The only draft for [`TAG`]; panics when there are none or several.
pub(crate) fn only_draft(fake: &FakeGitHub) -> Release {
    let d = drafts(fake);
    assert_eq!(d.len(), 1, "expected exactly one draft for {TAG}: {d:#?}");
    d.into_iter().next().unwrap()
}

/// The release's assets by name, each checked to be complete.
pub(crate) fn assets_by_name(fake: &FakeGitHub, release_id: u64) -> Vec<(String, Asset)> {
    let mut v: Vec<(String, Asset)> = fake
        .assets(release_id)
        .into_iter()
        .map(|a| (a.name.clone(), a))
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, a) in &v {
        assert_eq!(a.state, AssetState::Uploaded, "{a:#?}");
    }
    v
}

/// Asserts the release holds exactly the workspace's dists plus a SHA256SUMS that the real
/// `sha256sum`, run in `dist/`, agrees with; returns the asset names.
pub(crate) fn assert_release_matches_dist(fake: &FakeGitHub, h: &Harness, release_id: u64) {
    let assets = assets_by_name(fake, release_id);
    let names: Vec<&str> = assets.iter().map(|(n, _)| n.as_str()).collect();
    let mut expected = vec!["SHA256SUMS", SDIST, WHEEL];
    expected.sort();
    assert_eq!(names, expected);
    for (name, asset) in &assets {
        let stored = fake.asset_bytes(asset.id);
        if name != "SHA256SUMS" {
            let local = std::fs::read(h.workspace().join("dist").join(name)).unwrap();
            assert!(stored == local, "asset {name} differs from the local file");
        }
        assert_eq!(
            asset.digest.as_deref(),
            Some(format!("sha256:{}", sha256(&stored)).as_str())
        );
    }
    let sums = assets.iter().find(|(n, _)| n == "SHA256SUMS").unwrap();
    let manifest = String::from_utf8(fake.asset_bytes(sums.1.id)).unwrap();
    let independent = Command::new("sha256sum")
        .args([SDIST, WHEEL])
        .current_dir(h.workspace().join("dist"))
        .output()
        .expect("run sha256sum");
    assert!(independent.status.success());
    let mut lines: Vec<String> = String::from_utf8(independent.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    assert_eq!(manifest, format!("{}\n", lines.join("\n")));
}

/// Requests that write (create, update, delete, upload).
pub(crate) fn writes(fake: &FakeGitHub) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.route))
        .collect()
}

/// Checks every run leaves: no request the fake did not know, and the token nowhere in what a
/// person or a later step can see.
pub(crate) fn assert_clean(fake: &FakeGitHub, run: &RunResult) {
    assert!(
        fake.unexpected_requests().is_empty(),
        "{:#?}",
        fake.unexpected_requests()
    );
    assert!(
        !run.all_text().contains(&fake.token()),
        "the token leaked:\n{}",
        run.all_text()
    );
    assert!(
        run.masks().contains(&fake.token()),
        "the token was not masked"
    );
}

/// The outputs that must not change between runs that change nothing.
pub(crate) fn stable_outputs(run: &RunResult) -> Vec<(String, String)> {
    ["release-id", "url", "upload-url", "tag", "assets"]
        .iter()
        .map(|n| (n.to_string(), run.output(n).to_string()))
        .collect()
}
