//! Rules: which requests a behaviour applies to, and the behaviours themselves.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

/// The pause between two bytes of a drip when a test has no reason to pick another.
pub const DEFAULT_DRIP_INTERVAL: Duration = Duration::from_secs(1);

/// How a rule's pattern is compared with the request target (the path, or path and query
/// with [`Rule::with_query`]), as sent, not decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    /// Every request.
    Any,
    /// The target equals the text.
    Exact(String),
    /// The target starts with the text.
    Prefix(String),
    /// The target contains the text.
    Contains(String),
}

impl PathMatch {
    fn matches(&self, target: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(p) => target == p,
            Self::Prefix(p) => target.starts_with(p.as_str()),
            Self::Contains(p) => target.contains(p.as_str()),
        }
    }
}

/// A request the server answers in its own way: what it matches, how often, and how it answers.
///
/// Rules are tried in the order they were added; the first that matches and has matches left
/// answers. A request no rule takes goes to the upstream (a proxy) or gets a 404 naming it.
///
/// ```
/// # use slipway_testkit::hostile::{Behaviour, Rule};
/// // The first POST to the mint endpoint is redirected; later ones fall through.
/// let rule = Rule::exact("/_/oidc/mint-token", Behaviour::redirect(307, "http://127.0.0.1:9/x"))
///     .method("POST")
///     .times(1);
/// ```
#[derive(Debug, Clone)]
pub struct Rule {
    pub(crate) name: String,
    pub(crate) method: Option<String>,
    pub(crate) path: PathMatch,
    pub(crate) with_query: bool,
    pub(crate) times: Option<u32>,
    pub(crate) behaviour: Behaviour,
}

impl Rule {
    /// A rule for requests whose target matches `path`.
    pub fn new(path: PathMatch, behaviour: Behaviour) -> Self {
        Self {
            name: behaviour.kind().to_string(),
            method: None,
            path,
            with_query: false,
            times: None,
            behaviour,
        }
    }

    /// A rule for every request.
    pub fn any(behaviour: Behaviour) -> Self {
        Self::new(PathMatch::Any, behaviour)
    }

    /// A rule for requests whose path is exactly `path`.
    pub fn exact(path: &str, behaviour: Behaviour) -> Self {
        Self::new(PathMatch::Exact(path.to_string()), behaviour)
    }

    /// A rule for requests whose path starts with `prefix`.
    pub fn prefix(prefix: &str, behaviour: Behaviour) -> Self {
        Self::new(PathMatch::Prefix(prefix.to_string()), behaviour)
    }

    /// A rule for requests whose path contains `text`.
    pub fn contains(text: &str, behaviour: Behaviour) -> Self {
        Self::new(PathMatch::Contains(text.to_string()), behaviour)
    }

    /// Only requests with this method (compared case-insensitively).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_string());
        self
    }

    /// Compares the pattern with the path and query (`/x?page=2`) instead of the path alone.
    pub fn with_query(mut self) -> Self {
        self.with_query = true;
        self
    }

    /// Applies to the first `n` matching requests only; later ones fall through to the next
    /// rule, or the upstream.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Names the rule in the request log (default: the behaviour's kind, e.g. `black-hole`).
    pub fn named(mut self, name: &str) -> Self {
        self.name = name.to_string();
        self
    }

    /// True when the rule applies to this request, ignoring how often it already did.
    pub(crate) fn matches(&self, method: &str, target: &str) -> bool {
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        let subject = if self.with_query {
            target
        } else {
            target.split('?').next().unwrap_or("")
        };
        self.path.matches(subject)
    }
}

/// How an endless body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndlessFraming {
    /// `Transfer-Encoding: chunked`, and the last chunk never comes.
    Chunked,
    /// `Content-Length: n`, then far more than `n` bytes.
    ShortLength(u64),
    /// Neither length nor chunking (`Connection: close`): the body ends when the connection
    /// closes, which it never does.
    UntilClose,
}

