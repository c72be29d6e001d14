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

/// The most bytes of an asset's name kept in the name of its temporary download file.
const TEMP_NAME_BYTES: usize = 64;

/// The start of the name of the temporary file `name` downloads into: `.`, the asset name
/// cut to at most 64 bytes (at a character boundary), and `.`. With the random part and the
/// suffix the temporary file adds, its name stays far under the 255 bytes a file name may
/// have, however long the asset name is (up to 255 bytes itself).
pub fn temp_prefix(name: &str) -> String {
    let mut end = name.len().min(TEMP_NAME_BYTES);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!(".{}.", &name[..end])
}

/// Include and exclude globs over asset names (`*`, `?`, `[…]`), matched case-sensitively.
#[derive(Debug, Clone)]
pub struct NameFilter {
    patterns: Vec<Pattern>,
    exclude: Vec<Pattern>,
}

/// A glob that does not parse, and the parser's complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadGlob {
    /// The glob as given.
    pub glob: String,
    /// Why it does not parse.
    pub reason: String,
}

impl BadGlob {
    /// The reason and the fix, for an input error about `input`.
    pub fn explain(&self, input: &str) -> String {
        format!(
            "`{}` is not a valid glob: {}\nhint: `{input}` takes shell-style globs over asset names (`*`, `?`, `[abc]`, `[!abc]`), e.g. `*.whl`; write a literal `[` as `[[]`",
            slipway_runner::excerpt(&self.glob),
            self.reason
        )
    }
}

fn compile(globs: &[String]) -> Result<Vec<Pattern>, BadGlob> {
    globs
        .iter()
        .map(|g| {
            Pattern::new(g).map_err(|e| BadGlob {
                glob: g.clone(),
                reason: e.msg.to_string(),
            })
        })
        .collect()
}

impl NameFilter {
    /// Compiles the globs; an empty `patterns` list means every asset. The error names the
    /// glob that does not parse.
    pub fn new(patterns: &[String], exclude: &[String]) -> Result<Self, BadGlob> {
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
        let s = |v: &[&str]| {
            v.iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
        };
        let f = NameFilter::new(&s(&["*.whl", "*.tar.gz"]), &s(&["*-win_*"])).unwrap();
        assert!(f.matches("p-1.0-py3-none-any.whl"));
        assert!(f.matches("p-1.0.tar.gz"));
        assert!(!f.matches("p-1.0-cp312-cp312-win_amd64.whl"));
        assert!(!f.matches("SHA256SUMS"));
        let all = NameFilter::new(&[], &[]).unwrap();
        assert!(all.matches("anything"));
        let err = NameFilter::new(&s(&["[*.whl"]), &[]).unwrap_err();
        assert_eq!(err.glob, "[*.whl");
        assert!(err.explain("patterns").contains("\nhint: `patterns` takes"));
    }

    #[test]
    fn temporary_names_stay_short_whatever_the_asset_name() {
        assert_eq!(temp_prefix("a.whl"), ".a.whl.");
        let long = "x".repeat(255);
        assert_eq!(temp_prefix(&long).len(), 66);
        let wide = "é".repeat(100);
        let p = temp_prefix(&wide);
        assert!(p.len() <= 66 && p.ends_with("é."), "{p}");
    }
}
