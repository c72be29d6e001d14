//! draft-release against hostile servers in front of the fake GitHub (issue 10): lists that show a
//! release twice or lie about it never make a release (or its hand-added assets) go; echoed
//! tokens stay hidden in every form; peers that black-hole, drip or page forever end the run
//! within the shortened bounds; an HTML page where the API should be says to check `api-url`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use slipway_testkit::github::{FakeGitHub, ReleaseSeed};
use slipway_testkit::harness::{Harness, RunResult};
use slipway_testkit::hostile::{
    self, Behaviour, EchoFormat, HostileServer, Paging, Rule, WITHIN, timed,
};

/// The release list (paged).
const LIST: &str = "/repos/octo/widgets/releases";
/// What a maintainer attached by hand to the draft.
const NOTES: &[u8] = b"signed notes a maintainer attached by hand";
/// A step through `api` (as `api-url`) with short bounds and the dists of build 1.
fn through(fake: &FakeGitHub, api: &HostileServer) -> Harness {
    let h = step(fake).input("api-url", api.url()).short_bounds();
    write_dists(&h, 1);
    h
}

/// A draft for [`TAG`] holding a hand-added `NOTES.txt`: (draft id, asset id).
fn draft_with_notes(fake: &FakeGitHub) -> (u64, u64) {
    let draft = fake.add_release(ReleaseSeed::new(TAG).draft());
    let notes = fake.add_asset(draft, "NOTES.txt", NOTES, true);
    (draft, notes)
}

/// Nothing was deleted, through the proxy or at the fake.
fn assert_no_delete(fake: &FakeGitHub, api: &HostileServer) {
    let deletes: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.target.clone())
        .collect();
    assert!(deletes.is_empty(), "DELETEs through the proxy: {deletes:?}");
    assert!(
        !writes(fake).iter().any(|w| w.starts_with("DELETE")),
        "{:?}",
        writes(fake)
    );
}

/// The draft still exists, alone for its tag, with the hand-added asset's bytes.
fn assert_draft_kept(fake: &FakeGitHub, draft: u64, notes: u64) {
    assert_eq!(only_draft(fake).id, draft);
    assert!(fake.assets(draft).iter().any(|a| a.id == notes));
    assert_eq!(fake.asset_bytes(notes), NOTES);
}

fn asset_names(fake: &FakeGitHub, release: u64) -> Vec<String> {
    assets_by_name(fake, release)
        .into_iter()
        .map(|(n, _)| n)
        .collect()
}

fn assert_message(run: &RunResult, needles: &[&str]) {
    for n in needles.iter().chain(&["hint: "]) {
        assert!(
            run.stderr.contains(n),
            "`{n}` not in the error output:\n{}",
            run.stderr
        );
    }
}

// #1 (a): a `Link` that leads back to page 1 showed the draft twice; the old code kept it and
// deleted it as its own duplicate, the hand-added asset with it, and exited 0.
#[test]
fn a_link_back_to_page_one_fails_naming_it_and_the_draft_and_its_assets_stay() {
    let fake = fake();
    let (draft, notes) = draft_with_notes(&fake);
    let api = HostileServer::proxy(fake.api_url());
    api.add(Rule::exact(LIST, Behaviour::Paging(Paging::LoopTo(1))).method("GET"));
    let run = through(&fake, &api).run().assert_failure();
    assert_message(&run, &["leads back to a page already read"]);
    assert_draft_kept(&fake, draft, notes);
    assert_no_delete(&fake, &api);
    assert_clean(&fake, &run);
}

