//! fetch-assets run the way the runner runs it, against the fake GitHub: choosing the release,
//! verifying the bytes, refusing hostile names, and bad inputs.

mod common;

use common::{assert_clean, bytes_for, downloads, entries, sha, step, sums};
use serde_json::json;
use slipway_testkit::github::{
    FakeGitHub, Fault, FaultAction, Host, Match, ReleaseSeed, RouteKind, max_concurrency,
};

const WHEEL: &str = "demo-1.0.0-py3-none-any.whl";
const SDIST: &str = "demo-1.0.0.tar.gz";

/// A release with a wheel and an sdist (both with digests) and a SHA256SUMS listing them.
fn seed_release(fake: &FakeGitHub, seed: ReleaseSeed) -> (u64, Vec<u8>, Vec<u8>) {
    let wheel = bytes_for("wheel", 70_000);
    let sdist = bytes_for("sdist", 50_000);
    let id = fake.add_release(seed);
    fake.add_asset(id, WHEEL, &wheel, true);
    fake.add_asset(id, SDIST, &sdist, true);
    let manifest = sums(&[(WHEEL, &wheel), (SDIST, &sdist)]);
    fake.add_asset(id, "SHA256SUMS", manifest.as_bytes(), true);
    (id, wheel, sdist)
}

#[test]
fn a_published_release_is_fetched_by_tag_with_outputs_and_summary() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (id, wheel, sdist) = seed_release(&fake, ReleaseSeed::new("v1.0.0"));
    let h = step(&fake).input("tag", "v1.0.0");
    let r = h.run().assert_success();
    let dist = h.workspace().join("dist");
    assert_eq!(entries(&dist), ["SHA256SUMS", WHEEL, SDIST]);
    assert_eq!(std::fs::read(dist.join(WHEEL)).unwrap(), wheel);
    assert_eq!(std::fs::read(dist.join(SDIST)).unwrap(), sdist);
    assert_eq!(r.output("tag"), "v1.0.0");
    assert_eq!(r.output("version"), "1.0.0");
    assert_eq!(r.output("release-id"), id.to_string());
    assert_eq!(r.output("prerelease"), "false");
    assert_eq!(r.output("dir"), "dist");
    assert_eq!(r.output("count"), "3");
    assert_eq!(
        r.output_json("files"),
        json!([
            "dist/SHA256SUMS",
            format!("dist/{WHEEL}"),
            format!("dist/{SDIST}")
        ])
    );
    assert!(
        r.summary.contains(&format!(
            "| `{WHEEL}` | 68.4 KiB | `{}` | digest + SHA256SUMS | downloaded |",
            sha(&wheel)
        )),
        "{}",
        r.summary
    );
    // Bytes come through the API asset URL as octet-stream, then the storage host.
    let api = fake.requests_to(RouteKind::DownloadAsset);
    assert_eq!(api.len(), 3, "{api:?}");
    assert!(
        api.iter()
            .all(|r| r.accept.as_deref() == Some("application/octet-stream") && r.status == 302)
    );
    assert_eq!(fake.requests_to(RouteKind::StorageDownload).len(), 3);
    assert!(
        r.warning_annotations().is_empty(),
        "{:?}",
        r.warning_annotations()
    );
    assert_clean(&fake, &r);
}

#[test]
fn a_tag_that_only_a_draft_has_is_found_through_the_release_list() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (id, wheel, _) = seed_release(&fake, ReleaseSeed::new("v1.0.0").draft());
    let h = step(&fake).input("tag", "v1.0.0");
    let r = h.run().assert_success();
    assert_eq!(r.output("release-id"), id.to_string());
    assert_eq!(
        std::fs::read(h.workspace().join("dist").join(WHEEL)).unwrap(),
        wheel
    );
    assert!(r.summary.contains("draft [`v1.0.0`]"), "{}", r.summary);
    assert!(!fake.requests_to(RouteKind::ListReleases).is_empty());

    // Without drafts the tag is unknown, and the error says a draft has it.
    let r = step(&fake)
        .input("tag", "v1.0.0")
        .input("include-drafts", "false")
        .run()
        .assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(err.contains("no release has the tag `v1.0.0`"), "{err}");
    assert!(err.contains("only a draft release has this tag"), "{err}");
    assert_clean(&fake, &r);
}

