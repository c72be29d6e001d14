//! [`Server`]: a recorded double with a synchronous handler, on [`accept`](super::accept).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;

use super::{Background, accept, bind};

/// Bodies larger than this are read and counted ([`Request::received`]), not kept.
pub const BIG_BODY: u64 = 64 * 1024 * 1024;

/// One request as a double received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Path with query, as sent.
    pub path: String,
    /// Headers in the order received, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body; empty when it was bigger than [`BIG_BODY`] or its connection was cut on
    /// purpose ([`Server::cut_bodies`]).
    pub body: Vec<u8>,
    /// How many body bytes were read (all of them, unless the connection was cut).
    pub received: u64,
}

impl Request {
    /// A header's value (`name` lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the whole body is in [`Self::body`] (not counted only, not cut).
    pub fn body_kept(&self) -> bool {
        self.body.len() as u64 == self.received
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The multipart form's parts, `(name, bytes)`, in order.
    pub fn form(&self) -> Vec<(String, Vec<u8>)> {
        let ct = self.header("content-type").unwrap_or_default();
        let boundary = ct
            .split("boundary=")
            .nth(1)
            .unwrap_or_default()
            .trim_matches('"');
        super::parse_multipart(&self.body, boundary)
    }

    /// The multipart form's text fields (every part but `content`); panics on a value that is
    /// not UTF-8.
    pub fn fields(&self) -> Vec<(String, String)> {
        self.form()
            .into_iter()
            .filter(|(k, _)| k != "content")
            .map(|(k, v)| (k, String::from_utf8(v).expect("a UTF-8 form field")))
            .collect()
    }
}

/// What a handler answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Status, headers and body (`content-length` is added).
    With(u16, Vec<(String, String)>, Vec<u8>),
}

impl Reply {
    /// A reply with a content type and body.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Reply::With(
            status,
            vec![("content-type".into(), content_type.into())],
            body.into(),
        )
    }

    /// A JSON reply.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status, "application/json", value.to_string())
    }

    /// The same reply with one more header.
    #[must_use]
    pub fn with_header(self, name: &str, value: &str) -> Self {
        let Reply::With(status, mut headers, body) = self;
        headers.push((name.to_string(), value.to_string()));
        Reply::With(status, headers, body)
    }

    fn into_response(self) -> hyper::Response<Full<Bytes>> {
        let Reply::With(status, headers, body) = self;
        let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
        *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_IMPLEMENTED);
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                resp.headers_mut().append(k, v);
            }
        }
        resp
    }
}

type Handler = Box<dyn FnMut(&Request) -> Reply + Send>;
type Matcher = Box<dyn Fn(&Request) -> bool + Send>;

/// What the connection tasks and the test's handle share.
struct Shared {
    handler: Mutex<Handler>,
    log: Mutex<Vec<Request>>,
    /// How many more requests `Matcher` picks get their connection cut.
    cuts: Mutex<Option<(usize, Matcher)>>,
    /// Requests `Matcher` picks wait this long before their answer (see [`Server::hold`]).
    hold: Mutex<Option<(Duration, Matcher)>>,
    /// Each held request's path and when it arrived and was let go.
    held: Mutex<Vec<(String, Instant, Instant)>>,
}

/// Locks, whether or not a handler panicked while holding the lock (the double stays usable).
fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Whether `head`'s connection is to be cut, counting the cut.
    fn take_cut(&self, head: &Request) -> bool {
        let mut cuts = lock(&self.cuts);
        match cuts.as_mut() {
            Some((left, matches)) if *left > 0 && matches(head) => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }
}

/// Why a request got no answer: its connection was cut on purpose.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut by the double")
    }
}

impl std::error::Error for Cut {}

/// A recorded double on loopback: its handler sees each request whole (head and body) and
/// decides the reply. Serves until dropped; see the [module docs](super).
pub struct Server {
    url: String,
    shared: Arc<Shared>,
    _background: Background,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("url", &self.url).finish()
    }
}