// #1 (b): a page served again in place of the next one lists the draft twice: each release
// counts once, the run converges and deletes nothing.
#[test]
fn a_repeated_release_page_counts_each_release_once_and_deletes_nothing() {
    let fake = fake();
    for i in 0..120 {
        fake.add_release(ReleaseSeed::new(format!("v0.{i}.0")));
    }
    let (draft, notes) = draft_with_notes(&fake);
    let api = HostileServer::proxy(fake.api_url());
    let repeat = api.add(Rule::exact(LIST, Behaviour::Paging(Paging::Repeat(1))).method("GET"));
    let run = through(&fake, &api).run().assert_success();
    assert!(api.hits(repeat) >= 2, "both pages were read");
    assert_eq!(run.output("release-id"), draft.to_string());
    assert_eq!(run.output("created"), "false");
    assert_draft_kept(&fake, draft, notes);
    assert_eq!(
        asset_names(&fake, draft),
        ["NOTES.txt", "SHA256SUMS", WHEEL, SDIST]
    );
    assert_no_delete(&fake, &api);
    assert_clean(&fake, &run);
}

// #1 (b), the honest server: a release created while the list is read shifts GitHub's offset
// pages by one, so the draft, last on page 1, is first on page 2 as well.
#[test]
fn a_release_created_while_the_list_is_read_shifts_the_draft_onto_two_pages_and_nothing_goes() {
    let fake = Arc::new(fake());
    for i in 0..10 {
        fake.add_release(ReleaseSeed::new(format!("v0.{i}.0")));
    }
    let (draft, notes) = draft_with_notes(&fake);
    for i in 0..99 {
        fake.add_release(ReleaseSeed::new(format!("v1.1.{i}")));
    }
    let api = HostileServer::proxy(fake.api_url());
    let meanwhile = fake.clone();
    let created = api.add(
        Rule::exact(
            LIST,
            Behaviour::alter_json(move |page| {
                // Page 1 is on its way; another release appears before page 2 is asked for.
                meanwhile.add_release(ReleaseSeed::new("v2.0.0rc1").draft());
                page
            }),
        )
        .method("GET")
        .times(1),
    );
    let run = through(&fake, &api).run().assert_success();
    assert_eq!(api.hits(created), 1);
    let order: Vec<u64> = fake.releases(REPO).iter().map(|r| r.id).collect();
    assert_eq!(
        order.iter().position(|id| *id == draft),
        Some(100),
        "the draft moved from the end of page 1 to the start of page 2"
    );
    assert_eq!(run.output("release-id"), draft.to_string());
    assert_draft_kept(&fake, draft, notes);
    assert_no_delete(&fake, &api);
    assert_clean(&fake, &run);
}

// #1, re-checked by id: a maintainer publishes the newer of two drafts while the run reads the
// list. The list still says draft; the release itself says published: it is not deleted.
#[test]
fn a_duplicate_draft_published_while_the_list_is_read_is_not_deleted() {
    let fake = Arc::new(fake());
    let older = fake.add_release(ReleaseSeed::new(TAG).draft());
    let newer = fake.add_release(ReleaseSeed::new(TAG).draft());
    let api = HostileServer::proxy(fake.api_url());
    let maintainer = fake.clone();
    api.add(
        Rule::exact(
            LIST,
            Behaviour::alter_json(move |page| {
                maintainer.publish(newer);
                page
            }),
        )
        .method("GET")
        .times(1),
    );
    let run = through(&fake, &api).run().assert_failure();
    assert_message(
        &run,
        &[&format!(
            "release {newer} is listed as a draft for `{TAG}`, but read by its id it is published; nothing was deleted"
        )],
    );
    let published = fake
        .release(newer)
        .expect("the published release is still there");
    assert!(!published.draft);
    assert_no_delete(&fake, &api);
    // The files went to the kept draft before the duplicate was looked at.
    assert_eq!(asset_names(&fake, older), ["SHA256SUMS", WHEEL, SDIST]);
    assert_clean(&fake, &run);
}

