//! `draft-release`: one draft GitHub release per version, with the built files attached and a
//! `SHA256SUMS` manifest, converging on the same end state however often it runs.
//!
//! The binary parses inputs into a [`Request`]; [`draft`] checks the local files ([`files`])
//! before any request, finds or creates the one release ([`release`]), hashes the files whose
//! assets need comparing, decides what to do with every file before the first upload and then
//! does it ([`assets`]), hashing the other files while they stream, uploads the manifest last,
//! reconciles duplicate drafts, and returns a [`Report`] that becomes outputs and a step summary.

pub mod assets;
pub mod files;
pub mod release;
mod report;

use std::time::Duration;

use anyhow::Context as _;
use slipway_github::{GitHub, ReleasePatch};
use slipway_runner::{Action, InputSpec, OutputSpec, Tool};
use slipway_version::{ParsedVersion, Scheme};

pub use report::Report;

/// The tool's declaration: action.yml, `--help` and the README are generated from it.
pub static TOOL: Tool = Tool {
    name: "draft-release",
    icon: "package",
    title: "slipway draft-release",
    description: "Create or reuse one draft GitHub release for a version, attach the built files and a SHA256SUMS manifest, and converge on the same single draft however often it runs.",
    inputs: &[
        InputSpec::string("version", "The version being released (PEP 440), e.g. the version output of version-bump. A leading `v` written as in a tag (`v1.2.0`) is dropped with a notice: tag-template adds the tag's prefix.").required(),
        InputSpec::string("tag", "The release tag; overrides tag-template. Checked against git's rules for tag names."),
        InputSpec::string("tag-template", "How the version becomes the tag; must contain {version}.").default("v{version}"),
        InputSpec::list("files", "Files to attach: globs relative to the workspace, newline or comma separated.").default("dist/*"),
        InputSpec::bool("fail-on-unmatched-files", true, "Fail when a files pattern matches nothing (otherwise a warning)."),
        InputSpec::string("name", "Release title for a new draft (default: the tag)."),
        InputSpec::string("body", "Release notes for a new draft (markdown)."),
        InputSpec::string("body-path", "A file holding the release notes for a new draft, relative to the workspace."),
        InputSpec::bool("generate-notes", true, "Without body or body-path, let GitHub write the notes of a new draft from the changes since the previous release."),
        InputSpec::string("prerelease", "Mark the release as a pre-release: auto (when the version is a pre- or dev-release), true or false.").default("auto"),
        InputSpec::string("target", "Commit or branch the tag is created from when the release is published.").default("${{ github.sha }}"),
        InputSpec::string("checksums", "Name of the checksums manifest asset (sha256sum format); empty turns it off.").default("SHA256SUMS"),
        InputSpec::bool("overwrite", true, "Replace an asset of a draft that has other bytes than the local file (otherwise fail)."),
        InputSpec::bool("allow-published", false, "Attach missing files to an already published release instead of failing; its existing assets are never replaced."),
        InputSpec::bool("publish", false, "Publish the release once every asset is attached (for repositories with immutable releases)."),
        InputSpec::string("make-latest", "When publishing: true, false or legacy (empty: GitHub's default)."),
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

/// A validated request, built from the inputs.
#[derive(Debug, Clone)]
pub struct Request {
    /// The version.
    pub version: String,
    /// The tag.
    pub tag: String,
    /// The tag template (also used to read versions from other releases' tags).
    pub tag_template: String,
    /// File globs.
    pub files: Vec<String>,
    /// Fail on a pattern matching nothing.
    pub fail_on_unmatched: bool,
    /// Title for a new draft.
    pub name: Option<String>,
    /// Notes for a new draft (from `body` or `body-path`).
    pub body: Option<String>,
    /// Generate notes when there is no body.
    pub generate_notes: bool,
    /// Pre-release flag for a new draft.
    pub prerelease: bool,
    /// Target commitish for a new draft.
    pub target: Option<String>,
    /// Checksums manifest asset name.
    pub checksums: Option<String>,
    /// Replace differing assets on a draft.
    pub overwrite: bool,
    /// Work on a published release.
    pub allow_published: bool,
    /// Publish at the end.
    pub publish: bool,
    /// `make_latest` when publishing.
    pub make_latest: Option<String>,
    /// Write nothing.
    pub dry_run: bool,
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
        let files = i.list("files");
        if files.is_empty() {
            return Err(i
                .invalid(
                    "files",
                    "",
                    "no pattern given\nhint: list the files to attach, e.g. `files: dist/*`",
                )
                .into());
        }
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
        let checksums = match i.string("checksums") {
            Some(name) if slipway_github::github_asset_name(&name).is_empty() => {
                return Err(i.invalid(
                    "checksums",
                    &name,
                    "it is not a usable asset name\nhint: use a plain file name such as `SHA256SUMS`, or an empty value to turn the manifest off",
                )
                .into());
            }
            other => other,
        };
        Ok(Self {
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
        })
    }
}

/// How long to wait between looks at another uploader's half-made asset: the retry unit
/// (`SLIPWAY_RETRY_UNIT_MS` in tests), between 20 ms and 1 s.
fn poll_interval(action: &Action) -> Duration {
    slipway_github::retry_policy(&action.env)
        .base_backoff
        .clamp(Duration::from_millis(20), Duration::from_secs(1))
}

/// The whole run: files checked, the release found or created, assets planned and uploaded,
/// duplicate drafts reconciled, the release published when asked.
///
/// A file is hashed before the first upload only when that decides something: an uploaded
/// asset of its name exists (keep or replace), or the manifest's asset exists (its bytes are
/// compared, so every file is hashed first, as in a dry run). Otherwise (a fresh draft) each
/// file is hashed while it uploads, GitHub's digest is checked against that hash, and the
/// manifest is written from those hashes and uploaded after the files.
pub async fn draft(request: &Request, action: &Action) -> anyhow::Result<Report> {
    let collected = files::collect(
        &request.files,
        request.fail_on_unmatched,
        request.checksums.as_deref(),
    )?;
    let mut files = collected.files;
    let mut warnings = collected.warnings;
    for alias in &collected.aliases {
        action.commands.notice(alias);
    }
    let temp_base = action
        .env
        .path(slipway_runner::env::RUNNER_TEMP)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let temp = tempfile::Builder::new()
        .prefix("draft-release-")
        .tempdir_in(&temp_base)
        .with_context(|| format!("cannot create a directory in `{}`", temp_base.display()))?;
    let gh: GitHub = slipway_github::client_from_inputs(&action.inputs, &action.commands)?;
    let located = release::locate(&gh, request, &mut warnings)
        .await
        .with_context(|| {
            format!(
                "cannot find or create the release for `{}`",
                slipway_runner::excerpt(&request.tag)
            )
        })?;
    let mut notes = collected.aliases;
    notes.extend(located.notes.iter().cloned());
    let existing = match &located.release {
        Some(r) => gh.list_assets(r.id).await?,
        None => Vec::new(),
    };
    let attached = |name: &str| existing.iter().any(|a| a.name == name && a.is_uploaded());
    let hash_first = request.dry_run
        || located.release.is_none()
        || request
            .checksums
            .as_deref()
            .is_some_and(|c| attached(&slipway_github::github_asset_name(c)));
    files::hash_files(&mut files, |f| hash_first || attached(&f.name))?;
    // The manifest goes last; written now when every hash is known, after the uploads otherwise.
    let mut manifest_later = None;
    if let Some(name) = &request.checksums {
        if hash_first {
            let manifest = files::write_manifest(temp.path(), name, &files)?;
            files.push(manifest);
        } else {
            manifest_later = Some(name.as_str());
        }
    }
    let mut hashes = assets::HashCache::default();
    let planned = assets::plan(
        &gh,
        located.release.as_ref(),
        &existing,
        &files,
        request.overwrite,
        &mut hashes,
    )
    .await?;
    let mut release = located.release.clone();
    let outcomes = match (&release, request.dry_run) {
        (Some(rel), false) => {
            let mut uploader = assets::Uploader {
                gh: &gh,
                release: rel,
                overwrite: request.overwrite,
                in_actions: action.commands.in_actions(),
                poll: poll_interval(action),
                hashes,
                resolved: Vec::new(),
            };
            let mut outcomes = uploader.execute(planned).await?;
            if let Some(name) = manifest_later {
                let hashed: Vec<files::LocalFile> =
                    outcomes.iter().map(|o| o.file.clone()).collect();
                let manifest = files::write_manifest(temp.path(), name, &hashed)?;
                let planned = assets::plan(
                    &gh,
                    Some(rel),
                    &existing,
                    std::slice::from_ref(&manifest),
                    request.overwrite,
                    &mut uploader.hashes,
                )
                .await?;
                outcomes.extend(uploader.execute(planned).await?);
                files.push(manifest);
            }
            hashes = uploader.hashes;
            notes.extend(uploader.resolved);
            outcomes
        }
        _ => planned.into_iter().map(report::dry_outcome).collect(),
    };
    if let Some(kept) = &release
        && !located.duplicates.is_empty()
    {
        let mut on_kept = Vec::new();
        for a in gh
            .list_assets(kept.id)
            .await?
            .iter()
            .filter(|a| a.is_uploaded())
        {
            on_kept.push((a.name.clone(), hashes.sha256(&gh, a).await?));
        }
        if request.dry_run {
            // Nothing was uploaded: count the files as if they were.
            on_kept.extend(
                files
                    .iter()
                    .map(|f| (f.name.clone(), f.sha256.clone().unwrap_or_default())),
            );
        }
        for dup in &located.duplicates {
            let kept = release::Kept {
                id: kept.id,
                assets: &on_kept,
            };
            let line = release::reconcile_duplicate(
                &gh,
                dup,
                &kept,
                &mut hashes,
                request.dry_run,
                &mut warnings,
            )
            .await?;
            notes.push(line);
        }
    }
    let mut published = false;
    if let Some(rel) = release.as_mut().filter(|r| r.draft && request.publish) {
        if request.dry_run {
            notes.push(format!("would publish release {}", rel.id));
        } else {
            let patch = ReleasePatch {
                draft: Some(false),
                make_latest: request.make_latest.clone(),
                ..ReleasePatch::default()
            };
            *rel = gh
                .update_release(rel.id, &patch)
                .await
                .with_context(|| format!("cannot publish release {}", rel.id))?;
            published = true;
            notes.push(format!("published release {}", rel.id));
        }
    }
    drop(temp);
    Ok(Report {
        tag: request.tag.clone(),
        release,
        created: located.created,
        published,
        dry_run: request.dry_run,
        outcomes,
        notes,
        warnings,
        retries: gh.retries(),
    })
}

/// The whole tool: inputs → [`draft`] → outputs and summary.
pub async fn main(action: &mut Action) -> anyhow::Result<()> {
    let request = Request::from_action(action)?;
    let report = draft(&request, action).await?;
    for w in &report.warnings {
        action.commands.warning(w);
    }
    report.write(action)
}
