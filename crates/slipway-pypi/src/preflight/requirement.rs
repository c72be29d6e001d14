//! PEP 508 requirements (`Requires-Dist`, `Provides-Dist`, `Obsoletes-Dist`), parsed as far as
//! the checks need: the name, the extras, a version specifier set or a direct URL, and the
//! syntax of the environment marker.

use std::str::FromStr;

/// What a requirement asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A name with an optional version specifier set.
    Versions,
    /// `name @ url`: a direct reference, which PyPI refuses.
    Url(String),
}

/// A parsed requirement: its name and what it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The project name as written.
    pub name: String,
    /// Versions or a URL.
    pub target: Target,
}

const MARKER_VARS: &[&str] = &[
    "python_version",
    "python_full_version",
    "os_name",
    "sys_platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "implementation_version",
    "extra",
    "extras",
    "dependency_groups",
    // Old spellings packaging still accepts.
    "os.name",
    "sys.platform",
    "platform.version",
    "platform.machine",
    "platform.python_implementation",
    "python_implementation",
];

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn ws(&mut self) {
        while self.s[self.i..].starts_with([' ', '\t']) {
            self.i += 1;
        }
    }
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }
    fn eat(&mut self, token: &str) -> bool {
        self.ws();
        if self.rest().starts_with(token) {
            self.i += token.len();
            true
        } else {
            false
        }
    }
    /// A run of identifier characters (`[A-Za-z0-9._-]`).
    fn word(&mut self) -> &'a str {
        self.ws();
        let start = self.i;
        while self
            .rest()
            .starts_with(|c: char| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            self.i += 1;
        }
        &self.s[start..self.i]
    }
}

fn marker_value(c: &mut Cursor<'_>) -> Result<(), String> {
    c.ws();
    for quote in ['\'', '"'] {
        if c.rest().starts_with(quote) {
            let body = &c.rest()[1..];
            let end = body
                .find(quote)
                .ok_or_else(|| format!("unterminated string in the marker at `{}`", c.rest()))?;
            c.i += end + 2;
            return Ok(());
        }
    }
    let word = c.word();
    if MARKER_VARS.contains(&word) {
        Ok(())
    } else if word.is_empty() {
        Err(format!(
            "expected a marker variable or a quoted string at `{}`",
            c.rest()
        ))
    } else {
        Err(format!("`{word}` is not a marker variable"))
    }
}

fn marker_op(c: &mut Cursor<'_>) -> Result<(), String> {
    for op in ["===", "==", "!=", "<=", ">=", "~=", "<", ">", "in"] {
        if c.eat(op) {
            return Ok(());
        }
    }
    let save = c.i;
    if c.eat("not") && c.eat("in") {
        return Ok(());
    }
    c.i = save;
    Err(format!("expected a comparison at `{}`", c.rest()))
}

fn marker_expr(c: &mut Cursor<'_>) -> Result<(), String> {
    if c.eat("(") {
        marker_or(c)?;
        return if c.eat(")") {
            Ok(())
        } else {
            Err(format!("expected `)` at `{}`", c.rest()))
        };
    }
    marker_value(c)?;
    marker_op(c)?;
    marker_value(c)
}

fn keyword(c: &mut Cursor<'_>, word: &str) -> bool {
    let save = c.i;
    c.ws();
    if c.rest().starts_with(word)
        && !c.rest()[word.len()..].starts_with(|ch: char| ch.is_ascii_alphanumeric() || ch == '_')
    {
        c.i += word.len();
        true
    } else {
        c.i = save;
        false
    }
}

fn marker_or(c: &mut Cursor<'_>) -> Result<(), String> {
    loop {
        marker_expr(c)?;
        while keyword(c, "and") {
            marker_expr(c)?;
        }
        if !keyword(c, "or") {
            return Ok(());
        }
    }
}

