//! Which endpoint a request is for: the fake's single routing table.
//!
//! The same classification drives dispatch, fault matching ([`super::Match::route`]) and the
//! request log ([`super::RequestRecord::route`]), so they can never disagree.

use percent_encoding::percent_decode_str;

/// The three hosts the fake listens on, as github.com has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// The REST API (`api.github.com`).
    Api,
    /// The upload host in each release's `upload_url` (`uploads.github.com`).
    Uploads,
    /// The object storage that asset downloads redirect to (no authentication).
    Storage,
}

/// The kind of endpoint a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// `GET /repos/{o}/{r}/releases`.
    ListReleases,
    /// `POST /repos/{o}/{r}/releases`.
    CreateRelease,
    /// `GET /repos/{o}/{r}/releases/{id}`.
    GetRelease,
    /// `PATCH /repos/{o}/{r}/releases/{id}`.
    UpdateRelease,
    /// `DELETE /repos/{o}/{r}/releases/{id}`.
    DeleteRelease,
    /// `GET /repos/{o}/{r}/releases/tags/{tag}`.
    ReleaseByTag,
    /// `GET /repos/{o}/{r}/releases/latest`.
    LatestRelease,
    /// `POST /repos/{o}/{r}/releases/generate-notes`.
    GenerateNotes,
    /// `GET /repos/{o}/{r}/releases/{id}/assets`.
    ListAssets,
    /// `GET /repos/{o}/{r}/releases/assets/{id}` for the JSON.
    GetAsset,
    /// `GET /repos/{o}/{r}/releases/assets/{id}` with `Accept: application/octet-stream`.
    DownloadAsset,
    /// `PATCH /repos/{o}/{r}/releases/assets/{id}`.
    UpdateAsset,
    /// `DELETE /repos/{o}/{r}/releases/assets/{id}`.
    DeleteAsset,
    /// `POST /repos/{o}/{r}/releases/{id}/assets` on the uploads host.
    UploadAsset,
    /// `GET` of an asset's bytes on the storage host.
    StorageDownload,
    /// `GET /{o}/{r}/releases/download/{tag}/{name}` (an asset's `browser_download_url`).
    BrowserDownload,
    /// `GET /repos/{o}/{r}/tags`.
    ListTags,
    /// `GET /repos/{o}/{r}/git/ref/tags/{tag}`.
    GetTagRef,
    /// `DELETE /repos/{o}/{r}/git/refs/tags/{tag}`.
    DeleteTagRef,
    /// `GET /repos/{o}/{r}/contents/{path}`.
    GetContents,
    /// `GET /repos/{o}/{r}/commits/{ref}`.
    GetCommit,
    /// `GET /repos/{o}/{r}/environments/{name}`.
    GetEnvironment,
    /// `GET /rate_limit`.
    RateLimit,
    /// `GET /repos/{o}/{r}/issues` (pull requests included).
    ListIssues,
    /// `POST /repos/{o}/{r}/issues`.
    CreateIssue,
    /// `GET /repos/{o}/{r}/issues/{number}`.
    GetIssue,
    /// `PATCH /repos/{o}/{r}/issues/{number}`.
    UpdateIssue,
    /// `GET /repos/{o}/{r}/issues/{number}/comments`.
    ListIssueComments,
    /// `POST /repos/{o}/{r}/issues/{number}/comments`.
    CreateIssueComment,
    /// `POST /repos/{o}/{r}/issues/{number}/labels`.
    AddIssueLabels,
    /// `GET /search/issues` (its index lags behind writes).
    SearchIssues,
    /// The fake's own `/_fake/…` admin routes (not logged).
    Admin,
    /// Anything else: answered 404 and listed by [`super::FakeGitHub::unexpected_requests`].
    Unexpected,
}

/// A classified request: its kind and the parameters from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    pub kind: RouteKind,
    /// `owner/name`, for repository routes.
    pub repo: String,
    /// Release or asset id.
    pub id: u64,
    /// Tag, file path, or asset name (percent-decoded).
    pub text: String,
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Classifies a request by host, method, path and whether it asks for raw bytes.
pub(crate) fn classify(host: Host, method: &str, path: &str, octet: bool) -> Route {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut route = Route {
        kind: RouteKind::Unexpected,
        repo: String::new(),
        id: 0,
        text: String::new(),
    };
    let id = |s: &str| s.parse::<u64>().ok();
    let kind = match (host, method, segs.as_slice()) {
        (Host::Api, "GET", ["rate_limit"]) => Some(RouteKind::RateLimit),
        (Host::Api, "GET", ["search", "issues"]) => Some(RouteKind::SearchIssues),
        (Host::Api, "POST", ["_fake", "releases", n, "publish"]) => id(n).map(|n| {
            route.id = n;
            RouteKind::Admin
        }),
        (Host::Api, "GET", ["_fake", "requests"]) => Some(RouteKind::Admin),
        (Host::Api, _, ["repos", o, r, rest @ ..]) if !o.is_empty() && !r.is_empty() => {
            route.repo = format!("{}/{}", decode(o), decode(r));
            api_repo_route(&mut route, method, rest, octet)
        }
        (Host::Api, "GET", [o, r, "releases", "download", tag, name]) => {
            route.repo = format!("{}/{}", decode(o), decode(r));
            route.text = format!("{}\n{}", decode(tag), decode(name));
            Some(RouteKind::BrowserDownload)
        }
        (Host::Uploads, "POST", ["repos", o, r, "releases", n, "assets"]) => id(n).map(|n| {
            route.repo = format!("{}/{}", decode(o), decode(r));
            route.id = n;
            RouteKind::UploadAsset
        }),
        (Host::Storage, "GET", ["release-assets", n, name]) => id(n).map(|n| {
            route.id = n;
            route.text = decode(name);
            RouteKind::StorageDownload
        }),
        _ => None,
    };
    route.kind = kind.unwrap_or(RouteKind::Unexpected);
    route
}

