//! draft-release run as the runner runs it, against the fake GitHub: fresh repository, re-runs,
//! rebuilt files, published releases, duplicate drafts, two runs at once.

mod common;

use std::time::Duration;

use common::*;
use slipway_testkit::github::{Fault, Match, ReleaseSeed, RouteKind};

#[test]
fn fresh_repo_gets_one_draft_with_every_file_and_a_matching_sha256sums() {
    let fake = fake();
    fake.add_release(ReleaseSeed::new("v1.1.0"));
    let h = step(&fake);
    write_dists(&h, 1);
    // uv writes a `.gitignore` into dist/: `*` does not match a leading dot.
    h.write_file("dist/.gitignore", "*\n");
    let run = h.run().assert_success();
    let draft = only_draft(&fake);
    assert_release_matches_dist(&fake, &h, draft.id);
    assert_eq!(run.output("release-id"), draft.id.to_string());
    assert_eq!(run.output("tag"), TAG);
    assert_eq!(run.output("created"), "true");
    assert!(run.output("upload-url").contains("{?name,label}"));
    assert!(!draft.prerelease);
    assert_eq!(draft.name.as_deref(), Some(TAG));
    assert_eq!(
        draft.target_commitish,
        slipway_testkit::harness::DEFAULT_SHA
    );
    // Notes generated against the previous release.
    assert!(
        draft.body.as_deref().unwrap_or("").contains("since v1.1.0"),
        "{:?}",
        draft.body
    );
    let assets = run.output_json("assets");
    let list = assets.as_array().unwrap();
    assert_eq!(list.len(), 3);
    for entry in list {
        let name = entry["name"].as_str().unwrap();
        let stored = fake
            .assets(draft.id)
            .into_iter()
            .find(|a| a.name == name)
            .unwrap();
        assert_eq!(entry["size"], stored.size);
        assert_eq!(
            entry["sha256"].as_str().unwrap(),
            sha256(&fake.asset_bytes(stored.id))
        );
        assert!(entry["url"].as_str().unwrap().ends_with(name));
    }
    assert!(run.summary.contains("| asset | size | sha256 | status |"));
    assert!(run.summary.contains("| `SHA256SUMS` |"), "{}", run.summary);
    assert!(run.summary.contains("uploaded"));
    assert_clean(&fake, &run);
}

#[test]
fn second_run_with_the_same_files_uploads_nothing_and_gives_the_same_outputs() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    let first = h.run().assert_success();
    let before = fake.assets(only_draft(&fake).id);
    fake.clear_requests();
    let second = h.run().assert_success();
    assert!(fake.requests_to(RouteKind::UploadAsset).is_empty());
    assert!(writes(&fake).is_empty(), "{:#?}", writes(&fake));
    assert_eq!(stable_outputs(&first), stable_outputs(&second));
    assert_eq!(second.output("created"), "false");
    assert_eq!(fake.assets(only_draft(&fake).id), before);
    assert_eq!(
        second.summary.matches("| kept |").count(),
        3,
        "{}",
        second.summary
    );
    assert_clean(&fake, &second);
}

#[test]
fn a_rebuilt_file_replaces_only_that_asset_and_the_manifest() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    h.run().assert_success();
    let id = only_draft(&fake).id;
    let before = assets_by_name(&fake, id);
    h.write_file(format!("dist/{WHEEL}"), dist_bytes(WHEEL, 2));
    fake.clear_requests();
    let run = h.run().assert_success();
    assert_eq!(only_draft(&fake).id, id);
    assert_release_matches_dist(&fake, &h, id);
    let after = assets_by_name(&fake, id);
    let id_of = |v: &[(String, slipway_testkit::github::Asset)], n: &str| {
        v.iter().find(|(name, _)| name == n).unwrap().1.id
    };
    assert_eq!(
        id_of(&before, SDIST),
        id_of(&after, SDIST),
        "sdist untouched"
    );
    assert_ne!(
        id_of(&before, WHEEL),
        id_of(&after, WHEEL),
        "wheel replaced"
    );
    assert_ne!(id_of(&before, "SHA256SUMS"), id_of(&after, "SHA256SUMS"));
    let uploads: Vec<String> = fake
        .requests_to(RouteKind::UploadAsset)
        .iter()
        .map(|r| r.query.clone().unwrap_or_default())
        .collect();
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    assert!(run.summary.contains(&format!("| `{WHEEL}` |")));
    assert_eq!(
        run.summary.matches("| replaced |").count(),
        2,
        "{}",
        run.summary
    );
    assert_eq!(run.summary.matches("| kept |").count(), 1);
    assert_clean(&fake, &run);
}

