//! Asset bytes: streamed uploads on the uploads host, downloads through the API (302 to the
//! storage host, or 200), the storage host itself, and browser download URLs.

use axum::body::Body;
use axum::response::Response;
use http_body_util::BodyExt;
use sha2::Digest;
use tokio::io::AsyncWriteExt;

use super::ctx::{Ctx, asset_response, empty, json, not_found};
use super::model::{Asset, AssetState, DownloadMode, asset_path, fake_sha, github_asset_name};
use super::wire::{error_body, validation_body};

/// `POST /repos/{o}/{r}/releases/{id}/assets?name=&label=` on the uploads host: creates a
/// `open` asset, streams the body to disk while hashing it, then marks it `uploaded`.
pub(crate) async fn upload(ctx: &Ctx, body: Body) -> Response {
    let Some(expected) = ctx
        .header("content-length")
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return json(411, error_body("Length Required"));
    };
    let Some(raw_name) = ctx.param("name").filter(|n| !n.is_empty()) else {
        return json(
            422,
            validation_body("ReleaseAsset", "missing_field", "name"),
        );
    };
    let name = github_asset_name(raw_name);
    let (immutable, id) = {
        let mut st = ctx.shared.lock();
        let Some(release) = st.release_in(&ctx.route.repo, ctx.route.id) else {
            return not_found();
        };
        let release_id = release.id;
        if st.is_immutable(release_id) {
            (true, None)
        } else if st.assets_of(release_id).iter().any(|a| a.name == name) {
            // An uploaded asset, or an `open` one left by a failed upload, holds the name
            // until deleted.
            (false, None)
        } else {
            let id = st.next_id();
            let now = st.tick();
            st.assets.insert(
                id,
                Asset {
                    id,
                    release_id,
                    name,
                    label: ctx.param("label").map(str::to_string),
                    size: 0,
                    state: AssetState::Open,
                    digest: None,
                    content_type: ctx
                        .header("content-type")
                        .unwrap_or("application/octet-stream")
                        .to_string(),
                    created_at: now,
                    updated_at: now,
                    download_count: 0,
                },
            );
            (false, Some(id))
        }
    };
    if immutable {
        return refuse_immutable(body).await;
    }
    let Some(id) = id else {
        // The body is read before the answer: a client still writing a large body sees the
        // 422 instead of a broken pipe (answering early and closing makes that a race on a
        // loaded machine).
        drain(body).await;
        return json(
            422,
            validation_body("ReleaseAsset", "already_exists", "name"),
        );
    };
    let path = asset_path(&ctx.shared.dir, id);
    let Ok((size, sha256)) = store(body, &path, ctx.corrupt_upload).await else {
        // The client went away mid-body: the asset stays unfinished (`open`), as on GitHub.
        return json(400, error_body("Problems reading the request body"));
    };
    if ctx.fail_after_create || size != expected {
        return json(
            502,
            error_body("Upstream failure; the asset was left unfinished (state `open`)"),
        );
    }
    {
        let mut st = ctx.shared.lock();
        let now = st.tick();
        let Some(a) = st.assets.get_mut(&id) else {
            return not_found();
        };
        a.state = AssetState::Uploaded;
        a.size = size;
        a.digest = Some(format!("sha256:{sha256}"));
        a.updated_at = now;
    }
    asset_response(ctx, 201, id)
}

/// Answers an upload to an immutable release, after reading its body (as for a taken name).
async fn refuse_immutable(body: Body) -> Response {
    drain(body).await;
    super::api::immutable_refused()
}

/// Reads a request body to its end and drops it.
async fn drain(mut body: Body) {
    while let Some(Ok(_)) = body.frame().await {}
}

/// Streams a request body into `path`; returns its size and SHA-256 (hex). With `corrupt`,
/// the first byte stored (and hashed) is flipped.
async fn store(
    mut body: Body,
    path: &std::path::Path,
    corrupt: bool,
) -> std::io::Result<(u64, String)> {
    let file = tokio::fs::File::create(path).await?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(std::io::Error::other)?;
        if let Ok(mut data) = frame.into_data() {
            if corrupt && size == 0 && !data.is_empty() {
                let mut flipped = data.to_vec();
                flipped[0] ^= 0xff;
                data = flipped.into();
            }
            hasher.update(&data);
            size += data.len() as u64;
            out.write_all(&data).await?;
        }
    }
    out.flush().await?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// The signed storage URL of an asset (the signature stands in for S3's presigned query).
