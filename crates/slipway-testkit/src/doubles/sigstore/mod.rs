//! Sigstore's public-good services as a signer meets them, on loopback: a fake Fulcio (the CA,
//! with a CT log's key for the embedded SCT) and a fake Rekor (a v1 transparency log), each on
//! a [`Server`] of its own, and the trusted root a verifier needs for them.
//!
//! - Fulcio ([`fulcio`]): `POST /api/v2/signingCert` takes a GitHub Actions OIDC token for the
//!   audience `sigstore` (see [`oidc::github_claims`](super::oidc::github_claims) and
//!   [`TokenIssuer::github`](super::oidc::TokenIssuer::github)) and a P-256 key with its proof
//!   of possession, and issues a ten-minute leaf as Fulcio does: empty subject, the workflow
//!   URI as the critical SAN, the token's claims in Fulcio's extensions (legacy 1–6, 8–22), one
//!   embedded SCT; chained to a P-256 root.
//! - Rekor ([`rekor`]): `POST /api/v1/log/entries` takes `dsse` 0.0.1 entries, checks their
//!   signatures, and answers with the canonical body, a real inclusion proof in an RFC 6962
//!   tree, a signed checkpoint and a signed entry timestamp; also `GET` of an entry by index or
//!   UUID, and the log's info and key.
//! - [`Sigstore::trusted_root_json`]: the three keys as a Sigstore `TrustedRoot` (v0.1), for
//!   `scripts/verify-attestations.py` (pypi-attestations, patched to trust it).
//!
//! Failures for the tests: [`Sigstore::set_fulcio_outage`] and [`Sigstore::set_rekor_outage`]
//! ([`Outage`]: 503s, or connections refused), and [`Sigstore::certify_as`], a Fulcio that
//! certifies another identity than the token's.
//!
//! ```no_run
//! use slipway_testkit::doubles::{oidc, sigstore::Sigstore};
//! let sigstore = Sigstore::start();
//! let claims = oidc::github_claims("octo/demo", "release.yml", "refs/tags/v1.0.0", &"a".repeat(40));
//! let github = oidc::GitHubOidc::start(oidc::TokenIssuer::github("ghs_req", &claims, &["pypi", "sigstore"]));
//! let dir = tempfile::tempdir().unwrap();
//! let root = sigstore.write_trusted_root(dir.path());
//! // … sign with FULCIO_URL = sigstore.fulcio_url(), REKOR_URL = sigstore.rekor_url(), then
//! // verify: scripts/verify-attestations.py --trusted-root {root} --repository octo/demo
//! //         --workflow release.yml DIST…
//! assert_eq!(sigstore.entries().len(), sigstore.rekor_requests().len());
//! ```

mod cert;
pub mod fulcio;
mod keys;
mod merkle;
pub mod rekor;
mod root;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use fulcio::{AUDIENCE, SIGNING_CERT_PATH};
pub use rekor::{ACTIVE_SHARD_START, ENTRIES_PATH, LogEntry, ORIGIN};
pub use root::MEDIA_TYPE;

use crate::serve::{Reply, Request, Server};

/// How a service is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Outage {
    /// Up: it answers.
    #[default]
    None,
    /// Every request gets a 503 (logged).
    Unavailable,
    /// The next `n` requests get a 503, then it answers again (a blip a retry rides out).
    UnavailableFor(usize),
    /// Its port is closed: connections are refused.
    Refused,
}

/// Unix time, seconds.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

type Handler = Arc<dyn Fn(&Request) -> Option<Reply> + Send + Sync>;

/// What the service's connections and the test's handle share.
#[derive(Default)]
struct State {
    outage: Mutex<Outage>,
    log: Mutex<Vec<Request>>,
}

impl State {
    /// A 503 when the service is unavailable, counting a blip down.
    fn unavailable(&self) -> Option<Reply> {
        let mut outage = lock(&self.outage);
        let down = match *outage {
            Outage::Unavailable => true,
            Outage::UnavailableFor(n) if n > 0 => {
                *outage = Outage::UnavailableFor(n - 1);
                true
            }
            _ => false,
        };
        down.then(|| Reply::new(503, "text/plain", "Service Unavailable"))
    }
}

/// One service on its own port; the server is dropped while connections are refused and
/// started again on the same port after.
struct Service {
    port: u16,
    url: String,
    state: Arc<State>,
    handler: Handler,
    server: Mutex<Option<Server>>,
}

impl Service {
    fn start(handler: Handler) -> Self {
        let state = Arc::<State>::default();
        let server = Self::serve(0, &state, &handler);
        let url = server.url().to_string();
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a loopback URL with a port");
        Self {
            port,
            url,
            state,
            handler,
            server: Mutex::new(Some(server)),
        }
    }

    fn serve(port: u16, state: &Arc<State>, handler: &Handler) -> Server {
        let (state, handler) = (state.clone(), handler.clone());
        Server::start_on(port, move |req| {
            lock(&state.log).push(req.clone());
            if let Some(reply) = state.unavailable() {
                return reply;
            }
            handler(req).unwrap_or_else(|| {
                Reply::new(
                    404,
                    "text/plain",
                    format!("no route {} {}", req.method, req.path),
                )
            })
        })
    }

