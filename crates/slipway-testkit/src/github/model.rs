//! The fake's state: repositories, releases, assets, tags and files, and their JSON shapes.
//!
//! Ids are drawn from one counter shared by releases and assets, so a client that confuses a
//! release id with an asset id gets a 404 instead of a lucky hit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::exchange::Exchange;
use super::fault::ArmedFault;
use super::log::RequestRecord;
use super::wire::{RATE_LIMIT, unix_now};

/// A release as the fake stores it; [`super::FakeGitHub::releases`] returns copies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Release id (unique across releases and assets).
    pub id: u64,
    /// `owner/name` of the repository.
    pub repo: String,
    /// The tag the release is (or will be, for drafts) attached to.
    pub tag_name: String,
    /// Branch or commit the tag is created from when the release is published.
    pub target_commitish: String,
    /// Release title.
    pub name: Option<String>,
    /// Release notes (markdown).
    pub body: Option<String>,
    /// Unpublished: hidden from by-tag and latest lookups, and no tag exists for it yet.
    pub draft: bool,
    /// Marked as a pre-release.
    pub prerelease: bool,
    /// Creation time, Unix seconds; strictly increasing across created objects.
    pub created_at: u64,
    /// Publication time, Unix seconds; `None` while a draft.
    pub published_at: Option<u64>,
    /// The last `make_latest` asked for; applied when the release is published.
    pub make_latest: MakeLatest,
}

/// An asset's upload state, as GitHub reports it in `state`.
///
/// GitHub's API description lists `uploaded` and `open`; the upload endpoint's prose calls a
/// half-made asset `starter`. The fake answers what the description lists, and clients treat
/// anything but `uploaded` as unfinished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetState {
    /// Created, but its bytes have not (all) arrived: an upload in flight or one that failed.
    Open,
    /// Complete: `size` and `digest` describe the stored bytes.
    Uploaded,
}

impl AssetState {
    /// The JSON spelling (`open`, `uploaded`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Uploaded => "uploaded",
        }
    }
}

/// `make_latest` of the create and update endpoints: whether publishing a release makes it the
/// one `GET /releases/latest` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MakeLatest {
    /// It becomes the latest when published (GitHub's default for newly published releases).
    #[default]
    True,
    /// Published without becoming the latest (a backport of an older line).
    False,
    /// The latest is the newest non-prerelease by creation date again.
    Legacy,
}

impl MakeLatest {
    /// The JSON spelling (`true`, `false`, `legacy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "true",
            Self::False => "false",
            Self::Legacy => "legacy",
        }
    }

    /// Parses the JSON spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::True, Self::False, Self::Legacy]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// A release asset as the fake stores it; its bytes live in a file on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// Asset id (unique across releases and assets).
    pub id: u64,
    /// The release it belongs to.
    pub release_id: u64,
    /// File name, after GitHub's renaming rule ([`github_asset_name`]).
    pub name: String,
    /// Optional display label.
    pub label: Option<String>,
    /// Size in bytes (0 while `open`).
    pub size: u64,
    /// Upload state.
    pub state: AssetState,
    /// `sha256:<hex>` once uploaded; `None` for assets seeded without one (as older GitHub assets).
    pub digest: Option<String>,
    /// The `Content-Type` the uploader sent.
    pub content_type: String,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Last change, Unix seconds.
    pub updated_at: u64,
    /// Number of downloads through the API or browser URL.
    pub download_count: u64,
}

/// What to seed a release with; build with [`ReleaseSeed::new`] and the chained setters.
#[derive(Debug, Clone, Default)]
pub struct ReleaseSeed {
    /// Repository (`owner/name`); `None` means the fake's default (first added) repository.
    pub repo: Option<String>,
    /// Tag name.
    pub tag: String,
    /// Seed as a draft.
    pub draft: bool,
    /// Seed as a pre-release.
    pub prerelease: bool,
    /// Release title.
    pub name: Option<String>,
    /// Release notes.
    pub body: Option<String>,
    /// Target commitish (default `main`).
    pub target: Option<String>,
    /// Creation time, Unix seconds (default: the fake's clock, which only moves forward).
    pub created_at: Option<u64>,
    /// Whether publishing it makes it the latest (default: it does, as on GitHub).
    pub make_latest: MakeLatest,
    /// Publication time, Unix seconds (default: the creation time).
    pub published_at: Option<u64>,
}

