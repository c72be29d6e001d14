//! Which assets to fetch: glob filters over asset names, and the check that a name is a plain
//! file name that cannot place anything outside `dir`.

use glob::{MatchOptions, Pattern};

/// Why `name` cannot be used as a file name in `dir`, or `None` when it is a plain file name.
///
/// Refused: empty names, `.`/`..` and any leading `.` (GitHub strips leading dots from the names
/// it gives, so such a name did not come from an upload), `/` and `\` (directory separators
/// on Linux and Windows), NUL and other control characters.
pub fn unsafe_reason(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("empty")
    } else if name.starts_with('.') {
        Some("starts with `.`")
    } else if name.contains('/') || name.contains('\\') {
        Some("contains a path separator")
    } else if name.chars().any(char::is_control) {
        Some("contains NUL or a control character")
    } else {
        None
    }
}

/// Include and exclude globs over asset names (`*`, `?`, `[…]`), matched case-sensitively.
#[derive(Debug, Clone)]
pub struct NameFilter {
    patterns: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

fn compile(globs: &[String]) -> Result<Vec<Pattern>, String> {
    globs
        .iter()
        .map(|g| Pattern::new(g).map_err(|e| format!("`{g}` is not a valid glob: {}", e.msg)))
        .collect()
}

impl NameFilter {
    /// Compiles the globs; an empty `patterns` list means every asset. The error names the
    /// glob that does not parse.
    pub fn new(patterns: &[String], exclude: &[String]) -> Result<Self, String> {
        Ok(Self {
            patterns: compile(patterns)?,
            exclude: compile(exclude)?,
        })
    }

    /// True when `name` matches a pattern (or there are none) and no exclude glob.
    pub fn matches(&self, name: &str) -> bool {
        let opts = MatchOptions {
            case_sensitive: true,
            require_literal_separator: false,
            require_literal_leading_dot: false,
        };
        let included =
            self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches_with(name, opts));
        included && !self.exclude.iter().any(|p| p.matches_with(name, opts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass_and_tricks_are_refused() {
        for ok in [
            "pkg-1.0-py3-none-any.whl",
            "pkg-1.0.tar.gz",
            "SHA256SUMS",
            "a..b",
        ] {
            assert_eq!(unsafe_reason(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../evil.whl",
            "a/b.whl",
            "a\\b.whl",
            ".bashrc",
            "a\0b",
            "x\ny",
        ] {
            assert!(unsafe_reason(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn include_then_exclude() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let f = NameFilter::new(&s(&["*.whl", "*.tar.gz"]), &s(&["*-win_*"])).unwrap();
        assert!(f.matches("p-1.0-py3-none-any.whl"));
        assert!(f.matches("p-1.0.tar.gz"));
        assert!(!f.matches("p-1.0-cp312-cp312-win_amd64.whl"));
        assert!(!f.matches("SHA256SUMS"));
        let all = NameFilter::new(&[], &[]).unwrap();
        assert!(all.matches("anything"));
        let err = NameFilter::new(&s(&["[*.whl"]), &[]).unwrap_err();
        assert!(err.contains("`[*.whl`"), "{err}");
    }
}
