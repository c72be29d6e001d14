//! Core metadata (`METADATA`, `PKG-INFO`): RFC 822 style headers and an optional body.

use crate::DistError;

/// Parsed core metadata: every header as written, in order, plus the description.
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

/// Removes a continuation line's indentation: setuptools writes 8 spaces, or 7 spaces and `|`.
fn unindent(line: &str) -> &str {
    if let Some(rest) = line.strip_prefix("       |") {
        rest
    } else if let Some(rest) = line.strip_prefix("        ") {
        rest
    } else {
        line.trim_start()
    }
}

impl CoreMetadata {
    /// Parses metadata text: `Name: value` headers (continuation lines start with whitespace,
    /// repeated headers are all kept), then after a blank line the description body.
    /// `Metadata-Version`, `Name` and `Version` are required.
    pub fn parse(text: &str) -> Result<CoreMetadata, DistError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut body = None;
        let mut rest = text;
        let mut line_no = 0;
        while !rest.is_empty() {
            let (line, next) = match rest.find('\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, ""),
            };
            line_no += 1;
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
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
                value.push_str(unindent(line).trim_end());
            } else {
                let Some((name, value)) = line.split_once(':') else {
                    return Err(bad(format!(
                        "line {line_no} is not a `Name: value` header: `{line}`"
                    )));
                };
                if name.is_empty() || name.contains(char::is_whitespace) {
                    return Err(bad(format!(
                        "line {line_no} has an invalid header name `{name}`"
                    )));
                }
                fields.push((name.to_string(), value.trim().to_string()));
            }
            rest = next;
        }
        let metadata = CoreMetadata { fields, body };
        for required in ["Metadata-Version", "Name", "Version"] {
            match metadata.get(required) {
                Some(v) if !v.is_empty() => {}
                _ => return Err(bad(format!("the required field `{required}` is missing"))),
            }
        }
        Ok(metadata)
    }

    /// The declared `Metadata-Version` (e.g. `2.1`), which decides which fields an index accepts.
    pub fn metadata_version(&self) -> &str {
        self.get("Metadata-Version").unwrap_or_default()
    }

    /// The `Name` field.
    pub fn name(&self) -> &str {
        self.get("Name").unwrap_or_default()
    }

    /// The `Version` field.
    pub fn version(&self) -> &str {
        self.get("Version").unwrap_or_default()
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

    /// The description: the body after the headers if there is one, else the `Description` header.
    pub fn description(&self) -> Option<&str> {
        match &self.body {
            Some(body) if !body.trim().is_empty() => Some(body),
            _ => self.get("Description"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_body_and_duplicates() {
        let text = "Metadata-Version: 2.1\nName: my_pkg\nVersion: 1.0\nClassifier: A\nclassifier: B\n\
                    Summary: one\n\nBody line 1\n\nBody — ünïcode ✓\n";
        let m = CoreMetadata::parse(text).unwrap();
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
        let m = CoreMetadata::parse(text).unwrap();
        assert_eq!(m.get("License"), Some("line one\nline two"));
        assert_eq!(
            m.description(),
            Some("first\nsecond\n       indented\nthird")
        );
        assert_eq!(m.get("author"), Some("me"));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let msg = |t: &str| CoreMetadata::parse(t).unwrap_err().to_string();
        assert_eq!(
            msg("Metadata-Version: 2.1\nName: x\n"),
            "invalid core metadata: the required field `Version` is missing"
        );
        assert!(msg(" indented\n").contains("line 1 is indented"));
        assert!(
            msg("Metadata-Version: 2.1\nno colon here\n")
                .contains("line 2 is not a `Name: value` header")
        );
    }
}
