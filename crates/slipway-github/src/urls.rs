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
}
