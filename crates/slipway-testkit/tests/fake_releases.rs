//! The fake's release, tag, contents and bookkeeping endpoints, driven over HTTP.

mod common;

use common::{api, client, get_json};
use reqwest::Method;
use serde_json::{Value, json};
use slipway_testkit::github::{FakeGitHub, MakeLatest, ReleaseSeed, RouteKind};

const REPO: &str = "octo/widgets";

#[tokio::test]
async fn token_and_repository_are_checked() {
    let fake = FakeGitHub::with_repo(REPO);
    let url = format!("{}/repos/{REPO}/releases", fake.api_url());
    let none = client().get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(
        none.json::<Value>().await.unwrap()["message"],
        "Requires authentication"
    );
    for header in ["Bearer wrong", "token wrong", "Basic abc"] {
        let r = client()
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{header}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["message"], "Bad credentials");
        assert!(body["documentation_url"].is_string());
    }
    let token = fake.token();
    for header in [format!("Bearer {token}"), format!("token {token}")] {
        let r = client()
            .get(&url)
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        for h in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-used",
        ] {
            assert!(r.headers().contains_key(h), "{h} missing");
        }
    }
    let missing = api(&fake, Method::GET, "/repos/octo/nope/releases")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["message"],
        "Not Found"
    );
    // Owner and name match case-insensitively, as on GitHub.
    let cased = api(&fake, Method::GET, "/repos/Octo/Widgets/releases")
        .send()
        .await
        .unwrap();
    assert_eq!(cased.status(), 200);
    fake.set_token("rotated");
    let old = client()
        .get(format!("{}/rate_limit", fake.api_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the old token no longer works");
    let new = api(&fake, Method::GET, "/rate_limit").send().await.unwrap();
    assert_eq!(new.status(), 200);
}

#[tokio::test]
async fn drafts_are_listed_but_hidden_from_tag_and_latest_lookups() {
    let fake = FakeGitHub::with_repo(REPO);
    let published = fake.add_release(ReleaseSeed::new("v1.0.0"));
    fake.add_release(ReleaseSeed::new("v1.1.0rc1").prerelease());
    let draft = fake.add_release(ReleaseSeed::new("v1.1.0").draft());

    let by_tag = api(
        &fake,
        Method::GET,
        &format!("/repos/{REPO}/releases/tags/v1.1.0"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(by_tag.status(), 404, "drafts are never returned by tag");
    let by_tag: Value = get_json(&fake, &format!("/repos/{REPO}/releases/tags/v1.0.0")).await;
    assert_eq!(by_tag["id"], published);

    let latest: Value = get_json(&fake, &format!("/repos/{REPO}/releases/latest")).await;
    assert_eq!(
        latest["tag_name"], "v1.0.0",
        "latest skips drafts and pre-releases"
    );

    let list: Vec<Value> = get_json(&fake, &format!("/repos/{REPO}/releases")).await;
    let tags: Vec<&str> = list
        .iter()
        .map(|r| r["tag_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["v1.1.0", "v1.1.0rc1", "v1.0.0"],
        "newest first, drafts included"
    );
    let d = &list[0];
    assert_eq!(d["draft"], true);
    assert!(d["published_at"].is_null());
    assert!(
        d["html_url"]
            .as_str()
            .unwrap()
            .contains("/releases/tag/untagged-")
    );
    assert_eq!(
        d["upload_url"],
        format!(
            "{}/repos/{REPO}/releases/{draft}/assets{{?name,label}}",
            fake.uploads_url()
        )
    );
    for field in [
        "url",
        "assets_url",
        "target_commitish",
        "created_at",
        "name",
        "body",
        "prerelease",
        "assets",
    ] {
        assert!(d.get(field).is_some(), "release field `{field}` missing");
    }
    // A draft has no tag yet; publishing creates it.
    assert!(fake.tags().iter().all(|(n, _)| n != "v1.1.0"));
    fake.publish(draft);
    assert!(fake.tags().iter().any(|(n, _)| n == "v1.1.0"));
    let latest: Value = get_json(&fake, &format!("/repos/{REPO}/releases/latest")).await;
    assert_eq!(latest["id"], draft);
    assert!(latest["published_at"].is_string());
}

async fn latest_tag(fake: &FakeGitHub) -> Value {
    get_json::<Value>(fake, &format!("/repos/{REPO}/releases/latest")).await["tag_name"].clone()
}

#[tokio::test]
async fn latest_follows_make_latest_not_the_creation_date() {
    let fake = FakeGitHub::with_repo(REPO);
    let patch = |id: u64, body: Value| {
        api(
            &fake,
            Method::PATCH,
            &format!("/repos/{REPO}/releases/{id}"),
        )
        .json(&body)
        .send()
    };
    assert_eq!(
        create(&fake, json!({"tag_name": "v2.0.0"})).await.status(),
        201
    );
    // A backport of the 1.x line, published after 2.0.0: not the latest.
    let backport = create(&fake, json!({"tag_name": "v1.9.1", "make_latest": "false"})).await;
    assert_eq!(backport.status(), 201);
    let backport = backport.json::<Value>().await.unwrap()["id"]
        .as_u64()
        .unwrap();
    assert_eq!(latest_tag(&fake).await, "v2.0.0");
    // `legacy`: the newest by creation date, whatever its version.
    patch(backport, json!({"make_latest": "legacy"}))
        .await
        .unwrap();
    assert_eq!(latest_tag(&fake).await, "v1.9.1");
    // A draft published with the default becomes the latest; a prerelease never does.
    let draft = create(&fake, json!({"tag_name": "v2.1.0", "draft": true})).await;
    let draft = draft.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    assert_eq!(latest_tag(&fake).await, "v1.9.1", "a draft is not latest");
    patch(draft, json!({"draft": false})).await.unwrap();
    assert_eq!(latest_tag(&fake).await, "v2.1.0");
    let pre = create(
        &fake,
        json!({"tag_name": "v3.0.0rc1", "prerelease": true, "make_latest": "true"}),
    );
    assert_eq!(pre.await.status(), 201);
    assert_eq!(latest_tag(&fake).await, "v2.1.0");
    // Seeds follow the same rule.
    fake.add_release(ReleaseSeed::new("v1.9.2").make_latest(MakeLatest::False));
    assert_eq!(latest_tag(&fake).await, "v2.1.0");
    let bad = create(&fake, json!({"tag_name": "v4", "make_latest": "yes"})).await;
    assert_eq!(bad.status(), 422);
    let bad: Value = bad.json().await.unwrap();
    assert_eq!(bad["errors"][0]["field"], "make_latest");
}

fn links(resp: &reqwest::Response) -> Vec<(String, String)> {
    let Some(h) = resp.headers().get("link") else {
        return Vec::new();
    };
    h.to_str()
        .unwrap()
        .split(", ")
        .map(|part| {
            let (url, rel) = part.split_once("; rel=").unwrap();
            (
                rel.trim_matches('"').to_string(),
                url.trim_matches(['<', '>']).to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn paging_with_link_headers_over_250_releases() {
    let fake = FakeGitHub::with_repo(REPO);
    for i in 0..250 {
        fake.add_release(ReleaseSeed::new(format!("v0.{i}.0")).created_at(1_700_000_000 + i));
    }
    let mut url = format!("{}/repos/{REPO}/releases?per_page=100", fake.api_url());
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let resp = client()
            .get(&url)
            .bearer_auth(fake.token())
            .send()
            .await
            .unwrap();
        let l = links(&resp);
        let page: Vec<Value> = resp.json().await.unwrap();
        pages += 1;
        if pages == 1 {
            let rels: Vec<&str> = l.iter().map(|(r, _)| r.as_str()).collect();
            assert_eq!(rels, ["next", "last"]);
            assert!(l[1].1.starts_with(fake.api_url()), "absolute URLs");
            assert!(
                l[1].1.contains("page=3") && l[1].1.contains("per_page=100"),
                "{}",
                l[1].1
            );
        }
        if pages == 2 {
            let rels: Vec<&str> = l.iter().map(|(r, _)| r.as_str()).collect();
            assert_eq!(rels, ["prev", "next", "last", "first"]);
        }
        seen.extend(
            page.iter()
                .map(|r| r["tag_name"].as_str().unwrap().to_string()),
        );
        match l.iter().find(|(rel, _)| rel == "next") {
            Some((_, next)) => url = next.clone(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 250);
    assert_eq!(seen[0], "v0.249.0", "newest first");
    assert_eq!(seen[249], "v0.0.0");
    let default: Vec<Value> = get_json(&fake, &format!("/repos/{REPO}/releases")).await;
    assert_eq!(default.len(), 30);
    let capped: Vec<Value> = get_json(&fake, &format!("/repos/{REPO}/releases?per_page=500")).await;
    assert_eq!(capped.len(), 100);
    let past: Vec<Value> = get_json(
        &fake,
        &format!("/repos/{REPO}/releases?per_page=100&page=9"),
    )
    .await;
    assert!(past.is_empty());
}

async fn create(fake: &FakeGitHub, body: Value) -> reqwest::Response {
    api(fake, Method::POST, &format!("/repos/{REPO}/releases"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn validation_rules_for_tags() {
    let fake = FakeGitHub::with_repo(REPO);
    let first = create(
        &fake,
        json!({"tag_name": "v2.0", "draft": true, "name": "2.0"}),
    )
    .await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().contains_key("location"));
    let first: Value = first.json().await.unwrap();
    let second = create(&fake, json!({"tag_name": "v2.0", "draft": true})).await;
    assert_eq!(
        second.status(),
        201,
        "several drafts may share a tag, as on GitHub"
    );
    let second: Value = second.json().await.unwrap();

    let publish = |id: &Value| {
        api(
            &fake,
            Method::PATCH,
            &format!("/repos/{REPO}/releases/{id}"),
        )
        .json(&json!({"draft": false}))
        .send()
    };
    let published = publish(&first["id"]).await.unwrap();
    assert_eq!(published.status(), 200);
    let published: Value = published.json().await.unwrap();
    assert_eq!(published["draft"], false);
    assert!(published["published_at"].is_string());

    let clash = publish(&second["id"]).await.unwrap();
    assert_eq!(clash.status(), 422, "publishing a second release for a tag");
    let err: Value = clash.json().await.unwrap();
    assert_eq!(
        err["errors"][0],
        json!({"resource": "Release", "code": "already_exists", "field": "tag_name"})
    );

    let direct = create(&fake, json!({"tag_name": "v2.0"})).await;
    assert_eq!(direct.status(), 422);
    let missing = create(&fake, json!({"name": "no tag"})).await;
    assert_eq!(missing.status(), 422);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["errors"][0]["code"],
        "missing_field"
    );
    let bad = api(&fake, Method::POST, &format!("/repos/{REPO}/releases"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let del = api(
        &fake,
        Method::DELETE,
        &format!("/repos/{REPO}/releases/{}", first["id"]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(del.status(), 204);
    assert_eq!(
        publish(&second["id"]).await.unwrap().status(),
        200,
        "free again once deleted"
    );
    let gone = api(
        &fake,
        Method::GET,
        &format!("/repos/{REPO}/releases/{}", first["id"]),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(fake.releases(REPO).len(), 1);
}

#[tokio::test]
async fn generated_notes_mention_the_previous_release() {
    let fake = FakeGitHub::with_repo(REPO);
    fake.add_release(ReleaseSeed::new("v1.0.0"));
    let notes: Value = api(
        &fake,
        Method::POST,
        &format!("/repos/{REPO}/releases/generate-notes"),
    )
    .json(&json!({"tag_name": "v1.1.0"}))
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(notes["name"], "v1.1.0");
    assert!(
        notes["body"].as_str().unwrap().contains("v1.0.0...v1.1.0"),
        "{notes}"
    );
    let explicit = api(
        &fake,
        Method::POST,
        &format!("/repos/{REPO}/releases/generate-notes"),
    )
    .json(&json!({"tag_name": "v1.1.0", "previous_tag_name": "v0.1"}))
    .send()
    .await
    .unwrap();
    assert_eq!(explicit.status(), 422, "an unknown previous tag is refused");
}

#[tokio::test]
async fn tags_refs_and_contents() {
    let fake = FakeGitHub::with_repo(REPO);
    let sha = "a".repeat(40);
    fake.add_tag("v1.0.0", &sha);
    fake.add_tag("v1.1.0", &"b".repeat(40));
    let text = "[project]\nname = \"widgets\"\nversion = \"1.0.0\"\n".repeat(3);
    fake.add_file(&sha, "pyproject.toml", text.as_bytes());
    fake.add_file(
        "main",
        "src/widgets/__init__.py",
        b"__version__ = '1.1.0'\n",
    );

    let tags: Vec<Value> = get_json(&fake, &format!("/repos/{REPO}/tags")).await;
    assert_eq!(tags[0]["name"], "v1.1.0");
    assert_eq!(tags[1]["commit"]["sha"], sha);
    let r: Value = get_json(&fake, &format!("/repos/{REPO}/git/ref/tags/v1.0.0")).await;
    assert_eq!(
        (r["ref"].as_str(), r["object"]["sha"].as_str()),
        (Some("refs/tags/v1.0.0"), Some(sha.as_str()))
    );
    let none = api(
        &fake,
        Method::GET,
        &format!("/repos/{REPO}/git/ref/tags/v9"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(none.status(), 404);

    let file: Value = get_json(
        &fake,
        &format!("/repos/{REPO}/contents/pyproject.toml?ref={sha}"),
    )
    .await;
    assert_eq!(
        (file["type"].as_str(), file["encoding"].as_str()),
        (Some("file"), Some("base64"))
    );
    assert_eq!(file["size"], text.len());
    assert_eq!(file["name"], "pyproject.toml");
    let content = file["content"].as_str().unwrap();
    assert!(content.lines().all(|l| l.len() <= 60) && content.lines().next().unwrap().len() == 60);
    assert!(content.ends_with('\n'));
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(content.replace('\n', ""))
        .unwrap();
    assert_eq!(decoded, text.as_bytes());
    // The tag names the same tree as its commit.
    let by_tag = api(
        &fake,
        Method::GET,
        &format!("/repos/{REPO}/contents/pyproject.toml?ref=v1.0.0"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(by_tag.status(), 200);
    let raw = api(
        &fake,
        Method::GET,
        &format!("/repos/{REPO}/contents/src/widgets/__init__.py"),
    )
    .header("accept", "application/vnd.github.raw+json")
    .send()
    .await
    .unwrap();
    assert_eq!(
        raw.bytes().await.unwrap().as_ref(),
        b"__version__ = '1.1.0'\n",
        "default branch, raw"
    );
    let dir: Vec<Value> = get_json(&fake, &format!("/repos/{REPO}/contents/src")).await;
    assert_eq!(
        (dir[0]["type"].as_str(), dir[0]["path"].as_str()),
        (Some("dir"), Some("src/widgets"))
    );
    for missing in ["/contents/nope.toml", "/contents/pyproject.toml?ref=main"] {
        let r = api(&fake, Method::GET, &format!("/repos/{REPO}{missing}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{missing}");
    }
}

#[tokio::test]
async fn the_log_records_requests_and_names_unexpected_ones() {
    let fake = FakeGitHub::with_repo(REPO);
    let r = api(&fake, Method::GET, "/user/repos")
        .header("accept", "application/vnd.github+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = api(&fake, Method::PUT, &format!("/repos/{REPO}/releases/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let limit: Value = get_json(&fake, "/rate_limit").await;
    assert_eq!(limit["resources"]["core"]["limit"], 5000);

    let unexpected = fake.unexpected_requests();
    let paths: Vec<(&str, &str)> = unexpected
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET", "/user/repos"),
            ("PUT", "/repos/octo/widgets/releases/1")
        ]
    );
    let all = fake.requests();
    assert_eq!(all.len(), 3);
    let first = &all[0];
    assert_eq!(first.status, 404);
    assert_eq!(first.accept.as_deref(), Some("application/vnd.github+json"));
    assert_eq!(
        first.authorization,
        Some(format!("Bearer {}", fake.token()))
    );
    assert!(first.finished >= first.started);
    assert!(first.body_len > 0);
    assert_eq!(fake.requests_to(RouteKind::RateLimit).len(), 1);
    fake.clear_requests();
    assert!(fake.requests().is_empty());
}

#[test]
fn the_standalone_binary_serves_until_terminated() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_slipway-fake-github"))
        .args([
            "--repo",
            REPO,
            "--token",
            "t0k",
            "--port",
            "0",
            "--state-dir",
        ])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    let api_url = ready["api_url"].as_str().unwrap().to_string();
    assert!(ready["uploads_url"].is_string() && ready["storage_url"].is_string());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = client();
        let created: Value = c
            .post(format!("{api_url}/repos/{REPO}/releases"))
            .bearer_auth("t0k")
            .json(&json!({"tag_name": "v1", "draft": true}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let published = c
            .post(format!(
                "{api_url}/_fake/releases/{}/publish",
                created["id"]
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(published.status(), 200);
        let by_tag = c
            .get(format!("{api_url}/repos/{REPO}/releases/tags/v1"))
            .bearer_auth("t0k")
            .send()
            .await
            .unwrap();
        assert_eq!(by_tag.status(), 200);
        let log: Vec<Value> = c
            .get(format!("{api_url}/_fake/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(log.len(), 2, "admin routes are not logged: {log:?}");
        assert!(
            !serde_json::to_string(&log).unwrap().contains("t0k"),
            "the log endpoint hides tokens"
        );
    });
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert!(child.wait().unwrap().success(), "exits cleanly on SIGTERM");
}
