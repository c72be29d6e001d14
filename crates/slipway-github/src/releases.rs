//! Releases, assets (metadata), tags and file contents: JSON calls through the shared transport.

use base64::Engine as _;
use http::Method;
use serde::Serialize;

use slipway_http::text::excerpt;

use crate::client::{GitHub, JSON};
use crate::error::GitHubError;
use crate::models::{Asset, ContentEntry, GeneratedNotes, NewRelease, Release, ReleasePatch, Tag};
use crate::urls::{encode_component, encode_path};

/// The raw media type: the contents API answers with the file's bytes (up to 100 MB).
const RAW: &str = "application/vnd.github.raw+json";
/// The contents API serves files up to 100 MB raw.
const RAW_CAP: u64 = 100 * 1024 * 1024 + 1024;

#[derive(Serialize)]
struct NotesRequest<'a> {
    tag_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_commitish: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_tag_name: Option<&'a str>,
}

impl GitHub {
    /// Every release, all pages; drafts are included when the token may see them (push access).
    pub async fn list_releases(&self) -> Result<Vec<Release>, GitHubError> {
        self.get_pages(self.repo_url("/releases")?).await
    }

    /// The published release for `tag` (`GET /releases/tags/{tag}`), `None` on 404. GitHub never
    /// returns drafts here: use [`Self::find_release`] for those.
    pub async fn release_by_tag(&self, tag: &str) -> Result<Option<Release>, GitHubError> {
        let url = self.repo_url(&format!("/releases/tags/{}", encode_component(tag)))?;
        self.get_json_opt(&url).await
    }

    /// Every release for `tag`, oldest first: the published one by tag, plus, with
    /// `include_drafts`, the drafts found by paging the list (several drafts may share a tag).
    pub async fn find_release(
        &self,
        tag: &str,
        include_drafts: bool,
    ) -> Result<Vec<Release>, GitHubError> {
        let mut found: Vec<Release> = self.release_by_tag(tag).await?.into_iter().collect();
        if include_drafts {
            for r in self.list_releases().await? {
                if r.tag_name == tag && !found.iter().any(|f| f.id == r.id) {
                    found.push(r);
                }
            }
        }
        // RFC 3339 times from one server sort as text; ids break ties (they only grow).
        found.sort_by(|a, b| (&a.created_at, a.id).cmp(&(&b.created_at, b.id)));
        Ok(found)
    }

    /// One release by id (drafts too).
    pub async fn release(&self, id: u64) -> Result<Release, GitHubError> {
        self.get_json(&self.repo_url(&format!("/releases/{id}"))?)
            .await
    }

    /// The release GitHub marks as latest (`GET /releases/latest`), `None` when there is none.
    pub async fn latest_release(&self) -> Result<Option<Release>, GitHubError> {
        self.get_json_opt(&self.repo_url("/releases/latest")?).await
    }

    /// Creates a release. A 422 `already_exists` (a published release has the tag) is
    /// [`GitHubError::AlreadyExists`]. Like every call it is retried after a 5xx, so a caller
    /// that must end with one draft looks for duplicates afterwards.
    pub async fn create_release(&self, release: &NewRelease) -> Result<Release, GitHubError> {
        self.send_json(Method::POST, &self.repo_url("/releases")?, release)
            .await
    }

    /// Updates the fields set in `patch` (`draft: Some(false)` publishes).
    pub async fn update_release(
        &self,
        id: u64,
        patch: &ReleasePatch,
    ) -> Result<Release, GitHubError> {
        let url = self.repo_url(&format!("/releases/{id}"))?;
        self.send_json(Method::PATCH, &url, patch).await
    }

    /// Deletes a release (its assets go with it; the git tag stays).
    pub async fn delete_release(&self, id: u64) -> Result<(), GitHubError> {
        let url = self.repo_url(&format!("/releases/{id}"))?;
        self.api_bytes(Method::DELETE, &url, JSON, None).await?;
        Ok(())
    }

    /// Release notes GitHub writes for `tag`, listing changes since `previous_tag` (or since
    /// the last release when `None`); `target` is the commit for a tag that does not exist yet.
    pub async fn generate_notes(
        &self,
        tag: &str,
        target: Option<&str>,
        previous_tag: Option<&str>,
    ) -> Result<GeneratedNotes, GitHubError> {
        let body = NotesRequest {
            tag_name: tag,
            target_commitish: target,
            previous_tag_name: previous_tag,
        };
        let url = self.repo_url("/releases/generate-notes")?;
        self.send_json(Method::POST, &url, &body).await
    }

