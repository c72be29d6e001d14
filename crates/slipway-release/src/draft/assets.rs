//! The assets of the release: what to do with each local file (keep, upload, replace), decided
//! before the first upload, then done with retries and race resolution.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use slipway_github::{Asset, GitHub, GitHubError, Release};
use slipway_runner::progress::{Progress, human_bytes};

use super::files::{FilesError, LocalFile, content_type, sha256_of};

/// Uploads of one file that meet a conflict (422 `already_exists`, or the asset deleted under
/// us) are re-listed and tried again at most this often.
const MAX_ROUNDS: u32 = 5;
/// How many times a half-made asset found after a conflict is polled before it is deleted.
const STARTER_POLLS: u32 = 30;

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// It was not on the release and was uploaded.
    Uploaded,
    /// An asset with the same name and bytes was already there.
    Kept,
    /// An asset with the same name but other bytes was deleted and the file uploaded.
    Replaced,
}

impl Status {
    /// The word used in outputs and the summary (`would upload` in a dry run).
    pub fn word(self, dry_run: bool) -> &'static str {
        match (self, dry_run) {
            (Self::Uploaded, false) => "uploaded",
            (Self::Uploaded, true) => "would upload",
            (Self::Kept, _) => "kept",
            (Self::Replaced, false) => "replaced",
            (Self::Replaced, true) => "would replace",
        }
    }
}

/// Why the assets cannot be brought in line with the local files.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// A draft's asset has other bytes and `overwrite` is off.
    #[error(
        "the draft's asset `{name}` has other bytes than `{shown}`\nhint: set `overwrite: true` to replace it, or attach the files built from the same commit"
    )]
    Differs {
        /// The asset name.
        name: String,
        /// The local file.
        shown: String,
    },
    /// A published release's asset has other bytes (never replaced).
    #[error(
        "the published release's asset `{name}` has other bytes than `{shown}`; assets of a published release are never replaced\nhint: release the change as a new version"
    )]
    PublishedDiffers {
        /// The asset name.
        name: String,
        /// The local file.
        shown: String,
    },
    /// GitHub recorded another hash than the file had when it was checked.
    #[error(
        "GitHub recorded sha256 `{got}` for `{name}`, but `{shown}` had sha256 `{expected}` before the upload\nhint: something changed the file during the upload; make sure no other step writes to it, then re-run"
    )]
    Changed {
        /// The asset name.
        name: String,
        /// The local file.
        shown: String,
        /// The hash computed before the upload.
        expected: String,
        /// GitHub's `digest`.
        got: String,
    },
    /// GitHub's digest of a fresh upload is not the hash of the bytes sent: the asset was
    /// deleted.
    #[error(
        "GitHub recorded sha256 `{got}` for `{name}`, but the upload of `{shown}` sent bytes with sha256 `{sent}`: the asset is corrupt and was deleted\nhint: the bytes were damaged on the way to GitHub or on its side; re-run to upload the file again"
    )]
    Corrupt {
        /// The asset name.
        name: String,
        /// The local file.
        shown: String,
        /// The hash of the bytes sent, computed while they streamed.
        sent: String,
        /// GitHub's `digest`.
        got: String,
    },
    /// Uploads of one name kept conflicting with another uploader.
    #[error(
        "the upload of `{name}` still conflicted with another upload after {rounds} attempts\nhint: another workflow may be uploading to the same release; re-run when it is done"
    )]
    Unresolved {
        /// The asset name.
        name: String,
        /// Attempts made.
        rounds: u32,
    },
    /// A GitHub call failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    /// A local file could not be hashed.
    #[error(transparent)]
    Files(#[from] FilesError),
}

/// An [`tokio::io::AsyncWrite`] that only hashes what is written.
struct HashWriter(Sha256);

impl slipway_http::Rewind for HashWriter {
    fn rewind(&mut self) -> futures_util::future::BoxFuture<'_, std::io::Result<()>> {
        self.0 = Sha256::new();
        Box::pin(async { Ok(()) })
    }
}

