//! The fake cannot drift from GitHub: every endpoint slipway uses is exercised through the real
//! client (`slipway-github`) with the fake recording whole exchanges, and each request and
//! answer is checked against GitHub's own OpenAPI description (`@octokit/openapi`, installed by
//! `scripts/setup-tools`) by `scripts/check-openapi.py`: path and method, query parameters,
//! request body, status, and the answer's properties, types and required fields.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{api, client as raw_client};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{Value, json};
use slipway_github::{
    ClientConfig, GitHub, GitHubError, IssuePatch, IssueState, NewIssue, NewRelease, ReleasePatch,
    RetryPolicy, StateFilter, StateReason,
};
use slipway_runner::RepoSlug;
use slipway_testkit::github::{
    EnvironmentRule, FakeGitHub, Fault, IssueSeed, Match, ReleaseSeed, RouteKind,
};

const REPO: &str = "octo/widgets";

/// Every operation the exercise must reach (GitHub's operation ids), with the answers that
/// matter: `:STATUS` asks for that status too.
const OPERATIONS: &[&str] = &[
    "repos/list-releases:200",
    "repos/create-release:201",
    "repos/create-release:422",
    "repos/get-release:200",
    "repos/update-release:200",
    "repos/delete-release:204",
    "repos/get-release-by-tag:200",
    "repos/get-release-by-tag:404",
    "repos/get-latest-release:200",
    "repos/generate-release-notes:200",
    "repos/list-release-assets:200",
    "repos/get-release-asset:200",
    "repos/get-release-asset:302",
    "repos/update-release-asset:200",
    "repos/delete-release-asset:204",
    "repos/upload-release-asset:201",
    "repos/upload-release-asset:422",
    "repos/list-tags:200",
    "git/get-ref:200",
    "git/get-ref:404",
    "git/delete-ref:204",
    "git/delete-ref:422",
    "repos/get-content:200",
    "repos/get-content:404",
    "repos/get-commit:200",
    "repos/get-commit:422",
    "repos/get-environment:200",
    "repos/get-environment:404",
    "rate-limit/get:200",
    "issues/list-for-repo:200",
    "issues/create:201",
    "issues/create:422",
    "issues/get:200",
    "issues/update:200",
    "issues/list-comments:200",
    "issues/create-comment:201",
    "issues/add-labels:200",
    "search/issues-and-pull-requests:200",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn client(fake: &FakeGitHub) -> GitHub {
    let mut cfg = ClientConfig::new(
        fake.api_url(),
        Some(SecretString::from(fake.token())),
        RepoSlug::parse(REPO).unwrap(),
    );
    cfg.retry = RetryPolicy::fast(Duration::from_millis(10));
    GitHub::new(cfg).unwrap()
}

/// Drives every endpoint slipway uses, the way the actions use them, including the answers
/// that are not 2xx (404s, `already_exists`, a failed upload's unfinished asset).
async fn exercise(fake: &FakeGitHub) {
    let gh = client(fake);
    let dir = tempfile::tempdir().unwrap();
    fake.add_file(
        "main",
        "pyproject.toml",
        b"[project]\nversion = \"1.0.0\"\n",
    );
    fake.add_file(
        "main",
        "src/widgets/__init__.py",
        b"__version__ = \"1.0.0\"\n",
    );
    let old = fake.add_release(ReleaseSeed::new("v0.9.0").body("old notes"));
    fake.add_asset(old, "widgets-0.9.0.tar.gz", b"old sdist", true);

    // Releases: list, by tag (found and not), latest, by id.
    assert_eq!(gh.list_releases().await.unwrap().len(), 1);
    assert!(gh.release_by_tag("v0.9.0").await.unwrap().is_some());
    assert!(gh.release_by_tag("v9.9.9").await.unwrap().is_none());
    assert_eq!(gh.latest_release().await.unwrap().unwrap().id, old);
    gh.release(old).await.unwrap();
    let notes = gh
        .generate_notes("v1.0.0", Some("main"), Some("v0.9.0"))
        .await
        .unwrap();
    assert!(notes.body.contains("v0.9.0"));

    // A draft with every field the actions send.
    let draft = gh
        .create_release(&NewRelease {
            tag_name: "v1.0.0".into(),
            target_commitish: Some("main".into()),
            name: Some("widgets 1.0.0".into()),
            body: Some(notes.body),
            draft: true,
            prerelease: false,
            make_latest: Some("true".into()),
            generate_release_notes: false,
        })
        .await
        .unwrap();
    let published_twice = gh
        .create_release(&NewRelease {
            tag_name: "v0.9.0".into(),
            ..NewRelease::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(published_twice, GitHubError::AlreadyExists { .. }),
        "{published_twice}"
    );

    // Assets: upload (on the uploads host), list, get, download (302 to storage), rename,
    // delete; an upload that fails upstream leaves an unfinished asset the client clears.
    let file = dir.path().join("widgets-1.0.0.tar.gz");
    std::fs::write(&file, b"sdist bytes").unwrap();
    let asset = gh
        .upload_asset(
            &draft,
            "widgets-1.0.0.tar.gz",
            &file,
            "application/gzip",
            |_| {},
        )
        .await
        .unwrap();
    // The first attempt answers 502 after creating the asset; the retry meets
    // `already_exists`, the client lists the assets, finds the unfinished one, deletes it and
    // uploads again.
    fake.inject(Fault::upload_fails_after_create(Match::route(
        RouteKind::UploadAsset,
    )));
    let wheel = dir.path().join("widgets-1.0.0-py3-none-any.whl");
    std::fs::write(&wheel, b"wheel bytes").unwrap();
    gh.upload_asset(
        &draft,
        "widgets-1.0.0-py3-none-any.whl",
        &wheel,
        "application/zip",
        |_| {},
    )
    .await
    .unwrap();
    let unfinished = fake.requests_to(RouteKind::ListAssets);
    assert_eq!(
        unfinished.len(),
        1,
        "the client looked for the unfinished asset"
    );
    // An upload with a label, the way other clients send it, and a name already taken.
    let duplicate = raw_client()
        .post(format!(
            "{}/repos/{REPO}/releases/{}/assets?name=widgets-1.0.0.tar.gz&label=sdist",
            fake.uploads_url(),
            draft.id
        ))
        .bearer_auth(fake.token())
        .header("content-type", "application/gzip")
        .body("sdist bytes")
        .send()
        .await
        .unwrap();
    assert_eq!(duplicate.status(), 422);
    let got = gh.asset(asset.id).await.unwrap();
    let mut bytes = Vec::new();
    gh.download_asset(&got, &mut bytes, |_| {}).await.unwrap();
    assert_eq!(bytes, b"sdist bytes");
    let renamed = api(
        fake,
        Method::PATCH,
        &format!("/repos/{REPO}/releases/assets/{}", asset.id),
    )
    .json(&json!({ "name": "widgets-1.0.0.tgz", "label": "sdist" }))
    .send()
    .await
    .unwrap();
    assert_eq!(renamed.status(), 200);
    gh.delete_asset(asset.id).await.unwrap();

    // Publish without making it latest, then make it latest.
    let patch = ReleasePatch {
        draft: Some(false),
        make_latest: Some("false".into()),
        ..ReleasePatch::default()
    };
    gh.update_release(draft.id, &patch).await.unwrap();
    assert_eq!(gh.latest_release().await.unwrap().unwrap().id, old);
    let patch = ReleasePatch {
        name: Some("widgets 1.0.0 (final)".into()),
        body: Some("notes".into()),
        prerelease: Some(false),
        make_latest: Some("true".into()),
        ..ReleasePatch::default()
    };
    gh.update_release(draft.id, &patch).await.unwrap();
    assert_eq!(gh.latest_release().await.unwrap().unwrap().id, draft.id);

    // Tags and refs.
    assert!(gh.list_tags().await.unwrap().len() >= 2);
    assert!(gh.tag_exists("v1.0.0").await.unwrap());
    assert!(!gh.tag_exists("v9.9.9").await.unwrap());
    fake.add_tag(
        "nightly-1.0.dev1",
        "0123456789abcdef0123456789abcdef01234567",
    );
    gh.delete_tag("nightly-1.0.dev1").await.unwrap();
    assert!(!gh.tag_exists("nightly-1.0.dev1").await.unwrap());
    assert!(gh.delete_tag("nightly-1.0.dev1").await.is_err());

    // Contents: a file (base64 JSON), a file raw, a directory, a missing path.
    assert!(
        gh.file_contents("pyproject.toml", "main")
            .await
            .unwrap()
            .is_some()
    );
    let raw = api(
        fake,
        Method::GET,
        &format!("/repos/{REPO}/contents/pyproject.toml?ref=main"),
    )
    .header("accept", "application/vnd.github.raw+json")
    .send()
    .await
    .unwrap();
    assert!(raw.text().await.unwrap().starts_with("[project]"));
    let dir_err = gh.file_contents("src", "main").await.unwrap_err();
    assert!(matches!(dir_err, GitHubError::NotAFile { .. }), "{dir_err}");
    assert!(
        gh.file_contents("src/widgets/missing.py", "main")
            .await
            .unwrap()
            .is_none()
    );

    // Commits: a committer time by sha and through a tag, an unknown sha (422).
    fake.add_commit(
        "0123456789abcdef0123456789abcdef01234567",
        "2026-05-01T09:30:00+02:00",
    );
    assert_eq!(
        gh.commit_time("0123456789abcdef0123456789abcdef01234567")
            .await
            .unwrap()
            .as_deref(),
        Some("2026-05-01T09:30:00+02:00")
    );
    assert!(
        gh.commit_time("fedcba9876543210fedcba9876543210fedcba98")
            .await
            .unwrap()
            .is_none()
    );

    // Environments: one with every kind of protection rule, one with none, one missing (404).
    fake.add_environment(
        None,
        "pypi",
        &[
            EnvironmentRule::Reviewers(vec!["octocat".into()]),
            EnvironmentRule::WaitTimer(30),
            EnvironmentRule::Branches { protected: false },
        ],
    );
    fake.add_environment(None, "testpypi", &[]);
    let pypi = gh.environment("pypi").await.unwrap().unwrap();
    assert_eq!(pypi.gates().len(), 2);
    let open = gh.environment("testpypi").await.unwrap().unwrap();
    assert!(open.gates().is_empty() && open.branch_policy().is_none());
    assert!(gh.environment("staging").await.unwrap().is_none());

    let rate = api(fake, Method::GET, "/rate_limit").send().await.unwrap();
    assert_eq!(rate.status(), 200);

    gh.delete_release(draft.id).await.unwrap();
    assert!(gh.release(draft.id).await.is_err());

    exercise_issues(fake, &gh).await;
}

/// The issues API as test-issues uses it: the paged list by label and state (pull requests
/// among the issues), create, get, close and reopen with a reason, comments, labels; and the
/// search endpoint the tool must never need.
async fn exercise_issues(fake: &FakeGitHub, gh: &GitHub) {
    fake.set_search_lag(Duration::ZERO);
    fake.add_issue(
        IssueSeed::new("Add retries")
            .label("test-failure")
            .pull_request(),
    );
    fake.add_issue(IssueSeed::new("old").label("test-failure").closed());
    let created = gh
        .create_issue(&NewIssue {
            title: "Failing test: t::a".into(),
            body: "<!-- key -->\nbody".into(),
            labels: vec!["test-failure".into()],
        })
        .await
        .unwrap();
    let listed = gh
        .list_issues(&["test-failure"], StateFilter::All)
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed.iter().filter(|i| i.is_pull_request()).count(), 1);
    assert_eq!(
        gh.issue(created.number).await.unwrap().title,
        "Failing test: t::a"
    );
    let too_long = gh
        .create_issue(&NewIssue {
            title: "x".into(),
            body: "x".repeat(65_537),
            labels: Vec::new(),
        })
        .await
        .unwrap_err();
    assert!(matches!(too_long, GitHubError::Validation(_)), "{too_long}");
    gh.create_issue_comment(created.number, "<!-- run -->\nstill failing")
        .await
        .unwrap();
    assert_eq!(
        gh.list_issue_comments(created.number).await.unwrap().len(),
        1
    );
    gh.add_issue_labels(created.number, &["flaky".into()])
        .await
        .unwrap();
    for (state, reason) in [
        (IssueState::Closed, StateReason::Completed),
        (IssueState::Open, StateReason::Reopened),
        (IssueState::Closed, StateReason::Duplicate),
    ] {
        let patch = IssuePatch {
            state: Some(state),
            state_reason: Some(reason),
            ..IssuePatch::default()
        };
        let i = gh.update_issue(created.number, &patch).await.unwrap();
        assert_eq!(i.state, state);
    }
    let patch = IssuePatch {
        title: Some("3 failing tests".into()),
        body: Some("new body".into()),
        ..IssuePatch::default()
    };
    gh.update_issue(created.number, &patch).await.unwrap();
    let found = api(
        fake,
        Method::GET,
        "/search/issues?q=repo%3Aocto%2Fwidgets+is%3Aissue+label%3Atest-failure+body&per_page=100",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(found.status(), 200);
}

/// Runs `scripts/check-openapi.py` on exchanges; returns whether it passed, and its output.
fn check(exchanges: &[Value], expect: &[&str]) -> (bool, String) {
    let root = root();
    let venv = std::env::var_os("SLIPWAY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv"));
    let python = venv.join("bin/python");
    let spec = root.join("node_modules/@octokit/openapi/generated/api.github.com.json");
    assert!(
        python.exists() && spec.exists(),
        "`{}` or `{}` is missing\nhint: run scripts/setup-tools (it installs the Python tools and GitHub's API description)",
        python.display(),
        spec.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("exchanges.json");
    std::fs::write(&log, serde_json::to_vec(exchanges).unwrap()).unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(root.join("scripts/check-openapi.py"))
        .arg("--spec")
        .arg(&spec);
    for op in expect {
        cmd.args(["--expect", op]);
    }
    let out = cmd.arg(&log).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "check-openapi.py could not run:\n{text}"
    );
    (out.status.success(), text)
}

async fn recorded() -> Vec<Value> {
    let fake = FakeGitHub::with_repo(REPO);
    fake.capture_exchanges();
    exercise(&fake).await;
    assert!(fake.unexpected_requests().is_empty());
    fake.exchanges()
        .iter()
        .map(slipway_testkit::github::Exchange::to_json)
        .collect()
}

#[tokio::test]
async fn every_request_and_answer_matches_githubs_api_description() {
    let exchanges = recorded().await;
    let (ok, report) = check(&exchanges, OPERATIONS);
    println!("{report}");
    assert!(ok, "the fake or the client drifted from GitHub:\n{report}");
    assert!(report.contains(" 0 findings"), "{report}");
}

/// The first recorded exchange of `method` + route whose status is `status`.
fn find<'a>(exchanges: &'a mut [Value], method: &str, route: &str, status: u16) -> &'a mut Value {
    exchanges
        .iter_mut()
        .find(|e| e["method"] == method && e["route"] == route && e["response"]["status"] == status)
        .unwrap_or_else(|| panic!("no {method} {route} → {status} was recorded"))
}

