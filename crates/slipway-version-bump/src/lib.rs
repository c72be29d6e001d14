//! `version-bump`: reads the project's version from source and tells whether it is new.
//!
//! The binary parses inputs into a [`Request`], [`check`] compares the version found with the one
//! chosen by `compare-to`, and the [`Report`] becomes outputs and a step summary.

mod compare;

use std::path::PathBuf;

use anyhow::Context as _;
use slipway_runner::{Action, HintExt, InputSpec, OutputSpec, RepoSlug, Tool};
use slipway_version::{BumpKind, ParsedVersion, Scheme, SourceKind, SourceRequest};

pub use compare::{CompareTo, Previous};

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
        InputSpec::string("dist-dir", "With version-source: dist, the directory of built sdists/wheels (relative to path).").default("dist"),
        InputSpec::string("compare-to", "What the version is compared with: latest-release (highest version among published releases), latest-tag, previous-commit (the push's before / the pull request's base, read through the API), or none.").default("latest-release"),
        InputSpec::string("previous-ref", "With compare-to: previous-commit, the commit or ref to compare with instead of the one from the event."),
        InputSpec::string("scheme", "Version ordering: pep440 or semver.").default("pep440"),
        InputSpec::string("tag-template", "How a version becomes a tag; must contain {version}.").default("v{version}"),
        InputSpec::bool("fail-on-downgrade", false, "Fail when the version is lower than the previous one (otherwise a warning)."),
        slipway_github::token_input("GitHub token used to read releases, tags and files."),
        slipway_github::REPOSITORY_INPUT,
        slipway_github::API_URL_INPUT,
    ],
    outputs: &[
        OutputSpec::new("version", "The version read from source, normalized (PEP 440: `2024.08.30` → `2024.8.30`, `1.0.0-RC1` → `1.0.0rc1`; SemVer's canonical form with `scheme: semver`), as build backends write it into file names."),
        OutputSpec::new("version-as-written", "The version exactly as written in source."),
        OutputSpec::new("previous-version", "The version compared with (empty when there is none)."),
        OutputSpec::new("bumped", "true when the version is higher than the previous one (or there is no previous one)."),
        OutputSpec::new("tag", "The tag for the version (tag-template applied)."),
        OutputSpec::new("tag-exists", "true when that tag already exists in the repository (empty with compare-to: none)."),
        OutputSpec::new("prerelease", "true for a pre- or dev-release (PEP 440) or a SemVer pre-release."),
        OutputSpec::new("bump-kind", "major, minor, patch, pre, post, dev, or none (major when there is no previous version)."),
        OutputSpec::new("source", "Where the version was read: file and key, e.g. `pyproject.toml [project].version`."),
    ],
};

/// A validated request, built from the inputs.
#[derive(Debug, Clone)]
pub struct Request {
    /// Project directory.
    pub project: PathBuf,
    /// Where to read the version.
    pub source: SourceRequest,
    /// What to compare with.
    pub compare_to: CompareTo,
    /// Explicit previous ref for `previous-commit`.
    pub previous_ref: Option<String>,
    /// Ordering scheme.
    pub scheme: Scheme,
    /// Tag template.
    pub tag_template: String,
    /// Fail on a lower version.
    pub fail_on_downgrade: bool,
    /// Repository, when the comparison needs the API.
    pub repository: Option<RepoSlug>,
}

fn parse_scheme(s: &str) -> Result<Scheme, String> {
    match s.to_ascii_lowercase().as_str() {
        "pep440" | "pep-440" => Ok(Scheme::Pep440),
        "semver" => Ok(Scheme::Semver),
        _ => Err("expected `pep440` or `semver`\nhint: `pep440` (the default) orders versions as pip and PyPI do (`1.0rc1 < 1.0 < 1.0.post1`); `semver` follows semver.org".to_string()),
    }
}

