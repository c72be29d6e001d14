//! Finding the report files: globs relative to the working directory (the workspace).

use std::path::PathBuf;

/// Why the globs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    /// A pattern is not a valid glob.
    #[error(
        "`reports` pattern `{pattern}` is not a valid glob: {reason}\nhint: use shell-style globs such as `**/junit*.xml` or `test-results/*.xml`"
    )]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
}

/// Directories never searched by a `**` pattern: what a project vendors, not what it tested.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", ".venv", "venv", ".tox", "target"];

/// The regular files matched by `patterns`, each once, sorted; a match inside a vendored
/// directory (`node_modules`, `.venv`, `.git`, …) is left out unless the pattern names it.
pub fn find(patterns: &[String]) -> Result<Vec<PathBuf>, ReportsError> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut out = Vec::new();
    for pattern in patterns {
        let paths = glob::glob_with(pattern, options).map_err(|e| ReportsError::BadPattern {
            pattern: pattern.clone(),
            reason: e.msg.to_string(),
        })?;
        for path in paths.flatten() {
            let vendored = path.components().any(|c| {
                let c = c.as_os_str().to_string_lossy();
                SKIPPED_DIRS.contains(&c.as_ref()) && !pattern.contains(c.as_ref())
            });
            if path.is_file() && !vendored {
                out.push(path);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
