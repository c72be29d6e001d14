//! What the index already has: the project's simple page (PEP 691 JSON, falling back to the
//! PEP 503 HTML page), each file's sha256 from `hashes` or the URL fragment, and, for an index
//! that publishes no sha256, the file itself hashed as it streams in.

use http::StatusCode;
use http::header::{ACCEPT, LOCATION};
use sha2::{Digest, Sha256};
use slipway_http::{Credential, Redirects, Request, Sink, Transport};
use url::Url;

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

/// Why the index could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// No usable answer (after the transport's retries and time bounds).
    #[error("cannot read the index: {0}")]
    Network(#[from] slipway_http::HttpError),
    /// An answer other than 200 or 404.
    #[error("the index answered {status} for `{url}`: {reason}")]
    Status {
        /// The page.
        url: String,
        /// The status.
        status: StatusCode,
        /// The index's reason, cut and redacted.
        reason: String,
    },
    /// Neither PEP 691 JSON nor a PEP 503 HTML page.
    #[error("the index page `{url}` is not a PEP 691 or PEP 503 simple page: {reason}")]
    Malformed {
        /// The page.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// The project page on `index` for `name` (normalised, with a trailing slash).
pub fn project_page(index: &Url, name: &str) -> Url {
    let mut base = index.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(&format!("{}/", normalize_name(name)))
        .unwrap_or(base)
}

/// The most of a project page read (numpy's JSON page is a few MB; this leaves room).
pub const PAGE_CAP: u64 = 64 * 1024 * 1024;

/// What the index holds for a project.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProjectFiles {
    /// The files listed.
    pub files: Vec<IndexFile>,
    /// Set when the index redirected the page to another origin (pypiserver's fallback to the
    /// public index): what is there is not on this index, so nothing is.
    pub redirected_to: Option<String>,
}

/// The files the index lists for project `name` (an empty list on 404). A redirect to another
/// origin means "not on this index": the files there belong to someone else.
pub async fn project_files(
    transport: &Transport,
    index: &Url,
    name: &str,
    credential: Option<Credential>,
) -> Result<ProjectFiles, IndexError> {
    let page = project_page(index, name);
    let req = Request::get(page.clone())
        .header(ACCEPT, &format!("{SIMPLE_JSON}, text/html;q=0.1"))
        .credential(credential)
        .redirects(Redirects::SameOrigin)
        .cap(PAGE_CAP);
    let answer = transport.fetch(&req).await?;
    let status = answer.status;
    if status == StatusCode::NOT_FOUND {
        return Ok(ProjectFiles::default());
    }
    if status.is_redirection() {
        let to = answer
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| answer.url.join(l).ok())
            .map(|u| transport.show(&u))
            .unwrap_or_else(|| "(no location)".into());
        return Ok(ProjectFiles {
            files: Vec::new(),
            redirected_to: Some(to),
        });
    }
    if !status.is_success() {
        return Err(IndexError::Status {
            url: transport.show(&page),
            status,
            reason: answer.text(),
        });
    }
    let is_json = answer
        .content_type()
        .is_some_and(|v| v.starts_with(SIMPLE_JSON) || v.starts_with("application/json"));
    let body = String::from_utf8_lossy(&answer.body);
    let files = if is_json {
        parse_json(&body, &answer.url).map_err(|reason| IndexError::Malformed {
            url: transport.show(&page),
            reason: transport.redact(&slipway_runner::quote::cut(&reason, 300)),
        })?
    } else {
        parse_html(&body, &answer.url)
    };
    Ok(ProjectFiles {
        files,
        redirected_to: None,
    })
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

/// A hasher that refuses more bytes than a limit (the local file's size: a longer remote file
/// cannot have the same bytes, and an endless one must not be hashed forever).
struct LimitedHasher {
    hasher: Sha256,
    written: u64,
    limit: u64,
}

impl tokio::io::AsyncWrite for LimitedHasher {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        if self.written + buf.len() as u64 > self.limit {
            return std::task::Poll::Ready(Err(std::io::Error::other(LONGER)));
        }
        self.hasher.update(buf);
        self.written += buf.len() as u64;
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl slipway_http::Rewind for LimitedHasher {
    fn rewind(&mut self) -> futures_util::future::BoxFuture<'_, std::io::Result<()>> {
        self.hasher = Sha256::new();
        self.written = 0;
        Box::pin(async { Ok(()) })
    }
}

const LONGER: &str = "longer than the local file";

/// What the index serves at a file URL, compared with the local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteHash {
    /// The sha256 of the bytes served.
    Sha256(String),
    /// More bytes than the local file has: not the same file (not read further).
    Longer,
}

