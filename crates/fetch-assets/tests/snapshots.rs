//! What fetch-assets shows its user, snapshotted (`snapshots/`): the step summary and the
//! annotations of a release fetched and verified, and of a wheel whose bytes differ from its
//! GitHub digest. Ports, paths and timings are filtered by `slipway_testkit::snapshot`; the files
//! have fixed content, so sizes and sha256 stay put. A change of wording shows in review
//! (CONTRIBUTING.md, "Snapshots").

mod common;

use common::{assert_clean, bytes_for, step, sums};
use slipway_testkit::github::{FakeGitHub, Fault, Match, ReleaseSeed};
use slipway_testkit::snapshot::Sections;

const WHEEL: &str = "demo-1.0.0-py3-none-any.whl";
const SDIST: &str = "demo-1.0.0.tar.gz";

/// A fake holding `v1.0.0` with a wheel and an sdist (digests recorded) and a SHA256SUMS listing
/// both; returns it with the wheel's asset id.
fn release() -> (FakeGitHub, u64) {
    let fake = FakeGitHub::with_repo("octo/demo");
    let wheel = bytes_for("wheel", 70_000);
    let sdist = bytes_for("sdist", 50_000);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let wheel_id = fake.add_asset(id, WHEEL, &wheel, true);
    fake.add_asset(id, SDIST, &sdist, true);
    let manifest = sums(&[(WHEEL, &wheel), (SDIST, &sdist)]);
    fake.add_asset(id, "SHA256SUMS", manifest.as_bytes(), true);
    (fake, wheel_id)
}

#[test]
fn a_release_fetched_and_verified() {
    let (fake, _) = release();
    let run = step(&fake).input("tag", "v1.0.0").run().assert_success();
    assert_clean(&fake, &run);
    let text = Sections::default()
        .step("v1.0.0", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("fetched", text);
}

#[test]
fn a_wheel_that_differs_from_its_digest() {
    let (fake, wheel_id) = release();
    fake.inject(Fault::corrupt(
        Match::path("GET", &format!("/release-assets/{wheel_id}/")).always(),
    ));
    let run = step(&fake).input("tag", "v1.0.0").run().assert_failure();
    assert_clean(&fake, &run);
    let text = Sections::default()
        .step("v1.0.0, wheel corrupted", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("digest_mismatch", text);
}
