//! version-bump's work: read the version from source, find the previous one (`compare-to`: the
//! last release, tag or commit, through the GitHub API) and say whether this one is new.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context as _;
use slipway_github::GitHub;
use slipway_runner::{Commands, HintExt};
use slipway_version::{
    BumpKind, Found, MapFiles, ParsedVersion, Scheme, SourceKind, SourceRequest,
};

/// What to read and what to compare it with: version-bump's validated request.
#[derive(Debug, Clone)]
pub struct Bump {
    /// Project directory.
    pub project: PathBuf,
    /// Where to read the version.
    pub source: SourceRequest,
    /// What to compare with.
    pub compare_to: CompareTo,
    /// The commit `previous-commit` compares with (the input, else the event's previous commit;
    /// `None`: a new branch, the version counts as new).
    pub previous_ref: Option<String>,
    /// Ordering scheme.
    pub scheme: Scheme,
    /// Tag template.
    pub tag_template: String,
    /// Where the dev version's number comes from.
    pub dev: DevNumber,
    /// A version to write where the version was read, before anything else uses it.
    pub write: Option<WriteVersion>,
}

/// What `write-version` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteVersion {
    /// The dev version computed in this run.
    Dev,
    /// This version (already validated under the scheme).
    Exact(String),
}

/// Where the number `N` of the dev version (`1.2.4.dev<N>`) comes from, first found wins: a
/// fixed number, the push event's head commit time, the commit's committer time read through
/// the API. A time becomes its UTC digits `yyyymmddhhmmss`, so the same commit always gets the
/// same dev version.
#[derive(Debug, Clone, Default)]
pub struct DevNumber {
    /// A number given by the caller (`dev-number`).
    pub fixed: Option<u64>,
    /// The push event's `head_commit.timestamp` (for the commit being built).
    pub push_time: Option<String>,
    /// The commit whose committer time is read through the API (`GITHUB_SHA`).
    pub sha: Option<String>,
    /// Fail when no dev version can be made (it is about to be written).
    pub required: bool,
}

/// What version-bump found out.
#[derive(Debug, Clone)]
pub struct Checked {
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
    /// The dev version (`None` when no number was found; see [`DevNumber`]).
    pub dev_version: Option<String>,
    /// Where its number came from, for the summary.
    pub dev_origin: String,
    /// `file key` the version was written into (`write-version`), `None` when nothing was written.
    pub written: Option<String>,
}

/// Reads the version and compares it with the previous one; `gh` is needed unless
/// `compare-to` is `none`.
pub async fn check(request: &Bump, gh: Option<&GitHub>, log: &Commands) -> anyhow::Result<Checked> {
    let files = slipway_version::LocalFiles::new(&request.project);
    let mut found = slipway_version::find_version(&files, &request.source)
        .map_err(|e| refuse_unwritable(e, request.write.is_some()))
        .with_context(|| {
            format!(
                "cannot read the version of the project in `{}`",
                request.project.display()
            )
        })?;
    let mut parsed = ParsedVersion::parse(&found.version, request.scheme).with_context(|| {
        format!(
            "`{}` in `{}` is not a valid version",
            found.version, found.file
        )
    })?;
    // The dev version is made from the version read, before anything is written.
    let read = parsed.clone();
    let mut dev_made = None;
    let mut written = None;
    if let Some(write) = &request.write {
        let target = match write {
            WriteVersion::Exact(v) => v.clone(),
            WriteVersion::Dev => {
                let required = DevNumber {
                    required: true,
                    ..request.dev.clone()
                };
                let (v, origin) = dev(&required, &parsed, gh, log).await?;
                let v = v.unwrap_or_default();
                dev_made = Some((Some(v.clone()), origin));
                v
            }
        };
        found = write_back(request, &files, &found, &target)?;
        parsed = ParsedVersion::parse(&found.version, request.scheme)?;
        written = Some(found.describe());
    }
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
    let (previous, tag_exists) = match gh {
        Some(gh) if request.compare_to != CompareTo::None => {
            previous(request, gh, log, &found, &tag).await?
        }
        _ => (None, None),
    };
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
    let (dev_version, dev_origin) = match dev_made {
        Some(made) => made,
        None => dev(&request.dev, &read, gh, log).await?,
    };
    Ok(Checked {
        dev_version,
        dev_origin,
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
        written,
    })
}

