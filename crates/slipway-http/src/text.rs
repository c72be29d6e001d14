//! Text shown to people: URLs without credentials or queries, cut excerpts of bodies and values,
//! durations and times, an error's causes on one line.

use std::time::Duration;

use url::Url;

/// The longest excerpt of a body quoted in a message, in characters.
pub const EXCERPT_CHARS: usize = 400;

/// True when `a` and `b` have the same scheme, host and port.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `url` for a message: never its userinfo (a password written into a URL), its query (signed
/// storage URLs carry credentials there) or its fragment; only the path when it is on `home`'s
/// origin (the API's own URLs read shorter that way).
pub fn display_url(url: &Url, home: Option<&Url>) -> String {
    if home.is_some_and(|h| same_origin(url, h)) {
        return url.path().to_string();
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    match url.host_str() {
        Some(host) => format!("{}://{host}{port}{}", url.scheme(), url.path()),
        None => format!("{}:{}", url.scheme(), url.path()),
    }
}

/// A URL typed by the user, for a message: parsed and shown by [`display_url`] when it parses,
/// otherwise cut and with anything before an `@` replaced.
pub fn display_input_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(url) => display_url(&url, None),
        Err(_) => {
            let shown = match raw.rsplit_once('@') {
                Some((_, host)) => format!("***@{host}"),
                None => raw.to_string(),
            };
            // Cut as every quoted value is (head, tail and the full size), so the caller's
            // own quoting leaves it whole.
            slipway_runner::excerpt(&shown).into_owned()
        }
    }
}

/// The start of a body as one line of text: whitespace collapsed, cut to [`EXCERPT_CHARS`].
pub fn excerpt(body: &[u8]) -> String {
    let window = &body[..body.len().min(EXCERPT_CHARS * 8)];
    let text = String::from_utf8_lossy(window);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() > EXCERPT_CHARS || window.len() < body.len() {
        let cut: String = collapsed.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    } else {
        collapsed
    }
}

/// `404 Not Found`, or the bare number for codes without a reason phrase.
pub fn status_text(status: u16) -> String {
    match http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

/// `250 ms`, `1.5 s`, `14 min 5 s`, `2 h 3 min`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    let s = d.as_secs();
    if ms < 1000 {
        format!("{ms} ms")
    } else if s < 60 {
        let tenths = (ms / 100) % 10;
        if tenths == 0 {
            format!("{s} s")
        } else {
            format!("{s}.{tenths} s")
        }
    } else if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// An epoch second as `2024-05-01 12:00:00 UTC`.
pub fn utc_time(epoch: u64) -> String {
    slipway_time::Utc::from_unix(i64::try_from(epoch).unwrap_or(i64::MAX)).to_string()
}

/// The error and its causes on one line, wrappers that repeat their cause left out.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut messages = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        messages.push(e.to_string());
        cur = e.source();
    }
    let mut parts: Vec<&str> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let wraps_next = messages.get(i + 1).is_some_and(|n| m.contains(n.as_str()));
        if !wraps_next && !parts.contains(&m.as_str()) {
            parts.push(m);
        }
    }
    parts.join(": ")
}

/// A short plain-text rendering of an error body: the HTML `<title>` and text without tags,
/// whitespace collapsed, cut to a few hundred characters.
pub fn body_text(body: &str) -> String {
    body_text_redacted(body, &|text| text.to_string())
}