#[test]
fn latest_is_the_newest_published_release_ignoring_drafts_and_prereleases() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let old = fake.add_release(ReleaseSeed::new("v0.9.0").created_at(1_000));
    fake.add_asset(old, "old.whl", b"old", true);
    let (id, _, _) = seed_release(&fake, ReleaseSeed::new("v1.0.0"));
    let pre = fake.add_release(ReleaseSeed::new("v2.0.0rc1").prerelease());
    fake.add_asset(pre, "pre.whl", b"pre", true);
    let draft = fake.add_release(ReleaseSeed::new("v3.0.0").draft());
    fake.add_asset(draft, "draft.whl", b"draft", true);
    let h = step(&fake).input("latest", "true");
    let r = h.run().assert_success();
    assert_eq!(
        (r.output("tag"), r.output("release-id")),
        ("v1.0.0", id.to_string().as_str())
    );
    assert_eq!(
        entries(&h.workspace().join("dist")),
        ["SHA256SUMS", WHEEL, SDIST]
    );
    assert_clean(&fake, &r);
}

#[test]
fn the_release_event_payload_is_used_when_no_tag_is_given() {
    let fake = FakeGitHub::with_repo("octo/demo");
    seed_release(&fake, ReleaseSeed::new("v0.1.0"));
    let (id, wheel, _) = seed_release(&fake, ReleaseSeed::new("v1.0.0").prerelease());
    let h = step(&fake).input("patterns", "*.whl").event(
        "release",
        json!({"action": "published", "release": {"id": id, "tag_name": "v1.0.0", "prerelease": true}}),
    );
    let r = h.run().assert_success();
    assert_eq!(
        (r.output("tag"), r.output("prerelease")),
        ("v1.0.0", "true")
    );
    assert_eq!(entries(&h.workspace().join("dist")), [WHEEL]);
    assert_eq!(
        std::fs::read(h.workspace().join("dist").join(WHEEL)).unwrap(),
        wheel
    );

    // A manual run passes the tag as a workflow_dispatch input.
    let h = step(&fake)
        .input("patterns", "*.tar.gz")
        .event("workflow_dispatch", json!({"inputs": {"tag": "v0.1.0"}}));
    let r = h.run().assert_success();
    assert_eq!(r.output("tag"), "v0.1.0");
    assert_eq!(entries(&h.workspace().join("dist")), [SDIST]);

    // A push event names no release.
    let r = step(&fake)
        .event("push", json!({"before": "a", "after": "b"}))
        .run()
        .assert_failure();
    assert!(
        r.error_annotations()
            .join("\n")
            .contains("no release to fetch"),
        "{}",
        r.stdout
    );
    assert_clean(&fake, &r);
}

#[test]
fn the_storage_host_never_sees_the_token() {
    let fake = FakeGitHub::with_repo("octo/demo");
    seed_release(&fake, ReleaseSeed::new("v1.0.0"));
    let r = step(&fake).input("tag", "v1.0.0").run().assert_success();
    let token = fake.token();
    let storage: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.host == Host::Storage)
        .collect();
    assert_eq!(storage.len(), 3);
    for rec in &storage {
        assert_eq!(rec.authorization, None, "{rec:?}");
        assert!(
            !rec.path.contains(&token) && !rec.query.clone().unwrap_or_default().contains(&token)
        );
        assert_eq!(rec.status, 200, "{rec:?}");
    }
    // The API itself did get the token.
    assert!(fake.requests_to(RouteKind::DownloadAsset).iter().all(|r| {
        r.authorization
            .as_deref()
            .is_some_and(|a| a.contains(&token))
    }));
    assert_clean(&fake, &r);
}

