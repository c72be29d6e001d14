//! The whole pipeline across the binaries, the way a repository runs it: the multi-call `slipway`
//! binary the image ships (`slipway <tool>`, inputs as `INPUT_*`), against the fake GitHub and a
//! real pypiserver on loopback, with dists built by a real build backend.
//!
//! Build job (one workspace): version-bump says 1.2.0 is new → draft-release makes the draft with
//! the dists and SHA256SUMS → a re-run with `publish: true` keeps every asset and publishes.
//! Publish job (another workspace, the `release` event): fetch-assets brings the released bytes
//! → pypi-publish uploads them → the index serves exactly the bytes that were built → a re-run
//! skips both files. A last version-bump says 1.2.0 is no longer new.
//!
//! It is a test of the `slipway-cli` package (its `[[test]]` points here) because it needs the
//! multi-call binary; the crates' own tests stay beside them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;
use sha2::{Digest, Sha256};
use slipway_testkit::github::FakeGitHub;
use slipway_testkit::harness::Harness;
use slipway_testkit::real::{PASSWORD, USER, build_dists, http, start_pypiserver};

const SLIPWAY: &str = env!("CARGO_BIN_EXE_slipway");
const NAME: &str = "e2e-demo";
const VERSION: &str = "1.2.0";

/// A step running `slipway <tool>` against the fake GitHub.
fn step(tool: &str, fake: &FakeGitHub) -> Harness {
    Harness::new(SLIPWAY).arg(tool).github(fake)
}

/// `name → sha256` of every file in `dir`.
fn hashes(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (
                name,
                hex::encode(Sha256::digest(std::fs::read(&path).unwrap())),
            )
        })
        .collect()
}

#[test]
fn a_commit_reaches_the_index_as_the_bytes_that_were_built_and_a_rerun_changes_nothing() {
    let fake = FakeGitHub::with_repo("octo/e2e-demo");
    let index = start_pypiserver(&[]);

    // Build job: the project and its dists, built by hatchling into the workspace.
    let project = format!("src-{NAME}");
    let bump = step("version-bump", &fake).input("path", &project);
    let dist = build_dists("hatchling", NAME, VERSION, &bump.workspace());
    let built = hashes(&dist);
    assert_eq!(built.len(), 2, "{built:?}");
    let dist_rel = dist.file_name().unwrap().to_string_lossy().into_owned();

    let bumped = bump.run().assert_success();
    assert_eq!(bumped.output("version"), VERSION);
    assert_eq!(bumped.output("bumped"), "true");
    assert_eq!(bumped.output("tag"), "v1.2.0");

    let draft = step("draft-release", &fake)
        .in_workspace_of(&bump)
        .input("version", bumped.output("version"))
        .input("files", format!("{dist_rel}/*"));
    let drafted = draft.run().assert_success();
    assert_eq!(drafted.output("created"), "true");
    let assets = drafted.output_json("assets");
    let attached: BTreeMap<String, String> = assets
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut expected = built.clone();
    expected.insert("SHA256SUMS".into(), attached["SHA256SUMS"].clone());
    assert_eq!(
        attached, expected,
        "the draft holds other bytes than were built"
    );

    // The same step again, now publishing: every asset kept, the release published.
    let published = draft.input("publish", "true").run().assert_success();
    assert_eq!(published.output("created"), "false");
    assert_eq!(published.output_json("assets"), assets);
    let id: u64 = published.output("release-id").parse().unwrap();
    let release = fake.release(id).unwrap();
    assert!(!release.draft, "not published");

    // Publish job: the `release` event names the release; a fresh workspace.
    let event = json!({"action": "published", "release": {"id": id, "tag_name": release.tag_name, "prerelease": false}});
    let fetch = step("fetch-assets", &fake).event("release", event.clone());
    let fetched = fetch.run().assert_success();
    assert_eq!(fetched.output("version"), VERSION);
    let in_dist = hashes(&fetch.workspace().join("dist"));
    let mut fetched_expected = built.clone();
    fetched_expected.insert("SHA256SUMS".into(), attached["SHA256SUMS"].clone());
    assert_eq!(
        in_dist, fetched_expected,
        "fetched bytes differ from the built ones"
    );

    let publish = Harness::new(SLIPWAY)
        .arg("pypi-publish")
        .in_workspace_of(&fetch)
        .event("release", event)
        .input("repository-url", &index.url)
        .input("index-url", format!("{}simple/", index.url))
        .input("user", USER)
        .input("password", PASSWORD);
    let first = publish.run().assert_success();
    let mut uploaded: Vec<String> = serde_json::from_str(first.output("uploaded")).unwrap();
    uploaded.sort();
    assert_eq!(uploaded, built.keys().cloned().collect::<Vec<_>>());
    assert!(
        first.leaks(PASSWORD).is_empty(),
        "{:?}",
        first.leaks(PASSWORD)
    );

    // The index serves exactly the built bytes: its simple page carries each file's sha256
    // (pypiserver hashes the stored file), and it is the hash of the file that was built.
    let (status, page) = http(
        "GET",
        &format!("{}simple/{NAME}/", index.url),
        None,
        "",
        std::time::Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(status, 200, "{page}");
    for (name, sha) in &built {
        assert!(
            page.contains(&format!("{name}#sha256={sha}")),
            "{name}: the index does not serve the built bytes ({sha}):\n{page}"
        );
    }

    // A re-run of the publish job changes nothing.
    let again = publish.run().assert_success();
    let skipped: Vec<String> = serde_json::from_str(again.output("skipped")).unwrap();
    assert_eq!(skipped.len(), 2, "{}", again.all_text());
    assert_eq!(again.output("uploaded"), "[]");

    // The next push with the same version: not new any more.
    let after = bump.run().assert_success();
    assert_eq!(after.output("bumped"), "false");
    assert_eq!(after.output("previous-version"), VERSION);
    assert_eq!(after.output("tag-exists"), "true");
}