impl Request {
    /// Reads and validates every input; errors name the input and the value.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        let i = &action.inputs;
        let project = PathBuf::from(i.string("path").unwrap_or_else(|| ".".into()));
        if !project.is_dir() {
            let shown = project.display().to_string();
            return Err(i.invalid("path", &shown, "no such directory\nhint: `path` is relative to the workspace; check out the repository first (actions/checkout)").into());
        }
        let kind: SourceKind = i
            .parsed("version-source", |s| {
                s.parse::<SourceKind>().map_err(|e| e.to_string())
            })?
            .unwrap_or(SourceKind::Auto);
        let version_file = i.string("version-file");
        let version_pattern = i.string("version-pattern");
        if (version_file.is_some() || version_pattern.is_some())
            && !matches!(kind, SourceKind::File | SourceKind::Auto)
        {
            anyhow::bail!(
                "`version-file`/`version-pattern` are only used with `version-source: file`\nhint: remove them, or set `version-source: file`"
            );
        }
        let kind =
            if kind == SourceKind::Auto && (version_file.is_some() || version_pattern.is_some()) {
                SourceKind::File
            } else {
                kind
            };
        let compare_to: CompareTo = i
            .parsed("compare-to", |s| s.parse())?
            .unwrap_or(CompareTo::LatestRelease);
        let scheme = i.parsed("scheme", parse_scheme)?.unwrap_or(Scheme::Pep440);
        let tag_template = i
            .string("tag-template")
            .unwrap_or_else(|| "v{version}".into());
        slipway_version::render_tag(&tag_template, "0.0.0")
            .map_err(|e| i.invalid("tag-template", &tag_template, e.to_string()))?;
        let repository = match i.string("repository") {
            Some(r) => Some(RepoSlug::parse(&r).map_err(|e| i.invalid("repository", &r, e))?),
            None if compare_to != CompareTo::None => {
                return Err(i.invalid("repository", "", "empty\nhint: set `repository: owner/name` (GITHUB_REPOSITORY locally), or use `compare-to: none`").into());
            }
            None => None,
        };
        let dist_dir = project.join(i.string("dist-dir").unwrap_or_else(|| "dist".into()));
        Ok(Self {
            source: SourceRequest {
                kind,
                project_dir: ".".into(),
                version_file,
                version_pattern,
                dist_dir: Some(dist_dir),
            },
            project,
            compare_to,
            previous_ref: i.string("previous-ref"),
            scheme,
            tag_template,
            fail_on_downgrade: i.bool("fail-on-downgrade")?,
            repository,
        })
    }
}

/// What version-bump found out.
#[derive(Debug, Clone)]
pub struct Report {
    /// The version, normalized under the scheme (what build backends put in file names).
    pub version: String,
    /// The version as written in source.
    pub version_as_written: String,
    /// Its parsed form.
    pub parsed: ParsedVersion,
    /// `file key` it came from.
    pub source: String,
    /// The tag for it.
    pub tag: String,
    /// Whether the tag exists (None when not checked).
    pub tag_exists: Option<bool>,
    /// What it was compared with.
    pub previous: Option<Previous>,
    /// Whether it is new.
    pub bumped: bool,
    /// Which part changed.
    pub bump_kind: BumpKind,
    /// A lower version than the previous one.
    pub downgrade: bool,
    /// The comparison that was made.
    pub compare_to: CompareTo,
}

