//! Just enough of Python to read `NAME = "literal"` assignments and `from x import y` without
//! running anything: logical lines (brackets, backslashes, strings, comments), then one
//! statement shape per line.

/// A logical line: physical lines joined across brackets, backslashes and triple-quoted strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// Indentation of its first physical line, in characters.
    pub indent: usize,
    /// The statement text, comments removed.
    pub text: String,
}

/// Splits Python source into logical lines, dropping comments and blank lines.
pub(crate) fn logical_lines(source: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut text = String::new();
    let mut indent = None;
    let mut depth = 0usize;
    let mut chars = source.chars().peekable();
    let mut at_line_start = true;
    let mut col = 0usize;
    while let Some(c) = chars.next() {
        if at_line_start && (c == ' ' || c == '\t') {
            col += 1;
            continue;
        }
        if at_line_start && c != '\n' && c != '\r' && c != '#' && indent.is_none() {
            indent = Some(col);
        }
        at_line_start = false;
        match c {
            '#' => {
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            '\\' if chars.peek() == Some(&'\n') => {
                chars.next();
                text.push(' ');
            }
            '\r' => {}
            '\n' => {
                if depth == 0 {
                    if !text.trim().is_empty() {
                        lines.push(Line {
                            indent: indent.unwrap_or(0),
                            text: text.trim().to_string(),
                        });
                    }
                    text.clear();
                    indent = None;
                    at_line_start = true;
                    col = 0;
                } else {
                    text.push(' ');
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                text.push(c);
            }
            ')' | ']' | '}' => {
                depth = depth.saturating_sub(1);
                text.push(c);
            }
            '\'' | '"' => {
                let triple = chars.peek() == Some(&c) && {
                    let mut ahead = chars.clone();
                    ahead.next();
                    ahead.peek() == Some(&c)
                };
                text.push(c);
                if triple {
                    text.push(c);
                    text.push(c);
                    chars.next();
                    chars.next();
                }
                let mut run = 0;
                while let Some(s) = chars.next() {
                    text.push(s);
                    if s == '\\' {
                        if let Some(e) = chars.next() {
                            text.push(e);
                        }
                        run = 0;
                        continue;
                    }
                    if s == '\n' && !triple {
                        break;
                    }
                    if s == c {
                        run += 1;
                        if !triple || run == 3 {
                            break;
                        }
                    } else {
                        run = 0;
                    }
                }
            }
            _ => text.push(c),
        }
    }
    if !text.trim().is_empty() {
        lines.push(Line {
            indent: indent.unwrap_or(0),
            text: text.trim().to_string(),
        });
    }
    lines
}

/// The right-hand side of an assignment, as far as we care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// A string literal (implicitly concatenated parts joined).
    Str(String),
    /// Another variable.
    Name(String),
    /// `module.attr`.
    Attr(String, String),
    /// Anything else, as written.
    Other(String),
}

/// A statement that can bind a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stmt {
    /// `a = b = value` or `a: T = value`.
    Assign { targets: Vec<String>, value: Expr },
    /// `from module import name as alias, …` (module keeps its leading dots).
    ImportFrom {
        module: String,
        names: Vec<(String, String)>,
    },
    /// `import a.b as alias`.
    Import { module: String, alias: String },
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn is_dotted(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_identifier)
}

/// Parses one string literal at the start of `s`; returns its value and the rest.
fn string_literal(s: &str) -> Option<(String, &str)> {
    let prefix_len = s.chars().take_while(char::is_ascii_alphabetic).count();
    let prefix = s[..prefix_len].to_ascii_lowercase();
    if prefix_len > 2 || !prefix.chars().all(|c| c == 'r' || c == 'u') {
        return None;
    }
    let raw = prefix.contains('r');
    let rest = &s[prefix_len..];
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let delim: String = if rest.starts_with(&quote.to_string().repeat(3)) {
        quote.to_string().repeat(3)
    } else {
        quote.to_string()
    };
    let body = &rest[delim.len()..];
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if body[i..].starts_with(&delim) {
            return Some((value, &body[i + delim.len()..]));
        }
        if c == '\\' && !raw {
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, e)) => value.push(e),
                None => return None,
            }
        } else {
            value.push(c);
        }
    }
    None
}

/// Parses an expression: string literals (implicitly concatenated), a name, `a.b`, or other.
pub(crate) fn parse_expr(s: &str) -> Expr {
    let s = s.trim();
    let mut rest = s;
    let mut value = String::new();
    let mut any = false;
    while let Some((part, after)) = string_literal(rest) {
        value.push_str(&part);
        rest = after.trim_start();
        any = true;
    }
    if any && rest.is_empty() {
        return Expr::Str(value);
    }
    // Parentheses around a single expression: `("1.0")`.
    if let Some(inner) = s.strip_prefix('(').and_then(|i| i.strip_suffix(')'))
        && !inner.contains(['(', ')', ','])
    {
        return parse_expr(inner);
    }
    if is_identifier(s) {
        return Expr::Name(s.to_string());
    }
    if let Some((base, attr)) = s.rsplit_once('.')
        && is_dotted(base)
        && is_identifier(attr)
    {
        return Expr::Attr(base.to_string(), attr.to_string());
    }
    Expr::Other(s.to_string())
}

