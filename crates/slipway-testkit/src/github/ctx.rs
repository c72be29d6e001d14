//! What the handlers share: the request context [`Ctx`] and the common responses. The server
//! builds a `Ctx` and dispatches to the API ([`super::api`]) or transfer ([`super::transfer`])
//! handlers; they answer through these helpers and never import the server back.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

use super::Shared;
use super::model::release_tag_path;
use super::route::Route;
use super::wire::error_body;

/// What a handler gets: the classified route and the request's parts.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub shared: Arc<Shared>,
    pub route: Route,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    /// Uploads: answer 502 after creating the asset ([`super::FaultAction::FailAfterCreate`]).
    pub fail_after_create: bool,
    /// Uploads: store other bytes than sent ([`super::FaultAction::CorruptUpload`]).
    pub corrupt_upload: bool,
}

impl Ctx {
    /// The first value of a query parameter.
    pub(super) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the route's repository exists (else GitHub answers 404).
    pub(super) fn repo_known(&self) -> bool {
        self.shared.lock().repo(&self.route.repo).is_some()
    }

    /// A header's value, if it is valid text.
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A JSON response with `status`.
pub(crate) fn json(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

/// GitHub's 404: `{"message":"Not Found"}`.
pub(crate) fn not_found() -> Response {
    json(404, error_body("Not Found"))
}

/// An empty response (`204 No Content` and the like).
pub(crate) fn empty(status: u16) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
    resp
}

/// The JSON of an asset of the route's repository, or 404.
pub(crate) fn asset_response(ctx: &Ctx, status: u16, id: u64) -> Response {
    let st = ctx.shared.lock();
    let Some(a) = st.asset_in(&ctx.route.repo, id) else {
        return not_found();
    };
    let Some(r) = st.releases.get(&a.release_id) else {
        return not_found();
    };
    json(
        status,
        ctx.shared.urls.asset_json(&r.repo, &release_tag_path(r), a),
    )
}

/// Answers one page of `items` with GitHub's `Link` header (`per_page` default 30, max 100).
pub(crate) fn paginate(ctx: &Ctx, items: Vec<Value>) -> Response {
    let per_page = ctx
        .param("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(30)
        .min(100);
    let page = ctx
        .param("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per_page).max(1);
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    let mut resp = json(200, Value::Array(slice));
    let link_to = |n: usize, rel: &str| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in ctx.query.iter().filter(|(k, _)| k != "page") {
            q.append_pair(k, v);
        }
        q.append_pair("page", &n.to_string());
        format!(
            "<{}{}?{}>; rel=\"{rel}\"",
            ctx.shared.urls.api,
            ctx.path,
            q.finish()
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to((page - 1).min(last), "prev"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    if page > 1 {
        links.push(link_to(1, "first"));
    }
    if !links.is_empty()
        && let Ok(v) = links.join(", ").parse()
    {
        resp.headers_mut().insert(http::header::LINK, v);
    }
    resp
}