#[test]
fn overwrite_false_refuses_a_rebuilt_file_before_any_upload() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    h.run().assert_success();
    h.write_file(format!("dist/{WHEEL}"), dist_bytes(WHEEL, 2));
    fake.clear_requests();
    let run = h.env("INPUT_OVERWRITE", "false").run().assert_failure();
    let err = run.error_annotations().join("\n");
    assert!(
        err.contains(&format!(
            "the draft's asset `{WHEEL}` has other bytes than `dist/{WHEEL}`"
        )) && err.contains("hint: set `overwrite: true`"),
        "{err}"
    );
    assert!(writes(&fake).is_empty(), "{:#?}", writes(&fake));
}

#[test]
fn a_published_release_is_an_error_with_a_hint_and_nothing_changes() {
    let fake = fake();
    let id = fake.add_release(ReleaseSeed::new(TAG));
    fake.add_asset(id, SDIST, b"old bytes", true);
    let before = (fake.releases(REPO), fake.assets(id));
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_failure();
    let err = run.error_annotations().join("\n");
    assert!(
        err.contains(&format!("the release for `{TAG}` is already published"))
            && err.contains(
                "hint: raise the version for a new release, or set `allow-published: true`"
            ),
        "{err}"
    );
    assert_eq!((fake.releases(REPO), fake.assets(id)), before);
    assert!(writes(&fake).is_empty(), "{:#?}", writes(&fake));
    assert_clean(&fake, &run);
}

#[test]
fn allow_published_attaches_missing_files_but_never_replaces() {
    let fake = fake();
    let id = fake.add_release(ReleaseSeed::new(TAG));
    fake.add_asset(id, SDIST, &dist_bytes(SDIST, 1), true);
    let h = step(&fake).input("allow-published", "true");
    write_dists(&h, 1);
    let run = h.run().assert_success();
    assert_release_matches_dist(&fake, &h, id);
    assert_eq!(run.output("release-id"), id.to_string());
    assert_eq!(run.output("created"), "false");
    // A rebuilt file would change a published asset: refused.
    h.write_file(format!("dist/{SDIST}"), dist_bytes(SDIST, 2));
    let run = h.run().assert_failure();
    assert!(
        run.error_annotations()
            .join("\n")
            .contains("assets of a published release are never replaced"),
        "{:?}",
        run.error_annotations()
    );
}

#[test]
fn two_drafts_are_reconciled_to_the_oldest_and_nothing_with_assets_is_lost() {
    let fake = fake();
    let old = fake.add_release(ReleaseSeed::new(TAG).draft());
    fake.add_asset(old, SDIST, &dist_bytes(SDIST, 1), true);
    let newer = fake.add_release(ReleaseSeed::new(TAG).draft());
    fake.add_asset(newer, WHEEL, &dist_bytes(WHEEL, 1), false);
    let empty = fake.add_release(ReleaseSeed::new(TAG).draft());
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_success();
    let kept = only_draft(&fake);
    assert_eq!(kept.id, old);
    assert_release_matches_dist(&fake, &h, old);
    assert_eq!(run.output("created"), "false");
    for gone in [newer, empty] {
        assert!(fake.release(gone).is_none(), "draft {gone} should be gone");
        assert!(
            run.summary
                .contains(&format!("deleted duplicate draft {gone}")),
            "{}",
            run.summary
        );
    }
    assert_clean(&fake, &run);
}

#[test]
fn a_duplicate_draft_holding_other_files_is_left_alone_with_a_warning() {
    let fake = fake();
    let old = fake.add_release(ReleaseSeed::new(TAG).draft());
    let newer = fake.add_release(ReleaseSeed::new(TAG).draft());
    fake.add_asset(newer, "notes.pdf", b"a maintainer's file", true);
    fake.add_asset(newer, WHEEL, b"a wheel built elsewhere", true);
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_success();
    assert_eq!(drafts(&fake).len(), 2);
    assert_release_matches_dist(&fake, &h, old);
    assert_eq!(fake.assets(newer).len(), 2, "nothing moved out of it");
    let warning = run.warning_annotations().join("\n");
    assert!(
        warning.contains(&format!("left duplicate draft {newer}"))
            && warning.contains("`notes.pdf`")
            && warning.contains(&format!("`{WHEEL}`")),
        "{warning}"
    );
}

