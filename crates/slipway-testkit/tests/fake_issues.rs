//! The fake's issues API behaves as GitHub documents it: one numbered list of issues and pull
//! requests filtered by state and labels, `per_page` capped at 100 with `Link` paging, closing
//! and reopening with a `state_reason`, the 65,536-character limit, and a search index that lags
//! behind writes.

mod common;

use std::time::Duration;

use common::api;
use reqwest::Method;
use serde_json::{Value, json};
use slipway_testkit::github::{FakeGitHub, IssueSeed, RouteKind};

async fn get(fake: &FakeGitHub, path: &str) -> (u16, Option<String>, Value) {
    let r = api(fake, Method::GET, path).send().await.unwrap();
    let status = r.status().as_u16();
    let link = r
        .headers()
        .get("link")
        .map(|v| v.to_str().unwrap().to_string());
    (status, link, r.json().await.unwrap())
}

fn numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_list_filters_by_state_and_labels_and_includes_pull_requests() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    let a = fake.add_issue(IssueSeed::new("a").label("bug").label("test-failure"));
    let b = fake.add_issue(IssueSeed::new("b").label("test-failure").closed());
    let pr = fake.add_issue(IssueSeed::new("pr").label("test-failure").pull_request());
    fake.add_issue(IssueSeed::new("other"));
    let base = "/repos/octo/widgets/issues";
    // Newest first, open by default.
    assert_eq!(numbers(&get(&fake, base).await.2), vec![4, pr, a]);
    let (_, _, all) = get(&fake, &format!("{base}?labels=test-failure&state=all")).await;
    assert_eq!(numbers(&all), vec![pr, b, a]);
    assert!(all[0]["pull_request"]["url"].is_string());
    assert!(all[1].get("pull_request").is_none());
    assert_eq!(all[1]["state_reason"], "completed");
    let (_, _, both) = get(&fake, &format!("{base}?labels=test-failure,bug&state=all")).await;
    assert_eq!(numbers(&both), vec![a]);
    let (_, _, closed) = get(&fake, &format!("{base}?state=closed")).await;
    assert_eq!(numbers(&closed), vec![b]);
    assert_eq!(get(&fake, &format!("{base}?state=shut")).await.0, 422);
    assert_eq!(get(&fake, &format!("{base}/99")).await.0, 404);
}

#[tokio::test]
async fn pages_hold_at_most_100_and_link_to_the_next() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    for i in 0..250 {
        fake.add_issue(IssueSeed::new(format!("i{i}")).label("l"));
    }
    let (_, link, page) = get(&fake, "/repos/octo/widgets/issues?labels=l&per_page=500").await;
    assert_eq!(page.as_array().unwrap().len(), 100);
    let link = link.unwrap();
    assert!(
        link.contains("page=2>; rel=\"next\"") && link.contains("page=3>; rel=\"last\""),
        "{link}"
    );
    let (_, link, last) = get(
        &fake,
        "/repos/octo/widgets/issues?labels=l&per_page=100&page=3",
    )
    .await;
    assert_eq!(last.as_array().unwrap().len(), 50);
    assert!(!link.unwrap().contains("rel=\"next\""));
}

#[tokio::test]
async fn close_reopen_comment_label_and_the_size_limit() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    let n = fake.add_issue(IssueSeed::new("t").label("test-failure"));
    let path = format!("/repos/octo/widgets/issues/{n}");
    let patch = |body: Value| {
        let fake = &fake;
        let path = path.clone();
        async move {
            let r = api(fake, Method::PATCH, &path)
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, v) = patch(json!({"state": "closed", "state_reason": "not_planned"})).await;
    assert_eq!((s, v["state_reason"].as_str()), (200, Some("not_planned")));
    assert!(v["closed_at"].is_string());
    let (_, v) = patch(json!({"state": "open"})).await;
    assert_eq!(
        (v["state"].as_str(), v["state_reason"].as_str()),
        (Some("open"), Some("reopened"))
    );
    assert!(v["closed_at"].is_null());
    assert_eq!(patch(json!({"state_reason": "fixed"})).await.0, 422);
    assert_eq!(patch(json!({"body": "x".repeat(65_537)})).await.0, 422);
    assert_eq!(patch(json!({"body": "é".repeat(65_536)})).await.0, 200);
    let r = api(&fake, Method::POST, &format!("{path}/comments"))
        .json(&json!({"body": "x".repeat(65_537)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = api(&fake, Method::POST, &format!("{path}/comments"))
        .json(&json!({"body": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = api(&fake, Method::POST, &format!("{path}/labels"))
        .json(&json!({"labels": ["flaky", "test-failure"]}))
        .send()
        .await
        .unwrap();
    let labels: Value = r.json().await.unwrap();
    let names: Vec<&str> = labels
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["test-failure", "flaky"]);
    let issue = fake.issue(n).unwrap();
    assert_eq!(issue.labels, vec!["test-failure", "flaky"]);
    assert_eq!(fake.issue_comments(n)[0].body, "hello");
    assert_eq!(get(&fake, &path).await.2["comments"], 1);
}

#[tokio::test]
async fn search_lags_behind_writes_the_list_does_not() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    fake.add_issue(IssueSeed::new("flaky login").label("test-failure"));
    let q = "/search/issues?q=repo%3Aocto%2Fwidgets+is%3Aissue+label%3Atest-failure+login";
    let (_, _, found) = get(&fake, q).await;
    assert_eq!(found["total_count"], 0, "a fresh issue is not indexed yet");
    assert_eq!(
        numbers(
            &get(&fake, "/repos/octo/widgets/issues?labels=test-failure")
                .await
                .2
        ),
        vec![1]
    );
    fake.set_search_lag(Duration::from_millis(200));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, _, found) = get(&fake, q).await;
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["items"][0]["number"], 1);
    assert_eq!(fake.requests_to(RouteKind::SearchIssues).len(), 2);
}
