//! fetch-assets against hostile servers in front of the fake GitHub (issue 10): an API or a
//! storage host that black-holes, stalls or drips ends the run within the shortened bounds and is
//! named for what it is; downloads stop at the asset's recorded size; lists that page forever or
//! repeat a page; an HTML page where the API should be; and the token stays with the API.

mod common;

use std::time::Duration;

use common::{bytes_for, entries, step, sums};
use slipway_testkit::github::{FakeGitHub, ReleaseSeed};
use slipway_testkit::harness::{Harness, RunResult};
use slipway_testkit::hostile::{
    self, Behaviour, EchoFormat, EndlessFraming, HostileServer, Paging, Rule, WITHIN, timed,
};

const REPO: &str = "octo/demo";
const TAG: &str = "v1.0.0";
const LIST: &str = "/repos/octo/demo/releases";
/// One asset of the seeded release.
struct Seeded {
    name: String,
    id: u64,
    bytes: Vec<u8>,
}

/// A release for [`TAG`] with `n` wheels of a few KB (with digests) and, with `manifest`, a
/// SHA256SUMS listing them; returns (release id, the wheels).
fn seed(fake: &FakeGitHub, release: ReleaseSeed, n: usize, manifest: bool) -> (u64, Vec<Seeded>) {
    let id = fake.add_release(release);
    let wheels: Vec<Seeded> = (0..n)
        .map(|i| {
            let name = format!("demo-1.0.0-py3-none-any-{i}.whl");
            let bytes = bytes_for(&name, 6_000 + i);
            let asset = fake.add_asset(id, &name, &bytes, true);
            Seeded {
                name,
                id: asset,
                bytes,
            }
        })
        .collect();
    if manifest {
        let listed: Vec<(&str, &[u8])> = wheels
            .iter()
            .map(|w| (w.name.as_str(), w.bytes.as_slice()))
            .collect();
        fake.add_asset(id, "SHA256SUMS", sums(&listed).as_bytes(), true);
    }
    (id, wheels)
}

/// A proxy for the API and one for the storage host, the API's redirects leading to the latter.
fn proxies(fake: &FakeGitHub) -> (HostileServer, HostileServer) {
    let api = HostileServer::proxy(fake.api_url());
    let storage = HostileServer::proxy(fake.storage_url());
    api.rewrite_origin(fake.storage_url(), storage.url());
    (api, storage)
}

/// The storage path prefix of an asset's bytes.
fn bytes_of(asset: u64) -> String {
    format!("/release-assets/{asset}/")
}

/// A step for [`TAG`] through `api` with short bounds.
fn through(fake: &FakeGitHub, api: &HostileServer) -> Harness {
    step(fake)
        .input("api-url", api.url())
        .input("tag", TAG)
        .short_bounds()
}

fn dist(h: &Harness) -> Vec<String> {
    entries(&h.workspace().join("dist"))
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

/// The run ended within [`WITHIN`], failing, its message naming `needles` and a hint.
fn bounded(run: RunResult, took: Duration, needles: &[&str]) -> RunResult {
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}\n{}", run.stderr);
    assert_message(&run, needles);
    run
}

/// No request to `server` carried an `Authorization` header or the token anywhere.
fn assert_no_token(server: &HostileServer, token: &str) {
    for r in server.requests() {
        assert_eq!(r.authorization(), None, "{r:#?}");
    }
    assert!(!server.saw(token));
}

// #7 / #8: an API that accepts and never answers.
#[test]
fn a_black_holed_api_ends_within_the_bounds_naming_the_silent_peer_rule() {
    let fake = FakeGitHub::with_repo(REPO);
    let api = HostileServer::start().with(Rule::any(Behaviour::BlackHole));
    let (run, took) = timed(&through(&fake, &api));
    bounded(
        run,
        took,
        &["`SLIPWAY_SILENT_TIMEOUT`", "gave up after 2 attempt(s)"],
    );
}

