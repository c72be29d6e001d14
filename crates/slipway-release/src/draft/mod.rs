//! draft-release's work: one draft GitHub release per version, with the built files attached and
//! a `SHA256SUMS` manifest, converging on the same end state however often it runs.
//!
//! [`draft`] reads top to bottom: the local files are globbed and checked before any request
//! ([`files`]), the one release is found or created ([`locate`]), the files whose assets need
//! comparing are hashed, every file's step is decided before the first upload and then done
//! ([`assets`]) with the manifest last, duplicate drafts are reconciled, and the release is
//! published when asked.

pub mod assets;
pub mod files;
pub mod locate;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use serde::Serialize;
use slipway_github::{Asset, GitHub, Release, ReleasePatch, RetryEvent};
use slipway_runner::Commands;

use assets::{HashCache, Outcome, Planned, Status, Step};
use files::LocalFile;
use locate::Located;

/// What to draft: draft-release's validated request.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The version.
    pub version: String,
    /// The tag.
    pub tag: String,
    /// The tag template (also used to read versions from other releases' tags).
    pub tag_template: String,
    /// File globs.
    pub files: Vec<String>,
    /// Fail on a pattern matching nothing.
    pub fail_on_unmatched: bool,
    /// Title for a new draft.
    pub name: Option<String>,
    /// Notes for a new draft (from `body` or `body-path`).
    pub body: Option<String>,
    /// Generate notes when there is no body.
    pub generate_notes: bool,
    /// Pre-release flag for a new draft.
    pub prerelease: bool,
    /// Target commitish for a new draft.
    pub target: Option<String>,
    /// Checksums manifest asset name.
    pub checksums: Option<String>,
    /// Replace differing assets on a draft.
    pub overwrite: bool,
    /// Work on a published release.
    pub allow_published: bool,
    /// Publish at the end.
    pub publish: bool,
    /// `make_latest` when publishing.
    pub make_latest: Option<String>,
    /// Write nothing.
    pub dry_run: bool,
    /// How many files upload at once.
    pub max_parallel: usize,
}

/// Where and how the run works, from the runner's environment.
#[derive(Debug, Clone)]
pub struct Workplace {
    /// Where the manifest is written (`RUNNER_TEMP` in Actions).
    pub temp_base: PathBuf,
    /// Progress as log lines (Actions) or a live line (a terminal).
    pub in_actions: bool,
    /// How long to wait between looks at another uploader's half-made asset.
    pub poll: Duration,
}

impl Workplace {
    /// From the runner's environment: `RUNNER_TEMP` (else the system's temp directory), the
    /// log style, and the poll interval: the retry unit (`SLIPWAY_RETRY_UNIT_MS` in tests),
    /// between 20 ms and 1 s.
    pub fn from_env(env: &slipway_runner::Env, in_actions: bool) -> Self {
        Self {
            temp_base: env
                .path(slipway_runner::env::RUNNER_TEMP)
                .filter(|p| p.is_dir())
                .unwrap_or_else(std::env::temp_dir),
            in_actions,
            poll: slipway_github::retry_policy(env)
                .base_backoff
                .clamp(Duration::from_millis(20), Duration::from_secs(1)),
        }
    }
}

/// What draft-release did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Drafted {
    /// The tag.
    pub tag: String,
    /// The release worked on (`None` in a dry run that would create it).
    pub release: Option<Release>,
    /// True when this run created the draft.
    pub created: bool,
    /// True when this run published it.
    pub published: bool,
    /// Nothing was written.
    pub dry_run: bool,
    /// Each file's end state, in upload order (the manifest last).
    pub outcomes: Vec<Outcome>,
    /// What was done besides uploads: drafts created, reused, deleted; conflicts resolved.
    pub notes: Vec<String>,
    /// Warnings (the caller emits them as annotations).
    pub warnings: Vec<String>,
    /// Every request the client retried.
    pub retries: Vec<RetryEvent>,
}

/// The columns of [`Drafted::asset_rows`].
pub const ASSET_COLUMNS: [&str; 4] = ["asset", "size", "sha256", "status"];

/// One entry of the `assets` output.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AssetEntry {
    /// Asset name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Download URL (empty in a dry run before the upload).
    pub url: String,
}

