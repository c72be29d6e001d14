//! What a run did, as outputs and a step summary.

use serde::Serialize;
use slipway_github::{Release, RetryEvent};
use slipway_runner::Action;
use slipway_runner::progress::human_bytes;

use crate::assets::{Outcome, Planned, Status, Step};

/// What draft-release did (or, in a dry run, would do).
#[derive(Debug, Clone)]
pub struct Report {
    /// The tag.
    pub tag: String,
    /// The release worked on (`None` in a dry run that would create it).
    pub release: Option<Release>,
    /// True when this run created the draft.
    pub created: bool,
    /// True when this run published it.
    pub published: bool,
    /// Nothing was written.
    pub dry_run: bool,
    /// Each file's end state, in upload order (the manifest last).
    pub outcomes: Vec<Outcome>,
    /// What was done besides uploads: drafts created, reused, deleted; conflicts resolved.
    pub notes: Vec<String>,
    /// Warnings (also emitted as annotations).
    pub warnings: Vec<String>,
    /// Every request the client retried.
    pub retries: Vec<RetryEvent>,
}

/// One entry of the `assets` output.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AssetEntry {
    /// Asset name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Download URL (empty in a dry run before the upload).
    pub url: String,
}

/// A planned step as a dry run reports it.
pub(crate) fn dry_outcome(p: Planned) -> Outcome {
    let (status, asset) = match p.step {
        Step::Keep(a) => (Status::Kept, Some(a)),
        Step::Replace(_) => (Status::Replaced, None),
        Step::Upload | Step::ClearStarter(_) => (Status::Uploaded, None),
    };
    Outcome {
        file: p.file,
        status,
        asset,
    }
}

impl Report {
    /// The `assets` output entries, sorted by name.
    pub fn asset_entries(&self) -> Vec<AssetEntry> {
        let mut entries: Vec<AssetEntry> = self
            .outcomes
            .iter()
            .map(|o| AssetEntry {
                name: o.file.name.clone(),
                size: o.file.size,
                sha256: o.file.sha256.clone().unwrap_or_default(),
                url: o
                    .asset
                    .as_ref()
                    .map(|a| a.browser_download_url.clone())
                    .unwrap_or_default(),
            })
            .collect();
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    /// Writes the outputs and the step summary.
    pub fn write(&self, action: &mut Action) -> anyhow::Result<()> {
        let (id, url, upload) = match &self.release {
            Some(r) => (r.id.to_string(), r.html_url.clone(), r.upload_url.clone()),
            None => Default::default(),
        };
        action.output("release-id", &id)?;
        action.output("url", &url)?;
        action.output("upload-url", &upload)?;
        action.output("tag", &self.tag)?;
        action.output("created", self.created.to_string())?;
        action.output("assets", serde_json::to_string(&self.asset_entries())?)?;
        let s = &mut action.summary;
        let prefix = if self.dry_run { "(dry run) " } else { "" };
        let state = match &self.release {
            Some(r) if r.draft => format!("draft [{id}]({url})"),
            Some(_) => format!("published release [{id}]({url})"),
            None => "a new draft".to_string(),
        };
        let verb = if self.published {
            "published"
        } else if self.created {
            "created"
        } else if self.release.is_some() {
            "reused"
        } else {
            "would create"
        };
        s.heading(
            3,
            &format!("{prefix}draft-release: `{}` — {verb} {state}", self.tag),
        );
        let rows: Vec<Vec<String>> = self
            .outcomes
            .iter()
            .map(|o| {
                vec![
                    format!("`{}`", o.file.name),
                    human_bytes(o.file.size),
                    format!("`{}`", o.file.sha256.as_deref().unwrap_or_default()),
                    o.status.word(self.dry_run).to_string(),
                ]
            })
            .collect();
        s.table(&["asset", "size", "sha256", "status"], &rows);
        if !self.notes.is_empty() {
            s.paragraph(&format!(
                "**Release:**\n{}",
                self.notes
                    .iter()
                    .map(|n| format!("- {n}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        if !self.retries.is_empty() {
            s.paragraph(&format!(
                "**Retried ({}):**\n{}",
                self.retries.len(),
                self.retries
                    .iter()
                    .map(|r| format!("- {r}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        if !self.warnings.is_empty() {
            s.paragraph(&format!(
                "**Warnings:**\n{}",
                self.warnings
                    .iter()
                    .map(|w| format!("- {w}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        let counts = [Status::Uploaded, Status::Kept, Status::Replaced]
            .map(|st| self.outcomes.iter().filter(|o| o.status == st).count());
        tracing::info!(
            "{prefix}{} asset(s): {} {}, {} kept, {} {}; {} retried request(s)",
            self.outcomes.len(),
            counts[0],
            Status::Uploaded.word(self.dry_run),
            counts[1],
            counts[2],
            Status::Replaced.word(self.dry_run),
            self.retries.len()
        );
        Ok(())
    }
}