// #7: one byte every 100 ms keeps the silent-peer rule quiet; the low-speed rule ends it.
#[test]
fn a_dripping_api_ends_within_the_bounds_naming_the_low_speed_rule() {
    let fake = FakeGitHub::with_repo(REPO);
    let body = format!("{{\"message\":\"{}\"}}", "x".repeat(4000));
    let api =
        HostileServer::start().with(Rule::any(Behaviour::drip(body, Duration::from_millis(100))));
    let (run, took) = timed(&through(&fake, &api));
    bounded(run, took, &["`SLIPWAY_LOW_SPEED_LIMIT`"]);
}

// #7 / #8 / #11: the storage host sends the head and then nothing. The message names the storage
// host (it is the one to blame), not the API asset URL with "check `api-url`".
#[test]
fn a_storage_host_that_stalls_after_the_headers_is_named_and_ends_within_the_bounds() {
    let fake = FakeGitHub::with_repo(REPO);
    let (_, wheels) = seed(&fake, ReleaseSeed::new(TAG), 1, true);
    let (api, storage) = proxies(&fake);
    storage.add(Rule::prefix(
        &bytes_of(wheels[0].id),
        Behaviour::stall_after_headers(wheels[0].bytes.len() as u64),
    ));
    let h = through(&fake, &api);
    let (run, took) = timed(&h);
    // Nothing moves once the body is due: the low-speed rule (1 s) sees it before the
    // silent-peer rule (2 s).
    let run = bounded(
        run,
        took,
        &[
            "gave up after 2 attempt(s)",
            "`SLIPWAY_LOW_SPEED_LIMIT`",
            storage.url(),
        ],
    );
    assert!(!run.stderr.contains("api-url"), "{}", run.stderr);
    // No partial file: the manifest is in place, the wheel is not, nor any temporary file.
    assert_eq!(dist(&h), ["SHA256SUMS"]);
}

// #7: a storage host that drips the body.
#[test]
fn a_dripping_storage_host_is_named_and_ends_within_the_bounds() {
    let fake = FakeGitHub::with_repo(REPO);
    let (_, wheels) = seed(&fake, ReleaseSeed::new(TAG), 1, false);
    let (api, storage) = proxies(&fake);
    storage.add(Rule::prefix(
        &bytes_of(wheels[0].id),
        Behaviour::Drip {
            status: 200,
            headers: vec![("content-type".into(), "application/octet-stream".into())],
            body: wheels[0].bytes.clone().into(),
            interval: Duration::from_millis(100),
        },
    ));
    let h = through(&fake, &api);
    let (run, took) = timed(&h);
    let run = bounded(run, took, &["`SLIPWAY_LOW_SPEED_LIMIT`", storage.url()]);
    assert!(!run.stderr.contains("api-url"), "{}", run.stderr);
    assert_eq!(dist(&h), Vec::<String>::new());
}

// #8: with every download black-holed, the run ends after the first ones time out instead of
// waiting the bounds out once per asset: no download starts after a failure, and the report says
// which were not started.
#[test]
fn a_black_holed_storage_host_stops_new_downloads_after_the_first_failure() {
    let fake = FakeGitHub::with_repo(REPO);
    let (_, wheels) = seed(&fake, ReleaseSeed::new(TAG), 8, false);
    let (api, storage) = proxies(&fake);
    storage.add(Rule::prefix("/release-assets/", Behaviour::BlackHole));
    let h = through(&fake, &api).input("max-parallel", "2");
    let (run, took) = timed(&h);
    let run = bounded(
        run,
        took,
        &["not started after the first failure", storage.url()],
    );
    let mut started: Vec<String> = storage
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    started.sort();
    started.dedup();
    assert!(started.len() <= 2, "{started:#?}");
    let not_started = run
        .stderr
        .lines()
        .find(|l| l.contains("not started after the first failure"))
        .unwrap();
    assert!(not_started.starts_with("6 not started"), "{not_started}");
    assert!(not_started.contains(&format!("`{}`", wheels[7].name)));
    assert_eq!((run.output("count"), run.output("files")), ("0", "[]"));
    assert!(
        run.summary.contains("2 of 2 files failed, 6 not started"),
        "{}",
        run.summary
    );
    assert_eq!(dist(&h), Vec::<String>::new());
}

