//! The issues API: issues and pull requests in one numbered list per repository (the list
//! returns both; pull requests carry a `pull_request` key), comments, labels, and a search
//! endpoint whose index lags behind writes, as GitHub's does.
//!
//! ```no_run
//! use slipway_testkit::github::{FakeGitHub, IssueSeed};
//! let fake = FakeGitHub::with_repo("octo/widgets");
//! let n = fake.add_issue(IssueSeed::new("flaky login").label("test-failure").closed());
//! fake.add_issue(IssueSeed::new("Add retries").pull_request());
//! assert_eq!(fake.issue(n).unwrap().state, "closed");
//! ```

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::FakeGitHub;
use super::ctx::{Ctx, json, not_found, paginate};
use super::issue_store::{Issue, IssueComment, IssueSeed, dedup, key};
use super::model::{State, Urls, rfc3339};
use super::route::RouteKind as K;
use super::wire::{DOCS, error_body, validation_body};

/// GitHub refuses bodies and comments longer than this many characters.
const MAX_BODY: usize = 65_536;

impl State {
    fn new_issue(&mut self, repo: &str, seed: IssueSeed) -> Issue {
        let id = self.next_id();
        let now = self.tick();
        let n = self.issues.numbers.entry(key(repo)).or_insert(0);
        *n += 1;
        let number = *n;
        for l in &seed.labels {
            self.label_id(repo, l);
        }
        let issue = Issue {
            id,
            number,
            repo: repo.to_string(),
            title: seed.title,
            body: seed.body,
            state: if seed.closed { "closed" } else { "open" }.into(),
            state_reason: seed.closed.then(|| "completed".into()),
            labels: dedup(seed.labels),
            pull_request: seed.pull_request,
            created_at: now,
            updated_at: now,
            closed_at: seed.closed.then_some(now),
        };
        self.issues
            .issues
            .insert((key(repo), number), issue.clone());
        self.issues
            .written
            .insert((key(repo), number), Instant::now());
        issue
    }

    fn label_id(&mut self, repo: &str, name: &str) -> u64 {
        if let Some(id) = self.issues.labels.get(&(key(repo), name.to_string())) {
            return *id;
        }
        let id = self.next_id();
        self.issues.labels.insert((key(repo), name.to_string()), id);
        id
    }

    fn issue_mut(&mut self, repo: &str, number: u64) -> Option<&mut Issue> {
        self.issues.issues.get_mut(&(key(repo), number))
    }

    fn comments_of(&self, repo: &str, number: u64) -> Vec<&IssueComment> {
        self.issues
            .comments
            .values()
            .filter(|(r, c)| *r == key(repo) && c.issue == number)
            .map(|(_, c)| c)
            .collect()
    }
}

impl Urls {
    fn label_json(&self, repo: &str, id: u64, name: &str) -> Value {
        json!({
            "id": id,
            "node_id": format!("LA_fake{id}"),
            "url": format!("{}/labels/{}", self.repo(repo), percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)),
            "name": name,
            "description": null,
            "color": "ededed",
            "default": false,
        })
    }

    fn issue_json(&self, st: &State, i: &Issue) -> Value {
        let base = format!("{}/issues/{}", self.repo(&i.repo), i.number);
        let html = format!(
            "{}/{}/{}",
            self.html(&i.repo),
            if i.pull_request { "pull" } else { "issues" },
            i.number
        );
        let labels: Vec<Value> = i
            .labels
            .iter()
            .map(|l| {
                let id = st
                    .issues
                    .labels
                    .get(&(key(&i.repo), l.clone()))
                    .copied()
                    .unwrap_or(0);
                self.label_json(&i.repo, id, l)
            })
            .collect();
        let mut v = json!({
            "id": i.id,
            "node_id": format!("I_fake{}", i.id),
            "url": base,
            "repository_url": self.repo(&i.repo),
            "labels_url": format!("{base}/labels{{/name}}"),
            "comments_url": format!("{base}/comments"),
            "events_url": format!("{base}/events"),
            "html_url": html,
            "number": i.number,
            "state": i.state,
            "state_reason": i.state_reason,
            "title": i.title,
            "body": i.body,
            "user": self.bot_user(),
            "labels": labels,
            "assignee": null,
            "assignees": [],
            "milestone": null,
            "locked": false,
            "active_lock_reason": null,
            "comments": st.comments_of(&i.repo, i.number).len(),
            "closed_at": i.closed_at.map(rfc3339),
            "created_at": rfc3339(i.created_at),
            "updated_at": rfc3339(i.updated_at),
            "author_association": "NONE",
        });
        if i.pull_request {
            let pr = format!("{}/pulls/{}", self.repo(&i.repo), i.number);
            v["pull_request"] = json!({
                "url": pr,
                "html_url": html,
                "diff_url": format!("{html}.diff"),
                "patch_url": format!("{html}.patch"),
                "merged_at": null,
            });
            v["draft"] = json!(false);
        }
        v
    }

    fn comment_json(&self, repo: &str, c: &IssueComment) -> Value {
        json!({
            "id": c.id,
            "node_id": format!("IC_fake{}", c.id),
            "url": format!("{}/issues/comments/{}", self.repo(repo), c.id),
            "html_url": format!("{}/issues/{}#issuecomment-{}", self.html(repo), c.issue, c.id),
            "issue_url": format!("{}/issues/{}", self.repo(repo), c.issue),
            "body": c.body,
            "user": self.bot_user(),
            "created_at": rfc3339(c.created_at),
            "updated_at": rfc3339(c.created_at),
            "author_association": "NONE",
        })
    }
}

