//! `fetch-assets`: downloads exactly the bytes attached to a release, verified, into a directory.
//!
//! The same three steps as every slipway action: [`request`] turns the inputs (and the event
//! payload) into a typed request, the work is [`slipway_release::fetch::fetch()`], and [`report`]
//! writes the outputs and the step summary; the run fails after that when any file failed.

pub mod report;
pub mod request;

use slipway_runner::{Action, InputSpec, OutputSpec, Tool};

pub use request::Request;
pub use slipway_release::MANIFEST;

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
        InputSpec::string("dir", "Directory the files go to, relative to the workspace (created if missing). A relative path may not lead outside the workspace (through `..` or a symlink); give an absolute path to write elsewhere on purpose.").default(slipway_dist::DIST_DIR),
        InputSpec::bool("verify", true, "Check each file's SHA-256 against the asset's digest and the checksums manifest; a mismatch fails and leaves no file."),
        InputSpec::string("checksums", "Name of the checksums asset (sha256sum format) to verify against; empty to use only GitHub's digests.").default(MANIFEST),
        slipway_runner::max_parallel_input("How many files download at once (1 to 64).").alias("concurrency"),
        InputSpec::bool("fail-on-empty", true, "Fail when no asset matches the patterns."),
        InputSpec::string("tag-template", "How a version becomes a tag; the `version` output is the tag read through it.").default(slipway_version::DEFAULT_TAG_TEMPLATE),
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

/// The whole tool: inputs → fetch → outputs and summary; fails after writing them when any
/// file failed.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let retrieved = slipway_release::fetch::fetch(
        &request.github,
        &request.fetch,
        request.in_actions,
        &action.commands,
    )
    .await?;
    report::write(&retrieved, action)?;
    retrieved.into_result()
}
