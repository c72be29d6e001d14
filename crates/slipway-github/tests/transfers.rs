//! Streamed uploads and downloads against the fake GitHub: Content-Length, retries, the
//! storage redirect without the token, and interrupted downloads.

use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;
use sha2::{Digest, Sha256};
use slipway_github::{ClientConfig, GitHub, HttpError, Release, RetryPolicy};
use slipway_runner::RepoSlug;
use slipway_testkit::github::{FakeGitHub, Fault, Host, Match, ReleaseSeed, RouteKind};

const REPO: &str = "octo/widgets";

fn client(fake: &FakeGitHub) -> GitHub {
    let mut cfg = ClientConfig::new(
        fake.api_url(),
        Some(SecretString::from(fake.token())),
        RepoSlug::parse(REPO).unwrap(),
    );
    cfg.retry = RetryPolicy::fast(Duration::from_millis(10));
    GitHub::new(cfg).unwrap()
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn draft(fake: &FakeGitHub, gh: &GitHub) -> Release {
    let id = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    gh.release(id).await.unwrap()
}

#[tokio::test]
async fn uploads_a_streamed_file_with_exact_length_to_the_upload_host() {
    let fake = FakeGitHub::with_repo(REPO);
    let gh = client(&fake);
    let release = draft(&fake, &gh).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(3 * 1024 * 1024 + 17);
    let path = write_file(dir.path(), "pkg-1.0.tar.gz", &bytes);

    let mut seen = Vec::new();
    let asset = gh
        .upload_asset(&release, "pkg-1.0.tar.gz", &path, "application/gzip", |n| {
            seen.push(n);
        })
        .await
        .unwrap();
    assert_eq!(asset.name, "pkg-1.0.tar.gz");
    assert_eq!(asset.size, bytes.len() as u64);
    assert!(asset.is_uploaded());
    assert_eq!(
        asset.sha256(),
        Some(hex::encode(Sha256::digest(&bytes)).as_str())
    );
    assert_eq!(fake.asset_bytes(asset.id), bytes);

    assert_eq!(
        seen.last(),
        Some(&(bytes.len() as u64)),
        "progress ends at the size"
    );
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");

    let uploads = fake.requests_to(RouteKind::UploadAsset);
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].host, Host::Uploads);
    assert_eq!(uploads[0].content_length, Some(bytes.len() as u64));
    assert_eq!(uploads[0].query.as_deref(), Some("name=pkg-1.0.tar.gz"));
    assert_eq!(
        uploads[0].authorization,
        Some(format!("Bearer {}", fake.token()))
    );
}

#[tokio::test]
async fn encodes_odd_names_and_retries_an_upload_after_a_502() {
    let fake = FakeGitHub::with_repo(REPO);
    let gh = client(&fake);
    let release = draft(&fake, &gh).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(200_000);
    let path = write_file(dir.path(), "x", &bytes);
    fake.inject(Fault::status(Match::route(RouteKind::UploadAsset), 502));

    let asset = gh
        .upload_asset(&release, "my pkg+1 ü.whl", &path, "application/zip", |_| {})
        .await
        .unwrap();
    assert_eq!(fake.asset_bytes(asset.id), bytes);
    let uploads = fake.requests_to(RouteKind::UploadAsset);
    assert_eq!(
        uploads.iter().map(|r| r.status).collect::<Vec<_>>(),
        [502, 201]
    );
    assert_eq!(
        uploads[1].query.as_deref(),
        Some("name=my%20pkg%2B1%20%C3%BC.whl")
    );
    assert_eq!(gh.retries().len(), 1);
}

#[tokio::test]
async fn clears_a_starter_asset_left_by_a_failed_upload() {
    let fake = FakeGitHub::with_repo(REPO);
    let gh = client(&fake);
    let release = draft(&fake, &gh).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(50_000);
    let path = write_file(dir.path(), "pkg.whl", &bytes);
    // The first attempt creates a `starter` asset and answers 502; the retry meets 422.
    fake.inject(Fault::upload_fails_after_create(Match::route(
        RouteKind::UploadAsset,
    )));

    let asset = gh
        .upload_asset(&release, "pkg.whl", &path, "application/zip", |_| {})
        .await
        .unwrap();
    let assets = fake.assets(release.id);
    assert_eq!(assets.len(), 1, "{assets:?}");
    assert_eq!(assets[0].id, asset.id);
    assert_eq!(fake.asset_bytes(asset.id), bytes);
    assert_eq!(fake.requests_to(RouteKind::DeleteAsset).len(), 1);
}

#[tokio::test]
async fn a_hashed_upload_returns_the_hash_of_the_bytes_sent_even_after_a_cut_attempt() {
    let fake = FakeGitHub::with_repo(REPO);
    let gh = client(&fake);
    let release = draft(&fake, &gh).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(2 * 1024 * 1024 + 5);
    let path = write_file(dir.path(), "pkg.whl", &bytes);
    // The first attempt is cut after 300 KiB: its hasher must not carry over to the retry.
    fake.inject(Fault::reset_request_body(
        Match::route(RouteKind::UploadAsset),
        300 * 1024,
    ));

    let (asset, sha) = gh
        .upload_asset_hashed(&release, "pkg.whl", &path, "application/zip", |_| {})
        .await
        .unwrap();
    let expected = hex::encode(Sha256::digest(&bytes));
    assert_eq!(sha, expected);
    assert_eq!(asset.sha256(), Some(expected.as_str()));
    assert_eq!(fake.asset_bytes(asset.id), bytes);
    assert!(fake.requests_to(RouteKind::UploadAsset).len() >= 2);
}

