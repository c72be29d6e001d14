//! What the index already has: the project's simple page (PEP 691 JSON, falling back to the
//! PEP 503 HTML page), each file's sha256 from `hashes` or the URL fragment, and, for an index
//! that publishes no sha256, the file itself hashed as it streams in.

use futures_util::StreamExt as _;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use url::Url;

use crate::http::{Credentials, body_text};
use crate::metadata::normalize_name;

/// The PEP 691 JSON media type, preferred over HTML.
pub const SIMPLE_JSON: &str = "application/vnd.pypi.simple.v1+json";

/// One file listed on a project's simple page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    /// The file name.
    pub filename: String,
    /// Where to download it (absolute).
    pub url: Url,
    /// The sha256 the index publishes, lowercase hex, if any.
    pub sha256: Option<String>,
}

/// The simple page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// No answer (connection refused, reset, timeout).
    #[error("cannot reach the index at `{url}`: {source}")]
    Unreachable {
        /// The page.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// An answer other than 200 or 404.
    #[error("the index answered {status} for `{url}`: {reason}")]
    Status {
        /// The page.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The body's text.
        reason: String,
    },
    /// A 200 whose body is not a simple page.
    #[error("the index page `{url}` is not a PEP 691 or PEP 503 simple page: {reason}")]
    Malformed {
        /// The page.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

impl IndexError {
    /// True for errors worth another attempt: no answer, or a 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Status { status, .. } => status.is_server_error(),
            Self::Malformed { .. } => false,
        }
    }
}

/// The URL of a project's page: `<index>/<normalized name>/`.
pub fn project_page(index: &Url, name: &str) -> Url {
    let mut base = index.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(&format!("{}/", normalize_name(name)))
        .unwrap_or(base)
}

/// Reads the files a project has on the index; a 404 is a project with no files yet.
/// `auth` is sent only when the caller decided the index may see it.
pub async fn project_files(
    client: &reqwest::Client,
    index: &Url,
    name: &str,
    auth: Option<&Credentials>,
) -> Result<Vec<IndexFile>, IndexError> {
    let page = project_page(index, name);
    let mut request = client.get(page.clone()).header(
        reqwest::header::ACCEPT,
        format!("{SIMPLE_JSON}, text/html;q=0.1"),
    );
    if let Some(auth) = auth {
        request = auth.apply(request);
    }
    let unreachable = |source| IndexError::Unreachable {
        url: page.to_string(),
        source,
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Ok(Vec::new());
    }
    let final_url = response.url().clone();
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(SIMPLE_JSON) || v.starts_with("application/json"));
    let body = response.text().await.map_err(unreachable)?;
    if !status.is_success() {
        return Err(IndexError::Status {
            url: page.to_string(),
            status,
            reason: body_text(&body),
        });
    }
    if is_json {
        parse_json(&body, &final_url).map_err(|reason| IndexError::Malformed {
            url: page.to_string(),
            reason,
        })
    } else {
        Ok(parse_html(&body, &final_url))
    }
}

#[derive(serde::Deserialize)]
struct JsonPage {
    files: Vec<JsonFile>,
}

#[derive(serde::Deserialize)]
struct JsonFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: std::collections::BTreeMap<String, String>,
}

/// Parses a PEP 691 JSON project page; relative file URLs are resolved against `base`.
pub fn parse_json(body: &str, base: &Url) -> Result<Vec<IndexFile>, String> {
    let page: JsonPage = serde_json::from_str(body).map_err(|e| e.to_string())?;
    page.files
        .into_iter()
        .map(|f| {
            let url = base
                .join(&f.url)
                .map_err(|e| format!("bad file URL `{}`: {e}", f.url))?;
            let sha256 = f
                .hashes
                .get("sha256")
                .cloned()
                .or_else(|| fragment_sha256(&url));
            Ok(IndexFile {
                filename: f.filename,
                url,
                sha256: sha256.map(|h| h.to_ascii_lowercase()),
            })
        })
        .collect()
}

fn fragment_sha256(url: &Url) -> Option<String> {
    let fragment = url.fragment()?;
    fragment
        .split('&')
        .find_map(|p| p.strip_prefix("sha256="))
        .map(str::to_ascii_lowercase)
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name) {
        let at = from + pos;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next()? {
            q @ ('"' | '\'') => rest[1..].split(q).next()?,
            _ => rest.split(|c: char| c.is_whitespace() || c == '>').next()?,
        };
        return Some(unescape(value));
    }
    None
}

