//! The hostile server: each behaviour seen by a plain client, the proxy in front of the fake
//! GitHub (streaming, origin rewriting, paging alterations) and the request log.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use slipway_testkit::github::{AssetState, FakeGitHub, ReleaseSeed};
use slipway_testkit::hostile::{
    Answer, BODY_LOG_CAP, Behaviour, DEFAULT_DRIP_INTERVAL, EchoFormat, EndlessFraming,
    HostileServer, Paging, Rule,
};

const REPO: &str = "octo/widgets";
const SHORT: Duration = Duration::from_millis(300);

/// A client that shows redirects instead of following them, and gives up after `timeout`.
fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .unwrap()
}

/// A raw connection that sent `request` (for what reqwest hides: exact bytes, header case).
fn raw(server: &HostileServer, request: &str) -> TcpStream {
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    s
}

/// Reads until `done(bytes so far)`; panics after 5 s. Returns the bytes and the read count.
fn read_until(s: &mut TcpStream, done: impl Fn(&[u8]) -> bool) -> (Vec<u8>, usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let (mut out, mut reads, mut buf) = (Vec::new(), 0, vec![0u8; 64 * 1024]);
    while !done(&out) {
        assert!(
            Instant::now() < deadline,
            "gave up after {} bytes",
            out.len()
        );
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {:?}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
        reads += 1;
    }
    (out, reads)
}

fn ends_head(b: &[u8]) -> bool {
    b.windows(4).any(|w| w == b"\r\n\r\n")
}

/// A plain synchronous `#[test]`, as the binaries' tests are: the server needs no runtime.
#[test]
fn black_hole_reads_the_request_and_holds_the_connection_until_dropped() {
    let server = HostileServer::start().with(Rule::any(Behaviour::BlackHole));
    let mut s = raw(
        &server,
        "POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
    );
    s.set_read_timeout(Some(SHORT)).unwrap();
    let err = s.read(&mut [0u8; 16]).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "no answer (not even 100 Continue) and no close: {err}"
    );
    let log = server.wait_for_requests(1, Duration::from_secs(2));
    assert_eq!(
        (log[0].method.as_str(), log[0].body.as_slice()),
        ("POST", &b"hello"[..])
    );
    assert_eq!(log[0].rule(), Some("black-hole"));
    drop(server);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(
        s.read(&mut [0u8; 16]).unwrap_or(0),
        0,
        "dropping the server closes what it held"
    );
}

#[tokio::test]
async fn black_hole_and_hangup_seen_by_a_client() {
    let server = HostileServer::start()
        .with(Rule::exact("/hole", Behaviour::BlackHole))
        .with(Rule::exact("/hangup", Behaviour::Hangup));
    let started = Instant::now();
    let e = client(SHORT)
        .get(format!("{}/hole", server.url()))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(started.elapsed() >= SHORT);
    let e = client(Duration::from_secs(5))
        .get(format!("{}/hangup", server.url()))
        .send()
        .await
        .unwrap_err();
    assert!(!e.is_timeout(), "a hang-up fails at once: {e}");
}

#[tokio::test]
async fn stall_after_headers_sends_the_head_only() {
    let server = HostileServer::start().with(Rule::any(Behaviour::stall_after_headers(1024)));
    let resp = client(Duration::from_secs(5))
        .get(server.url())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.content_length(), Some(1024));
    let body = tokio::time::timeout(SHORT, resp.bytes()).await;
    assert!(body.is_err(), "no body byte ever comes");
}

#[tokio::test]
async fn drip_sends_the_body_one_byte_per_interval() {
    assert_eq!(DEFAULT_DRIP_INTERVAL, Duration::from_secs(1));
    let interval = Duration::from_millis(100);
    let server = HostileServer::start().with(Rule::any(Behaviour::drip("[1,2]", interval)));
    let c = client(Duration::from_secs(5));
    let started = Instant::now();
    let mut resp = c.get(server.url()).send().await.unwrap();
    assert!(
        started.elapsed() < interval * 3,
        "the head comes before the body"
    );
    assert_eq!(resp.content_length(), Some(5));
    let mut chunks = Vec::new();
    while let Some(c) = resp.chunk().await.unwrap() {
        chunks.push(c);
    }
    assert_eq!(chunks.concat(), b"[1,2]");
    assert!(chunks.iter().all(|c| c.len() == 1), "{chunks:?}");
    assert!(started.elapsed() >= interval * 4);
    // The connection stays usable: a client timeout is what ends a real drip.
    let e = client(interval * 2)
        .get(server.url())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
}