/// True for the routes this module answers.
pub(crate) fn handles(kind: K) -> bool {
    matches!(
        kind,
        K::ListIssues
            | K::CreateIssue
            | K::GetIssue
            | K::UpdateIssue
            | K::ListIssueComments
            | K::CreateIssueComment
            | K::AddIssueLabels
            | K::SearchIssues
    )
}

/// Answers one issues request whose token was accepted.
pub(crate) async fn dispatch(ctx: &Ctx, body: Body) -> Response {
    if ctx.route.kind == K::SearchIssues {
        return search(ctx);
    }
    if !ctx.repo_known() {
        return not_found();
    }
    let input = match ctx.route.kind {
        K::CreateIssue | K::UpdateIssue | K::CreateIssueComment | K::AddIssueLabels => {
            match read_json(body).await {
                Ok(v) => v,
                Err(resp) => return resp,
            }
        }
        _ => Value::Null,
    };
    match ctx.route.kind {
        K::ListIssues => list(ctx),
        K::CreateIssue => create(ctx, &input),
        K::GetIssue => get(ctx),
        K::UpdateIssue => update(ctx, &input),
        K::ListIssueComments => list_comments(ctx),
        K::CreateIssueComment => create_comment(ctx, &input),
        K::AddIssueLabels => add_labels(ctx, &input),
        _ => not_found(),
    }
}

async fn read_json(body: Body) -> Result<Value, Response> {
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return Err(json(400, error_body("Problems reading the request body"))),
    };
    serde_json::from_slice::<Value>(&bytes)
        .map_err(|_| json(400, error_body("Problems parsing JSON")))
}

fn too_long(resource: &str) -> Response {
    json(
        422,
        json!({
            "message": "Validation Failed",
            "errors": [{
                "resource": resource, "code": "custom", "field": "body",
                "message": format!("body is too long (maximum is {MAX_BODY} characters)"),
            }],
            "documentation_url": DOCS,
        }),
    )
}

fn body_too_long(body: Option<&str>) -> bool {
    body.is_some_and(|b| b.chars().count() > MAX_BODY)
}

