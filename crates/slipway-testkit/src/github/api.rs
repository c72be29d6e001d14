//! The API host's endpoints: releases, assets metadata, tags, contents, rate limit, admin.

use axum::body::Body;
use axum::response::Response;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{Value, json};

use super::ctx::{Ctx, asset_response, empty, json, not_found, paginate};
use super::model::{MakeLatest, Release, State, fake_sha, github_asset_name, release_tag_path};
use super::route::RouteKind as K;
use super::wire::{RATE_LIMIT, error_body, validation_body};

/// Answers one API request whose token (if needed) was accepted; the server sends the transfers
/// (uploads, downloads) to [`super::transfer`] instead.
pub(crate) async fn dispatch(ctx: &Ctx, body: Body) -> Response {
    let kind = ctx.route.kind;
    match kind {
        K::Unexpected => return not_found(),
        K::RateLimit => return rate_limit(ctx),
        K::Admin => return admin(ctx),
        k if super::issues::handles(k) => return super::issues::dispatch(ctx, body).await,
        _ => {}
    }
    if !ctx.repo_known() {
        return not_found();
    }
    let input = match kind {
        K::CreateRelease | K::UpdateRelease | K::UpdateAsset | K::GenerateNotes => {
            match read_json(body).await {
                Ok(v) => v,
                Err(resp) => return resp,
            }
        }
        _ => Value::Null,
    };
    match kind {
        K::ListReleases => list_releases(ctx),
        K::CreateRelease => create_release(ctx, &input),
        K::GetRelease => get_release(ctx),
        K::UpdateRelease => update_release(ctx, &input),
        K::DeleteRelease => delete_release(ctx),
        K::ReleaseByTag => release_by_tag(ctx),
        K::LatestRelease => latest_release(ctx),
        K::GenerateNotes => generate_notes(ctx, &input),
        K::ListAssets => list_assets(ctx),
        K::GetAsset => get_asset(ctx),
        K::UpdateAsset => update_asset(ctx, &input),
        K::DeleteAsset => delete_asset(ctx),
        K::ListTags => list_tags(ctx),
        K::GetTagRef => tag_ref(ctx),
        K::DeleteTagRef => delete_tag_ref(ctx),
        K::GetContents => contents(ctx),
        K::GetCommit => commit(ctx),
        K::GetEnvironment => super::environments::get_environment(ctx),
        _ => not_found(),
    }
}

async fn read_json(body: Body) -> Result<Value, Response> {
    let bytes = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return Err(json(400, error_body("Problems reading the request body"))),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(json(400, error_body("Problems parsing JSON"))),
    }
}

fn release_response(ctx: &Ctx, status: u16, id: u64) -> Response {
    let st = ctx.shared.lock();
    match st.releases.get(&id) {
        Some(r) => json(status, ctx.shared.urls.release_json(&st, r)),
        None => not_found(),
    }
}

fn list_releases(ctx: &Ctx) -> Response {
    let items = {
        let st = ctx.shared.lock();
        st.releases_of(&ctx.route.repo)
            .into_iter()
            .map(|r| ctx.shared.urls.release_json(&st, r))
            .collect()
    };
    paginate(ctx, items)
}

fn already_exists() -> Response {
    json(
        422,
        validation_body("Release", "already_exists", "tag_name"),
    )
}

/// GitHub's answer to a tag that a deleted immutable release used.
fn tag_burned() -> Response {
    json(
        422,
        serde_json::json!({
            "message": "Validation Failed",
            "errors": [{
                "resource": "Release", "code": "custom", "field": "tag_name",
                "message": "tag_name was used by an immutable release",
            }],
            "documentation_url": super::wire::DOCS,
        }),
    )
}

/// GitHub's answer to a change of an immutable release's assets.
pub(crate) fn immutable_refused() -> Response {
    json(
        422,
        error_body("Cannot modify an asset of an immutable release."),
    )
}

fn text_field(input: &Value, key: &str) -> Option<String> {
    input.get(key).and_then(Value::as_str).map(str::to_string)
}

