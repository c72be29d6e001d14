//! Finding the one release for the tag: the published one (by tag), or the oldest draft (by
//! paging the list, since GitHub never returns drafts by tag), creating a draft when there is
//! none, and converging with a run that created one at the same moment.

use slipway_github::{GitHub, GitHubError, NewRelease, Release};
use slipway_version::{ParsedVersion, Scheme};

use crate::Request;

/// Why the release cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The tag already has a published release and `allow-published` is off.
    #[error(
        "the release for `{}` is already published ({url}); draft-release does not change a published release\nhint: raise the version for a new release, or set `allow-published: true` to attach missing files to the published one",
        slipway_runner::excerpt(tag)
    )]
    Published {
        /// The tag.
        tag: String,
        /// Its page.
        url: String,
    },
    /// A GitHub call failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

/// The release this run works on, and what finding it involved.
#[derive(Debug, Clone)]
pub struct Located {
    /// The release; `None` only in a dry run that would create one.
    pub release: Option<Release>,
    /// True when this run created the draft.
    pub created: bool,
    /// Other drafts for the tag, newer than the kept one (reconciled after the uploads).
    pub duplicates: Vec<Release>,
    /// What was done or found, one line each, for the log and the summary.
    pub notes: Vec<String>,
}

/// Drafts for `tag` among `releases`, oldest first (creation time, then id: ids only grow).
fn drafts_for<'a>(releases: impl IntoIterator<Item = &'a Release>, tag: &str) -> Vec<Release> {
    let mut drafts: Vec<Release> = releases
        .into_iter()
        .filter(|r| r.draft && r.tag_name == tag)
        .cloned()
        .collect();
    drafts.sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)));
    drafts
}

/// The published release tagged with the highest version below `version`, for notes that list
/// the changes since it.
fn previous_tag(releases: &[Release], request: &Request) -> Option<String> {
    let ours = ParsedVersion::parse(&request.version, Scheme::Pep440).ok()?;
    releases
        .iter()
        .filter(|r| !r.draft && r.tag_name != request.tag)
        .filter_map(|r| {
            let v = slipway_version::version_from_tag(&request.tag_template, &r.tag_name)?;
            let parsed = ParsedVersion::parse(&v, Scheme::Pep440).ok()?;
            (parsed < ours).then(|| (parsed, r.tag_name.clone()))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, tag)| tag)
}

