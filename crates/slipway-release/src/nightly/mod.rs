//! nightly's work: one published pre-release per build on a channel of dev versions (never
//! marked latest), the channel pruned by the union rule ("the newest `keep-builds` OR younger
//! than `keep-days`"), and optionally a static simple repository of the kept builds.
//!
//! [`nightly`] reads top to bottom: the build is attached and published through
//! [`crate::draft::draft`] (assets and the manifest while it is a draft, then published, so
//! immutable releases are fine; a re-run reuses it and uploads nothing already there), the
//! channel is read and decided ([`retention`]), pruned builds lose their release and then their
//! tag (a tag a crashed prune left is deleted on the next run), and the index is written from
//! the kept builds' assets ([`index`]) without downloading any dist.

pub mod index;
pub mod retention;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use slipway_github::{Asset, GitHub, GitHubError, RetryEvent};
use slipway_runner::Commands;

use crate::draft::{self, Draft, Drafted, Workplace};
use crate::fetch::manifest::{Lookup, Manifest};
use index::IndexFile;
use retention::{Build, Channel, Keep, Reason};

/// What to build: nightly's validated request.
#[derive(Debug, Clone)]
pub struct Nightly {
    /// The dev version (PEP 440, no local part).
    pub version: String,
    /// The tag (`tag_template` rendered with `version`).
    pub tag: String,
    /// The tag template; the text before `{version}` is the channel's prefix.
    pub tag_template: String,
    /// File globs.
    pub files: Vec<String>,
    /// Checksums manifest asset name (`None`: no manifest).
    pub checksums: Option<String>,
    /// The retention limits.
    pub keep: Keep,
    /// Where to write the static simple repository (`None`: no index).
    pub index_dir: Option<PathBuf>,
    /// The commit the tag is created on.
    pub target: Option<String>,
    /// Write nothing.
    pub dry_run: bool,
    /// How many files upload at once.
    pub max_parallel: usize,
    /// The time ages are measured against, Unix seconds.
    pub now: u64,
}

/// One tag pruned (or, in a dry run, that would be).
#[derive(Debug, Clone)]
pub struct Pruned {
    /// The tag.
    pub tag: String,
    /// The release deleted with it (`None` for a tag a crashed run left without its release).
    pub release_id: Option<u64>,
    /// Its version's place in the channel (0 for an orphan tag).
    pub rank: usize,
    /// Its age in days (0 for an orphan tag).
    pub age_days: u64,
}

/// What nightly did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Built {
    /// The build: the release, its assets, notes and warnings, as draft-release reports them.
    pub drafted: Drafted,
    /// The channel.
    pub channel: Channel,
    /// The limits applied.
    pub keep: Keep,
    /// Every channel build, newest first, with the rule's decision.
    pub builds: Vec<Build>,
    /// What was pruned: expired builds (release, then tag), then orphan tags.
    pub pruned: Vec<Pruned>,
    /// The index written, if asked.
    pub index: Option<index::Written>,
    /// What was done besides the build: prunes, orphan tags, the index.
    pub notes: Vec<String>,
    /// Warnings (the caller emits them as annotations).
    pub warnings: Vec<String>,
    /// Every request the client retried.
    pub retries: Vec<RetryEvent>,
    /// Nothing was written.
    pub dry_run: bool,
}

impl Built {
    /// The kept builds' tags, newest first (in a dry run that would create the build, its tag
    /// first).
    pub fn kept_tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self
            .builds
            .iter()
            .filter(|b| b.kept())
            .map(|b| b.release.tag_name.clone())
            .collect();
        if !tags.contains(&self.drafted.tag) {
            tags.insert(0, self.drafted.tag.clone());
        }
        tags
    }

    /// The pruned tags, in the order they went.
    pub fn pruned_tags(&self) -> Vec<String> {
        self.pruned.iter().map(|p| p.tag.clone()).collect()
    }
}

