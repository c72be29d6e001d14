//! Fetching one asset into `dir`: skip it when the right bytes are already there, otherwise
//! stream it into a temporary file beside its final name while hashing, check the hash, and
//! only then rename it into place. A broken download starts again in a fresh temporary file.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use sha2::{Digest as _, Sha256};
use slipway_github::{Asset, GitHub};
use slipway_runner::progress::Progress;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use super::error::FetchError;

/// Temporary downloads are named `.<asset name>.<random><PART_SUFFIX>` inside `dir`: hidden,
/// never an asset's name (those cannot start with `.`), and easy to clear after a crash.
pub const PART_SUFFIX: &str = ".slipway-part";

/// The hashes an asset must have, from each source that records one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// From the asset's `digest` (computed by GitHub at upload).
    pub digest: Option<String>,
    /// From the checksums manifest.
    pub manifest: Option<String>,
}

impl Expected {
    /// True when at least one hash is known and `sha256` equals every known one.
    pub fn all_match(&self, sha256: &str) -> bool {
        let known: Vec<&String> = self.digest.iter().chain(self.manifest.iter()).collect();
        !known.is_empty() && known.iter().all(|h| h.eq_ignore_ascii_case(sha256))
    }

    /// The first disagreement with `sha256` as (source, expected hash), using `manifest_name`
    /// for the manifest.
    fn mismatch(&self, sha256: &str, manifest_name: &str) -> Option<(String, String)> {
        if let Some(d) = self
            .digest
            .as_ref()
            .filter(|d| !d.eq_ignore_ascii_case(sha256))
        {
            return Some(("the asset's GitHub digest".to_string(), d.clone()));
        }
        if let Some(m) = self
            .manifest
            .as_ref()
            .filter(|m| !m.eq_ignore_ascii_case(sha256))
        {
            return Some((format!("its `{manifest_name}` entry"), m.clone()));
        }
        None
    }

    /// How a file with these expectations counts as verified.
    pub fn verification(&self, verify: bool) -> Verification {
        match (verify, self.digest.is_some(), self.manifest.is_some()) {
            (false, _, _) => Verification::NotChecked,
            (true, true, true) => Verification::Both,
            (true, true, false) => Verification::Digest,
            (true, false, true) => Verification::Manifest,
            (true, false, false) => Verification::Unverified,
        }
    }
}

/// How a file's bytes were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Against GitHub's digest and the manifest.
    Both,
    /// Against GitHub's digest only.
    Digest,
    /// Against the manifest only.
    Manifest,
    /// Neither records a hash: taken as it came, with a warning.
    Unverified,
    /// `verify: false`.
    NotChecked,
}

impl Verification {
    /// The words the summary uses, with the manifest's name.
    pub fn label(self, manifest_name: &str) -> String {
        match self {
            Self::Both => format!("digest + {manifest_name}"),
            Self::Digest => "digest".to_string(),
            Self::Manifest => manifest_name.to_string(),
            Self::Unverified => "unverified".to_string(),
            Self::NotChecked => "not checked (verify: false)".to_string(),
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Downloaded; no file had its name before.
    Downloaded,
    /// Downloaded over a file with other bytes (replaced only once the new one verified).
    Replaced,
    /// Already in `dir` with the right hash: not downloaded.
    AlreadyPresent,
    /// `dry-run`: would be downloaded.
    WouldDownload,
}

impl Outcome {
    /// The words the summary uses.
    pub fn label(self) -> &'static str {
        match self {
            Self::Downloaded => "downloaded",
            Self::Replaced => "replaced",
            Self::AlreadyPresent => "already present",
            Self::WouldDownload => "would download (dry run)",
        }
    }
}

/// One file as it ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The asset name (also the file name).
    pub name: String,
    /// `dir/name`, as the `files` output lists it.
    pub path: PathBuf,
    /// Size in bytes (the asset's recorded size for a dry run).
    pub size: u64,
    /// Lowercase hex SHA-256 of the file (`None` for a dry run that did not find it locally).
    pub sha256: Option<String>,
    /// How it was checked.
    pub verification: Verification,
    /// What was done.
    pub outcome: Outcome,
}

/// Everything shared by the downloads of one run.
#[derive(Debug, Clone)]
pub struct Fetcher<'a> {
    /// The client.
    pub gh: &'a GitHub,
    /// Where files go.
    pub dir: &'a Path,
    /// Compare hashes (`verify`).
    pub verify: bool,
    /// Look, but write nothing.
    pub dry_run: bool,
    /// Draw live progress bars (a terminal) or log lines (a workflow).
    pub in_actions: bool,
    /// The manifest's asset name, for messages.
    pub manifest_name: &'a str,
}

