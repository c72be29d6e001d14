//! What a run did: the outputs, the step summary, and the final verdict.

use slipway_github::Release;
use slipway_runner::progress::human_bytes;
use slipway_runner::{Action, HintExt};

use crate::error::FetchError;
use crate::fetch::{Fetched, Outcome, Verification};
use crate::request::Request;

/// The result of one run: the release, each file as it ended up, and each failure.
#[derive(Debug)]
pub struct Report {
    /// The release's tag.
    pub tag: String,
    /// The version read from the tag through `tag-template`.
    pub version: Option<String>,
    /// The template used.
    pub tag_template: String,
    /// The release's id.
    pub release_id: u64,
    /// Whether it is a prerelease.
    pub prerelease: bool,
    /// Whether it is a draft.
    pub draft: bool,
    /// Its web page.
    pub html_url: String,
    /// `dir` as given.
    pub dir: String,
    /// The manifest's name (for labels).
    pub manifest_name: String,
    /// Files in place (or that would be, in a dry run), sorted by name.
    pub files: Vec<Fetched>,
    /// Files that failed, in asset order.
    pub failures: Vec<FetchError>,
    /// Files never started because an earlier download failed, in asset order.
    pub not_started: Vec<String>,
    /// How many files were attempted.
    pub total: usize,
    /// Requests the client retried.
    pub retries: usize,
    /// A dry run.
    pub dry_run: bool,
}

impl Report {
    /// Gathers the per-file results (tagged with their order) into a report.
    pub(crate) fn new(
        request: &Request,
        release: &Release,
        mut results: Vec<(usize, Result<Fetched, FetchError>)>,
        not_started: Vec<String>,
        retries: usize,
    ) -> Self {
        results.sort_by_key(|(i, _)| *i);
        let total = results.len();
        let mut files = Vec::new();
        let mut failures = Vec::new();
        for (_, r) in results {
            match r {
                Ok(f) => files.push(f),
                Err(e) => failures.push(e),
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Self {
            tag: release.tag_name.clone(),
            version: slipway_version::version_from_tag(&request.tag_template, &release.tag_name),
            tag_template: request.tag_template.clone(),
            release_id: release.id,
            prerelease: release.prerelease,
            draft: release.draft,
            html_url: release.html_url.clone(),
            dir: request.dir.display().to_string(),
            manifest_name: request
                .checksums
                .clone()
                .unwrap_or_else(|| crate::MANIFEST.into()),
            files,
            failures,
            not_started,
            total,
            retries,
            dry_run: request.dry_run,
        }
    }

    /// The `files` output: a JSON array of `dir/name` paths.
    pub fn files_json(&self) -> String {
        let paths: Vec<String> = self
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        serde_json::Value::from(paths).to_string()
    }

    /// Writes the outputs (also when some files failed, listing the ones in place) and the
    /// step summary.
    pub fn write(&self, action: &mut Action) -> anyhow::Result<()> {
        if self.version.is_none() {
            action.commands.warning(&format!(
                "the tag `{}` does not fit `tag-template` `{}`: the `version` output is empty",
                self.tag, self.tag_template
            ));
        }
        action.output("tag", &self.tag)?;
        action.output("version", self.version.as_deref().unwrap_or(""))?;
        action.output("release-id", self.release_id.to_string())?;
        action.output("prerelease", self.prerelease.to_string())?;
        action.output("dir", &self.dir)?;
        action.output("files", self.files_json())?;
        action.output("count", self.files.len().to_string())?;
        self.write_summary(action);
        Ok(())
    }

    fn write_summary(&self, action: &mut Action) {
        let kind = match (self.draft, self.prerelease) {
            (true, true) => "draft prerelease",
            (true, false) => "draft",
            (false, true) => "prerelease",
            (false, false) => "release",
        };
        let verdict = if !self.failures.is_empty() {
            let mut v = format!("{} of {} files failed", self.failures.len(), self.total);
            if !self.not_started.is_empty() {
                v.push_str(&format!(", {} not started", self.not_started.len()));
            }
            v
        } else if self.dry_run {
            format!("dry run, {} files", self.files.len())
        } else {
            format!("{} files", self.files.len())
        };
        let mut rows: Vec<Vec<String>> = self
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
                    f.verification.label(&self.manifest_name),
                    f.outcome.label().to_string(),
                ]
            })
            .collect();
        for e in &self.failures {
            let text = e.to_string();
            rows.push(vec![
                "—".into(),
                "—".into(),
                "—".into(),
                "—".into(),
                format!("failed: {}", text.lines().next().unwrap_or(&text)),
            ]);
        }
        for name in &self.not_started {
            rows.push(vec![
                format!("`{name}`"),
                "—".into(),
                "—".into(),
                "—".into(),
                "not started: an earlier download failed".into(),
            ]);
        }
        let summary = &mut action.summary;
        summary.heading(3, &format!("fetch-assets: `{}` — {verdict}", self.tag));
        summary.paragraph(&format!(
            "{kind} [`{}`]({}) (id {}) into `{}`",
            self.tag, self.html_url, self.release_id, self.dir
        ));
        if !rows.is_empty() {
            summary.table(&["file", "size", "sha256", "verified", "action"], &rows);
        }
        let unverified: Vec<&str> = self
            .files
            .iter()
            .filter(|f| f.verification == Verification::Unverified)
            .map(|f| f.name.as_str())
            .collect();
        if !unverified.is_empty() {
            summary.paragraph(&format!(
                "**Not verified** (no digest, not in `{}`): {}",
                self.manifest_name,
                unverified
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let downloaded = self
            .files
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Downloaded | Outcome::Replaced))
            .count();
        if self.retries > 0 {
            summary.paragraph(&format!(
                "{downloaded} downloaded; {} requests were retried (see the log).",
                self.retries
            ));
        }
    }

    /// `Ok` when every file is in place; otherwise the failure (one), or all of them listed.
    pub fn into_result(mut self) -> anyhow::Result<()> {
        match self.failures.len() {
            0 => Ok(()),
            1 if self.not_started.is_empty() => Err(self.failures.remove(0).into()),
            n => {
                let errors = self.failures.iter().map(|e| e.to_string()).collect();
                Err(FetchError::Failed {
                    failed: n,
                    total: self.total,
                    errors,
                    not_started: self.not_started,
                })
                .hint("re-run the job: files already in place are kept and not downloaded again")
            }
        }
    }
}
