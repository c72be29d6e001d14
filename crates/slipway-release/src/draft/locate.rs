//! Finding the one release for the tag: the published one (by tag), or the oldest draft (by
//! paging the list, since GitHub never returns drafts by tag), creating a draft when there is
//! none, and converging with a run that created one at the same moment.

use slipway_github::{GitHub, GitHubError, NewRelease, Release};
use slipway_version::{ParsedVersion, Scheme};

use super::Draft;

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
    /// The release list and the release read again by its id disagree: the list changed
    /// while it was read (a maintainer published or edited a release, another run worked at
    /// the same moment) or something between this job and GitHub altered it. Nothing is
    /// deleted and nothing is uploaded on a guess.
    #[error(
        "release {id} is listed as a draft for `{}`, but read by its id it is {found}; {consequence}\nhint: the release list changed while it was read (a release was published, edited or deleted meanwhile), or something between this job and GitHub altered it; re-run the job, and look at the releases for the tag by hand if this repeats",
        slipway_runner::excerpt(tag)
    )]
    Mismatch {
        /// The release's id.
        id: u64,
        /// The tag the list gave it.
        tag: String,
        /// What it is when read by id.
        found: String,
        /// What the run did not do because of it.
        consequence: &'static str,
    },
    /// A deletion that would remove the release this run keeps (never done).
    #[error(
        "refusing to delete release {id}: it is the release this run keeps for `{}`; nothing was deleted\nhint: this is a bug in draft-release; please report it with this log",
        slipway_runner::excerpt(tag)
    )]
    DeletingKept {
        /// The release's id.
        id: u64,
        /// The tag.
        tag: String,
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

/// Drafts for `tag` among `releases`, oldest first (creation time, then id: ids only grow),
/// each id once: a list that shows a release twice (a page read twice, GitHub's offset paging
/// shifting while a release is created) never makes a release its own duplicate.
fn drafts_for<'a>(releases: impl IntoIterator<Item = &'a Release>, tag: &str) -> Vec<Release> {
    let mut drafts: Vec<Release> = Vec::new();
    for r in releases {
        if r.draft && r.tag_name == tag && !drafts.iter().any(|d| d.id == r.id) {
            drafts.push(r.clone());
        }
    }
    sort_oldest_first(&mut drafts);
    drafts
}

fn sort_oldest_first(drafts: &mut [Release]) {
    drafts.sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)));
}

/// What `current` (a release just read by its id) is, when it is not a draft for `tag`.
fn not_a_draft_for(current: &Release, tag: &str) -> Option<String> {
    let shown = slipway_runner::excerpt(&current.tag_name);
    match (current.draft, current.tag_name == tag) {
        (true, true) => None,
        (true, false) => Some(format!("a draft for `{shown}`")),
        (false, true) => Some("published".to_string()),
        (false, false) => Some(format!("the published release of `{shown}`")),
    }
}

/// Why the release `current` (read again by its id just now) must not be deleted as a
/// duplicate draft for `tag` while `kept` is the release this run keeps; `None` when it may.
fn deletion_refused(current: &Release, tag: &str, kept: u64) -> Option<ReleaseError> {
    if current.id == kept {
        return Some(ReleaseError::DeletingKept {
            id: current.id,
            tag: tag.to_string(),
        });
    }
    not_a_draft_for(current, tag).map(|found| ReleaseError::Mismatch {
        id: current.id,
        tag: tag.to_string(),
        found,
        consequence: "nothing was deleted",
    })
}

/// The release `id` read again by its id, checked to still be a draft for `tag`: the list it
/// came from may be stale or altered, and what is done to it (assets replaced, the run's own
/// draft deleted in its favour) must rest on what it is now.
async fn confirm_draft(
    gh: &GitHub,
    id: u64,
    tag: &str,
    consequence: &'static str,
) -> Result<Release, ReleaseError> {
    let mismatch = |found: String| ReleaseError::Mismatch {
        id,
        tag: tag.to_string(),
        found,
        consequence,
    };
    let current = match gh.release(id).await {
        Ok(r) => r,
        Err(GitHubError::NotFound(_)) => return Err(mismatch("gone".to_string())),
        Err(e) => return Err(e.into()),
    };
    if current.id != id {
        return Err(mismatch(format!("release {}", current.id)));
    }
    match not_a_draft_for(&current, tag) {
        None => Ok(current),
        Some(found) => Err(mismatch(found)),
    }
}

