//! The request log: every request the server read, whoever answered it.

use std::time::Instant;

/// How many bytes of each request body the log keeps.
pub const BODY_LOG_CAP: usize = 64 * 1024;

/// Who answered a logged request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The rule at this index (in the order rules were added), under its name.
    Rule {
        /// Index of the rule.
        index: usize,
        /// Its name ([`Rule::named`](super::Rule::named), or the behaviour's kind).
        name: String,
    },
    /// No rule took it: forwarded to the upstream.
    Upstream,
    /// No rule took it and there is no upstream: a 404.
    NoRule,
}

/// One request as the server read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// When its head arrived.
    pub at: Instant,
    /// The method.
    pub method: String,
    /// The request target, path and query, as sent.
    pub target: String,
    /// Every header in the order sent, names with their case, values verbatim (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// Bytes of body read.
    pub body_len: u64,
    /// The body's first [`BODY_LOG_CAP`] bytes.
    pub body: Vec<u8>,
    /// False when the client broke off before the end of its body.
    pub body_complete: bool,
    /// Who answered.
    pub answer: Answer,
}

impl SeenRequest {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Authorization` header, verbatim.
    pub fn authorization(&self) -> Option<&str> {
        self.header("authorization")
    }

    /// The `Host` header.
    pub fn host(&self) -> Option<&str> {
        self.header("host")
    }

    /// The name of the rule that answered (`None`: the upstream, or the 404 of no rule).
    pub fn rule(&self) -> Option<&str> {
        match &self.answer {
            Answer::Rule { name, .. } => Some(name),
            _ => None,
        }
    }

    /// Counts body bytes read and keeps the first [`BODY_LOG_CAP`] of them.
    pub(crate) fn add_body(&mut self, data: &[u8]) {
        self.body_len += data.len() as u64;
        let room = BODY_LOG_CAP.saturating_sub(self.body.len());
        self.body.extend_from_slice(&data[..room.min(data.len())]);
    }

    /// True when `text` occurs in the target, a header value or the logged body: "did this
    /// secret reach this host, in any form the test can name?"
    pub fn contains(&self, text: &str) -> bool {
        let t = text.as_bytes();
        self.target.contains(text)
            || self.headers.iter().any(|(_, v)| v.contains(text))
            || (!t.is_empty() && self.body.windows(t.len()).any(|w| w == t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_and_search() {
        let r = SeenRequest {
            at: Instant::now(),
            method: "POST".into(),
            target: "/upload?name=a".into(),
            headers: vec![
                ("Host".into(), "127.0.0.1:1".into()),
                ("authorization".into(), "Basic X".into()),
            ],
            body_len: 0,
            body: Vec::new(),
            body_complete: true,
            answer: Answer::Upstream,
        };
        let mut r = r;
        r.add_body(b"token=abc");
        assert_eq!(r.body_len, 9);
        r.add_body(&vec![0u8; BODY_LOG_CAP]);
        assert_eq!(r.body_len, 9 + BODY_LOG_CAP as u64);
        assert_eq!(r.body.len(), BODY_LOG_CAP, "the log keeps a capped prefix");
        assert_eq!(r.path(), "/upload");
        assert_eq!(r.query(), Some("name=a"));
        assert_eq!(r.authorization(), Some("Basic X"));
        assert_eq!(r.host(), Some("127.0.0.1:1"));
        assert_eq!(r.rule(), None);
        assert!(r.contains("abc") && r.contains("Basic") && r.contains("name=a"));
        assert!(!r.contains("secret"));
    }
}
