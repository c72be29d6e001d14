//! `draft-release`: one draft GitHub release per version, with the built files attached and a
//! `SHA256SUMS` manifest, converging on the same end state however often it runs.
//!
//! The same three steps as every slipway action: [`request`] turns the inputs into a typed
//! request (every input error, the GitHub client's included, before any file is read), the work
//! is [`slipway_release::draft::draft`], and [`report`] writes the outputs and the step summary.

pub mod report;
pub mod request;

use slipway_runner::{Action, InputSpec, OutputSpec, Tool};

pub use request::Request;

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "draft-release",
    icon: "package",
    title: "slipway draft-release",
    description: "Create or reuse one draft GitHub release for a version, attach the built files and a SHA256SUMS manifest, and converge on the same single draft however often it runs.",
    inputs: &[
        InputSpec::string("version", "The version being released (PEP 440), e.g. the version output of version-bump. A leading `v` written as in a tag (`v1.2.0`) is dropped with a notice: tag-template adds the tag's prefix.").required(),
        InputSpec::string("tag", "The release tag; overrides tag-template. Checked against git's rules for tag names."),
        InputSpec::string("tag-template", "How the version becomes the tag; must contain {version}.").default(slipway_version::DEFAULT_TAG_TEMPLATE),
        InputSpec::list("files", "Files to attach: globs relative to the workspace, newline or comma separated.").default("dist/*"),
        InputSpec::bool("fail-on-unmatched-files", true, "Fail when a files pattern matches nothing (otherwise a warning)."),
        InputSpec::string("name", "Release title for a new draft (default: the tag)."),
        InputSpec::string("body", "Release notes for a new draft (markdown)."),
        InputSpec::string("body-path", "A file holding the release notes for a new draft, relative to the workspace."),
        InputSpec::bool("generate-notes", true, "Without body or body-path, let GitHub write the notes of a new draft from the changes since the previous release."),
        InputSpec::string("prerelease", "Mark the release as a pre-release: auto (when the version is a pre- or dev-release), true or false.").default("auto"),
        InputSpec::string("target", "Commit or branch the tag is created from when the release is published.").default("${{ github.sha }}"),
        InputSpec::string("checksums", "Name of the checksums manifest asset (sha256sum format); empty turns it off.").default(slipway_release::MANIFEST),
        InputSpec::bool("overwrite", true, "Replace an asset of a draft that has other bytes than the local file (otherwise fail)."),
        InputSpec::bool("allow-published", false, "Attach missing files to an already published release instead of failing; its existing assets are never replaced."),
        InputSpec::bool("publish", false, "Publish the release once every asset is attached (for repositories with immutable releases)."),
        InputSpec::string("make-latest", "When publishing: true, false or legacy (empty: GitHub's default)."),
        slipway_runner::max_parallel_input("How many files upload at once (1 to 64); the checksums manifest goes last, alone."),
        InputSpec::bool("dry-run", false, "Do everything but write: say which release and assets would be created, uploaded or replaced."),
        slipway_github::token_input("GitHub token with contents: write."),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
    ],
    outputs: &[
        OutputSpec::new("release-id", "The release's id (empty in a dry run that would create it)."),
        OutputSpec::new("url", "The release's page."),
        OutputSpec::new("upload-url", "The release's upload URL template."),
        OutputSpec::new("tag", "The release's tag."),
        OutputSpec::new("created", "true when this run created the draft."),
        OutputSpec::new("assets", "JSON array of the attached files: name, size, sha256, url (download URL)."),
    ],
};

/// The whole tool: inputs → [`slipway_release::draft::draft`] → outputs and summary.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let drafted = slipway_release::draft::draft(
        &request.github,
        &request.draft,
        &request.place,
        &action.commands,
    )
    .await?;
    for w in &drafted.warnings {
        action.commands.warning(w);
    }
    report::write(&drafted, action)
}
