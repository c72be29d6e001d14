//! What a run found out, as outputs and a step summary.

use slipway_release::bump::Checked;
use slipway_runner::Action;

/// Writes the outputs and the step summary.
pub fn write(checked: &Checked, action: &mut Action) -> anyhow::Result<()> {
    let prev = checked
        .previous
        .as_ref()
        .map(|p| p.version.clone())
        .unwrap_or_default();
    action.output("version", &checked.version)?;
    action.output("version-as-written", &checked.version_as_written)?;
    action.output("previous-version", &prev)?;
    action.output("bumped", checked.bumped.to_string())?;
    action.output("tag", &checked.tag)?;
    action.output(
        "tag-exists",
        checked
            .tag_exists
            .map(|b| b.to_string())
            .unwrap_or_default(),
    )?;
    action.output("prerelease", checked.parsed.is_prerelease().to_string())?;
    action.output("bump-kind", checked.bump_kind.to_string())?;
    action.output("dev-version", checked.dev_version.as_deref().unwrap_or(""))?;
    action.output("written", checked.written.as_deref().unwrap_or(""))?;
    action.output("source", &checked.source)?;
    let verdict = if checked.bumped {
        "new version"
    } else if checked.downgrade {
        "lower than the previous version"
    } else {
        "not new"
    };
    let compared = match &checked.previous {
        Some(p) => format!("{} ({})", p.version, p.origin),
        None => format!("nothing ({})", checked.compare_to.describe_none()),
    };
    let written = if checked.version_as_written == checked.version {
        String::new()
    } else {
        format!(" (written `{}`)", checked.version_as_written)
    };
    let rows = [
        [
            "version".to_string(),
            format!("`{}`{written}", checked.version),
        ],
        ["verdict".to_string(), verdict.to_string()],
        ["compared with".to_string(), compared],
        ["bump kind".to_string(), checked.bump_kind.to_string()],
        [
            "tag".to_string(),
            format!(
                "`{}`{}",
                checked.tag,
                match checked.tag_exists {
                    Some(true) => " (exists)",
                    Some(false) => " (new)",
                    None => "",
                }
            ),
        ],
        [
            "prerelease".to_string(),
            checked.parsed.is_prerelease().to_string(),
        ],
        ["source".to_string(), format!("`{}`", checked.source)],
        [
            "written".to_string(),
            checked
                .written
                .as_ref()
                .map_or_else(|| "no".to_string(), |w| format!("yes, into `{w}`")),
        ],
        [
            "dev version".to_string(),
            match &checked.dev_version {
                Some(v) => format!("`{v}` (from {})", checked.dev_origin),
                None => format!("none: {}", checked.dev_origin),
            },
        ],
    ];
    action
        .summary
        .heading(3, &format!("version-bump: {} — {verdict}", checked.version))
        .table(&["", ""], &rows);
    Ok(())
}