/// A proxy whose release list shows the release `id` as a draft for [`TAG`].
fn list_disguising(fake: &FakeGitHub, id: u64) -> HostileServer {
    let api = HostileServer::proxy(fake.api_url());
    api.add(
        Rule::exact(
            LIST,
            Behaviour::alter_json(move |mut page| {
                for r in page.as_array_mut().into_iter().flatten() {
                    if r["id"] == id {
                        r["tag_name"] = TAG.into();
                        r["draft"] = true.into();
                    }
                }
                page
            }),
        )
        .method("GET"),
    );
    api
}

// A list that shows another tag's published release as a newer draft for the tag: the old code
// deleted it as an empty duplicate. Read by its id it is what it is: nothing is deleted.
#[test]
fn a_release_the_list_disguises_as_a_duplicate_draft_is_not_deleted() {
    let fake = fake();
    let draft = fake.add_release(ReleaseSeed::new(TAG).draft());
    let other = fake.add_release(ReleaseSeed::new("v1.1.0"));
    let api = list_disguising(&fake, other);
    let run = through(&fake, &api).run().assert_failure();
    assert_message(
        &run,
        &[&format!(
            "release {other} is listed as a draft for `{TAG}`, but read by its id it is the published release of `v1.1.0`; nothing was deleted"
        )],
    );
    assert!(fake.release(other).is_some_and(|r| !r.draft));
    assert_eq!(asset_names(&fake, draft), ["SHA256SUMS", WHEEL, SDIST]);
    assert_no_delete(&fake, &api);
}

// The same lie with no real draft: the old code took the published release as the draft and
// uploaded onto it (replacing its assets with `overwrite`). Nothing is written.
#[test]
fn a_release_the_list_disguises_as_the_draft_is_not_written_to() {
    let fake = fake();
    let other = fake.add_release(ReleaseSeed::new("v1.1.0"));
    let kept = fake.add_asset(other, SDIST, b"the released bytes", true);
    let api = list_disguising(&fake, other);
    let run = through(&fake, &api).run().assert_failure();
    assert_message(
        &run,
        &[&format!(
            "release {other} is listed as a draft for `{TAG}`, but read by its id it is the published release of `v1.1.0`; nothing was changed"
        )],
    );
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert_eq!(fake.asset_bytes(kept), b"the released bytes");
}

// #6: a token with `"` and `\` is quoted JSON-escaped by an error page that echoes the request's
// headers; no form of it may show.
#[test]
fn a_token_with_quotes_and_backslashes_never_shows_when_an_error_page_echoes_it() {
    let token = r#"ghs_Qu"ote\Back\\slash0123456789"#;
    for (status, format) in [
        (403, EchoFormat::Json),
        (500, EchoFormat::Json),
        (403, EchoFormat::Html),
    ] {
        let fake = hostile::github_with_token(token, REPO);
        let api = hostile::echoing_api(&fake, status, format);
        let run = through(&fake, &api).run().assert_failure();
        assert!(api.saw(token), "the page echoed the token it was sent");
        assert!(
            run.stderr.contains(&status.to_string()),
            "{status}: {}",
            run.stderr
        );
        assert_eq!(
            run.leaks(token),
            Vec::<String>::new(),
            "{status} {format:?}:\n{}",
            run.all_text()
        );
    }
}