#[test]
fn drip_head_sends_status_line_and_headers_one_byte_per_interval() {
    let interval = Duration::from_millis(10);
    let server = HostileServer::start().with(Rule::any(Behaviour::drip_head(interval)));
    let started = Instant::now();
    let mut s = raw(&server, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    let (head, reads) = read_until(&mut s, ends_head);
    let text = String::from_utf8(head).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("content-length: 0\r\n"), "{text}");
    // Bytes that arrive while the reader is busy come in one read: count loosely.
    assert!(
        reads > text.len() / 3,
        "{reads} reads for {} bytes",
        text.len()
    );
    assert!(started.elapsed() >= interval * (text.len() as u32 - 1));
}

#[tokio::test]
async fn drip_head_times_out_a_client_waiting_for_the_head() {
    let server = HostileServer::start().with(Rule::any(Behaviour::drip_head(SHORT)));
    let e = client(SHORT).get(server.url()).send().await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
}

#[tokio::test]
async fn endless_bodies_never_end() {
    let server = HostileServer::start()
        .with(Rule::exact(
            "/chunked",
            Behaviour::endless_body(EndlessFraming::Chunked),
        ))
        .with(Rule::exact(
            "/close",
            Behaviour::endless_body(EndlessFraming::UntilClose),
        ));
    for path in ["/chunked", "/close"] {
        let mut resp = client(Duration::from_secs(5))
            .get(format!("{}{path}", server.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.content_length(), None, "{path}");
        let mut got = 0usize;
        while got < 16 << 20 {
            got += resp
                .chunk()
                .await
                .unwrap()
                .expect("the body never ends")
                .len();
        }
    }
}

#[test]
fn endless_body_can_exceed_its_content_length() {
    let server = HostileServer::start().with(Rule::any(Behaviour::endless_body(
        EndlessFraming::ShortLength(10),
    )));
    let mut s = raw(&server, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    let (bytes, _) = read_until(&mut s, |b| b.len() > 1 << 20);
    let text = String::from_utf8_lossy(&bytes[..200]);
    assert!(text.contains("content-length: 10\r\n"), "{text}");
}

#[tokio::test]
async fn respond_and_redirect_answer_canned() {
    let server = HostileServer::start()
        .with(Rule::exact(
            "/login",
            Behaviour::html(200, "<html><form>Sign in</form></html>"),
        ))
        .with(Rule::exact(
            "/moved",
            Behaviour::redirect(308, "http://127.0.0.1:9/elsewhere"),
        ));
    let c = client(Duration::from_secs(5));
    let page = c
        .get(format!("{}/login", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        page.text().await.unwrap(),
        "<html><form>Sign in</form></html>"
    );
    let moved = c
        .get(format!("{}/moved", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 308);
    assert_eq!(moved.headers()["location"], "http://127.0.0.1:9/elsewhere");
}

#[tokio::test]
async fn a_redirect_to_an_evil_second_origin_is_logged_there() {
    let evil = HostileServer::start().with(Rule::any(Behaviour::json(200, &json!({"ok": true}))));
    let index = HostileServer::start().with(Rule::any(Behaviour::redirect(
        307,
        &format!("{}/steal", evil.url()),
    )));
    // A client that follows redirects re-POSTs the body (a 307 keeps method and body).
    let following = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let resp = following
        .post(format!("{}/mint", index.url()))
        .header("authorization", "Bearer oidc-secret")
        .body("{\"token\":\"oidc-secret\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let seen = evil.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path()),
        ("POST", "/steal")
    );
    assert!(evil.saw("oidc-secret"), "the body reached the other origin");
    assert_eq!(
        seen[0].authorization(),
        None,
        "reqwest drops it across origins"
    );
    assert!(index.saw("Bearer oidc-secret"));
}

#[test]
fn echo_headers_quotes_every_header_verbatim_as_json() {
    let server =
        HostileServer::start().with(Rule::any(Behaviour::echo_headers(403, EchoFormat::Json)));
    let mut s = raw(
        &server,
        "PUT /p?q=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Basic dXNlcjpzM2NyZXQ=\r\nX-Mixed-Case: A \"b\" \\c\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
    );
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let text = String::from_utf8(all).unwrap();
    assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{text}");
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["request_line"], "PUT /p?q=1 HTTP/1.1");
    assert_eq!(body["body"], "hello world");
    let headers = body["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["Authorization", "Basic dXNlcjpzM2NyZXQ="])));
    assert!(headers.contains(&json!(["X-Mixed-Case", "A \"b\" \\c"])));
    assert!(
        text.contains(r#"A \"b\" \\c"#),
        "the JSON-escaped form is in the page"
    );
}

#[tokio::test]
async fn echo_headers_as_html_quotes_the_request() {
    let server =
        HostileServer::start().with(Rule::any(Behaviour::echo_headers(500, EchoFormat::Html)));
    let resp = client(Duration::from_secs(5))
        .post(format!("{}/legacy/", server.url()))
        .basic_auth("__token__", Some("pypi-secret"))
        .body(vec![b'z'; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let page = resp.text().await.unwrap();
    assert!(page.contains("POST /legacy/ HTTP/1.1\n"), "{page}");
    assert!(
        page.contains("authorization: Basic X190b2tlbl9fOnB5cGktc2VjcmV0\n"),
        "{page}"
    );
    assert!(page.contains(&"z".repeat(1024)) && !page.contains(&"z".repeat(1025)));
}

#[tokio::test]
async fn rules_match_by_method_and_path_and_can_run_out() {
    let server = HostileServer::start();
    let once = server.add(Rule::prefix("/api/", Behaviour::json(503, &json!({}))).times(1));
    let posts =
        server.add(Rule::contains("/api/", Behaviour::json(201, &json!({}))).method("POST"));
    let paged = server.add(Rule::contains("page=2", Behaviour::json(202, &json!({}))).with_query());
    let c = client(Duration::from_secs(5));
    let status = |r: reqwest::Response| r.status().as_u16();
    let url = |p: &str| format!("{}{p}", server.url());
    assert_eq!(status(c.post(url("/api/x")).send().await.unwrap()), 503);
    assert_eq!(status(c.post(url("/api/x")).send().await.unwrap()), 201);
    assert_eq!(
        status(c.get(url("/api/x?page=2")).send().await.unwrap()),
        202
    );
    let none = c.get(url("/api/x")).send().await.unwrap();
    assert_eq!(none.status(), 404, "no rule left and no upstream");
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["target"], "/api/x");
    assert_eq!(
        (server.hits(once), server.hits(posts), server.hits(paged)),
        (1, 1, 1)
    );
    let answers: Vec<Answer> = server.requests().into_iter().map(|r| r.answer).collect();
    assert_eq!(
        answers,
        [
            Answer::Rule {
                index: 0,
                name: "respond".into()
            },
            Answer::Rule {
                index: 1,
                name: "respond".into()
            },
            Answer::Rule {
                index: 2,
                name: "respond".into()
            },
            Answer::NoRule,
        ]
    );
}

#[tokio::test]
async fn the_log_keeps_headers_and_a_capped_body() {
    let server =
        HostileServer::start().with(Rule::any(Behaviour::json(200, &json!({}))).named("ok"));
    let body = vec![b'a'; BODY_LOG_CAP + 1000];
    client(Duration::from_secs(5))
        .put(format!("{}/up?x=1", server.url()))
        .header("authorization", "token ghs_x")
        .body(body)
        .send()
        .await
        .unwrap();
    let log = server.requests();
    let r = &log[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str(), r.query()),
        ("PUT", "/up?x=1", Some("x=1"))
    );
    assert_eq!(r.authorization(), Some("token ghs_x"));
    assert_eq!(r.host(), Some(server.addr().to_string().as_str()));
    assert_eq!(r.body_len, (BODY_LOG_CAP + 1000) as u64);
    assert_eq!(r.body.len(), BODY_LOG_CAP);
    assert!(r.body_complete);
    assert_eq!(r.rule(), Some("ok"));
    assert!(server.saw("ghs_x") && !server.saw("ghs_y"));
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_proxy_rewrites_the_upstream_origin_and_passes_faults_through() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_release(ReleaseSeed::new("v1.0.0"));
    let proxy = HostileServer::proxy(fake.api_url());
    assert_eq!(proxy.upstream(), Some(fake.api_url()));
    let c = client(Duration::from_secs(5));
    let resp = c
        .get(format!("{}/repos/{REPO}/releases/tags/v1.0.0", proxy.url()))
        .bearer_auth(fake.token())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-ratelimit-remaining"));
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(&format!("\"url\":\"{}/repos/", proxy.url())),
        "{text}"
    );
    assert!(!text.contains(fake.api_url()), "{text}");
    assert!(
        text.contains(fake.uploads_url()),
        "other origins are left alone"
    );
    let fake_log = fake.requests();
    assert_eq!(fake_log.len(), 1);
    assert_eq!(
        fake_log[0].authorization,
        Some(format!("Bearer {}", fake.token()))
    );
    assert_eq!(proxy.requests()[0].answer, Answer::Upstream);
    // No token: the fake's 401 comes through unchanged.
    let denied = c
        .get(format!("{}/repos/{REPO}/releases", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    // A rule in front of the upstream takes precedence.
    proxy.add(Rule::prefix("/repos/", Behaviour::html(200, "<html>login</html>")).times(1));
    let login = c
        .get(format!("{}/repos/{REPO}/releases", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(login.text().await.unwrap(), "<html>login</html>");
    proxy.stop_rewriting();
    let raw = c
        .get(format!("{}/repos/{REPO}/releases/tags/v1.0.0", proxy.url()))
        .bearer_auth(fake.token())
        .send()
        .await
        .unwrap();
    assert!(raw.text().await.unwrap().contains(fake.api_url()));
}

type Chunk = Result<Bytes, std::io::Error>;

#[tokio::test]
async fn uploads_and_downloads_stream_through_chained_proxies() {
    let fake = FakeGitHub::with_repo(REPO);
    let release = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    let api = HostileServer::proxy(fake.api_url());
    let uploads = HostileServer::proxy(fake.uploads_url());
    let storage = HostileServer::proxy(fake.storage_url());
    api.rewrite_origin(fake.uploads_url(), uploads.url());
    api.rewrite_origin(fake.storage_url(), storage.url());
    let c = client(Duration::from_secs(20));
    let info: Value = c
        .get(format!("{}/repos/{REPO}/releases/{release}", api.url()))
        .bearer_auth(fake.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let upload_url = info["upload_url"]
        .as_str()
        .unwrap()
        .replace("{?name,label}", "");
    assert!(upload_url.starts_with(uploads.url()), "{upload_url}");
    // The upload is fed chunk by chunk: the fake holds an unfinished (`open`) asset while the rest is
    // still with the client, so the proxy did not wait for the whole body.
    let chunk = Bytes::from(vec![3u8; 1 << 20]);
    let total = 8 * chunk.len();
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(1);
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let request = c
        .post(&upload_url)
        .query(&[("name", "w.tar.gz")])
        .bearer_auth(fake.token())
        .header("content-type", "application/octet-stream")
        .header("content-length", total.to_string())
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let response = tokio::spawn(request);
    tx.send(Ok(chunk.clone())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fake.assets(release).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the upload never reached the fake"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.assets(release)[0].state, AssetState::Open);
    for _ in 1..8 {
        tx.send(Ok(chunk.clone())).await.unwrap();
    }
    drop(tx);
    let created = response.await.unwrap().unwrap();
    assert_eq!(created.status(), 201);
    let asset: Value = created.json().await.unwrap();
    assert_eq!(asset["size"], total);
    let up = &uploads.requests()[0];
    assert_eq!((up.body_len, up.body.len()), (total as u64, BODY_LOG_CAP));
    // The download redirect names the storage proxy, which streams the bytes.
    let redirect = c
        .get(format!(
            "{}/repos/{REPO}/releases/assets/{}",
            api.url(),
            asset["id"]
        ))
        .bearer_auth(fake.token())
        .header("accept", "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(storage.url()), "{location}");
    let bytes = c
        .get(&location)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.len(), total);
    assert!(
        storage
            .requests()
            .iter()
            .all(|r| r.authorization().is_none())
    );
}

/// Follows `rel="next"` from `url` for at most `max` pages: the `page` of each URL visited and
/// the ids listed.
async fn walk(url: String, token: &str, max: usize) -> (Vec<String>, Vec<u64>) {
    let c = client(Duration::from_secs(5));
    let (mut pages, mut ids, mut next) = (Vec::new(), Vec::new(), Some(url));
    while let Some(url) = next.take() {
        if pages.len() == max {
            break;
        }
        let page = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "page")
            .map_or("-".to_string(), |(_, v)| v.into_owned());
        pages.push(page);
        let resp = c.get(&url).bearer_auth(token).send().await.unwrap();
        let link = resp
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let items: Vec<Value> = resp.json().await.unwrap();
        ids.extend(items.iter().map(|r| r["id"].as_u64().unwrap()));
        next = link.and_then(|l| {
            l.split(", ")
                .find(|e| e.ends_with("rel=\"next\""))
                .map(|e| e[1..e.find('>').unwrap()].to_string())
        });
    }
    (pages, ids)
}

fn three_releases() -> (FakeGitHub, HostileServer, Vec<u64>) {
    let fake = FakeGitHub::with_repo(REPO);
    let ids = ["v1", "v2", "v3"]
        .map(|t| fake.add_release(ReleaseSeed::new(t)))
        .to_vec();
    let proxy = HostileServer::proxy(fake.api_url());
    (fake, proxy, ids)
}

#[tokio::test]
async fn honest_paging_through_the_proxy() {
    let (fake, proxy, ids) = three_releases();
    let start = format!("{}/repos/{REPO}/releases?per_page=1", proxy.url());
    let (pages, mut seen) = walk(start, &fake.token(), 10).await;
    assert_eq!(pages, ["-", "2", "3"]);
    seen.sort();
    assert_eq!(seen, ids);
}

#[tokio::test]
async fn endless_paging_names_one_more_page_forever() {
    let (fake, proxy, ids) = three_releases();
    proxy.add(Rule::prefix("/repos/", Behaviour::Paging(Paging::Endless)).method("GET"));
    let start = format!("{}/repos/{REPO}/releases?per_page=1", proxy.url());
    let (pages, seen) = walk(start, &fake.token(), 8).await;
    assert_eq!(pages, ["-", "2", "3", "4", "5", "6", "7", "8"]);
    assert_eq!(seen.len(), ids.len(), "pages past the end are empty");
    let denied = client(Duration::from_secs(5))
        .get(format!("{}/repos/{REPO}/releases", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    assert!(
        denied.headers().get("link").is_none(),
        "errors pass unchanged"
    );
    let last = &proxy.requests()[7];
    assert_eq!(
        last.target,
        format!("/repos/{REPO}/releases?per_page=1&page=8")
    );
}

#[tokio::test]
async fn looping_links_point_back() {
    let (fake, proxy, _) = three_releases();
    // Page 2 points back to page 1 once: a client without de-duplication lists 1, 2, 1, 2, 3.
    proxy.add(
        Rule::contains("page=2", Behaviour::Paging(Paging::LoopTo(1)))
            .with_query()
            .times(1),
    );
    let start = format!("{}/repos/{REPO}/releases?per_page=1", proxy.url());
    let (pages, seen) = walk(start.clone(), &fake.token(), 10).await;
    assert_eq!(pages, ["-", "2", "1", "2", "3"]);
    assert_eq!(seen.len(), 5);
    assert_eq!(seen[0], seen[2]);
    // A self-loop: the first page names itself.
    proxy.clear_rules();
    proxy.add(Rule::any(Behaviour::Paging(Paging::LoopToSelf)));
    let (pages, seen) = walk(start, &fake.token(), 4).await;
    assert_eq!(pages, ["-", "-", "-", "-"]);
    assert!(seen.iter().all(|id| *id == seen[0]));
}

#[tokio::test]
async fn a_repeated_page_serves_one_page_for_every_page() {
    let (fake, proxy, _) = three_releases();
    proxy.add(Rule::any(Behaviour::Paging(Paging::Repeat(1))));
    let start = format!("{}/repos/{REPO}/releases?per_page=1", proxy.url());
    let (pages, seen) = walk(start, &fake.token(), 10).await;
    assert_eq!(pages, ["-", "2", "3"], "the real Link headers");
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|id| *id == seen[0]), "{seen:?}");
}

#[tokio::test]
async fn json_bodies_can_be_edited_on_the_way() {
    let (fake, proxy, _) = three_releases();
    proxy.add(Rule::any(Behaviour::alter_json(|mut v| {
        if let Some(list) = v.as_array_mut() {
            let first = list[0].clone();
            list.push(first);
        }
        v
    })));
    let resp = client(Duration::from_secs(5))
        .get(format!("{}/repos/{REPO}/releases", proxy.url()))
        .bearer_auth(fake.token())
        .send()
        .await
        .unwrap();
    let len = resp.content_length().unwrap();
    let text = resp.text().await.unwrap();
    assert_eq!(len, text.len() as u64);
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(list.len(), 4);
    assert_eq!(list[0], list[3]);
    assert!(text.contains(proxy.url()) && !text.contains(fake.api_url()));
}

#[tokio::test]
async fn a_dead_upstream_is_a_502() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let proxy = HostileServer::proxy(&origin);
    let resp = client(Duration::from_secs(10))
        .get(format!("{}/simple/", proxy.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("upstream"),
        "{body}"
    );
    assert!(HostileServer::try_start(Some("http://h/simple")).is_err());
}

#[tokio::test]
async fn chunked_request_bodies_are_decoded_and_forwarded() {
    let fake = FakeGitHub::with_repo(REPO);
    let proxy = HostileServer::proxy(fake.api_url());
    let body = json!({"tag_name": "v9.9.9", "draft": true})
        .to_string()
        .into_bytes();
    // A stream of unknown length: reqwest sends it chunked.
    let parts: Vec<Chunk> = body
        .chunks(5)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let resp = client(Duration::from_secs(5))
        .post(format!("{}/repos/{REPO}/releases", proxy.url()))
        .bearer_auth(fake.token())
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            parts,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let seen = &proxy.requests()[0];
    assert_eq!(seen.header("transfer-encoding"), Some("chunked"));
    assert_eq!(
        (seen.body.as_slice(), seen.body_len),
        (body.as_slice(), body.len() as u64)
    );
    assert_eq!(fake.releases(REPO)[0].tag_name, "v9.9.9");
}

#[test]
fn expect_continue_is_answered_before_the_body() {
    let server = HostileServer::start().with(Rule::any(Behaviour::json(200, &json!({}))));
    let mut s = raw(
        &server,
        "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    );
    let (interim, _) = read_until(&mut s, ends_head);
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(b"abc").unwrap();
    let (answer, _) = read_until(&mut s, |b| b.ends_with(b"{}"));
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert_eq!(server.requests()[0].body, b"abc");
}

#[test]
fn a_malformed_request_gets_a_400_and_a_close() {
    let server = HostileServer::start();
    let mut s = raw(&server, "not http at all\r\n\r\n");
    let mut all = Vec::new();
    s.read_to_end(&mut all).unwrap();
    let text = String::from_utf8(all).unwrap();
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(
        text.ends_with("bad request line `not http at all`"),
        "{text}"
    );
    assert!(server.requests().is_empty());
}