#[test]
fn bytes_that_differ_from_the_digest_fail_naming_both_hashes_and_leave_no_file() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (id, wheel, _) = seed_release(&fake, ReleaseSeed::new("v1.0.0"));
    let wheel_id = fake.assets(id).iter().find(|a| a.name == WHEEL).unwrap().id;
    fake.inject(Fault::corrupt(
        Match::path("GET", &format!("/release-assets/{wheel_id}/")).always(),
    ));
    let h = step(&fake).input("tag", "v1.0.0");
    let r = h.run().assert_failure();
    let mut tampered = wheel.clone();
    tampered[0] ^= 0xff;
    let err = r.error_annotations().join("\n");
    assert!(err.contains(&format!("`{WHEEL}` does not match the asset's GitHub digest: expected sha256 `{}`, downloaded sha256 `{}`", sha(&wheel), sha(&tampered))), "{err}");
    // The other files are in place; nothing at all for the wheel, not even a temporary file.
    assert_eq!(entries(&h.workspace().join("dist")), ["SHA256SUMS", SDIST]);
    assert_clean(&fake, &r);
}

#[test]
fn bytes_that_differ_from_sha256sums_fail_naming_both_hashes_and_leave_no_file() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let wheel = bytes_for("wheel", 1000);
    fake.add_asset(id, WHEEL, &wheel, false);
    let recorded = sha(b"what the build produced");
    fake.add_asset(
        id,
        "SHA256SUMS",
        format!("{recorded}  {WHEEL}\n").as_bytes(),
        true,
    );
    let h = step(&fake)
        .input("tag", "v1.0.0")
        .input("patterns", "*.whl");
    let r = h.run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(err.contains(&format!("`{WHEEL}` does not match its `SHA256SUMS` entry: expected sha256 `{recorded}`, downloaded sha256 `{}`", sha(&wheel))), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert_eq!(entries(&h.workspace().join("dist")), Vec::<String>::new());
    assert_clean(&fake, &r);
}

#[test]
fn an_asset_without_digest_or_manifest_entry_downloads_with_a_warning() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    fake.add_asset(id, WHEEL, b"old-style asset", false);
    let h = step(&fake).input("tag", "v1.0.0");
    let r = h.run().assert_success();
    assert_eq!(
        std::fs::read(h.workspace().join("dist").join(WHEEL)).unwrap(),
        b"old-style asset"
    );
    let warnings = r.warning_annotations().join("\n");
    assert!(
        warnings.contains(&format!("`{WHEEL}` cannot be verified")),
        "{warnings}"
    );
    assert!(
        r.summary.contains("| unverified | downloaded |"),
        "{}",
        r.summary
    );
    assert!(r.summary.contains("**Not verified**"), "{}", r.summary);
    assert_clean(&fake, &r);
}

#[test]
fn hostile_asset_names_are_refused_before_anything_is_written() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let good = fake.add_asset(id, WHEEL, b"fine", true);
    let api = format!("{}/repos/octo/demo/releases/assets", fake.api_url());
    let asset = |n: u64, name: &str| {
        json!({"id": n, "name": name, "state": "uploaded", "size": 4, "digest": null,
               "url": format!("{api}/{n}"), "browser_download_url": "", "content_type": "application/octet-stream"})
    };
    let body = json!([
        asset(good, WHEEL),
        asset(9001, "../evil.whl"),
        asset(9002, "a/b.whl"),
        asset(9003, ".."),
        asset(9004, "..\\win.whl")
    ]);
    fake.inject(Fault::new(
        Match::route(RouteKind::ListAssets).always(),
        FaultAction::Respond {
            status: 200,
            headers: vec![],
            body,
        },
    ));
    let h = step(&fake).input("tag", "v1.0.0").input("dir", "out/dist");
    let r = h.run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(err.contains("refusing asset names that are not plain file names: `../evil.whl`, `a/b.whl`, `..`, `..\\win.whl`; nothing was written"), "{err}");
    assert!(downloads(&fake).is_empty(), "{:?}", downloads(&fake));
    // Not even `dir` was created; the workspace and its parent hold nothing new.
    assert_eq!(entries(&h.workspace()), Vec::<String>::new());
    assert!(!h.workspace().join("../evil.whl").exists());
    assert_clean(&fake, &r);
}