// #7 / #8: a peer that accepts and never answers.
#[test]
fn a_black_holed_api_ends_within_the_bounds_naming_the_silent_peer_rule() {
    let fake = fake();
    let api = HostileServer::start().with(Rule::any(Behaviour::BlackHole));
    let (run, took) = timed(&through(&fake, &api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    assert_message(
        &run,
        &["gave up after 2 attempt(s)", "`SLIPWAY_SILENT_TIMEOUT`"],
    );
}

// #7: one byte every 100 ms is alive for the silent-peer rule but far below the low-speed one.
#[test]
fn a_dripping_api_ends_within_the_bounds_naming_the_low_speed_rule() {
    let fake = fake();
    let body = format!("{{\"message\":\"{}\"}}", "x".repeat(4000));
    let api =
        HostileServer::start().with(Rule::any(Behaviour::drip(body, Duration::from_millis(100))));
    let (run, took) = timed(&through(&fake, &api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    assert_message(
        &run,
        &["below the low-speed limit", "`SLIPWAY_LOW_SPEED_LIMIT`"],
    );
}

// #9: a `Link` that always names one more page.
#[test]
fn endless_paging_of_the_release_list_stops_at_the_page_cap_and_creates_nothing() {
    let fake = fake();
    let api = HostileServer::proxy(fake.api_url());
    let endless = api.add(Rule::exact(LIST, Behaviour::Paging(Paging::Endless)).method("GET"));
    let (run, took) = timed(&through(&fake, &api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    assert_message(&run, &["the list goes on past 100 pages"]);
    assert_eq!(api.hits(endless), 100);
    assert_eq!(writes(&fake), Vec::<String>::new());
}

#[test]
fn endless_paging_of_the_asset_list_stops_at_the_page_cap_and_changes_nothing() {
    let fake = fake();
    let (draft, notes) = draft_with_notes(&fake);
    let api = HostileServer::proxy(fake.api_url());
    let endless = api.add(
        Rule::prefix(
            &format!("{LIST}/{draft}/assets"),
            Behaviour::Paging(Paging::Endless),
        )
        .method("GET"),
    );
    let run = through(&fake, &api).run().assert_failure();
    assert_message(&run, &["the list goes on past 100 pages"]);
    assert_eq!(api.hits(endless), 100);
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert_draft_kept(&fake, draft, notes);
}

// #21: `api-url` pointing at a web page (a login wall answers 200 with HTML).
#[test]
fn an_html_page_where_the_api_should_be_says_to_check_api_url() {
    let fake = fake();
    let api = HostileServer::start().with(Rule::any(Behaviour::html(
        200,
        "<!doctype html><html><head><title>Sign in</title></head><body><form>Sign in to continue</form></body></html>",
    )));
    let run = through(&fake, &api).run().assert_failure();
    assert_message(
        &run,
        &["the answer is an HTML page", "hint: check `api-url`"],
    );
}

// A `Link` naming another origin is never followed: the token stays with the API.
#[test]
fn a_link_to_another_origin_is_not_followed_and_gets_no_token() {
    let fake = fake();
    let evil = HostileServer::start();
    let api = HostileServer::proxy(fake.api_url());
    api.add(
        Rule::exact(
            LIST,
            Behaviour::Respond {
                status: 200,
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    (
                        "link".into(),
                        format!("<{}{LIST}?page=2>; rel=\"next\"", evil.url()),
                    ),
                ],
                body: "[]".into(),
            },
        )
        .method("GET"),
    );
    let run = through(&fake, &api).run().assert_failure();
    assert_message(&run, &["the `Link` header's next page is on another host"]);
    assert!(evil.requests().is_empty(), "{:#?}", evil.requests());
    assert_eq!(writes(&fake), Vec::<String>::new());
    assert_clean(&fake, &run);
}

// The token goes to the upload host the release names, and no further: an upload answered with
// a redirect to another host is not followed (the file and the token stay where they were sent).
#[test]
fn an_upload_redirected_to_another_host_is_not_followed() {
    let fake = fake();
    let evil = HostileServer::start();
    let api = HostileServer::proxy(fake.api_url());
    let uploads = HostileServer::proxy(fake.uploads_url());
    api.rewrite_origin(fake.uploads_url(), uploads.url());
    uploads
        .add(Rule::any(Behaviour::redirect(307, &format!("{}/upload", evil.url()))).method("POST"));
    let run = through(&fake, &api).run().assert_failure();
    assert_message(&run, &["307"]);
    assert!(evil.requests().is_empty(), "{:#?}", evil.requests());
    let posts = uploads.requests();
    assert!(!posts.is_empty());
    assert!(
        posts.iter().all(|r| r.authorization().is_some()),
        "the release's upload host gets the token"
    );
    assert_clean(&fake, &run);
}
