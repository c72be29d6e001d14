//! The client against the testkit's fake GitHub: paging, retries, rate limits, errors, and
//! where the token goes.

use std::time::{Duration, Instant};

use secrecy::SecretString;
use slipway_github::{ClientConfig, GitHub, GitHubError, NewRelease, ReleasePatch, RetryPolicy};
use slipway_runner::RepoSlug;
use slipway_testkit::github::{
    FakeGitHub, Fault, FaultAction, Host, Match, ReleaseSeed, RouteKind,
};

const REPO: &str = "octo/widgets";

fn config(fake: &FakeGitHub, token: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        fake.api_url(),
        Some(SecretString::from(token.to_string())),
        RepoSlug::parse(REPO).unwrap(),
    );
    cfg.retry = RetryPolicy::fast(Duration::from_millis(10));
    cfg
}

fn client(fake: &FakeGitHub) -> GitHub {
    GitHub::new(config(fake, &fake.token())).unwrap()
}

fn bearer(fake: &FakeGitHub) -> Option<String> {
    Some(format!("Bearer {}", fake.token()))
}

#[tokio::test]
async fn lists_every_page_with_the_token_and_per_page_100() {
    let fake = FakeGitHub::with_repo(REPO);
    for i in 0..250 {
        let seed = ReleaseSeed::new(format!("v0.{i}.0"));
        fake.add_release(if i % 7 == 0 { seed.draft() } else { seed });
    }
    let gh = client(&fake);
    let releases = gh.list_releases().await.unwrap();
    assert_eq!(releases.len(), 250);
    let mut ids: Vec<u64> = releases.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 250, "no release twice");
    assert_eq!(releases.iter().filter(|r| r.draft).count(), 36);

    let pages = fake.requests_to(RouteKind::ListReleases);
    assert_eq!(pages.len(), 3);
    for p in &pages {
        assert_eq!(p.authorization, bearer(&fake));
        assert_eq!(p.accept.as_deref(), Some("application/vnd.github+json"));
        assert!(
            p.query.as_deref().unwrap_or("").contains("per_page=100"),
            "{p:?}"
        );
    }
    assert!(fake.unexpected_requests().is_empty());
    assert!(gh.retries().is_empty());
}

#[tokio::test]
async fn finds_drafts_by_paging_oldest_first() {
    let fake = FakeGitHub::with_repo(REPO);
    let first = fake.add_release(ReleaseSeed::new("v1.0.0").draft().created_at(1_000));
    let second = fake.add_release(ReleaseSeed::new("v1.0.0").draft().created_at(2_000));
    fake.add_release(ReleaseSeed::new("v0.9.0").created_at(500));
    let gh = client(&fake);

    // By tag, GitHub only answers published releases.
    assert_eq!(gh.release_by_tag("v1.0.0").await.unwrap(), None);
    assert!(gh.find_release("v1.0.0", false).await.unwrap().is_empty());
    let found = gh.find_release("v1.0.0", true).await.unwrap();
    assert_eq!(
        found.iter().map(|r| r.id).collect::<Vec<_>>(),
        [first, second]
    );

    let published = gh.find_release("v0.9.0", true).await.unwrap();
    assert_eq!(
        published.len(),
        1,
        "found by tag and in the list, listed once"
    );
    assert_eq!(
        gh.latest_release().await.unwrap().unwrap().tag_name,
        "v0.9.0"
    );
}