// #9: a `Link` that always names one more page, on the release list (a draft's tag is looked up
// there) and on the asset list.
#[test]
fn endless_paging_of_either_list_stops_at_the_page_cap_and_writes_nothing() {
    for list in ["releases", "assets"] {
        let fake = FakeGitHub::with_repo(REPO);
        let (id, _) = seed(&fake, ReleaseSeed::new(TAG).draft(), 1, true);
        let api = HostileServer::proxy(fake.api_url());
        let path = match list {
            "releases" => LIST.to_string(),
            _ => format!("{LIST}/{id}/assets"),
        };
        let endless = api.add(Rule::exact(&path, Behaviour::Paging(Paging::Endless)).method("GET"));
        let h = through(&fake, &api);
        let (run, took) = timed(&h);
        bounded(run, took, &["the list goes on past 100 pages"]);
        assert_eq!(api.hits(endless), 100, "{list}");
        assert_eq!(dist(&h), Vec::<String>::new(), "{list}");
    }
}

// #10: a storage host sending an endless body for a 6 KB asset: the download stops as soon as
// it passes the recorded size, and nothing is left in `dir`, with or without `verify`.
#[test]
fn an_endless_body_stops_at_the_recorded_size_and_leaves_nothing_even_without_verify() {
    for framing in [EndlessFraming::Chunked, EndlessFraming::UntilClose] {
        for verify in ["true", "false"] {
            let fake = FakeGitHub::with_repo(REPO);
            let (_, wheels) = seed(&fake, ReleaseSeed::new(TAG), 1, false);
            let (api, storage) = proxies(&fake);
            storage.add(Rule::prefix(
                &bytes_of(wheels[0].id),
                Behaviour::endless_body(framing),
            ));
            let h = through(&fake, &api).input("verify", verify);
            let (run, took) = timed(&h);
            let expected = format!(
                "sent more than the {} bytes expected",
                wheels[0].bytes.len()
            );
            let run = bounded(run, took, &[&expected, storage.url()]);
            assert!(
                took < Duration::from_secs(10),
                "{framing:?} {verify}: {took:?}"
            );
            assert_eq!(dist(&h), Vec::<String>::new(), "{framing:?} {verify}");
            assert_eq!(run.output("count"), "0");
        }
    }
}

// #10: an endless SHA256SUMS is refused as soon as it passes its recorded size, not held in
// memory to the end (which never comes).
#[test]
fn an_endless_manifest_is_refused_without_reading_it_all() {
    let fake = FakeGitHub::with_repo(REPO);
    let (id, _) = seed(&fake, ReleaseSeed::new(TAG), 1, true);
    let manifest = fake
        .assets(id)
        .into_iter()
        .find(|a| a.name == "SHA256SUMS")
        .unwrap();
    let (api, storage) = proxies(&fake);
    storage.add(Rule::prefix(
        &bytes_of(manifest.id),
        Behaviour::endless_body(EndlessFraming::Chunked),
    ));
    let h = through(&fake, &api);
    let (run, took) = timed(&h);
    let expected = format!("sent more than the {} bytes expected", manifest.size);
    bounded(run, took, &["cannot download `SHA256SUMS`", &expected]);
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(dist(&h), Vec::<String>::new());
}

// #12: the asset list's second page served as a copy of the first shows each file twice: each
// is downloaded once, and `count` and `files` name each once.
#[test]
fn a_repeated_asset_list_page_downloads_each_file_once() {
    let fake = FakeGitHub::with_repo(REPO);
    let (id, wheels) = seed(&fake, ReleaseSeed::new(TAG), 3, true);
    for i in 0..100 {
        fake.add_asset(id, &format!("zz-filler-{i}.txt"), b"filler", true);
    }
    let (api, storage) = proxies(&fake);
    let repeat = api.add(
        Rule::exact(
            &format!("{LIST}/{id}/assets"),
            Behaviour::Paging(Paging::Repeat(1)),
        )
        .method("GET"),
    );
    let h = through(&fake, &api).input("patterns", "*.whl");
    let run = h.run().assert_success();
    assert_eq!(api.hits(repeat), 2, "both pages were read");
    assert_eq!(run.output("count"), "3");
    let files: Vec<String> = wheels.iter().map(|w| format!("dist/{}", w.name)).collect();
    assert_eq!(run.output_json("files"), serde_json::json!(files));
    for w in &wheels {
        let fetched = storage
            .requests()
            .iter()
            .filter(|r| r.path().starts_with(&bytes_of(w.id)))
            .count();
        assert_eq!(fetched, 1, "{}", w.name);
        let on_disk = std::fs::read(h.workspace().join("dist").join(&w.name)).unwrap();
        assert!(on_disk == w.bytes, "{}", w.name);
    }
}