/// Parses a PEP 503 HTML project page: every `<a href>` is a file; the file name is the link
/// text (or the URL's last path segment), the sha256 comes from the `#sha256=` fragment.
pub fn parse_html(body: &str, base: &Url) -> Vec<IndexFile> {
    let lower = body.to_ascii_lowercase();
    let mut files = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("<a") {
        let start = from + pos;
        from = start + 2;
        if !lower[from..].starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(tag_end) = lower[start..].find('>').map(|e| start + e) else {
            break;
        };
        let tag = &body[start..tag_end];
        let text_end = lower[tag_end..]
            .find("</a")
            .map(|e| tag_end + e)
            .unwrap_or(tag_end + 1);
        let text = unescape(body[tag_end + 1..text_end].trim());
        from = tag_end;
        let Some(href) = attribute(tag, "href") else {
            continue;
        };
        let Ok(url) = base.join(&href) else { continue };
        let filename = if text.is_empty() {
            url.path_segments()
                .and_then(|mut s| s.next_back())
                .map(percent_decode)
                .unwrap_or_default()
        } else {
            text
        };
        let sha256 = fragment_sha256(&url);
        files.push(IndexFile {
            filename,
            url,
            sha256,
        });
    }
    files
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// Downloads a file from the index and returns its sha256, for indexes that publish no hash.
/// The file is hashed as it streams in; nothing is kept.
pub async fn download_sha256(
    client: &reqwest::Client,
    url: &Url,
    auth: Option<&Credentials>,
) -> Result<String, IndexError> {
    let mut download = url.clone();
    download.set_fragment(None);
    let mut request = client.get(download.clone());
    if let Some(auth) = auth {
        request = auth.apply(request);
    }
    let unreachable = |source| IndexError::Unreachable {
        url: download.to_string(),
        source,
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    if !status.is_success() {
        let reason = body_text(&response.text().await.unwrap_or_default());
        return Err(IndexError::Status {
            url: download.to_string(),
            status,
            reason,
        });
    }
    let mut hasher = Sha256::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        hasher.update(chunk.map_err(unreachable)?);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_of_pypiserver_and_devpi() {
        let base = Url::parse("http://127.0.0.1:1/simple/demo/").unwrap();
        let html = r#"<html><body><h1>Links for demo</h1>
            <a href="/packages/demo-1.0.tar.gz#sha256=ABC">demo-1.0.tar.gz</a><br>
            <A HREF='../../+f/1/2/demo-1.0-py3-none-any.whl#sha256=def&amp;x=1' data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</A>
            <a class="x" href="demo%2B-2.0.zip"></a>
            </body></html>"#;
        let files = parse_html(html, &base);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].filename, "demo-1.0.tar.gz");
        assert_eq!(
            files[0].url.as_str(),
            "http://127.0.0.1:1/packages/demo-1.0.tar.gz#sha256=ABC"
        );
        assert_eq!(files[0].sha256.as_deref(), Some("abc"));
        assert_eq!(files[1].url.path(), "/+f/1/2/demo-1.0-py3-none-any.whl");
        assert_eq!(files[1].sha256.as_deref(), Some("def"));
        assert_eq!(files[2].filename, "demo+-2.0.zip");
        assert_eq!(files[2].sha256, None);
    }

    #[test]
    fn json_pages() {
        let base = Url::parse("https://pypi.org/simple/demo/").unwrap();
        let body = r#"{"meta":{"api-version":"1.1"},"name":"demo","files":[
            {"filename":"demo-1.0.tar.gz","url":"https://files/demo-1.0.tar.gz","hashes":{"sha256":"AA"}},
            {"filename":"demo-1.0-py3-none-any.whl","url":"../../f/w.whl#sha256=bb","hashes":{}}]}"#;
        let files = parse_json(body, &base).unwrap();
        assert_eq!(files[0].sha256.as_deref(), Some("aa"));
        assert_eq!(files[1].url.as_str(), "https://pypi.org/f/w.whl#sha256=bb");
        assert_eq!(files[1].sha256.as_deref(), Some("bb"));
        assert!(parse_json("{}", &base).is_err());
    }

    #[test]
    fn project_pages_are_normalised() {
        let index = Url::parse("http://h/root/dev/+simple").unwrap();
        assert_eq!(
            project_page(&index, "My_Pkg").as_str(),
            "http://h/root/dev/+simple/my-pkg/"
        );
    }
}
