//! The validated request, built from the inputs (and the event payload when no release is named).

use std::path::PathBuf;

use slipway_runner::{Action, HintExt};

use crate::error::FetchError;
use crate::names::NameFilter;
use crate::select::Selector;

/// The most downloads at once `concurrency` accepts.
pub const MAX_CONCURRENCY: usize = 64;

/// Everything fetch-assets was asked to do, checked.
#[derive(Debug, Clone)]
pub struct Request {
    /// Which release.
    pub selector: Selector,
    /// Whether a tag may match a draft.
    pub include_drafts: bool,
    /// The `patterns` globs as given (for messages).
    pub patterns: Vec<String>,
    /// The `exclude` globs as given.
    pub exclude: Vec<String>,
    /// The compiled filter.
    pub filter: NameFilter,
    /// Where files go (relative to the workspace, as given).
    pub dir: PathBuf,
    /// Check hashes.
    pub verify: bool,
    /// The checksums manifest's asset name; `None` when disabled (empty input).
    pub checksums: Option<String>,
    /// Downloads at once.
    pub concurrency: usize,
    /// Fail when no asset matches.
    pub fail_on_empty: bool,
    /// Template mapping the tag to `version`.
    pub tag_template: String,
    /// Write nothing.
    pub dry_run: bool,
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "expected a whole number from 1 to {MAX_CONCURRENCY}\nhint: `concurrency` is how many files download at once; 4 is a good default"
        )),
        Err(_) => Err(format!(
            "expected a whole number from 1 to {MAX_CONCURRENCY}"
        )),
    }
}

fn parse_id(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| "expected a release's numeric id".to_string())
}

impl Request {
    /// Reads and validates every input; errors name the input and the value. With no `tag`,
    /// `release-id` or `latest`, the release comes from the event: a `release` event's
    /// release, or a `workflow_dispatch` input named `tag`.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        let i = &action.inputs;
        let tag = i.string("tag");
        let id = i.parsed("release-id", parse_id)?;
        let latest = i.bool("latest")?;
        let given: Vec<String> = [
            tag.as_ref().map(|_| "tag"),
            id.map(|_| "release-id"),
            latest.then_some("latest"),
        ]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
        if given.len() > 1 {
            return Err(FetchError::ConflictingSelectors { given }.into());
        }
        let selector = match (tag, id, latest) {
            (Some(tag), _, _) => Selector::Tag(tag),
            (_, Some(id), _) => Selector::Id(id),
            (_, _, true) => Selector::Latest,
            _ => from_event(action)?,
        };
        let patterns = i.list("patterns");
        let exclude = i.list("exclude");
        NameFilter::new(&patterns, &[])
            .map_err(|e| i.invalid("patterns", &patterns.join(", "), e))?;
        let filter = NameFilter::new(&patterns, &exclude)
            .map_err(|e| i.invalid("exclude", &exclude.join(", "), e))?;
        let dir = PathBuf::from(i.string("dir").unwrap_or_else(|| "dist".into()));
        if dir.exists() && !dir.is_dir() {
            return Err(FetchError::DirIsFile { dir }.into());
        }
        let concurrency = i
            .parsed("concurrency", parse_concurrency)?
            .ok_or_else(|| i.invalid("concurrency", "", "expected a whole number from 1 to 64"))?;
        let tag_template = i
            .string("tag-template")
            .unwrap_or_else(|| "v{version}".into());
        slipway_version::render_tag(&tag_template, "0.0.0")
            .map_err(|e| i.invalid("tag-template", &tag_template, e.to_string()))?;
        Ok(Self {
            selector,
            include_drafts: i.bool("include-drafts")?,
            patterns,
            exclude,
            filter,
            dir,
            verify: i.bool("verify")?,
            checksums: i.string("checksums"),
            concurrency,
            fail_on_empty: i.bool("fail-on-empty")?,
            tag_template,
            dry_run: i.bool("dry-run")?,
        })
    }
}

/// The release the event names, or the `tag` input of a manual run.
fn from_event(action: &Action) -> anyhow::Result<Selector> {
    let event = action
        .event()
        .hint("the event payload is written by the runner; locally, pass `--tag` instead")?;
    let name = action
        .context
        .event_name
        .clone()
        .map(|n| format!("`{n}`"))
        .unwrap_or_else(|| "no event".to_string());
    if let Some(event) = event {
        if let Some(r) = event.release {
            return Ok(Selector::Event {
                id: r.id,
                tag: r.tag_name,
            });
        }
        if let Some(tag) = event.dispatch_input("tag").filter(|t| !t.trim().is_empty()) {
            return Ok(Selector::Tag(tag.trim().to_string()));
        }
    }
    Err(FetchError::NoSelector { event: name }.into())
}
