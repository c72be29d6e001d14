//! nightly run as the runner runs it, against the fake GitHub: the first build, a re-run, a dry
//! run, a crash between a release's deletion and its tag's, immutable releases.

mod common;

use common::*;
use slipway_testkit::github::{Fault, MakeLatest, Match, RouteKind};

#[test]
fn the_first_build_is_one_published_prerelease_never_latest_with_every_file() {
    let fake = fake();
    let h = step(&fake);
    let run = h.run().assert_success();
    let rel = release_of(&fake, TAG).expect("the build's release");
    assert!(!rel.draft && rel.prerelease, "{rel:#?}");
    assert_eq!(rel.make_latest, MakeLatest::False);
    assert_eq!(rel.target_commitish, slipway_testkit::harness::DEFAULT_SHA);
    let mut names: Vec<String> = fake.assets(rel.id).into_iter().map(|a| a.name).collect();
    names.sort();
    let mut expected = dist_names();
    expected.push("SHA256SUMS".into());
    expected.sort();
    assert_eq!(names, expected);
    for a in fake.assets(rel.id) {
        if a.name != "SHA256SUMS" {
            let local = std::fs::read(built_dists().join(&a.name)).unwrap();
            assert!(fake.asset_bytes(a.id) == local, "{}", a.name);
        }
    }
    // The assets were attached while it was a draft: the PATCH that published it came last.
    let last_write = writes(&fake).pop().unwrap();
    assert!(last_write.starts_with("PATCH"), "{last_write}");
    assert_eq!(run.output("tag"), TAG);
    assert_eq!(run.output("release-id"), rel.id.to_string());
    assert_eq!(run.output("created"), "true");
    assert_eq!(run.output_json("kept"), serde_json::json!([TAG]));
    assert_eq!(run.output_json("pruned"), serde_json::json!([]));
    assert_eq!(run.output("index-dir"), "");
    assert!(tag_names(&fake).contains(&TAG.to_string()));
    // The notes carry Requires-Python for later indexes (hidden in a comment).
    assert!(
        rel.body.as_deref().unwrap_or("").contains("\\u003e=3.8"),
        "{:?}",
        rel.body
    );
    assert!(
        run.summary
            .contains("nightly: `nightly-1.2.4.dev20261201123456` — published"),
        "{}",
        run.summary
    );
    assert_clean(&fake, &run);
}

#[test]
fn a_rerun_uploads_nothing_and_writes_nothing() {
    let fake = fake();
    let h = step(&fake);
    let first = h.run().assert_success();
    fake.clear_requests();
    let run = h.run().assert_success();
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert!(fake.requests_to(RouteKind::UploadAsset).is_empty());
    assert_eq!(run.output("created"), "false");
    assert_eq!(run.output("release-id"), first.output("release-id"));
    assert_eq!(run.output_json("kept"), serde_json::json!([TAG]));
    assert_eq!(fake.releases(REPO).len(), 1);
    assert_clean(&fake, &run);
}

#[test]
fn a_dry_run_deletes_nothing_and_reports_the_same_pruned() {
    let fake = fake();
    seed_channel(&fake, 45, |i| (45 - i) * 2 * DAY + 3600);
    let releases_before = fake.releases(REPO).len();
    let tags_before = tag_names(&fake);
    fake.clear_requests();
    let dry = step(&fake)
        .input("keep-builds", "5")
        .input("keep-days", "10")
        .input("dry-run", "true")
        .run()
        .assert_success();
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert_eq!(fake.releases(REPO).len(), releases_before);
    assert_eq!(tag_names(&fake), tags_before);
    assert_eq!(dry.output("release-id"), "");
    let real = step(&fake)
        .input("keep-builds", "5")
        .input("keep-days", "10")
        .run()
        .assert_success();
    assert_eq!(dry.output_json("pruned"), real.output_json("pruned"));
    assert_eq!(dry.output_json("kept"), real.output_json("kept"));
    assert_eq!(real.output_json("pruned").as_array().unwrap().len(), 40);
    assert!(dry.summary.contains("**Would prune:**"), "{}", dry.summary);
    assert_clean(&fake, &real);
}

#[test]
fn a_crash_between_a_release_and_its_tag_is_finished_by_the_next_run() {
    let fake = fake();
    let tags = seed_channel(&fake, 6, |i| (6 - i) * 10 * DAY + 3600);
    fake.inject(Fault::status(Match::route(RouteKind::DeleteTagRef), 403));
    let crashed = step(&fake)
        .input("keep-builds", "2")
        .input("keep-days", "5")
        .run()
        .assert_failure();
    // The oldest expired build went first: its release is gone, its tag is left.
    assert!(release_of(&fake, &tags[0]).is_none(), "{crashed:?}");
    assert!(tag_names(&fake).contains(&tags[0]));
    let run = step(&fake)
        .input("keep-builds", "2")
        .input("keep-days", "5")
        .run()
        .assert_success();
    let pruned = run.output_json("pruned");
    let pruned: Vec<&str> = pruned
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // Kept: this build and the newest seeded one (2 builds; none younger than 5 days but it).
    assert_eq!(run.output_json("kept"), serde_json::json!([TAG, tags[5]]));
    assert_eq!(pruned, [&tags[1], &tags[2], &tags[3], &tags[4], &tags[0]]);
    for t in &tags[..5] {
        assert!(release_of(&fake, t).is_none(), "{t}");
        assert!(!tag_names(&fake).contains(t), "{t}");
    }
    for t in OUTSIDE {
        assert!(tag_names(&fake).contains(&t.to_string()), "{t}");
    }
    assert!(
        run.summary.contains(&format!(
            "deleted the tag `{}`: a build pruned by an earlier run",
            tags[0]
        )),
        "{}",
        run.summary
    );
    assert_clean(&fake, &run);
}

#[test]
fn immutable_releases_get_their_assets_before_publishing_and_their_tags_are_never_reused() {
    let fake = fake();
    fake.set_immutable_releases(true);
    let run = step(&fake).run().assert_success();
    let rel = release_of(&fake, TAG).unwrap();
    assert!(fake.is_immutable(rel.id));
    assert_eq!(fake.assets(rel.id).len(), dist_names().len() + 1);
    fake.clear_requests();
    step(&fake).run().assert_success();
    assert_eq!(writes(&fake), Vec::<String>::new());
    // A pruned immutable build burns its tag: building that version again is refused.
    let newer = "1.2.4.dev20261202000000";
    let pruning = step(&fake)
        .input("version", newer)
        .input("keep-builds", "1")
        .input("keep-days", "0")
        .run()
        .assert_success();
    assert_eq!(pruning.output_json("pruned"), serde_json::json!([TAG]));
    assert_eq!(fake.burned_tags(), [TAG]);
    let again = step(&fake).run().assert_failure();
    assert!(
        again
            .all_text()
            .contains("tag_name was used by an immutable release"),
        "{}",
        again.all_text()
    );
    assert_clean(&fake, &run);
}
