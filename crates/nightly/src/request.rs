//! Inputs → a typed, validated [`Request`]: every input error (the GitHub client's included)
//! before any file is read or any request is sent.

use std::time::{SystemTime, UNIX_EPOCH};

use slipway_github::GitHub;
use slipway_release::draft::Workplace;
use slipway_release::nightly::Nightly;
use slipway_release::nightly::retention::Keep;
use slipway_runner::Action;
use slipway_version::{ParsedVersion, Scheme};

/// A validated request, built from the inputs.
#[derive(Debug)]
pub struct Request {
    /// What to build and keep.
    pub nightly: Nightly,
    /// The client for `repository` at `api-url`.
    pub github: GitHub,
    /// Where and how the run works.
    pub place: Workplace,
}

/// A count or a number of days: a whole number, 0 or more.
fn parse_count(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        "expected a whole number, 0 or more\nhint: e.g. `30`; 0 keeps nothing by this limit (the newest build is always kept)".to_string()
    })
}

impl Request {
    /// Reads and validates every input (no network); errors name the input and the value.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        let i = &action.inputs;
        let version = i.required("version")?;
        let parsed = ParsedVersion::parse(&version, Scheme::Pep440).map_err(|e| {
            i.invalid(
                "version",
                &version,
                format!("{e}\nhint: pass the dev version built, e.g. `${{{{ steps.version.outputs.dev-version }}}}` from version-bump"),
            )
        })?;
        if parsed.normalized().contains('+') {
            return Err(i
                .invalid(
                    "version",
                    &version,
                    "it has a local part (`+…`)\nhint: PyPI-style tools refuse local versions and pip sorts them oddly; use a dev version such as `1.2.4.dev20261201123456` (version-bump's `dev-version`), or drop the local part (setuptools_scm: `local_scheme = \"no-local-version\"`)",
                )
                .into());
        }
        let version = parsed.normalized();
        let tag_template = i.or_default("tag-template");
        let tag = slipway_version::render_tag(&tag_template, &version)
            .map_err(|e| i.invalid("tag-template", &tag_template, e.to_string()))?;
        if !tag_template.contains("{version}") || tag_template.starts_with("{version}") {
            return Err(i
                .invalid(
                    "tag-template",
                    &tag_template,
                    "the channel needs a prefix before `{version}`\nhint: only tags starting with that prefix are pruned; use e.g. `nightly-{version}`",
                )
                .into());
        }
        let files = i.required_list("files", "files: dist/*")?;
        let keep_builds = i.parsed("keep-builds", parse_count)?.unwrap_or(30);
        let keep_days = i.parsed("keep-days", parse_count)?.unwrap_or(30);
        let checksums = slipway_github::asset_name_input(i, "checksums")?;
        let index_dir = i.string("index-dir").map(std::path::PathBuf::from);
        let dry_run = i.bool("dry-run")?;
        let github = slipway_github::client_from_inputs(i, &action.commands)?;
        let place = Workplace::from_env(&action.env, action.commands.in_actions());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let nightly = Nightly {
            version,
            tag,
            tag_template,
            files,
            checksums,
            keep: Keep {
                builds: usize::try_from(keep_builds).unwrap_or(usize::MAX),
                days: keep_days,
            },
            index_dir,
            target: i.string("target"),
            dry_run,
            max_parallel: i.max_parallel()?,
            now,
        };
        Ok(Self {
            nightly,
            github,
            place,
        })
    }
}