/// Hashes the file at `url` (for index pages that list no hash), reading at most `limit`
/// bytes. `credential` goes only to its own origin (a file URL on another host gets none).
pub async fn download_sha256(
    transport: &Transport,
    url: &Url,
    credential: Option<Credential>,
    limit: u64,
) -> Result<RemoteHash, IndexError> {
    let mut download = url.clone();
    download.set_fragment(None);
    let req = Request::get(download.clone()).credential(credential);
    let mut hasher = LimitedHasher {
        hasher: Sha256::new(),
        written: 0,
        limit,
    };
    let sink = Sink {
        writer: &mut hasher,
        expected: None,
    };
    let answer = match transport.download(&req, sink, &mut |_| {}).await {
        Ok(a) => a,
        Err(slipway_http::HttpError::Sink(e)) if e.to_string() == LONGER => {
            return Ok(RemoteHash::Longer);
        }
        Err(e) => return Err(e.into()),
    };
    if !answer.status.is_success() {
        return Err(IndexError::Status {
            url: transport.show(&download),
            status: answer.status,
            reason: answer.text(),
        });
    }
    Ok(RemoteHash::Sha256(hex::encode(hasher.hasher.finalize())))
}

/// Where one file stands on an index, read from its project page (and, when the page lists no
/// hash, from the file itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// The page does not list the file (or the index redirected the page to another origin,
    /// named here: what is there is not on this index).
    Absent {
        /// The other origin's page, when the index redirected there.
        redirected_to: Option<String>,
    },
    /// Listed, with the sha256 of what is served.
    Sha256 {
        /// The sha256, lowercase hex.
        sha256: String,
        /// Where the index serves it (shown without credentials).
        url: String,
    },
    /// Listed without a hash and longer than `size`: not the same file (not read further).
    Longer {
        /// Where the index serves it.
        url: String,
    },
}

/// Reads which files an index serves, each project's page once (a new `Pages` reads afresh).
/// `credential` goes to the index's own origin only (a file URL on another host gets none);
/// every request goes through the transport (retries, time bounds, caps).
#[derive(Debug)]
pub struct Pages<'a> {
    transport: &'a Transport,
    index: &'a Url,
    credential: Option<Credential>,
    read: std::collections::BTreeMap<String, ProjectFiles>,
}

impl<'a> Pages<'a> {
    /// Nothing read yet.
    pub fn new(transport: &'a Transport, index: &'a Url, credential: Option<Credential>) -> Self {
        Self {
            transport,
            index,
            credential,
            read: std::collections::BTreeMap::new(),
        }
    }

    /// What the index serves as `filename` of project `name`, compared by sha256 with a local
    /// file of `size` bytes.
    pub async fn served(
        &mut self,
        name: &str,
        filename: &str,
        size: u64,
    ) -> Result<Served, IndexError> {
        let (transport, credential) = (self.transport, self.credential.clone());
        let key = crate::metadata::normalize_name(name);
        let page = match self.read.get(&key) {
            Some(page) => page.clone(),
            None => {
                let page = project_files(transport, self.index, name, credential.clone()).await?;
                self.read.insert(key, page.clone());
                page
            }
        };
        let Some(file) = page.files.into_iter().find(|f| f.filename == filename) else {
            return Ok(Served::Absent {
                redirected_to: None,
            });
        };
        let mut shown = file.url.clone();
        shown.set_fragment(None);
        let url = transport.show(&shown);
        let sha256 = match file.sha256 {
            Some(sha) => sha,
            None => match download_sha256(transport, &file.url, credential, size).await? {
                RemoteHash::Sha256(sha) => sha,
                RemoteHash::Longer => return Ok(Served::Longer { url }),
            },
        };
        Ok(Served::Sha256 { sha256, url })
    }
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