/// The form of an [`Behaviour::EchoHeaders`] error page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EchoFormat {
    /// `text/html`, the request quoted raw inside `<pre>` (as naive servers do).
    Html,
    /// `application/json`: `{"message", "request_line", "headers": [[name, value]…], "body"}`.
    Json,
}

/// How a forwarded list page's `Link` header or body is altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `rel="next"` names the requested page itself: a client that follows it loops forever.
    LoopToSelf,
    /// `rel="next"` names page `n` of the same list (e.g. `1`: back to the start).
    LoopTo(u32),
    /// `rel="next"` always names the page after the requested one and `rel="last"` is dropped:
    /// the paging never ends (pages past the end are whatever the upstream answers, `[]` for
    /// GitHub).
    Endless,
    /// Every page's body is page `n`'s body; status and headers (`Link` included) are the
    /// requested page's, so the client walks the real number of pages and sees one page again
    /// and again.
    Repeat(u32),
}

/// A closure that rewrites a forwarded JSON body, see [`Behaviour::alter_json`].
#[derive(Clone)]
pub struct JsonEdit(pub(crate) Arc<dyn Fn(Value) -> Value + Send + Sync>);

impl fmt::Debug for JsonEdit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsonEdit(..)")
    }
}

/// How the server answers a request a rule took.
///
/// Every behaviour first reads the request (head and body, up to its end) and logs it; a
/// forwarding one streams the body to the upstream while reading it. Headers
/// given as `(name, value)` are sent as given, in order; the server adds `content-length` where
/// a behaviour needs one and none was given.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Never answers (not even `100 Continue`) and never closes the connection (until the
    /// server is dropped).
    BlackHole,
    /// Closes the connection without an answer.
    Hangup,
    /// Sends the status line and headers, then not one byte more, and keeps the connection open.
    /// Give a `content-length` to make the client wait for a body.
    StallAfterHeaders {
        /// Status code.
        status: u16,
        /// Headers, in order.
        headers: Vec<(String, String)>,
    },
    /// Sends the head at once, then the body one byte at a time, pausing `interval` after each.
    Drip {
        /// Status code.
        status: u16,
        /// Headers, in order (`content-length` added when missing).
        headers: Vec<(String, String)>,
        /// The whole body.
        body: Bytes,
        /// The pause after each byte.
        interval: Duration,
    },
    /// Sends the status line and headers themselves one byte at a time, pausing `interval`
    /// after each, then an empty body.
    DripHead {
        /// Status code.
        status: u16,
        /// Headers, in order (`content-length: 0` added when missing).
        headers: Vec<(String, String)>,
        /// The pause after each byte.
        interval: Duration,
    },
    /// A body that never ends: `chunk` again and again, as fast as the client reads.
    EndlessBody {
        /// Status code.
        status: u16,
        /// Headers, in order (framing headers are added).
        headers: Vec<(String, String)>,
        /// What is sent over and over (must not be empty).
        chunk: Bytes,
        /// How the body is framed.
        framing: EndlessFraming,
    },
    /// A canned answer.
    Respond {
        /// Status code.
        status: u16,
        /// Headers, in order (`content-length` added when missing).
        headers: Vec<(String, String)>,
        /// The body.
        body: Bytes,
    },
    /// An error page quoting the request line, every request header verbatim (`Authorization`
    /// included) and the first 1 KiB of the body.
    EchoHeaders {
        /// Status code.
        status: u16,
        /// HTML or JSON.
        format: EchoFormat,
    },
    /// A redirect to `location`, sent as given (absolute or relative).
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// Forwards to the upstream unchanged (but for origin rewriting); a 502 without one.
    Forward,
    /// Forwards to the upstream and alters the page's `Link` header or body (2xx answers only).
    Paging(Paging),
    /// Forwards to the upstream and passes a JSON body through a closure (other bodies pass
    /// unchanged).
    AlterJson(JsonEdit),
}