/// Bytes buffered before each write to the temporary file.
const WRITE_BUFFER: usize = 1 << 20;

/// An [`AsyncWrite`] that hashes what it passes on.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for HashingWriter<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            this.hasher.update(&buf[..n]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl slipway_http::Rewind for HashingWriter<tokio::io::BufWriter<tokio::fs::File>> {
    /// Starts the file and the hash again from nothing (a download that broke is retried).
    fn rewind(&mut self) -> futures_util::future::BoxFuture<'_, io::Result<()>> {
        Box::pin(async move {
            use tokio::io::{AsyncSeekExt as _, AsyncWriteExt as _};
            self.inner.flush().await?;
            let file = self.inner.get_mut();
            file.set_len(0).await?;
            file.seek(io::SeekFrom::Start(0)).await?;
            self.hasher = Sha256::new();
            Ok(())
        })
    }
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> FetchError {
    let path = path.to_path_buf();
    move |source| FetchError::Io {
        action,
        path,
        source,
    }
}

/// The SHA-256 and size of a regular file already at `path`; `None` when nothing (or not a
/// regular file, e.g. a symlink) is there.
async fn existing(path: &Path) -> Result<Option<(String, u64)>, FetchError> {
    match tokio::fs::symlink_metadata(path).await {
        Ok(m) if m.is_dir() => Err(FetchError::Io {
            action: "replace the directory",
            path: path.to_path_buf(),
            source: io::Error::other("a directory has the asset's name"),
        }),
        Ok(m) if m.is_file() => {
            let p = path.to_path_buf();
            let hashes = tokio::task::spawn_blocking(move || slipway_dist::hash_file(&p))
                .await
                .map_err(|e| FetchError::Io {
                    action: "hash",
                    path: path.to_path_buf(),
                    source: io::Error::other(e),
                })?
                .map_err(|e| FetchError::Io {
                    action: "hash",
                    path: path.to_path_buf(),
                    source: io::Error::other(e),
                })?;
            Ok(Some((hashes.sha256, hashes.size)))
        }
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("inspect", path)(e)),
    }
}

