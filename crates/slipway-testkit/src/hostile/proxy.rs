//! Forwarding to the upstream: bodies streamed both ways, origins rewritten in what comes back,
//! and the paging and JSON alterations of the forwarding behaviours.

use std::io;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::json;
use tokio::sync::mpsc;

use super::Shared;
use super::rule::{Behaviour, Paging};
use super::serve::respond;
use super::wire::{
    BodyFraming, BodyReader, Conn, Head, Request, Writer, response_head, set_header,
};

/// Hop-by-hop headers: they describe one connection and are never forwarded.
const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];
/// The largest textual body held to rewrite origins in; longer ones pass unchanged.
const REWRITE_CAP: usize = 8 << 20;
/// Request-body chunks in flight between the client and the upstream.
const IN_FLIGHT: usize = 4;

type Chunk = Result<Bytes, io::Error>;

/// Forwards one request to the upstream and its answer back; `Ok(true)` when the client's
/// connection can carry another request.
pub(crate) async fn forward(
    shared: &Shared,
    request: Request<'_>,
    behaviour: &Behaviour,
    conn: &mut Conn,
) -> io::Result<bool> {
    let Request {
        head,
        framing,
        mut seen,
    } = request;
    let Conn { r, w } = conn;
    let upstream = shared.upstream().unwrap_or_default();
    let rewrites = shared.rewrites();
    let no_body = head.method.eq_ignore_ascii_case("HEAD");
    let url = format!("{upstream}{}", head.target);
    let Ok(method) = reqwest::Method::from_bytes(head.method.as_bytes()) else {
        return Ok(false);
    };
    let headers = upstream_headers(head, framing, !rewrites.is_empty());
    let mut request = shared
        .client()
        .request(method, &url)
        .headers(headers.clone());
    let mut tx = None;
    if framing != BodyFraming::Length(0) {
        let (sender, rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
        let stream =
            futures_util::stream::unfold(
                rx,
                |mut rx| async move { rx.recv().await.map(|c| (c, rx)) },
            );
        request = request.body(reqwest::Body::wrap_stream(stream));
        tx = Some(sender);
    }
    let record = &mut seen;
    let pump = async move {
        let mut body = BodyReader::new(framing);
        loop {
            match body.next(r).await {
                Ok(Some(chunk)) => {
                    record.add_body(&chunk);
                    // The upstream may answer without reading on: keep reading, drop the rest.
                    if let Some(t) = &tx
                        && t.send(Ok(chunk)).await.is_err()
                    {
                        tx = None;
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => {
                    if let Some(t) = &tx {
                        let _ = t.send(Err(io::Error::new(e.kind(), e.to_string()))).await;
                    }
                    return Err(e);
                }
            }
        }
    };
    let (pumped, response) = tokio::join!(pump, request.send());
    seen.body_complete = pumped.is_ok();
    shared.record(seen);
    pumped?;
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            let body = json!({ "message": format!("hostile proxy: the upstream failed: {e}") });
            let headers = vec![("content-type".to_string(), "application/json".to_string())];
            return respond(w, 502, headers, body.to_string().as_bytes(), no_body).await;
        }
    };
    let status = response.status().as_u16();
    let upstream_len = response
        .headers()
        .get(reqwest::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut out_headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(k, _)| !HOP.contains(&k.as_str()) && *k != reqwest::header::CONTENT_LENGTH)
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes());
            let v = rewrite_origins(&v, &rewrites).unwrap_or_else(|| v.into_owned());
            (k.as_str().to_string(), v)
        })
        .collect();
    if no_body || status < 200 || status == 204 || status == 304 {
        if let Some(n) = upstream_len {
            out_headers.push(("content-length".into(), n.to_string()));
        }
        w.send(&response_head(status, &out_headers)).await?;
        return Ok(true);
    }
    let origin = shared.origin();
    // Only list pages are bent; an error passes as the upstream sent it.
    let paging = match behaviour {
        Behaviour::Paging(p) if (200..300).contains(&status) => Some(*p),
        _ => None,
    };
    match paging {
        Some(Paging::LoopToSelf) => set_next(&mut out_headers, &format!("{origin}{}", head.target)),
        Some(Paging::LoopTo(n)) => {
            let next = format!("{origin}{}", with_page(&head.target, u64::from(n)));
            set_next(&mut out_headers, &next);
        }
        Some(Paging::Endless) => {
            let next = page_of(&head.target).saturating_add(1);
            drop_rel(&mut out_headers, "last");
            set_next(
                &mut out_headers,
                &format!("{origin}{}", with_page(&head.target, next)),
            );
        }
        Some(Paging::Repeat(_)) | None => {}
    }
    let textual = rewritable(&out_headers);
    let (body, length) = match (behaviour, paging) {
        (_, Some(Paging::Repeat(n))) if head.method.eq_ignore_ascii_case("GET") => {
            drop(response);
            let url = format!("{upstream}{}", with_page(&head.target, u64::from(n)));
            let Ok(page) = shared.client().get(&url).headers(headers).send().await else {
                return Ok(false);
            };
            let len = page.content_length();
            (page, len)
        }
        _ => (response, upstream_len),
    };
    let alter = match behaviour {
        Behaviour::AlterJson(edit) => Some(edit),
        _ => None,
    };
    let mut out = Streamed {
        status,
        headers: out_headers,
        prefix: Vec::new(),
        body,
        length,
    };
    let http11 = head.version == "HTTP/1.1";
    if (rewrites.is_empty() || !textual) && alter.is_none() {
        return stream(w, http11, out).await;
    }
    let Ok((mut bytes, rest)) = buffer(out.body).await else {
        return Ok(false);
    };
    if let Some(rest) = rest {
        out.prefix = bytes;
        out.body = rest;
        return stream(w, http11, out).await;
    }
    if textual
        && let Some(text) = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| rewrite_origins(t, &rewrites))
    {
        bytes = text.into_bytes();
    }
    if let Some(edit) = alter
        && let Ok(value) = serde_json::from_slice(&bytes)
    {
        bytes = serde_json::to_vec(&(edit.0)(value)).unwrap_or(bytes);
    }
    respond(w, status, out.headers, &bytes, false).await
}

