//! Writing a version back where it was read: the byte span of the version literal in the file
//! [`find_version`](crate::find_version) named, so every other byte of the file is kept.

use std::ops::Range;

use regex_lite::Regex;

use crate::{Found, SourceKind, VersionError};

/// The byte range of `found.version` in `text`, the contents of `found.file`; `pyproject` is
/// the project's pyproject.toml (for a hatch `pattern`). An error when the version was not
/// read from a literal that can be rewritten (built dists), or cannot be located again.
pub fn version_span(
    text: &str,
    found: &Found,
    pyproject: Option<&str>,
) -> Result<Range<usize>, VersionError> {
    let not_writable = |reason: &str, hint: &str| VersionError::NotWritable {
        file: found.file.clone(),
        reason: reason.to_string(),
        hint: hint.to_string(),
    };
    let span = match (found.kind, found.key.as_str()) {
        (SourceKind::Dist, _) => {
            return Err(not_writable(
                "the version was read from a built dist, which cannot be changed",
                "write the version in source before the build: use a source `version-source` (pep621, poetry, module, …) and build after version-bump",
            ));
        }
        (_, key)
            if key.starts_with('[')
                && key.ends_with("].version")
                && found.file.ends_with(".toml") =>
        {
            let path: Vec<&str> = key[1..key.len() - "].version".len()]
                .split('.')
                .chain(["version"])
                .collect();
            toml_string_span(text, &path)
        }
        (_, "(whole file)") => {
            let start = text.len() - text.trim_start().len();
            Some(start..text.trim_end().len())
        }
        (_, "[metadata].version") => ini_span(text, "metadata", "version"),
        (_, "setup(version=…)") => {
            let re = Regex::new(r"\bversion[ \t]*=[ \t]*").expect("valid regex");
            re.find_iter(text)
                .find_map(|m| literal_after(text, m.end(), &found.version))
        }
        (SourceKind::File, pattern) => Regex::new(pattern)
            .ok()
            .and_then(|re| re.captures(text)?.get(1).map(|m| m.range())),
        (_, "[tool.hatch.version].pattern") => {
            let pattern = pyproject.and_then(|p| {
                let table: toml::Table = p.parse().ok()?;
                let hatch = table.get("tool")?.get("hatch")?.get("version")?;
                Some(hatch.get("pattern")?.as_str()?.to_string())
            });
            pattern.and_then(|p| {
                let caps = Regex::new(&p).ok()?.captures(text)?;
                caps.name("version")
                    .or_else(|| caps.get(1))
                    .map(|m| m.range())
            })
        }
        (_, var) => assignment_span(text, var, &found.version),
    };
    match span {
        Some(span) if text.get(span.clone()) == Some(found.version.as_str()) => Ok(span),
        _ => Err(not_writable(
            &format!(
                "`{}` ({}) is not found there as a literal to rewrite",
                found.version, found.key
            ),
            "write the version as a plain string literal there, or write it with your own step",
        )),
    }
}

/// The contents of the string at `path` in a TOML document (without quotes), trimmed.
fn toml_string_span(text: &str, path: &[&str]) -> Option<Range<usize>> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let (last, tables) = path.split_last()?;
    let mut table = doc.get_ref();
    for key in tables {
        table = table
            .iter()
            .find(|(k, _)| k.get_ref() == key)?
            .1
            .get_ref()
            .as_table()?;
    }
    let value = table.iter().find(|(k, _)| k.get_ref() == last)?.1;
    value.get_ref().as_str()?;
    let raw = text.get(value.span())?;
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    let inner = value.span().start + quote..value.span().end - quote;
    Some(trimmed(text, inner))
}

fn trimmed(text: &str, span: Range<usize>) -> Range<usize> {
    let s = &text[span.clone()];
    let start = span.start + (s.len() - s.trim_start().len());
    start..start + s.trim().len()
}

/// `key = value` (or `key: value`) in `[section]` of an INI file: the value's span.
fn ini_span(text: &str, section: &str, key: &str) -> Option<Range<usize>> {
    let mut current = String::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            current = name.trim().to_string();
            continue;
        }
        if current != section || line.starts_with([' ', '\t']) {
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else {
            continue;
        };
        if line[..sep].trim().eq_ignore_ascii_case(key) {
            let value_end = line.trim_end_matches(['\n', '\r']).len();
            return Some(trimmed(text, start + sep + 1..start + value_end));
        }
    }
    None
}

/// The first `VAR = "…"` (annotations allowed) whose literal is `version`.
fn assignment_span(text: &str, var: &str, version: &str) -> Option<Range<usize>> {
    if !var.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let re = Regex::new(&format!(r"(?m)^[ \t]*{var}[ \t]*(?::[^=\n]*)?=[ \t]*")).ok()?;
    re.find_iter(text)
        .find_map(|m| literal_after(text, m.end(), version))
}

/// The contents of a Python string literal starting at `at` (a `v` before the version allowed),
/// if they are `version`.
fn literal_after(text: &str, at: usize, version: &str) -> Option<Range<usize>> {
    let rest = &text[at..];
    let quote = ["\"\"\"", "'''", "\"", "'"]
        .into_iter()
        .find(|q| rest.starts_with(q))?;
    let body = at + quote.len();
    let end = body + text[body..].find(quote)?;
    let span = trimmed(text, body..end);
    let inner = &text[span.clone()];
    if inner == version {
        Some(span)
    } else if inner.strip_prefix(['v', 'V']) == Some(version) {
        Some(span.start + 1..span.end)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(kind: SourceKind, file: &str, key: &str, version: &str) -> Found {
        Found {
            version: version.into(),
            kind,
            file: file.into(),
            key: key.into(),
            files_read: vec![],
        }
    }

    #[test]
    fn spans() {
        let t = "[project]\nname = \"x\" # c\nversion = '1.0'  # keep\n";
        let f = found(
            SourceKind::Pep621,
            "pyproject.toml",
            "[project].version",
            "1.0",
        );
        assert_eq!(&t[version_span(t, &f, None).unwrap()], "1.0");
        let t = "[metadata]\nname = x\nversion = 1.0 \n";
        let f = found(
            SourceKind::Setuptools,
            "setup.cfg",
            "[metadata].version",
            "1.0",
        );
        assert_eq!(version_span(t, &f, None).unwrap(), 30..33);
        let t = "VERSION = 2\n__version__: str = \"v1.0\"\n";
        let f = found(SourceKind::Module, "pkg/__init__.py", "__version__", "1.0");
        assert_eq!(&t[version_span(t, &f, None).unwrap()], "1.0");
        let f = found(SourceKind::Dist, "dist/x.whl", "Version", "1.0");
        let e = version_span("", &f, None).unwrap_err().to_string();
        assert!(e.contains("built dist") && e.contains("hint:"), "{e}");
    }
}