#[test]
fn an_unknown_tag_lists_the_nearest_existing_tags() {
    let fake = FakeGitHub::with_repo("octo/demo");
    for tag in ["v1.2.0", "v1.2.3", "v0.1.0", "nightly"] {
        fake.add_release(ReleaseSeed::new(tag));
    }
    let r = step(&fake).input("tag", "v1.2.4").run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(
        err.contains(
            "no release has the tag `v1.2.4`; nearest existing release tags: `v1.2.0`, `v1.2.3`"
        ),
        "{err}"
    );
    assert!(!err.contains("nightly"), "{err}");
    assert_clean(&fake, &r);
}

#[test]
fn tag_and_release_id_together_are_refused_before_any_request() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let r = step(&fake)
        .input("tag", "v1.0.0")
        .input("release-id", "12")
        .run()
        .assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(
        err.contains("inputs `tag`, `release-id` cannot be used together"),
        "{err}"
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn patterns_that_match_nothing_fail_by_default_and_warn_with_fail_on_empty_false() {
    let fake = FakeGitHub::with_repo("octo/demo");
    seed_release(&fake, ReleaseSeed::new("v1.0.0"));
    let h = step(&fake)
        .input("tag", "v1.0.0")
        .input("patterns", "*.exe");
    let r = h.run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(err.contains("no asset of release `v1.0.0` matches patterns `*.exe` (exclude none); the release has: "), "{err}");
    assert!(err.contains("fail-on-empty: false"), "{err}");
    assert!(downloads(&fake).is_empty());
    let r = step(&fake)
        .input("tag", "v1.0.0")
        .input("patterns", "*.exe")
        .input("fail-on-empty", "false")
        .run()
        .assert_success();
    assert_eq!((r.output("count"), r.output("files")), ("0", "[]"));
    assert!(!r.warning_annotations().is_empty());
    assert_clean(&fake, &r);
}

#[test]
fn a_dir_that_is_a_file_is_refused_before_any_request() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let h = step(&fake).input("tag", "v1.0.0");
    h.write_file("dist", "not a directory");
    let r = h.run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(
        err.contains("`dir` `dist` exists and is not a directory"),
        "{err}"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn max_parallel_must_be_a_positive_number() {
    let fake = FakeGitHub::with_repo("octo/demo");
    for bad in ["0", "four", "-1", "1000"] {
        let r = step(&fake)
            .input("tag", "v1.0.0")
            .input("max-parallel", bad)
            .run()
            .assert_failure();
        let err = r.error_annotations().join("\n");
        assert!(err.contains(&format!("input `max-parallel` has an invalid value `{bad}`: expected a whole number from 1 to 64")), "{err}");
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn the_old_name_concurrency_is_still_read() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    for i in 0..4 {
        let name = format!("demo-1.0.0-cp31{i}-cp31{i}-manylinux_2_17_x86_64.whl");
        fake.add_asset(id, &name, &bytes_for(&name, 300_000), true);
    }
    let r = step(&fake)
        .input("tag", "v1.0.0")
        .input("checksums", "")
        .input("concurrency", "1")
        .run()
        .assert_success();
    assert_eq!(r.output("count"), "4");
    let downloads: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|q| q.host == Host::Storage)
        .collect();
    assert_eq!(max_concurrency(&downloads), 1);
    // A bad value under the old name is refused under the name the action documents.
    let r = step(&fake)
        .input("tag", "v1.0.0")
        .input("concurrency", "0")
        .run()
        .assert_failure();
    assert!(
        r.error_annotations()
            .join("\n")
            .contains("input `max-parallel` has an invalid value `0`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_dry_run_downloads_nothing_and_writes_nothing() {
    let fake = FakeGitHub::with_repo("octo/demo");
    seed_release(&fake, ReleaseSeed::new("v1.0.0"));
    let h = step(&fake)
        .input("tag", "v1.0.0")
        .input("dry-run", "true")
        .input("exclude", "SHA256SUMS");
    let r = h.run().assert_success();
    assert!(!h.workspace().join("dist").exists());
    assert_eq!(
        r.output_json("files"),
        json!([format!("dist/{WHEEL}"), format!("dist/{SDIST}")])
    );
    assert!(
        r.summary.contains("would download (dry run)"),
        "{}",
        r.summary
    );
    // Only the manifest was read (into memory), to check files that might already be there.
    assert_eq!(fake.requests_to(RouteKind::StorageDownload).len(), 1);
    assert_clean(&fake, &r);
}