/// The request headers sent upstream: the client's, less hop-by-hop ones and `Host` (the
/// upstream's own is sent), less `Accept-Encoding` when bodies are rewritten (they must come
/// uncompressed).
fn upstream_headers(head: &Head, framing: BodyFraming, plain_bodies: bool) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in &head.headers {
        let lower = k.to_ascii_lowercase();
        let skip = HOP.contains(&lower.as_str())
            || matches!(lower.as_str(), "host" | "content-length" | "expect")
            || (plain_bodies && lower == "accept-encoding");
        if skip {
            continue;
        }
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            map.append(k, v);
        }
    }
    if let BodyFraming::Length(n @ 1..) = framing {
        map.insert(reqwest::header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    map
}

/// Reads a body whole when it fits in [`REWRITE_CAP`]; otherwise what was read and the rest.
async fn buffer(
    mut body: reqwest::Response,
) -> Result<(Vec<u8>, Option<reqwest::Response>), reqwest::Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = body.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > REWRITE_CAP {
            return Ok((bytes, Some(body)));
        }
    }
    Ok((bytes, None))
}

/// An upstream answer passed on as it comes.
struct Streamed {
    status: u16,
    /// The headers to send, without framing ones.
    headers: Vec<(String, String)>,
    /// Body bytes already read from `body`.
    prefix: Vec<u8>,
    body: reqwest::Response,
    /// The body's length, when the upstream declared it.
    length: Option<u64>,
}

/// Streams an answer to the client, framed by its length when known, else chunked (or, for an
/// HTTP/1.0 client, by closing the connection).
async fn stream(w: &mut Writer, http11: bool, out: Streamed) -> io::Result<bool> {
    let Streamed {
        status,
        mut headers,
        prefix,
        mut body,
        length,
    } = out;
    let chunked = length.is_none() && http11;
    match length {
        Some(n) => set_header(&mut headers, "content-length", n.to_string()),
        None if chunked => set_header(&mut headers, "transfer-encoding", "chunked".into()),
        None => set_header(&mut headers, "connection", "close".into()),
    }
    w.send(&response_head(status, &headers)).await?;
    let mut pending = Some(Bytes::from(prefix));
    loop {
        let data = match pending.take() {
            Some(d) => d,
            // An upstream that breaks off mid-body: the client sees the same.
            None => match body.chunk().await {
                Ok(Some(d)) => d,
                Ok(None) => break,
                Err(_) => return Ok(false),
            },
        };
        if data.is_empty() {
            continue;
        }
        if chunked {
            w.send_chunk(&data).await?;
        } else {
            w.send(&data).await?;
        }
    }
    if chunked {
        w.end_chunks().await?;
    }
    Ok(length.is_some() || chunked)
}

/// True for uncompressed textual bodies (JSON, HTML, XML, text), where origins are rewritten.
fn rewritable(headers: &[(String, String)]) -> bool {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let textual = get("content-type").is_some_and(|ct| {
        ["json", "html", "xml", "text/", "javascript"]
            .iter()
            .any(|t| ct.contains(t))
    });
    let encoded = get("content-encoding").is_some_and(|e| e.trim() != "identity");
    textual && !encoded
}

