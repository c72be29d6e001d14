//! HTTP/1.1 on a raw socket: request heads parsed verbatim (names keep their case), request
//! bodies decoded (length or chunked), response heads written by hand so a behaviour can
//! control every byte and every pause.

use std::io;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::log::SeenRequest;

/// The largest request head accepted (request line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// The most body bytes handed over in one chunk.
const READ_CHUNK: usize = 64 * 1024;

/// A request head as the client sent it.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub method: String,
    /// The request target, path and query, as sent.
    pub target: String,
    pub version: String,
    /// Every header in order, names with their case, values as (lossy) text.
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of a header (name compared case-insensitively).
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How the request body is framed.
    pub(super) fn body_framing(&self) -> Result<BodyFraming, String> {
        let chunked = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
            .any(|(_, v)| v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            return Ok(BodyFraming::Chunked);
        }
        match self.header("content-length") {
            None => Ok(BodyFraming::Length(0)),
            Some(v) => v
                .trim()
                .parse()
                .map(BodyFraming::Length)
                .map_err(|_| format!("invalid content-length `{v}`")),
        }
    }

    /// True when the connection should stay open after the answer (HTTP/1.1 without
    /// `Connection: close`).
    pub(super) fn keep_alive(&self) -> bool {
        let close = self
            .header("connection")
            .is_some_and(|v| v.to_ascii_lowercase().contains("close"));
        self.version == "HTTP/1.1" && !close
    }

    /// True when the client waits for `100 Continue` before sending its body.
    pub(super) fn expects_continue(&self) -> bool {
        self.header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    }
}

/// How a request body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    Length(u64),
    Chunked,
}

/// The reading side of a connection, with what was read ahead.
#[derive(Debug)]
pub(crate) struct Reader {
    rd: OwnedReadHalf,
    buf: BytesMut,
}

/// Why no request head could be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The client closed the connection between requests.
    Closed,
    /// The bytes are not an HTTP/1.x request head.
    Malformed(String),
    /// The connection failed.
    Failed,
}

impl Reader {
    pub(super) fn new(rd: OwnedReadHalf) -> Self {
        Self {
            rd,
            buf: BytesMut::with_capacity(8 * 1024),
        }
    }

    /// Reads more bytes into the buffer; `Ok(0)` at end of stream.
    async fn fill(&mut self) -> io::Result<usize> {
        self.buf.reserve(READ_CHUNK);
        self.rd.read_buf(&mut self.buf).await
    }

    /// Reads the next request head.
    pub(super) async fn head(&mut self) -> Result<Head, HeadError> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HeadError::Malformed("request head too large".into()));
            }
            match self.fill().await {
                Ok(0) if self.buf.iter().all(u8::is_ascii_whitespace) => {
                    return Err(HeadError::Closed);
                }
                Ok(0) => return Err(HeadError::Malformed("truncated request head".into())),
                Ok(_) => {}
                Err(_) => return Err(HeadError::Failed),
            }
        };
        let raw = self.buf.split_to(end + 4);
        let text = String::from_utf8_lossy(&raw[..end]);
        // Tolerate blank lines before a request, as RFC 9112 asks.
        let mut lines = text.split("\r\n").skip_while(|l| l.is_empty());
        let request_line = lines.next().unwrap_or("");
        let mut parts = request_line.split(' ');
        let (Some(method), Some(target), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HeadError::Malformed(format!(
                "bad request line `{request_line}`"
            )));
        };
        if !version.starts_with("HTTP/1.") || method.is_empty() || target.is_empty() {
            return Err(HeadError::Malformed(format!(
                "bad request line `{request_line}`"
            )));
        }
        let mut headers = Vec::new();
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                return Err(HeadError::Malformed(format!("bad header line `{line}`")));
            };
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        Ok(Head {
            method: method.to_string(),
            target: target.to_string(),
            version: version.to_string(),
            headers,
        })
    }

    /// Reads one CRLF-terminated line (without the CRLF).
    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                let line = self.buf.split_to(i + 2);
                return Ok(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("chunk header line too long"));
            }
            if self.fill().await? == 0 {
                return Err(eof());
            }
        }
    }

    /// Up to `max` bytes of what is buffered or arrives next; fails at end of stream.
    async fn some(&mut self, max: usize) -> io::Result<Bytes> {
        if self.buf.is_empty() && self.fill().await? == 0 {
            return Err(eof());
        }
        let n = self.buf.len().min(max);
        Ok(self.buf.split_to(n).freeze())
    }
}

