//! A stateful fake of GitHub's REST API for releases, tags, contents and issues, faithful to the
//! documented behaviour slipway relies on, with fault injection and a request log.
//!
//! It listens on three local ports like github.com's three hosts: the API, the uploads host
//! named in each release's `upload_url`, and a storage host that asset downloads redirect to.
//! It runs on its own thread with its own runtime, so plain synchronous tests that spawn
//! binaries can use it; dropping it stops it. Asset bytes live in files, never whole in memory.
//!
//! ```no_run
//! use slipway_testkit::github::{FakeGitHub, ReleaseSeed};
//! let fake = FakeGitHub::with_repo("octo/widgets");
//! let id = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
//! fake.add_asset(id, "widgets-1.0.0.tar.gz", b"bytes", true);
//! // … run a binary against fake.api_url() with fake.token() …
//! assert!(fake.unexpected_requests().is_empty());
//! ```

mod api;
mod ctx;
mod environments;
mod exchange;
mod fault;
mod issue_store;
mod issues;
mod log;
mod model;
mod route;
mod server;
mod snapshot;
mod transfer;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

pub use environments::EnvironmentRule;
pub use exchange::Exchange;
pub use fault::{Fault, FaultAction, Match};
pub use issue_store::{Issue, IssueComment, IssueSeed};
pub use log::{RequestRecord, max_concurrency};
pub use model::{
    Asset, AssetState, DownloadMode, MakeLatest, Release, ReleaseSeed, github_asset_name, rfc3339,
};
pub use route::{Host, RouteKind};
pub use snapshot::{Snapshot, SnapshotError};

use crate::serve::{self, Background};
use model::{State, Urls, asset_path};

/// State shared by the server tasks and the test's handle.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    urls: Urls,
    /// Directory holding asset files.
    dir: PathBuf,
}

impl Shared {
    /// Locks the state; a panic in another holder does not make the fake unusable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How to start a fake; [`FakeConfig::default`] is what [`FakeGitHub::start`] uses.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The only token the API accepts.
    pub token: String,
    /// API port (`0`: any free port). The uploads and storage hosts always take free ports.
    pub port: u16,
    /// Directory for asset files (`None`: a temporary directory removed on drop).
    pub state_dir: Option<PathBuf>,
    /// Immutable releases (GitHub's repository setting): once published, a release's assets
    /// can be neither added nor deleted, and its tag can never be used again after the release
    /// is deleted (422 in both cases). See [`FakeGitHub::set_immutable_releases`].
    pub immutable_releases: bool,
    /// The base URLs the fake writes into its answers for its API, uploads and storage hosts,
    /// instead of its own: a proxy in front of it (the WAN benchmark's throttling proxy), so
    /// every request a client makes from those answers crosses the proxy too.
    pub public_urls: Option<[String; 3]>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            token: FakeGitHub::DEFAULT_TOKEN.to_string(),
            port: 0,
            state_dir: None,
            immutable_releases: false,
            public_urls: None,
        }
    }
}

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A listener could not bind.
    #[error("cannot listen on `127.0.0.1:{port}`\nhint: pick another port, or 0 for any free one")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The state directory could not be created.
    #[error("cannot create the state directory `{}`", path.display())]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server thread could not start its runtime.
    #[error("cannot start the fake's runtime")]
    Runtime(#[source] std::io::Error),
}

/// A running fake GitHub; see the [module docs](self). Stops when dropped.
#[derive(Debug)]
pub struct FakeGitHub {
    shared: Arc<Shared>,
    /// Where it listens (the same as its answers' URLs unless [`FakeConfig::public_urls`]).
    bound: Urls,
    /// Stops the server thread when dropped (before the state directory goes).
    _background: Background,
    _temp: Option<tempfile::TempDir>,
}

