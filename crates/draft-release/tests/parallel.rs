//! Assets upload side by side (`max-parallel`): never more at once than asked, the manifest
//! last and alone, outputs in a fixed order, and a failure in the middle of a batch that a
//! re-run finishes with each file uploaded once.

mod common;

use std::time::Duration;

use common::*;
use slipway_testkit::github::{FakeGitHub, Fault, Match, RouteKind, max_concurrency};
use slipway_testkit::harness::Harness;

/// Twelve wheels of [`VERSION`], each with its own bytes; returns their names in name order.
fn twelve_wheels(h: &Harness) -> Vec<String> {
    let names: Vec<String> = (10..22)
        .map(|n| format!("widgets-1.2.0-cp3{n}-cp3{n}-manylinux_2_17_x86_64.whl"))
        .collect();
    for name in &names {
        h.write_file(format!("dist/{name}"), dist_bytes(name, 1));
    }
    names
}

/// The release holds exactly `names` and `SHA256SUMS`, each with the local bytes (and the
/// manifest listing them), each name once.
fn assert_all_attached(fake: &FakeGitHub, h: &Harness, release_id: u64, names: &[String]) {
    let assets = assets_by_name(fake, release_id);
    let mut expected: Vec<&str> = names.iter().map(String::as_str).collect();
    expected.push("SHA256SUMS");
    expected.sort_unstable();
    let got: Vec<&str> = assets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(got, expected);
    let manifest = assets.iter().find(|(n, _)| n == "SHA256SUMS").unwrap();
    let manifest = String::from_utf8(fake.asset_bytes(manifest.1.id)).unwrap();
    for name in names {
        let local = std::fs::read(h.workspace().join("dist").join(name)).unwrap();
        let (_, asset) = assets.iter().find(|(n, _)| n == name).unwrap();
        assert!(fake.asset_bytes(asset.id) == local, "{name} differs");
        assert!(
            manifest.contains(&format!("{}  {name}", sha256(&local))),
            "{manifest}"
        );
    }
}

/// Every upload takes a while, so uploads that may overlap do.
fn slow_uploads(fake: &FakeGitHub) {
    fake.inject(Fault::delay(
        Match::route(RouteKind::UploadAsset).always(),
        Duration::from_millis(120),
    ));
}

#[test]
fn at_most_max_parallel_uploads_run_at_once_and_the_manifest_goes_last_alone() {
    for (max_parallel, expected) in [("3", 3), ("1", 1)] {
        let fake = fake();
        slow_uploads(&fake);
        let h = step(&fake).input("max-parallel", max_parallel);
        let names = twelve_wheels(&h);
        let run = h.run().assert_success();
        let uploads = fake.requests_to(RouteKind::UploadAsset);
        assert_eq!(uploads.len(), 13, "twelve wheels and the manifest");
        let (manifest, wheels): (Vec<_>, Vec<_>) = uploads
            .into_iter()
            .partition(|r| r.query.as_deref().unwrap_or("").contains("SHA256SUMS"));
        assert_eq!(
            max_concurrency(&wheels),
            expected,
            "max-parallel {max_parallel}"
        );
        let last_wheel = wheels.iter().map(|r| r.finished).max().unwrap();
        assert!(
            manifest[0].started >= last_wheel,
            "the manifest waits for every wheel"
        );
        // Outputs are in a fixed (name) order whatever order the uploads ended in.
        let listed: Vec<String> = run
            .output_json("assets")
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect();
        let mut expected_names = names.clone();
        expected_names.push("SHA256SUMS".into());
        expected_names.sort();
        assert_eq!(listed, expected_names);
        assert_all_attached(&fake, &h, only_draft(&fake).id, &names);
        assert_clean(&fake, &run);
    }
}

#[test]
fn a_failure_mid_batch_stops_new_uploads_and_a_rerun_uploads_each_missing_file_once() {
    let fake = fake();
    // The fifth upload is refused for good (a 400 is not retried); four run at a time. (The
    // first fault that matches a request fires: this one goes before the delay.)
    fake.inject(Fault::status(
        Match::route(RouteKind::UploadAsset).nth(5),
        400,
    ));
    slow_uploads(&fake);
    let h = step(&fake).input("max-parallel", "4");
    let names = twelve_wheels(&h);
    let run = h.run().assert_failure();
    assert!(
        run.stderr.contains("no further upload starts"),
        "{}",
        run.stderr
    );
    let first = fake.requests_to(RouteKind::UploadAsset);
    // The failed one, plus at most the three running beside it: nothing new started after it.
    assert!(first.len() <= 8, "{} uploads started", first.len());
    let draft = only_draft(&fake);
    let attached: Vec<String> = fake.assets(draft.id).into_iter().map(|a| a.name).collect();
    assert!(attached.len() < names.len(), "{attached:?}");
    assert!(!attached.iter().any(|n| n == "SHA256SUMS"), "{attached:?}");

    fake.clear_faults();
    fake.clear_requests();
    let rerun = h.run().assert_success();
    let uploaded: Vec<String> = fake
        .requests_to(RouteKind::UploadAsset)
        .into_iter()
        .map(|r| r.query.unwrap_or_default())
        .collect();
    // Each file missing after the first run went up once; none already attached went again.
    assert_eq!(
        uploaded.len(),
        names.len() - attached.len() + 1,
        "{uploaded:?}"
    );
    for name in &attached {
        assert!(
            !uploaded.iter().any(|q| q.contains(name.as_str())),
            "{name} uploaded twice"
        );
    }
    assert_eq!(only_draft(&fake).id, draft.id);
    assert_all_attached(&fake, &h, draft.id, &names);
    assert_clean(&fake, &rerun);
}