/// A version from git tags or computed at build time cannot be written; the projects with a
/// version from git tags already make dev versions, and only their local part needs dropping.
fn refuse_unwritable(e: slipway_version::VersionError, writing: bool) -> anyhow::Error {
    match e {
        slipway_version::VersionError::FromGitTags { tool } if writing => {
            let err: anyhow::Result<()> = Err(anyhow::anyhow!(
                "`write-version` cannot write the version: it is derived from git tags by {tool}, not written in a file"
            ))
            .hint(format!(
                "{tool} already makes dev versions between tags (`1.2.4.dev3+g1a2b3c4`); PyPI and TestPyPI refuse the `+g…` local part: drop it with `local_scheme = \"no-local-version\"` (setuptools_scm: `[tool.setuptools_scm]`; hatch-vcs: `[tool.hatch.version.raw-options]`), or set `SETUPTOOLS_SCM_PRETEND_VERSION` to the version to build, and leave `write-version` empty"
            ));
            err.unwrap_err()
        }
        slipway_version::VersionError::Unreadable { file, reason, .. } if writing => {
            let err: anyhow::Result<()> = Err(anyhow::anyhow!(
                "`write-version` cannot write the version into `{file}`: {reason}"
            ))
            .hint("a version computed when the project is built has no literal to rewrite: write it as a string literal (`version = \"1.2.3\"` in `[project]`, or `__version__ = \"1.2.3\"`), or leave `write-version` empty");
            err.unwrap_err()
        }
        e => e.into(),
    }
}

/// Writes `target` over the version literal `found` was read from (every other byte kept),
/// reads it back, and restores the file when the read-back differs.
fn write_back(
    request: &Bump,
    files: &slipway_version::LocalFiles,
    found: &Found,
    target: &str,
) -> anyhow::Result<Found> {
    let path = request.project.join(&found.file);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", found.file))?;
    let pyproject = std::fs::read_to_string(request.project.join("pyproject.toml")).ok();
    let span = slipway_version::version_span(&text, found, pyproject.as_deref())?;
    let mut new_text = String::with_capacity(text.len() + target.len());
    new_text.push_str(&text[..span.start]);
    new_text.push_str(target);
    new_text.push_str(&text[span.end..]);
    if new_text != text {
        std::fs::write(&path, &new_text)
            .with_context(|| format!("cannot write `{}`", found.file))?;
    }
    let again = SourceRequest {
        kind: found.kind,
        ..request.source.clone()
    };
    let back = slipway_version::find_version(files, &again);
    match back {
        Ok(back) if back.version == target => {
            tracing::info!("wrote {target} into {}", back.describe());
            Ok(back)
        }
        other => {
            std::fs::write(&path, &text)
                .with_context(|| format!("cannot restore `{}`", found.file))?;
            let got = match other {
                Ok(b) => format!("`{}`", b.version),
                Err(e) => format!("an error ({e})"),
            };
            Err(anyhow::anyhow!(
                "wrote `{target}` into `{}` ({}) but read back {got}: the file is restored",
                found.file,
                found.key
            ))
            .hint("write the version as one plain string literal there, or write it with your own step")
        }
    }
}

/// The dev version of `parsed` and where its number came from; a failure is an error when the
/// dev version is required, else a warning and no dev version.
async fn dev(
    dev: &DevNumber,
    parsed: &ParsedVersion,
    gh: Option<&GitHub>,
    log: &Commands,
) -> anyhow::Result<(Option<String>, String)> {
    let found = dev_number(dev, gh).await;
    let made = found.and_then(|(n, origin)| {
        let v = slipway_version::dev_version(parsed, n)?;
        Ok((v, origin))
    });
    match made {
        Ok((v, origin)) => {
            tracing::info!("dev version {v} ({origin})");
            Ok((Some(v), origin))
        }
        Err(e) if dev.required => Err(e.context("cannot make the dev version")),
        Err(e) => {
            let text = format!("{e:#}");
            let first = text.lines().next().unwrap_or_default();
            log.notice(&format!("no dev version: {first}"));
            Ok((None, first.to_string()))
        }
    }
}

/// The dev number and where it came from (see [`DevNumber`]).
async fn dev_number(dev: &DevNumber, gh: Option<&GitHub>) -> anyhow::Result<(u64, String)> {
    if let Some(n) = dev.fixed {
        return Ok((n, "`dev-number`".to_string()));
    }
    if let Some(t) = &dev.push_time {
        let n = slipway_version::dev_number_from_time(t)?;
        return Ok((n, format!("the pushed commit's time `{t}`")));
    }
    let (Some(gh), Some(sha)) = (gh, dev.sha.as_deref()) else {
        return Err(anyhow::anyhow!(
            "the commit's time is unknown: not a push event, and no commit to read through the API"
        ))
        .hint("run on `push`, or with `compare-to` other than `none` (the commit is read through the API), or set `dev-number`");
    };
    let short: String = sha.chars().take(12).collect();
    let time = gh
        .commit_time(sha)
        .await
        .with_context(|| format!("cannot read the commit `{short}`"))?
        .ok_or_else(|| anyhow::anyhow!("the commit `{short}` was not found in the repository"))
        .hint("set `dev-number`, or run in the repository the commit belongs to")?;
    let n = slipway_version::dev_number_from_time(&time)?;
    Ok((n, format!("commit {short}'s committer time `{time}`")))
}

/// What the version is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareTo {
    /// The highest version among published releases (by version order, not date).
    LatestRelease,
    /// The highest version among tags.
    LatestTag,
    /// The same file at the push's `before` commit or the pull request's base.
    PreviousCommit,
    /// No comparison: the version is always new.
    None,
}