/// Reads the version, compares it, and returns the report (`Err` for a downgrade with
/// `fail-on-downgrade`, after the report's outputs are known to the caller through `on_report`).
pub async fn check(request: &Request, action: &Action) -> anyhow::Result<Report> {
    let files = slipway_version::LocalFiles::new(&request.project);
    let found = slipway_version::find_version(&files, &request.source).with_context(|| {
        format!(
            "cannot read the version of the project in `{}`",
            request.project.display()
        )
    })?;
    let parsed = ParsedVersion::parse(&found.version, request.scheme).with_context(|| {
        format!(
            "`{}` in `{}` is not a valid version",
            found.version, found.file
        )
    })?;
    // Tags, `expected-version` and file names all use the normalized form.
    let version = parsed.normalized();
    let tag = slipway_version::render_tag(&request.tag_template, &version)?;
    let source = format!("{} {}", found.file, found.key);
    if version == found.version {
        tracing::info!("version {version} from {source}");
    } else {
        tracing::info!(
            "version {version} from {source} (written `{}`)",
            found.version
        );
    }

    let (previous, tag_exists) = compare::previous(request, action, &found, &tag).await?;
    let (bumped, bump_kind, downgrade) = match &previous {
        None => (true, BumpKind::Major, false),
        Some(prev) => {
            let kind = slipway_version::bump_kind(&prev.parsed, &parsed);
            match parsed.cmp(&prev.parsed) {
                std::cmp::Ordering::Greater => (true, kind, false),
                std::cmp::Ordering::Equal => (false, BumpKind::None, false),
                std::cmp::Ordering::Less => (false, BumpKind::None, true),
            }
        }
    };
    Ok(Report {
        version,
        version_as_written: found.version,
        parsed,
        source,
        tag,
        tag_exists,
        previous,
        bumped,
        bump_kind,
        downgrade,
        compare_to: request.compare_to,
    })
}

impl Report {
    /// Writes the outputs and the step summary.
    pub fn write(&self, action: &mut Action) -> anyhow::Result<()> {
        let prev = self
            .previous
            .as_ref()
            .map(|p| p.version.clone())
            .unwrap_or_default();
        action.output("version", &self.version)?;
        action.output("version-as-written", &self.version_as_written)?;
        action.output("previous-version", &prev)?;
        action.output("bumped", self.bumped.to_string())?;
        action.output("tag", &self.tag)?;
        action.output(
            "tag-exists",
            self.tag_exists.map(|b| b.to_string()).unwrap_or_default(),
        )?;
        action.output("prerelease", self.parsed.is_prerelease().to_string())?;
        action.output("bump-kind", self.bump_kind.to_string())?;
        action.output("source", &self.source)?;
        let verdict = if self.bumped {
            "new version"
        } else if self.downgrade {
            "lower than the previous version"
        } else {
            "not new"
        };
        let compared = match &self.previous {
            Some(p) => format!("{} ({})", p.version, p.origin),
            None => format!("nothing ({})", self.compare_to.describe_none()),
        };
        let written = if self.version_as_written == self.version {
            String::new()
        } else {
            format!(" (written `{}`)", self.version_as_written)
        };
        let rows = [
            [
                "version".to_string(),
                format!("`{}`{written}", self.version),
            ],
            ["verdict".to_string(), verdict.to_string()],
            ["compared with".to_string(), compared],
            ["bump kind".to_string(), self.bump_kind.to_string()],
            [
                "tag".to_string(),
                format!(
                    "`{}`{}",
                    self.tag,
                    match self.tag_exists {
                        Some(true) => " (exists)",
                        Some(false) => " (new)",
                        None => "",
                    }
                ),
            ],
            [
                "prerelease".to_string(),
                self.parsed.is_prerelease().to_string(),
            ],
            ["source".to_string(), format!("`{}`", self.source)],
        ];
        action
            .summary
            .heading(3, &format!("version-bump: {} — {verdict}", self.version))
            .table(&["", ""], &rows);
        Ok(())
    }
}

/// The whole tool: inputs → check → outputs and summary; a downgrade fails only with
/// `fail-on-downgrade` (after the outputs are written, so later steps can still read them).
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let report = check(&request, action).await?;
    report.write(action)?;
    if report.downgrade {
        let prev = report
            .previous
            .as_ref()
            .map(|p| p.version.as_str())
            .unwrap_or("");
        let msg = format!(
            "version `{}` is lower than the previous version `{prev}`",
            report.version
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
