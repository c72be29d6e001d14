//! Helpers shared by the fake's tests: an HTTP client that does not follow redirects.

#![allow(dead_code)]

use reqwest::{Client, Method, RequestBuilder};
use slipway_testkit::github::FakeGitHub;

/// A client that shows redirects instead of following them.
pub(crate) fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A request to the fake's API with its token.
pub(crate) fn api(fake: &FakeGitHub, method: Method, path: &str) -> RequestBuilder {
    client()
        .request(method, format!("{}{path}", fake.api_url()))
        .bearer_auth(fake.token())
}

/// `GET` on the fake's API with its token, the body decoded as JSON (panics on any failure).
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(fake: &FakeGitHub, path: &str) -> T {
    api(fake, Method::GET, path)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// An upload request to the uploads host with its token.
pub(crate) fn upload(fake: &FakeGitHub, release_id: u64, name: &str) -> RequestBuilder {
    let repo = fake.default_repo();
    client()
        .post(format!(
            "{}/repos/{repo}/releases/{release_id}/assets",
            fake.uploads_url()
        ))
        .query(&[("name", name)])
        .bearer_auth(fake.token())
        .header("content-type", "application/octet-stream")
}

/// `sha256:<hex>` of bytes, as GitHub's `digest`.
pub(crate) fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}
