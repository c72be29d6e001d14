//! fetch-assets' work: exactly the bytes attached to a release, verified, into a directory.
//!
//! [`fetch()`] finds the release ([`select`]), picks its assets ([`names`]), loads the checksums
//! manifest ([`manifest`]) and plans every file, then brings each asset into `dir`,
//! `max_parallel` at a time ([`download::Fetcher`]); the [`Retrieved`] result lists each file as
//! it ended up and each failure.

pub mod download;
pub mod error;
pub mod manifest;
pub mod names;
mod plan;
pub mod select;

use std::path::PathBuf;

use anyhow::Context as _;
use slipway_github::{GitHub, Release};
use slipway_runner::{Commands, HintExt};

pub use download::{Expected, Fetched, Outcome, Verification};
pub use error::FetchError;
use names::NameFilter;
pub use select::Selector;

pub use crate::MANIFEST;

/// What to fetch: fetch-assets' validated request.
#[derive(Debug, Clone)]
pub struct Fetch {
    /// Which release.
    pub selector: Selector,
    /// Whether a tag may match a draft.
    pub include_drafts: bool,
    /// The `patterns` globs as given (for messages).
    pub patterns: Vec<String>,
    /// The `exclude` globs as given.
    pub exclude: Vec<String>,
    /// The compiled filter.
    pub filter: NameFilter,
    /// Where files go (relative to the workspace, as given).
    pub dir: PathBuf,
    /// Check hashes.
    pub verify: bool,
    /// The checksums manifest's asset name; `None` when disabled (empty input).
    pub checksums: Option<String>,
    /// Downloads at once.
    pub max_parallel: usize,
    /// Fail when no asset matches.
    pub fail_on_empty: bool,
    /// Template mapping the tag to `version`.
    pub tag_template: String,
    /// Write nothing.
    pub dry_run: bool,
}

/// Fetches what `request` asks for and returns the report; per-file failures are in the report
/// (the downloads already running finish; none starts after a failure), errors that stop
/// everything are returned.
pub async fn fetch(
    gh: &GitHub,
    request: &Fetch,
    in_actions: bool,
    log: &Commands,
) -> anyhow::Result<Retrieved> {
    let release = match select::resolve(gh, &request.selector, request.include_drafts).await {
        Ok(r) => r,
        Err(select::SelectError::Fetch(e)) => return Err(e.into()),
        Err(select::SelectError::GitHub(e)) => {
            return Err(e).with_context(|| format!("cannot look up {}", request.selector));
        }
    };
    tracing::info!(
        "release `{}` (id {}{}{})",
        release.tag_name,
        release.id,
        if release.draft { ", draft" } else { "" },
        if release.prerelease {
            ", prerelease"
        } else {
            ""
        }
    );
    let plan = plan::Plan::make(gh, &release, request, log).await?;
    let fetcher = download::Fetcher {
        gh,
        dir: &request.dir,
        verify: request.verify,
        dry_run: request.dry_run,
        in_actions,
        manifest_name: request.checksums.as_deref().unwrap_or(MANIFEST),
    };
    if !request.dry_run {
        std::fs::create_dir_all(&request.dir).map_err(|source| FetchError::Io {
            action: "create the directory",
            path: request.dir.clone(),
            source,
        })?;
        download::clear_leftovers(&request.dir)?;
    }
    let mut results: Vec<(usize, Result<Fetched, FetchError>)> = Vec::new();
    if let Some(done) = plan.manifest_file(&fetcher).await {
        results.push((usize::MAX, done));
    }
    // After the first failure no new download starts (a stalled or lying host would be waited
    // out once per asset); the ones running finish, and the rest are reported as not started.
    let ran = slipway_http::parallel::bounded(
        plan.jobs.iter().collect(),
        request.max_parallel,
        |_, job| {
            let (fetcher, plan) = (&fetcher, &plan);
            async move {
                if job.conflict {
                    Err(plan.conflict_error(job))
                } else {
                    fetcher.fetch(&job.asset, &job.expected).await
                }
            }
        },
        |i| {
            tracing::warn!(
                "`{}` failed: no further download starts, the ones running finish",
                plan.jobs[i].asset.name
            );
        },
    )
    .await;
    let mut not_started = Vec::new();
    for (i, ran) in ran.into_iter().enumerate() {
        match ran.started() {
            Some(r) => results.push((i, r)),
            None => not_started.push((i, plan.jobs[i].asset.name.clone())),
        }
    }
    not_started.sort();
    let not_started = not_started.into_iter().map(|(_, name)| name).collect();
    Ok(Retrieved::new(
        request,
        &release,
        results,
        not_started,
        gh.retries().len(),
    ))
}

/// The result of one run: the release, each file as it ended up, and each failure.
#[derive(Debug)]
pub struct Retrieved {
    /// The release's tag.
    pub tag: String,
    /// The version read from the tag through `tag-template`.
    pub version: Option<String>,
    /// The template used.
    pub tag_template: String,
    /// The release's id.
    pub release_id: u64,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// Whether it is a draft.
    pub draft: bool,
    /// Its web page.
    pub html_url: String,
    /// `dir` as given.
    pub dir: String,
    /// The manifest's name (for labels).
    pub manifest_name: String,
    /// Files in place (or that would be, in a dry run), sorted by name.
    pub files: Vec<Fetched>,
    /// Files that failed, in asset order.
    pub failures: Vec<FetchError>,
    /// Files never started because an earlier download failed, in asset order.
    pub not_started: Vec<String>,
    /// How many files were attempted.
    pub total: usize,
    /// Requests the client retried.
    pub retries: usize,
    /// A dry run.
    pub dry_run: bool,
}

impl Retrieved {
    /// Gathers the per-file results (tagged with their order) into a report.
    pub(crate) fn new(
        request: &Fetch,
        release: &Release,
        mut results: Vec<(usize, Result<Fetched, FetchError>)>,
        not_started: Vec<String>,
        retries: usize,
    ) -> Self {
        results.sort_by_key(|(i, _)| *i);
        let total = results.len();
        let mut files = Vec::new();
        let mut failures = Vec::new();
        for (_, r) in results {
            match r {
                Ok(f) => files.push(f),
                Err(e) => failures.push(e),
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            tag: release.tag_name.clone(),
            version: slipway_version::version_from_tag(&request.tag_template, &release.tag_name),
            tag_template: request.tag_template.clone(),
            release_id: release.id,
            prerelease: release.prerelease,
            draft: release.draft,
            html_url: release.html_url.clone(),
            dir: request.dir.display().to_string(),
            manifest_name: request.checksums.clone().unwrap_or_else(|| MANIFEST.into()),
            files,
            failures,
            not_started,
            total,
            retries,
            dry_run: request.dry_run,
        }
    }

    /// The `files` output: a JSON array of `dir/name` paths.
    pub fn files_json(&self) -> String {
        let paths: Vec<String> = self
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        serde_json::Value::from(paths).to_string()
    }

    /// `Ok` when every file is in place; otherwise the failure (one), or all of them listed.
    pub fn into_result(mut self) -> anyhow::Result<()> {
        match self.failures.len() {
            0 => Ok(()),
            1 if self.not_started.is_empty() => Err(self.failures.remove(0).into()),
            n => {
                let errors = self
                    .failures
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect();
                Err(FetchError::Failed {
                    failed: n,
                    total: self.total,
                    errors,
                    not_started: self.not_started,
                })
                .hint("re-run the job: files already in place are kept and not downloaded again")
            }
        }
    }
}