fn create_release(ctx: &Ctx, input: &Value) -> Response {
    let Some(tag) = text_field(input, "tag_name").filter(|t| !t.is_empty()) else {
        return json(422, validation_body("Release", "missing_field", "tag_name"));
    };
    let draft = input.get("draft").and_then(Value::as_bool).unwrap_or(false);
    let make_latest = match make_latest(input) {
        Ok(m) => m.unwrap_or_default(),
        Err(body) => return json(422, body),
    };
    let id = {
        let mut st = ctx.shared.lock();
        let repo = st.resolve_repo(Some(&ctx.route.repo));
        if !draft && st.published_with_tag(&repo, &tag, None).is_some() {
            return already_exists();
        }
        if st.tag_burned(&repo, &tag) {
            return tag_burned();
        }
        let target = text_field(input, "target_commitish").unwrap_or_else(|| {
            st.repo(&repo)
                .map(|r| r.default_branch.clone())
                .unwrap_or_default()
        });
        let mut body = text_field(input, "body");
        if body.is_none() && input.get("generate_release_notes") == Some(&Value::Bool(true)) {
            body = Some(notes_body(ctx, &st, &repo, &tag, None));
        }
        let id = st.next_id();
        let now = st.tick();
        st.releases.insert(
            id,
            Release {
                id,
                repo: repo.clone(),
                tag_name: tag.clone(),
                target_commitish: target.clone(),
                name: text_field(input, "name"),
                body,
                draft,
                prerelease: input
                    .get("prerelease")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                created_at: now,
                published_at: (!draft).then_some(now),
                make_latest,
            },
        );
        if !draft {
            st.ensure_tag(&repo, &tag, &target);
            st.apply_make_latest(id);
        }
        id
    };
    let mut resp = release_response(ctx, 201, id);
    let location = format!("{}/releases/{id}", ctx.shared.urls.repo(&ctx.route.repo));
    if let Ok(v) = location.parse() {
        resp.headers_mut().insert(http::header::LOCATION, v);
    }
    resp
}

fn get_release(ctx: &Ctx) -> Response {
    if ctx
        .shared
        .lock()
        .release_in(&ctx.route.repo, ctx.route.id)
        .is_none()
    {
        return not_found();
    }
    release_response(ctx, 200, ctx.route.id)
}

/// The `make_latest` field: absent, or one of `true`, `false`, `legacy`; else the body of
/// GitHub's 422.
fn make_latest(input: &Value) -> Result<Option<MakeLatest>, Value> {
    match input.get("make_latest") {
        None => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(MakeLatest::parse)
            .map(Some)
            .ok_or_else(|| validation_body("Release", "invalid", "make_latest")),
    }
}

fn update_release(ctx: &Ctx, input: &Value) -> Response {
    let id = ctx.route.id;
    let make_latest = match make_latest(input) {
        Ok(m) => m,
        Err(body) => return json(422, body),
    };
    {
        let mut st = ctx.shared.lock();
        let Some(current) = st.release_in(&ctx.route.repo, id).cloned() else {
            return not_found();
        };
        let mut next = current.clone();
        if let Some(t) = text_field(input, "tag_name") {
            next.tag_name = t;
        }
        if let Some(t) = text_field(input, "target_commitish") {
            next.target_commitish = t;
        }
        if input.get("name").is_some() {
            next.name = text_field(input, "name");
        }
        if input.get("body").is_some() {
            next.body = text_field(input, "body");
        }
        if let Some(d) = input.get("draft").and_then(Value::as_bool) {
            next.draft = d;
        }
        if let Some(p) = input.get("prerelease").and_then(Value::as_bool) {
            next.prerelease = p;
        }
        if let Some(m) = make_latest {
            next.make_latest = m;
        }
        if !next.draft
            && st
                .published_with_tag(&next.repo, &next.tag_name, Some(id))
                .is_some()
        {
            return already_exists();
        }
        let publishing = current.draft && !next.draft;
        if (publishing || next.tag_name != current.tag_name)
            && st.tag_burned(&next.repo, &next.tag_name)
        {
            return tag_burned();
        }
        if next.draft {
            next.published_at = None;
        }
        st.releases.insert(id, next);
        if publishing {
            st.publish(id);
        } else if make_latest.is_some() {
            st.apply_make_latest(id);
        }
    }
    release_response(ctx, 200, id)
}

fn delete_release(ctx: &Ctx) -> Response {
    let mut st = ctx.shared.lock();
    if st.release_in(&ctx.route.repo, ctx.route.id).is_none() {
        return not_found();
    }
    if st.immutable_releases.remove(&ctx.route.id)
        && let Some(r) = st.releases.get(&ctx.route.id)
    {
        let key = (r.repo.to_ascii_lowercase(), r.tag_name.clone());
        st.burned_tags.insert(key);
    }
    let assets: Vec<u64> = st.assets_of(ctx.route.id).iter().map(|a| a.id).collect();
    for a in assets {
        st.delete_asset(&ctx.shared.dir, a);
    }
    st.releases.remove(&ctx.route.id);
    empty(204)
}

fn release_by_tag(ctx: &Ctx) -> Response {
    let found = ctx
        .shared
        .lock()
        .published_with_tag(&ctx.route.repo, &ctx.route.text, None);
    match found {
        Some(id) => release_response(ctx, 200, id),
        None => not_found(),
    }
}