/// [`body_text`] with `redact` applied to the whole body and again to its text (entities
/// decoded) before the text is cut: a cut never leaves part of a secret in view.
pub fn body_text_redacted(body: &str, redact: &dyn Fn(&str) -> String) -> String {
    let body = redact(body);
    let body = &body[..floor_char_boundary(&body, EXCERPT_CHARS * 16)];
    let mut out = String::new();
    let mut in_tag = false;
    let lower = body.to_ascii_lowercase();
    // Skip <style> and <script> contents, which are not a reason.
    let mut skip_until: Option<usize> = None;
    for (i, c) in body.char_indices() {
        if let Some(end) = skip_until {
            if i < end {
                continue;
            }
            skip_until = None;
        }
        if c == '<' {
            for tag in ["style", "script"] {
                if lower[i + 1..].starts_with(tag)
                    && let Some(close) = lower[i..].find(&format!("</{tag}>"))
                {
                    skip_until = Some(i + close + tag.len() + 3);
                }
            }
            in_tag = true;
            out.push(' ');
            continue;
        }
        if c == '>' && in_tag {
            in_tag = false;
            continue;
        }
        if !in_tag {
            out.push(c);
        }
    }
    let out = out
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'");
    let mut words: Vec<&str> = Vec::new();
    for w in out.split_whitespace() {
        words.push(w);
    }
    let mut text = redact(&words.join(" "));
    if text.chars().count() > 400 {
        text = text.chars().take(400).collect::<String>() + "…";
    }
    text
}

/// The largest char boundary at or below `at`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0)
}

/// True when a body looks like an HTML page (a login wall, a web page where an API was expected).
pub fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|c| c.to_ascii_lowercase().starts_with("text/html")) {
        return true;
    }
    let start = String::from_utf8_lossy(&body[..body.len().min(256)]).to_ascii_lowercase();
    let start = start.trim_start();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_runner::quote::cut;

    #[test]
    fn urls_never_show_credentials_or_queries() {
        let url = Url::parse("https://user:s3cret@up.example:8443/legacy/?sig=abc#x").unwrap();
        assert_eq!(display_url(&url, None), "https://up.example:8443/legacy/");
        let api = Url::parse("https://api.github.com").unwrap();
        let own = Url::parse("https://api.github.com/repos/o/r?page=2").unwrap();
        assert_eq!(display_url(&own, Some(&api)), "/repos/o/r");
        assert_eq!(
            display_input_url("https://u:p@host/simple/"),
            "https://host/simple/"
        );
        assert_eq!(display_input_url("not a url u:p@host"), "***@host");
    }

    #[test]
    fn cuts_and_excerpts_are_bounded() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 3), "abc… (3 more characters)");
        let huge = "x ".repeat(1_000_000);
        assert!(excerpt(huge.as_bytes()).len() < EXCERPT_CHARS * 2);
        assert!(body_text(&huge).len() < EXCERPT_CHARS * 2);
        assert_eq!(excerpt(b"  a\n\n b  "), "a b");
    }

    #[test]
    fn a_cut_never_splits_a_redacted_secret() {
        let secret = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw";
        let redact = |t: &str| t.replace(secret, "***");
        let page = format!("<p>{} {secret} &amp; more</p>", "x".repeat(390));
        let text = body_text_redacted(&page, &redact);
        assert!(!text.contains(&secret[..8]), "{text}");
        let escaped = "<p>pw &quot;q&quot;</p>";
        let text = body_text_redacted(escaped, &|t: &str| t.replace("pw \"q\"", "***"));
        assert_eq!(text, "***");
    }

    #[test]
    fn html_is_recognised() {
        assert!(looks_like_html(Some("text/html; charset=utf-8"), b""));
        assert!(looks_like_html(None, b"\n <!DOCTYPE html><html>"));
        assert!(!looks_like_html(Some("application/json"), b"{}"));
    }

    #[test]
    fn error_bodies_become_one_line() {
        let html = "<html><head><title>400 Bad</title><style>p{}</style></head>\n<body><h1>400 Bad</h1>Invalid &amp; wrong</body></html>";
        assert_eq!(body_text(html), "400 Bad 400 Bad Invalid & wrong");
    }

    #[test]
    fn durations_and_times_read_well() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human_duration(Duration::from_secs(845)), "14 min 5 s");
        assert_eq!(utc_time(1_700_003_600), "2023-11-14 23:13:20 UTC");
    }
}
