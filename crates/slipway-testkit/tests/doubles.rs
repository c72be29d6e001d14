//! The well-behaved doubles' server (`serve::Server`) and the doubles on it (`doubles::index`,
//! `doubles::oidc`), driven over HTTP.

mod common;

use std::io::{Read as _, Write as _};

use bytes::Bytes;
use common::client;
use slipway_testkit::doubles::index::{self, Fake};
use slipway_testkit::doubles::oidc::{self, GitHubOidc, Minting, TokenIssuer};
use slipway_testkit::serve::{BIG_BODY, Reply, Server};

fn echo() -> Server {
    Server::start(|req| {
        Reply::With(
            201,
            vec![("x-seen".into(), req.path.clone())],
            req.body.clone(),
        )
    })
}

#[tokio::test]
async fn every_request_is_recorded_and_answered_by_the_handler() {
    let server = echo();
    let resp = client()
        .post(format!("{}/a/b?x=1&y=%20", server.url()))
        .header("X-Custom", "  Value ")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-seen"], "/a/b?x=1&y=%20");
    assert_eq!(resp.bytes().await.unwrap(), "hello");
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/a/b?x=1&y=%20")
    );
    assert_eq!(
        req.header("x-custom"),
        Some("Value"),
        "lower-cased, trimmed"
    );
    assert_eq!(req.body, b"hello");
    assert_eq!(req.received, 5);
    assert!(req.body_kept());
}

/// Two requests on one connection, answered in turn (keep-alive).
#[test]
fn a_connection_is_kept_alive_between_requests() {
    let server = echo();
    let addr = server.url().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let request = |body: &str| {
        format!(
            "POST /k HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    stream
        .write_all((request("one") + &request("two")).as_bytes())
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.ends_with("two") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the connection closed: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert_eq!(seen.matches("HTTP/1.1 201").count(), 2, "{seen}");
    let bodies: Vec<Vec<u8>> = server.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies, [b"one".to_vec(), b"two".to_vec()]);
}

#[tokio::test]
async fn a_cut_request_gets_no_answer_and_is_logged_without_its_body() {
    let server = echo();
    server.cut_bodies(1, |r| r.path == "/upload");
    let body = vec![b'x'; 256 * 1024];
    let url = format!("{}/upload", server.url());
    let cut = client().post(&url).body(body.clone()).send().await;
    assert!(cut.is_err(), "{cut:?}");
    let again = client().post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(again.status(), 201, "one cut only");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].body.is_empty());
    assert!(seen[0].received >= body.len() as u64 / 2, "half was read");
    assert!(!seen[0].body_kept());
    assert_eq!(seen[1].body, body);
}

#[tokio::test]
async fn a_body_bigger_than_the_limit_is_counted_not_kept() {
    let server = Server::start(|req| Reply::new(200, "text/plain", req.body.len().to_string()));
    let chunk = Bytes::from(vec![7u8; 1024 * 1024]);
    let chunks = BIG_BODY / chunk.len() as u64 + 1;
    let stream = futures_util::stream::iter(
        (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
    );
    let resp = client()
        .post(server.url())
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "0", "the handler saw no body");
    let seen = &server.requests()[0];
    assert_eq!(seen.received, chunks * 1024 * 1024);
    assert!(seen.body.is_empty() && !seen.body_kept());
}

/// `GET url`, the body as JSON.
async fn get_json(url: &str) -> serde_json::Value {
    let resp = client().get(url).send().await.unwrap();
    resp.json().await.unwrap()
}

