//! Streaming asset uploads and downloads through the shared transport, under the same retry
//! policy and time bounds as every JSON call. Memory stays flat whatever the file size.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use http::Method;
use sha2::{Digest as _, Sha256};
use slipway_http::{ByteStream, Request, Rewind, Sink, Source};
use tokio::io::AsyncReadExt as _;
use tokio_util::io::ReaderStream;
use url::Url;

use crate::client::{GitHub, JSON};
use crate::error::GitHubError;
use crate::models::{Asset, Release, github_asset_name};
use crate::urls;

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

/// An upload body: the file, reopened for each attempt, hashed as it streams when asked (a
/// fresh hasher per attempt, so the hash is of the bytes the successful attempt sent).
struct FileSource {
    path: PathBuf,
    len: u64,
    hasher: Option<Arc<Mutex<(Sha256, u64)>>>,
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn open(&self) -> BoxFuture<'_, std::io::Result<ByteStream>> {
        Box::pin(async move {
            let file = tokio::fs::File::open(&self.path).await?;
            let hasher = self.hasher.clone();
            if let Some(Ok(mut h)) = hasher.as_ref().map(|h| h.lock()) {
                *h = (Sha256::new(), 0);
            }
            let stream =
                ReaderStream::with_capacity(file.take(self.len), CHUNK).inspect(move |chunk| {
                    if let (Ok(c), Some(Ok(mut h))) = (chunk, hasher.as_ref().map(|h| h.lock())) {
                        h.0.update(c);
                        h.1 += c.len() as u64;
                    }
                });
            Ok(Box::pin(stream) as ByteStream)
        })
    }
}

/// What an upload sends: the file, its media type, and whether to hash the bytes sent.
#[derive(Clone, Copy)]
struct Outgoing<'a> {
    path: &'a Path,
    content_type: &'a str,
    hash: bool,
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
                self.show(&url)
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
        let hasher = hash.then(|| Arc::new(Mutex::new((Sha256::new(), 0u64))));
        let source = Arc::new(FileSource {
            path: path.to_path_buf(),
            len,
            hasher: hasher.clone(),
        });
        let mut progress = on_progress;
        let first = self
            .upload_once(&url, file, source.clone(), &mut progress)
            .await;
        let err = match first {
            // A retry met the asset an earlier attempt of ours made before its answer was lost.
            Err(GitHubError::AlreadyExists(f)) if f.attempts > 1 => f,
            Ok(asset) => return Ok((asset, finish_hash(hasher.as_ref(), path, len)?)),
            Err(e) => return Err(e),
        };
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
                let asset = self.upload_once(&url, file, source, &mut progress).await?;
                Ok((asset, finish_hash(hasher.as_ref(), path, len)?))
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

    /// One upload call (the transport retries it): the POST, the answer decoded.
    async fn upload_once(
        &self,
        url: &Url,
        file: Outgoing<'_>,
        source: Arc<FileSource>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Asset, GitHubError> {
        // The upload host is named by the release, so it may see the token.
        let req = Request::post(url.clone())
            .header(http::header::ACCEPT, JSON)
            .header(
                http::HeaderName::from_static("x-github-api-version"),
                crate::client::API_VERSION,
            )
            .credential(self.credential(Some(url)))
            .source(file.content_type, source);
        let answer = self
            .inner
            .transport
            .fetch_with_progress(&req, progress)
            .await?;
        if !answer.status.is_success() {
            return Err(self.failure(&Method::POST, &answer));
        }
        self.decode(&Method::POST, url, &answer.body)
    }

    /// Downloads an asset's bytes into `writer` and returns how many were written: `GET` on the
    /// API asset URL with `Accept: application/octet-stream`, redirects followed (the token
    /// never goes to another host), the body stopped at the asset's recorded size (a longer one
    /// is refused as it arrives, a shorter one is an error). `on_progress` gets the bytes
    /// written so far. A download that breaks is retried into the rewound writer under the one
    /// retry policy; when the attempts run out the error is
    /// [`slipway_http::HttpError::Interrupted`].
    pub async fn download_asset<W: Rewind>(
        &self,
        asset: &Asset,
        mut writer: W,
        mut on_progress: impl FnMut(u64),
    ) -> Result<u64, GitHubError> {
        let url = Url::parse(&asset.url).map_err(|e| {
            GitHubError::Config(format!("asset `{}` has an invalid URL: {e}", asset.name))
        })?;
        let req = self.request(Method::GET, &url, "application/octet-stream");
        let sink = Sink {
            writer: &mut writer,
            expected: Some(asset.size),
        };
        let answer = self
            .inner
            .transport
            .download(&req, sink, &mut on_progress)
            .await?;
        if answer.status.is_success() {
            Ok(answer.streamed)
        } else {
            Err(self.failure(&Method::GET, &answer))
        }
    }
}

/// The hash an upload computed while streaming, checked to cover the whole file.
fn finish_hash(
    hasher: Option<&Arc<Mutex<(Sha256, u64)>>>,
    path: &Path,
    len: u64,
) -> Result<Option<String>, GitHubError> {
    let Some(hasher) = hasher else {
        return Ok(None);
    };
    let (sha, hashed) = match hasher.lock() {
        Ok(mut h) => (std::mem::take(&mut h.0).finalize(), h.1),
        Err(_) => {
            return Err(io_error(
                "hash",
                path,
                std::io::Error::other("the upload's hasher was poisoned"),
            ));
        }
    };
    if hashed != len {
        return Err(io_error(
            "upload",
            path,
            std::io::Error::other(format!(
                "{hashed} of {len} bytes were sent; the file changed during the upload"
            )),
        ));
    }
    Ok(Some(hex::encode(sha)))
}