impl tokio::io::AsyncWrite for HashWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.get_mut().0.update(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The SHA-256 of existing assets: GitHub's `digest`, or (on assets from before GitHub kept
/// one) the hash of a streamed download, computed once per asset.
/// Shared by uploads running side by side (a lookup holds no lock across the download).
#[derive(Debug, Default)]
pub struct HashCache {
    downloaded: Mutex<HashMap<u64, String>>,
}

impl HashCache {
    /// The asset's SHA-256 as lowercase hex.
    pub async fn sha256(&self, gh: &GitHub, asset: &Asset) -> Result<String, GitHubError> {
        if let Some(sha) = asset.sha256() {
            return Ok(sha.to_ascii_lowercase());
        }
        if let Some(sha) = self.known(asset.id) {
            return Ok(sha);
        }
        tracing::info!(
            "`{}` has no digest on GitHub: downloading it to compare",
            asset.name
        );
        let mut writer = HashWriter(Sha256::new());
        gh.download_asset(asset, &mut writer, |_| {}).await?;
        let sha = hex::encode(writer.0.finalize());
        self.lock().insert(asset.id, sha.clone());
        Ok(sha)
    }

    fn known(&self, id: u64) -> Option<String> {
        self.lock().get(&id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, String>> {
        self.downloaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What to do with one file.
#[derive(Debug, Clone)]
pub enum Step {
    /// Upload it (no asset of that name).
    Upload,
    /// Nothing: this asset has the same bytes.
    Keep(Asset),
    /// Delete this asset (other bytes), then upload.
    Replace(Asset),
    /// Delete this half-made asset left by an earlier failed upload, then upload.
    ClearStarter(Asset),
}

/// One file and what to do with it.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The local file.
    pub file: LocalFile,
    /// The step.
    pub step: Step,
}

/// Decides, before anything is uploaded, what to do with each file, given the release's
/// `existing` assets: an asset with the same name and bytes is kept; other bytes are replaced
/// on a draft with `overwrite`, an error otherwise. `release` is `None` in a dry run that would
/// create the release. A file with an uploaded asset of its name should be hashed already
/// ([`super::files::hash_files`]); one that is not is hashed here.
pub async fn plan(
    gh: &GitHub,
    release: Option<&Release>,
    existing: &[Asset],
    files: &[LocalFile],
    overwrite: bool,
    hashes: &HashCache,
) -> Result<Vec<Planned>, AssetError> {
    let mut planned = Vec::with_capacity(files.len());
    for file in files {
        let mut file = file.clone();
        let step = match existing.iter().find(|a| a.name == file.name) {
            None => Step::Upload,
            Some(a) if !a.is_uploaded() => Step::ClearStarter(a.clone()),
            Some(a) => {
                let sha = match &file.sha256 {
                    Some(sha) => sha.clone(),
                    None => sha256_of(&file).await?,
                };
                file.sha256 = Some(sha.clone());
                let same = a.size == file.size && hashes.sha256(gh, a).await? == sha;
                let draft = release.is_some_and(|r| r.draft);
                match (same, draft, overwrite) {
                    (true, _, _) => Step::Keep(a.clone()),
                    (false, true, true) => Step::Replace(a.clone()),
                    (false, true, false) => {
                        return Err(AssetError::Differs {
                            name: file.name.clone(),
                            shown: file.shown.clone(),
                        });
                    }
                    (false, false, _) => {
                        return Err(AssetError::PublishedDiffers {
                            name: file.name.clone(),
                            shown: file.shown.clone(),
                        });
                    }
                }
            }
        };
        planned.push(Planned { file, step });
    }
    Ok(planned)
}

/// One file's end state.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The local file.
    pub file: LocalFile,
    /// What happened.
    pub status: Status,
    /// The asset on the release (`None` in a dry run for a file not uploaded yet).
    pub asset: Option<Asset>,
}

/// Everything [`Uploader::execute`] needs besides the plan.
#[derive(Debug)]
pub struct Uploader<'a> {
    /// The client.
    pub gh: &'a GitHub,
    /// The release the assets go to.
    pub release: &'a Release,
    /// Replace an asset with other bytes that a concurrent upload left.
    pub overwrite: bool,
    /// Inside Actions (progress as log lines rather than a live bar).
    pub in_actions: bool,
    /// How long to wait between looks at another uploader's half-made asset.
    pub poll: Duration,
    /// How many files upload at once.
    pub max_parallel: usize,
    /// Hashes of existing assets.
    pub hashes: &'a HashCache,
    /// Conflicts met and how they were resolved, for the summary (in the files' order).
    pub resolved: Vec<String>,
}

/// Records how a conflict was resolved (log and summary).
fn note(notes: &mut Vec<String>, note: String) {
    tracing::warn!("{note}");
    notes.push(note);
}

/// Deletes an asset, treating "already gone" as done.
async fn delete_asset(gh: &GitHub, id: u64) -> Result<(), GitHubError> {
    match gh.delete_asset(id).await {
        Ok(()) | Err(GitHubError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A short reason for a conflict: `422 already_exists` or `404`.
fn conflict_reason(e: &GitHubError) -> String {
    match e {
        GitHubError::AlreadyExists(_) => "422 already_exists".to_string(),
        other => other
            .status()
            .map(|s| s.to_string())
            .unwrap_or_else(|| "a conflict".into()),
    }
}

impl Uploader<'_> {
    /// Carries out the plan, `max_parallel` files at a time; returns each file's end state in
    /// the plan's order. After a failure no new file starts, the running ones finish, and the
    /// first failure (in the plan's order) is returned: a re-run finds what did arrive and
    /// keeps it.
    pub async fn execute(&mut self, planned: Vec<Planned>) -> Result<Vec<Outcome>, AssetError> {
        let this = &*self;
        let names: Vec<String> = planned.iter().map(|p| p.file.name.clone()).collect();
        let ran = slipway_http::parallel::bounded(
            planned,
            self.max_parallel,
            |_, planned| this.one(planned),
            |i| {
                tracing::warn!(
                    "the upload of `{}` failed: no further upload starts, the ones running finish",
                    names[i]
                );
            },
        )
        .await;
        let mut out = Vec::with_capacity(ran.len());
        let mut first_error = None;
        for ran in ran {
            match ran.started() {
                Some(Ok((outcome, notes))) => {
                    self.resolved.extend(notes);
                    out.push(outcome);
                }
                Some(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                None => {}
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Does one file's step; returns its end state and the conflicts it resolved.
    async fn one(&self, planned: Planned) -> Result<(Outcome, Vec<String>), AssetError> {
        let Planned { mut file, step } = planned;
        let mut notes = Vec::new();
        let (status, asset) = match step {
            Step::Keep(a) => {
                tracing::info!("kept `{}`: same bytes already attached", file.name);
                (Status::Kept, a)
            }
            Step::ClearStarter(a) => {
                let note = format!(
                    "deleted the half-made asset `{}` (state `{}`) left by an earlier upload",
                    a.name, a.state
                );
                tracing::warn!("{note}");
                notes.push(note);
                delete_asset(self.gh, a.id).await?;
                self.put(&mut file, Status::Uploaded, &mut notes).await?
            }
            Step::Replace(a) => {
                tracing::info!("replacing `{}`: the file has other bytes", file.name);
                delete_asset(self.gh, a.id).await?;
                self.put(&mut file, Status::Replaced, &mut notes).await?
            }
            Step::Upload => self.put(&mut file, Status::Uploaded, &mut notes).await?,
        };
        if status != Status::Kept {
            tracing::info!(
                "{} `{}` ({})",
                status.word(false),
                file.name,
                human_bytes(file.size)
            );
        }
        let outcome = Outcome {
            file,
            status,
            asset: Some(asset),
        };
        Ok((outcome, notes))
    }

    /// Uploads one file; a conflict (the name taken, or our half-made asset deleted by another
    /// run) is resolved by listing the assets again: the same bytes uploaded by someone else
    /// are kept, a half-made asset is given time to finish and deleted if it does not. Returns
    /// the asset and `status`, or [`Status::Kept`] when another upload of an asset that was not
    /// there before attached the same bytes first. A file without a hash gets the one computed
    /// while it streamed (or, when another upload's asset is compared, one read from disk).
    async fn put(
        &self,
        file: &mut LocalFile,
        status: Status,
        notes: &mut Vec<String>,
    ) -> Result<(Status, Asset), AssetError> {
        let gh = self.gh;
        for round in 1..=MAX_ROUNDS {
            let mut progress = Progress::new(
                format!("uploading {}", file.name),
                file.size,
                self.in_actions,
            );
            let mut last = 0u64;
            let result = gh
                .upload_asset_hashed(
                    self.release,
                    &file.name,
                    &file.path,
                    content_type(&file.name),
                    |sent| {
                        if sent < last {
                            progress.restart();
                            last = 0;
                        }
                        progress.advance(sent - last);
                        last = sent;
                    },
                )
                .await;
            progress.finish();
            let err = match result {
                Ok((asset, sent)) => return Ok((status, self.verified(file, asset, sent).await?)),
                Err(e @ (GitHubError::AlreadyExists(_) | GitHubError::NotFound(_)))
                    if round < MAX_ROUNDS =>
                {
                    e
                }
                Err(e) => return Err(e.into()),
            };
            let reason = conflict_reason(&err);
            let current = gh
                .list_assets(self.release.id)
                .await?
                .into_iter()
                .find(|a| a.name == file.name);
            let Some(found) = current else {
                note(
                    notes,
                    format!(
                        "upload of `{}` answered {reason}, but no asset of that name exists: uploaded again",
                        file.name
                    ),
                );
                continue;
            };
            let found = if found.is_uploaded() {
                Some(found)
            } else {
                self.wait_for(&found).await?
            };
            match found {
                None => {
                    note(
                        notes,
                        format!(
                            "upload of `{}` answered {reason}; the other upload went away: uploaded again",
                            file.name
                        ),
                    );
                }
                Some(a) if !a.is_uploaded() => {
                    note(
                        notes,
                        format!(
                            "upload of `{}` answered {reason}; deleted the half-made asset (state `{}`) that never finished, and uploaded again",
                            file.name, a.state
                        ),
                    );
                    delete_asset(gh, a.id).await?;
                }
                Some(a) => {
                    let sha = self.hashes.sha256(gh, &a).await?;
                    let ours = match &file.sha256 {
                        Some(sha) => sha.clone(),
                        None => sha256_of(file).await?,
                    };
                    file.sha256 = Some(ours.clone());
                    if sha == ours && a.size == file.size {
                        note(
                            notes,
                            format!(
                                "upload of `{}` answered {reason}: the same bytes were already attached (another run), kept",
                                file.name
                            ),
                        );
                        let status = match status {
                            Status::Replaced => Status::Replaced,
                            _ => Status::Kept,
                        };
                        return Ok((status, a));
                    }
                    if !(self.release.draft && self.overwrite) {
                        return Err(if self.release.draft {
                            AssetError::Differs {
                                name: file.name.clone(),
                                shown: file.shown.clone(),
                            }
                        } else {
                            AssetError::PublishedDiffers {
                                name: file.name.clone(),
                                shown: file.shown.clone(),
                            }
                        });
                    }
                    note(
                        notes,
                        format!(
                            "upload of `{}` answered {reason}: another upload attached other bytes; replaced them",
                            file.name
                        ),
                    );
                    delete_asset(gh, a.id).await?;
                }
            }
        }
        Err(AssetError::Unresolved {
            name: file.name.clone(),
            rounds: MAX_ROUNDS,
        })
    }

    /// Checks a fresh upload: GitHub's digest (when it gives one) must be the hash of the bytes
    /// `sent`, or the corrupt asset is deleted and the upload fails; a file hashed before the
    /// upload must still have that hash. A file not hashed before takes `sent` as its hash.
    async fn verified(
        &self,
        file: &mut LocalFile,
        asset: Asset,
        sent: String,
    ) -> Result<Asset, AssetError> {
        if let Some(got) = asset
            .sha256()
            .filter(|got| !got.eq_ignore_ascii_case(&sent))
        {
            let got = got.to_ascii_lowercase();
            tracing::error!(
                "GitHub recorded sha256 `{got}` for `{}`, but the bytes sent have sha256 `{sent}`: deleting the corrupt asset",
                file.name
            );
            delete_asset(self.gh, asset.id).await?;
            return Err(AssetError::Corrupt {
                name: file.name.clone(),
                shown: file.shown.clone(),
                sent,
                got,
            });
        }
        match &file.sha256 {
            Some(expected) if *expected != sent => Err(AssetError::Changed {
                name: file.name.clone(),
                shown: file.shown.clone(),
                expected: expected.clone(),
                got: sent,
            }),
            Some(_) => Ok(asset),
            None => {
                file.sha256 = Some(sent);
                Ok(asset)
            }
        }
    }

    /// Polls a half-made asset (another uploader's, perhaps) until it is uploaded or gone;
    /// returns its last state, or `None` once it is gone.
    async fn wait_for(&self, asset: &Asset) -> Result<Option<Asset>, GitHubError> {
        let mut current = asset.clone();
        for _ in 0..STARTER_POLLS {
            // Not a retry: waiting for another uploader's asset to settle.
            tokio::time::sleep(self.poll).await;
            current = match self.gh.asset(asset.id).await {
                Ok(a) => a,
                Err(GitHubError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            if current.is_uploaded() {
                break;
            }
        }
        Ok(Some(current))
    }
}
