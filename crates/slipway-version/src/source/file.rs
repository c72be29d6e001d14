//! Any file: `version-file` + `version-pattern`.

use regex_lite::Regex;

use super::{Ctx, Found, SourceKind};
use crate::VersionError;

/// `version-file` + `version-pattern` (a regex with exactly one capture group).
pub(crate) fn pattern(ctx: &Ctx<'_>) -> Result<Found, VersionError> {
    let missing = |what: &str| VersionError::InvalidRequest {
        reason: format!("`version-source: file` needs `{what}`"),
        hint:
            "set `version-file` to the file and `version-pattern` to a regex with one capture group"
                .to_string(),
    };
    let file = ctx
        .req
        .version_file
        .as_deref()
        .ok_or_else(|| missing("version-file"))?;
    let pattern = ctx
        .req
        .version_pattern
        .as_deref()
        .ok_or_else(|| missing("version-pattern"))?;
    let re = Regex::new(pattern).map_err(|e| VersionError::InvalidPattern {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })?;
    let groups = re.captures_len() - 1;
    if groups != 1 {
        return Err(VersionError::InvalidPattern {
            pattern: pattern.to_string(),
            reason: format!("it has {groups} capture groups, exactly one is needed"),
        });
    }
    let text = ctx.read(file)?.ok_or_else(|| VersionError::MissingFile {
        file: ctx.rel(file),
        what: "`version-file`".to_string(),
    })?;
    let version =
        re.captures(&text)
            .and_then(|c| c.get(1))
            .ok_or_else(|| VersionError::PatternNoMatch {
                file: ctx.rel(file),
                pattern: pattern.to_string(),
            })?;
    ctx.found(version.as_str(), SourceKind::File, file, pattern)
}