/// `GET /releases/latest`: the release `make_latest` chose (see [`super::State::latest_of`]).
fn latest_release(ctx: &Ctx) -> Response {
    let found = ctx.shared.lock().latest_of(&ctx.route.repo);
    match found {
        Some(id) => release_response(ctx, 200, id),
        None => not_found(),
    }
}

/// Notes as GitHub generates them, comparing with `previous` or the latest published release.
fn notes_body(ctx: &Ctx, st: &State, repo: &str, tag: &str, previous: Option<&str>) -> String {
    let previous = previous.map(str::to_string).or_else(|| {
        st.releases_of(repo)
            .into_iter()
            .find(|r| !r.draft && r.tag_name != tag)
            .map(|r| r.tag_name.clone())
    });
    let html = ctx.shared.urls.html(repo);
    match previous {
        Some(p) => format!(
            "## What's Changed\n* Changes since {p} by @octocat\n\n\n**Full Changelog**: {html}/compare/{p}...{tag}"
        ),
        None => format!(
            "## What's Changed\n* First release by @octocat\n\n\n**Full Changelog**: {html}/commits/{tag}"
        ),
    }
}

fn generate_notes(ctx: &Ctx, input: &Value) -> Response {
    let Some(tag) = text_field(input, "tag_name").filter(|t| !t.is_empty()) else {
        return json(422, validation_body("Release", "missing_field", "tag_name"));
    };
    let st = ctx.shared.lock();
    let repo = st.resolve_repo(Some(&ctx.route.repo));
    let previous = text_field(input, "previous_tag_name");
    if let Some(p) = &previous
        && !st
            .repo(&repo)
            .is_some_and(|r| r.tags.iter().any(|(n, _)| n == p))
    {
        return json(
            422,
            validation_body("Release", "invalid", "previous_tag_name"),
        );
    }
    json(
        200,
        json!({ "name": tag, "body": notes_body(ctx, &st, &repo, &tag, previous.as_deref()) }),
    )
}

fn list_assets(ctx: &Ctx) -> Response {
    let items = {
        let st = ctx.shared.lock();
        let Some(r) = st.release_in(&ctx.route.repo, ctx.route.id) else {
            return not_found();
        };
        let tag = release_tag_path(r);
        st.assets_of(r.id)
            .into_iter()
            .map(|a| ctx.shared.urls.asset_json(&r.repo, &tag, a))
            .collect()
    };
    paginate(ctx, items)
}

fn get_asset(ctx: &Ctx) -> Response {
    asset_response(ctx, 200, ctx.route.id)
}

fn update_asset(ctx: &Ctx, input: &Value) -> Response {
    {
        let mut st = ctx.shared.lock();
        let Some(asset) = st.asset_in(&ctx.route.repo, ctx.route.id).cloned() else {
            return not_found();
        };
        if st.is_immutable(asset.release_id) {
            return immutable_refused();
        }
        let name = text_field(input, "name").map(|n| github_asset_name(&n));
        if let Some(n) = &name {
            let taken = st
                .assets_of(asset.release_id)
                .iter()
                .any(|a| a.id != asset.id && &a.name == n);
            if taken {
                return json(
                    422,
                    validation_body("ReleaseAsset", "already_exists", "name"),
                );
            }
        }
        let now = st.tick();
        let a = st.assets.get_mut(&asset.id).expect("asset exists");
        if let Some(n) = name {
            a.name = n;
        }
        if input.get("label").is_some() {
            a.label = text_field(input, "label");
        }
        a.updated_at = now;
    }
    asset_response(ctx, 200, ctx.route.id)
}

fn delete_asset(ctx: &Ctx) -> Response {
    let mut st = ctx.shared.lock();
    let Some(release_id) = st
        .asset_in(&ctx.route.repo, ctx.route.id)
        .map(|a| a.release_id)
    else {
        return not_found();
    };
    if st.is_immutable(release_id) {
        return immutable_refused();
    }
    st.delete_asset(&ctx.shared.dir, ctx.route.id);
    empty(204)
}

fn list_tags(ctx: &Ctx) -> Response {
    let items = {
        let st = ctx.shared.lock();
        let repo = st.resolve_repo(Some(&ctx.route.repo));
        let base = ctx.shared.urls.repo(&repo);
        st.repo(&repo)
            .map(|r| r.tags.iter().rev())
            .into_iter()
            .flatten()
            .map(|(name, sha)| {
                json!({
                    "name": name,
                    "commit": { "sha": sha, "url": format!("{base}/commits/{sha}") },
                    "zipball_url": format!("{base}/zipball/refs/tags/{name}"),
                    "tarball_url": format!("{base}/tarball/refs/tags/{name}"),
                    "node_id": format!("REF_fake_{name}"),
                })
            })
            .collect()
    };
    paginate(ctx, items)
}