/// `text` with every origin `from` replaced by its `to`, in one pass (`None`: nothing to
/// replace). An origin matches only whole: `http://h:80` is not in `http://h:8080`.
pub(crate) fn rewrite_origins(text: &str, pairs: &[(String, String)]) -> Option<String> {
    if pairs.is_empty() || !text.contains("http") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(i) = rest.find("http") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let hit = pairs
            .iter()
            .find(|(from, _)| rest.starts_with(from.as_str()) && whole(from, &rest[from.len()..]));
        match hit {
            Some((from, to)) => {
                out.push_str(to);
                rest = &rest[from.len()..];
                changed = true;
            }
            None => {
                out.push_str("http");
                rest = &rest[4..];
            }
        }
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// True when `after` does not continue the host or port that `origin` ends with.
fn whole(origin: &str, after: &str) -> bool {
    let has_port = origin
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match after.chars().next() {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') => false,
        Some(':') => has_port,
        Some(_) => true,
    }
}

/// The entries of `Link` header values, `<url>; rel="…"` each.
fn link_entries(headers: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, v) in headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("link"))
    {
        let mut first = true;
        for part in v.split(',') {
            match out.last_mut() {
                // A comma inside a URL or a parameter: part of the entry before.
                Some(last) if !first && !part.trim_start().starts_with('<') => {
                    last.push(',');
                    last.push_str(part);
                }
                _ => out.push(part.trim().to_string()),
            }
            first = false;
        }
    }
    out.retain(|e| !e.is_empty());
    out
}

/// True when a `Link` entry has relation `rel`.
fn has_rel(entry: &str, rel: &str) -> bool {
    entry.split(';').skip(1).any(|p| {
        p.trim()
            .strip_prefix("rel=")
            .is_some_and(|v| v.trim_matches('"').split_whitespace().any(|r| r == rel))
    })
}

fn put_links(headers: &mut Vec<(String, String)>, entries: Vec<String>) {
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("link"));
    if !entries.is_empty() {
        headers.push(("link".into(), entries.join(", ")));
    }
}

/// Replaces (or adds) the `rel="next"` link.
fn set_next(headers: &mut Vec<(String, String)>, url: &str) {
    let mut entries = link_entries(headers);
    entries.retain(|e| !has_rel(e, "next"));
    entries.insert(0, format!("<{url}>; rel=\"next\""));
    put_links(headers, entries);
}

/// Removes the links with relation `rel`.
fn drop_rel(headers: &mut Vec<(String, String)>, rel: &str) {
    let mut entries = link_entries(headers);
    entries.retain(|e| !has_rel(e, rel));
    put_links(headers, entries);
}

/// The `page` query parameter of a target (1 when absent or invalid).
fn page_of(target: &str) -> u64 {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

/// `target` with its `page` query parameter set to `page` (other parameters kept, in order).
fn with_page(target: &str, page: u64) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    let mut set = false;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k != "page" {
            q.append_pair(&k, &v);
        } else if !set {
            q.append_pair("page", &page.to_string());
            set = true;
        }
    }
    if !set {
        q.append_pair("page", &page.to_string());
    }
    format!("{path}?{}", q.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn origins_are_replaced_whole_only() {
        let p = pairs(&[
            ("http://127.0.0.1:80", "http://127.0.0.1:9"),
            ("http://h", "http://x"),
        ]);
        assert_eq!(
            rewrite_origins("a http://127.0.0.1:80/r b", &p).unwrap(),
            "a http://127.0.0.1:9/r b"
        );
        assert_eq!(rewrite_origins("http://127.0.0.1:8080/r", &p), None);
        assert_eq!(rewrite_origins("http://h.evil/ http://h:1/", &p), None);
        assert_eq!(
            rewrite_origins("<http://h>; http://h/x", &p).unwrap(),
            "<http://x>; http://x/x"
        );
        assert_eq!(rewrite_origins("no urls", &p), None);
    }

    #[test]
    fn rewrites_do_not_chain() {
        let p = pairs(&[("http://a:1", "http://b:2"), ("http://b:2", "http://c:3")]);
        assert_eq!(
            rewrite_origins("http://a:1 http://b:2", &p).unwrap(),
            "http://b:2 http://c:3"
        );
    }

    #[test]
    fn link_next_is_replaced_and_last_dropped() {
        let mut h = vec![(
            "Link".to_string(),
            "<http://o/r?page=2>; rel=\"next\", <http://o/r?page=5>; rel=\"last\"".to_string(),
        )];
        set_next(&mut h, "http://o/r?page=1");
        assert_eq!(
            h,
            vec![(
                "link".to_string(),
                "<http://o/r?page=1>; rel=\"next\", <http://o/r?page=5>; rel=\"last\"".to_string()
            )]
        );
        drop_rel(&mut h, "last");
        assert_eq!(h[0].1, "<http://o/r?page=1>; rel=\"next\"");
        let mut none = Vec::new();
        set_next(&mut none, "http://o/x");
        assert_eq!(none[0].1, "<http://o/x>; rel=\"next\"");
    }

    #[test]
    fn page_parameter() {
        assert_eq!(page_of("/r"), 1);
        assert_eq!(page_of("/r?per_page=2&page=7"), 7);
        assert_eq!(with_page("/r", 2), "/r?page=2");
        assert_eq!(
            with_page("/r?per_page=2&page=7&x=a%20b", 8),
            "/r?per_page=2&page=8&x=a+b"
        );
    }
}
