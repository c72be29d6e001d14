//! setuptools without pyproject: setup.cfg (an INI file) and the `setup(…)` call of setup.py.

use super::module::{PyFile, Resolved, attr_in_text, resolve_attr};
use super::python::{Binding, Expr, find_binding, logical_lines, parse_expr, split_assignment};
use super::{Ctx, Found, SourceKind};
use crate::VersionError;

/// A parsed INI file (setup.cfg): (section, key, value), keys lowercased, continuation lines joined.
pub(crate) struct Ini(Vec<(String, String, String)>);

impl Ini {
    /// Parses INI text leniently (unknown lines are skipped).
    pub(crate) fn parse(text: &str) -> Ini {
        let mut entries: Vec<(String, String, String)> = Vec::new();
        let mut section = String::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with(['#', ';']) {
                continue;
            }
            if line.starts_with([' ', '\t']) && !trimmed.is_empty() {
                if let Some(last) = entries.last_mut().filter(|e| e.0 == section) {
                    if !last.2.is_empty() {
                        last.2.push('\n');
                    }
                    last.2.push_str(trimmed);
                }
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                section = name.trim().to_string();
                entries.push((section.clone(), String::new(), String::new()));
                continue;
            }
            let split = trimmed.find(['=', ':']);
            if let Some(i) = split {
                let key = trimmed[..i].trim().to_ascii_lowercase().replace('-', "_");
                entries.push((section.clone(), key, trimmed[i + 1..].trim().to_string()));
            }
        }
        Ini(entries)
    }

    /// The value of `key` in `section`.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(s, k, _)| s == section && k == key)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether a section exists.
    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.0.iter().any(|(s, _, _)| s == section)
    }
}

/// The keyword arguments of the first `setup(…)` call, as (name, value source).
fn setup_kwargs(source: &str) -> Vec<(String, String)> {
    for line in logical_lines(source) {
        let text = &line.text;
        let Some(start) = text
            .find("setup(")
            .filter(|&i| i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        else {
            continue;
        };
        let args = &text[start + "setup(".len()..];
        let mut out = Vec::new();
        let (mut depth, mut quote, mut from) = (0i32, None, 0usize);
        for (i, c) in args.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']' | '}') if depth > 0 => depth -= 1,
                (None, ',' | ')') if depth == 0 => {
                    if let Some((k, v)) = split_assignment(&args[from..i]) {
                        out.push((k.trim().to_string(), v.trim().to_string()));
                    }
                    from = i + 1;
                    if c == ')' {
                        break;
                    }
                }
                _ => {}
            }
        }
        return out;
    }
    Vec::new()
}

/// The literal `name=` of setup.py's `setup(…)`, if any.
pub(crate) fn setup_py_name(source: &str) -> Option<String> {
    setup_kwargs(source)
        .into_iter()
        .find(|(k, _)| k == "name")
        .and_then(|(_, v)| match parse_expr(&v) {
            Expr::Str(s) => Some(s),
            _ => None,
        })
}

/// `setup(version="…")`, or a variable assigned a literal in setup.py or imported from the package.
pub(crate) fn setup_py(
    ctx: &mut Ctx<'_>,
    source: Option<&str>,
    roots: &[String],
) -> Result<Option<Found>, VersionError> {
    let Some(source) = source else {
        ctx.tried("`setup.py` (absent)".to_string());
        return Ok(None);
    };
    let Some((_, value)) = setup_kwargs(source)
        .into_iter()
        .find(|(k, _)| k == "version")
    else {
        ctx.tried("`setup.py`: no `version=` in `setup(…)`".to_string());
        return Ok(None);
    };
    let resolved: Option<Resolved> = match parse_expr(&value) {
        Expr::Str(v) => {
            return ctx
                .found(&v, SourceKind::SetupPy, "setup.py", "setup(version=…)")
                .map(Some);
        }
        Expr::Name(name) => {
            let py = PyFile {
                module: None,
                file: "setup.py",
                text: source,
            };
            attr_in_text(ctx, roots, py, &name, 0)?
        }
        Expr::Attr(base, attr) => match find_binding(source, &base) {
            Some(Binding::Module(m)) => resolve_attr(ctx, roots, &m, &attr)?,
            Some(Binding::Imported { module, name }) => {
                resolve_attr(ctx, roots, &format!("{module}.{name}"), &attr)?
            }
            _ => None,
        },
        Expr::Other(_) => None,
    };
    match resolved {
        Some(r) => ctx
            .found(&r.version, SourceKind::SetupPy, &r.file, r.key)
            .map(Some),
        None => Err(VersionError::Unreadable {
            file: ctx.rel("setup.py"),
            reason: format!("`setup(version={value})` is not a string literal"),
            hint: "write `version=\"1.2.3\"`, or use `version-file` + `version-pattern`"
                .to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_and_continuations() {
        let ini = Ini::parse(
            "[metadata]\nname = my-pkg\nversion = attr: my_pkg.__version__\n[options]\npackage_dir =\n    =src\n# c\n[versioneer]\n",
        );
        assert_eq!(
            ini.get("metadata", "version"),
            Some("attr: my_pkg.__version__")
        );
        assert_eq!(ini.get("options", "package_dir"), Some("=src"));
        assert!(ini.has_section("versioneer"));
    }

    #[test]
    fn setup_call_kwargs() {
        let src = "from setuptools import setup\nsetup(\n    name='x',\n    version=\"1.0\",  # c\n    install_requires=['a>=1,<2'],\n)\n";
        let kw = setup_kwargs(src);
        assert_eq!(kw[0], ("name".to_string(), "'x'".to_string()));
        assert_eq!(kw[1], ("version".to_string(), "\"1.0\"".to_string()));
        assert_eq!(kw.len(), 3);
        assert_eq!(setup_py_name(src).as_deref(), Some("x"));
    }
}
