//! TOML loading with file:line:column errors, and dotted lookups.

use toml::{Table, Value};

use super::Ctx;
use crate::VersionError;

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Parses TOML text; the error carries `file` and the position the parser reported.
pub(crate) fn parse(file: &str, text: &str) -> Result<Table, VersionError> {
    text.parse::<Table>().map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        VersionError::Toml {
            file: file.to_string(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })
}

/// Reads and parses a project-relative TOML file; `Ok(None)` when it does not exist.
pub(crate) fn load(ctx: &Ctx<'_>, path: &str) -> Result<Option<Table>, VersionError> {
    match ctx.read(path)? {
        Some(text) => parse(&ctx.rel(path), &text).map(Some),
        None => Ok(None),
    }
}

/// The value at a dotted path of keys, if every step exists.
pub(crate) fn get<'t>(table: &'t Table, path: &[&str]) -> Option<&'t Value> {
    let (first, rest) = path.split_first()?;
    let mut value = table.get(*first)?;
    for key in rest {
        value = value.as_table()?.get(*key)?;
    }
    Some(value)
}

/// The string at a dotted path.
pub(crate) fn get_str<'t>(table: &'t Table, path: &[&str]) -> Option<&'t str> {
    get(table, path)?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_line_and_column() {
        let err = parse(
            "pyproject.toml",
            "[project]\nname = \"x\"\nversion = \"1.0\n",
        )
        .unwrap_err();
        let VersionError::Toml { line, column, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*line, *column), (3, 15), "{err}");
        assert!(
            err.to_string()
                .starts_with("`pyproject.toml` is not valid TOML at pyproject.toml:3:15: "),
            "{err}"
        );
    }
}