impl ReleaseSeed {
    /// A published, non-prerelease release for `tag` in the default repository.
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            ..Self::default()
        }
    }
    /// Makes it a draft.
    pub fn draft(mut self) -> Self {
        self.draft = true;
        self
    }
    /// Makes it a pre-release.
    pub fn prerelease(mut self) -> Self {
        self.prerelease = true;
        self
    }
    /// Sets the title.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets the notes.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }
    /// Sets the target commitish.
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
    /// Puts it in another repository than the default one.
    pub fn repo(mut self, repo: impl Into<String>) -> Self {
        self.repo = Some(repo.into());
        self
    }
    /// Sets the creation time (Unix seconds), e.g. to make an old release.
    pub fn created_at(mut self, secs: u64) -> Self {
        self.created_at = Some(secs);
        self
    }
    /// Sets the publication time (Unix seconds).
    pub fn published_at(mut self, secs: u64) -> Self {
        self.published_at = Some(secs);
        self
    }
    /// Sets `make_latest` (e.g. [`MakeLatest::False`] for a backport of an older line).
    pub fn make_latest(mut self, make_latest: MakeLatest) -> Self {
        self.make_latest = make_latest;
        self
    }
}

/// How `GET …/releases/assets/{id}` with `Accept: application/octet-stream` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownloadMode {
    /// `302 Found` with `Location` on the storage host (what github.com does).
    #[default]
    Redirect,
    /// `200 OK` with the bytes from the API host itself (what some GHES setups do).
    Direct,
}

/// One repository's tags and files.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub full_name: String,
    /// `(name, sha)`, oldest first.
    pub tags: Vec<(String, String)>,
    /// `(ref, path)` → bytes.
    pub files: BTreeMap<(String, String), Vec<u8>>,
    /// Commit sha → committer time (ISO 8601, as seeded).
    pub commits: BTreeMap<String, String>,
    pub default_branch: String,
    /// The release `make_latest` last made the latest; `None`: the newest by creation date.
    pub latest: Option<u64>,
}

/// The base URLs the fake answers on.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    pub api: String,
    pub uploads: String,
    pub storage: String,
}

/// Everything behind the fake's mutex.
#[derive(Debug)]
pub(crate) struct State {
    pub token: String,
    /// Lower-cased `owner/name` → repo (GitHub matches names case-insensitively).
    pub repos: BTreeMap<String, Repo>,
    pub default_repo: Option<String>,
    pub releases: BTreeMap<u64, Release>,
    pub assets: BTreeMap<u64, Asset>,
    pub next_id: u64,
    pub clock: u64,
    pub rate_used: u64,
    pub rate_reset: u64,
    pub download_mode: DownloadMode,
    pub faults: Vec<ArmedFault>,
    pub log: Vec<RequestRecord>,
    /// Whether whole exchanges are recorded in `exchanges`.
    pub capture: bool,
    pub exchanges: Vec<Exchange>,
    /// Per-instance secret for storage URL signatures.
    pub storage_secret: String,
    /// Releases published from now on are immutable (GitHub's repository setting).
    pub immutable: bool,
    /// The releases published while `immutable` was on: their assets are locked.
    pub immutable_releases: std::collections::BTreeSet<u64>,
    /// `(lower-cased repo, tag)` of deleted immutable releases: never usable again.
    pub burned_tags: std::collections::BTreeSet<(String, String)>,
    /// Issues, pull requests, comments and labels ([`super::issues`]).
    pub issues: super::issue_store::Issues,
    /// `(lower-cased repo, name)` → the environment's JSON (`super::environments`).
    pub environments: BTreeMap<(String, String), serde_json::Value>,
}

impl State {
    pub(super) fn new(token: String) -> Self {
        let now = unix_now();
        Self {
            token,
            repos: BTreeMap::new(),
            default_repo: None,
            releases: BTreeMap::new(),
            assets: BTreeMap::new(),
            next_id: 100_001,
            clock: now,
            rate_used: 0,
            rate_reset: now + 3600,
            download_mode: DownloadMode::Redirect,
            faults: Vec::new(),
            log: Vec::new(),
            capture: false,
            exchanges: Vec::new(),
            storage_secret: format!("{}-{now}", std::process::id()),
            immutable: false,
            immutable_releases: std::collections::BTreeSet::new(),
            burned_tags: std::collections::BTreeSet::new(),
            issues: super::issue_store::Issues::default(),
            environments: BTreeMap::new(),
        }
    }