#[test]
fn two_runs_at_once_end_with_one_draft_and_one_copy_of_each_asset() {
    let fake = fake();
    // Both runs list the (empty) releases before either draft exists.
    fake.inject(Fault::delay(
        Match::route(RouteKind::CreateRelease).times(2),
        Duration::from_millis(1500),
    ));
    // And both upload each file at the same time: one gets the name, the other a conflict.
    fake.inject(Fault::delay(
        Match::route(RouteKind::UploadAsset).times(6),
        Duration::from_millis(1000),
    ));
    let (a, b) = (step(&fake), step(&fake));
    write_dists(&a, 1);
    write_dists(&b, 1);
    let (ra, rb) = std::thread::scope(|s| {
        let ta = s.spawn(|| a.run());
        let tb = s.spawn(|| b.run());
        (ta.join().unwrap(), tb.join().unwrap())
    });
    let (ra, rb) = (ra.assert_success(), rb.assert_success());
    assert_eq!(fake.requests_to(RouteKind::CreateRelease).len(), 2);
    let draft = only_draft(&fake);
    assert_release_matches_dist(&fake, &a, draft.id);
    assert_eq!(ra.output("release-id"), draft.id.to_string());
    assert_eq!(rb.output("release-id"), draft.id.to_string());
    assert_eq!(ra.output("assets"), rb.output("assets"));
    let created: Vec<&str> = [&ra, &rb].iter().map(|r| r.output("created")).collect();
    assert!(
        created.contains(&"true") && created.contains(&"false"),
        "{created:?}"
    );
    let loser = if ra.output("created") == "false" {
        &ra
    } else {
        &rb
    };
    assert!(
        loser.summary.contains("another run created draft"),
        "{}",
        loser.summary
    );
    // Each file was stored once; the other upload of it met the name taken and kept it.
    let stored = fake
        .requests_to(RouteKind::UploadAsset)
        .iter()
        .filter(|r| r.status == 201)
        .count();
    assert_eq!(stored, 3);
    let summaries = format!("{}{}", ra.summary, rb.summary);
    assert_eq!(
        summaries
            .matches("the same bytes were already attached (another run), kept")
            .count(),
        3,
        "{summaries}"
    );
    assert_eq!(summaries.matches("| kept |").count(), 3, "{summaries}");
    assert_clean(&fake, &ra);
    assert_clean(&fake, &rb);
}

#[test]
fn an_asset_without_digest_is_downloaded_and_hashed_then_kept() {
    let fake = fake();
    let id = fake.add_release(ReleaseSeed::new(TAG).draft());
    let sdist = fake.add_asset(id, SDIST, &dist_bytes(SDIST, 1), false);
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_success();
    assert!(
        fake.assets(id).iter().any(|a| a.id == sdist),
        "kept, not replaced"
    );
    assert_eq!(fake.requests_to(RouteKind::DownloadAsset).len(), 1);
    assert_eq!(fake.requests_to(RouteKind::UploadAsset).len(), 2);
    assert!(run.summary.contains(&format!("| `{SDIST}` |")));
    assert_eq!(run.summary.matches("| kept |").count(), 1);
}

#[test]
fn publish_publishes_after_the_uploads_and_prerelease_auto_follows_the_version() {
    let fake = fake();
    let h = step(&fake)
        .input("version", "1.2.0rc1")
        .input("files", "dist/*.whl\ndist/*.tar.gz")
        .input("publish", "true")
        .input("body", "Hand-written notes.");
    write_dists(&h, 1);
    let run = h.run().assert_success();
    let rel = fake
        .releases(REPO)
        .into_iter()
        .find(|r| r.tag_name == "v1.2.0rc1")
        .unwrap();
    assert!(!rel.draft && rel.prerelease);
    assert_eq!(rel.body.as_deref(), Some("Hand-written notes."));
    assert!(fake.tags().iter().any(|(t, _)| t == "v1.2.0rc1"));
    let publish = fake.requests_to(RouteKind::UpdateRelease);
    let last_upload = fake
        .requests_to(RouteKind::UploadAsset)
        .last()
        .unwrap()
        .finished;
    assert!(publish.len() == 1 && publish[0].started >= last_upload);
    assert!(run.summary.contains("published"));
}

