//! Streaming asset uploads and downloads through reqwest, under the same retry policy as every
//! JSON call. Memory stays flat whatever the file size.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt as _;
use http::Method;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::BodyExt as _;
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio_util::io::ReaderStream;
use url::Url;

use crate::client::{API_VERSION, AttemptError, Exchange, GitHub, JSON, Via, describe, read_whole};
use crate::error::GitHubError;
use crate::models::{Asset, Release, github_asset_name};
use crate::retry::{self, RetryEvent};
use crate::urls::{self, display_url};

/// Bytes read from disk per chunk of an upload body. Each read of a `tokio::fs::File` is a
/// round trip to the blocking pool; 256 KiB chunks keep those few (the benchmark measured 64 KiB
/// chunks costing CPU time) while memory stays a few chunks per upload.
const CHUNK: usize = 256 * 1024;

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> GitHubError {
    GitHubError::Io {
        action,
        path: path.display().to_string(),
        source,
    }
}

/// The lowercase hex SHA-256 of a file, read in chunks.
async fn sha256_file(path: &Path) -> Result<String, GitHubError> {
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("open", path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| io_error("read", path, e))?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// What an upload sends: the file, its media type, and whether to hash the bytes sent.
#[derive(Clone, Copy)]
struct Outgoing<'a> {
    path: &'a Path,
    content_type: &'a str,
    hash: bool,
}

/// How a download's body ended when it did not end well.
enum BodyError {
    /// The connection broke after `written` bytes.
    Broken { written: u64, message: String },
    /// The caller's writer failed.
    Write(std::io::Error),
}

impl GitHub {
    /// Uploads the file at `path` as asset `name` of `release`: a POST to the host in the
    /// release's `upload_url`, the body streamed from disk with an exact `Content-Length`, the
    /// file reopened for each retry. `on_progress` gets the bytes sent so far (it starts again
    /// from 0 when an attempt is retried).
    ///
    /// When a retry meets `already_exists`, the earlier attempt left an asset behind: a
    /// half-made one (not `uploaded`) is deleted and the upload redone; a finished one with
    /// this file's SHA-256 is returned as the result. Otherwise the error is returned.
    pub async fn upload_asset(
        &self,
        release: &Release,
        name: &str,
        path: &Path,
        content_type: &str,
        on_progress: impl FnMut(u64),
    ) -> Result<Asset, GitHubError> {
        let file = Outgoing {
            path,
            content_type,
            hash: false,
        };
        self.upload(release, name, file, on_progress)
            .await
            .map(|(asset, _)| asset)
    }

    /// [`GitHub::upload_asset`] that also returns the lowercase hex SHA-256 of the bytes sent,
    /// computed while they stream (the hasher starts again with every attempt), so a file
    /// needs no separate hashing pass before its upload. When the asset turns out to have been
    /// uploaded by an attempt whose answer was lost, the hash is the file's, read again.
    ///
    /// The caller compares it with the returned asset's `digest` to catch a corrupt upload.
    pub async fn upload_asset_hashed(
        &self,
        release: &Release,
        name: &str,
        path: &Path,
        content_type: &str,
        on_progress: impl FnMut(u64),
    ) -> Result<(Asset, String), GitHubError> {
        let file = Outgoing {
            path,
            content_type,
            hash: true,
        };
        let (asset, sha) = self.upload(release, name, file, on_progress).await?;
        match sha {
            Some(sha) => Ok((asset, sha)),
            None => Ok((asset, sha256_file(path).await?)),
        }
    }

