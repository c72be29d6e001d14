//! `version-bump`: reads the project's version from source and tells whether it is new.
//!
//! The same three steps as every slipway action: [`request`] turns the inputs into a typed
//! request (every input error before any work), [`slipway_release::bump::check`] does the work,
//! and [`report`] writes the outputs and the step summary.

pub mod report;
pub mod request;

use slipway_runner::{Action, HintExt, InputSpec, OutputSpec, Tool};

pub use request::Request;

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "version-bump",
    icon: "tag",
    title: "slipway version-bump",
    description: "Read a Python project's version from source (no Python needed) and tell whether it is new compared with the latest release, the latest tag or the previous commit.",
    inputs: &[
        InputSpec::string("path", "Project directory (holding pyproject.toml, setup.cfg, setup.py or Cargo.toml), relative to the workspace.").default("."),
        InputSpec::string("version-source", "Where the version is read: auto, pep621, poetry, hatch, pdm, setuptools, flit, setup.py, module, cargo, dist (built dists in dist-dir), or file (version-file + version-pattern).").default("auto"),
        InputSpec::string("version-file", "With version-source: file, the file holding the version (relative to path)."),
        InputSpec::string("version-pattern", "With version-source: file, a regular expression with one capture group around the version."),
        InputSpec::string("dist-dir", "With version-source: dist, the directory of built sdists/wheels (relative to path).").default(slipway_dist::DIST_DIR),
        InputSpec::string("compare-to", "What the version is compared with: latest-release (highest version among published releases), latest-tag, previous-commit (the push's before / the pull request's base, read through the API), or none.").default("latest-release"),
        InputSpec::string("previous-ref", "With compare-to: previous-commit, the commit or ref to compare with instead of the one from the event."),
        InputSpec::string("scheme", "Version ordering: pep440 or semver.").default("pep440"),
        InputSpec::string("tag-template", "How a version becomes a tag; must contain {version}.").default(slipway_version::DEFAULT_TAG_TEMPLATE),
        InputSpec::string("dev-number", "The number N of `dev-version` (`1.2.4.devN`); empty: the commit's committer time in UTC as `yyyymmddhhmmss`, from the push event or the API, so a re-run of the same commit gives the same dev version."),
        InputSpec::string("write-version", "A version to write into the file and key the version is read from, every other byte kept (pyproject.toml, setup.cfg, setup.py, `__version__` files, Cargo.toml, version-file), before the comparison: a version (e.g. `${{ steps.v.outputs.dev-version }}`) or `dev` for this step's `dev-version`. Refused for versions from git tags or built dists."),
        InputSpec::bool("fail-on-downgrade", false, "Fail when the version is lower than the previous one (otherwise a warning)."),
        slipway_github::token_input("GitHub token used to read releases, tags and files."),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
    ],
    outputs: &[
        OutputSpec::new("version", "The version read from source, normalized (PEP 440: `2024.08.30` → `2024.8.30`, `1.0.0-RC1` → `1.0.0rc1`; SemVer's canonical form with `scheme: semver`), as build backends write it into file names; with `write-version`, the version written."),
        OutputSpec::new("version-as-written", "The version exactly as written in source."),
        OutputSpec::new("previous-version", "The version compared with (empty when there is none)."),
        OutputSpec::new("bumped", "true when the version is higher than the previous one (or there is no previous one)."),
        OutputSpec::new("tag", "The tag for the version (tag-template applied)."),
        OutputSpec::new("tag-exists", "true when that tag already exists in the repository (empty with compare-to: none)."),
        OutputSpec::new("prerelease", "true for a pre- or dev-release (PEP 440) or a SemVer pre-release."),
        OutputSpec::new("bump-kind", "major, minor, patch, pre, post, dev, or none (major when there is no previous version)."),
        OutputSpec::new("dev-version", "A dev release above `version` and below the next release, without a local part: `1.2.3` → `1.2.4.devN`, `1.3.0rc1` → `1.3.0rc2.devN`, `1.2.3.post1` → `1.2.3.post2.devN`, `1.2.3.dev4` → `1.2.3.devN` (SemVer: `1.2.4-dev.N`); N from `dev-number`. Empty (with a notice) when no commit time is known."),
        OutputSpec::new("written", "With `write-version`: the file and key written, e.g. `pyproject.toml [project].version` (empty otherwise)."),
        OutputSpec::new("source", "Where the version was read: file and key, e.g. `pyproject.toml [project].version`."),
    ],
};

/// The whole tool: inputs → check → outputs and summary; a downgrade fails only with
/// `fail-on-downgrade` (after the outputs are written, so later steps can still read them).
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let checked =
        slipway_release::bump::check(&request.bump, request.github.as_ref(), &action.commands)
            .await?;
    report::write(&checked, action)?;
    if checked.downgrade {
        let prev = checked
            .previous
            .as_ref()
            .map(|p| p.version.as_str())
            .unwrap_or("");
        let msg = format!(
            "version `{}` is lower than the previous version `{prev}`",
            checked.version
        );
        if request.fail_on_downgrade {
            return Err(anyhow::anyhow!(msg)).hint(
                "raise the version in source above the previous one, or drop `fail-on-downgrade`",
            );
        }
        action.commands.warning(&format!("{msg}: not a bump"));
    }
    Ok(())
}
