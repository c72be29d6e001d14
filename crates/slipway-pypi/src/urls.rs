//! The index's addresses: the upload URL, the simple index derived from it, and the rule that
//! credentials travel only over HTTPS (plain HTTP only to a loopback host).

pub use slipway_http::text::display_input_url;
use url::Url;

/// PyPI's legacy upload URL, the default `repository-url`.
pub const PYPI_UPLOAD_URL: &str = "https://upload.pypi.org/legacy/";
/// TestPyPI's legacy upload URL.
pub const TESTPYPI_UPLOAD_URL: &str = "https://test.pypi.org/legacy/";

/// A URL input that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error(
        "`{url}` is not a valid URL: {reason}\nhint: write a full URL such as `{PYPI_UPLOAD_URL}`"
    )]
    Invalid {
        /// The value given.
        url: String,
        /// The parser's reason.
        reason: String,
    },
    /// Plain HTTP (or another scheme) to a host that is not loopback.
    #[error(
        "`{url}` does not use HTTPS; credentials would travel in clear text\nhint: use an `https://` URL (plain `http://` is allowed only for localhost, 127.0.0.1 and ::1)"
    )]
    NotHttps {
        /// The value given.
        url: String,
    },
}

/// True for `localhost` and loopback IP addresses.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Parses a URL and checks it is HTTPS, or HTTP to a loopback host. Errors show the URL
/// without credentials written into it.
pub fn parse_secure_url(value: &str) -> Result<Url, UrlError> {
    let shown = || display_input_url(value);
    let url = Url::parse(value.trim()).map_err(|e| UrlError::Invalid {
        url: shown(),
        reason: e.to_string(),
    })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        _ => Err(UrlError::NotHttps { url: shown() }),
    }
}

/// The credentials written into a URL (`https://user:password@host/`), percent-decoded:
/// `(user, password)`, either possibly empty (a token given as the user alone). Also for text
/// that does not parse as a URL, so it can be masked before any error quotes it.
pub fn userinfo(value: &str) -> Option<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let (user, password) = match Url::parse(value.trim()) {
        Ok(url) => (
            url.username().to_string(),
            url.password().unwrap_or_default().to_string(),
        ),
        Err(_) => {
            let (user, password) = typed_userinfo(value)?;
            (user.to_string(), password.to_string())
        }
    };
    (!user.is_empty() || !password.is_empty()).then(|| (decode(&user), decode(&password)))
}

/// The user and password as typed in `value` (not decoded): the text between `://` and the
/// last `@` of the authority, split at its first `:`.
pub fn typed_userinfo(value: &str) -> Option<(&str, &str)> {
    let value = value.trim();
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (info, _) = authority.rsplit_once('@')?;
    Some(info.split_once(':').unwrap_or((info, "")))
}

/// `url` without the credentials written into it.
pub fn without_userinfo(url: &Url) -> Url {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// Which public index a URL belongs to, for derived URLs and project links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownIndex {
    /// pypi.org.
    Pypi,
    /// test.pypi.org.
    TestPypi,
}

impl KnownIndex {
    /// Recognises PyPI and TestPyPI from an upload URL's host.
    pub fn of(upload: &Url) -> Option<Self> {
        match upload.host_str()? {
            "upload.pypi.org" | "pypi.org" => Some(Self::Pypi),
            "test.pypi.org" => Some(Self::TestPypi),
            _ => None,
        }
    }

    /// The web base (`https://pypi.org`).
    pub fn web(self) -> &'static str {
        match self {
            Self::Pypi => "https://pypi.org",
            Self::TestPypi => "https://test.pypi.org",
        }
    }
}

/// The simple index for an upload URL: PyPI's and TestPyPI's are known, and a warehouse-style
/// `…/legacy/` path has its `…/simple/` sibling. Returns `None` when it cannot be derived.
pub fn derive_index_url(upload: &Url) -> Option<Url> {
    if let Some(known) = KnownIndex::of(upload) {
        return Url::parse(&format!("{}/simple/", known.web())).ok();
    }
    let path = upload.path().trim_end_matches('/');
    let parent = path.strip_suffix("/legacy")?;
    let mut url = upload.clone();
    url.set_path(&format!("{parent}/simple/"));
    url.set_query(None);
    Some(url)
}

/// The page a person opens to see the release: PyPI's project page, else the simple page.
pub fn project_url(upload: &Url, index: Option<&Url>, name: &str, version: &str) -> String {
    let normalized = crate::metadata::normalize_name(name);
    match (KnownIndex::of(upload), index) {
        (Some(known), _) => format!("{}/project/{normalized}/{version}/", known.web()),
        (None, Some(index)) => format!(
            "{}/{normalized}/",
            without_userinfo(index).as_str().trim_end_matches('/')
        ),
        (None, None) => without_userinfo(upload).to_string(),
    }
}

/// True when both URLs name the same scheme, host and port (where credentials may follow).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_only_except_loopback() {
        assert!(parse_secure_url("https://upload.pypi.org/legacy/").is_ok());
        assert!(parse_secure_url("http://127.0.0.1:8080/").is_ok());
        assert!(parse_secure_url("http://localhost/").is_ok());
        assert!(parse_secure_url("http://[::1]:1/").is_ok());
        let err = parse_secure_url("http://pypi.internal/")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`http://pypi.internal/`") && err.contains("hint:"),
            "{err}"
        );
        assert!(matches!(
            parse_secure_url("nope"),
            Err(UrlError::Invalid { .. })
        ));
    }

    #[test]
    fn credentials_in_urls_are_found_and_never_shown() {
        let e = parse_secure_url("http://u:p%40ss@pypi.internal/").unwrap_err();
        assert!(!e.to_string().contains("p%40ss"), "{e}");
        let e = parse_secure_url("https://u:s3cret@[bad/").unwrap_err();
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert_eq!(
            userinfo("https://u:p%40ss@h/x"),
            Some(("u".into(), "p@ss".into()))
        );
        assert_eq!(
            userinfo("https://tok@h/"),
            Some(("tok".into(), String::new()))
        );
        assert_eq!(
            userinfo("https://u:s3cret@[bad/x@y"),
            Some(("u".into(), "s3cret".into()))
        );
        assert_eq!(userinfo("https://h/x@y"), None);
        assert_eq!(
            typed_userinfo(" https://u:p%40ss@h/a@b"),
            Some(("u", "p%40ss"))
        );
        assert_eq!(userinfo("not a url"), None);
        let url = Url::parse("http://u:p@127.0.0.1:1/legacy/").unwrap();
        assert_eq!(
            without_userinfo(&url).as_str(),
            "http://127.0.0.1:1/legacy/"
        );
        assert_eq!(
            project_url(&url, Some(&url), "x", "1"),
            "http://127.0.0.1:1/legacy/x/"
        );
    }

    #[test]
    fn derived_index_urls() {
        let d = |u: &str| derive_index_url(&Url::parse(u).unwrap()).map(|u| u.to_string());
        assert_eq!(d(PYPI_UPLOAD_URL).unwrap(), "https://pypi.org/simple/");
        assert_eq!(
            d(TESTPYPI_UPLOAD_URL).unwrap(),
            "https://test.pypi.org/simple/"
        );
        assert_eq!(
            d("https://w.example/legacy").unwrap(),
            "https://w.example/simple/"
        );
        assert_eq!(d("http://127.0.0.1:9/"), None);
        let up = Url::parse(PYPI_UPLOAD_URL).unwrap();
        assert_eq!(
            project_url(&up, None, "My_Pkg", "1.0"),
            "https://pypi.org/project/my-pkg/1.0/"
        );
    }
}
