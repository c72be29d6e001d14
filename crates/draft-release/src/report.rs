//! What a run did, as outputs and a step summary.

use slipway_release::draft::assets::Status;
use slipway_release::draft::{ASSET_COLUMNS, Drafted};
use slipway_runner::Action;

/// Writes the outputs and the step summary.
pub fn write(drafted: &Drafted, action: &mut Action) -> anyhow::Result<()> {
    let (id, url, upload) = match &drafted.release {
        Some(r) => (r.id.to_string(), r.html_url.clone(), r.upload_url.clone()),
        None => Default::default(),
    };
    action.output("release-id", &id)?;
    action.output("url", &url)?;
    action.output("upload-url", &upload)?;
    action.output("tag", &drafted.tag)?;
    action.output("created", drafted.created.to_string())?;
    action.output("assets", serde_json::to_string(&drafted.asset_entries())?)?;
    let s = &mut action.summary;
    let prefix = if drafted.dry_run { "(dry run) " } else { "" };
    let state = match &drafted.release {
        Some(r) if r.draft => format!("draft [{id}]({url})"),
        Some(_) => format!("published release [{id}]({url})"),
        None => "a new draft".to_string(),
    };
    let verb = if drafted.published {
        "published"
    } else if drafted.created {
        "created"
    } else if drafted.release.is_some() {
        "reused"
    } else {
        "would create"
    };
    s.heading(
        3,
        &format!("{prefix}draft-release: `{}` — {verb} {state}", drafted.tag),
    );
    s.table(&ASSET_COLUMNS, &drafted.asset_rows());
    s.list("Release", &drafted.notes)
        .retried(&drafted.retries)
        .list("Warnings", &drafted.warnings);
    let counts = [Status::Uploaded, Status::Kept, Status::Replaced]
        .map(|st| drafted.outcomes.iter().filter(|o| o.status == st).count());
    tracing::info!(
        "{prefix}{} asset(s): {} {}, {} kept, {} {}; {} retried request(s)",
        drafted.outcomes.len(),
        counts[0],
        Status::Uploaded.word(drafted.dry_run),
        counts[1],
        counts[2],
        Status::Replaced.word(drafted.dry_run),
        drafted.retries.len()
    );
    Ok(())
}