    /// A fresh id for a release or asset.
    pub(super) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A creation time later than every earlier one (GitHub orders lists by it).
    pub(super) fn tick(&mut self) -> u64 {
        self.clock = unix_now().max(self.clock + 1);
        self.clock
    }

    pub(super) fn add_repo(&mut self, slug: &str) {
        let key = slug.to_ascii_lowercase();
        self.repos.entry(key.clone()).or_insert_with(|| Repo {
            full_name: slug.to_string(),
            tags: Vec::new(),
            files: BTreeMap::new(),
            commits: BTreeMap::new(),
            default_branch: "main".into(),
            latest: None,
        });
        self.default_repo.get_or_insert(key);
    }

    /// The repository for a path's `owner/name`, case-insensitively.
    pub(super) fn repo(&self, slug: &str) -> Option<&Repo> {
        self.repos.get(&slug.to_ascii_lowercase())
    }

    pub(super) fn repo_mut(&mut self, slug: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&slug.to_ascii_lowercase())
    }

    /// The canonical `owner/name` of `slug`, or of the default repository; panics for an unknown
    /// one, since that is a mistake in the test's seeding.
    pub(super) fn resolve_repo(&self, slug: Option<&str>) -> String {
        let key = match slug {
            Some(s) => s.to_ascii_lowercase(),
            None => self
                .default_repo
                .clone()
                .expect("the fake has no repository: call `add_repo` first"),
        };
        match self.repos.get(&key) {
            Some(r) => r.full_name.clone(),
            None => panic!("the fake has no repository `{key}`: call `add_repo` first"),
        }
    }

    /// Releases of a repository, newest first (by `created_at`, then id), as GitHub lists them.
    pub(super) fn releases_of(&self, repo: &str) -> Vec<&Release> {
        let mut v: Vec<&Release> = self
            .releases
            .values()
            .filter(|r| r.repo.eq_ignore_ascii_case(repo))
            .collect();
        v.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
        v
    }

    /// The release with `id` in `repo`.
    pub(super) fn release_in(&self, repo: &str, id: u64) -> Option<&Release> {
        self.releases
            .get(&id)
            .filter(|r| r.repo.eq_ignore_ascii_case(repo))
    }

    /// Assets of a release, oldest first.
    pub(super) fn assets_of(&self, release_id: u64) -> Vec<&Asset> {
        self.assets
            .values()
            .filter(|a| a.release_id == release_id)
            .collect()
    }

    /// The asset with `id` if it belongs to a release of `repo`.
    pub(super) fn asset_in(&self, repo: &str, id: u64) -> Option<&Asset> {
        let asset = self.assets.get(&id)?;
        self.release_in(repo, asset.release_id)?;
        Some(asset)
    }

    /// The published release of `repo` that has `tag`, if any (other than `except`).
    pub(super) fn published_with_tag(
        &self,
        repo: &str,
        tag: &str,
        except: Option<u64>,
    ) -> Option<u64> {
        self.releases_of(repo)
            .into_iter()
            .find(|r| !r.draft && r.tag_name == tag && Some(r.id) != except)
            .map(|r| r.id)
    }

    /// Creates the release's tag if it does not exist yet, as publishing does on GitHub.
    pub(super) fn ensure_tag(&mut self, repo: &str, tag: &str, target: &str) {
        let sha = if target.len() == 40 && target.bytes().all(|b| b.is_ascii_hexdigit()) {
            target.to_ascii_lowercase()
        } else {
            fake_sha(&format!("{repo}:{target}:{tag}"))
        };
        if let Some(r) = self.repo_mut(repo)
            && !r.tags.iter().any(|(n, _)| n == tag)
        {
            r.tags.push((tag.to_string(), sha));
        }
    }

    /// Publishes a draft: sets `published_at`, creates the tag and applies `make_latest`.
    pub(super) fn publish(&mut self, id: u64) -> Option<()> {
        let now = self.tick();
        let rel = self.releases.get_mut(&id)?;
        rel.draft = false;
        rel.published_at.get_or_insert(now);
        let (repo, tag, target) = (
            rel.repo.clone(),
            rel.tag_name.clone(),
            rel.target_commitish.clone(),
        );
        self.ensure_tag(&repo, &tag, &target);
        self.apply_make_latest(id);
        if self.immutable {
            self.immutable_releases.insert(id);
        }
        Some(())
    }

    /// True when a deleted immutable release of `repo` used `tag`: GitHub refuses it for good.
    pub(super) fn tag_burned(&self, repo: &str, tag: &str) -> bool {
        self.burned_tags
            .contains(&(repo.to_ascii_lowercase(), tag.to_string()))
    }

    /// True when the release is published and immutable: its assets can no longer change.
    pub(super) fn is_immutable(&self, release_id: u64) -> bool {
        self.immutable_releases.contains(&release_id)
    }

    /// Applies a published release's `make_latest`: `true` makes it the latest (not for a
    /// prerelease: GitHub never makes one latest), `legacy` hands the choice back to creation
    /// dates, `false` leaves the latest where it is.
    pub(super) fn apply_make_latest(&mut self, id: u64) {
        let Some(rel) = self.releases.get(&id).filter(|r| !r.draft) else {
            return;
        };
        let (repo, make, prerelease) = (rel.repo.clone(), rel.make_latest, rel.prerelease);
        let Some(r) = self.repo_mut(&repo) else {
            return;
        };
        match make {
            MakeLatest::True if !prerelease => r.latest = Some(id),
            MakeLatest::Legacy => r.latest = None,
            MakeLatest::True | MakeLatest::False => {}
        }
    }

    /// The release `GET /releases/latest` answers: the one `make_latest` chose while it is still
    /// published and not a prerelease, else the newest published non-prerelease by creation date.
    pub(super) fn latest_of(&self, repo: &str) -> Option<u64> {
        let eligible = |r: &&Release| !r.draft && !r.prerelease;
        self.repo(repo)
            .and_then(|r| r.latest)
            .and_then(|id| self.release_in(repo, id))
            .filter(eligible)
            .or_else(|| self.releases_of(repo).into_iter().find(eligible))
            .map(|r| r.id)
    }

    /// Removes an asset and its file.
    pub(super) fn delete_asset(&mut self, dir: &Path, id: u64) {
        self.assets.remove(&id);
        let _ = std::fs::remove_file(asset_path(dir, id));
    }

    /// The `x-ratelimit-*` values after counting one more request.
    pub(super) fn count_request(&mut self) -> (u64, u64, u64) {
        self.rate_used += 1;
        if unix_now() >= self.rate_reset {
            self.rate_used = 1;
            self.rate_reset = unix_now() + 3600;
        }
        (
            RATE_LIMIT.saturating_sub(self.rate_used),
            self.rate_reset,
            self.rate_used,
        )
    }
}

