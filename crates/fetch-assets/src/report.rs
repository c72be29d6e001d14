//! What a run did, as outputs and a step summary.

use slipway_release::fetch::{Outcome, Retrieved, Verification};
use slipway_runner::Action;
use slipway_runner::progress::human_bytes;

/// Writes the outputs (also when some files failed, listing the ones in place) and the
/// step summary.
pub fn write(retrieved: &Retrieved, action: &mut Action) -> anyhow::Result<()> {
    if retrieved.version.is_none() {
        action.commands.warning(&format!(
            "the tag `{}` does not fit `tag-template` `{}`: the `version` output is empty",
            retrieved.tag, retrieved.tag_template
        ));
    }
    action.output("tag", &retrieved.tag)?;
    action.output("version", retrieved.version.as_deref().unwrap_or(""))?;
    action.output("release-id", retrieved.release_id.to_string())?;
    action.output("prerelease", retrieved.prerelease.to_string())?;
    action.output("dir", &retrieved.dir)?;
    action.output("files", retrieved.files_json())?;
    action.output("count", retrieved.files.len().to_string())?;
    write_summary(retrieved, action);
    Ok(())
}

fn write_summary(retrieved: &Retrieved, action: &mut Action) {
    let kind = match (retrieved.draft, retrieved.prerelease) {
        (true, true) => "draft prerelease",
        (true, false) => "draft",
        (false, true) => "prerelease",
        (false, false) => "release",
    };
    let verdict = if !retrieved.failures.is_empty() {
        let mut v = format!(
            "{} of {} files failed",
            retrieved.failures.len(),
            retrieved.total
        );
        if !retrieved.not_started.is_empty() {
            v.push_str(&format!(", {} not started", retrieved.not_started.len()));
        }
        v
    } else if retrieved.dry_run {
        format!("dry run, {} files", retrieved.files.len())
    } else {
        format!("{} files", retrieved.files.len())
    };
    let mut rows: Vec<Vec<String>> = retrieved
        .files
        .iter()
        .map(|f| {
            vec![
                format!("`{}`", f.name),
                human_bytes(f.size),
                f.sha256
                    .as_ref()
                    .map(|s| format!("`{s}`"))
                    .unwrap_or_else(|| "—".into()),
                f.verification.label(&retrieved.manifest_name),
                f.outcome.label().to_string(),
            ]
        })
        .collect();
    for e in &retrieved.failures {
        let text = e.to_string();
        rows.push(vec![
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            format!("failed: {}", text.lines().next().unwrap_or(&text)),
        ]);
    }
    for name in &retrieved.not_started {
        rows.push(vec![
            format!("`{name}`"),
            "—".into(),
            "—".into(),
            "—".into(),
            "not started: an earlier download failed".into(),
        ]);
    }
    let summary = &mut action.summary;
    summary.heading(3, &format!("fetch-assets: `{}` — {verdict}", retrieved.tag));
    summary.paragraph(&format!(
        "{kind} [`{}`]({}) (id {}) into `{}`",
        retrieved.tag, retrieved.html_url, retrieved.release_id, retrieved.dir
    ));
    if !rows.is_empty() {
        summary.table(&["file", "size", "sha256", "verified", "action"], &rows);
    }
    let unverified: Vec<&str> = retrieved
        .files
        .iter()
        .filter(|f| f.verification == Verification::Unverified)
        .map(|f| f.name.as_str())
        .collect();
    if !unverified.is_empty() {
        summary.paragraph(&format!(
            "**Not verified** (no digest, not in `{}`): {}",
            retrieved.manifest_name,
            unverified
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let downloaded = retrieved
        .files
        .iter()
        .filter(|f| matches!(f.outcome, Outcome::Downloaded | Outcome::Replaced))
        .count();
    if retrieved.retries > 0 {
        summary.paragraph(&format!(
            "{downloaded} downloaded; {} requests were retried (see the log).",
            retrieved.retries
        ));
    }
}