/// Finds the first `=` at bracket depth 0 and outside strings that is an assignment (not `==` etc.).
pub(crate) fn split_assignment(s: &str) -> Option<(&str, &str)> {
    let bytes = s.as_bytes();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            if b == b'\\' {
                i += 1;
            } else if b == q {
                quote = None;
            }
        } else {
            match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b'=' if depth == 0 => {
                    let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                    let next = bytes.get(i + 1).copied().unwrap_or(b' ');
                    if next != b'=' && !b"=!<>+-*/%&|^@:".contains(&prev) {
                        return Some((&s[..i], &s[i + 1..]));
                    }
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Parses an assignment or import statement; anything else is `None`.
pub(crate) fn parse_stmt(line: &str) -> Option<Stmt> {
    let line = line.trim().trim_end_matches(';').trim();
    if let Some(rest) = line.strip_prefix("from ") {
        let (module, names) = rest.split_once(" import ")?;
        let names = names.trim().trim_start_matches('(').trim_end_matches(')');
        let names = names
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .filter_map(|n| match n.split_once(" as ") {
                Some((name, alias)) => Some((name.trim().to_string(), alias.trim().to_string())),
                None => is_identifier(n).then(|| (n.to_string(), n.to_string())),
            })
            .collect();
        return Some(Stmt::ImportFrom {
            module: module.trim().to_string(),
            names,
        });
    }
    if let Some(rest) = line.strip_prefix("import ") {
        let (module, alias) = rest.split_once(" as ")?;
        return Some(Stmt::Import {
            module: module.trim().to_string(),
            alias: alias.trim().to_string(),
        });
    }
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some((target, value)) = split_assignment(rest) {
        // `name: annotation` on the first target.
        let target = target.split_once(':').map_or(target, |(n, _)| n).trim();
        if !is_identifier(target) {
            break;
        }
        targets.push(target.to_string());
        rest = value;
    }
    (!targets.is_empty()).then(|| Stmt::Assign {
        targets,
        value: parse_expr(rest),
    })
}

/// What a name is bound to in a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Binding {
    /// Assigned an expression.
    Value(Expr),
    /// Imported: `from module import name`.
    Imported { module: String, name: String },
    /// A module imported under this name (`from . import _version`, `import a.b as v`).
    Module(String),
}

/// The binding of `name` in `source`: the last top-level one, else the first nested one
/// (e.g. inside `try:`).
pub(crate) fn find_binding(source: &str, name: &str) -> Option<Binding> {
    let mut top = None;
    let mut nested = None;
    for line in logical_lines(source) {
        let binding = match parse_stmt(&line.text) {
            Some(Stmt::Assign { targets, value }) if targets.iter().any(|t| t == name) => {
                Binding::Value(value)
            }
            Some(Stmt::ImportFrom { module, names }) => {
                let Some((imported, _)) = names.iter().find(|(_, alias)| alias == name) else {
                    continue;
                };
                Binding::Imported {
                    module,
                    name: imported.clone(),
                }
            }
            Some(Stmt::Import { module, alias }) if alias == name => Binding::Module(module),
            _ => continue,
        };
        if line.indent == 0 {
            top = Some(binding);
        } else if nested.is_none() {
            nested = Some(binding);
        }
    }
    top.or(nested)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_lines_join_brackets_and_skip_comments_and_docstrings() {
        let src = "\"\"\"Doc with __version__ = 'nope'\n\"\"\"\n# __version__ = 'no'\nx = (1,\n  2)  # c\nif a:\n    y = 'q#'\n";
        let lines = logical_lines(src);
        let texts: Vec<_> = lines.iter().map(|l| (l.indent, l.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (0, "\"\"\"Doc with __version__ = 'nope'\n\"\"\""),
                (0, "x = (1,   2)"),
                (0, "if a:"),
                (4, "y = 'q#'")
            ]
        );
    }

    #[test]
    fn statements() {
        let s = |t: &str| parse_stmt(t);
        assert_eq!(
            s("__version__: str = \"1.0\""),
            Some(Stmt::Assign {
                targets: vec!["__version__".into()],
                value: Expr::Str("1.0".into())
            })
        );
        assert_eq!(
            s("__version__ = VERSION = '''2.0'''"),
            Some(Stmt::Assign {
                targets: vec!["__version__".into(), "VERSION".into()],
                value: Expr::Str("2.0".into())
            })
        );
        assert_eq!(
            s("from .version import VERSION as __version__, other"),
            Some(Stmt::ImportFrom {
                module: ".version".into(),
                names: vec![
                    ("VERSION".into(), "__version__".into()),
                    ("other".into(), "other".into())
                ]
            })
        );
        assert_eq!(
            s("v = '.'.join(map(str, VERSION_INFO))"),
            Some(Stmt::Assign {
                targets: vec!["v".into()],
                value: Expr::Other("'.'.join(map(str, VERSION_INFO))".into())
            })
        );
        assert_eq!(s("if x == 'a':"), None);
        assert_eq!(
            parse_expr("_version.__version__"),
            Expr::Attr("_version".into(), "__version__".into())
        );
        assert_eq!(parse_expr("r'1.' \"0\""), Expr::Str("1.0".into()));
        assert_eq!(parse_expr("f'{x}'"), Expr::Other("f'{x}'".into()));
    }

    #[test]
    fn bindings_prefer_top_level() {
        let src = "try:\n    from ._v import version as __version__\nexcept ImportError:\n    __version__ = 'unknown'\n";
        assert_eq!(
            find_binding(src, "__version__"),
            Some(Binding::Imported {
                module: "._v".into(),
                name: "version".into()
            })
        );
        let src = "__version__ = 'a'\nif x:\n    __version__ = 'b'\n__version__ = 'c'\n";
        assert_eq!(
            find_binding(src, "__version__"),
            Some(Binding::Value(Expr::Str("c".into())))
        );
        assert_eq!(find_binding(src, "VERSION"), None);
    }
}