#[test]
fn dry_run_writes_nothing_and_says_what_it_would_do() {
    let fake = fake();
    let h = step(&fake)
        .input("dry-run", "true")
        .input("body-path", "NOTES.md");
    h.write_file("NOTES.md", "notes");
    write_dists(&h, 1);
    let run = h.run().assert_success();
    assert!(writes(&fake).is_empty(), "{:#?}", writes(&fake));
    assert!(fake.releases(REPO).is_empty());
    assert_eq!(run.output("release-id"), "");
    assert_eq!(
        run.summary.matches("| would upload |").count(),
        3,
        "{}",
        run.summary
    );
    assert!(run.summary.contains("would create a draft release"));
}

#[test]
fn a_half_made_asset_left_by_an_earlier_run_is_deleted_first() {
    let fake = fake();
    let id = fake.add_release(ReleaseSeed::new(TAG).draft());
    // An earlier run died mid-upload: the fake leaves the asset `starter`.
    fake.inject(Fault::reset_request_body(
        Match::route(RouteKind::UploadAsset).always(),
        100,
    ));
    let h = step(&fake).env("SLIPWAY_RETRY_ATTEMPTS", "1");
    write_dists(&h, 1);
    h.run().assert_failure();
    assert!(
        fake.assets(id)
            .iter()
            .any(|a| a.state != slipway_testkit::github::AssetState::Uploaded)
    );
    fake.clear_faults();
    let h = h.env("SLIPWAY_RETRY_ATTEMPTS", "5");
    let run = h.run().assert_success();
    assert_release_matches_dist(&fake, &h, id);
    assert!(
        run.summary.contains("deleted the half-made asset"),
        "{}",
        run.summary
    );
}

#[test]
fn a_fresh_upload_is_hashed_while_it_streams_and_a_re_run_hashes_before_comparing() {
    let fake = fake();
    let h = step(&fake);
    write_dists(&h, 1);
    // Big enough for the "hashing" log line that a hash before the upload writes (64 MiB).
    let big: Vec<u8> = (0..64 * 1024 * 1024 + 3)
        .map(|i: usize| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    h.write_file("dist/widgets-1.2.0-data.bin", &big);
    let run = h.run().assert_success();
    assert!(
        !run.stderr.contains("hashing `"),
        "a fresh draft needs no hash before the upload:\n{}",
        run.stderr
    );
    let draft = only_draft(&fake);
    let assets = run.output_json("assets");
    let by_name = |name: &str| {
        assets
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("{name} not in {assets}"))
            .clone()
    };
    let entry = by_name("widgets-1.2.0-data.bin");
    assert_eq!(entry["sha256"].as_str().unwrap(), sha256(&big));
    assert_eq!(entry["size"], big.len() as u64);
    for name in [SDIST, WHEEL] {
        assert_eq!(
            by_name(name)["sha256"].as_str().unwrap(),
            sha256(&dist_bytes(name, 1))
        );
    }
    // The manifest, written from the hashes taken while streaming, agrees with `sha256sum`.
    let stored = fake.assets(draft.id);
    let sums = stored.iter().find(|a| a.name == "SHA256SUMS").unwrap();
    let manifest = String::from_utf8(fake.asset_bytes(sums.id)).unwrap();
    let independent = std::process::Command::new("sha256sum")
        .args([SDIST, WHEEL, "widgets-1.2.0-data.bin"])
        .current_dir(h.workspace().join("dist"))
        .output()
        .expect("run sha256sum");
    let mut lines: Vec<String> = String::from_utf8(independent.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort_by(|a, b| a[66..].cmp(&b[66..]));
    assert_eq!(manifest, format!("{}\n", lines.join("\n")));
    assert_eq!(
        by_name("SHA256SUMS")["sha256"].as_str().unwrap(),
        sha256(manifest.as_bytes())
    );
    // The manifest is uploaded last.
    let uploads = fake.requests_to(RouteKind::UploadAsset);
    assert_eq!(uploads.len(), 4);
    assert_eq!(
        uploads.last().unwrap().query.as_deref(),
        Some("name=SHA256SUMS"),
        "{uploads:#?}"
    );
    // A re-run finds the assets: it hashes the files first to compare, and keeps them all.
    fake.clear_requests();
    let second = h.run().assert_success();
    assert!(
        second
            .stderr
            .contains("hashing `dist/widgets-1.2.0-data.bin`"),
        "{}",
        second.stderr
    );
    assert!(fake.requests_to(RouteKind::UploadAsset).is_empty());
    assert_eq!(stable_outputs(&run), stable_outputs(&second));
}
