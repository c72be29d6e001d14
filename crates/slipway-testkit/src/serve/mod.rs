//! The one HTTP server stack of the well-behaved test doubles.
//!
//! Which stack is for what:
//! - **`serve`** (this module), on hyper: every double that speaks correct HTTP/1.1 — the
//!   [fake GitHub](crate::github), the [package index and the OIDC endpoints](crate::doubles),
//!   and the next ones. It binds a loopback port, accepts in a loop, serves each connection in a
//!   task of its own with keep-alive, and runs on a thread with its own runtime, so synchronous
//!   tests that spawn binaries can use it. Faults stay at the HTTP level: a chosen answer, a
//!   delay, or a connection dropped half-way through a body without an answer ([`Conn::abort`]).
//! - **[`hostile`](crate::hostile)**, on a raw tokio wire: misbehaviour a correct server cannot
//!   produce (drips, stalls, malformed heads, endless bodies, lying lengths). It writes the bytes
//!   itself and shares nothing with this module.
//!
//! Two levels:
//! - [`accept`] serves an async hyper service on a listener (one task a connection) and
//!   [`Background`] runs the accept loops on their own thread; the fake GitHub uses these, with
//!   its own streamed bodies, routing and faults.
//! - [`Server`] is a recorded double over them: a synchronous handler
//!   (`FnMut(&Request) -> Reply`) sees every request whole, every request is logged
//!   ([`Request`]: method, path with query, lower-cased headers, body, big bodies counted and
//!   not kept), and [`Server::cut_bodies`] drops the connections of chosen requests half-way
//!   through their bodies. A new double is a small file: a handler and a struct holding a
//!   `Server` (see [`crate::doubles`]).
//!
//! ```no_run
//! use slipway_testkit::serve::{Reply, Server};
//! let server = Server::start(|req| match req.path.as_str() {
//!     "/ping" => Reply::new(200, "text/plain", "pong"),
//!     _ => Reply::new(404, "text/plain", "not found"),
//! });
//! // … run a binary against server.url() …
//! assert!(server.requests().iter().all(|r| r.method == "GET"));
//! ```

mod double;
mod form;

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::{Notify, oneshot};

pub use double::{BIG_BODY, Reply, Request, Server};

/// The largest number of `(start, end)` intervals that overlap at one moment (requests in
/// flight at once); intervals that only touch do not overlap.
pub fn most_at_once(
    intervals: impl IntoIterator<Item = (std::time::Instant, std::time::Instant)>,
) -> usize {
    let mut events: Vec<(std::time::Instant, i32)> = Vec::new();
    for (start, end) in intervals {
        events.push((start, 1));
        events.push((end, -1));
    }
    // Ends sort before starts at the same instant.
    events.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        most = most.max(now);
    }
    usize::try_from(most).unwrap_or(0)
}
pub use form::{parse_multipart, quoted};

/// The error type bodies and services may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Binds `127.0.0.1:port` (`0`: any free port), non-blocking, ready for [`accept`]; returns the
/// listener and its base URL `http://127.0.0.1:PORT`.
pub fn bind(port: u16) -> std::io::Result<(TcpListener, String)> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok((listener, url))
}

/// A connection's handle, given to the service with each request: [`Conn::abort`] drops the
/// whole connection without an answer (a reset, as a network failure looks to the client).
#[derive(Debug, Clone, Default)]
pub struct Conn(Arc<Notify>);

impl Conn {
    /// Drops the connection; a request still being answered on it never gets its answer.
    pub fn abort(&self) {
        self.0.notify_one();
    }
}

/// Serves `service` on `listener` until the future is dropped: one task a connection, HTTP/1.1
/// with keep-alive. A service that returns an error, or calls [`Conn::abort`], closes its
/// connection without answering; dropping a connection with unread input makes the kernel send
/// a reset. Must run inside a tokio runtime (e.g. in [`Background::spawn`]).
pub async fn accept<S, F, B, E>(listener: TcpListener, service: S)
where
    S: Fn(hyper::Request<Incoming>, Conn) -> F + Clone + Send + 'static,
    F: Future<Output = Result<hyper::Response<B>, E>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    E: Into<BoxError>,
{
    let listener = tokio::net::TcpListener::from_std(listener).expect("register a listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let service = service.clone();
        tokio::spawn(async move {
            let conn = Conn::default();
            let handle = conn.clone();
            let service = hyper::service::service_fn(move |req| service(req, handle.clone()));
            let served = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = served => {}
                _ = conn.0.notified() => {}
            }
        });
    }
}

/// A server thread with its own single-threaded runtime; dropping it stops the work and closes
/// every connection still open.
#[derive(Debug)]
pub struct Background {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Runs the future `work()` makes (called on the new thread, inside its runtime, so it may
    /// register listeners) until it ends or this handle is dropped.
    pub fn spawn<W, F>(name: &str, work: W) -> std::io::Result<Self>
    where
        W: FnOnce() -> F + Send + 'static,
        F: Future<Output = ()>,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        _ = work() => {}
                        _ = rx => {}
                    }
                });
                // Dropping the runtime here cancels every connection still open.
            })?;
        Ok(Self {
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