impl Behaviour {
    /// The name of the behaviour's kind, used in the request log.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BlackHole => "black-hole",
            Self::Hangup => "hangup",
            Self::StallAfterHeaders { .. } => "stall-after-headers",
            Self::Drip { .. } => "drip",
            Self::DripHead { .. } => "drip-head",
            Self::EndlessBody { .. } => "endless-body",
            Self::Respond { .. } => "respond",
            Self::EchoHeaders { .. } => "echo-headers",
            Self::Redirect { .. } => "redirect",
            Self::Forward => "forward",
            Self::Paging(Paging::LoopToSelf | Paging::LoopTo(_)) => "link-loop",
            Self::Paging(Paging::Endless) => "endless-paging",
            Self::Paging(Paging::Repeat(_)) => "repeat-page",
            Self::AlterJson(_) => "alter-json",
        }
    }

    /// True for the behaviours that forward to the upstream.
    pub(crate) fn forwards(&self) -> bool {
        matches!(self, Self::Forward | Self::Paging(_) | Self::AlterJson(_))
    }

    /// A canned answer with a `content-type`.
    pub fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        Self::Respond {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A canned JSON answer.
    pub fn json(status: u16, body: &Value) -> Self {
        Self::respond(status, "application/json", body.to_string())
    }

    /// A canned HTML answer (e.g. a 200 login page where an API was expected).
    pub fn html(status: u16, body: &str) -> Self {
        Self::respond(status, "text/html; charset=utf-8", body.to_string())
    }

    /// A 200 JSON body dripped one byte per `interval`.
    pub fn drip(body: impl Into<Bytes>, interval: Duration) -> Self {
        Self::Drip {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            interval,
        }
    }

    /// A 200 JSON head dripped one byte per `interval`.
    pub fn drip_head(interval: Duration) -> Self {
        Self::DripHead {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            interval,
        }
    }

    /// A 200 head announcing `content_length` body bytes, then silence.
    pub fn stall_after_headers(content_length: u64) -> Self {
        Self::StallAfterHeaders {
            status: 200,
            headers: vec![
                ("content-type".into(), "application/octet-stream".into()),
                ("content-length".into(), content_length.to_string()),
            ],
        }
    }

    /// A 200 `application/octet-stream` body of 64 KiB chunks that never ends.
    pub fn endless_body(framing: EndlessFraming) -> Self {
        Self::EndlessBody {
            status: 200,
            headers: vec![("content-type".into(), "application/octet-stream".into())],
            chunk: Bytes::from(vec![b'x'; 64 * 1024]),
            framing,
        }
    }

    /// An error page echoing the request.
    pub fn echo_headers(status: u16, format: EchoFormat) -> Self {
        Self::EchoHeaders { status, format }
    }

    /// A redirect.
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::Redirect {
            status,
            location: location.to_string(),
        }
    }

    /// Forwards, then replaces a JSON body `v` with `edit(v)`.
    pub fn alter_json(edit: impl Fn(Value) -> Value + Send + Sync + 'static) -> Self {
        Self::AlterJson(JsonEdit(Arc::new(edit)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_by_method_path_and_query() {
        let r = Rule::prefix("/repos/", Behaviour::Forward).method("get");
        assert!(r.matches("GET", "/repos/o/r?page=2"));
        assert!(!r.matches("POST", "/repos/o/r"));
        assert!(!r.matches("GET", "/user"));
        let q = Rule::contains("page=2", Behaviour::Forward);
        assert!(
            !q.matches("GET", "/x?page=2"),
            "the query is ignored by default"
        );
        assert!(q.with_query().matches("GET", "/x?page=2"));
        let e = Rule::exact("/simple/", Behaviour::Forward);
        assert!(e.matches("GET", "/simple/?x=1"));
        assert!(!e.clone().with_query().matches("GET", "/simple/?x=1"));
        assert!(!e.matches("GET", "/simple/pkg/"));
    }
}
