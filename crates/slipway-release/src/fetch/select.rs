//! Choosing the release: by tag (drafts too), by id, the latest published one, or the one in
//! the `release` event.

use slipway_github::{GitHub, GitHubError, Release};

use super::error::FetchError;

/// Which release to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The release for this tag (the published one, else a draft when drafts are included).
    Tag(String),
    /// The release with this id.
    Id(u64),
    /// The release GitHub marks as latest (`GET /releases/latest`, which follows `make_latest`).
    Latest,
    /// The release named by the `release` event payload (looked up again by id, so its
    /// current state and assets are used).
    Event {
        /// Its id.
        id: u64,
        /// Its tag, for messages.
        tag: String,
    },
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tag(t) => write!(f, "tag `{t}`"),
            Self::Id(id) => write!(f, "release id `{id}`"),
            Self::Latest => write!(f, "the latest release"),
            Self::Event { id, tag } => write!(f, "the event's release `{tag}` (id `{id}`)"),
        }
    }
}

/// Why resolving failed: a typed fetch error, or the client's.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// Not found, in a way the user can fix.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The API failed.
    #[error(transparent)]
    GitHub(#[from] GitHubError),
}

/// The release `selector` names; `include_drafts` lets a tag match a draft.
pub async fn resolve(
    gh: &GitHub,
    selector: &Selector,
    include_drafts: bool,
) -> Result<Release, SelectError> {
    let repo = gh.repo().to_string();
    match selector {
        Selector::Tag(tag) => by_tag(gh, tag, include_drafts).await,
        Selector::Id(id) | Selector::Event { id, .. } => match gh.release(*id).await {
            Ok(r) => Ok(r),
            Err(GitHubError::NotFound(_)) => Err(FetchError::UnknownId { id: *id, repo }.into()),
            Err(e) => Err(e.into()),
        },
        // GitHub's own notion: it follows `make_latest`, so a backport published after a
        // newer line is not latest.
        Selector::Latest => gh
            .latest_release()
            .await?
            .ok_or_else(|| FetchError::NoLatest { repo }.into()),
    }
}

async fn by_tag(gh: &GitHub, tag: &str, include_drafts: bool) -> Result<Release, SelectError> {
    let found = gh.find_release(tag, include_drafts).await?;
    if let Some(published) = found.iter().rev().find(|r| !r.draft) {
        return Ok(published.clone());
    }
    if found.len() > 1 {
        tracing::warn!(
            "{} drafts have the tag `{tag}`; using the newest (id {})",
            found.len(),
            found.last().map(|r| r.id).unwrap_or_default()
        );
    }
    if let Some(draft) = found.last() {
        return Ok(draft.clone());
    }
    let all = gh.list_releases().await?;
    let draft_only = !include_drafts && all.iter().any(|r| r.draft && r.tag_name == tag);
    let tags: Vec<&str> = all.iter().map(|r| r.tag_name.as_str()).collect();
    Err(FetchError::UnknownTag {
        tag: tag.to_string(),
        nearest: nearest(tag, &tags, 5),
        draft_only,
    }
    .into())
}

/// Edit distance between two strings, counted in characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Length of the common prefix, in characters.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Up to `limit` of `tags` closest to `wanted`, best first: a small edit distance, or the
/// same version prefix (`v1.2.` for `v1.2.9`); tags that share nothing are left out.
pub fn nearest(wanted: &str, tags: &[&str], limit: usize) -> Vec<String> {
    // The prefix up to the last separator: `v1.2.` of `v1.2.9`, `release-` of `release-7`.
    let stem = wanted
        .rfind(['.', '-', '_'])
        .map(|i| &wanted[..=i])
        .unwrap_or("");
    let budget = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, usize, &str)> = tags
        .iter()
        .copied()
        .filter(|t| *t != wanted)
        .map(|t| (levenshtein(wanted, t), common_prefix(wanted, t), t))
        .filter(|(d, _, t)| *d <= budget || (!stem.is_empty() && t.starts_with(stem)))
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)));
    scored.dedup_by(|a, b| a.2 == b.2);
    scored
        .into_iter()
        .take(limit)
        .map(|(_, _, t)| t.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("v1.0", "v1.0"), 0);
    }

    #[test]
    fn nearest_tags_by_distance_and_prefix() {
        let tags = [
            "v1.2.3", "v1.2.0", "v1.10.0", "v2.0.0", "nightly", "V1.2.4", "v1.2.3",
        ];
        assert_eq!(nearest("v1.2.4", &tags, 3), ["v1.2.0", "v1.2.3", "V1.2.4"]);
        assert_eq!(nearest("1.2.3", &tags, 2), ["v1.2.3", "V1.2.4"]);
        assert!(nearest("zzzzzzzzzz", &tags, 5).is_empty());
    }
}
