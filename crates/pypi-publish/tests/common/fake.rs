//! A small HTTP/1.1 server on loopback for fakes (an index with fault injection, an OIDC token
//! endpoint) that records every request, plus a blocking client and a multipart parser.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (empty when the connection was reset on purpose).
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The multipart form's parts, `(name, value)`; `content` as lossy text.
    pub fn form(&self) -> Vec<(String, Vec<u8>)> {
        let ct = self.header("content-type").unwrap_or_default();
        let boundary = ct
            .split("boundary=")
            .nth(1)
            .unwrap_or_default()
            .trim_matches('"');
        parse_multipart(&self.body, boundary)
    }

    /// The text form fields (everything but `content`).
    pub fn fields(&self) -> Vec<(String, String)> {
        self.form()
            .into_iter()
            .filter(|(k, _)| k != "content")
            .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
            .collect()
    }
}

/// Bodies larger than this are read and dropped, then answered 200.
pub const BIG_BODY: usize = 64 * 1024 * 1024;

/// What the handler answers.
pub enum Reply {
    /// Answer with status, headers and body.
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
}

type Handler = Box<dyn FnMut(&Request) -> Reply + Send>;

/// A fake server; its handler sees each request (head and body) and decides the reply.
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    requests: Arc<Mutex<Vec<Request>>>,
    resets: Arc<std::sync::atomic::AtomicUsize>,
}

impl Fake {
    /// Starts serving on a free loopback port, one connection at a time, until the test ends.
    pub fn start(handler: impl FnMut(&Request) -> Reply + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let resets = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let pending = resets.clone();
        let handler: Arc<Mutex<Handler>> = Arc::new(Mutex::new(Box::new(handler)));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                // One thread per connection: clients keep idle connections open.
                let (handler, seen, pending) = (handler.clone(), seen.clone(), pending.clone());
                std::thread::spawn(move || serve(stream, &handler, &seen, &pending));
            }
        });
        Self {
            base,
            requests,
            resets,
        }
    }

    /// The next `n` upload POSTs are cut off half-way through their body (no answer).
    pub fn reset_uploads(&self, n: usize) {
        self.resets.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The upload POSTs received so far.
    pub fn uploads(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == "POST" && !r.path.starts_with("/_/"))
            .collect()
    }
}

fn serve(
    stream: TcpStream,
    handler: &Mutex<Handler>,
    seen: &Mutex<Vec<Request>>,
    resets: &std::sync::atomic::AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut request = Request {
            method,
            path,
            headers,
            body: Vec::new(),
        };
        let reset = request.method == "POST"
            && !request.path.starts_with("/_/")
            && resets
                .fetch_update(
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                    |n| n.checked_sub(1),
                )
                .is_ok();
        if reset {
            let mut half = vec![0u8; length / 2];
            reader.read_exact(&mut half)?;
            seen.lock().unwrap().push(request);
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return Ok(());
        }
        if length > BIG_BODY {
            // Big uploads are counted, not kept: the test process stays small too.
            let read = std::io::copy(&mut (&mut reader).take(length as u64), &mut std::io::sink())?;
            request
                .headers
                .push(("x-received".into(), read.to_string()));
            seen.lock().unwrap().push(request);
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nOK")?;
            continue;
        }
        let mut buf = vec![0u8; length];
        reader.read_exact(&mut buf)?;
        request.body = buf;
        seen.lock().unwrap().push(request.clone());
        let Reply::With(status, headers, body) = (handler.lock().unwrap())(&request);
        let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body)?;
        stream.flush()?;
    }
}

/// Splits a multipart/form-data body into `(name, bytes)` parts.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(String, Vec<u8>)> {
    let delim = format!("--{boundary}");
    let mut parts = Vec::new();
    let positions: Vec<usize> = body
        .windows(delim.len())
        .enumerate()
        .filter(|(_, w)| *w == delim.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delim.len() + 2..pair[1] - 2];
        let split = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&part[..split]);
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_string();
        parts.push((name, part[split + 4..].to_vec()));
    }
    parts
}

/// sha256 of bytes, hex.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A fake index: accepts uploads at `/legacy/` (remembering each file's bytes), lists them at
/// `/simple/<name>/` as PEP 691 JSON, and answers duplicates like PyPI (400 "File already
/// exists"). `before` may intercept any request first (faults, auth checks).
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
            let listed: Vec<serde_json::Value> = files
                .lock()
                .unwrap()
                .iter()
                .map(|(f, sha)| serde_json::json!({"filename": f, "url": format!("/files/{f}"), "hashes": {"sha256": sha}}))
                .collect();
            if listed.is_empty() {
                return Reply::new(404, "text/plain", "not found");
            }
            let body = serde_json::json!({"meta": {"api-version": "1.0"}, "files": listed});
            return Reply::new(200, "application/vnd.pypi.simple.v1+json", body.to_string());
        }
        Reply::new(
            404,
            "text/plain",
            format!("no route {} {}", req.method, req.path),
        )
    })
}

/// Records an upload request's file in the fake index's list and returns the reply PyPI gives.
pub fn accept_upload(files: &Mutex<Vec<(String, String)>>, req: &Request) -> Reply {
    let form = req.form();
    let Some((_, content)) = form.iter().find(|(k, _)| k == "content") else {
        return Reply::new(400, "text/plain", "no content");
    };
    let head = String::from_utf8_lossy(&req.body[..req.body.len().min(100_000)]).into_owned();
    let filename = head
        .split("filename=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string();
    let mut files = files.lock().unwrap();
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

/// A blocking request with an optional Basic auth (setup of real servers); returns status and body.
pub fn http(
    method: &str,
    url: &str,
    auth: Option<(&str, &str)>,
    body: &str,
    timeout: Duration,
) -> std::io::Result<(u16, String)> {
    use base64::Engine as _;
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(timeout))?;
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\naccept: application/json\r\ncontent-length: {}\r\n",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    if let Some((u, p)) = auth {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        head.push_str(&format!("authorization: Basic {token}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, response))
}

/// The API token the fake-index tests publish with.
pub const TOKEN: &str = "pypi-AgEIcHlwaS5vcmcfaketoken0123456789";

/// Runs pypi-publish against `index` with the dists in `dir`, the token as password and `extra`
/// inputs (replacing defaults of the same name); asserts the token leaked nowhere.
pub fn publish(index: &Fake, dir: &std::path::Path, extra: &[(&str, &str)]) -> super::Outcome {
    let upload = format!("{}/legacy/", index.base);
    let simple = format!("{}/simple/", index.base);
    let mut inputs = vec![
        ("packages-dir", dir.to_str().unwrap()),
        ("repository-url", upload.as_str()),
        ("index-url", simple.as_str()),
        ("password", TOKEN),
    ];
    for (k, v) in extra {
        inputs.retain(|(name, _)| name != k);
        inputs.push((k, v));
    }
    let out = super::run(&inputs, &[]);
    assert!(!out.leaks(TOKEN), "token leaked:\n{}", out.all_text());
    out
}
