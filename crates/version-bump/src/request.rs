//! Inputs → a typed, validated [`Request`]: every input error before any work.

use std::path::PathBuf;

use slipway_github::GitHub;
use slipway_release::bump::{Bump, CompareTo, DevNumber, WriteVersion};
use slipway_runner::Action;
use slipway_version::{ParsedVersion, Scheme, SourceKind, SourceRequest};

/// A validated request, built from the inputs.
#[derive(Debug)]
pub struct Request {
    /// What to read and compare.
    pub bump: Bump,
    /// Fail on a lower version.
    pub fail_on_downgrade: bool,
    /// The client, when the comparison needs the API.
    pub github: Option<GitHub>,
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
        let project = PathBuf::from(i.or_default("path"));
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
            .parsed("compare-to", str::parse)?
            .unwrap_or(CompareTo::LatestRelease);
        let scheme = i.parsed("scheme", parse_scheme)?.unwrap_or(Scheme::Pep440);
        let tag_template = i.or_default("tag-template");
        slipway_version::render_tag(&tag_template, "0.0.0")
            .map_err(|e| i.invalid("tag-template", &tag_template, e.to_string()))?;
        let github = if compare_to == CompareTo::None {
            None
        } else {
            if i.string("repository").is_none() {
                return Err(i.invalid("repository", "", "empty\nhint: set `repository: owner/name` (GITHUB_REPOSITORY locally), or use `compare-to: none`").into());
            }
            Some(slipway_github::client_from_inputs(i, &action.commands)?)
        };
        let fixed = i.parsed("dev-number", |s| {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err("expected a number of digits only\nhint: leave `dev-number` empty to number the dev version by the commit's time (`yyyymmddhhmmss`, UTC), or give e.g. `${{ github.run_number }}`".to_string());
            }
            s.parse::<u64>().map_err(|_| "too large for a dev number\nhint: use at most 19 digits".to_string())
        })?;
        let event = action.event()?;
        let sha = action.context.sha.clone().filter(|s| !s.trim().is_empty());
        let push_time = event
            .as_ref()
            .and_then(|e| e.head_commit_time(sha.as_deref()).map(str::to_string));
        // `previous-commit` compares with the input, else the event's previous commit.
        let previous_ref = match i.string("previous-ref") {
            Some(r) => Some(r),
            None if compare_to == CompareTo::PreviousCommit => event
                .as_ref()
                .and_then(|e| e.previous_commit().map(str::to_string)),
            None => None,
        };
        let dist_dir = project.join(i.or_default("dist-dir"));
        let write = i.parsed("write-version", |s| {
            let s = s.trim();
            if s.eq_ignore_ascii_case("dev") {
                return Ok(WriteVersion::Dev);
            }
            ParsedVersion::parse(s, scheme)
                .map(|_| WriteVersion::Exact(s.to_string()))
                .map_err(|e| format!("{e}\nhint: give a version such as `1.2.4.dev20260501073000` (e.g. `${{{{ steps.v.outputs.dev-version }}}}`), or `dev` for the dev version computed in this step"))
        })?;
        if write.is_some() && kind == SourceKind::Dist {
            return Err(i.invalid("write-version", &i.or_default("write-version"), "a version read from built dists cannot be written (`version-source: dist`)\nhint: write the version in source before building: use a source `version-source` (pep621, poetry, module, …) and run the build after version-bump").into());
        }
        Ok(Self {
            bump: Bump {
                source: SourceRequest {
                    kind,
                    project_dir: ".".into(),
                    version_file,
                    version_pattern,
                    dist_dir: Some(dist_dir),
                },
                project,
                compare_to,
                previous_ref,
                scheme,
                tag_template,
                dev: DevNumber {
                    fixed,
                    push_time,
                    sha,
                    required: write == Some(WriteVersion::Dev),
                },
                write,
            },
            fail_on_downgrade: i.bool("fail-on-downgrade")?,
            github,
        })
    }
}