impl Drafted {
    /// The `assets` output entries, sorted by name.
    pub fn asset_entries(&self) -> Vec<AssetEntry> {
        let mut entries: Vec<AssetEntry> = self
            .outcomes
            .iter()
            .map(|o| AssetEntry {
                name: o.file.name.clone(),
                size: o.file.size,
                sha256: o.file.sha256.clone().unwrap_or_default(),
                url: o
                    .asset
                    .as_ref()
                    .map(|a| a.browser_download_url.clone())
                    .unwrap_or_default(),
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    /// The step summary's asset table: one row a file ([`ASSET_COLUMNS`]), in upload order.
    pub fn asset_rows(&self) -> Vec<Vec<String>> {
        self.outcomes
            .iter()
            .map(|o| {
                vec![
                    format!("`{}`", o.file.name),
                    slipway_runner::progress::human_bytes(o.file.size),
                    format!("`{}`", o.file.sha256.as_deref().unwrap_or_default()),
                    o.status.word(self.dry_run).to_string(),
                ]
            })
            .collect()
    }

    /// How many files ended in `status`.
    pub fn count(&self, status: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == status).count()
    }
}

/// The whole run: files checked, the release found or created, assets planned and uploaded,
/// duplicate drafts reconciled, the release published when asked.
///
/// A file is hashed before the first upload only when that decides something: an uploaded
/// asset of its name exists (keep or replace), or the manifest's asset exists (its bytes are
/// compared, so every file is hashed first, as in a dry run). Otherwise (a fresh draft) each
/// file is hashed while it uploads, GitHub's digest is checked against that hash, and the
/// manifest is written from those hashes and uploaded after the files.
pub async fn draft(
    gh: &GitHub,
    request: &Draft,
    place: &Workplace,
    log: &Commands,
) -> anyhow::Result<Drafted> {
    // 1. The local files, globbed and checked before any request.
    let collected = files::collect(
        &request.files,
        request.fail_on_unmatched,
        request.checksums.as_deref(),
    )?;
    for alias in &collected.aliases {
        log.notice(alias);
    }
    let mut run = Run {
        gh,
        request,
        place,
        files: collected.files,
        warnings: collected.warnings,
        notes: collected.aliases,
        hashes: HashCache::default(),
    };
    // 2. The one release for the tag, found or created.
    let located = locate::locate(gh, request, &mut run.warnings)
        .await
        .with_context(|| {
            format!(
                "cannot find or create the release for `{}`",
                slipway_runner::excerpt(&request.tag)
            )
        })?;
    run.notes.extend(located.notes.iter().cloned());
    let existing = match &located.release {
        Some(r) => gh.list_assets(r.id).await?,
        None => Vec::new(),
    };
    // 3. The files' assets: planned, then uploaded (the manifest last), or what a dry run would do.
    let temp = run.temp_dir()?;
    let outcomes = run.attach(&located, &existing, temp.path()).await?;
    // 4. Duplicate drafts reconciled against the one kept.
    run.reconcile(&located).await?;
    // 5. Published when asked.
    let mut release = located.release.clone();
    let published = run.publish(release.as_mut()).await?;
    drop(temp);
    Ok(Drafted {
        tag: request.tag.clone(),
        release,
        created: located.created,
        published,
        dry_run: request.dry_run,
        outcomes,
        notes: run.notes,
        warnings: run.warnings,
        retries: gh.retries(),
    })
}

/// The state the steps of one run share.
struct Run<'a> {
    gh: &'a GitHub,
    request: &'a Draft,
    place: &'a Workplace,
    /// The local files (the manifest joins them once written).
    files: Vec<LocalFile>,
    warnings: Vec<String>,
    notes: Vec<String>,
    /// The assets' hashes read so far (each asset's bytes at most once).
    hashes: HashCache,
}

impl Run<'_> {
    /// A fresh directory for the manifest.
    fn temp_dir(&self) -> anyhow::Result<tempfile::TempDir> {
        let base = &self.place.temp_base;
        tempfile::Builder::new()
            .prefix("draft-release-")
            .tempdir_in(base)
            .with_context(|| format!("cannot create a directory in `{}`", base.display()))
    }