/// The file that holds an asset's bytes.
pub(crate) fn asset_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("asset-{id}"))
}

/// A 40-hex-digit stand-in for a git object id, derived from `seed`.
pub(crate) fn fake_sha(seed: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(seed.as_bytes()))[..40].to_string()
}

/// GitHub's asset renaming: characters other than ASCII letters, digits, `-`, `_`, `.` and `+`
/// become `.` (a space, `~`, `:`, parentheses…), and leading or trailing periods are removed.
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

/// Formats Unix seconds as GitHub does: `2024-05-01T12:00:00Z`.
pub fn rfc3339(secs: u64) -> String {
    slipway_time::Utc::from_unix(i64::try_from(secs).unwrap_or(i64::MAX)).rfc3339()
}

impl Urls {
    /// `{api}/repos/{repo}`.
    pub(super) fn repo(&self, repo: &str) -> String {
        format!("{}/repos/{repo}", self.api)
    }

    /// The web URL of a repository (the fake's API origin doubles as its web server).
    pub(super) fn html(&self, repo: &str) -> String {
        format!("{}/{repo}", self.api)
    }

    /// A user as GitHub's `simple-user` schema describes one: the Actions bot, which the
    /// workflow token acts as.
    pub(super) fn bot_user(&self) -> Value {
        let login = "github-actions[bot]";
        let user = format!("{}/users/github-actions%5Bbot%5D", self.api);
        json!({
            "login": login,
            "id": 41_898_282,
            "node_id": "MDM6Qm90NDE4OTgyODI=",
            "avatar_url": "https://avatars.githubusercontent.com/in/15368?v=4",
            "gravatar_id": "",
            "url": user,
            "html_url": format!("{}/apps/github-actions", self.api),
            "followers_url": format!("{user}/followers"),
            "following_url": format!("{user}/following{{/other_user}}"),
            "gists_url": format!("{user}/gists{{/gist_id}}"),
            "starred_url": format!("{user}/starred{{/owner}}{{/repo}}"),
            "subscriptions_url": format!("{user}/subscriptions"),
            "organizations_url": format!("{user}/orgs"),
            "repos_url": format!("{user}/repos"),
            "events_url": format!("{user}/events{{/privacy}}"),
            "received_events_url": format!("{user}/received_events"),
            "type": "Bot",
            "user_view_type": "public",
            "site_admin": false,
        })
    }

