//! A fake package index: accepts uploads at `/legacy/` (remembering each file's sha256), lists
//! them at `/simple/<name>/` as PEP 691 JSON, and answers a duplicate as PyPI does (400 "File
//! already exists"). A hook sees every request first (faults, auth checks), and
//! [`Fake::reset_uploads`] cuts uploads half-way through.
//!
//! ```no_run
//! use slipway_testkit::doubles::index::{self, Reply};
//! // Uploads without credentials get a 403; the rest are taken.
//! let fake = index::index(|req, _| {
//!     (index::Fake::is_upload(req) && req.header("authorization").is_none())
//!         .then(|| Reply::new(403, "text/plain", "no credentials"))
//! });
//! fake.reset_uploads(1);
//! // … run pypi-publish with `repository-url` = `{fake.base}/legacy/` …
//! assert_eq!(fake.uploads().iter().filter(|u| u.body.is_empty()).count(), 1);
//! ```

use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

pub use crate::serve::{BIG_BODY, Reply, Request, parse_multipart};
use crate::serve::{Server, quoted};

/// A running fake index (or any double answered by `handler`, see [`Fake::start`]); stops when
/// dropped.
#[derive(Debug)]
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    server: Server,
}

impl Fake {
    /// Starts serving on a free loopback port with `handler` deciding every reply (the index's
    /// own behaviour is [`index`]).
    pub fn start(handler: impl FnMut(&Request) -> Reply + Send + 'static) -> Self {
        let server = Server::start(handler);
        Self {
            base: server.url().to_string(),
            server,
        }
    }

    /// Whether a request is an upload: a POST outside the index's `/_/` API.
    pub fn is_upload(req: &Request) -> bool {
        req.method == "POST" && !req.path.starts_with("/_/")
    }

    /// The next `n` upload POSTs are cut off half-way through their body (no answer); they are
    /// logged with an empty body.
    pub fn reset_uploads(&self, n: usize) {
        self.server.cut_bodies(n, Self::is_upload);
    }

    /// Each upload waits `delay` before its answer, so uploads sent side by side overlap;
    /// [`Self::uploads_in_flight`] then tells how they ran.
    pub fn hold_uploads(&self, delay: std::time::Duration) {
        self.server.hold(delay, Self::is_upload);
    }

    /// Each held upload's `(arrived, answered)` times, in the order they were answered.
    pub fn uploads_in_flight(&self) -> Vec<(std::time::Instant, std::time::Instant)> {
        self.server
            .held()
            .into_iter()
            .map(|(_, start, end)| (start, end))
            .collect()
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }

    /// The upload POSTs received so far.
    pub fn uploads(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(Self::is_upload)
            .collect()
    }
}

/// sha256 of bytes, hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Starts a fake index. `before` sees each request first, with its number (from 1), and may
/// answer it instead (faults, auth checks); what it leaves goes to the index.
pub fn index(mut before: impl FnMut(&Request, usize) -> Option<Reply> + Send + 'static) -> Fake {
    let files: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut count = 0;
    Fake::start(move |req| {
        count += 1;
        if let Some(reply) = before(req, count) {
            return reply;
        }
        if req.method == "POST" && req.path.starts_with("/legacy/") {
            return accept_upload(&files, req);
        }
        if req.method == "GET" && req.path.starts_with("/simple/") {
            return listing(
                &files
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        Reply::new(
            404,
            "text/plain",
            format!("no route {} {}", req.method, req.path),
        )
    })
}

/// The project page listing `files` (`(filename, sha256)`) as PEP 691 JSON; 404 when empty.
fn listing(files: &[(String, String)]) -> Reply {
    if files.is_empty() {
        return Reply::new(404, "text/plain", "not found");
    }
    let listed: Vec<serde_json::Value> = files
        .iter()
        .map(|(f, sha)| serde_json::json!({"filename": f, "url": format!("/files/{f}"), "hashes": {"sha256": sha}}))
        .collect();
    let body = serde_json::json!({"meta": {"api-version": "1.0"}, "files": listed});
    Reply::new(200, "application/vnd.pypi.simple.v1+json", body.to_string())
}

/// Records an upload request's file in the index's list and returns the reply PyPI gives. A
/// body too big to keep ([`BIG_BODY`]) is taken unlisted.
pub fn accept_upload(files: &Mutex<Vec<(String, String)>>, req: &Request) -> Reply {
    if !req.body_kept() {
        return Reply::new(200, "text/plain", "OK");
    }
    let form = req.form();
    let Some((_, content)) = form.iter().find(|(k, _)| k == "content") else {
        return Reply::new(400, "text/plain", "no content");
    };
    let head = String::from_utf8_lossy(&req.body[..req.body.len().min(100_000)]).into_owned();
    let filename = quoted(&head, "filename").to_string();
    let mut files = files
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if files.iter().any(|(f, _)| *f == filename) {
        return Reply::new(
            400,
            "text/html",
            "<html><title>400 File already exists</title></html>",
        );
    }
    files.push((filename, sha256(content)));
    Reply::new(200, "text/plain", "OK")
}