fn storage_location(ctx: &Ctx, asset: &Asset, secret: &str) -> String {
    let name =
        percent_encoding::utf8_percent_encode(&asset.name, percent_encoding::NON_ALPHANUMERIC);
    format!(
        "{}/release-assets/{}/{name}?X-Amz-Signature={}",
        ctx.shared.urls.storage,
        asset.id,
        fake_sha(&format!("{secret}:{}", asset.id))
    )
}

/// Answers a download of `asset` from the API host: 302 to storage, or the bytes themselves.
fn deliver(ctx: &Ctx, id: u64, direct_allowed: bool) -> Response {
    let (asset, mode, secret) = {
        let mut st = ctx.shared.lock();
        let Some(a) = st
            .assets
            .get_mut(&id)
            .filter(|a| a.state == AssetState::Uploaded)
        else {
            return not_found();
        };
        a.download_count += 1;
        let a = a.clone();
        (a, st.download_mode, st.storage_secret.clone())
    };
    if mode == DownloadMode::Direct && direct_allowed {
        return serve_file(ctx, &asset);
    }
    let mut resp = empty(302);
    if let Ok(v) = storage_location(ctx, &asset, &secret).parse() {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp
}

/// `GET /repos/{o}/{r}/releases/assets/{id}` with `Accept: application/octet-stream`.
pub(crate) fn download_asset(ctx: &Ctx) -> Response {
    if ctx
        .shared
        .lock()
        .asset_in(&ctx.route.repo, ctx.route.id)
        .is_none()
    {
        return not_found();
    }
    deliver(ctx, ctx.route.id, true)
}

/// `GET /{o}/{r}/releases/download/{tag}/{name}`: published releases only, no token needed.
pub(crate) fn browser_download(ctx: &Ctx) -> Response {
    let Some((tag, name)) = ctx.route.text.split_once('\n') else {
        return not_found();
    };
    let id = {
        let st = ctx.shared.lock();
        st.published_with_tag(&ctx.route.repo, tag, None)
            .and_then(|rid| {
                st.assets_of(rid)
                    .into_iter()
                    .find(|a| a.name == name)
                    .map(|a| a.id)
            })
    };
    match id {
        Some(id) => deliver(ctx, id, false),
        None => not_found(),
    }
}

/// The storage host: serves the bytes of a signed URL; like S3, it refuses a request that also
/// carries an `Authorization` header (a client must never send its token here).
pub(crate) fn storage(ctx: &Ctx) -> Response {
    if ctx.header("authorization").is_some() {
        let mut resp = Response::new(Body::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified</Message></Error>",
        ));
        *resp.status_mut() = http::StatusCode::BAD_REQUEST;
        return resp;
    }
    let (asset, secret) = {
        let st = ctx.shared.lock();
        let Some(a) = st.assets.get(&ctx.route.id) else {
            return not_found();
        };
        (a.clone(), st.storage_secret.clone())
    };
    let signature = fake_sha(&format!("{secret}:{}", asset.id));
    if ctx.param("X-Amz-Signature") != Some(signature.as_str()) || asset.name != ctx.route.text {
        let mut resp = Response::new(Body::from("<Error><Code>AccessDenied</Code></Error>"));
        *resp.status_mut() = http::StatusCode::FORBIDDEN;
        return resp;
    }
    serve_file(ctx, &asset)
}

/// Streams an asset's file with its `Content-Length`.
fn serve_file(ctx: &Ctx, asset: &Asset) -> Response {
    let path = asset_path(&ctx.shared.dir, asset.id);
    let Ok(file) = std::fs::File::open(&path) else {
        return not_found();
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(asset.size);
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 256 * 1024);
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(http::header::CONTENT_LENGTH, size.into());
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = format!("attachment; filename={}", asset.name).parse() {
        h.insert(http::header::CONTENT_DISPOSITION, v);
    }
    resp
}