/// Deletes a release, treating "already gone" (another run deleted it) as done.
async fn delete_release(gh: &GitHub, id: u64) -> Result<(), GitHubError> {
    match gh.delete_release(id).await {
        Ok(()) | Err(GitHubError::NotFound(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The new draft's notes: `body`/`body-path`, else GitHub's generated notes since the previous
/// release; a failure to generate them is a warning, not an error (the maintainer writes them).
async fn notes(
    gh: &GitHub,
    request: &Request,
    releases: &[Release],
    warnings: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    if request.body.is_some() || !request.generate_notes {
        return (request.body.clone(), None);
    }
    let previous = previous_tag(releases, request);
    match gh
        .generate_notes(&request.tag, request.target.as_deref(), previous.as_deref())
        .await
    {
        Ok(generated) => (Some(generated.body), Some(generated.name)),
        Err(e) => {
            warnings.push(format!(
                "could not generate release notes, the draft starts without any: {e}"
            ));
            (None, None)
        }
    }
}

/// Finds or creates the one release for the request's tag. A published release is an error
/// unless `allow-published`; several drafts keep the oldest; a draft this run created loses to
/// an older one created at the same moment (and is deleted at once, before any upload).
pub async fn locate(
    gh: &GitHub,
    request: &Request,
    warnings: &mut Vec<String>,
) -> Result<Located, ReleaseError> {
    let tag = &request.tag;
    let mut notes_done = Vec::new();
    if let Some(published) = gh.release_by_tag(tag).await? {
        if !request.allow_published {
            return Err(ReleaseError::Published {
                tag: tag.clone(),
                url: published.html_url,
            });
        }
        let drafts = drafts_for(&gh.list_releases().await?, tag);
        if !drafts.is_empty() {
            warnings.push(format!(
                "{} draft(s) for `{tag}` left alone: the published release is used",
                drafts.len()
            ));
        }
        notes_done.push(format!(
            "using the published release {} (`allow-published: true`)",
            published.id
        ));
        return Ok(Located {
            release: Some(published),
            created: false,
            duplicates: Vec::new(),
            notes: notes_done,
        });
    }
    let releases = gh.list_releases().await?;
    let mut drafts = drafts_for(&releases, tag);
    let mut created = false;
    if drafts.is_empty() {
        if request.dry_run {
            notes_done.push(format!("would create a draft release for `{tag}`"));
            return Ok(Located {
                release: None,
                created: false,
                duplicates: Vec::new(),
                notes: notes_done,
            });
        }
        let (body, generated_name) = notes(gh, request, &releases, warnings).await;
        let new = gh
            .create_release(&NewRelease {
                tag_name: tag.clone(),
                target_commitish: request.target.clone(),
                name: Some(
                    request
                        .name
                        .clone()
                        .or(generated_name)
                        .unwrap_or_else(|| tag.clone()),
                ),
                body,
                draft: true,
                prerelease: request.prerelease,
                make_latest: None,
                generate_release_notes: false,
            })
            .await?;
        tracing::info!("created draft release {} for `{tag}`", new.id);
        // Another run may have created a draft at the same moment: list again and let the
        // oldest win, so every run converges on the same one.
        drafts = drafts_for(&gh.list_releases().await?, tag);
        if !drafts.iter().any(|d| d.id == new.id) {
            drafts.push(new.clone());
            drafts.sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)));
        }
        if drafts[0].id == new.id {
            created = true;
            notes_done.push(format!("created draft release {}", new.id));
        } else {
            delete_release(gh, new.id).await?;
            drafts.retain(|d| d.id != new.id);
            let note = format!(
                "another run created draft {} for `{tag}` at the same time: deleted ours ({}) and used it",
                drafts[0].id, new.id
            );
            tracing::info!("{note}");
            notes_done.push(note);
        }
    }
    let kept = drafts.remove(0);
    if !created {
        notes_done.push(format!("reusing draft release {}", kept.id));
    }
    if !drafts.is_empty() {
        let ids: Vec<String> = drafts.iter().map(|d| d.id.to_string()).collect();
        notes_done.push(format!(
            "found {} more draft(s) for `{tag}` ({}); keeping the oldest, {}",
            drafts.len(),
            ids.join(", "),
            kept.id
        ));
    }
    Ok(Located {
        release: Some(kept),
        created,
        duplicates: drafts,
        notes: notes_done,
    })
}

/// Deletes a duplicate draft whose every uploaded asset is also on the kept release (with the
/// same bytes), so nothing is lost; a duplicate holding anything else is left alone with a
/// warning. Returns a line saying what was done.
pub async fn reconcile_duplicate(
    gh: &GitHub,
    duplicate: &Release,
    kept: &[(String, String)],
    hashes: &mut crate::assets::HashCache,
    dry_run: bool,
    warnings: &mut Vec<String>,
) -> Result<String, GitHubError> {
    let assets = match gh.list_assets(duplicate.id).await {
        Ok(a) => a,
        // Another run reconciled it already.
        Err(GitHubError::NotFound(_)) => {
            return Ok(format!("duplicate draft {} is already gone", duplicate.id));
        }
        Err(e) => return Err(e),
    };
    let mut missing = Vec::new();
    let mut count = 0;
    for asset in assets.iter().filter(|a| a.is_uploaded()) {
        count += 1;
        let sha = hashes.sha256(gh, asset).await?;
        if !kept.iter().any(|(n, s)| n == &asset.name && s == &sha) {
            missing.push(format!("`{}`", asset.name));
        }
    }
    if !missing.is_empty() {
        let msg = format!(
            "left duplicate draft {} for `{}` alone: it holds {} that the kept draft does not have (same name and bytes); move or delete them by hand",
            duplicate.id,
            duplicate.tag_name,
            missing.join(", ")
        );
        warnings.push(msg.clone());
        return Ok(msg);
    }
    let what = if count == 0 {
        "empty".to_string()
    } else {
        format!("its {count} asset(s) are all on the kept draft")
    };
    if dry_run {
        return Ok(format!(
            "would delete duplicate draft {} ({what})",
            duplicate.id
        ));
    }
    delete_release(gh, duplicate.id).await?;
    let msg = format!("deleted duplicate draft {} ({what})", duplicate.id);
    tracing::info!("{msg}");
    Ok(msg)
}