impl FromStr for CompareTo {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "latest-release" => Ok(Self::LatestRelease),
            "latest-tag" => Ok(Self::LatestTag),
            "previous-commit" => Ok(Self::PreviousCommit),
            "none" => Ok(Self::None),
            _ => Err(
                "expected one of `latest-release`, `latest-tag`, `previous-commit`, `none`\nhint: `latest-release` (the default) compares with the highest version among published releases; `none` reads the version without any request"
                    .to_string(),
            ),
        }
    }
}

impl CompareTo {
    /// Why there is no previous version, for the summary.
    pub fn describe_none(&self) -> &'static str {
        match self {
            Self::LatestRelease => "no published release with a version tag",
            Self::LatestTag => "no version tag",
            Self::PreviousCommit => "no version at the previous commit",
            Self::None => "compare-to: none",
        }
    }
}

/// The version compared with, and where it came from.
#[derive(Debug, Clone)]
pub struct Previous {
    /// As written.
    pub version: String,
    /// Parsed.
    pub parsed: ParsedVersion,
    /// `release v1.2.0`, `tag v1.2.0`, `commit abc1234`.
    pub origin: String,
}

/// The highest version among `(tag, origin)` candidates whose tag fits the template.
fn highest<'a>(request: &Bump, tags: impl Iterator<Item = (&'a str, String)>) -> Option<Previous> {
    let mut best: Option<Previous> = None;
    for (tag, origin) in tags {
        let Some(version) = slipway_version::version_from_tag(&request.tag_template, tag) else {
            tracing::debug!(
                "tag `{tag}` does not fit `{}`: ignored",
                request.tag_template
            );
            continue;
        };
        let Ok(parsed) = ParsedVersion::parse(&version, request.scheme) else {
            tracing::debug!("tag `{tag}`: `{version}` is not a valid version: ignored");
            continue;
        };
        if best.as_ref().is_none_or(|b| parsed > b.parsed) {
            best = Some(Previous {
                version,
                parsed,
                origin,
            });
        }
    }
    best
}

/// A repository-relative path for a file of the project.
fn repo_path(request: &Bump, file: &str) -> String {
    let joined = request.project.join(file);
    let parts: Vec<String> = joined
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

/// Finds the previous version for `request.compare_to`, and whether `tag` exists.
async fn previous(
    request: &Bump,
    gh: &GitHub,
    log: &Commands,
    found: &Found,
    tag: &str,
) -> anyhow::Result<(Option<Previous>, Option<bool>)> {
    let previous = match request.compare_to {
        CompareTo::None => None,
        CompareTo::LatestRelease => {
            let releases = gh
                .list_releases()
                .await
                .context("cannot list the repository's releases")?;
            let published = releases.iter().filter(|r| !r.draft);
            highest(
                request,
                published.map(|r| (r.tag_name.as_str(), format!("release {}", r.tag_name))),
            )
        }
        CompareTo::LatestTag => {
            let tags = gh
                .list_tags()
                .await
                .context("cannot list the repository's tags")?;
            highest(
                request,
                tags.iter()
                    .map(|t| (t.name.as_str(), format!("tag {}", t.name))),
            )
        }
        CompareTo::PreviousCommit => previous_commit(request, log, found, gh).await?,
    };
    let tag_exists = gh
        .tag_exists(tag)
        .await
        .with_context(|| format!("cannot check whether the tag `{tag}` exists"))?;
    Ok((previous, Some(tag_exists)))
}

async fn previous_commit(
    request: &Bump,
    log: &Commands,
    found: &Found,
    gh: &GitHub,
) -> anyhow::Result<Option<Previous>> {
    if found.kind == SourceKind::Dist {
        return Err(anyhow::anyhow!(
            "`compare-to: previous-commit` cannot read built dists at another commit"
        ))
        .hint("use `compare-to: latest-release` or `latest-tag` with `version-source: dist`");
    }
    let Some(git_ref) = request.previous_ref.clone() else {
        log.notice(
            "no previous commit (a new branch, or an event without one): the version counts as new",
        );
        return Ok(None);
    };
    let mut files = BTreeMap::new();
    for file in &found.files_read {
        let path = repo_path(request, file);
        if let Some(bytes) = gh
            .file_contents(&path, &git_ref)
            .await
            .with_context(|| format!("cannot read `{path}` at `{git_ref}`"))?
        {
            files.insert(file.clone(), String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    if files.is_empty() {
        log.notice(&format!(
            "none of {:?} exist at `{git_ref}`: the version counts as new",
            found.files_read
        ));
        return Ok(None);
    }
    let req = SourceRequest {
        kind: found.kind,
        ..request.source.clone()
    };
    let old = slipway_version::find_version(&MapFiles(files), &req)
        .with_context(|| format!("cannot read the version at the previous commit `{git_ref}`"))?;
    let parsed = ParsedVersion::parse(&old.version, request.scheme).with_context(|| {
        format!(
            "the version at `{git_ref}` (`{}`) is not valid",
            old.version
        )
    })?;
    let short: String = git_ref.chars().take(12).collect();
    Ok(Some(Previous {
        version: old.version,
        parsed,
        origin: format!("commit {short}"),
    }))
}