/// A multipart upload form with a `name` field and a file.
fn form(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let mut body =
        b"--BOUND\r\ncontent-disposition: form-data; name=\"name\"\r\n\r\npkg\r\n".to_vec();
    body.extend_from_slice(
        format!("--BOUND\r\ncontent-disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(b"\r\n--BOUND--\r\n");
    ("multipart/form-data; boundary=BOUND".into(), body)
}

async fn upload(fake: &Fake, filename: &str, content: &[u8]) -> reqwest::Result<u16> {
    let (ct, body) = form(filename, content);
    let resp = client()
        .post(format!("{}/legacy/", fake.base))
        .header("content-type", ct)
        .body(body)
        .send()
        .await?;
    Ok(resp.status().as_u16())
}

#[tokio::test]
async fn the_index_lists_uploads_refuses_duplicates_and_cuts_on_demand() {
    let fake = index::index(|_, _| None);
    let page = format!("{}/simple/pkg/", fake.base);
    assert_eq!(client().get(&page).send().await.unwrap().status(), 404);
    fake.reset_uploads(1);
    assert!(upload(&fake, "pkg-1.0.tar.gz", b"bytes").await.is_err());
    assert_eq!(
        upload(&fake, "pkg-1.0.tar.gz", b"bytes").await.unwrap(),
        200
    );
    assert_eq!(
        upload(&fake, "pkg-1.0.tar.gz", b"other").await.unwrap(),
        400
    );
    let listed = get_json(&page).await;
    assert_eq!(listed["files"][0]["filename"], "pkg-1.0.tar.gz");
    assert_eq!(
        listed["files"][0]["hashes"]["sha256"],
        index::sha256(b"bytes")
    );
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 3);
    assert!(uploads[0].body.is_empty(), "the cut one");
    assert_eq!(
        uploads[1].fields(),
        [("name".to_string(), "pkg".to_string())]
    );
    assert_eq!(fake.requests().len(), 5);
}

#[tokio::test]
async fn the_token_endpoint_answers_the_job_bearer_for_the_audience_only() {
    let jwt = oidc::jwt(&serde_json::json!({ "repository": "octo/pkg" }));
    let github = GitHubOidc::start(TokenIssuer::new("ghs_req", "testpypi", &jwt));
    let ask = |bearer: &str, audience: &str| {
        client()
            .get(format!("{}&audience={audience}", github.request_url()))
            .bearer_auth(bearer)
            .send()
    };
    let ok = ask("ghs_req", "testpypi").await.unwrap();
    assert_eq!(ok.status(), 200);
    let value: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(value["value"], jwt.as_str());
    assert_eq!(ask("ghs_other", "testpypi").await.unwrap().status(), 401);
    assert_eq!(ask("ghs_req", "pypi").await.unwrap().status(), 401);
    let other = client().get(format!("{}/other", github.url())).send().await;
    assert_eq!(other.unwrap().status(), 404);
    assert_eq!(github.requests().len(), 4);
}

#[tokio::test]
async fn the_index_mints_for_the_issued_token_only() {
    let jwt = oidc::jwt(&serde_json::json!({ "repository": "octo/pkg" }));
    let minting = Minting::new("testpypi", &jwt, "pypi-minted");
    let refusing = Minting {
        minted: None,
        ..minting.clone()
    };
    let (pypi, closed) = (
        index::index(move |r, _| minting.answer(r)),
        index::index(move |r, _| refusing.answer(r)),
    );
    let audience = get_json(&format!("{}/_/oidc/audience", pypi.base)).await;
    assert_eq!(audience["audience"], "testpypi");
    let mint = |fake: &Fake, token: &str| {
        client()
            .post(format!("{}/_/oidc/mint-token", fake.base))
            .body(serde_json::json!({ "token": token }).to_string())
            .send()
    };
    let minted: serde_json::Value = mint(&pypi, &jwt).await.unwrap().json().await.unwrap();
    assert_eq!(minted["token"], "pypi-minted");
    assert!(minted["expires"].as_u64().unwrap() > 0);
    let wrong = mint(&pypi, "not.the.jwt").await.unwrap();
    assert_eq!(wrong.status(), 422);
    let refused: serde_json::Value = mint(&closed, &jwt).await.unwrap().json().await.unwrap();
    assert_eq!(refused["errors"][0]["code"], "invalid-publisher");
    assert!(pypi.uploads().is_empty(), "the exchange is not an upload");
}
