//! URL building and the rules about where requests may go: endpoint paths, upload URLs,
//! `Link` pagination headers, redirects, and which hosts may see the token.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// Everything except RFC 3986 unreserved characters is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes one path segment or query value: `a b+c/ü` → `a%20b%2Bc%2F%C3%BC`.
pub(crate) fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// Encodes a repository path, keeping its `/` separators.
pub(crate) fn encode_path(s: &str) -> String {
    s.split('/')
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

/// Parses the configured API base URL; only http(s) with a host is accepted.
pub(crate) fn parse_api_url(api_url: &str) -> Result<Url, String> {
    let trimmed = api_url.trim();
    let url = Url::parse(trimmed).map_err(|e| {
        format!("invalid API URL `{trimmed}`: {e}\nhint: use e.g. `https://api.github.com` or `https://HOST/api/v3` for GitHub Enterprise Server")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "invalid API URL `{trimmed}`: expected an http(s) URL with a host\nhint: use e.g. `https://api.github.com`"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "invalid API URL `{trimmed}`: it must not have a query or fragment"
        ));
    }
    Ok(url)
}

/// Joins the API base (path prefix kept, as for `https://HOST/api/v3`) and an endpoint path
/// that starts with `/` and is already encoded.
pub(crate) fn endpoint(base: &Url, path_and_query: &str) -> Result<Url, String> {
    let base = base.as_str().trim_end_matches('/');
    Url::parse(&format!("{base}{path_and_query}"))
        .map_err(|e| format!("cannot build a URL from `{base}` and `{path_and_query}`: {e}"))
}

/// Adds `per_page=100` unless the URL already names a page size.
pub(crate) fn with_per_page(mut url: Url) -> Url {
    if !url.query_pairs().any(|(k, _)| k == "per_page") {
        url.query_pairs_mut().append_pair("per_page", "100");
    }
    url
}

/// The POST URL for an asset: the release's `upload_url` without its `{?name,label}` template,
/// and `?name=` percent-encoded.
pub(crate) fn upload_url(template: &str, name: &str) -> Result<Url, String> {
    let base = template.split('{').next().unwrap_or_default();
    let mut url = Url::parse(base)
        .map_err(|e| format!("the release's upload URL `{template}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "the release's upload URL `{template}` is not an http(s) URL"
        ));
    }
    url.set_query(Some(&format!("name={}", encode_component(name))));
    Ok(url)
}

/// True when both URLs have the same scheme, host and port (the token's boundary).
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// A URL for messages and logs: the path alone on the API host, otherwise scheme, host and
/// path. Queries are left out: a storage URL's query holds its signature.
pub(crate) fn display_url(url: &Url, api: &Url) -> String {
    if same_origin(url, api) {
        url.path().to_string()
    } else {
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{}{port}{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.path()
        )
    }
}

/// The most redirects followed for one request.
pub(crate) const MAX_REDIRECTS: u32 = 5;

/// Where a redirect leads, or why it is refused. `hops` counts redirects already followed.
/// A plain-http target is refused unless the API itself is plain http (local testing).
pub(crate) fn redirect_target(
    current: &Url,
    location: Option<&str>,
    api: &Url,
    hops: u32,
) -> Result<Url, String> {
    if hops >= MAX_REDIRECTS {
        return Err(format!("more than {MAX_REDIRECTS} redirects"));
    }
    let location = location.ok_or("the redirect has no `Location` header")?;
    let target = current
        .join(location.trim())
        .map_err(|e| format!("the `Location` header is not a URL: {e}"))?;
    match target.scheme() {
        "https" => Ok(target),
        "http" if api.scheme() == "http" => Ok(target),
        "http" => Err(format!(
            "it leads to plain http (`{}`), a downgrade from https",
            display_url(&target, api)
        )),
        other => Err(format!("it leads to an unsupported scheme `{other}`")),
    }
}

