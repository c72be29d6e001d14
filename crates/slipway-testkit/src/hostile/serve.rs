//! The accept loop, one task per connection, and the behaviours that answer by themselves.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};

use super::log::SeenRequest;
use super::rule::{Behaviour, EchoFormat, EndlessFraming};
use super::wire::{
    BodyFraming, BodyReader, Conn, Head, HeadError, Reader, Request, Writer, has_header,
    response_head, set_header,
};
use super::{Shared, proxy};

/// How much of a request body an echo page quotes.
const ECHO_BODY: usize = 1024;

/// Accepts connections until the task is dropped.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(connection(stream, shared.clone()));
    }
}

/// Serves the requests of one connection in turn; returning closes it.
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let (rd, wr) = stream.into_split();
    let mut conn = Conn {
        r: Reader::new(rd),
        w: Writer::new(wr),
    };
    loop {
        let head = match conn.r.head().await {
            Ok(head) => head,
            Err(HeadError::Malformed(why)) => {
                let _ = bad_request(&mut conn.w, &why).await;
                return;
            }
            Err(HeadError::Closed | HeadError::Failed) => return,
        };
        match answer(&shared, &head, &mut conn).await {
            Ok(true) if head.keep_alive() => {}
            _ => return,
        }
    }
}

/// Answers one request; `Ok(true)` when the connection can carry another.
async fn answer(shared: &Shared, head: &Head, conn: &mut Conn) -> io::Result<bool> {
    let Conn { r, w } = conn;
    let at = Instant::now();
    let framing = match head.body_framing() {
        Ok(f) => f,
        Err(why) => {
            bad_request(w, &why).await?;
            return Ok(false);
        }
    };
    let pick = shared.pick(&head.method, &head.target);
    // A black hole sends no byte at all, not even this: the client sends its body after its
    // own wait (curl: 1 s).
    let silent = matches!(pick.behaviour, Behaviour::BlackHole);
    if head.expects_continue() && framing != BodyFraming::Length(0) && !silent {
        w.send(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let mut seen = SeenRequest {
        at,
        method: head.method.clone(),
        target: head.target.clone(),
        headers: head.headers.clone(),
        body_len: 0,
        body: Vec::new(),
        body_complete: false,
        answer: pick.answer,
    };
    if pick.behaviour.forwards() && shared.upstream().is_some() {
        let request = Request {
            head,
            framing,
            seen,
        };
        return proxy::forward(shared, request, &pick.behaviour, conn).await;
    }
    let read = drain(r, framing, &mut seen).await;
    seen.body_complete = read.is_ok();
    let body_start = seen.body[..seen.body.len().min(ECHO_BODY)].to_vec();
    shared.record(seen);
    read?;
    canned(&pick.behaviour, head, &body_start, w).await
}

/// Reads a whole request body into the log record.
async fn drain(r: &mut Reader, framing: BodyFraming, seen: &mut SeenRequest) -> io::Result<()> {
    let mut body = BodyReader::new(framing);
    while let Some(chunk) = body.next(r).await? {
        seen.add_body(&chunk);
    }
    Ok(())
}

/// Answers by a behaviour that needs no upstream.
async fn canned(
    behaviour: &Behaviour,
    head: &Head,
    body_start: &[u8],
    w: &mut Writer,
) -> io::Result<bool> {
    let no_body = head.method.eq_ignore_ascii_case("HEAD");
    match behaviour {
        Behaviour::BlackHole => std::future::pending().await,
        Behaviour::Hangup => Ok(false),
        Behaviour::StallAfterHeaders { status, headers } => {
            w.send(&response_head(*status, headers)).await?;
            std::future::pending().await
        }
        Behaviour::Drip {
            status,
            headers,
            body,
            interval,
        } => {
            let mut headers = headers.clone();
            frame(&mut headers, body.len());
            w.send(&response_head(*status, &headers)).await?;
            if !no_body {
                drip(w, body, *interval).await?;
            }
            Ok(!closes(&headers))
        }
        Behaviour::DripHead {
            status,
            headers,
            interval,
        } => {
            let mut headers = headers.clone();
            frame(&mut headers, 0);
            drip(w, &response_head(*status, &headers), *interval).await?;
            Ok(!closes(&headers))
        }
        Behaviour::EndlessBody {
            status,
            headers,
            chunk,
            framing,
        } => {
            let mut headers = headers.clone();
            match framing {
                EndlessFraming::Chunked => {
                    set_header(&mut headers, "transfer-encoding", "chunked".into());
                }
                EndlessFraming::ShortLength(n) => {
                    set_header(&mut headers, "content-length", n.to_string());
                }
                EndlessFraming::UntilClose => {
                    headers.retain(|(k, _)| !k.eq_ignore_ascii_case("content-length"));
                    set_header(&mut headers, "connection", "close".into());
                }
            }
            w.send(&response_head(*status, &headers)).await?;
            let chunk: &[u8] = if chunk.is_empty() { b"x" } else { chunk };
            loop {
                match framing {
                    EndlessFraming::Chunked => w.send_chunk(chunk).await?,
                    _ => w.send(chunk).await?,
                }
            }
        }
        Behaviour::Respond {
            status,
            headers,
            body,
        } => respond(w, *status, headers.clone(), body, no_body).await,
        Behaviour::EchoHeaders { status, format } => {
            let (content_type, body) = echo(*status, *format, head, body_start);
            let headers = vec![("content-type".to_string(), content_type.to_string())];
            respond(w, *status, headers, body.as_bytes(), no_body).await
        }
        Behaviour::Redirect { status, location } => {
            let headers = vec![("location".to_string(), location.clone())];
            respond(w, *status, headers, b"", no_body).await
        }
        Behaviour::Forward | Behaviour::Paging(_) | Behaviour::AlterJson(_) => {
            let body = json!({
                "message": "the hostile server has no upstream to forward to",
                "target": head.target,
            })
            .to_string();
            let headers = vec![("content-type".to_string(), "application/json".to_string())];
            respond(w, 502, headers, body.as_bytes(), no_body).await
        }
    }
}

/// Sends `bytes` one at a time, pausing `interval` after each but the last.
async fn drip(w: &mut Writer, bytes: &[u8], interval: std::time::Duration) -> io::Result<()> {
    for (i, b) in bytes.iter().enumerate() {
        w.send(std::slice::from_ref(b)).await?;
        if i + 1 < bytes.len() {
            tokio::time::sleep(interval).await;
        }
    }
    Ok(())
}

/// Adds `content-length: len` unless the headers already frame the body.
fn frame(headers: &mut Vec<(String, String)>, len: usize) {
    if !has_header(headers, "content-length") && !has_header(headers, "transfer-encoding") {
        headers.push(("content-length".into(), len.to_string()));
    }
}

/// True when the headers say the connection closes after this answer.
fn closes(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"))
}

/// Sends a whole answer; `Ok(true)` when the connection stays usable.
pub(crate) async fn respond(
    w: &mut Writer,
    status: u16,
    mut headers: Vec<(String, String)>,
    body: &[u8],
    no_body: bool,
) -> io::Result<bool> {
    frame(&mut headers, body.len());
    let mut out = response_head(status, &headers);
    if !no_body {
        out.extend_from_slice(body);
    }
    w.send(&out).await?;
    Ok(!closes(&headers))
}

async fn bad_request(w: &mut Writer, why: &str) -> io::Result<bool> {
    let headers = vec![
        ("content-type".to_string(), "text/plain".to_string()),
        ("connection".to_string(), "close".to_string()),
    ];
    respond(w, 400, headers, why.as_bytes(), false).await
}

/// An error page quoting the request: `(content type, body)`.
fn echo(status: u16, format: EchoFormat, head: &Head, body_start: &[u8]) -> (&'static str, String) {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let request_line = format!("{} {} {}", head.method, head.target, head.version);
    let body = String::from_utf8_lossy(body_start);
    match format {
        EchoFormat::Json => {
            let headers: Vec<[&str; 2]> = head
                .headers
                .iter()
                .map(|(k, v)| [k.as_str(), v.as_str()])
                .collect();
            let page = json!({
                "message": reason,
                "request_line": request_line,
                "headers": headers,
                "body": body,
            });
            ("application/json", page.to_string())
        }
        EchoFormat::Html => {
            let mut page = format!(
                "<html><head><title>{status} {reason}</title></head><body>\n<h1>{status} {reason}</h1>\n<p>Your request was:</p>\n<pre>\n{request_line}\n"
            );
            for (k, v) in &head.headers {
                page.push_str(&format!("{k}: {v}\n"));
            }
            page.push('\n');
            page.push_str(&body);
            page.push_str("\n</pre>\n</body></html>\n");
            ("text/html; charset=utf-8", page)
        }
    }
}