impl Server {
    /// Starts serving on a free loopback port; panics if it cannot (tests have nothing better to
    /// do). Requests are handled one at a time, connections concurrently.
    pub fn start(handler: impl FnMut(&Request) -> Reply + Send + 'static) -> Self {
        Self::start_on(0, handler)
    }

    /// Starts serving on loopback `port` (`0`: a free one), e.g. again on the port of a server
    /// dropped to refuse connections for a while; panics if the port cannot be bound.
    pub fn start_on(port: u16, handler: impl FnMut(&Request) -> Reply + Send + 'static) -> Self {
        let (listener, url) =
            bind(port).unwrap_or_else(|e| panic!("bind loopback port {port}: {e}"));
        let shared = Arc::new(Shared {
            handler: Mutex::new(Box::new(handler)),
            log: Mutex::default(),
            cuts: Mutex::default(),
            hold: Mutex::default(),
            held: Mutex::default(),
        });
        let serving = shared.clone();
        let background = Background::spawn("test-double", move || {
            accept(listener, move |req, _| answer(serving.clone(), req))
        })
        .expect("start a test double");
        Self {
            url,
            shared,
            _background: background,
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far, in the order their bodies ended.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.log).clone()
    }

    /// The next `n` requests `matching` picks (it sees the head: the body is still empty) are
    /// cut: half their body is read (by `content-length`), the request is logged with an empty
    /// body, and the connection is dropped without an answer. Replaces any cut armed before.
    pub fn cut_bodies(&self, n: usize, matching: impl Fn(&Request) -> bool + Send + 'static) {
        *lock(&self.shared.cuts) = Some((n, Box::new(matching)));
    }

    /// Requests `matching` picks wait `delay` after their body before they are answered (other
    /// requests are answered meanwhile), so requests a client sends side by side overlap, and
    /// [`Self::held`] shows how many were in flight at once.
    pub fn hold(&self, delay: Duration, matching: impl Fn(&Request) -> bool + Send + 'static) {
        *lock(&self.shared.hold) = Some((delay, Box::new(matching)));
    }

    /// Each request [`Self::hold`] held: its path with query, when its head arrived and when it
    /// was let go, in the order they were let go.
    pub fn held(&self) -> Vec<(String, Instant, Instant)> {
        lock(&self.shared.held).clone()
    }
}

/// Reads one request, logs it and answers it with the handler's reply.
async fn answer(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Cut> {
    let arrived = Instant::now();
    let (parts, mut body) = req.into_parts();
    let mut request = Request {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.to_string(), ToString::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).trim().to_string();
                (k.as_str().to_string(), v)
            })
            .collect(),
        body: Vec::new(),
        received: 0,
    };
    let length: Option<u64> = request
        .header("content-length")
        .and_then(|v| v.parse().ok());
    if shared.take_cut(&request) {
        let half = length.unwrap_or(0) / 2;
        while request.received < half {
            match body.frame().await {
                Some(Ok(frame)) => {
                    request.received += frame.data_ref().map_or(0, |d| d.len() as u64);
                }
                _ => break,
            }
        }
        lock(&shared.log).push(request);
        return Err(Cut);
    }
    // Big uploads are counted, not kept: the test process stays small too.
    let mut keep = length.is_none_or(|n| n <= BIG_BODY);
    while let Some(frame) = body.frame().await {
        // A client that went away mid-body gets no answer (and the request no log entry).
        let frame = frame.map_err(|_| Cut)?;
        if let Some(data) = frame.data_ref() {
            request.received += data.len() as u64;
            keep &= request.received <= BIG_BODY;
            if keep {
                request.body.extend_from_slice(data);
            } else {
                request.body = Vec::new();
            }
        }
    }
    lock(&shared.log).push(request.clone());
    let delay = lock(&shared.hold)
        .as_ref()
        .and_then(|(delay, matching)| matching(&request).then_some(*delay));
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
        lock(&shared.held).push((request.path.clone(), arrived, Instant::now()));
    }
    let reply = (lock(&shared.handler))(&request);
    Ok(reply.into_response())
}