#[tokio::test]
async fn release_lifecycle_and_notes() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_release(ReleaseSeed::new("v0.1.0"));
    let gh = client(&fake);
    let created = gh
        .create_release(&NewRelease {
            tag_name: "v0.2.0".into(),
            target_commitish: Some("main".into()),
            name: Some("v0.2.0".into()),
            body: Some("notes".into()),
            draft: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(created.draft);
    assert!(
        created.upload_url.contains("{?name,label}"),
        "{}",
        created.upload_url
    );
    assert_eq!(
        gh.release(created.id).await.unwrap().body.as_deref(),
        Some("notes")
    );

    let patched = gh
        .update_release(
            created.id,
            &ReleasePatch {
                body: Some("better notes".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(patched.body.as_deref(), Some("better notes"));
    assert!(patched.draft, "fields left out are unchanged");

    let notes = gh
        .generate_notes("v0.2.0", Some("main"), Some("v0.1.0"))
        .await
        .unwrap();
    assert!(!notes.body.is_empty());

    gh.delete_release(created.id).await.unwrap();
    match gh.release(created.id).await {
        Err(GitHubError::NotFound(f)) => assert_eq!(f.status, 404),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retries_a_502_then_succeeds_and_records_it() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_release(ReleaseSeed::new("v1.0.0"));
    fake.inject(Fault::status(Match::route(RouteKind::ListReleases), 502));
    let gh = client(&fake);
    assert_eq!(gh.list_releases().await.unwrap().len(), 1);
    let retries = gh.retries();
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(retries[0].method, "GET");
    assert_eq!(retries[0].url, "/repos/octo/widgets/releases");
    assert_eq!(retries[0].reason, "502 Bad Gateway");
    assert_eq!((retries[0].attempt, retries[0].max_attempts), (2, 5));
    let statuses: Vec<u16> = fake
        .requests_to(RouteKind::ListReleases)
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [502, 200]);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_tag("v1.0.0", "abc123");
    fake.inject(Fault::too_many_requests(
        Match::route(RouteKind::ListTags),
        1,
    ));
    let gh = client(&fake);
    let start = Instant::now();
    let tags = gh.list_tags().await.unwrap();
    assert_eq!(tags[0].name, "v1.0.0");
    assert_eq!(tags[0].commit.sha, "abc123");
    // The policy's backoff is 10 ms: only retry-after explains a one-second wait.
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let r = &gh.retries()[0];
    assert_eq!(r.wait, Duration::from_secs(1));
    assert!(r.reason.starts_with("429"), "{}", r.reason);
}

#[tokio::test]
async fn waits_out_a_secondary_rate_limit() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_release(ReleaseSeed::new("v1.0.0"));
    // With retry-after.
    fake.inject(Fault::secondary_rate_limit(
        Match::route(RouteKind::ReleaseByTag),
        1,
    ));
    // Without: the policy's secondary wait (60 s by default, 10 ms here).
    fake.inject(Fault::new(
        Match::route(RouteKind::ReleaseByTag).nth(2),
        FaultAction::Respond {
            status: 403,
            headers: vec![],
            body: serde_json::json!({"message": "You have exceeded a secondary rate limit."}),
        },
    ));
    let gh = client(&fake);
    assert!(gh.release_by_tag("v1.0.0").await.unwrap().is_some());
    let waits: Vec<(Duration, String)> = gh
        .retries()
        .into_iter()
        .map(|r| (r.wait, r.reason))
        .collect();
    assert_eq!(
        waits,
        [
            (
                Duration::from_secs(1),
                "403 Forbidden (secondary rate limit)".to_string()
            ),
            (
                Duration::from_millis(20),
                "403 Forbidden (secondary rate limit)".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn waits_for_the_primary_rate_limit_reset() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_tag("v1.0.0", "abc");
    fake.inject(Fault::primary_rate_limit(
        Match::route(RouteKind::GetTagRef),
        1,
    ));
    let gh = client(&fake);
    assert!(gh.tag_exists("v1.0.0").await.unwrap());
    let r = &gh.retries()[0];
    assert_eq!(r.reason, "403 Forbidden (rate limit)");
    // Until the reset (at most a second away) plus the 10 ms margin.
    assert!(
        r.wait >= Duration::from_millis(10) && r.wait <= Duration::from_millis(1010),
        "{r:?}"
    );
    assert!(!gh.tag_exists("v9.9.9").await.unwrap());
}

#[tokio::test]
async fn gives_up_on_a_distant_reset_at_once_and_says_when() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.inject(Fault::primary_rate_limit(
        Match::route(RouteKind::ListTags).always(),
        3600,
    ));
    let gh = client(&fake);
    let err = gh.list_tags().await.unwrap_err();
    assert!(
        matches!(err, GitHubError::RateLimited { reset: Some(_), .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("longer than the 5 min 0 s this client waits"),
        "{text}"
    );
    assert!(text.contains("the limit resets at "), "{text}");
    assert!(text.contains("API rate limit exceeded"), "{text}");
    assert_eq!(
        fake.requests_to(RouteKind::ListTags).len(),
        1,
        "no pointless retries"
    );
}

#[tokio::test]
async fn exhausted_retries_are_typed() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.inject(Fault::too_many_requests(
        Match::route(RouteKind::ListTags).always(),
        0,
    ));
    fake.inject(Fault::status(
        Match::route(RouteKind::ListReleases).always(),
        503,
    ));
    let gh = client(&fake);

    let err = gh.list_tags().await.unwrap_err();
    assert!(matches!(err, GitHubError::RateLimited { .. }), "{err:?}");
    assert!(
        err.to_string().contains("still limited after 5 attempt(s)"),
        "{err}"
    );

    let err = gh.list_releases().await.unwrap_err();
    let GitHubError::Server(f) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((f.status, f.attempts), (503, 5));
    let text = err.to_string();
    assert!(
        text.starts_with("`GET /repos/octo/widgets/releases` answered 503 Service Unavailable: Service Unavailable after 5 attempts"),
        "{text}"
    );
    assert!(
        text.contains("hint: GitHub had trouble answering"),
        "{text}"
    );
    assert_eq!(fake.requests_to(RouteKind::ListReleases).len(), 5);
    assert_eq!(gh.retries().len(), 8);
}

#[tokio::test]
async fn a_404_or_422_is_never_retried() {
    let fake = FakeGitHub::with_repo(REPO);
    let gh = client(&fake);
    let err = gh.release(424242).await.unwrap_err();
    assert!(matches!(err, GitHubError::NotFound(_)), "{err:?}");
    assert!(
        err.to_string()
            .contains("hint: GitHub also answers 404 for a private repository"),
        "{err}"
    );
    fake.add_release(ReleaseSeed::new("v1.0.0"));
    // A second published release for the same tag is refused with `already_exists`.
    let dup = gh
        .create_release(&NewRelease {
            tag_name: "v1.0.0".into(),
            ..Default::default()
        })
        .await;
    match dup {
        Err(GitHubError::AlreadyExists(f)) => assert_eq!(f.codes, ["already_exists"]),
        other => panic!("{other:?}"),
    }
    // Any other 422 is `Validation`.
    let empty = gh.create_release(&NewRelease::default()).await;
    assert!(
        matches!(empty, Err(GitHubError::Validation(_))),
        "{empty:?}"
    );
    assert_eq!(fake.requests_to(RouteKind::CreateRelease).len(), 2);
    assert!(gh.retries().is_empty());
}

#[tokio::test]
async fn a_rejected_token_is_named_but_never_shown() {
    let fake = FakeGitHub::with_repo(REPO);
    let wrong = "ghp_WrongTokenThatMustNeverBePrinted0001";
    let gh = GitHub::new(config(&fake, wrong)).unwrap();
    let err = gh.list_releases().await.unwrap_err();
    assert!(matches!(err, GitHubError::Unauthorized(_)), "{err:?}");
    let shown = format!("{err}\n{err:?}\n{gh:?}");
    assert!(shown.contains("the token was rejected"), "{shown}");
    assert!(shown.contains("hint: pass a valid token"), "{shown}");
    assert!(!shown.contains(wrong), "{shown}");
    assert!(!shown.contains(&fake.token()), "{shown}");
    assert_eq!(
        fake.requests()[0].authorization.as_deref(),
        Some(format!("Bearer {wrong}").as_str())
    );
}

#[tokio::test]
async fn reads_files_small_large_and_missing() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_file(
        "main",
        "pyproject.toml",
        b"[project]\nversion = \"1.2.3\"\n",
    );
    let big: Vec<u8> = (0..1_500_000u32).map(|i| (i % 251) as u8).collect();
    fake.add_file("main", "data/big.bin", &big);
    let gh = client(&fake);
    assert_eq!(
        gh.file_contents("pyproject.toml", "main")
            .await
            .unwrap()
            .unwrap(),
        b"[project]\nversion = \"1.2.3\"\n"
    );
    assert_eq!(
        gh.file_contents("data/big.bin", "main")
            .await
            .unwrap()
            .unwrap(),
        big
    );
    assert_eq!(
        gh.file_contents("missing.toml", "main").await.unwrap(),
        None
    );
    assert!(matches!(
        gh.file_contents("data", "main").await,
        Err(GitHubError::NotAFile { .. })
    ));
}

#[tokio::test]
async fn api_calls_keep_the_token_on_the_api_host() {
    let fake = FakeGitHub::with_repo(REPO);
    let id = fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    let asset = fake.add_asset(id, "a.whl", b"wheel", true);
    let gh = client(&fake);
    let listed = gh.list_assets(id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(gh.asset(asset).await.unwrap().sha256(), listed[0].sha256());
    gh.delete_asset(asset).await.unwrap();
    assert!(gh.list_assets(id).await.unwrap().is_empty());
    for r in fake.requests() {
        assert_eq!(r.host, Host::Api);
        assert_eq!(r.authorization, bearer(&fake), "{r:?}");
    }
}