    fn set_outage(&self, outage: Outage) {
        *lock(&self.state.outage) = outage;
        let mut server = lock(&self.server);
        if outage == Outage::Refused {
            // Dropping the server closes its port and every connection open on it.
            server.take();
        } else if server.is_none() {
            *server = Some(Self::serve(self.port, &self.state, &self.handler));
        }
    }

    fn requests(&self) -> Vec<Request> {
        lock(&self.state.log).clone()
    }
}

/// A running fake Fulcio and fake Rekor (see the [module docs](self)); they stop when dropped.
pub struct Sigstore {
    fulcio: Arc<fulcio::Fulcio>,
    rekor: Arc<rekor::Rekor>,
    fulcio_service: Service,
    rekor_service: Service,
}

impl std::fmt::Debug for Sigstore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sigstore")
            .field("fulcio", &self.fulcio_url())
            .field("rekor", &self.rekor_url())
            .finish_non_exhaustive()
    }
}

impl Sigstore {
    /// Starts both services on free loopback ports, with fresh keys (a CA root valid from a day
    /// ago, a CT log key, a log key) and an empty log.
    pub fn start() -> Self {
        let yesterday = now() - 86_400;
        let fulcio = Arc::new(fulcio::Fulcio {
            ca: cert::Ca::new(yesterday),
            ct_key: keys::random_key(),
            impostor: Mutex::default(),
        });
        let rekor = Arc::new(rekor::Rekor::new());
        let answering = fulcio.clone();
        let fulcio_service = Service::start(Arc::new(move |req| answering.answer(req)));
        let answering = rekor.clone();
        let rekor_service = Service::start(Arc::new(move |req| answering.answer(req)));
        Self {
            fulcio,
            rekor,
            fulcio_service,
            rekor_service,
        }
    }

    /// Fulcio's base URL, `http://127.0.0.1:PORT` (it serves [`SIGNING_CERT_PATH`]).
    pub fn fulcio_url(&self) -> &str {
        &self.fulcio_service.url
    }

    /// Rekor's base URL, `http://127.0.0.1:PORT` (it serves [`ENTRIES_PATH`]).
    pub fn rekor_url(&self) -> &str {
        &self.rekor_service.url
    }

    /// The trusted root for these services (Sigstore's `TrustedRoot`, [`MEDIA_TYPE`]): the CA
    /// root, the log's key as `tlogs`, the CT log's key as `ctlogs`, all valid since the CA
    /// root's start (a day before [`Sigstore::start`]).
    pub fn trusted_root(&self) -> serde_json::Value {
        root::trusted_root(&root::Parts {
            fulcio_url: self.fulcio_url(),
            rekor_url: self.rekor_url(),
            ca_der: &self.fulcio.ca.der,
            rekor_key: self.rekor.key.verifying_key(),
            ct_key: self.fulcio.ct_key.verifying_key(),
            start: self.fulcio.ca.not_before,
        })
    }

    /// [`Sigstore::trusted_root`] as JSON text.
    pub fn trusted_root_json(&self) -> String {
        serde_json::to_string_pretty(&self.trusted_root()).expect("JSON")
    }

    /// Writes the trusted root to `dir/trusted_root.json` and returns that path; panics if it
    /// cannot.
    pub fn write_trusted_root(&self, dir: impl AsRef<Path>) -> PathBuf {
        let path = dir.as_ref().join("trusted_root.json");
        std::fs::write(&path, self.trusted_root_json())
            .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// The CA root certificate, PEM (the last certificate of every chain Fulcio answers).
    pub fn ca_pem(&self) -> String {
        self.fulcio.ca.pem()
    }

    /// The log's public key, PEM (what `GET /api/v1/log/publicKey` answers).
    pub fn rekor_public_key_pem(&self) -> String {
        keys::spki_pem(self.rekor.key.verifying_key())
    }

    /// The log's id, lowercase hex (`logID` in its answers: `SHA256` of its key's SPKI).
    pub fn rekor_log_id(&self) -> String {
        hex::encode(self.rekor.log_id())
    }

    /// Every request Fulcio received (while it was up or answering 503s), in order.
    pub fn fulcio_requests(&self) -> Vec<Request> {
        self.fulcio_service.requests()
    }

    /// Every request Rekor received (while it was up or answering 503s), in order.
    pub fn rekor_requests(&self) -> Vec<Request> {
        self.rekor_service.requests()
    }

    /// Every entry logged so far, in log order.
    pub fn entries(&self) -> Vec<LogEntry> {
        self.rekor.entries()
    }

    /// Takes Fulcio down (or brings it back with [`Outage::None`]).
    pub fn set_fulcio_outage(&self, outage: Outage) {
        self.fulcio_service.set_outage(outage);
    }

    /// Takes Rekor down (or brings it back with [`Outage::None`]).
    pub fn set_rekor_outage(&self, outage: Outage) {
        self.rekor_service.set_outage(outage);
    }

    /// `Some(claims)`: from now on Fulcio certifies the identity in `claims` (GitHub OIDC
    /// claims, e.g. [`oidc::github_claims`](super::oidc::github_claims) of another workflow or
    /// repository) instead of the token's, once the token and the proof of possession pass as
    /// usual: a CA gone wrong, whose attestations must fail verification for the expected
    /// publisher. `None`: the token's identity again.
    pub fn certify_as(&self, claims: Option<serde_json::Value>) {
        *lock(&self.fulcio.impostor) = claims;
    }
}
