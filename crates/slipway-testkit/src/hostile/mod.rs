//! A hostile HTTP server for tests: it black-holes, stalls, drips, sends endless bodies,
//! redirects anywhere, echoes credentials in error pages, or sits as a reverse proxy in front of
//! a real upstream (the [fake GitHub](crate::github), a pypiserver or devpi on loopback) and
//! bends its answers (looping or endless `Link` paging, repeated pages, edited JSON).
//!
//! A server answers by [`Rule`]s, tried in the order they were added; what no rule takes goes to
//! the upstream (or gets a 404 without one). As a proxy it streams bodies both ways (an upload
//! of hundreds of MB is never held whole), and rewrites the upstream's origin to its own in
//! response headers (`Location`, `Link`…) and textual bodies (JSON, HTML), so clients keep
//! talking through it; [`HostileServer::rewrite_origin`] adds more pairs (e.g. the fake's
//! storage host to a second, stalling server). Every request is logged ([`SeenRequest`]), with
//! all its headers and the start of its body, so a test can assert what reached this host; a
//! request enters the log once its body was read, before it is answered (a client that got an
//! answer finds its request there).
//!
//! Like the fake GitHub it listens on `127.0.0.1` on a free port, runs on its own thread with
//! its own runtime (plain synchronous tests that spawn binaries can use it), and stops when
//! dropped, closing every connection it held open. Start as many as a test needs.
//!
//! ```no_run
//! use std::time::Duration;
//! use slipway_testkit::github::FakeGitHub;
//! use slipway_testkit::hostile::{Behaviour, HostileServer, Paging, Rule};
//!
//! let fake = FakeGitHub::with_repo("octo/widgets");
//! let api = HostileServer::proxy(fake.api_url());
//! // The release list's `Link` always names one more page.
//! api.add(Rule::prefix("/repos/octo/widgets/releases", Behaviour::Paging(Paging::Endless)).method("GET"));
//! // Asset downloads redirect to a storage host that drips.
//! let storage = HostileServer::start();
//! storage.add(Rule::any(Behaviour::drip(vec![b'x'; 100], Duration::from_secs(1))));
//! api.rewrite_origin(fake.storage_url(), storage.url());
//! // … run a binary with `api-url` = api.url() and the fake's token …
//! assert!(!storage.saw(&fake.token()), "the token never reached the storage host");
//! assert!(api.requests().iter().all(|r| r.method == "GET"), "nothing was written");
//! ```

mod log;
mod proxy;
mod rule;
mod serve;
mod wire;

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use log::{Answer, BODY_LOG_CAP, SeenRequest};
pub use rule::{
    Behaviour, DEFAULT_DRIP_INTERVAL, EchoFormat, EndlessFraming, JsonEdit, Paging, PathMatch, Rule,
};

/// Why a hostile server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The upstream is not an `http(s)://host[:port]` origin.
    #[error(
        "invalid upstream `{0}`: not an origin\nhint: give scheme, host and port only, e.g. `http://127.0.0.1:8080`"
    )]
    Upstream(String),
    /// The listener could not bind.
    #[error("cannot listen on `127.0.0.1:0`\nhint: check that loopback networking is available")]
    Bind(#[source] std::io::Error),
    /// The server thread, its runtime or its HTTP client could not start.
    #[error("cannot start the hostile server's runtime: {0}")]
    Runtime(String),
}

/// A rule with how often it answered.
#[derive(Debug)]
struct Armed {
    rule: Rule,
    hits: u32,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Armed>,
    log: Vec<SeenRequest>,
    /// `(from, to)` origins replaced in forwarded answers.
    rewrites: Vec<(String, String)>,
}

/// What the connection tasks and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// This server's origin, `http://127.0.0.1:PORT`.
    origin: String,
    /// The upstream's origin, for a proxy.
    upstream: Option<String>,
    client: reqwest::Client,
}