fn tag_ref(ctx: &Ctx) -> Response {
    let st = ctx.shared.lock();
    let repo = st.resolve_repo(Some(&ctx.route.repo));
    let base = ctx.shared.urls.repo(&repo);
    let tag = &ctx.route.text;
    match st
        .repo(&repo)
        .and_then(|r| r.tags.iter().find(|(n, _)| n == tag))
    {
        Some((name, sha)) => json(
            200,
            json!({
                "ref": format!("refs/tags/{name}"),
                "node_id": format!("REF_fake_{name}"),
                "url": format!("{base}/git/refs/tags/{name}"),
                "object": { "sha": sha, "type": "commit", "url": format!("{base}/git/commits/{sha}") },
            }),
        ),
        None => not_found(),
    }
}

/// `DELETE /repos/{o}/{r}/git/refs/tags/{tag}`: 204, or 422 `Reference does not exist`.
fn delete_tag_ref(ctx: &Ctx) -> Response {
    let mut st = ctx.shared.lock();
    let repo = st.resolve_repo(Some(&ctx.route.repo));
    let tag = ctx.route.text.clone();
    let Some(r) = st.repo_mut(&repo) else {
        return not_found();
    };
    let before = r.tags.len();
    r.tags.retain(|(n, _)| *n != tag);
    if r.tags.len() == before {
        return json(422, error_body("Reference does not exist"));
    }
    empty(204)
}

/// `GET /repos/{o}/{r}/commits/{ref}`: a seeded commit (by sha, or through a tag), with the
/// fields GitHub's description requires; an unknown ref is answered 422 as GitHub does.
fn commit(ctx: &Ctx) -> Response {
    let st = ctx.shared.lock();
    let repo_name = st.resolve_repo(Some(&ctx.route.repo));
    let Some(repo) = st.repo(&repo_name) else {
        return not_found();
    };
    let wanted = ctx.route.text.as_str();
    let sha = repo
        .tags
        .iter()
        .find(|(n, _)| n == wanted)
        .map_or(wanted, |(_, sha)| sha.as_str());
    let Some(date) = repo.commits.get(sha) else {
        return json(
            422,
            json!({
                "message": format!("No commit found for SHA: {wanted}"),
                "documentation_url": "https://docs.github.com/rest/commits/commits#get-a-commit",
            }),
        );
    };
    let base = ctx.shared.urls.repo(&repo_name);
    let html = ctx.shared.urls.html(&repo_name);
    let person = json!({ "name": "Fake Committer", "email": "fake@example.com", "date": date });
    let tree = fake_sha(&format!("tree-{sha}"));
    json(
        200,
        json!({
            "url": format!("{base}/commits/{sha}"),
            "sha": sha,
            "node_id": format!("C_fake_{sha}"),
            "html_url": format!("{html}/commit/{sha}"),
            "comments_url": format!("{base}/commits/{sha}/comments"),
            "commit": {
                "url": format!("{base}/git/commits/{sha}"),
                "author": person,
                "committer": person,
                "message": "a commit",
                "comment_count": 0,
                "tree": { "sha": tree, "url": format!("{base}/git/trees/{tree}") },
            },
            "author": null,
            "committer": null,
            "parents": [],
        }),
    )
}

