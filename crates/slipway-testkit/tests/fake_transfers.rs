//! The fake's uploads, downloads and fault injection, driven over HTTP.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{api, client, digest, get_json, upload};
use reqwest::Method;
use serde_json::Value;
use slipway_testkit::github::{
    AssetState, DownloadMode, FakeGitHub, Fault, Host, Match, ReleaseSeed, RouteKind,
    max_concurrency,
};

const REPO: &str = "octo/widgets";

type Chunk = Result<Bytes, std::io::Error>;

/// A request body fed chunk by chunk from the test.
fn channel_body() -> (tokio::sync::mpsc::Sender<Chunk>, reqwest::Body) {
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    (tx, reqwest::Body::wrap_stream(stream))
}

async fn wait_for_asset(fake: &FakeGitHub, release: u64) -> slipway_testkit::github::Asset {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(a) = fake.assets(release).into_iter().next() {
            return a;
        }
        assert!(Instant::now() < deadline, "the asset never appeared");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn upload_is_open_while_in_flight_then_uploaded_with_digest() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    let chunk = Bytes::from(vec![7u8; 1 << 20]);
    let total = 32 * chunk.len();
    let (tx, body) = channel_body();
    let request = upload(&fake, release, "widgets 1.0.0.tar.gz")
        .header("content-length", total.to_string())
        .body(body)
        .send();
    let response = tokio::spawn(request);
    tx.send(Ok(chunk.clone())).await.unwrap();
    let open = wait_for_asset(&fake, release).await;
    assert_eq!(open.state, AssetState::Open);
    assert_eq!(
        open.name, "widgets.1.0.0.tar.gz",
        "GitHub renames spaces to dots"
    );
    assert!(open.digest.is_none());
    for _ in 1..32 {
        tx.send(Ok(chunk.clone())).await.unwrap();
    }
    drop(tx);
    let response = response.await.unwrap().unwrap();
    assert_eq!(response.status(), 201);
    let asset: Value = response.json().await.unwrap();
    let expected = digest(&vec![7u8; total]);
    assert_eq!(asset["state"], "uploaded");
    assert_eq!(asset["size"], total);
    assert_eq!(asset["digest"], expected.as_str());
    assert_eq!(asset["name"], "widgets.1.0.0.tar.gz");
    let stored = &fake.assets(release)[0];
    assert_eq!(
        (stored.state, stored.digest.as_deref()),
        (AssetState::Uploaded, Some(expected.as_str()))
    );
    assert_eq!(
        std::fs::metadata(fake.asset_path(stored.id)).unwrap().len(),
        total as u64
    );
    let log = fake.requests_to(RouteKind::UploadAsset);
    assert_eq!(
        (log[0].host, log[0].request_body_len, log[0].status),
        (Host::Uploads, total as u64, 201)
    );

    let again = upload(&fake, release, "widgets 1.0.0.tar.gz")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);
    let err: Value = again.json().await.unwrap();
    assert_eq!(err["errors"][0]["code"], "already_exists");
}