/// What a request gets: the rule (if any) and its behaviour.
#[derive(Debug, Clone)]
pub(crate) struct Pick {
    pub answer: Answer,
    pub behaviour: Behaviour,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The first rule that matches and has matches left (counting this one), else the default.
    pub(crate) fn pick(&self, method: &str, target: &str) -> Pick {
        let mut st = self.lock();
        for (index, armed) in st.rules.iter_mut().enumerate() {
            let left = armed.rule.times.is_none_or(|n| armed.hits < n);
            if left && armed.rule.matches(method, target) {
                armed.hits += 1;
                return Pick {
                    answer: Answer::Rule {
                        index,
                        name: armed.rule.name.clone(),
                    },
                    behaviour: armed.rule.behaviour.clone(),
                };
            }
        }
        match self.upstream {
            Some(_) => Pick {
                answer: Answer::Upstream,
                behaviour: Behaviour::Forward,
            },
            None => Pick {
                answer: Answer::NoRule,
                behaviour: Behaviour::json(
                    404,
                    &serde_json::json!({
                        "message": "no rule of the hostile server matched",
                        "method": method,
                        "target": target,
                    }),
                ),
            },
        }
    }

    pub(crate) fn record(&self, seen: SeenRequest) {
        self.lock().log.push(seen);
    }

    pub(crate) fn rewrites(&self) -> Vec<(String, String)> {
        self.lock().rewrites.clone()
    }

    pub(crate) fn origin(&self) -> &str {
        &self.origin
    }

