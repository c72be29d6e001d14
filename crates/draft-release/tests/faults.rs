//! Injected faults during uploads: each run ends with the right release and assets, and says
//! what it retried.

mod common;

use common::*;
use serde_json::json;
use slipway_testkit::github::{FakeGitHub, Fault, FaultAction, Match, RouteKind};
use slipway_testkit::harness::RunResult;

/// Runs a fresh release with `fault` armed and checks the end state; returns the run.
fn survives(fault: Fault) -> (FakeGitHub, RunResult) {
    survives_with(fault, write_dists)
}

/// Small files: a fault that answers before the request body is read must not race the body
/// (a server that answers early and closes makes the client's body write fail instead).
fn small_dists(h: &slipway_testkit::harness::Harness, build: u32) {
    for name in [SDIST, WHEEL] {
        h.write_file(format!("dist/{name}"), format!("{name} build {build}\n"));
    }
}

/// [`survives`] with the files `write` puts into `dist/`.
fn survives_with(
    fault: Fault,
    write: fn(&slipway_testkit::harness::Harness, u32),
) -> (FakeGitHub, RunResult) {
    let fake = fake();
    fake.inject(fault);
    let h = step(&fake);
    write(&h, 1);
    let run = h.run().assert_success();
    let draft = only_draft(&fake);
    assert_release_matches_dist(&fake, &h, draft.id);
    assert_eq!(run.output("release-id"), draft.id.to_string());
    assert_clean(&fake, &run);
    (fake, run)
}

fn first_upload() -> Match {
    Match::route(RouteKind::UploadAsset)
}

#[test]
fn a_502_that_leaves_a_starter_asset_is_retried_after_deleting_it() {
    let (fake, run) = survives_with(
        Fault::upload_fails_after_create(first_upload()),
        small_dists,
    );
    assert!(
        run.summary.contains("**Retried (1):**") && run.summary.contains("502 Bad Gateway"),
        "{}",
        run.summary
    );
    assert!(run.stderr.contains("retrying POST"), "{}", run.stderr);
    assert_eq!(fake.requests_to(RouteKind::DeleteAsset).len(), 1);
}

#[test]
fn a_connection_reset_mid_body_is_retried() {
    let (fake, run) = survives_with(Fault::reset_request_body(first_upload(), 10), small_dists);
    assert!(run.summary.contains("connection error"), "{}", run.summary);
    // The cut upload left a half-made asset: deleted before the upload was made again.
    assert_eq!(fake.requests_to(RouteKind::DeleteAsset).len(), 1);
}

#[test]
fn a_429_with_retry_after_is_waited_out() {
    let (_, run) = survives_with(Fault::too_many_requests(first_upload(), 1), small_dists);
    assert!(
        run.summary.contains("after 429 Too Many Requests") && run.summary.contains("in 1 s"),
        "{}",
        run.summary
    );
}

#[test]
fn a_403_secondary_rate_limit_is_waited_out() {
    let (_, run) = survives_with(Fault::secondary_rate_limit(first_upload(), 1), small_dists);
    assert!(
        run.summary.contains("403 Forbidden (secondary rate limit)"),
        "{}",
        run.summary
    );
}

#[test]
fn a_secondary_rate_limit_on_the_release_list_is_waited_out() {
    let (_, run) = survives(Fault::secondary_rate_limit(
        Match::route(RouteKind::ListReleases),
        1,
    ));
    assert!(
        run.summary.contains("secondary rate limit") && run.summary.contains("/releases"),
        "{}",
        run.summary
    );
}

#[test]
fn a_422_already_exists_is_resolved_by_listing_the_assets_again() {
    let (fake, run) = survives_with(
        Fault::new(
            first_upload(),
            FaultAction::Respond {
                status: 422,
                headers: Vec::new(),
                body: json!({
                    "message": "Validation Failed",
                    "errors": [{ "resource": "ReleaseAsset", "code": "already_exists", "field": "name" }],
                }),
            },
        ),
        small_dists,
    );
    assert!(
        run.summary.contains(
            "answered 422 already_exists, but no asset of that name exists: uploaded again"
        ),
        "{}",
        run.summary
    );
    assert!(fake.requests_to(RouteKind::ListAssets).len() >= 2);
}

#[test]
fn retries_that_run_out_fail_with_a_hint_and_a_re_run_converges() {
    let fake = fake();
    fake.inject(Fault::status(first_upload().nth(2).always(), 502));
    let h = step(&fake).env("SLIPWAY_RETRY_ATTEMPTS", "3");
    write_dists(&h, 1);
    let run = h.run().assert_failure();
    let err = run.error_annotations().join("\n");
    assert!(
        // The fake answers before reading the body: a 502 or a broken pipe, after 3 attempts.
        err.contains("POST")
            && err.contains("/assets")
            && err.contains("3 attempt")
            && err.contains("\nhint: "),
        "{err}"
    );
    assert_clean(&fake, &run);
    fake.clear_faults();
    let h = h.env("SLIPWAY_RETRY_ATTEMPTS", "5");
    let run = h.run().assert_success();
    assert_release_matches_dist(&fake, &h, only_draft(&fake).id);
    assert_eq!(run.output("created"), "false");
    assert_eq!(
        run.summary.matches("| kept |").count(),
        1,
        "{}",
        run.summary
    );
}

#[test]
fn a_digest_that_is_not_of_the_bytes_sent_fails_names_both_hashes_and_leaves_no_asset() {
    let fake = fake();
    // GitHub (or something on the way) stores other bytes than the first upload sent.
    fake.inject(Fault::corrupt_upload(first_upload()));
    let h = step(&fake);
    write_dists(&h, 1);
    let run = h.run().assert_failure();
    // Files start in name order: the wheel is the first upload.
    let sent = dist_bytes(WHEEL, 1);
    let mut stored = sent.clone();
    stored[0] ^= 0xff;
    let err = run.error_annotations().join("\n");
    assert!(
        err.contains(&format!("GitHub recorded sha256 `{}`", sha256(&stored)))
            && err.contains(&format!("sent bytes with sha256 `{}`", sha256(&sent)))
            && err.contains(WHEEL)
            && err.contains("was deleted")
            && err.contains("\nhint: "),
        "{err}"
    );
    let draft = only_draft(&fake);
    // The corrupt asset is gone; the sdist, uploading beside it, may have arrived whole.
    let left = fake.assets(draft.id);
    assert!(left.iter().all(|a| a.name == SDIST), "{left:#?}");
    for a in &left {
        assert!(fake.asset_bytes(a.id) == dist_bytes(SDIST, 1));
    }
    assert!(fake.requests_to(RouteKind::UploadAsset).len() <= 2);
    assert_eq!(fake.requests_to(RouteKind::DeleteAsset).len(), 1);
    assert_clean(&fake, &run);
    // Nothing corrupt stays behind: a re-run uploads everything and converges.
    let run = h.run().assert_success();
    assert_release_matches_dist(&fake, &h, draft.id);
    assert_eq!(run.output("created"), "false");
}
