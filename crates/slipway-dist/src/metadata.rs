//! Core metadata (`METADATA`, `PKG-INFO`): email headers and an optional body, read the way
//! Python's `email` parser (and so `packaging.metadata.parse_email`, and PyPI) reads them.
//!
//! - Lines end at `\r\n`, `\r` or `\n`.
//! - A line starting with a space or a tab continues the header above it, even when it holds
//!   nothing but whitespace (distutils writes the blank lines of a `Description` as 8 spaces).
//! - Only a truly empty line ends the headers; the rest of the text is the body (the description).
//! - A continuation line loses the indentation the core-metadata conventions add: 7 spaces and `|`
//!   (the specification's escape for `Description`), or 8 spaces (distutils and setuptools'
//!   `rfc822_escape`); any other indentation is removed whole. Lines are joined with `\n`.
//! - A header's value keeps its text as written: leading spaces and tabs after the colon are
//!   dropped, trailing ones are kept (as Python keeps them).

use crate::DistError;

/// Parsed core metadata: every header as written, in order, plus the message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreMetadata {
    fields: Vec<(String, String)>,
    body: Option<String>,
}

fn bad(reason: String) -> DistError {
    DistError::BadMetadata {
        origin: None,
        reason,
    }
}

/// Removes a continuation line's indentation: 7 spaces and `|`, 8 spaces, or whatever
/// whitespace there is.
fn unindent(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix("       |") {
        rest
    } else if let Some(rest) = line.strip_prefix("        ") {
        rest
    } else {
        line.trim_start_matches([' ', '\t'])
    }
}

/// Splits off the first line at `\r\n`, `\r` or `\n`: `(line, rest after its end)`.
fn split_line(text: &str) -> (&str, &str) {
    match text.find(['\r', '\n']) {
        Some(i) if text[i..].starts_with("\r\n") => (&text[..i], &text[i + 2..]),
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    }
}

/// A header name as the email parser accepts it: printable ASCII without space and `:`.
fn valid_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| (b'!'..=b'~').contains(&b) && b != b':')
}