/// The whole run: the build attached and published, the channel decided and pruned, the index
/// written.
pub async fn nightly(
    gh: &GitHub,
    request: &Nightly,
    place: &Workplace,
    log: &Commands,
) -> anyhow::Result<Built> {
    // 1. What each local dist requires of Python, recorded in the notes of a new build so later
    //    indexes need not download it.
    let requires = local_requires_python(request)?;
    let body = format!(
        "Nightly build `{}`{}.\n\n{}\n",
        request.version,
        request
            .target
            .as_deref()
            .map(|t| format!(" of `{t}`"))
            .unwrap_or_default(),
        index::body_marker(&requires)
    );
    // 2. The build: one pre-release, assets attached while it is a draft, then published and
    //    never marked latest; a published one is reused (its assets are never replaced).
    let as_draft = Draft {
        version: request.version.clone(),
        tag: request.tag.clone(),
        tag_template: request.tag_template.clone(),
        files: request.files.clone(),
        fail_on_unmatched: true,
        name: Some(request.tag.clone()),
        body: Some(body),
        generate_notes: false,
        prerelease: true,
        target: request.target.clone(),
        checksums: request.checksums.clone(),
        overwrite: false,
        allow_published: true,
        publish: true,
        make_latest: Some("false".to_string()),
        dry_run: request.dry_run,
        max_parallel: request.max_parallel,
    };
    let drafted = draft::draft(gh, &as_draft, place, log).await?;
    let mut warnings = drafted.warnings.clone();
    let mut notes = Vec::new();
    // 3. The channel, decided.
    let channel = Channel::new(&request.tag_template);
    let releases = gh
        .list_releases()
        .await
        .context("cannot list the releases")?;
    let builds = retention::decide(&channel, &releases, &request.tag, request.keep, request.now);
    let kept: Vec<&Build> = builds.iter().filter(|b| b.kept()).collect();
    let tags: Vec<String> = gh
        .list_tags()
        .await
        .context("cannot list the tags")?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let orphans = retention::orphan_tags(&channel, &tags, &releases, &kept);
    // 4. Expired builds, oldest first, lose their release, then their tag; orphan tags of a
    //    crashed prune go.
    let mut pruned = Vec::new();
    for b in builds.iter().rev().filter(|b| !b.kept()) {
        let tag = &b.release.tag_name;
        if !request.dry_run {
            prune_build(gh, b, tags.contains(tag)).await?;
        }
        pruned.push(Pruned {
            tag: tag.clone(),
            release_id: Some(b.release.id),
            rank: b.rank,
            age_days: b.age_days(),
        });
    }
    for tag in orphans {
        if request.dry_run {
            notes.push(format!("would delete the tag `{tag}`: a build pruned by an earlier run that stopped before its tag went"));
        } else {
            delete_tag(gh, &tag).await?;
            notes.push(format!("deleted the tag `{tag}`: a build pruned by an earlier run that stopped before its tag went"));
        }
        pruned.push(Pruned {
            tag,
            release_id: None,
            rank: 0,
            age_days: 0,
        });
    }
    // 5. The index of the kept builds.
    let index = match &request.index_dir {
        Some(dir) => {
            let files = index_files(gh, request, &kept, &drafted, &requires, &mut warnings).await?;
            let written = index::write_index(dir, &files)
                .with_context(|| format!("cannot write the index in `{}`", dir.display()))?;
            notes.push(format!(
                "wrote the index in `{}`: {} file(s) of {} build(s), project(s) {}",
                dir.display(),
                written.files,
                kept.len(),
                written.projects.join(", ")
            ));
            Some(written)
        }
        None => None,
    };
    Ok(Built {
        channel,
        keep: request.keep,
        builds,
        pruned,
        index,
        notes,
        warnings,
        retries: gh.retries(),
        dry_run: request.dry_run,
        drafted,
    })
}

/// `Requires-Python` of each local wheel and sdist (by asset name); files that are not dists
/// are skipped, a dist whose metadata cannot be read is an error (it would be a broken build).
fn local_requires_python(request: &Nightly) -> anyhow::Result<BTreeMap<String, String>> {
    let collected = draft::files::collect(&request.files, true, request.checksums.as_deref())?;
    let mut out = BTreeMap::new();
    for f in &collected.files {
        if index::project_of(&f.name).is_none() {
            continue;
        }
        let (_, meta) = slipway_dist::read_metadata(&f.path)
            .with_context(|| format!("cannot read the metadata of `{}`", f.shown))?;
        if let Some(r) = meta.get("Requires-Python") {
            out.insert(f.name.clone(), r.to_string());
        }
    }
    Ok(out)
}