/// Decodes one request body from a [`Reader`], chunk by chunk.
#[derive(Debug)]
pub(crate) struct BodyReader {
    state: BodyState,
}

#[derive(Debug)]
enum BodyState {
    /// Bytes left of a length-delimited body.
    Length(u64),
    /// Chunked: bytes left in the current chunk (`None`: a chunk-size line comes next).
    Chunked(Option<u64>),
    Done,
}

impl BodyReader {
    pub(super) fn new(framing: BodyFraming) -> Self {
        let state = match framing {
            BodyFraming::Length(0) => BodyState::Done,
            BodyFraming::Length(n) => BodyState::Length(n),
            BodyFraming::Chunked => BodyState::Chunked(None),
        };
        Self { state }
    }

    /// The next piece of the body; `None` once it has been read whole.
    pub(super) async fn next(&mut self, r: &mut Reader) -> io::Result<Option<Bytes>> {
        loop {
            match &mut self.state {
                BodyState::Done => return Ok(None),
                BodyState::Length(left) => {
                    let data = r.some((*left).min(READ_CHUNK as u64) as usize).await?;
                    *left -= data.len() as u64;
                    if *left == 0 {
                        self.state = BodyState::Done;
                    }
                    return Ok(Some(data));
                }
                BodyState::Chunked(None) => {
                    let line = r.line().await?;
                    let size = line.split(';').next().unwrap_or("").trim();
                    let size = u64::from_str_radix(size, 16)
                        .map_err(|_| invalid("bad chunk size line"))?;
                    if size == 0 {
                        // Trailers, up to the empty line.
                        while !r.line().await?.is_empty() {}
                        self.state = BodyState::Done;
                        return Ok(None);
                    }
                    self.state = BodyState::Chunked(Some(size));
                }
                BodyState::Chunked(Some(left)) => {
                    let data = r.some((*left).min(READ_CHUNK as u64) as usize).await?;
                    *left -= data.len() as u64;
                    if *left == 0 {
                        if !r.line().await?.is_empty() {
                            return Err(invalid("chunk not followed by CRLF"));
                        }
                        self.state = BodyState::Chunked(None);
                    }
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// Both sides of a client's connection.
#[derive(Debug)]
pub(crate) struct Conn {
    pub r: Reader,
    pub w: Writer,
}

/// A request being answered: its head, how its body comes, and its log record so far.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub head: &'a Head,
    pub framing: BodyFraming,
    pub seen: SeenRequest,
}

/// The writing side of a connection.
#[derive(Debug)]
pub(crate) struct Writer {
    wr: OwnedWriteHalf,
}

impl Writer {
    pub(super) fn new(wr: OwnedWriteHalf) -> Self {
        Self { wr }
    }

    /// Writes and flushes `bytes`.
    pub(super) async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.wr.write_all(bytes).await?;
        self.wr.flush().await
    }

    /// Writes one chunk of a chunked body (`data` must not be empty).
    pub(super) async fn send_chunk(&mut self, data: &[u8]) -> io::Result<()> {
        let mut out = format!("{:x}\r\n", data.len()).into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        self.send(&out).await
    }

    /// Ends a chunked body.
    pub(super) async fn end_chunks(&mut self) -> io::Result<()> {
        self.send(b"0\r\n\r\n").await
    }
}

/// A response head: status line, the headers in order, the blank line.
pub(crate) fn response_head(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (k, v) in headers {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// True when `headers` has a header `name` (case-insensitively).
pub(crate) fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
}

/// Sets header `name` to `value`, replacing every earlier value.
pub(crate) fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value));
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

fn eof() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the client closed the connection mid-request",
    )
}