impl FakeGitHub {
    /// The token a default fake accepts (shaped like an Actions token, so masking code sees a
    /// realistic value).
    pub const DEFAULT_TOKEN: &'static str = "ghs_FakeT0kenForSlipwayTests0123456789";

    /// Starts a fake with no repositories and [`Self::DEFAULT_TOKEN`]; panics if it cannot
    /// (tests have nothing better to do).
    pub fn start() -> Self {
        Self::start_with(FakeConfig::default()).expect("start the fake GitHub")
    }

    /// Starts a fake with one repository, which becomes the default for seeding helpers.
    pub fn with_repo(slug: &str) -> Self {
        let fake = Self::start();
        fake.add_repo(slug);
        fake
    }

    /// Starts a fake from a configuration (the standalone binary uses this).
    pub fn start_with(config: FakeConfig) -> Result<Self, StartError> {
        let bind =
            |port: u16| serve::bind(port).map_err(|source| StartError::Bind { port, source });
        let ((api, api_url), (uploads, uploads_url), (storage, storage_url)) =
            (bind(config.port)?, bind(0)?, bind(0)?);
        let bound = Urls {
            api: api_url,
            uploads: uploads_url,
            storage: storage_url,
        };
        let urls = match config.public_urls {
            Some([api, uploads, storage]) => Urls {
                api,
                uploads,
                storage,
            },
            None => bound.clone(),
        };
        let (temp, dir) = match config.state_dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir).map_err(|source| StartError::StateDir {
                    path: dir.clone(),
                    source,
                })?;
                (None, dir)
            }
            None => {
                let t = tempfile::Builder::new()
                    .prefix("slipway-fake-github-")
                    .tempdir()
                    .map_err(|source| StartError::StateDir {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                let dir = t.path().to_path_buf();
                (Some(t), dir)
            }
        };
        let mut state = State::new(config.token);
        state.immutable = config.immutable_releases;
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            urls,
            dir,
        });
        let s = shared.clone();
        let background = Background::spawn("fake-github", move || async move {
            tokio::select! {
                _ = server::serve(api, Host::Api, s.clone()) => {}
                _ = server::serve(uploads, Host::Uploads, s.clone()) => {}
                _ = server::serve(storage, Host::Storage, s.clone()) => {}
            }
        })
        .map_err(StartError::Runtime)?;
        Ok(Self {
            shared,
            bound,
            _background: background,
            _temp: temp,
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// The API base URL (`http://127.0.0.1:PORT`), for `GITHUB_API_URL` / the `api-url` input.
    pub fn api_url(&self) -> &str {
        &self.shared.urls.api
    }

    /// The web base URL (for `GITHUB_SERVER_URL`); the API origin doubles as the web server.
    pub fn server_url(&self) -> &str {
        &self.shared.urls.api
    }

    /// Where the API, uploads and storage hosts listen: the URLs in its answers unless
    /// [`FakeConfig::public_urls`] put a proxy in front.
    pub fn bound_urls(&self) -> [&str; 3] {
        [&self.bound.api, &self.bound.uploads, &self.bound.storage]
    }

    /// The uploads host base URL (as in each release's `upload_url`).
    pub fn uploads_url(&self) -> &str {
        &self.shared.urls.uploads
    }

    /// The storage host base URL that asset downloads redirect to.
    pub fn storage_url(&self) -> &str {
        &self.shared.urls.storage
    }

    /// The token the fake accepts.
    pub fn token(&self) -> String {
        self.state().token.clone()
    }

    /// Replaces the accepted token (requests with the old one then get 401).
    pub fn set_token(&self, token: &str) {
        self.state().token = token.to_string();
    }

    /// Adds a repository `owner/name`; the first one added is the default for seeding helpers.
    pub fn add_repo(&self, slug: &str) {
        self.state().add_repo(slug);
    }

    /// The default repository (`owner/name`); panics when none was added.
    pub fn default_repo(&self) -> String {
        self.state().resolve_repo(None)
    }

    /// Chooses how API asset downloads answer: a 302 to storage (default) or 200 with bytes.
    pub fn set_download_mode(&self, mode: DownloadMode) {
        self.state().download_mode = mode;
    }

    /// Seeds a release and returns its id; published ones get their tag created.
    pub fn add_release(&self, seed: ReleaseSeed) -> u64 {
        let mut st = self.state();
        let repo = st.resolve_repo(seed.repo.as_deref());
        let id = st.next_id();
        let created_at = match seed.created_at {
            Some(t) => t,
            None => st.tick(),
        };
        let target = seed.target.unwrap_or_else(|| "main".into());
        st.releases.insert(
            id,
            Release {
                id,
                repo: repo.clone(),
                tag_name: seed.tag.clone(),
                target_commitish: target.clone(),
                name: seed.name,
                body: seed.body,
                draft: seed.draft,
                prerelease: seed.prerelease,
                created_at,
                published_at: (!seed.draft).then(|| seed.published_at.unwrap_or(created_at)),
                make_latest: seed.make_latest,
            },
        );
        if !seed.draft {
            st.ensure_tag(&repo, &seed.tag, &target);
            st.apply_make_latest(id);
            if st.immutable {
                st.immutable_releases.insert(id);
            }
        }
        id
    }

    /// Turns GitHub's immutable releases on or off for releases published from now on (see
    /// [`FakeConfig::immutable_releases`]).
    pub fn set_immutable_releases(&self, on: bool) {
        self.state().immutable = on;
    }

    /// True when the release was published as an immutable one.
    pub fn is_immutable(&self, release_id: u64) -> bool {
        self.state().is_immutable(release_id)
    }

    /// Tags of deleted immutable releases in the default repository: never usable again.
    pub fn burned_tags(&self) -> Vec<String> {
        let st = self.state();
        let repo = st.resolve_repo(None).to_ascii_lowercase();
        st.burned_tags
            .iter()
            .filter(|(r, _)| *r == repo)
            .map(|(_, t)| t.clone())
            .collect()
    }

    /// Seeds an `uploaded` asset (name renamed as GitHub does); `with_digest: false` makes it
    /// look like an asset from before GitHub recorded digests. Returns its id.
    pub fn add_asset(&self, release_id: u64, name: &str, bytes: &[u8], with_digest: bool) -> u64 {
        use sha2::Digest;
        let mut st = self.state();
        assert!(
            st.releases.contains_key(&release_id),
            "no release `{release_id}` in the fake"
        );
        let id = st.next_id();
        let now = st.tick();
        std::fs::write(asset_path(&self.shared.dir, id), bytes).expect("write the asset file");
        let digest =
            with_digest.then(|| format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes))));
        st.assets.insert(
            id,
            Asset {
                id,
                release_id,
                name: github_asset_name(name),
                label: None,
                size: bytes.len() as u64,
                state: AssetState::Uploaded,
                digest,
                content_type: "application/octet-stream".into(),
                created_at: now,
                updated_at: now,
                download_count: 0,
            },
        );
        id
    }

    /// Seeds a tag `name` → commit `sha` in the default repository.
    pub fn add_tag(&self, name: &str, sha: &str) {
        let mut st = self.state();
        let repo = st.resolve_repo(None);
        let r = st.repo_mut(&repo).expect("default repository");
        r.tags.retain(|(n, _)| n != name);
        r.tags.push((name.to_string(), sha.to_string()));
    }

    /// Seeds a commit `sha` of the default repository with its committer time (ISO 8601 with an
    /// offset, kept as given), for `GET /repos/{o}/{r}/commits/{ref}`.
    pub fn add_commit(&self, sha: &str, committer_date: &str) {
        let mut st = self.state();
        let repo = st.resolve_repo(None);
        st.repo_mut(&repo)
            .expect("default repository")
            .commits
            .insert(sha.to_string(), committer_date.to_string());
    }

    /// Seeds a file at a ref (branch, tag or commit sha) of the default repository, for the
    /// contents API.
    pub fn add_file(&self, git_ref: &str, path: &str, bytes: &[u8]) {
        let mut st = self.state();
        let repo = st.resolve_repo(None);
        st.repo_mut(&repo)
            .expect("default repository")
            .files
            .insert(
                (git_ref.to_string(), path.trim_matches('/').to_string()),
                bytes.to_vec(),
            );
    }

    /// The releases of `repo`, newest first (as the list endpoint orders them).
    pub fn releases(&self, repo: &str) -> Vec<Release> {
        self.state()
            .releases_of(repo)
            .into_iter()
            .cloned()
            .collect()
    }

    /// One release by id.
    pub fn release(&self, id: u64) -> Option<Release> {
        self.state().releases.get(&id).cloned()
    }

    /// The assets of a release, oldest first, including unfinished (`open`) ones.
    pub fn assets(&self, release_id: u64) -> Vec<Asset> {
        self.state()
            .assets_of(release_id)
            .into_iter()
            .cloned()
            .collect()
    }

    /// The bytes stored for an asset (read from disk; use [`Self::asset_path`] for big ones).
    pub fn asset_bytes(&self, asset_id: u64) -> Vec<u8> {
        std::fs::read(self.asset_path(asset_id)).unwrap_or_default()
    }

    /// The file holding an asset's bytes.
    pub fn asset_path(&self, asset_id: u64) -> PathBuf {
        asset_path(&self.shared.dir, asset_id)
    }

    /// Records the size of an asset's file after a test wrote the file directly (a big sparse
    /// file), as GitHub would have recorded it at upload.
    pub fn sync_asset_size(&self, asset_id: u64) {
        let size = std::fs::metadata(self.asset_path(asset_id))
            .map(|m| m.len())
            .unwrap_or(0);
        if let Some(a) = self.state().assets.get_mut(&asset_id) {
            a.size = size;
        }
    }

    /// The directory holding asset files.
    pub fn state_dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Tags of the default repository, oldest first, as `(name, sha)`.
    pub fn tags(&self) -> Vec<(String, String)> {
        let st = self.state();
        let repo = st.resolve_repo(None);
        st.repo(&repo).map(|r| r.tags.clone()).unwrap_or_default()
    }

    /// Publishes a draft as a maintainer would in the web UI (creates its tag); panics for an
    /// unknown id.
    pub fn publish(&self, release_id: u64) {
        self.state()
            .publish(release_id)
            .unwrap_or_else(|| panic!("no release `{release_id}` in the fake"));
    }

    /// Arms a fault; faults are checked in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        self.state()
            .faults
            .push(fault::ArmedFault { fault, seen: 0 });
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.state().faults.clear();
    }

    /// Every finished request so far (admin routes excluded), in the order they ended.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state().log.clone()
    }

    /// Requests that matched no endpoint (answered 404): a test should expect none.
    pub fn unexpected_requests(&self) -> Vec<RequestRecord> {
        self.state()
            .log
            .iter()
            .filter(|r| r.route == RouteKind::Unexpected)
            .cloned()
            .collect()
    }

    /// Finished requests of one route kind.
    pub fn requests_to(&self, route: RouteKind) -> Vec<RequestRecord> {
        self.state()
            .log
            .iter()
            .filter(|r| r.route == route)
            .cloned()
            .collect()
    }

    /// Empties the request log (e.g. between a seeding phase and the phase under test).
    pub fn clear_requests(&self) {
        self.state().log.clear();
    }

    /// From now on, also records every exchange whole: headers and bodies (up to 1 MiB each).
    /// Off by default: only tests that check the wire format need it.
    pub fn capture_exchanges(&self) {
        self.state().capture = true;
    }

    /// The exchanges recorded since [`Self::capture_exchanges`], in the order they ended.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.state().exchanges.clone()
    }
}