    /// Hashes the files whose hash decides something, plans every file's step before the first
    /// upload, and does the steps; the manifest is written when every hash is known (before
    /// the uploads when they were hashed first, after them otherwise) and uploaded last.
    async fn attach(
        &mut self,
        located: &Located,
        existing: &[Asset],
        temp: &std::path::Path,
    ) -> anyhow::Result<Vec<Outcome>> {
        let request = self.request;
        let attached = |name: &str| existing.iter().any(|a| a.name == name && a.is_uploaded());
        let hash_first = request.dry_run
            || located.release.is_none()
            || request
                .checksums
                .as_deref()
                .is_some_and(|c| attached(&slipway_github::github_asset_name(c)));
        files::hash_files(&mut self.files, |f| hash_first || attached(&f.name))?;
        let mut manifest_later = None;
        if let Some(name) = &request.checksums {
            if hash_first {
                let manifest = files::write_manifest(temp, name, &self.files)?;
                self.files.push(manifest);
            } else {
                manifest_later = Some(name.as_str());
            }
        }
        let release = located.release.as_ref();
        let planned = assets::plan(
            self.gh,
            release,
            existing,
            &self.files,
            request.overwrite,
            &self.hashes,
        )
        .await?;
        let Some(release) = release.filter(|_| !request.dry_run) else {
            return Ok(planned.into_iter().map(dry_outcome).collect());
        };
        let mut uploader = assets::Uploader {
            gh: self.gh,
            release,
            overwrite: request.overwrite,
            in_actions: self.place.in_actions,
            poll: self.place.poll,
            max_parallel: request.max_parallel,
            hashes: &self.hashes,
            resolved: Vec::new(),
        };
        let mut outcomes = uploader.execute(planned).await?;
        if let Some(name) = manifest_later {
            let hashed: Vec<LocalFile> = outcomes.iter().map(|o| o.file.clone()).collect();
            let manifest = files::write_manifest(temp, name, &hashed)?;
            let planned = assets::plan(
                self.gh,
                Some(release),
                existing,
                std::slice::from_ref(&manifest),
                request.overwrite,
                &self.hashes,
            )
            .await?;
            outcomes.extend(uploader.execute(planned).await?);
            self.files.push(manifest);
        }
        self.notes.extend(uploader.resolved);
        Ok(outcomes)
    }

    /// Each duplicate draft for the tag is deleted when the kept one holds all its assets, and
    /// left with a warning otherwise.
    async fn reconcile(&mut self, located: &Located) -> anyhow::Result<()> {
        let Some(kept) = &located.release else {
            return Ok(());
        };
        if located.duplicates.is_empty() {
            return Ok(());
        }
        let gh = self.gh;
        let mut on_kept = Vec::new();
        for a in gh
            .list_assets(kept.id)
            .await?
            .iter()
            .filter(|a| a.is_uploaded())
        {
            on_kept.push((a.name.clone(), self.hashes.sha256(gh, a).await?));
        }
        if self.request.dry_run {
            // Nothing was uploaded: count the files as if they were.
            on_kept.extend(
                self.files
                    .iter()
                    .map(|f| (f.name.clone(), f.sha256.clone().unwrap_or_default())),
            );
        }
        for dup in &located.duplicates {
            let kept = locate::Kept {
                id: kept.id,
                assets: &on_kept,
            };
            let line = locate::reconcile_duplicate(
                gh,
                dup,
                &kept,
                &self.hashes,
                self.request.dry_run,
                &mut self.warnings,
            )
            .await?;
            self.notes.push(line);
        }
        Ok(())
    }

    /// Publishes a draft when `publish` is on; true when this run published it.
    async fn publish(&mut self, release: Option<&mut Release>) -> anyhow::Result<bool> {
        let Some(rel) = release.filter(|r| r.draft && self.request.publish) else {
            return Ok(false);
        };
        if self.request.dry_run {
            self.notes.push(format!("would publish release {}", rel.id));
            return Ok(false);
        }
        let patch = ReleasePatch {
            draft: Some(false),
            make_latest: self.request.make_latest.clone(),
            ..ReleasePatch::default()
        };
        *rel = self
            .gh
            .update_release(rel.id, &patch)
            .await
            .with_context(|| format!("cannot publish release {}", rel.id))?;
        self.notes.push(format!("published release {}", rel.id));
        Ok(true)
    }
}

/// A planned step as a dry run reports it.
fn dry_outcome(p: Planned) -> Outcome {
    let (status, asset) = match p.step {
        Step::Keep(a) => (Status::Kept, Some(a)),
        Step::Replace(_) => (Status::Replaced, None),
        Step::Upload | Step::ClearStarter(_) => (Status::Uploaded, None),
    };
    Outcome {
        file: p.file,
        status,
        asset,
    }
}
