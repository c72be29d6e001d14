//! What a run did, as outputs and a step summary.

use slipway_release::draft::ASSET_COLUMNS;
use slipway_release::draft::assets::Status;
use slipway_release::nightly::{Built, reason_text};
use slipway_runner::Action;

/// Writes the outputs and the step summary.
pub fn write(built: &Built, action: &mut Action) -> anyhow::Result<()> {
    let drafted = &built.drafted;
    let (id, url) = match &drafted.release {
        Some(r) => (r.id.to_string(), r.html_url.clone()),
        None => Default::default(),
    };
    let index_dir = built
        .index
        .as_ref()
        .map(|w| w.dir.display().to_string())
        .unwrap_or_default();
    action.output("tag", &drafted.tag)?;
    action.output("release-id", &id)?;
    action.output("url", &url)?;
    action.output("created", drafted.created.to_string())?;
    action.output("kept", serde_json::to_string(&built.kept_tags())?)?;
    action.output("pruned", serde_json::to_string(&built.pruned_tags())?)?;
    action.output("index-dir", &index_dir)?;
    let s = &mut action.summary;
    let prefix = if built.dry_run { "(dry run) " } else { "" };
    let verb = if drafted.created {
        "published"
    } else if drafted.published {
        "published (reused draft)"
    } else if drafted.release.is_some() {
        "reused"
    } else {
        "would publish"
    };
    let page = if url.is_empty() {
        String::new()
    } else {
        format!(" [{id}]({url})")
    };
    s.heading(
        3,
        &format!("{prefix}nightly: `{}` — {verb}{page}", drafted.tag),
    );
    s.table(&ASSET_COLUMNS, &drafted.asset_rows());
    let kept: Vec<String> = built
        .builds
        .iter()
        .filter(|b| b.kept())
        .map(|b| format!("`{}`: {}", b.release.tag_name, reason_text(b, built.keep)))
        .collect();
    s.paragraph(&format!(
        "**Channel `{}`** (keep the newest {} builds or those younger than {} days): {} kept, {} {}.",
        built.channel.prefix,
        built.keep.builds,
        built.keep.days,
        built.kept_tags().len(),
        built.pruned.len(),
        if built.dry_run { "would be pruned" } else { "pruned" }
    ));
    s.list("Kept", &kept);
    let pruned: Vec<String> = built
        .builds
        .iter()
        .filter(|b| !b.kept())
        .map(|b| format!("`{}`: {}", b.release.tag_name, reason_text(b, built.keep)))
        .collect();
    s.list(
        if built.dry_run {
            "Would prune"
        } else {
            "Pruned"
        },
        &pruned,
    );
    let notes: Vec<String> = drafted.notes.iter().chain(&built.notes).cloned().collect();
    s.list("Notes", &notes)
        .retried(&built.retries)
        .list("Warnings", &built.warnings);
    tracing::info!(
        "{prefix}`{}`: {} uploaded, {} kept; channel: {} kept, {} pruned",
        drafted.tag,
        drafted.count(Status::Uploaded),
        drafted.count(Status::Kept),
        built.kept_tags().len(),
        built.pruned.len()
    );
    Ok(())
}