    /// The JSON of an asset, with the fields of GitHub's "release asset" schema.
    pub(super) fn asset_json(&self, repo: &str, tag_or_untagged: &str, a: &Asset) -> Value {
        json!({
            "url": format!("{}/releases/assets/{}", self.repo(repo), a.id),
            "browser_download_url": format!(
                "{}/releases/download/{tag_or_untagged}/{}", self.html(repo), a.name
            ),
            "id": a.id,
            "node_id": format!("RA_fake{}", a.id),
            "name": a.name,
            "label": a.label,
            "state": a.state.as_str(),
            "content_type": a.content_type,
            "size": a.size,
            "digest": a.digest,
            "download_count": a.download_count,
            "created_at": rfc3339(a.created_at),
            "updated_at": rfc3339(a.updated_at),
            "uploader": self.bot_user(),
        })
    }

    /// The JSON of a release, with its assets, with the fields of GitHub's "release" schema.
    pub(super) fn release_json(&self, state: &State, r: &Release) -> Value {
        let tag_path = release_tag_path(r);
        let assets: Vec<Value> = state
            .assets_of(r.id)
            .into_iter()
            .map(|a| self.asset_json(&r.repo, &tag_path, a))
            .collect();
        json!({
            "url": format!("{}/releases/{}", self.repo(&r.repo), r.id),
            "html_url": format!("{}/releases/tag/{tag_path}", self.html(&r.repo)),
            "assets_url": format!("{}/releases/{}/assets", self.repo(&r.repo), r.id),
            "upload_url": format!(
                "{}/repos/{}/releases/{}/assets{{?name,label}}", self.uploads, r.repo, r.id
            ),
            "tarball_url": format!("{}/tarball/{}", self.repo(&r.repo), r.tag_name),
            "zipball_url": format!("{}/zipball/{}", self.repo(&r.repo), r.tag_name),
            "id": r.id,
            "node_id": format!("RE_fake{}", r.id),
            "tag_name": r.tag_name,
            "target_commitish": r.target_commitish,
            "name": r.name,
            "body": r.body,
            "draft": r.draft,
            "prerelease": r.prerelease,
            "immutable": state.is_immutable(r.id),
            "created_at": rfc3339(r.created_at),
            "published_at": r.published_at.map(rfc3339),
            "author": self.bot_user(),
            "assets": assets,
        })
    }
}

/// Drafts have no tag yet: GitHub addresses them as `untagged-<hash>` in web URLs.
pub(crate) fn release_tag_path(r: &Release) -> String {
    if r.draft {
        format!("untagged-{}", &fake_sha(&r.id.to_string())[..20])
    } else {
        r.tag_name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn asset_names_are_renamed_like_github() {
        assert_eq!(github_asset_name("The Brain.js"), "The.Brain.js");
        assert_eq!(github_asset_name("a~b:c(1).zip"), "a.b.c.1..zip");
        assert_eq!(github_asset_name(".hidden."), "hidden");
        assert_eq!(
            github_asset_name("pkg-1.0+local-py3-none-any.whl"),
            "pkg-1.0+local-py3-none-any.whl"
        );
    }
}