#[tokio::test]
async fn a_client_that_disconnects_mid_body_leaves_an_open_asset_until_deleted() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    let (tx, body) = channel_body();
    let request = upload(&fake, release, "w.whl")
        .header("content-length", "1000000")
        .body(body)
        .send();
    let response = tokio::spawn(request);
    tx.send(Ok(Bytes::from(vec![1u8; 1000]))).await.unwrap();
    wait_for_asset(&fake, release).await;
    tx.send(Err(std::io::Error::other("runner died")))
        .await
        .unwrap();
    assert!(response.await.unwrap().is_err());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let left = &fake.assets(release)[0];
    assert_eq!(left.state, AssetState::Open);

    let blocked = upload(&fake, release, "w.whl")
        .body("new bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 422, "an unfinished asset holds its name");
    let listed: Vec<Value> =
        get_json(&fake, &format!("/repos/{REPO}/releases/{release}/assets")).await;
    assert_eq!(listed[0]["state"], "open");
    let del = api(
        &fake,
        Method::DELETE,
        &format!("/repos/{REPO}/releases/assets/{}", left.id),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(del.status(), 204);
    let ok = upload(&fake, release, "w.whl")
        .body("new bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
    assert!(
        !fake.asset_path(left.id).exists(),
        "deleting removes the bytes"
    );
}

#[tokio::test]
async fn upload_faults_and_missing_length() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    fake.inject(Fault::upload_fails_after_create(Match::route(
        RouteKind::UploadAsset,
    )));
    let failed = upload(&fake, release, "a.whl")
        .body(vec![0u8; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 502);
    assert_eq!(fake.assets(release)[0].state, AssetState::Open);

    fake.inject(Fault::reset_request_body(
        Match::route(RouteKind::UploadAsset),
        64 * 1024,
    ));
    let reset = upload(&fake, release, "b.whl")
        .body(vec![0u8; 4 << 20])
        .send()
        .await;
    assert!(
        reset.is_err(),
        "the connection is dropped mid-body: {reset:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let b = fake
        .assets(release)
        .into_iter()
        .find(|a| a.name == "b.whl")
        .unwrap();
    assert_eq!(b.state, AssetState::Open);
    let record = fake.requests_to(RouteKind::UploadAsset).pop().unwrap();
    assert_eq!(record.status, 0, "no response was sent");

    let (tx, body) = channel_body();
    drop(tx);
    let no_length = upload(&fake, release, "c.whl")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_length.status(), 411);
    let unnamed = client()
        .post(format!(
            "{}/repos/{REPO}/releases/{release}/assets",
            fake.uploads_url()
        ))
        .bearer_auth(fake.token())
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(unnamed.status(), 422);
    let no_token = client()
        .post(format!(
            "{}/repos/{REPO}/releases/{release}/assets?name=d",
            fake.uploads_url()
        ))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
}

async fn download(fake: &FakeGitHub, asset: u64) -> reqwest::Response {
    api(
        fake,
        Method::GET,
        &format!("/repos/{REPO}/releases/assets/{asset}"),
    )
    .header("accept", "application/octet-stream")
    .send()
    .await
    .unwrap()
}

#[tokio::test]
async fn downloads_redirect_to_storage_which_refuses_the_token() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let bytes = b"wheel bytes".repeat(1000);
    let asset = fake.add_asset(release, "w-1.0-py3-none-any.whl", &bytes, true);
    let old = fake.add_asset(release, "old.tar.gz", b"old", false);

    let meta: Value = get_json(&fake, &format!("/repos/{REPO}/releases/assets/{asset}")).await;
    assert_eq!(meta["digest"], digest(&bytes).as_str());
    assert_eq!(meta["size"], bytes.len());
    for field in [
        "url",
        "browser_download_url",
        "name",
        "label",
        "state",
        "content_type",
        "created_at",
    ] {
        assert!(meta.get(field).is_some(), "asset field `{field}` missing");
    }
    let old_meta: Value = get_json(&fake, &format!("/repos/{REPO}/releases/assets/{old}")).await;
    assert!(old_meta["digest"].is_null());

    let redirect = download(&fake, asset).await;
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(fake.storage_url()), "{location}");
    let with_token = client()
        .get(&location)
        .bearer_auth(fake.token())
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_token.status(),
        400,
        "storage refuses a second auth mechanism, as S3 does"
    );
    let tampered = client()
        .get(location.replace("Signature=", "Signature=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 403);
    let fetched = client().get(&location).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.content_length(), Some(bytes.len() as u64));
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let storage = fake.requests_to(RouteKind::StorageDownload);
    assert_eq!(storage.len(), 3);
    assert_eq!(
        storage.iter().filter(|r| r.authorization.is_some()).count(),
        1
    );
    assert_eq!(storage[2].body_len, bytes.len() as u64);

    let browser = client()
        .get(meta["browser_download_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        browser.status(),
        302,
        "browser URLs need no token for published releases"
    );

    fake.set_download_mode(DownloadMode::Direct);
    let direct = download(&fake, asset).await;
    assert_eq!(direct.status(), 200);
    assert_eq!(direct.bytes().await.unwrap().as_ref(), bytes.as_slice());
    assert_eq!(fake.assets(release)[0].download_count, 3);
    assert!(fake.unexpected_requests().is_empty());
}

#[tokio::test]
async fn asset_metadata_can_be_renamed_and_deleted() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    let a = fake.add_asset(release, "a.whl", b"a", true);
    fake.add_asset(release, "b.whl", b"b", true);
    let path = format!("/repos/{REPO}/releases/assets/{a}");
    let clash = api(&fake, Method::PATCH, &path)
        .json(&serde_json::json!({"name": "b.whl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(clash.status(), 422);
    let renamed: Value = api(&fake, Method::PATCH, &path)
        .json(&serde_json::json!({"name": "c (1).whl", "label": "C"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (renamed["name"].as_str(), renamed["label"].as_str()),
        (Some("c..1..whl"), Some("C"))
    );
    let other_repo = api(
        &fake,
        Method::GET,
        &format!("/repos/octo/other/releases/assets/{a}"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(other_repo.status(), 404);
    assert_eq!(
        api(&fake, Method::DELETE, &path)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        api(&fake, Method::GET, &path)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(fake.assets(release).len(), 1);
}

#[tokio::test]
async fn status_faults_hit_the_chosen_requests() {
    let fake = FakeGitHub::with_repo(REPO);
    let list = format!("/repos/{REPO}/releases");
    fake.inject(Fault::status(
        Match::route(RouteKind::ListReleases).nth(2),
        502,
    ));
    let statuses = [
        api(&fake, Method::GET, &list)
            .send()
            .await
            .unwrap()
            .status(),
        api(&fake, Method::GET, &list)
            .send()
            .await
            .unwrap()
            .status(),
        api(&fake, Method::GET, &list)
            .send()
            .await
            .unwrap()
            .status(),
    ];
    assert_eq!(statuses.map(|s| s.as_u16()), [200, 502, 200]);

    fake.inject(Fault::too_many_requests(Match::path("GET", "/releases"), 7));
    let r = api(&fake, Method::GET, &list).send().await.unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "7")
    );

    fake.inject(Fault::secondary_rate_limit(
        Match::route(RouteKind::ListReleases),
        3,
    ));
    let r = api(&fake, Method::GET, &list).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["retry-after"], "3");
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("You have exceeded a secondary rate limit")
    );

    fake.inject(Fault::primary_rate_limit(
        Match::route(RouteKind::ListReleases),
        60,
    ));
    let r = api(&fake, Method::GET, &list).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-ratelimit-remaining"], "0");
    let reset: u64 = r.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(reset >= now + 50, "reset {reset} vs now {now}");

    fake.inject(Fault::delay(
        Match::route(RouteKind::ListReleases),
        Duration::from_millis(300),
    ));
    let t = Instant::now();
    assert_eq!(
        api(&fake, Method::GET, &list)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(300));

    fake.inject(Fault::reset_connection(Match::route(
        RouteKind::ListReleases,
    )));
    assert!(api(&fake, Method::GET, &list).send().await.is_err());
    assert_eq!(
        api(&fake, Method::GET, &list)
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "faults are spent"
    );
    fake.inject(Fault::status(Match::any().always(), 503));
    assert_eq!(
        api(&fake, Method::GET, "/rate_limit")
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    fake.clear_faults();
    assert_eq!(
        api(&fake, Method::GET, "/rate_limit")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn storage_faults_cut_or_corrupt_the_bytes() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let asset = fake.add_asset(release, "big.whl", &bytes, true);
    let location = |r: &reqwest::Response| r.headers()["location"].to_str().unwrap().to_string();

    fake.inject(Fault::reset_response_body(
        Match::route(RouteKind::StorageDownload),
        10_000,
    ));
    let url = location(&download(&fake, asset).await);
    let cut = client().get(&url).send().await.unwrap();
    assert_eq!(cut.status(), 200);
    assert!(cut.bytes().await.is_err(), "the body ends early");

    fake.inject(Fault::corrupt(Match::host(Host::Storage)));
    let corrupt = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(corrupt.len(), bytes.len());
    assert_ne!(digest(&corrupt), digest(&bytes));
    let good = client()
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(good.as_ref(), bytes.as_slice());

    // Slow storage: overlapping downloads show in the log.
    fake.clear_requests();
    fake.inject(Fault::delay(
        Match::route(RouteKind::StorageDownload).always(),
        Duration::from_millis(300),
    ));
    let gets = (0..4).map(|_| async {
        client()
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
    });
    for body in futures_util::future::join_all(gets).await {
        assert_eq!(body.len(), bytes.len());
    }
    assert_eq!(
        max_concurrency(&fake.requests_to(RouteKind::StorageDownload)),
        4
    );
}