    /// The upload behind [`GitHub::upload_asset`] and [`GitHub::upload_asset_hashed`]; with
    /// `hash`, the SHA-256 of the bytes the successful attempt sent (or of the file, when an
    /// earlier attempt's asset is taken as the result).
    async fn upload(
        &self,
        release: &Release,
        name: &str,
        file: Outgoing<'_>,
        on_progress: impl FnMut(u64),
    ) -> Result<(Asset, Option<String>), GitHubError> {
        let Outgoing { path, hash, .. } = file;
        let url = urls::upload_url(&release.upload_url, name).map_err(GitHubError::Config)?;
        if url.scheme() == "http" && self.inner.api.scheme() == "https" {
            return Err(GitHubError::Config(format!(
                "the release's upload URL `{}` is plain http while the API is https; refusing to send the token there",
                display_url(&url, &self.inner.api)
            )));
        }
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| io_error("read", path, e))?;
        if !meta.is_file() {
            return Err(io_error(
                "upload",
                path,
                std::io::Error::other("not a regular file"),
            ));
        }
        let len = meta.len();
        let progress = Mutex::new(on_progress);
        let attempts = AtomicU32::new(0);
        let upload = || async {
            attempts.fetch_add(1, Ordering::Relaxed);
            self.upload_attempt(&url, file, len, &progress).await
        };
        let first = self.with_retry(&Method::POST, &url, upload).await;
        let err = match first {
            Err(GitHubError::AlreadyExists(f)) if attempts.load(Ordering::Relaxed) > 1 => f,
            other => return other,
        };
        // An earlier attempt of ours reached GitHub before failing.
        let leftover = self
            .list_assets(release.id)
            .await?
            .into_iter()
            .find(|a| a.name == name || a.name == github_asset_name(name));
        match leftover {
            Some(a) if !a.is_uploaded() => {
                tracing::warn!(
                    "deleting the half-made asset `{}` (state `{}`) left by a failed attempt",
                    a.name,
                    a.state
                );
                self.delete_asset(a.id).await?;
                attempts.store(0, Ordering::Relaxed);
                self.with_retry(&Method::POST, &url, upload).await
            }
            Some(a) if a.sha256().is_some() => {
                let sha = sha256_file(path).await?;
                if a.sha256() != Some(&sha) {
                    return Err(GitHubError::AlreadyExists(err));
                }
                tracing::info!(
                    "`{}` was uploaded by an attempt whose answer was lost",
                    a.name
                );
                Ok((a, hash.then_some(sha)))
            }
            _ => Err(GitHubError::AlreadyExists(err)),
        }
    }

    /// One upload attempt: open, stream, read the answer; with `hash`, also the SHA-256 of
    /// the bytes this attempt sent, hashed as they stream (a fresh hasher per attempt).
    async fn upload_attempt<F: FnMut(u64)>(
        &self,
        url: &Url,
        file: Outgoing<'_>,
        len: u64,
        progress: &Mutex<F>,
    ) -> Result<(Asset, Option<String>), AttemptError> {
        let Outgoing {
            path,
            content_type,
            hash,
        } = file;
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| AttemptError::Fatal(io_error("open", path, e)))?;
        let (tx, mut rx) = tokio::sync::watch::channel(0u64);
        let mut sent = 0u64;
        // The body stream is moved into reqwest: it hashes into a shared hasher (only ever
        // locked by the stream, then once here after the answer).
        let hasher = hash.then(|| Arc::new(Mutex::new((Sha256::new(), 0u64))));
        let streamed = hasher.clone();
        let stream = ReaderStream::with_capacity(file.take(len), CHUNK).inspect(move |chunk| {
            if let Ok(c) = chunk {
                if let Some(Ok(mut h)) = streamed.as_ref().map(|h| h.lock()) {
                    h.0.update(c);
                    h.1 += c.len() as u64;
                }
                sent += c.len() as u64;
                tx.send_replace(sent);
            }
        });
        let mut req = self
            .inner
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, content_type)
            .header(CONTENT_LENGTH, len)
            .header(ACCEPT, JSON)
            .header("x-github-api-version", API_VERSION)
            .body(reqwest::Body::wrap_stream(stream));
        // The upload host is named by the release, so it may see the token.
        if let Some(auth) = self.auth_for(url, Some(url)) {
            req = req.header(AUTHORIZATION, auth);
        }
        let report = |n: u64| {
            if let Ok(mut f) = progress.lock() {
                f(n);
            }
        };
        let send = req.send();
        tokio::pin!(send);
        let mut reported = 0;
        let result = loop {
            tokio::select! {
                r = &mut send => break r,
                changed = rx.changed() => match changed {
                    Ok(()) => {
                        reported = *rx.borrow_and_update();
                        report(reported);
                    }
                    // The body stream is done (or dropped): only the answer is left.
                    Err(_) => break (&mut send).await,
                },
            }
        };
        let last = *rx.borrow();
        if last != reported {
            report(last);
        }
        let resp = result.map_err(|e| AttemptError::Transport(describe(&e.without_url())))?;
        let (parts, body) = http::Response::from(resp).into_parts();
        let ex = Exchange {
            url: url.clone(),
            status: parts.status,
            headers: parts.headers,
            body: body
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
                .boxed_unsync(),
        };
        let (_, body) = read_whole(ex).await?;
        let asset: Asset = self
            .decode(&Method::POST, url, &body)
            .map_err(AttemptError::Fatal)?;
        let Some(hasher) = hasher else {
            return Ok((asset, None));
        };
        let (sha, hashed) = match hasher.lock() {
            Ok(mut h) => (std::mem::take(&mut h.0).finalize(), h.1),
            Err(_) => {
                return Err(AttemptError::Fatal(io_error(
                    "hash",
                    path,
                    std::io::Error::other("the upload's hasher was poisoned"),
                )));
            }
        };
        if hashed != len {
            return Err(AttemptError::Fatal(io_error(
                "upload",
                path,
                std::io::Error::other(format!(
                    "{hashed} of {len} bytes were sent; the file changed during the upload"
                )),
            )));
        }
        Ok((asset, Some(hex::encode(sha))))
    }

    /// Downloads an asset's bytes into `writer` and returns how many were written: `GET` on the
    /// API asset URL with `Accept: application/octet-stream`, redirects followed by hand (no
    /// token to another host, no https→http, at most 5 hops). `on_progress` gets the bytes
    /// written so far. Failures before the first byte are retried (and end as
    /// [`GitHubError::Transport`] or an HTTP error); once bytes are written a failure is
    /// [`GitHubError::Interrupted`] and the caller starts again into a fresh file.
    pub async fn download_asset<W: AsyncWrite + Unpin>(
        &self,
        asset: &Asset,
        mut writer: W,
        mut on_progress: impl FnMut(u64),
    ) -> Result<u64, GitHubError> {
        let url = Url::parse(&asset.url).map_err(|e| {
            GitHubError::Config(format!("asset `{}` has an invalid URL: {e}", asset.name))
        })?;
        let method = Method::GET;
        let max = self.inner.policy.max_attempts.max(1);
        let mut restarts = 0;
        loop {
            let ex = self
                .with_retry(&method, &url, || async {
                    let ex = self
                        .send_following(
                            Via::Reqwest,
                            &method,
                            &url,
                            "application/octet-stream",
                            None,
                        )
                        .await?;
                    if ex.status.is_success() {
                        Ok(ex)
                    } else {
                        Err(read_whole(ex)
                            .await
                            .err()
                            .unwrap_or(AttemptError::Transport("unexpected success".into())))
                    }
                })
                .await?;
            match stream_body(ex, &mut writer, &mut on_progress).await {
                Ok(n) => return Ok(n),
                Err(BodyError::Write(e)) => {
                    return Err(GitHubError::Io {
                        action: "write the download of",
                        path: asset.name.clone(),
                        source: e,
                    });
                }
                Err(BodyError::Broken {
                    written: 0,
                    message,
                }) if restarts + 1 < max => {
                    restarts += 1;
                    let wait = retry::backoff(&self.inner.policy, restarts, retry::jitter());
                    self.note_retry(RetryEvent {
                        method: method.to_string(),
                        url: display_url(&url, &self.inner.api),
                        reason: format!("connection error ({})", self.redact(&message)),
                        attempt: restarts + 1,
                        max_attempts: max,
                        wait,
                    });
                    tokio::time::sleep(wait).await;
                }
                Err(BodyError::Broken {
                    written: 0,
                    message,
                }) => {
                    return Err(GitHubError::Transport {
                        method: method.to_string(),
                        url: display_url(&url, &self.inner.api),
                        attempts: restarts + 1,
                        message: self.redact(&message),
                    });
                }
                Err(BodyError::Broken { written, message }) => {
                    return Err(GitHubError::Interrupted {
                        url: display_url(&url, &self.inner.api),
                        written,
                        message: self.redact(&message),
                    });
                }
            }
        }
    }
}

/// Copies a response body into `writer`, checking the announced length.
async fn stream_body<W: AsyncWrite + Unpin>(
    ex: Exchange,
    writer: &mut W,
    on_progress: &mut impl FnMut(u64),
) -> Result<u64, BodyError> {
    let expected: Option<u64> = ex
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut body = ex.body;
    let mut written = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| BodyError::Broken {
            written,
            message: describe(e.as_ref()),
        })?;
        if let Ok(data) = frame.into_data() {
            writer.write_all(&data).await.map_err(BodyError::Write)?;
            written += data.len() as u64;
            on_progress(written);
        }
    }
    if let Some(expected) = expected.filter(|e| *e != written) {
        return Err(BodyError::Broken {
            written,
            message: format!("the body ended after {written} of {expected} bytes"),
        });
    }
    writer.flush().await.map_err(BodyError::Write)?;
    Ok(written)
}