fn api_repo_route(
    route: &mut Route,
    method: &str,
    rest: &[&str],
    octet: bool,
) -> Option<RouteKind> {
    use RouteKind as K;
    let id = |s: &str| s.parse::<u64>().ok();
    let joined = |parts: &[&str]| {
        parts
            .iter()
            .map(|p| decode(p))
            .collect::<Vec<_>>()
            .join("/")
    };
    let kind = match (method, rest) {
        ("GET", ["releases"]) => K::ListReleases,
        ("POST", ["releases"]) => K::CreateRelease,
        ("GET", ["releases", "latest"]) => K::LatestRelease,
        ("POST", ["releases", "generate-notes"]) => K::GenerateNotes,
        ("GET", ["releases", "tags", tag @ ..]) if !tag.is_empty() => {
            route.text = joined(tag);
            K::ReleaseByTag
        }
        (m, ["releases", "assets", n]) => {
            route.id = id(n)?;
            match m {
                "GET" if octet => K::DownloadAsset,
                "GET" => K::GetAsset,
                "PATCH" => K::UpdateAsset,
                "DELETE" => K::DeleteAsset,
                _ => return None,
            }
        }
        ("GET", ["releases", n, "assets"]) => {
            route.id = id(n)?;
            K::ListAssets
        }
        (m, ["releases", n]) => {
            route.id = id(n)?;
            match m {
                "GET" => K::GetRelease,
                "PATCH" => K::UpdateRelease,
                "DELETE" => K::DeleteRelease,
                _ => return None,
            }
        }
        ("GET", ["tags"]) => K::ListTags,
        ("GET", ["issues"]) => K::ListIssues,
        ("POST", ["issues"]) => K::CreateIssue,
        (m, ["issues", n, tail @ ..]) => {
            route.id = id(n)?;
            match (m, tail) {
                ("GET", []) => K::GetIssue,
                ("PATCH", []) => K::UpdateIssue,
                ("GET", ["comments"]) => K::ListIssueComments,
                ("POST", ["comments"]) => K::CreateIssueComment,
                ("POST", ["labels"]) => K::AddIssueLabels,
                _ => return None,
            }
        }
        ("GET", ["git", "ref", "tags", tag @ ..]) if !tag.is_empty() => {
            route.text = joined(tag);
            K::GetTagRef
        }
        ("DELETE", ["git", "refs", "tags", tag @ ..]) if !tag.is_empty() => {
            route.text = joined(tag);
            K::DeleteTagRef
        }
        ("GET", ["commits", git_ref]) if !git_ref.is_empty() => {
            route.text = decode(git_ref);
            K::GetCommit
        }
        ("GET", ["environments", name]) if !name.is_empty() => {
            route.text = decode(name);
            K::GetEnvironment
        }
        ("GET", ["contents", path @ ..]) if !path.is_empty() => {
            route.text = joined(path);
            K::GetContents
        }
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_with_parameters() {
        let r = classify(
            Host::Api,
            "GET",
            "/repos/o/r/releases/tags/release%2Fv1",
            false,
        );
        assert_eq!(
            (r.kind, r.repo.as_str(), r.text.as_str()),
            (RouteKind::ReleaseByTag, "o/r", "release/v1")
        );
        let r = classify(Host::Api, "GET", "/repos/o/r/releases/assets/7", true);
        assert_eq!((r.kind, r.id), (RouteKind::DownloadAsset, 7));
        let r = classify(
            Host::Api,
            "GET",
            "/repos/o/r/contents/src/pkg/__init__.py",
            false,
        );
        assert_eq!(
            (r.kind, r.text.as_str()),
            (RouteKind::GetContents, "src/pkg/__init__.py")
        );
        let r = classify(Host::Api, "GET", "/repos/o/r/environments/py%20pi", false);
        assert_eq!(
            (r.kind, r.text.as_str()),
            (RouteKind::GetEnvironment, "py pi")
        );
        let r = classify(Host::Uploads, "POST", "/repos/o/r/releases/9/assets", false);
        assert_eq!((r.kind, r.id), (RouteKind::UploadAsset, 9));
    }

    #[test]
    fn unknown_paths_methods_and_hosts_are_unexpected() {
        for (host, method, path) in [
            (Host::Api, "PUT", "/repos/o/r/releases/1"),
            (Host::Api, "GET", "/repos/o/r/releases/abc"),
            (Host::Api, "GET", "/user"),
            (Host::Uploads, "GET", "/repos/o/r/releases"),
            (Host::Storage, "GET", "/repos/o/r/releases"),
            (Host::Api, "POST", "/repos/o/r/releases/1/assets"),
        ] {
            assert_eq!(
                classify(host, method, path, false).kind,
                RouteKind::Unexpected,
                "{method} {path}"
            );
        }
    }
}