#[tokio::test]
async fn a_planted_wrong_field_is_caught() {
    let mut exchanges = recorded().await;
    // The drifts the fake once had: an author with only three fields, a contents entry without
    // `_links`, an unfinished asset in a state the description does not list.
    let created = find(&mut exchanges, "POST", "CreateRelease", 201);
    created["response"]["json"]["author"] =
        json!({ "login": "github-actions[bot]", "id": 41_898_282, "type": "Bot" });
    let file = find(&mut exchanges, "GET", "GetContents", 200);
    file["response"]["json"]
        .as_object_mut()
        .unwrap()
        .remove("_links");
    let listed = find(&mut exchanges, "GET", "ListAssets", 200);
    listed["response"]["json"][0]["state"] = json!("starter");
    // A field of the wrong type, a field the description does not have.
    let got = find(&mut exchanges, "GET", "GetRelease", 200);
    got["response"]["json"]["id"] = json!("100001");
    let asset = find(&mut exchanges, "GET", "GetAsset", 200);
    asset["response"]["json"]["sha256"] = json!("0123");
    // A request with a misspelled field, and a query parameter the endpoint does not take.
    let created = find(&mut exchanges, "POST", "CreateRelease", 201);
    let body = created["request"]["json"].as_object_mut().unwrap();
    let tag = body.remove("tag_name").unwrap();
    body.insert("tag".into(), tag);
    let tags = find(&mut exchanges, "GET", "ListTags", 200);
    tags["query"] = json!("per_page=100&sort=desc");

    // And an answer the exercise was expected to reach but did not.
    let (ok, report) = check(&exchanges, &["repos/get-release-asset:500"]);
    println!("{report}");
    assert!(!ok, "planted errors passed:\n{report}");
    for expected in [
        "body $.author: 'avatar_url' is a required property",
        "body $: '_links' is a required property",
        "body $[0].state: 'starter' is not one of ['uploaded', 'open']",
        "body $.id: '100001' is not of type 'integer'",
        "('sha256' was unexpected)",
        "request body $: 'tag_name' is a required property",
        "('tag' was unexpected)",
        "query parameter `sort` is not declared",
        "`repos/get-release-asset:500` was expected but no exchange exercised it",
    ] {
        assert!(
            report.contains(expected),
            "`{expected}` not reported:\n{report}"
        );
    }
}
