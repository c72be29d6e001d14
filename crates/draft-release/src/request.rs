//! Inputs → a typed, validated [`Request`]: every input error (the GitHub client's included)
//! before any file is read or any request is sent.

use slipway_github::GitHub;
use slipway_release::draft::{Draft, Workplace};
use slipway_runner::Action;
use slipway_version::{ParsedVersion, Scheme};

/// A validated request, built from the inputs.
#[derive(Debug)]
pub struct Request {
    /// What to draft.
    pub draft: Draft,
    /// The client for `repository` at `api-url`.
    pub github: GitHub,
    /// Where and how the run works.
    pub place: Workplace,
}

fn parse_prerelease(s: &str) -> Result<Option<bool>, String> {
    match s {
        "auto" | "Auto" | "AUTO" => Ok(None),
        other => slipway_runner::inputs::parse_bool("prerelease", other)
            .map(Some)
            .map_err(|_| {
                "expected `auto`, `true` or `false`\nhint: `auto` marks pre- and dev-releases (e.g. `1.0rc1`) as pre-releases".to_string()
            }),
    }
}

impl Request {
    /// Reads and validates every input (no network); errors name the input and the value.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        let i = &action.inputs;
        let given = i.required("version")?;
        let version = match slipway_version::strip_v_prefix(&given) {
            Some(bare) => {
                action.commands.notice(&format!(
                    "input `version` is `{}`: using `{bare}`; the `v` belongs to the tag, which `tag-template` makes",
                    slipway_runner::excerpt(&given)
                ));
                bare.to_string()
            }
            None => given,
        };
        let parsed = ParsedVersion::parse(&version, Scheme::Pep440).map_err(|e| {
            i.invalid(
                "version",
                &version,
                format!("{e}\nhint: pass the version being released, e.g. `${{{{ steps.version.outputs.version }}}}` from version-bump"),
            )
        })?;
        let tag_template = i.or_default("tag-template");
        let rendered = slipway_version::render_tag(&tag_template, &version)
            .map_err(|e| i.invalid("tag-template", &tag_template, e.to_string()))?;
        let tag = match i.string("tag") {
            Some(tag) => {
                slipway_version::validate_tag(&tag)
                    .map_err(|e| i.invalid("tag", &tag, e.to_string()))?;
                tag
            }
            None => rendered,
        };
        let files = i.required_list("files", "files: dist/*")?;
        let body_text = i.raw("body").filter(|b| !b.trim().is_empty());
        let body = match (body_text, i.string("body-path")) {
            (Some(_), Some(_)) => {
                anyhow::bail!(
                    "both `body` and `body-path` are set\nhint: keep one of them"
                )
            }
            (Some(b), None) => Some(b),
            (None, Some(path)) => Some(
                std::fs::read_to_string(&path).map_err(|e| {
                    i.invalid(
                        "body-path",
                        &path,
                        format!("cannot read it: {e}\nhint: `body-path` is relative to the workspace; write the notes file in an earlier step"),
                    )
                })?,
            ),
            (None, None) => None,
        };
        let prerelease = i
            .parsed("prerelease", parse_prerelease)?
            .flatten()
            .unwrap_or_else(|| parsed.is_prerelease());
        let make_latest = i.parsed("make-latest", |s| match s {
            "true" | "false" | "legacy" => Ok(s.to_string()),
            _ => Err("expected `true`, `false` or `legacy`\nhint: leave it empty for GitHub's default (the newest non-prerelease is latest)".to_string()),
        })?;
        let checksums = slipway_github::asset_name_input(i, "checksums")?;
        let github = slipway_github::client_from_inputs(i, &action.commands)?;
        let place = Workplace::from_env(&action.env, action.commands.in_actions());
        let draft = Draft {
            version,
            tag,
            tag_template,
            files,
            fail_on_unmatched: i.bool("fail-on-unmatched-files")?,
            name: i.string("name"),
            body,
            generate_notes: i.bool("generate-notes")?,
            prerelease,
            target: i.string("target"),
            checksums,
            overwrite: i.bool("overwrite")?,
            allow_published: i.bool("allow-published")?,
            publish: i.bool("publish")?,
            make_latest,
            dry_run: i.bool("dry-run")?,
            max_parallel: i.max_parallel()?,
        };
        Ok(Self {
            draft,
            github,
            place,
        })
    }
}