/// The published release tagged with the highest version below `version`, for notes that list
/// the changes since it.
fn previous_tag(releases: &[Release], request: &Draft) -> Option<String> {
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

/// Deletes the duplicate draft `id` for `tag`, after reading it again by its id just before:
/// it must still be a draft for `tag`, and not `kept`, the release this run keeps; otherwise
/// nothing is deleted and the run fails (when in doubt, never delete). "Already gone" (another
/// run deleted it) is done.
async fn delete_duplicate(gh: &GitHub, id: u64, tag: &str, kept: u64) -> Result<(), ReleaseError> {
    if id == kept {
        return Err(ReleaseError::DeletingKept {
            id,
            tag: tag.to_string(),
        });
    }
    let current = match gh.release(id).await {
        Ok(r) => r,
        Err(GitHubError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let refused = if current.id == id {
        deletion_refused(&current, tag, kept)
    } else {
        Some(ReleaseError::Mismatch {
            id,
            tag: tag.to_string(),
            found: format!("release {}", current.id),
            consequence: "nothing was deleted",
        })
    };
    if let Some(refused) = refused {
        return Err(refused);
    }
    match gh.delete_release(id).await {
        Ok(()) | Err(GitHubError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The new draft's notes: `body`/`body-path`, else GitHub's generated notes since the previous
/// release; a failure to generate them is a warning, not an error (the maintainer writes them).
async fn notes(
    gh: &GitHub,
    request: &Draft,
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
    request: &Draft,
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
            sort_oldest_first(&mut drafts);
        }
        if drafts[0].id == new.id {
            created = true;
            notes_done.push(format!("created draft release {}", new.id));
            drafts[0] = new;
        } else {
            // Ours gives way only to a draft that is one when read by its id.
            let winner = confirm_draft(
                gh,
                drafts[0].id,
                tag,
                "the draft this run created was not deleted",
            )
            .await?;
            delete_duplicate(gh, new.id, tag, winner.id).await?;
            drafts.retain(|d| d.id != new.id);
            drafts[0] = winner;
            let note = format!(
                "another run created draft {} for `{tag}` at the same time: deleted ours ({}) and used it",
                drafts[0].id, new.id
            );
            tracing::info!("{note}");
            notes_done.push(note);
        }
    } else {
        // Assets are replaced on drafts only: what the run works on is read by its id, not
        // taken from a list that may be stale.
        drafts[0] = confirm_draft(gh, drafts[0].id, tag, "nothing was changed").await?;
    }
    let kept = drafts.remove(0);
    drafts.retain(|d| d.id != kept.id);
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

/// The release this run keeps, and its uploaded assets as (name, sha256).
#[derive(Debug, Clone, Copy)]
pub struct Kept<'a> {
    /// The kept release's id: never deleted as a duplicate.
    pub id: u64,
    /// Its uploaded assets (plus, in a dry run, the files that would be).
    pub assets: &'a [(String, String)],
}

/// Deletes a duplicate draft whose every uploaded asset is also on the kept release (with the
/// same bytes), so nothing is lost; a duplicate holding anything else is left alone with a
/// warning. The duplicate is read again by its id just before the deletion, which happens only
/// when it is still a draft for the tag and not the kept release (otherwise the run fails and
/// nothing is deleted). Returns a line saying what was done.
pub async fn reconcile_duplicate(
    gh: &GitHub,
    duplicate: &Release,
    kept: &Kept<'_>,
    hashes: &super::assets::HashCache,
    dry_run: bool,
    warnings: &mut Vec<String>,
) -> Result<String, ReleaseError> {
    if duplicate.id == kept.id {
        return Err(ReleaseError::DeletingKept {
            id: duplicate.id,
            tag: duplicate.tag_name.clone(),
        });
    }
    let assets = match gh.list_assets(duplicate.id).await {
        Ok(a) => a,
        // Another run reconciled it already.
        Err(GitHubError::NotFound(_)) => {
            return Ok(format!("duplicate draft {} is already gone", duplicate.id));
        }
        Err(e) => return Err(e.into()),
    };
    let mut missing = Vec::new();
    let mut count = 0;
    for asset in assets.iter().filter(|a| a.is_uploaded()) {
        count += 1;
        let sha = hashes.sha256(gh, asset).await?;
        if !kept
            .assets
            .iter()
            .any(|(n, s)| n == &asset.name && s == &sha)
        {
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
    delete_duplicate(gh, duplicate.id, &duplicate.tag_name, kept.id).await?;
    let msg = format!("deleted duplicate draft {} ({what})", duplicate.id);
    tracing::info!("{msg}");
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: u64, tag: &str, draft: bool, created: &str) -> Release {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "tag_name": tag,
            "draft": draft,
            "created_at": created,
        }))
        .unwrap()
    }

    #[test]
    fn a_release_listed_twice_is_one_draft() {
        let d = release(7, "v1", true, "2026-01-01T00:00:00Z");
        let newer = release(9, "v1", true, "2026-01-02T00:00:00Z");
        let other = release(8, "v2", true, "2026-01-01T00:00:00Z");
        let listed = [
            newer.clone(),
            d.clone(),
            other,
            d.clone(),
            newer.clone(),
            d.clone(),
        ];
        let drafts = drafts_for(&listed, "v1");
        let ids: Vec<u64> = drafts.iter().map(|r| r.id).collect();
        assert_eq!(ids, [7, 9], "each id once, oldest first");
        assert!(
            drafts_for([&d, &d], "v1").len() == 1,
            "never its own duplicate"
        );
    }

    #[test]
    fn only_a_draft_for_the_tag_that_is_not_kept_may_be_deleted() {
        let dup = release(9, "v1", true, "2026-01-02T00:00:00Z");
        assert!(deletion_refused(&dup, "v1", 7).is_none());
        let kept = deletion_refused(&dup, "v1", 9).unwrap().to_string();
        assert!(
            kept.starts_with("refusing to delete release 9: it is the release this run keeps")
                && kept.contains("nothing was deleted\nhint: "),
            "{kept}"
        );
        let published = release(9, "v1", false, "2026-01-02T00:00:00Z");
        let e = deletion_refused(&published, "v1", 7).unwrap().to_string();
        assert!(
            e.starts_with("release 9 is listed as a draft for `v1`, but read by its id it is published; nothing was deleted\nhint: "),
            "{e}"
        );
        let other_tag = release(9, "v0.9", false, "2026-01-02T00:00:00Z");
        let e = deletion_refused(&other_tag, "v1", 7).unwrap().to_string();
        assert!(e.contains("it is the published release of `v0.9`"), "{e}");
        let other_draft = release(9, "v2", true, "2026-01-02T00:00:00Z");
        let e = deletion_refused(&other_draft, "v1", 7).unwrap().to_string();
        assert!(e.contains("it is a draft for `v2`"), "{e}");
    }
}
