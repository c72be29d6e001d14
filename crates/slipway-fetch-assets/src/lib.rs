//! `fetch-assets`: downloads exactly the bytes attached to a release, verified, into a directory.
//!
//! The binary reads a [`Request`]; [`fetch()`] finds the release ([`select`]), picks its assets
//! ([`names`]), loads the checksums manifest ([`manifest`]), and brings each asset into `dir`
//! `concurrency` at a time ([`fetch::Fetcher`]); the [`Report`] becomes outputs and a summary.

pub mod error;
pub mod fetch;
pub mod manifest;
pub mod names;
mod plan;
mod report;
pub mod request;
pub mod select;

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use futures_util::StreamExt as _;
use slipway_runner::{Action, InputSpec, OutputSpec, Tool};

pub use error::FetchError;
pub use fetch::{Expected, Fetched, Outcome, Verification};
pub use report::Report;
pub use request::Request;
pub use select::Selector;

/// The checksums manifest's usual asset name (the `checksums` input's default).
pub const MANIFEST: &str = "SHA256SUMS";

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "fetch-assets",
    icon: "download",
    title: "slipway fetch-assets",
    description: "Download a release's assets (published or draft) into a directory, each verified against GitHub's recorded digest and the release's SHA256SUMS before it is put in place.",
    inputs: &[
        InputSpec::string("tag", "The release's tag (a draft-only tag is found too, with include-drafts). Default: the release of the `release` event, or a `workflow_dispatch` input named `tag`."),
        InputSpec::string("release-id", "The release's numeric id, instead of tag."),
        InputSpec::bool("latest", false, "Fetch the release GitHub marks as latest (it follows make_latest), instead of tag."),
        InputSpec::bool("include-drafts", true, "Let tag match a draft release (found by paging the release list; needs a token with push access)."),
        InputSpec::list("patterns", "Globs over asset names to fetch, newline or comma separated.").default("*"),
        InputSpec::list("exclude", "Globs over asset names to leave out."),
        InputSpec::string("dir", "Directory the files go to, relative to the workspace (created if missing). A relative path may not lead outside the workspace (through `..` or a symlink); give an absolute path to write elsewhere on purpose.").default("dist"),
        InputSpec::bool("verify", true, "Check each file's SHA-256 against the asset's digest and the checksums manifest; a mismatch fails and leaves no file."),
        InputSpec::string("checksums", "Name of the checksums asset (sha256sum format) to verify against; empty to use only GitHub's digests.").default(MANIFEST),
        InputSpec::string("concurrency", "How many files download at once (1 to 64).").default("4"),
        InputSpec::bool("fail-on-empty", true, "Fail when no asset matches the patterns."),
        InputSpec::string("tag-template", "How a version becomes a tag; the `version` output is the tag read through it.").default("v{version}"),
        InputSpec::bool("dry-run", false, "Find the release and check the files already present, but download nothing."),
        slipway_github::token_input("GitHub token used to read the release and download its assets."),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
    ],
    outputs: &[
        OutputSpec::new("tag", "The release's tag."),
        OutputSpec::new("version", "The version in the tag (tag-template read backwards); empty when the tag does not fit the template."),
        OutputSpec::new("release-id", "The release's id."),
        OutputSpec::new("prerelease", "true when the release is a prerelease."),
        OutputSpec::new("dir", "The directory holding the files."),
        OutputSpec::new("files", "JSON array of the files' paths (dir/name), sorted."),
        OutputSpec::new("count", "How many files are in place."),
    ],
};

/// Fetches what `request` asks for and returns the report; per-file failures are in the report
/// (the downloads already running finish; none starts after a failure), errors that stop
/// everything are returned.
pub async fn fetch(request: &Request, action: &Action) -> anyhow::Result<Report> {
    let gh = slipway_github::client_from_inputs(&action.inputs, &action.commands)?;
    let release = match select::resolve(&gh, &request.selector, request.include_drafts).await {
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
    let plan = plan::Plan::make(&gh, &release, request, &action.commands).await?;
    let fetcher = fetch::Fetcher {
        gh: &gh,
        dir: &request.dir,
        verify: request.verify,
        dry_run: request.dry_run,
        in_actions: action.env.in_actions(),
        manifest_name: request.checksums.as_deref().unwrap_or(MANIFEST),
    };
    if !request.dry_run {
        std::fs::create_dir_all(&request.dir).map_err(|source| FetchError::Io {
            action: "create the directory",
            path: request.dir.clone(),
            source,
        })?;
        fetch::clear_leftovers(&request.dir)?;
    }
    let mut results: Vec<(usize, Result<Fetched, FetchError>)> = Vec::new();
    if let Some(done) = plan.manifest_file(&fetcher).await {
        results.push((usize::MAX, done));
    }
    // After the first failure no new download starts (a stalled or lying host would be waited
    // out once per asset); the ones running finish, and the rest are reported as not started.
    let failed = AtomicBool::new(false);
    let jobs = plan.jobs.iter().enumerate().map(|(i, job)| {
        let (fetcher, plan, failed) = (&fetcher, &plan, &failed);
        async move {
            if failed.load(Ordering::Relaxed) {
                return (i, None);
            }
            let result = if job.conflict {
                Err(plan.conflict_error(job))
            } else {
                fetcher.fetch(&job.asset, &job.expected).await
            };
            if result.is_err() && !failed.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "`{}` failed: no further download starts, the ones running finish",
                    job.asset.name
                );
            }
            (i, Some(result))
        }
    });
    let ran: Vec<(usize, Option<Result<Fetched, FetchError>>)> = futures_util::stream::iter(jobs)
        .buffer_unordered(request.concurrency)
        .collect()
        .await;
    let mut not_started = Vec::new();
    for (i, result) in ran {
        match result {
            Some(r) => results.push((i, r)),
            None => not_started.push((i, plan.jobs[i].asset.name.clone())),
        }
    }
    not_started.sort();
    let not_started = not_started.into_iter().map(|(_, name)| name).collect();
    Ok(Report::new(
        request,
        &release,
        results,
        not_started,
        gh.retries().len(),
    ))
}

/// The whole tool: inputs → fetch → outputs and summary; fails after writing them when any
/// file failed.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let report = fetch(&request, action).await?;
    report.write(action)?;
    report.into_result()
}