/// The `rel="next"` target of a `Link` header (RFC 8288), if any.
pub(crate) fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        rest = &rest[end + 1..];
        // Parameters run to the next comma outside quotes.
        let mut in_quotes = false;
        let mut cut = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        let params = &rest[..cut];
        rest = &rest[cut..];
        for param in params.split(';') {
            let Some((key, value)) = param.split_once('=') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("rel") {
                let value = value.trim().trim_matches('"');
                if value
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
                {
                    return Some(target.to_string());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn link_next_is_found_among_relations() {
        let h = r#"<https://api.github.com/repositories/1/releases?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/releases?per_page=100&page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/repositories/1/releases?per_page=100&page=2")
        );
        let h = r#"<https://x/?page=1>; rel="prev", <https://x/?page=3>; rel="next""#;
        assert_eq!(next_link(h).as_deref(), Some("https://x/?page=3"));
        // Last page: no next.
        let h = r#"<https://x/?page=1>; rel="first", <https://x/?page=2>; rel="prev""#;
        assert_eq!(next_link(h), None);
        // Unquoted, upper case, several relation types, extra params with commas in quotes.
        let h = r#"<https://x/?a=1,2>; title="a, b"; REL=next"#;
        assert_eq!(next_link(h).as_deref(), Some("https://x/?a=1,2"));
        let h = r#"<https://x/?page=9>; rel="last next""#;
        assert_eq!(next_link(h).as_deref(), Some("https://x/?page=9"));
        // "nextish" is not "next"; garbage is no link.
        assert_eq!(next_link(r#"<https://x/>; rel="nextish""#), None);
        assert_eq!(next_link(""), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link("<unterminated; rel=next"), None);
    }

    #[test]
    fn endpoints_keep_the_enterprise_prefix() {
        let ghes = parse_api_url("https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(
            endpoint(&ghes, "/repos/o/r/releases").unwrap().as_str(),
            "https://ghe.example.com/api/v3/repos/o/r/releases"
        );
        let local = parse_api_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            endpoint(&local, "/repos/o/r/tags").unwrap().as_str(),
            "http://127.0.0.1:8080/repos/o/r/tags"
        );
        assert_eq!(
            with_per_page(endpoint(&local, "/x?a=b").unwrap()).as_str(),
            "http://127.0.0.1:8080/x?a=b&per_page=100"
        );
        assert_eq!(
            with_per_page(url("http://h/x?per_page=30&page=2")).as_str(),
            "http://h/x?per_page=30&page=2"
        );
        for bad in [
            "",
            "api.github.com",
            "ftp://h/",
            "https://h/?q=1",
            "http://",
        ] {
            assert!(parse_api_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn upload_urls_strip_the_template_and_encode_the_name() {
        let t = "https://uploads.github.com/repos/o/r/releases/7/assets{?name,label}";
        assert_eq!(
            upload_url(t, "pkg-1.0.tar.gz").unwrap().as_str(),
            "https://uploads.github.com/repos/o/r/releases/7/assets?name=pkg-1.0.tar.gz"
        );
        assert_eq!(
            upload_url(t, "my file+v1 ü.whl").unwrap().as_str(),
            "https://uploads.github.com/repos/o/r/releases/7/assets?name=my%20file%2Bv1%20%C3%BC.whl"
        );
        assert_eq!(
            upload_url(t, "a&b=c#d?.txt").unwrap().query(),
            Some("name=a%26b%3Dc%23d%3F.txt")
        );
        assert!(upload_url("not a url{?name}", "x").is_err());
        assert!(upload_url("file:///tmp/x{?name}", "x").is_err());
    }

    #[test]
    fn path_components_are_encoded() {
        assert_eq!(encode_component("v1.0/rc 1"), "v1.0%2Frc%201");
        assert_eq!(encode_path("src/pkg/__init__.py"), "src/pkg/__init__.py");
        assert_eq!(
            encode_path("dir with space/ä.txt"),
            "dir%20with%20space/%C3%A4.txt"
        );
    }

    #[test]
    fn redirects_keep_to_https_and_count_hops() {
        let api = url("https://api.github.com");
        let here = url("https://api.github.com/repos/o/r/releases/assets/1");
        let to = redirect_target(&here, Some("https://objects.example.com/a?sig=1"), &api, 0);
        assert_eq!(to.unwrap().as_str(), "https://objects.example.com/a?sig=1");
        // Relative locations resolve against the current URL.
        let to = redirect_target(&here, Some("/other"), &api, 0).unwrap();
        assert_eq!(to.as_str(), "https://api.github.com/other");
        let e = redirect_target(&here, Some("http://objects.example.com/a"), &api, 0);
        assert!(e.unwrap_err().contains("downgrade"));
        assert!(
            redirect_target(&here, Some("ftp://x/"), &api, 0)
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            redirect_target(&here, None, &api, 0)
                .unwrap_err()
                .contains("Location")
        );
        assert!(
            redirect_target(&here, Some("https://x/"), &api, MAX_REDIRECTS)
                .unwrap_err()
                .contains("more than 5")
        );
        // A plain-http API (tests) may redirect to plain http.
        let local = url("http://127.0.0.1:1");
        let here = url("http://127.0.0.1:1/a");
        assert!(redirect_target(&here, Some("http://127.0.0.1:2/b"), &local, 4).is_ok());
    }

    #[test]
    fn origins_and_display() {
        let api = url("https://ghe.example.com/api/v3");
        assert!(same_origin(&api, &url("https://ghe.example.com:443/x")));
        assert!(!same_origin(&api, &url("http://ghe.example.com/x")));
        assert!(!same_origin(&api, &url("https://ghe.example.com:8443/x")));
        assert!(!same_origin(&api, &url("https://evil.example.com/x")));
        assert_eq!(
            display_url(&url("https://ghe.example.com/api/v3/repos?page=2"), &api),
            "/api/v3/repos"
        );
        assert_eq!(
            display_url(&url("https://s3.example.com/b/k?X-Amz-Signature=s"), &api),
            "https://s3.example.com/b/k"
        );
        assert_eq!(
            display_url(
                &url("http://127.0.0.1:8123/repos/o/r/releases/1/assets?name=a"),
                &api
            ),
            "http://127.0.0.1:8123/repos/o/r/releases/1/assets"
        );
    }
}