// #21: `api-url` pointing at a web page (a login wall answers 200 with HTML).
#[test]
fn an_html_page_where_the_api_should_be_says_to_check_api_url() {
    let fake = FakeGitHub::with_repo(REPO);
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

// #6: a token with `"` and `\` echoed by a JSON (or HTML) error page never shows, in any form.
#[test]
fn a_token_with_quotes_and_backslashes_never_shows_when_an_error_page_echoes_it() {
    let token = r#"ghs_Qu"ote\Back\\slash0123456789"#;
    for (status, format) in [
        (403, EchoFormat::Json),
        (500, EchoFormat::Json),
        (500, EchoFormat::Html),
    ] {
        let fake = hostile::github_with_token(token, REPO);
        seed(&fake, ReleaseSeed::new(TAG), 1, false);
        let api = hostile::echoing_api(&fake, status, format);
        let run = through(&fake, &api).run().assert_failure();
        assert!(api.saw(token), "the page echoed the token it was sent");
        assert!(run.stderr.contains(&status.to_string()), "{}", run.stderr);
        assert_eq!(
            run.leaks(token),
            Vec::<String>::new(),
            "{status} {format:?}:\n{}",
            run.all_text()
        );
    }
}

// The token never reaches the storage host, nor the host the storage host redirects to.
#[test]
fn a_storage_redirect_to_another_host_gets_no_token() {
    let fake = FakeGitHub::with_repo(REPO);
    let (_, wheels) = seed(&fake, ReleaseSeed::new(TAG), 1, true);
    let (api, storage) = proxies(&fake);
    let evil = HostileServer::start().with(Rule::any(Behaviour::respond(
        200,
        "application/octet-stream",
        wheels[0].bytes.clone(),
    )));
    storage.add(Rule::prefix(
        &bytes_of(wheels[0].id),
        Behaviour::redirect(302, &format!("{}/elsewhere", evil.url())),
    ));
    let h = through(&fake, &api);
    let run = h.run().assert_success();
    assert_eq!(evil.requests().len(), 1, "the redirect was followed");
    assert!(!storage.requests().is_empty());
    assert_no_token(&evil, &fake.token());
    assert_no_token(&storage, &fake.token());
    assert_eq!(run.output("count"), "2");
    assert_eq!(run.leaks(&fake.token()), Vec::<String>::new());
}

// An asset whose `url` names another origin is fetched without the token.
#[test]
fn an_asset_url_on_another_origin_gets_no_token() {
    let fake = FakeGitHub::with_repo(REPO);
    let (id, wheels) = seed(&fake, ReleaseSeed::new(TAG), 1, false);
    let evil = HostileServer::start().with(Rule::any(Behaviour::respond(
        200,
        "application/octet-stream",
        wheels[0].bytes.clone(),
    )));
    let api = HostileServer::proxy(fake.api_url());
    let elsewhere = format!("{}/assets/{}", evil.url(), wheels[0].id);
    api.add(
        Rule::exact(
            &format!("{LIST}/{id}/assets"),
            Behaviour::alter_json(move |mut page| {
                for a in page.as_array_mut().into_iter().flatten() {
                    a["url"] = elsewhere.clone().into();
                }
                page
            }),
        )
        .method("GET"),
    );
    let run = through(&fake, &api).run().assert_success();
    assert_eq!(evil.requests().len(), 1, "{:#?}", evil.requests());
    assert_no_token(&evil, &fake.token());
    assert_eq!(run.output("count"), "1");
}