/// Deletes a build's release and then its tag; "already gone" is done.
async fn prune_build(gh: &GitHub, build: &Build, has_tag: bool) -> anyhow::Result<()> {
    let tag = &build.release.tag_name;
    match gh.delete_release(build.release.id).await {
        Ok(()) | Err(GitHubError::NotFound(_)) => {}
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot delete release {} (`{tag}`)", build.release.id));
        }
    }
    if has_tag {
        delete_tag(gh, tag).await?;
    }
    tracing::info!(
        "pruned `{tag}` (release {}, {} day(s) old, #{} by version)",
        build.release.id,
        build.age_days(),
        build.rank
    );
    Ok(())
}

/// Deletes a tag; "already gone" (404, or GitHub's 422 for a missing ref) is done.
async fn delete_tag(gh: &GitHub, tag: &str) -> anyhow::Result<()> {
    match gh.delete_tag(tag).await {
        Ok(()) | Err(GitHubError::NotFound(_)) => Ok(()),
        Err(GitHubError::Validation(f)) if f.to_string().contains("Reference does not exist") => {
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("cannot delete the tag `{tag}`")),
    }
}

/// The dists of the kept builds, each with its download URL, SHA-256 (GitHub's digest, else the
/// build's manifest) and `Requires-Python` (the build's marker; this build's local files).
async fn index_files(
    gh: &GitHub,
    request: &Nightly,
    kept: &[&Build],
    drafted: &Drafted,
    local: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<IndexFile>> {
    let mut out = Vec::new();
    if drafted.release.is_none() {
        warnings.push(format!(
            "the index leaves out `{}`: a dry run does not create it",
            request.tag
        ));
    }
    for b in kept {
        let assets: Vec<Asset> = if b.release.assets.is_empty() {
            gh.list_assets(b.release.id).await?
        } else {
            b.release.assets.clone()
        };
        let mut requires = index::read_marker(b.release.body.as_deref());
        if b.release.tag_name == request.tag {
            requires.extend(local.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let mut manifest: Option<Manifest> = None;
        for a in assets.iter().filter(|a| a.is_uploaded()) {
            let Some(project) = index::project_of(&a.name) else {
                continue;
            };
            let sha256 = match a.sha256() {
                Some(s) => s.to_ascii_lowercase(),
                None => {
                    if manifest.is_none() {
                        manifest = Some(read_manifest(gh, request, &assets).await?);
                    }
                    match manifest.as_ref().map(|m| m.lookup(&a.name)) {
                        Some(Lookup::Hash(h)) => h.to_string(),
                        _ => {
                            warnings.push(format!(
                                "the index leaves out `{}` of `{}`: GitHub has no digest for it and the manifest does not list it",
                                a.name, b.release.tag_name
                            ));
                            continue;
                        }
                    }
                }
            };
            out.push(IndexFile {
                project,
                filename: a.name.clone(),
                url: a.browser_download_url.clone(),
                sha256,
                requires_python: requires.get(&a.name).cloned(),
            });
        }
    }
    Ok(out)
}

/// A build's manifest, downloaded (a few hundred bytes) for assets GitHub has no digest for;
/// empty when the build has none.
async fn read_manifest(
    gh: &GitHub,
    request: &Nightly,
    assets: &[Asset],
) -> anyhow::Result<Manifest> {
    let name = request.checksums.as_deref().unwrap_or(crate::MANIFEST);
    let Some(asset) = assets.iter().find(|a| a.name == name) else {
        return Ok(Manifest::default());
    };
    let mut bytes = Vec::new();
    gh.download_asset(asset, &mut bytes, |_| {})
        .await
        .with_context(|| format!("cannot download `{}`", asset.name))?;
    Ok(Manifest::parse(&String::from_utf8_lossy(&bytes)))
}

/// How a build's decision reads in the summary.
pub fn reason_text(b: &Build, keep: Keep) -> String {
    match b.reason {
        Reason::Newest => "this build".to_string(),
        Reason::Count => format!("among the newest {} (#{})", keep.builds, b.rank),
        Reason::Age => format!(
            "younger than {} day(s) ({} day(s) old)",
            keep.days,
            b.age_days()
        ),
        Reason::Expired => format!(
            "#{} by version and {} day(s) old: beyond the newest {} and older than {} day(s)",
            b.rank,
            b.age_days(),
            keep.builds,
            keep.days
        ),
    }
}