    pub(crate) fn upstream(&self) -> Option<&str> {
        self.upstream.as_deref()
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// A running hostile server; see the [module docs](self). Stops when dropped.
#[derive(Debug)]
pub struct HostileServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Starts a server without upstream: it answers by its rules only, and 404 otherwise.
    /// Panics if it cannot start.
    pub fn start() -> Self {
        Self::try_start(None).expect("start the hostile server")
    }

    /// Starts a reverse proxy in front of `upstream` (an origin such as the fake's
    /// `api_url()`), rewriting the upstream's origin to its own in what it forwards back.
    /// Panics if it cannot start.
    pub fn proxy(upstream: &str) -> Self {
        Self::try_start(Some(upstream)).expect("start the hostile proxy")
    }

    /// Starts a server, a proxy when `upstream` is given.
    pub fn try_start(upstream: Option<&str>) -> Result<Self, StartError> {
        let upstream = upstream.map(origin_of).transpose()?;
        let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(StartError::Bind)?;
        listener.set_nonblocking(true).map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let origin = format!("http://{addr}");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| StartError::Runtime(e.to_string()))?;
        let rewrites = upstream
            .iter()
            .map(|u| (u.clone(), origin.clone()))
            .collect();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                rewrites,
                ..State::default()
            }),
            origin,
            upstream,
            client,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StartError::Runtime(e.to_string()))?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("hostile-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener =
                        tokio::net::TcpListener::from_std(listener).expect("register the listener");
                    tokio::select! {
                        _ = serve::serve(listener, thread_shared) => {}
                        _ = rx => {}
                    }
                });
                // Dropping the runtime cancels every connection task: held connections close.
            })
            .map_err(|e| StartError::Runtime(e.to_string()))?;
        Ok(Self {
            shared,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The server's base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.shared.origin
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The upstream's origin, for a proxy.
    pub fn upstream(&self) -> Option<&str> {
        self.shared.upstream()
    }

    /// Adds a rule after the existing ones and returns its index (as in [`Answer::Rule`]).
    pub fn add(&self, rule: Rule) -> usize {
        let mut st = self.shared.lock();
        st.rules.push(Armed { rule, hits: 0 });
        st.rules.len() - 1
    }

    /// Adds a rule, builder style: `HostileServer::start().with(rule)`.
    pub fn with(self, rule: Rule) -> Self {
        self.add(rule);
        self
    }

    /// How many requests the rule at `index` answered so far.
    pub fn hits(&self, index: usize) -> u32 {
        self.shared.lock().rules.get(index).map_or(0, |a| a.hits)
    }

    /// Removes every rule (indexes start again at 0).
    pub fn clear_rules(&self) {
        self.shared.lock().rules.clear();
    }

    /// Also replaces the origin `from` by `to` in forwarded answers' header values and textual
    /// bodies (e.g. the fake's uploads host by a second hostile server's URL). Origins are
    /// compared as text: `http://127.0.0.1:8080` never matches inside `http://127.0.0.1:80801`.
    pub fn rewrite_origin(&self, from: &str, to: &str) {
        let from = from.trim_end_matches('/').to_string();
        let to = to.trim_end_matches('/').to_string();
        self.shared.lock().rewrites.push((from, to));
    }

    /// Forwards answers with the upstream's origins as they are (the client may then leave the
    /// proxy, e.g. to test that it does not follow another origin).
    pub fn stop_rewriting(&self) {
        self.shared.lock().rewrites.clear();
    }

    /// Every request read so far, in the order their bodies ended.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.lock().log.clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.lock().log.clear();
    }

    /// Waits until at least `n` requests were read, or `timeout` passed; returns the log.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> Vec<SeenRequest> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.requests();
            if log.len() >= n || Instant::now() >= deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// True when `text` occurs in any logged request's target, header values or body (see
    /// [`SeenRequest::contains`]): e.g. `!evil.saw(token)`.
    pub fn saw(&self, text: &str) -> bool {
        self.shared.lock().log.iter().any(|r| r.contains(text))
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The `scheme://host[:port]` origin of an upstream given as a URL with no path beyond `/`.
fn origin_of(upstream: &str) -> Result<String, StartError> {
    let bad = || StartError::Upstream(upstream.to_string());
    let url = url::Url::parse(upstream).map_err(|_| bad())?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !plain {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

/// A fake GitHub that accepts `token` and holds `repo`, for tests that make a server echo the
/// token back (a token with quotes and backslashes shows whether every form is redacted).
pub fn github_with_token(token: &str, repo: &str) -> crate::github::FakeGitHub {
    let fake = crate::github::FakeGitHub::start_with(crate::github::FakeConfig {
        token: token.to_string(),
        ..crate::github::FakeConfig::default()
    })
    .expect("start the fake GitHub");
    fake.add_repo(repo);
    fake
}

/// How long a run against a hostile peer may take with [`crate::harness::Harness::short_bounds`].
pub const WITHIN: Duration = Duration::from_secs(20);

/// Runs `h` and says how long it took.
pub fn timed(h: &crate::harness::Harness) -> (crate::harness::RunResult, Duration) {
    let t = Instant::now();
    let run = h.run();
    (run, t.elapsed())
}

/// A GitHub API that black-holes every request: the run `through` builds in front of it must
/// fail within [`WITHIN`], naming the silent-peer rule (`SLIPWAY_SILENT_TIMEOUT`) with a hint.
pub fn assert_black_hole_ends_in_time(
    through: impl FnOnce(&HostileServer) -> crate::harness::Harness,
) {
    let api = HostileServer::start().with(Rule::any(Behaviour::BlackHole));
    let (run, took) = timed(&through(&api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    for needle in ["`SLIPWAY_SILENT_TIMEOUT`", "hint: "] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
}

/// A GitHub API that drips a 4 KB error body at 1 byte per 100 ms: the run `through` builds in
/// front of it must fail within [`WITHIN`], naming the low-speed rule (`SLIPWAY_LOW_SPEED_LIMIT`).
pub fn assert_drip_ends_in_time(through: impl FnOnce(&HostileServer) -> crate::harness::Harness) {
    let body = format!("{{\"message\":\"{}\"}}", "x".repeat(4000));
    let api =
        HostileServer::start().with(Rule::any(Behaviour::drip(body, Duration::from_millis(100))));
    let (run, took) = timed(&through(&api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    assert!(
        run.stderr.contains("`SLIPWAY_LOW_SPEED_LIMIT`"),
        "{}",
        run.stderr
    );
}

/// A proxy in front of `fake` whose every repository call answers `status` with an error page
/// (in `format`) quoting the request's headers, the token among them.
pub fn echoing_api(
    fake: &crate::github::FakeGitHub,
    status: u16,
    format: EchoFormat,
) -> HostileServer {
    let api = HostileServer::proxy(fake.api_url());
    api.add(Rule::prefix(
        "/repos/",
        Behaviour::echo_headers(status, format),
    ));
    api
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_must_be_an_origin() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "127.0.0.1:8080",
            "ftp://h",
            "http://h/simple",
            "http://u:p@h",
        ] {
            let e = origin_of(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("hint:"),
                "{e}"
            );
        }
    }
}
