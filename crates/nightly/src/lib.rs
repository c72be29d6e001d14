//! `nightly`: one published pre-release per dev build on a channel of tags
//! (`nightly-{version}`), never marked latest, the channel pruned by "the newest `keep-builds`
//! OR younger than `keep-days`", and optionally a static simple repository of the kept builds
//! for `pip install --pre`.
//!
//! The same three steps as every slipway action: [`request`] turns the inputs into a typed
//! request (every input error, the GitHub client's included, before any file is read), the work
//! is [`slipway_release::nightly::nightly`], and [`report`] writes the outputs and the step
//! summary.

pub mod report;
pub mod request;

use slipway_runner::{Action, InputSpec, OutputSpec, Tool};

pub use request::Request;

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "nightly",
    icon: "moon",
    title: "slipway nightly",
    description: "Publish a dev build as its own GitHub pre-release (never latest), keep the newest N builds or those younger than D days, and write a static pip-installable index of the kept builds.",
    inputs: &[
        InputSpec::list("files", "Files to attach: globs relative to the workspace, newline or comma separated.").default("dist/*"),
        InputSpec::string("version", "The dev version built (PEP 440, no local part), e.g. the dev-version output of version-bump.").required(),
        InputSpec::string("tag-template", "How the version becomes the tag; must contain {version}. The text before {version} is the channel: only its tags are pruned.").default("nightly-{version}"),
        InputSpec::string("keep-builds", "Keep the newest this many builds of the channel (by version), whatever their age.").default("30"),
        InputSpec::string("keep-days", "Keep every build of the channel younger than this many days, however many there are.").default("30"),
        InputSpec::string("checksums", "Name of the checksums manifest asset (sha256sum format); empty turns it off.").default(slipway_release::MANIFEST),
        InputSpec::string("index-dir", "Write a static simple repository (PEP 503 HTML and PEP 691 JSON) of the kept builds here, e.g. for GitHub Pages; empty: no index."),
        InputSpec::string("target", "Commit or branch the build's tag is created on.").default("${{ github.sha }}"),
        slipway_runner::max_parallel_input("How many files upload at once (1 to 64)."),
        InputSpec::bool("dry-run", false, "Do everything but write: say which build would be made and which builds would be pruned."),
        slipway_github::token_input("GitHub token with contents: write."),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
    ],
    outputs: &[
        OutputSpec::new("tag", "The build's tag."),
        OutputSpec::new("release-id", "The build's release id (empty in a dry run that would create it)."),
        OutputSpec::new("url", "The build's release page."),
        OutputSpec::new("created", "true when this run created the build's release."),
        OutputSpec::new("kept", "JSON array of the channel's kept tags, newest first."),
        OutputSpec::new("pruned", "JSON array of the tags pruned (in a dry run: that would be)."),
        OutputSpec::new("index-dir", "Where the index was written (empty without index-dir)."),
    ],
};

/// The whole tool: inputs → [`slipway_release::nightly::nightly`] → outputs and summary.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let built = slipway_release::nightly::nightly(
        &request.github,
        &request.nightly,
        &request.place,
        &action.commands,
    )
    .await?;
    for w in &built.warnings {
        action.commands.warning(w);
    }
    report::write(&built, action)
}
