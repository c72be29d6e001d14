//! Saving and restoring the fake's durable state (repositories, releases, assets, tags, files)
//! as JSON, so the standalone server keeps its releases across restarts (the local pipeline
//! demo's second run sees the first run's release). Asset bytes already live in files in the
//! state directory; the snapshot records only their metadata.
//!
//! Left out on purpose: the token (the server's command line names it each time), the request
//! log, armed faults and rate-limit counters (they describe one server process, not the repo).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::FakeGitHub;
use super::model::{Asset, AssetState, DownloadMode, MakeLatest, Release, Repo, State};

/// The snapshot's format version; a file with another one is refused rather than misread.
const FORMAT: u32 = 1;

/// Why a snapshot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be read, written or renamed into place.
    #[error("cannot access the fake GitHub's state file `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a snapshot this version understands.
    #[error(
        "the fake GitHub's state file `{}` is not a valid snapshot: {reason}\nhint: delete it (or the whole state directory) to start from an empty fake",
        path.display()
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// The durable part of a fake's state, as saved to and restored from JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    format: u32,
    repos: Vec<RepoSnap>,
    default_repo: Option<String>,
    releases: Vec<ReleaseSnap>,
    assets: Vec<AssetSnap>,
    next_id: u64,
    clock: u64,
    direct_downloads: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct RepoSnap {
    full_name: String,
    default_branch: String,
    tags: Vec<(String, String)>,
    /// `(ref, path, base64 bytes)`.
    files: Vec<(String, String, String)>,
    /// The release `make_latest` made the latest (absent in older snapshots).
    #[serde(default)]
    latest: Option<u64>,
    /// Commit sha → committer time (absent in older snapshots).
    #[serde(default)]
    commits: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ReleaseSnap {
    id: u64,
    repo: String,
    tag_name: String,
    target_commitish: String,
    name: Option<String>,
    body: Option<String>,
    draft: bool,
    prerelease: bool,
    created_at: u64,
    published_at: Option<u64>,
    /// `true`, `false` or `legacy` (absent in older snapshots: `true`).
    #[serde(default)]
    make_latest: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AssetSnap {
    id: u64,
    release_id: u64,
    name: String,
    label: Option<String>,
    size: u64,
    uploaded: bool,
    digest: Option<String>,
    content_type: String,
    created_at: u64,
    updated_at: u64,
    download_count: u64,
}

impl Snapshot {
    fn of(st: &State) -> Self {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        Self {
            format: FORMAT,
            repos: st
                .repos
                .values()
                .map(|r| RepoSnap {
                    full_name: r.full_name.clone(),
                    default_branch: r.default_branch.clone(),
                    tags: r.tags.clone(),
                    files: r
                        .files
                        .iter()
                        .map(|((git_ref, path), bytes)| {
                            (git_ref.clone(), path.clone(), b64.encode(bytes))
                        })
                        .collect(),
                    latest: r.latest,
                    commits: r.commits.clone(),
                })
                .collect(),
            default_repo: st.default_repo.clone(),
            releases: st
                .releases
                .values()
                .map(|r| ReleaseSnap {
                    id: r.id,
                    repo: r.repo.clone(),
                    tag_name: r.tag_name.clone(),
                    target_commitish: r.target_commitish.clone(),
                    name: r.name.clone(),
                    body: r.body.clone(),
                    draft: r.draft,
                    prerelease: r.prerelease,
                    created_at: r.created_at,
                    published_at: r.published_at,
                    make_latest: Some(r.make_latest.as_str().to_string()),
                })
                .collect(),
            assets: st
                .assets
                .values()
                .map(|a| AssetSnap {
                    id: a.id,
                    release_id: a.release_id,
                    name: a.name.clone(),
                    label: a.label.clone(),
                    size: a.size,
                    uploaded: a.state == AssetState::Uploaded,
                    digest: a.digest.clone(),
                    content_type: a.content_type.clone(),
                    created_at: a.created_at,
                    updated_at: a.updated_at,
                    download_count: a.download_count,
                })
                .collect(),
            next_id: st.next_id,
            clock: st.clock,
            direct_downloads: st.download_mode == DownloadMode::Direct,
        }
    }

    /// Replaces the durable part of `st` with this snapshot's content.
    fn restore_into(self, st: &mut State) -> Result<(), String> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut repos = BTreeMap::new();
        for r in self.repos {
            let mut files = BTreeMap::new();
            for (git_ref, path, data) in r.files {
                let bytes = b64
                    .decode(data.as_bytes())
                    .map_err(|e| format!("file `{path}` at `{git_ref}` is not base64: {e}"))?;
                files.insert((git_ref, path), bytes);
            }
            repos.insert(
                r.full_name.to_ascii_lowercase(),
                Repo {
                    full_name: r.full_name,
                    tags: r.tags,
                    files,
                    commits: r.commits,
                    default_branch: r.default_branch,
                    latest: r.latest,
                },
            );
        }
        let mut releases = BTreeMap::new();
        for r in self.releases {
            let make_latest = match r.make_latest.as_deref() {
                None => MakeLatest::True,
                Some(m) => MakeLatest::parse(m)
                    .ok_or_else(|| format!("release `{}` has make_latest `{m}`", r.id))?,
            };
            if !repos.contains_key(&r.repo.to_ascii_lowercase()) {
                return Err(format!(
                    "release `{}` names unknown repo `{}`",
                    r.id, r.repo
                ));
            }
            releases.insert(
                r.id,
                Release {
                    id: r.id,
                    repo: r.repo,
                    tag_name: r.tag_name,
                    target_commitish: r.target_commitish,
                    name: r.name,
                    body: r.body,
                    draft: r.draft,
                    prerelease: r.prerelease,
                    created_at: r.created_at,
                    published_at: r.published_at,
                    make_latest,
                },
            );
        }
        let mut assets = BTreeMap::new();
        for a in self.assets {
            if !releases.contains_key(&a.release_id) {
                return Err(format!(
                    "asset `{}` names unknown release `{}`",
                    a.id, a.release_id
                ));
            }
            assets.insert(
                a.id,
                Asset {
                    id: a.id,
                    release_id: a.release_id,
                    name: a.name,
                    label: a.label,
                    size: a.size,
                    state: if a.uploaded {
                        AssetState::Uploaded
                    } else {
                        AssetState::Open
                    },
                    digest: a.digest,
                    content_type: a.content_type,
                    created_at: a.created_at,
                    updated_at: a.updated_at,
                    download_count: a.download_count,
                },
            );
        }
        let highest = releases.keys().chain(assets.keys()).max().copied();
        if highest.is_some_and(|h| h >= self.next_id) {
            return Err(format!(
                "next id `{}` is not above every stored id",
                self.next_id
            ));
        }
        st.repos = repos;
        st.default_repo = self.default_repo;
        st.releases = releases;
        st.assets = assets;
        st.next_id = self.next_id;
        st.clock = st.clock.max(self.clock);
        st.download_mode = if self.direct_downloads {
            DownloadMode::Direct
        } else {
            DownloadMode::Redirect
        };
        Ok(())
    }

    /// Reads a snapshot file; `Ok(None)` when there is none yet (a fresh state directory).
    pub fn read(path: &Path) -> Result<Option<Self>, SnapshotError> {
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SnapshotError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let invalid = |reason: String| SnapshotError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let snap: Self = serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
        if snap.format != FORMAT {
            return Err(invalid(format!(
                "format `{}`, expected `{FORMAT}`",
                snap.format
            )));
        }
        Ok(Some(snap))
    }

    /// Writes the snapshot to `path` atomically (a temporary file renamed into place), so a
    /// server killed mid-write leaves the previous snapshot, never half of one.
    pub fn write(&self, path: &Path) -> Result<(), SnapshotError> {
        let io = |source| SnapshotError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        std::io::Write::write_all(&mut tmp, &text).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        tmp.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }
}

impl FakeGitHub {
    /// The durable part of the fake's state right now (compare two to see whether it changed).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.state())
    }

    /// Replaces the fake's repositories, releases, assets, tags and files with a snapshot's
    /// (the asset files must already be in the state directory). Fails, changing nothing, on a
    /// snapshot whose ids or references do not fit together.
    pub fn restore(&self, snapshot: Snapshot, origin: &Path) -> Result<(), SnapshotError> {
        snapshot
            .restore_into(&mut self.state())
            .map_err(|reason| SnapshotError::Invalid {
                path: origin.to_path_buf(),
                reason,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::{FakeConfig, ReleaseSeed};

    #[test]
    fn a_restarted_fake_keeps_releases_assets_tags_and_ids() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.json");
        let config = FakeConfig {
            state_dir: Some(dir.path().to_path_buf()),
            ..FakeConfig::default()
        };
        let first = FakeGitHub::start_with(config.clone()).unwrap();
        first.add_repo("Octo/Widgets");
        let draft = first.add_release(ReleaseSeed::new("v1.0.0").draft().body("notes"));
        let asset = first.add_asset(draft, "w-1.0.0.tar.gz", b"sdist bytes", true);
        first.add_file("main", "pyproject.toml", b"[project]\n");
        first.publish(draft);
        let saved = first.snapshot();
        saved.write(&file).unwrap();
        drop(first);

        let second = FakeGitHub::start_with(config).unwrap();
        let loaded = Snapshot::read(&file)
            .unwrap()
            .expect("the snapshot was written");
        assert_eq!(loaded, saved);
        second.restore(loaded, &file).unwrap();
        second.add_repo("octo/widgets");
        assert_eq!(
            second.snapshot(),
            saved,
            "add_repo of a known repo changes nothing"
        );
        let rel = second.release(draft).unwrap();
        assert!(!rel.draft && rel.body.as_deref() == Some("notes"));
        assert_eq!(second.assets(draft)[0].id, asset);
        assert_eq!(second.asset_bytes(asset), b"sdist bytes");
        assert_eq!(second.tags()[0].0, "v1.0.0");
        let next = second.add_release(ReleaseSeed::new("v1.1.0"));
        assert!(next > asset, "ids continue after the restored ones");
    }

    #[test]
    fn missing_files_are_empty_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("state.json");
        assert!(Snapshot::read(&file).unwrap().is_none());
        std::fs::write(&file, "{not json").unwrap();
        let err = Snapshot::read(&file).unwrap_err().to_string();
        assert!(
            err.contains("state.json`") && err.contains("hint:"),
            "{err}"
        );

        let fake = FakeGitHub::with_repo("o/r");
        fake.add_release(ReleaseSeed::new("v1"));
        let mut snap = fake.snapshot();
        snap.next_id = 1;
        let err = fake.restore(snap, &file).unwrap_err().to_string();
        assert!(err.contains("next id `1`"), "{err}");
        assert_eq!(
            fake.releases("o/r").len(),
            1,
            "a refused snapshot changes nothing"
        );

        let mut snap = fake.snapshot();
        snap.format = 99;
        snap.write(&file).unwrap();
        let err = Snapshot::read(&file).unwrap_err().to_string();
        assert!(err.contains("format `99`"), "{err}");
    }
}
