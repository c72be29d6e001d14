//! What draft-release shows its user, snapshotted (`snapshots/`): the step summary and the
//! annotations of a fresh draft with two files, of a re-run that replaces a rebuilt wheel after a
//! retried upload, and of a release that is already published. Ports, paths and timings are
//! filtered by `slipway_testkit::snapshot`; the files have fixed content, so sizes and sha256
//! stay put. A change of wording shows in review (CONTRIBUTING.md, "Snapshots").

mod common;

use common::*;
use slipway_testkit::github::{Fault, Match, ReleaseSeed, RouteKind};
use slipway_testkit::snapshot::Sections;

#[test]
fn a_fresh_draft_with_two_files() {
    let fake = fake();
    fake.add_release(ReleaseSeed::new("v1.1.0"));
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let text = Sections::default()
        .step("fresh", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("fresh_draft", text);
}

#[test]
fn a_rerun_replacing_a_rebuilt_wheel_after_a_retried_upload() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    h.run().assert_success();
    h.write_file(format!("dist/{WHEEL}"), dist_bytes(WHEEL, 2));
    fake.inject(Fault::upload_fails_after_create(Match::route(
        RouteKind::UploadAsset,
    )));
    let run = h.run().assert_success();
    assert_clean(&fake, &run);
    let text = Sections::default()
        .step("re-run", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("rerun_replaced_and_retried", text);
}

#[test]
fn a_release_already_published() {
    let fake = fake();
    let id = fake.add_release(ReleaseSeed::new(TAG));
    fake.add_asset(id, SDIST, b"old bytes", true);
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_failure();
    assert_clean(&fake, &run);
    let text = Sections::default()
        .step("published", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("already_published", text);
}