#[tokio::test]
async fn a_hashed_upload_lets_the_caller_see_a_digest_that_is_not_of_the_bytes_sent() {
    let fake = FakeGitHub::with_repo(REPO);
    let gh = client(&fake);
    let release = draft(&fake, &gh).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = payload(70_000);
    let path = write_file(dir.path(), "pkg.whl", &bytes);
    fake.inject(Fault::corrupt_upload(Match::route(RouteKind::UploadAsset)));

    let (asset, sha) = gh
        .upload_asset_hashed(&release, "pkg.whl", &path, "application/zip", |_| {})
        .await
        .unwrap();
    assert_eq!(sha, hex::encode(Sha256::digest(&bytes)));
    let mut stored = bytes.clone();
    stored[0] ^= 0xff;
    assert_eq!(fake.asset_bytes(asset.id), stored);
    assert_eq!(
        asset.sha256(),
        Some(hex::encode(Sha256::digest(&stored)).as_str())
    );
}

#[tokio::test]
async fn downloads_through_the_storage_redirect_without_the_token() {
    let fake = FakeGitHub::with_repo(REPO);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let bytes = payload(2 * 1024 * 1024 + 3);
    fake.add_asset(id, "pkg.whl", &bytes, true);
    let gh = client(&fake);
    let asset = gh.list_assets(id).await.unwrap().remove(0);

    let mut out = Vec::new();
    let mut last = 0;
    let n = gh
        .download_asset(&asset, &mut out, |w| last = w)
        .await
        .unwrap();
    assert_eq!(n, bytes.len() as u64);
    assert_eq!(last, n);
    assert_eq!(out, bytes);

    let api = fake.requests_to(RouteKind::DownloadAsset);
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].status, 302);
    assert_eq!(api[0].accept.as_deref(), Some("application/octet-stream"));
    assert_eq!(
        api[0].authorization,
        Some(format!("Bearer {}", fake.token()))
    );
    let storage = fake.requests_to(RouteKind::StorageDownload);
    assert_eq!(storage.len(), 1);
    assert_eq!(storage[0].host, Host::Storage);
    assert_eq!(
        storage[0].authorization, None,
        "the token never leaves the API host"
    );
    assert_eq!(storage[0].status, 200);
}

#[tokio::test]
async fn retries_a_download_that_failed_before_any_byte() {
    let fake = FakeGitHub::with_repo(REPO);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let bytes = payload(10_000);
    fake.add_asset(id, "pkg.whl", &bytes, true);
    fake.inject(Fault::status(Match::route(RouteKind::StorageDownload), 503));
    fake.inject(Fault::reset_connection(
        Match::route(RouteKind::DownloadAsset).nth(2),
    ));
    let gh = client(&fake);
    let asset = gh.list_assets(id).await.unwrap().remove(0);
    let mut out = Vec::new();
    gh.download_asset(&asset, &mut out, |_| {}).await.unwrap();
    assert_eq!(out, bytes);
    let reasons: Vec<String> = gh.retries().into_iter().map(|r| r.reason).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(reasons[0], "503 Service Unavailable");
    assert!(reasons[1].starts_with("connection error"), "{reasons:?}");
}

#[tokio::test]
async fn a_download_cut_off_mid_body_is_restarted_then_says_how_far_it_got() {
    let fake = FakeGitHub::with_repo(REPO);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    fake.add_asset(id, "pkg.whl", &payload(1024 * 1024), true);
    // The fake sends 256 KiB chunks and drops what it has not flushed when it resets: cut off
    // in the third chunk so the first ones reach the client.
    fake.inject(Fault::reset_response_body(
        Match::route(RouteKind::StorageDownload).always(),
        600 * 1024,
    ));
    let gh = client(&fake);
    let asset = gh.list_assets(id).await.unwrap().remove(0);
    let mut out = Vec::new();
    let err = gh
        .download_asset(&asset, &mut out, |_| {})
        .await
        .unwrap_err();
    match err.network() {
        Some(HttpError::Interrupted { written, .. }) => {
            assert!(*written > 0 && *written <= 600 * 1024, "{err}");
            // Each attempt starts the writer again: it holds the last attempt's bytes only.
            assert_eq!(out.len() as u64, *written);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        fake.requests_to(RouteKind::StorageDownload).len(),
        5,
        "restarted into the rewound writer until the attempts ran out"
    );
}

#[tokio::test]
async fn a_download_that_never_gets_a_byte_ends_as_a_transport_error() {
    let fake = FakeGitHub::with_repo(REPO);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    fake.add_asset(id, "pkg.whl", &payload(1000), true);
    fake.inject(Fault::reset_connection(
        Match::route(RouteKind::StorageDownload).always(),
    ));
    let gh = client(&fake);
    let asset = gh.list_assets(id).await.unwrap().remove(0);
    let mut out = Vec::new();
    let err = gh
        .download_asset(&asset, &mut out, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.network(),
            Some(HttpError::Transport { attempts: 5, .. })
        ),
        "{err:?}"
    );
    assert!(out.is_empty());
    assert_eq!(fake.requests_to(RouteKind::StorageDownload).len(), 5);
}
