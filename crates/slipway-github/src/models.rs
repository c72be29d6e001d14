//! The REST shapes slipway reads and writes; our own, since octocrab's models lack newer fields
//! such as an asset's `digest` and `state`. Unknown fields are ignored.

use serde::{Deserialize, Serialize};

/// A release, draft or published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Release id.
    pub id: u64,
    /// The tag it names (for a draft, possibly a tag that does not exist yet).
    pub tag_name: String,
    /// Title.
    #[serde(default)]
    pub name: Option<String>,
    /// Release notes (markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// True while unpublished.
    #[serde(default)]
    pub draft: bool,
    /// True for a pre-release.
    #[serde(default)]
    pub prerelease: bool,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Publication time, RFC 3339; `None` for drafts.
    #[serde(default)]
    pub published_at: Option<String>,
    /// The release page.
    #[serde(default)]
    pub html_url: String,
    /// Upload URL template, `https://uploads.github.com/…/assets{?name,label}`.
    #[serde(default)]
    pub upload_url: String,
    /// Branch or commit the tag is (or will be) created from.
    #[serde(default)]
    pub target_commitish: Option<String>,
    /// Attached assets (the first page only on some endpoints; see `GitHub::list_assets`).
    #[serde(default)]
    pub assets: Vec<Asset>,
}

/// A file attached to a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Asset id.
    pub id: u64,
    /// File name.
    pub name: String,
    /// Display label.
    #[serde(default)]
    pub label: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// `uploaded`, or for an upload that never finished `open` (the API description's name) or
    /// `starter` (the upload docs' name).
    #[serde(default)]
    pub state: String,
    /// `sha256:<hex>`, computed by GitHub (newer field; absent on older servers).
    #[serde(default)]
    pub digest: Option<String>,
    /// API URL; `GET` it with `Accept: application/octet-stream` for the bytes.
    pub url: String,
    /// Public download URL (needs a session for private repositories).
    #[serde(default)]
    pub browser_download_url: String,
    /// Media type given at upload.
    #[serde(default)]
    pub content_type: String,
}

impl Asset {
    /// The lowercase hex SHA-256 from `digest` (`sha256:<64 hex>`), if GitHub sent a valid one.
    pub fn sha256(&self) -> Option<&str> {
        let hex = self.digest.as_deref()?.strip_prefix("sha256:")?;
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
    }

    /// True once the upload finished (`state == "uploaded"`).
    pub fn is_uploaded(&self) -> bool {
        self.state == "uploaded"
    }
}

/// The name GitHub gives an uploaded asset: characters other than ASCII letters, digits and
/// `-_.+` become `.`, and leading/trailing dots go (`my file.whl` → `my.file.whl`). Use it to
/// match local files against existing assets.
pub fn github_asset_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+') {
                c
            } else {
                '.'
            }
        })
        .collect();
    mapped.trim_matches('.').to_string()
}

/// The body of `POST /repos/{owner}/{repo}/releases`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewRelease {
    /// The tag (created on publication if missing).
    pub tag_name: String,
    /// Branch or commit for a new tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_commitish: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Create as a draft.
    pub draft: bool,
    /// Mark as a pre-release.
    pub prerelease: bool,
    /// `true`, `false` or `legacy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make_latest: Option<String>,
    /// Let GitHub write the notes.
    pub generate_release_notes: bool,
}

/// The body of `PATCH /repos/{owner}/{repo}/releases/{id}`; `None` fields are left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleasePatch {
    /// New tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_name: Option<String>,
    /// New target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_commitish: Option<String>,
    /// New title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// `false` publishes a draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
    /// Pre-release flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prerelease: Option<bool>,
    /// `true`, `false` or `legacy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub make_latest: Option<String>,
}

/// The answer of `POST /releases/generate-notes`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GeneratedNotes {
    /// Suggested title.
    pub name: String,
    /// Suggested notes (markdown).
    pub body: String,
}

/// A tag from `GET /repos/{owner}/{repo}/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Tag {
    /// Tag name (`v1.2.0`).
    pub name: String,
    /// The commit it points at.
    pub commit: TagCommit,
}

/// The commit a [`Tag`] points at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TagCommit {
    /// Commit SHA.
    pub sha: String,
}

/// A contents-API entry (only the fields `file_contents` reads).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ContentEntry {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
}

impl crate::client::Keyed for Release {
    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl crate::client::Keyed for Asset {
    fn key(&self) -> String {
        self.id.to_string()
    }
}

impl crate::client::Keyed for Tag {
    fn key(&self) -> String {
        self.name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_parse_digest_and_state() {
        let json = r#"{"id":5,"name":"pkg.whl","label":null,"size":10,"state":"uploaded",
            "digest":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "url":"https://api.github.com/repos/o/r/releases/assets/5",
            "browser_download_url":"https://github.com/o/r/releases/download/v1/pkg.whl",
            "content_type":"application/octet-stream","uploader":{"login":"x"}}"#;
        let a: Asset = serde_json::from_str(json).unwrap();
        assert!(a.is_uploaded());
        assert_eq!(
            a.sha256(),
            Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
        );
        for bad in [
            None,
            Some("sha1:abc"),
            Some("sha256:xyz"),
            Some("sha256:9f86"),
        ] {
            let a = Asset {
                digest: bad.map(str::to_string),
                ..a.clone()
            };
            assert_eq!(a.sha256(), None, "{bad:?}");
        }
    }

    #[test]
    fn asset_names_are_mapped_like_github() {
        assert_eq!(
            github_asset_name("pkg-1.0+local_x.tar.gz"),
            "pkg-1.0+local_x.tar.gz"
        );
        assert_eq!(github_asset_name("my file (1).whl"), "my.file..1..whl");
        assert_eq!(github_asset_name("ü.txt"), "txt");
    }

    #[test]
    fn releases_parse_with_nulls_and_requests_skip_unset_fields() {
        let json = r#"{"id":1,"tag_name":"v1","name":null,"body":null,"draft":true,
            "prerelease":false,"created_at":"2024-01-01T00:00:00Z","published_at":null,
            "html_url":"h","upload_url":"u{?name,label}","target_commitish":"main","assets":[]}"#;
        let r: Release = serde_json::from_str(json).unwrap();
        assert!(r.draft);
        assert_eq!(r.published_at, None);
        let patch = ReleasePatch {
            draft: Some(false),
            ..Default::default()
        };
        assert_eq!(serde_json::to_string(&patch).unwrap(), r#"{"draft":false}"#);
        let new = NewRelease {
            tag_name: "v1".into(),
            draft: true,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            serde_json::json!({"tag_name":"v1","draft":true,"prerelease":false,"generate_release_notes":false})
        );
    }
}