    /// Every asset of a release, all pages (the release object itself may list only some).
    pub async fn list_assets(&self, release_id: u64) -> Result<Vec<Asset>, GitHubError> {
        self.get_pages(self.repo_url(&format!("/releases/{release_id}/assets"))?)
            .await
    }

    /// One asset by id (its `state` and `digest` as GitHub sees them now).
    pub async fn asset(&self, id: u64) -> Result<Asset, GitHubError> {
        self.get_json(&self.repo_url(&format!("/releases/assets/{id}"))?)
            .await
    }

    /// Deletes an asset (to replace it, or to clear a half-made `starter` upload).
    pub async fn delete_asset(&self, id: u64) -> Result<(), GitHubError> {
        let url = self.repo_url(&format!("/releases/assets/{id}"))?;
        self.api_bytes(Method::DELETE, &url, JSON, None).await?;
        Ok(())
    }

    /// Every tag, all pages, in GitHub's order (not version order).
    pub async fn list_tags(&self) -> Result<Vec<Tag>, GitHubError> {
        self.get_pages(self.repo_url("/tags")?).await
    }

    /// True when `refs/tags/{tag}` exists (`GET /git/ref/tags/{tag}`, an exact match).
    pub async fn tag_exists(&self, tag: &str) -> Result<bool, GitHubError> {
        let url = self.repo_url(&format!("/git/ref/tags/{}", encode_path(tag)))?;
        let found: Option<serde_json::Value> = self.get_json_opt(&url).await?;
        Ok(found.is_some())
    }

    /// Deletes the git tag `tag` (`DELETE /git/refs/tags/{tag}`); a release that used it keeps
    /// its record but loses the tag. Answers 422 when the ref does not exist.
    pub async fn delete_tag(&self, tag: &str) -> Result<(), GitHubError> {
        let url = self.repo_url(&format!("/git/refs/tags/{}", encode_path(tag)))?;
        self.api_bytes(Method::DELETE, &url, JSON, None).await?;
        Ok(())
    }

    /// The committer time of the commit `git_ref` (`GET /commits/{ref}` →
    /// `commit.committer.date`, ISO 8601); `None` when the commit does not exist (GitHub answers
    /// 422 for an unknown sha, 404 for an unknown ref) or has no committer.
    pub async fn commit_time(&self, git_ref: &str) -> Result<Option<String>, GitHubError> {
        let url = self.repo_url(&format!("/commits/{}", encode_path(git_ref)))?;
        let found: Option<serde_json::Value> = match self.get_json_opt(&url).await {
            Err(GitHubError::Validation(_)) => None,
            other => other?,
        };
        Ok(found.and_then(|c| {
            c.pointer("/commit/committer/date")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        }))
    }

    /// The bytes of the file at `path` in `git_ref`, `None` when the path (or ref) does not
    /// exist. Files over 1 MB, which the JSON answer leaves empty, are fetched raw.
    pub async fn file_contents(
        &self,
        path: &str,
        git_ref: &str,
    ) -> Result<Option<Vec<u8>>, GitHubError> {
        let mut url = self.repo_url(&format!(
            "/contents/{}",
            encode_path(path.trim_start_matches('/'))
        ))?;
        url.query_pairs_mut().append_pair("ref", git_ref);
        let Some(value) = self.get_json_opt::<serde_json::Value>(&url).await? else {
            return Ok(None);
        };
        let not_a_file = |kind: &str| GitHubError::NotAFile {
            path: path.to_string(),
            git_ref: git_ref.to_string(),
            kind: kind.to_string(),
        };
        if value.is_array() {
            return Err(not_a_file("directory"));
        }
        let entry: ContentEntry =
            serde_json::from_value(value).map_err(|e| GitHubError::Decode {
                method: "GET".into(),
                url: self.show(&url),
                message: e.to_string(),
                body_excerpt: String::new(),
            })?;
        if entry.kind != "file" {
            return Err(not_a_file(&entry.kind));
        }
        match (entry.encoding.as_deref(), entry.content) {
            (Some("base64"), Some(content)) => {
                // GitHub wraps the base64 text at 60 columns.
                let compact: String = content.split_ascii_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact.as_bytes())
                    .map(Some)
                    .map_err(|e| GitHubError::Decode {
                        method: "GET".into(),
                        url: self.show(&url),
                        message: format!("the file's base64 content is invalid: {e}"),
                        body_excerpt: excerpt(content.as_bytes()),
                    })
            }
            // Over 1 MB: `encoding: none`, empty content. Ask for the raw bytes instead.
            _ => {
                let req = self.request(Method::GET, &url, RAW).cap(RAW_CAP);
                let (_, bytes) = self.fetch_ok(&req).await?;
                Ok(Some(bytes.to_vec()))
            }
        }
    }
}
