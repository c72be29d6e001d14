//! What pypi-publish shows its user, snapshotted (`snapshots/`): the step summary and the
//! annotations of an upload to the fake index and its re-run that skips every file, and of an
//! upload the index rejects half-way. Ports, paths and timings are filtered by
//! `slipway_testkit::snapshot`; the dists are made by hand with fixed content (no timestamps), so
//! sizes and hashes stay put. A change of wording shows in review (CONTRIBUTING.md, "Snapshots").

mod common;

use common::fake::{self, Fake, Reply, publish};
use common::handmade::{sdist, wheel};
use slipway_testkit::snapshot::Sections;

/// A wheel and an sdist of `snapshot-demo` 1.0, the same bytes every time.
fn dists() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let metadata = "Metadata-Version: 2.1\nName: snapshot-demo\nVersion: 1.0\nSummary: A fixture with fixed bytes\n";
    wheel(
        dir.path(),
        "snapshot_demo-1.0-py3-none-any.whl",
        metadata,
        &[("snapshot_demo/__init__.py", "VALUE = 42\n")],
    );
    sdist(dir.path(), "snapshot_demo-1.0.tar.gz", metadata, &[]);
    dir
}

#[test]
fn an_upload_then_a_rerun_that_skips_every_file() {
    let index = fake::index(|_, _| None);
    let dir = dists();
    let first = publish(&index, dir.path(), &[]);
    first.assert_ok();
    let again = publish(&index, dir.path(), &[]);
    again.assert_ok();
    assert_eq!(index.uploads().len(), 2, "no upload on the re-run");
    let text = Sections::default()
        .step("upload", &first.summary, &first.stdout)
        .step("re-run", &again.summary, &again.stdout)
        .text();
    insta::assert_snapshot!("uploaded_then_skipped", text);
}

#[test]
fn the_second_upload_rejected_by_the_index() {
    let mut uploads = 0;
    let index = fake::index(move |req, _| {
        uploads += usize::from(Fake::is_upload(req));
        (Fake::is_upload(req) && uploads == 2).then(|| {
            Reply::new(
                400,
                "text/html",
                "<html><title>400 'Foo :: Bar' is not a valid classifier.</title></html>",
            )
        })
    });
    let out = publish(&index, dists().path(), &[]);
    assert_eq!(out.code, 1, "{}", out.all_text());
    let text = Sections::default()
        .step("rejected", &out.summary, &out.stdout)
        .text();
    insta::assert_snapshot!("second_upload_rejected", text);
}

#[test]
fn a_promotion_with_its_proof_and_the_read_back_then_a_refused_one() {
    let staging = fake::index(|_, _| None);
    let production = fake::index(|_, _| None);
    let dir = dists();
    publish(&staging, dir.path(), &[]).assert_ok();
    let from = format!("{}/simple/", staging.base);
    let promoted = publish(
        &production,
        dir.path(),
        &[("promote-from", &from), ("verify-uploaded", "true")],
    );
    promoted.assert_ok();
    // The same names with other bytes: refused before anything is uploaded.
    let other = tempfile::tempdir().unwrap();
    let metadata = "Metadata-Version: 2.1\nName: snapshot-demo\nVersion: 1.0\nSummary: A fixture with fixed bytes\n";
    wheel(
        other.path(),
        "snapshot_demo-1.0-py3-none-any.whl",
        metadata,
        &[("snapshot_demo/__init__.py", "VALUE = 43\n")],
    );
    let refused = publish(&production, other.path(), &[("promote-from", &from)]);
    assert_eq!(refused.code, 1, "{}", refused.all_text());
    assert_eq!(production.uploads().len(), 2);
    let text = Sections::default()
        .step("promoted", &promoted.summary, &promoted.stdout)
        .step("refused", &refused.summary, &refused.stdout)
        .text();
    insta::assert_snapshot!("promoted_then_refused", text);
}