/// The first invalid item of a comma-separated specifier set (`packaging.specifiers.SpecifierSet`
/// rules: empty items are skipped, `===` takes any string).
pub fn invalid_specifier(set: &str) -> Option<&str> {
    set.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .find(|s| match s.strip_prefix("===") {
            Some(rest) => rest.trim().is_empty() || rest.trim().contains(char::is_whitespace),
            None => pep440_rs::VersionSpecifier::from_str(s).is_err(),
        })
}

impl FromStr for Requirement {
    type Err = String;

    /// Parses a PEP 508 requirement; the error says what is wrong where.
    fn from_str(text: &str) -> Result<Self, String> {
        let mut c = Cursor { s: text, i: 0 };
        let name = c.word().to_string();
        if !slipway_dist::is_valid_project_name(&name) {
            return Err(if name.is_empty() {
                "it does not start with a project name".to_string()
            } else {
                format!("`{name}` is not a valid project name")
            });
        }
        // `eat` runs left to right: `[` then, when there are extras, not an immediate `]`.
        if c.eat("[") && !c.eat("]") {
            loop {
                let extra = c.word();
                if !slipway_dist::is_valid_project_name(extra) {
                    return Err(format!("invalid extra name at `{}`", c.rest()));
                }
                if c.eat("]") {
                    break;
                }
                if !c.eat(",") {
                    return Err(format!("expected `,` or `]` at `{}`", c.rest()));
                }
            }
        }
        let target = if c.eat("@") {
            c.ws();
            let rest = c.rest();
            // The URL ends at whitespace; a marker after it needs a space before `;`.
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            let url = rest[..end].to_string();
            if url.is_empty() {
                return Err("`@` is not followed by a URL".to_string());
            }
            c.i += end;
            Target::Url(url)
        } else {
            let rest = c.rest();
            let end = rest.find(';').unwrap_or(rest.len());
            let mut spec = rest[..end].trim();
            if let Some(inner) = spec.strip_prefix('(') {
                spec = inner
                    .strip_suffix(')')
                    .ok_or_else(|| format!("unbalanced `(` in `{spec}`"))?
                    .trim();
            }
            if let Some(bad) = invalid_specifier(spec) {
                return Err(format!("`{bad}` is not a valid version specifier"));
            }
            c.i += end;
            Target::Versions
        };
        if c.eat(";") {
            marker_or(&mut c)?;
        }
        c.ws();
        if !c.rest().is_empty() {
            return Err(format!("unexpected `{}`", c.rest()));
        }
        Ok(Requirement { name, target })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Requirement, String> {
        s.parse()
    }

    #[test]
    fn valid_requirements() {
        for ok in [
            "requests",
            "requests[security,socks] >=2.8.1, ==2.8.* ; python_version < \"2.7\"",
            "name[] (>=1.0)",
            "zope.interface>=5",
            "foo; extra == 'test' and (os_name=='nt' or sys_platform != \"win32\")",
            "foo ; platform_machine not in 'x86_64 aarch64'",
            "pywin32>=1.0; os.name == 'nt'",
            "foo===1.0.local-thing",
        ] {
            let r = parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(r.target, Target::Versions, "{ok}");
        }
    }

    #[test]
    fn direct_urls() {
        let r = parse("pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee").unwrap();
        assert_eq!(
            r.target,
            Target::Url("https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee".into())
        );
        let r = parse("name[x]@ file:///tmp/a.whl ; python_version >= '3'").unwrap();
        assert_eq!(
            (r.name.as_str(), r.target),
            ("name", Target::Url("file:///tmp/a.whl".into()))
        );
    }

    #[test]
    fn invalid_requirements() {
        for (bad, why) in [
            ("", "project name"),
            ("-foo", "project name"),
            ("foo >= banana", "not a valid version specifier"),
            ("foo; python_version >", "expected a marker variable"),
            ("foo; not_a_var == '1'", "not a marker variable"),
            ("foo; python_version == '3", "unterminated string"),
            ("foo[bar", "expected `,` or `]`"),
            ("foo (>=1.0", "unbalanced"),
            ("foo @", "not followed by a URL"),
            ("foo; (os_name == 'nt'", "expected `)`"),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
