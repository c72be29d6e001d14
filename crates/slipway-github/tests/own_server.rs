//! Cases the fake GitHub cannot stage: exact request headers under an Enterprise-style path
//! prefix, an https API redirected to plain http, a refused connection, and a `Link` header
//! that points at another host.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use secrecy::SecretString;
use slipway_github::{Asset, ClientConfig, GitHub, GitHubError, HttpError, RetryPolicy};
use slipway_runner::RepoSlug;

const TOKEN: &str = "ghs_OwnServerToken0123456789";

type Seen = Arc<Mutex<Vec<HeaderMap>>>;

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

fn client(api_url: &str) -> GitHub {
    let mut cfg = ClientConfig::new(
        api_url,
        Some(SecretString::from(TOKEN.to_string())),
        RepoSlug::parse("octo/pkg").unwrap(),
    );
    cfg.retry = RetryPolicy::fast(Duration::from_millis(5));
    GitHub::new(cfg).unwrap()
}

/// A route that records the request headers and answers `body`.
fn recording(
    seen: &Seen,
    status: StatusCode,
    extra: Vec<(&'static str, String)>,
    body: &'static str,
) -> axum::routing::MethodRouter {
    let seen = seen.clone();
    get(move |headers: HeaderMap| {
        let seen = seen.clone();
        let extra = extra.clone();
        async move {
            seen.lock().unwrap().push(headers);
            let mut resp = (status, body).into_response();
            for (k, v) in extra {
                resp.headers_mut().insert(k, v.parse().unwrap());
            }
            resp
        }
    })
}

#[tokio::test]
async fn sends_one_user_agent_and_the_api_headers_under_an_enterprise_prefix() {
    let seen = Seen::default();
    let router = Router::new().route(
        "/api/v3/repos/octo/pkg/tags",
        recording(
            &seen,
            StatusCode::OK,
            vec![],
            r#"[{"name":"v1","commit":{"sha":"abc"}}]"#,
        ),
    );
    let base = serve(router).await;
    let gh = client(&format!("{base}/api/v3"));
    let tags = gh.list_tags().await.unwrap();
    assert_eq!(tags[0].name, "v1");

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let h = &seen[0];
    let agents: Vec<_> = h.get_all(header::USER_AGENT).iter().collect();
    assert_eq!(agents, [concat!("slipway/", env!("CARGO_PKG_VERSION"))]);
    assert_eq!(h[header::ACCEPT], "application/vnd.github+json");
    assert_eq!(h["x-github-api-version"], "2022-11-28");
    assert_eq!(h[header::AUTHORIZATION], format!("Bearer {TOKEN}").as_str());
    assert_eq!(h.get_all(header::AUTHORIZATION).iter().count(), 1);
}

#[tokio::test]
async fn refuses_a_redirect_from_https_to_plain_http() {
    let storage_seen = Seen::default();
    let storage = serve(Router::new().route(
        "/blob",
        recording(&storage_seen, StatusCode::OK, vec![], "bytes"),
    ))
    .await;
    let api_seen = Seen::default();
    let redirector = serve(Router::new().route(
        "/asset",
        recording(
            &api_seen,
            StatusCode::FOUND,
            vec![("location", format!("{storage}/blob"))],
            "",
        ),
    ))
    .await;
    // An https API; the asset URL (as a compromised or confused server might give it) answers
    // with a redirect to plain http.
    let gh = client("https://api.example.invalid");
    let asset = Asset {
        id: 1,
        name: "pkg.whl".into(),
        label: None,
        size: 5,
        state: "uploaded".into(),
        digest: None,
        url: format!("{redirector}/asset"),
        browser_download_url: String::new(),
        content_type: "application/octet-stream".into(),
    };
    let mut out = Vec::new();
    let err = gh
        .download_asset(&asset, &mut out, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err.network(), Some(HttpError::Redirect { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("downgrade from https"), "{err}");
    assert!(out.is_empty());
    assert!(
        storage_seen.lock().unwrap().is_empty(),
        "the http URL was never fetched"
    );
    // The asset URL is not on the API origin, so even it did not get the token.
    let api_seen = api_seen.lock().unwrap();
    assert_eq!(api_seen.len(), 1);
    assert!(api_seen[0].get(header::AUTHORIZATION).is_none());
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The listener is dropped: nothing listens on `port` any more.
    let gh = client(&format!("http://127.0.0.1:{port}"));
    let err = gh.list_releases().await.unwrap_err();
    let Some(HttpError::Transport { attempts, .. }) = err.network() else {
        panic!("{err:?}")
    };
    assert_eq!(*attempts, 5);
    let text = err.to_string();
    assert!(
        text.starts_with("`GET /repos/octo/pkg/releases` failed after 5 attempt(s): "),
        "{text}"
    );
    assert!(text.to_lowercase().contains("connect"), "{text}");
    let retries = gh.retries();
    assert_eq!(retries.len(), 4);
    assert!(
        retries
            .iter()
            .all(|r| r.reason.starts_with("connection error")),
        "{retries:?}"
    );
}

#[tokio::test]
async fn does_not_follow_a_next_page_on_another_host() {
    let other_seen = Seen::default();
    let other = serve(Router::new().route(
        "/page2",
        recording(&other_seen, StatusCode::OK, vec![], "[]"),
    ))
    .await;
    let seen = Seen::default();
    let api = serve(Router::new().route(
        "/repos/octo/pkg/tags",
        recording(
            &seen,
            StatusCode::OK,
            vec![("link", format!("<{other}/page2>; rel=\"next\""))],
            "[]",
        ),
    ))
    .await;
    let err = client(&api).list_tags().await.unwrap_err();
    assert!(matches!(err, GitHubError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("another host"), "{err}");
    assert!(other_seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn rejects_a_token_that_cannot_be_a_header() {
    let mut cfg = ClientConfig::new(
        "https://api.github.com",
        Some(SecretString::from("token ghp_abc".to_string())),
        RepoSlug::parse("octo/pkg").unwrap(),
    );
    let err = GitHub::new(cfg.clone()).unwrap_err();
    assert!(
        err.to_string()
            .contains("without a `Bearer`/`token` prefix"),
        "{err}"
    );
    assert!(!format!("{err}{err:?}").contains("ghp_abc"));
    // Surrounding whitespace (a secret pasted with its newline) is trimmed, not rejected.
    cfg.token = Some(SecretString::from("ghp_abc\n".to_string()));
    assert!(GitHub::new(cfg).is_ok());
}