impl Fetcher<'_> {
    /// Brings `asset` into `dir` (see the [module docs](self)); the error names the file and,
    /// for a mismatch, both hashes. Nothing is left under the final name unless it verified.
    pub async fn fetch(&self, asset: &Asset, expected: &Expected) -> Result<Fetched, FetchError> {
        let name = asset.name.as_str();
        let target = self.dir.join(name);
        let verification = expected.verification(self.verify);
        let fetched = |size, sha256, outcome| Fetched {
            name: name.to_string(),
            path: target.clone(),
            size,
            sha256,
            verification,
            outcome,
        };
        let present = existing(&target).await?;
        if let Some((sha, size)) = &present
            && expected.all_match(sha)
        {
            tracing::info!("`{name}` is already in place with the right hash");
            return Ok(fetched(*size, Some(sha.clone()), Outcome::AlreadyPresent));
        }
        if self.dry_run {
            return Ok(fetched(asset.size, None, Outcome::WouldDownload));
        }
        let (temp, sha256, size) = self.download(asset).await?;
        let outcome = if present.is_some() {
            Outcome::Replaced
        } else {
            Outcome::Downloaded
        };
        self.settle(temp, &sha256, expected, &target, name)?;
        tracing::info!("`{name}`: {} ({size} bytes)", outcome.label());
        Ok(fetched(size, Some(sha256), outcome))
    }

    /// Puts bytes already in memory (and already hashed as `sha256`) into `dir` as `asset`,
    /// with the same checks and the same temporary-file-then-rename as a download.
    pub async fn place(
        &self,
        asset: &Asset,
        bytes: &[u8],
        sha256: &str,
        expected: &Expected,
    ) -> Result<Fetched, FetchError> {
        let target = self.dir.join(&asset.name);
        let present = existing(&target).await?;
        let outcome = match &present {
            Some((sha, _)) if sha == sha256 => Outcome::AlreadyPresent,
            _ if self.dry_run => Outcome::WouldDownload,
            Some(_) => Outcome::Replaced,
            None => Outcome::Downloaded,
        };
        if matches!(outcome, Outcome::Replaced | Outcome::Downloaded) {
            let mut temp = self.temp_file(&asset.name)?;
            std::io::Write::write_all(&mut temp, bytes)
                .and_then(|()| temp.as_file().sync_all())
                .map_err(io_err("write", temp.path()))?;
            self.settle(temp, sha256, expected, &target, &asset.name)?;
        }
        Ok(Fetched {
            name: asset.name.clone(),
            path: target,
            size: bytes.len() as u64,
            sha256: Some(sha256.to_string()),
            verification: expected.verification(self.verify),
            outcome,
        })
    }

    /// A new temporary file for `name` in `dir` (deleted when dropped).
    fn temp_file(&self, name: &str) -> Result<tempfile::NamedTempFile, FetchError> {
        tempfile::Builder::new()
            .prefix(&super::names::temp_prefix(name))
            .suffix(PART_SUFFIX)
            .tempfile_in(self.dir)
            .map_err(io_err("create a temporary file in", self.dir))
    }

    /// Checks a finished temporary file's hash and renames it to `target`; on a mismatch the
    /// temporary file is deleted and the error names both hashes.
    fn settle(
        &self,
        temp: tempfile::NamedTempFile,
        sha256: &str,
        expected: &Expected,
        target: &Path,
        name: &str,
    ) -> Result<(), FetchError> {
        if self.verify
            && let Some((source_name, expected)) = expected.mismatch(sha256, self.manifest_name)
        {
            // Dropping `temp` deletes the download.
            drop(temp);
            return Err(FetchError::HashMismatch {
                name: name.to_string(),
                source_name,
                expected: expected.to_ascii_lowercase(),
                actual: sha256.to_string(),
            });
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(io_err("set permissions of", temp.path()))?;
        }
        temp.persist(target)
            .map_err(|e| io_err("move the download into", target)(e.error))?;
        Ok(())
    }

    /// Downloads into a fresh temporary file in `dir` (the transport rewinds it and retries
    /// when the connection breaks mid-body); returns the file, its SHA-256 and its size.
    async fn download(
        &self,
        asset: &Asset,
    ) -> Result<(tempfile::NamedTempFile, String, u64), FetchError> {
        let name = asset.name.as_str();
        let temp = self.temp_file(name)?;
        let file = temp
            .as_file()
            .try_clone()
            .map_err(io_err("open", temp.path()))?;
        // A large buffer in front of the file: each write to a tokio `File` is a trip
        // through the blocking pool, and response frames are small.
        let mut writer = HashingWriter {
            inner: tokio::io::BufWriter::with_capacity(
                WRITE_BUFFER,
                tokio::fs::File::from_std(file),
            ),
            hasher: Sha256::new(),
        };
        let mut progress =
            Progress::new(format!("downloading {name}"), asset.size, self.in_actions);
        let result = self
            .gh
            .download_asset(asset, &mut writer, |n| {
                if n < progress.done() {
                    progress.restart();
                }
                progress.advance(n.saturating_sub(progress.done()));
            })
            .await;
        progress.finish();
        match result {
            Ok(size) => {
                // Flushed, not fsynced: the rename keeps partial files out of sight, and a
                // re-run checks the hash of every file already in place anyway.
                writer
                    .inner
                    .flush()
                    .await
                    .map_err(io_err("write", temp.path()))?;
                let sha256 = hex::encode(writer.hasher.finalize());
                Ok((temp, sha256, size))
            }
            Err(source) => Err(FetchError::Download {
                name: name.to_string(),
                source,
            }),
        }
    }
}

/// Removes temporary downloads a crashed run left in `dir`; returns how many went.
pub fn clear_leftovers(dir: &Path) -> Result<usize, FetchError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err("list", dir)(e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(io_err("list", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && name.starts_with('.') && name.ends_with(PART_SUFFIX) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io_err("remove", &path))?;
            tracing::info!("removed `{name}`, a partial download left by an earlier run");
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations() {
        let h = "ab".repeat(32);
        let other = "cd".repeat(32);
        let both = Expected {
            digest: Some(h.clone()),
            manifest: Some(h.to_uppercase()),
        };
        assert!(both.all_match(&h));
        assert_eq!(both.verification(true), Verification::Both);
        assert_eq!(both.mismatch(&h, "SHA256SUMS"), None);
        let split = Expected {
            digest: Some(h.clone()),
            manifest: Some(other.clone()),
        };
        assert!(!split.all_match(&h));
        let (source, expected) = split.mismatch(&h, "SHA256SUMS").unwrap();
        assert_eq!(
            (source.as_str(), expected),
            ("its `SHA256SUMS` entry", other)
        );
        let none = Expected::default();
        assert!(!none.all_match(&h));
        assert_eq!(none.verification(true), Verification::Unverified);
        assert_eq!(none.verification(false), Verification::NotChecked);
    }

    #[test]
    fn leftovers_are_cleared_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".a.whl.x1y2.slipway-part"), b"half").unwrap();
        std::fs::write(dir.path().join("a.whl"), b"whole").unwrap();
        std::fs::write(dir.path().join(".keep"), b"").unwrap();
        assert_eq!(clear_leftovers(dir.path()).unwrap(), 1);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".keep", "a.whl"]);
    }
}