impl CoreMetadata {
    /// Parses metadata text (see the module documentation for the rules). Repeated headers are
    /// all kept, in order. `Metadata-Version`, `Name` and `Version` are required. A line in the
    /// header block that is neither a header nor a continuation is an error (Python would start
    /// the body there and lose every header below it).
    pub fn parse(text: &str) -> Result<CoreMetadata, DistError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut body = None;
        let mut rest = text;
        let mut line_no = 0;
        while !rest.is_empty() {
            let (line, next) = split_line(rest);
            line_no += 1;
            if line.is_empty() {
                body = Some(next.to_string());
                break;
            }
            if line.starts_with([' ', '\t']) {
                let Some((_, value)) = fields.last_mut() else {
                    return Err(bad(format!(
                        "line {line_no} is indented but there is no header before it to continue"
                    )));
                };
                value.push('\n');
                value.push_str(unindent(line));
            } else {
                let shown: String = line.chars().take(80).collect();
                let Some((name, value)) = line.split_once(':') else {
                    return Err(bad(format!(
                        "line {line_no} is not a `Name: value` header: `{shown}`"
                    )));
                };
                if !valid_header_name(name) {
                    return Err(bad(format!(
                        "line {line_no} has an invalid header name `{name}` (printable ASCII without spaces): `{shown}`"
                    )));
                }
                let value = value.trim_start_matches([' ', '\t']);
                fields.push((name.to_string(), value.to_string()));
            }
            rest = next;
        }
        let metadata = CoreMetadata { fields, body };
        for required in ["Metadata-Version", "Name", "Version"] {
            match metadata.get(required) {
                Some(v) if !v.trim().is_empty() => {}
                _ => return Err(bad(format!("the required field `{required}` is missing"))),
            }
        }
        Ok(metadata)
    }

    /// The declared `Metadata-Version` (e.g. `2.1`), which decides which fields an index accepts.
    pub fn metadata_version(&self) -> &str {
        self.get("Metadata-Version").unwrap_or_default().trim()
    }

    /// The `Name` field.
    pub fn name(&self) -> &str {
        self.get("Name").unwrap_or_default().trim()
    }

    /// The `Version` field.
    pub fn version(&self) -> &str {
        self.get("Version").unwrap_or_default().trim()
    }

    /// The first value of a header, matched case-insensitively; `None` when absent.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a (multi-valued) header such as `Classifier`, in order.
    pub fn get_all(&self, field: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every header as written, in order, duplicates kept (the body is not included).
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The message body after the empty line that ends the headers, as written; `None` when the
    /// text has no empty line.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// The description: the body when it has text (as `packaging` takes it), else the
    /// `Description` header, else a body of only whitespace.
    pub fn description(&self) -> Option<&str> {
        let body = self.body.as_deref().filter(|b| !b.is_empty());
        match (body, self.get("Description")) {
            (Some(body), _) if !body.trim().is_empty() => Some(body),
            (_, Some(header)) => Some(header),
            (body, None) => body,
        }
    }

    /// True when both a `Description` header and a body with text are present (`packaging`
    /// cannot tell which one is meant; the body is the one sent).
    pub fn has_two_descriptions(&self) -> bool {
        self.get("Description").is_some()
            && self.body.as_deref().is_some_and(|b| !b.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> CoreMetadata {
        CoreMetadata::parse(text).unwrap()
    }

    const HEAD: &str = "Metadata-Version: 1.0\nName: Foo\nVersion: 0.1\n";

    #[test]
    fn headers_body_and_duplicates() {
        let text = "Metadata-Version: 2.1\nName: my_pkg\nVersion: 1.0\nClassifier: A\nclassifier: B\n\
                    Summary: one\n\nBody line 1\n\nBody — ünïcode ✓\n";
        let m = parse(text);
        assert_eq!(
            (m.metadata_version(), m.name(), m.version()),
            ("2.1", "my_pkg", "1.0")
        );
        assert_eq!(m.get_all("CLASSIFIER"), vec!["A", "B"]);
        assert_eq!(m.get("summary"), Some("one"));
        assert_eq!(m.description(), Some("Body line 1\n\nBody — ünïcode ✓\n"));
        assert_eq!(m.fields().len(), 6);
        assert_eq!(m.fields()[4], ("classifier".to_string(), "B".to_string()));
    }

    #[test]
    fn continuation_lines_and_description_header() {
        let text = "Metadata-Version: 1.0\r\nName: Foo\r\nVersion: 0.1\r\nLicense: line one\r\n        line two\r\n\
                    Description: first\n        second\n               indented\n       |third\nAuthor: me\n";
        let m = parse(text);
        assert_eq!(m.get("License"), Some("line one\nline two"));
        assert_eq!(
            m.description(),
            Some("first\nsecond\n       indented\nthird")
        );
        assert_eq!(m.get("author"), Some("me"));
    }

    #[test]
    fn a_whitespace_only_line_continues_the_description_header() {
        // distutils: the blank lines of the long description are 8 spaces; headers follow.
        let text = format!(
            "{HEAD}Description: Title\n        =====\n        \n        Text.\n        \nClassifier: A\nRequires-Python: >=3.8\nPlatform: any\n"
        );
        let m = parse(&text);
        assert_eq!(m.description(), Some("Title\n=====\n\nText.\n"));
        assert_eq!(m.get("Classifier"), Some("A"));
        assert_eq!(m.get("Requires-Python"), Some(">=3.8"));
        assert_eq!(m.get("Platform"), Some("any"));
        assert_eq!(m.body(), None);
    }

    #[test]
    fn the_pipe_convention_keeps_blank_lines_and_indentation() {
        let text = format!(
            "{HEAD}Description: Title\n       |\n       |    code block\n       |  \nKeywords: a,b\n"
        );
        let m = parse(&text);
        assert_eq!(m.description(), Some("Title\n\n    code block\n  "));
        assert_eq!(m.get("keywords"), Some("a,b"));
    }

    #[test]
    fn line_endings_crlf_cr_and_lf_mixed() {
        let m = parse(
            "Metadata-Version: 2.1\rName: a\r\nVersion: 1\nSummary: s\r\n\r\nbody\r\nline\r\n",
        );
        assert_eq!(
            (m.name(), m.version(), m.get("summary")),
            ("a", "1", Some("s"))
        );
        assert_eq!(m.body(), Some("body\r\nline\r\n"));
        // A whitespace-only line with CRLF is a continuation, not the end of the headers.
        let m = parse(&format!(
            "{HEAD}Description: a\r\n        \r\n        b\r\nAuthor: x\r\n"
        ));
        assert_eq!(
            (m.description(), m.get("author")),
            (Some("a\n\nb"), Some("x"))
        );
    }

    #[test]
    fn tabs_and_short_indents_are_removed_whole() {
        let m = parse(&format!("{HEAD}Summary: a\n\tb\nLicense: x\n   y\n"));
        assert_eq!(m.get("summary"), Some("a\nb"));
        assert_eq!(m.get("license"), Some("x\ny"));
    }

    #[test]
    fn values_keep_trailing_spaces_and_drop_leading_ones() {
        let m = parse(&format!("{HEAD}Summary:\t  padded  \nKeywords:\n"));
        assert_eq!(m.get("summary"), Some("padded  "));
        assert_eq!(m.get("keywords"), Some(""));
        // A colon in the value stays.
        let m = parse(&format!("{HEAD}Project-URL: Home, https://x.org:8080/a\n"));
        assert_eq!(m.get("project-url"), Some("Home, https://x.org:8080/a"));
    }

    #[test]
    fn body_rules() {
        // No empty line: no body. An empty line at the end: an empty body, no description.
        assert_eq!(parse(HEAD).body(), None);
        let m = parse(&format!("{HEAD}\n"));
        assert_eq!((m.body(), m.description()), (Some(""), None));
        // A header and a body: the body is the description, and both are reported.
        let m = parse(&format!("{HEAD}Description: header\n\nbody\n"));
        assert_eq!(m.description(), Some("body\n"));
        assert!(m.has_two_descriptions());
        // A blank body next to a header: the header.
        let m = parse(&format!("{HEAD}Description: header\n\n\n\n"));
        assert_eq!(m.description(), Some("header"));
        assert!(!m.has_two_descriptions());
        // Indented lines in the body are body text.
        let m = parse(&format!("{HEAD}\n    indented\nName: not a header\n"));
        assert_eq!(m.description(), Some("    indented\nName: not a header\n"));
        assert_eq!(m.get_all("name").len(), 1);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let msg = |t: &str| CoreMetadata::parse(t).unwrap_err().to_string();
        assert!(
            msg("Metadata-Version: 2.1\nName: x\n")
                .starts_with("invalid core metadata: the required field `Version` is missing")
        );
        assert!(msg(" indented\n").contains("line 1 is indented"));
        assert!(
            msg("Metadata-Version: 2.1\nno colon here\n")
                .contains("line 2 is not a `Name: value` header")
        );
        assert!(
            msg("Metadata-Version: 2.1\nBad Name: x\n").contains("invalid header name `Bad Name`")
        );
        assert!(msg("Metadata-Version: 2.1\n: x\n").contains("invalid header name ``"));
        assert!(msg("Metadata-Version: 2.1\nName:  \nVersion: 1\n").contains("`Name` is missing"));
    }
}