fn label_names(v: Option<&Value>) -> Option<Vec<String>> {
    let Value::Array(items) = v? else {
        return None;
    };
    items
        .iter()
        .map(|l| match l {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .collect()
}

fn list(ctx: &Ctx) -> Response {
    let state = ctx.param("state").unwrap_or("open");
    if !matches!(state, "open" | "closed" | "all") {
        return json(422, validation_body("Issue", "invalid", "state"));
    }
    let wanted: Vec<String> = ctx
        .param("labels")
        .map(|l| {
            l.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let ascending = ctx.param("direction") == Some("asc");
    let items = {
        let st = ctx.shared.lock();
        let mut found: Vec<&Issue> = st
            .issues
            .issues
            .values()
            .filter(|i| key(&i.repo) == key(&ctx.route.repo))
            .filter(|i| state == "all" || i.state == state)
            .filter(|i| wanted.iter().all(|w| i.labels.contains(w)))
            .collect();
        found.sort_by_key(|i| (i.created_at, i.number));
        if !ascending {
            found.reverse();
        }
        found
            .into_iter()
            .map(|i| ctx.shared.urls.issue_json(&st, i))
            .collect()
    };
    paginate(ctx, items)
}

fn issue_response(ctx: &Ctx, status: u16, number: u64) -> Response {
    let st = ctx.shared.lock();
    match st.issues.issues.get(&(key(&ctx.route.repo), number)) {
        Some(i) => json(status, ctx.shared.urls.issue_json(&st, i)),
        None => not_found(),
    }
}

fn create(ctx: &Ctx, input: &Value) -> Response {
    let Some(title) = input
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    else {
        return json(422, validation_body("Issue", "missing_field", "title"));
    };
    let body = input.get("body").and_then(Value::as_str);
    if body_too_long(body) {
        return too_long("Issue");
    }
    let labels = match input.get("labels") {
        None => Vec::new(),
        v => match label_names(v) {
            Some(l) => l,
            None => return json(422, validation_body("Issue", "invalid", "labels")),
        },
    };
    let number = {
        let mut st = ctx.shared.lock();
        let repo = st.resolve_repo(Some(&ctx.route.repo));
        let seed = IssueSeed {
            title: title.to_string(),
            body: body.map(str::to_string),
            labels,
            closed: false,
            pull_request: false,
        };
        st.new_issue(&repo, seed).number
    };
    let mut resp = issue_response(ctx, 201, number);
    let location = format!("{}/issues/{number}", ctx.shared.urls.repo(&ctx.route.repo));
    if let Ok(v) = location.parse() {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp
}

fn get(ctx: &Ctx) -> Response {
    issue_response(ctx, 200, ctx.route.id)
}

fn update(ctx: &Ctx, input: &Value) -> Response {
    let state = input.get("state").and_then(Value::as_str);
    if state.is_some_and(|s| !matches!(s, "open" | "closed")) {
        return json(422, validation_body("Issue", "invalid", "state"));
    }
    let reason = input.get("state_reason").and_then(Value::as_str);
    if reason.is_some_and(|r| !matches!(r, "completed" | "not_planned" | "duplicate" | "reopened"))
    {
        return json(422, validation_body("Issue", "invalid", "state_reason"));
    }
    let body = input.get("body").and_then(Value::as_str);
    if body_too_long(body) {
        return too_long("Issue");
    }
    let labels = match input.get("labels") {
        None => None,
        v => match label_names(v) {
            Some(l) => Some(l),
            None => return json(422, validation_body("Issue", "invalid", "labels")),
        },
    };
    {
        let mut st = ctx.shared.lock();
        let now = st.tick();
        let repo = ctx.route.repo.clone();
        for l in labels.iter().flatten() {
            st.label_id(&repo, l);
        }
        let Some(i) = st.issue_mut(&repo, ctx.route.id) else {
            return not_found();
        };
        if let Some(t) = input.get("title").and_then(Value::as_str) {
            i.title = t.to_string();
        }
        if input.get("body").is_some() {
            i.body = body.map(str::to_string);
        }
        if let Some(l) = labels {
            i.labels = dedup(l);
        }
        match state {
            Some("closed") if i.state == "open" => {
                i.state = "closed".into();
                i.closed_at = Some(now);
                i.state_reason = Some(reason.unwrap_or("completed").to_string());
            }
            Some("open") if i.state == "closed" => {
                i.state = "open".into();
                i.closed_at = None;
                i.state_reason = Some("reopened".into());
            }
            _ => {}
        }
        i.updated_at = now;
    }
    issue_response(ctx, 200, ctx.route.id)
}

fn list_comments(ctx: &Ctx) -> Response {
    let items = {
        let st = ctx.shared.lock();
        if !st
            .issues
            .issues
            .contains_key(&(key(&ctx.route.repo), ctx.route.id))
        {
            return not_found();
        }
        st.comments_of(&ctx.route.repo, ctx.route.id)
            .into_iter()
            .map(|c| ctx.shared.urls.comment_json(&ctx.route.repo, c))
            .collect()
    };
    paginate(ctx, items)
}

fn create_comment(ctx: &Ctx, input: &Value) -> Response {
    let Some(body) = input
        .get("body")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty())
    else {
        return json(
            422,
            validation_body("IssueComment", "missing_field", "body"),
        );
    };
    if body_too_long(Some(body)) {
        return too_long("IssueComment");
    }
    let mut st = ctx.shared.lock();
    let id = st.next_id();
    let now = st.tick();
    let repo = ctx.route.repo.clone();
    let Some(i) = st.issue_mut(&repo, ctx.route.id) else {
        return not_found();
    };
    i.updated_at = now;
    let comment = IssueComment {
        id,
        issue: ctx.route.id,
        body: body.to_string(),
        created_at: now,
    };
    let answer = ctx.shared.urls.comment_json(&repo, &comment);
    st.issues.comments.insert(id, (key(&repo), comment));
    json(201, answer)
}

fn add_labels(ctx: &Ctx, input: &Value) -> Response {
    let names = match input {
        Value::Object(o) => label_names(o.get("labels")),
        other => label_names(Some(other)),
    };
    let Some(names) = names.filter(|n| !n.is_empty()) else {
        return json(422, validation_body("Label", "invalid", "labels"));
    };
    let mut st = ctx.shared.lock();
    let repo = ctx.route.repo.clone();
    for n in &names {
        st.label_id(&repo, n);
    }
    let now = st.tick();
    let Some(i) = st.issue_mut(&repo, ctx.route.id) else {
        return not_found();
    };
    for n in names {
        if !i.labels.contains(&n) {
            i.labels.push(n);
        }
    }
    i.updated_at = now;
    let labels = i.labels.clone();
    let out: Vec<Value> = labels
        .iter()
        .map(|l| {
            let id = st
                .issues
                .labels
                .get(&(key(&repo), l.clone()))
                .copied()
                .unwrap_or(0);
            ctx.shared.urls.label_json(&repo, id, l)
        })
        .collect();
    json(200, Value::Array(out))
}

/// `GET /search/issues?q=…`: GitHub's search index lags behind writes; here it only sees
/// issues created at least the search lag ago ([`FakeGitHub::set_search_lag`]). Qualifiers
/// understood: `repo:`, `is:issue`/`is:pr`, `is:open`/`is:closed`, `state:`, `label:`; other
/// words must appear in the title or body.
fn search(ctx: &Ctx) -> Response {
    let Some(q) = ctx.param("q").filter(|q| !q.trim().is_empty()) else {
        return json(422, validation_body("Search", "missing", "q"));
    };
    let items = {
        let st = ctx.shared.lock();
        let lag = st.issues.search_lag.unwrap_or(Duration::from_secs(60));
        let terms: Vec<&str> = q.split_whitespace().collect();
        let matches = |i: &Issue| {
            terms.iter().all(|t| match t.split_once(':') {
                Some(("repo", r)) => key(r) == key(&i.repo),
                Some(("is", "issue")) => !i.pull_request,
                Some(("is", "pr")) => i.pull_request,
                Some(("is" | "state", s)) => i.state == s,
                Some(("label", l)) => i.labels.iter().any(|x| x == l.trim_matches('"')),
                Some(("in", _)) => true,
                _ => {
                    let t = t.trim_matches('"').to_lowercase();
                    i.title.to_lowercase().contains(&t)
                        || i.body.as_deref().unwrap_or("").to_lowercase().contains(&t)
                }
            })
        };
        st.issues
            .issues
            .values()
            .filter(|i| {
                st.issues
                    .written
                    .get(&(key(&i.repo), i.number))
                    .is_some_and(|t| t.elapsed() >= lag)
            })
            .filter(|i| matches(i))
            .map(|i| {
                let mut v = ctx.shared.urls.issue_json(&st, i);
                v["score"] = json!(1.0);
                if v["body"].is_null() {
                    v["body"] = json!("");
                }
                v
            })
            .collect::<Vec<_>>()
    };
    json(
        200,
        json!({
            "total_count": items.len(),
            "incomplete_results": false,
            "search_type": "lexical",
            "items": items,
        }),
    )
}

impl FakeGitHub {
    /// Seeds an issue or pull request in the default repository; returns its number.
    pub fn add_issue(&self, seed: IssueSeed) -> u64 {
        let mut st = self.shared.lock();
        let repo = st.resolve_repo(None);
        st.new_issue(&repo, seed).number
    }

    /// Every issue and pull request of the default repository, by number.
    pub fn issues(&self) -> Vec<Issue> {
        let st = self.shared.lock();
        let repo = key(&st.resolve_repo(None));
        st.issues
            .issues
            .values()
            .filter(|i| key(&i.repo) == repo)
            .cloned()
            .collect()
    }

    /// One issue or pull request of the default repository.
    pub fn issue(&self, number: u64) -> Option<Issue> {
        let st = self.shared.lock();
        let repo = st.resolve_repo(None);
        st.issues.issues.get(&(key(&repo), number)).cloned()
    }

    /// The comments on an issue of the default repository, oldest first.
    pub fn issue_comments(&self, number: u64) -> Vec<IssueComment> {
        let st = self.shared.lock();
        let repo = st.resolve_repo(None);
        st.comments_of(&repo, number).into_iter().cloned().collect()
    }

    /// Sets how long a write takes to reach `GET /search/issues` (default 60 s, as a busy
    /// index can take; `Duration::ZERO`: at once).
    pub fn set_search_lag(&self, lag: Duration) {
        self.shared.lock().issues.search_lag = Some(lag);
    }
}
