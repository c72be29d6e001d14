//! What every answer of the fake shares: GitHub's documentation link, its error bodies, the
//! rate limit and the clock. The lowest module: it imports no other part of the fake.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Where GitHub's documentation lives; every error body links to it, as GitHub's do.
pub(crate) const DOCS: &str = "https://docs.github.com/rest";
/// The primary rate limit the fake reports (`x-ratelimit-limit`).
pub(crate) const RATE_LIMIT: u64 = 5000;

/// Current Unix time in seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A GitHub error body: `{"message", "documentation_url"}`.
pub(crate) fn error_body(message: &str) -> Value {
    json!({ "message": message, "documentation_url": DOCS })
}

/// A 422 body with one `errors[]` entry, as GitHub's validation failures look.
pub(crate) fn validation_body(resource: &str, code: &str, field: &str) -> Value {
    json!({
        "message": "Validation Failed",
        "errors": [{ "resource": resource, "code": code, "field": field }],
        "documentation_url": DOCS,
    })
}