/// `GET /repos/{o}/{r}/contents/{path}?ref=`: a file as base64 JSON (or raw bytes with
/// `Accept: application/vnd.github.raw+json`), a directory as a listing, else 404.
fn contents(ctx: &Ctx) -> Response {
    let st = ctx.shared.lock();
    let repo_name = st.resolve_repo(Some(&ctx.route.repo));
    let Some(repo) = st.repo(&repo_name) else {
        return not_found();
    };
    let wanted = ctx
        .param("ref")
        .filter(|r| !r.is_empty())
        .unwrap_or(&repo.default_branch);
    let short = wanted
        .strip_prefix("refs/heads/")
        .or_else(|| wanted.strip_prefix("refs/tags/"))
        .unwrap_or(wanted);
    // A tag and the commit it points to name the same tree.
    let mut refs = vec![short.to_string()];
    for (name, sha) in &repo.tags {
        if name == short {
            refs.push(sha.clone());
        } else if sha == short {
            refs.push(name.clone());
        }
    }
    let path = ctx.route.text.trim_matches('/');
    let base = ctx.shared.urls.repo(&repo_name);
    let html = ctx.shared.urls.html(&repo_name);
    let entry_json = |p: &str, kind: &str, size: usize, sha: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        let (git, web) = if kind == "file" {
            (
                format!("{base}/git/blobs/{sha}"),
                format!("{html}/blob/{short}/{p}"),
            )
        } else {
            (
                format!("{base}/git/trees/{sha}"),
                format!("{html}/tree/{short}/{p}"),
            )
        };
        let url = format!("{base}/contents/{p}?ref={short}");
        json!({
            "type": kind, "name": name, "path": p, "sha": sha, "size": size,
            "url": url, "git_url": git, "html_url": web,
            "download_url": (kind == "file").then(|| format!("{html}/raw/{short}/{p}")),
            "_links": { "self": url, "git": git, "html": web },
        })
    };
    for r in &refs {
        if let Some(bytes) = repo.files.get(&(r.clone(), path.to_string())) {
            let raw = ctx.header("accept").is_some_and(|a| {
                a.contains("application/vnd.github.raw")
                    || a.contains("application/vnd.github.v3.raw")
            });
            if raw {
                let mut resp = Response::new(Body::from(bytes.clone()));
                resp.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/vnd.github.raw"),
                );
                return resp;
            }
            let mut entry = entry_json(path, "file", bytes.len(), &blob_sha(bytes));
            entry["encoding"] = json!("base64");
            entry["content"] = json!(wrapped_base64(bytes));
            return json(200, entry);
        }
        let prefix = format!("{path}/");
        let mut listing: Vec<Value> = Vec::new();
        let mut seen_dirs = std::collections::BTreeSet::new();
        for ((fr, fp), bytes) in &repo.files {
            let Some(rest) = fp.strip_prefix(&prefix).filter(|_| fr == r) else {
                continue;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    if seen_dirs.insert(dir.to_string()) {
                        listing.push(entry_json(
                            &format!("{prefix}{dir}"),
                            "dir",
                            0,
                            &fake_sha(dir),
                        ));
                    }
                }
                None => listing.push(entry_json(fp, "file", bytes.len(), &blob_sha(bytes))),
            }
        }
        if !listing.is_empty() {
            return json(200, Value::Array(listing));
        }
    }
    not_found()
}

/// A 40-hex stand-in for the git blob id (git's `blob <len>\0` framing, hashed with SHA-256
/// and shortened, since the value only needs to identify the content).
fn blob_sha(bytes: &[u8]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    hex::encode(h.finalize())[..40].to_string()
}

/// Base64 with a newline after every 60 characters and at the end, as the contents API sends it.
pub(crate) fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for chunk in encoded.as_bytes().chunks(60) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn rate_limit(ctx: &Ctx) -> Response {
    let st = ctx.shared.lock();
    let limit = RATE_LIMIT;
    let core = json!({
        "limit": limit,
        "used": st.rate_used,
        "remaining": limit.saturating_sub(st.rate_used),
        "reset": st.rate_reset,
    });
    json(
        200,
        json!({ "resources": { "core": core, "search": { "limit": 30, "used": 0, "remaining": 30, "reset": st.rate_reset } }, "rate": core }),
    )
}

/// `POST /_fake/releases/{id}/publish` (publish as a maintainer would) and
/// `GET /_fake/requests` (the log, without credentials).
fn admin(ctx: &Ctx) -> Response {
    if ctx.path.ends_with("/publish") {
        let mut st = ctx.shared.lock();
        let Some(r) = st.releases.get(&ctx.route.id).cloned() else {
            return not_found();
        };
        if st
            .published_with_tag(&r.repo, &r.tag_name, Some(r.id))
            .is_some()
        {
            return already_exists();
        }
        st.publish(r.id);
        drop(st);
        return release_response(ctx, 200, ctx.route.id);
    }
    let st = ctx.shared.lock();
    let log: Vec<Value> = st
        .log
        .iter()
        .map(|r| {
            json!({
                "host": format!("{:?}", r.host), "route": format!("{:?}", r.route),
                "method": r.method, "path": r.path, "query": r.query, "status": r.status,
                "authorized": r.authorization.is_some(),
                "request_body_len": r.request_body_len, "body_len": r.body_len,
                "millis": r.finished.duration_since(r.started).as_millis() as u64,
            })
        })
        .collect();
    json(200, Value::Array(log))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_lines_are_60_chars() {
        let s = wrapped_base64(&[7u8; 100]);
        let lines: Vec<&str> = s.split_terminator('\n').collect();
        assert_eq!(
            lines.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [60, 60, 16]
        );
        assert!(s.ends_with('\n'));
    }
}
