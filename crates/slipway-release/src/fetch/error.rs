//! What can go wrong fetching a release's assets, with the values involved and how to fix it.

use std::path::PathBuf;

use slipway_github::GitHubError;
use slipway_runner::excerpt;

/// Quotes names as `` `a`, `b` `` for messages (each cut to a short excerpt).
pub(crate) fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", excerpt(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why fetch-assets stopped.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// More than one way of choosing the release was given.
    #[error(
        "inputs {} cannot be used together: each chooses the release\nhint: give only one of `tag`, `release-id` or `latest: true`",
        quoted(given)
    )]
    ConflictingSelectors {
        /// The inputs that were set.
        given: Vec<String>,
    },
    /// Nothing says which release to fetch.
    #[error(
        "no release to fetch: no `tag`, `release-id` or `latest` input, and {} carries no release\nhint: run on `release: published`, or set `tag:` (e.g. from a `workflow_dispatch` input)",
        event_text(event)
    )]
    NoSelector {
        /// The event name, or `no event`.
        event: String,
    },
    /// No release has the tag.
    #[error("no release has the tag `{}`{}{}", excerpt(tag), nearest_text(nearest), draft_text(*draft_only))]
    UnknownTag {
        /// The tag asked for.
        tag: String,
        /// Existing release tags that look closest, best first.
        nearest: Vec<String>,
        /// A draft has the tag but drafts were not searched.
        draft_only: bool,
    },
    /// No release has the id.
    #[error(
        "no release has the id `{id}` in `{repo}`\nhint: the id is the number in the API URL of the release (`…/releases/{{id}}`); drafts need a token with push access"
    )]
    UnknownId {
        /// The id asked for.
        id: u64,
        /// The repository.
        repo: String,
    },
    /// `latest` found no published, non-prerelease release.
    #[error(
        "`{repo}` has no published release that is not a prerelease\nhint: publish a release, or choose one with `tag` or `release-id`"
    )]
    NoLatest {
        /// The repository.
        repo: String,
    },
    /// Asset names that would escape `dir` or are not plain file names.
    #[error(
        "refusing asset names that are not plain file names: {}; nothing was written\nhint: an asset name must not be empty, start with `.`, or contain `/`, `\\`, control characters or NUL; rename or delete those assets on the release",
        quoted(names)
    )]
    UnsafeNames {
        /// The refused names.
        names: Vec<String>,
    },
    /// The patterns selected no asset.
    #[error(
        "no asset of release `{tag}` matches patterns {} (exclude {}); the release has: {}\nhint: fix `patterns`/`exclude`, or set `fail-on-empty: false` to succeed with no files",
        quoted(patterns),
        if exclude.is_empty() { "none".to_string() } else { quoted(exclude) },
        if available.is_empty() { "no assets".to_string() } else { quoted(available) }
    )]
    NothingMatched {
        /// The release's tag.
        tag: String,
        /// The `patterns` globs.
        patterns: Vec<String>,
        /// The `exclude` globs.
        exclude: Vec<String>,
        /// The release's asset names.
        available: Vec<String>,
    },
    /// `dir` exists and is not a directory.
    #[error(
        "`dir` `{}` exists and is not a directory\nhint: choose another `dir`, or remove that file",
        excerpt(&dir.display().to_string())
    )]
    DirIsFile {
        /// The path.
        dir: PathBuf,
    },
    /// A relative `dir` that leads outside the workspace (through `..` or a symlink).
    #[error(
        "`dir` `{}` leads outside the workspace `{}` (to `{}`); nothing was written\nhint: keep `dir` inside the workspace (e.g. `dist`); to write elsewhere on purpose, give an absolute path",
        excerpt(&dir.display().to_string()),
        workspace.display(),
        excerpt(&leads_to.display().to_string())
    )]
    DirOutsideWorkspace {
        /// The path as given.
        dir: PathBuf,
        /// Where it resolves to.
        leads_to: PathBuf,
        /// The workspace (the working directory).
        workspace: PathBuf,
    },
    /// The downloaded bytes are not the recorded ones.
    #[error(
        "`{name}` does not match {source_name}: expected sha256 `{expected}`, downloaded sha256 `{actual}`; the download was deleted\nhint: the bytes changed after they were recorded (or in transit); do not publish them: rebuild and re-attach the release's assets"
    )]
    HashMismatch {
        /// The asset name.
        name: String,
        /// What the hash was checked against (`the asset's digest`, `SHA256SUMS`).
        source_name: String,
        /// The recorded hash.
        expected: String,
        /// The hash of what arrived.
        actual: String,
    },
    /// The checksums manifest lists a name twice with different hashes.
    #[error(
        "`{manifest}` lists `{name}` twice with different hashes\nhint: regenerate `{manifest}` (draft-release writes it), or set `checksums:` empty to ignore it"
    )]
    AmbiguousManifest {
        /// The manifest's asset name.
        manifest: String,
        /// The file listed twice.
        name: String,
    },
    /// The checksums manifest is implausibly large.
    #[error(
        "the checksums asset `{name}` is {size} bytes, more than a checksums file can be\nhint: set `checksums:` to the right asset name, or empty to use only GitHub's digests"
    )]
    ManifestTooLarge {
        /// Its name.
        name: String,
        /// Its size.
        size: u64,
    },
    /// A local file operation failed.
    #[error("cannot {action} `{}`: {source}", excerpt(&path.display().to_string()))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A download failed (after the client's own retries and ours).
    #[error("cannot download `{name}`: {source}")]
    Download {
        /// The asset name.
        name: String,
        /// The client's error.
        #[source]
        source: GitHubError,
    },
    /// Some of the downloads failed; the others are in place, or were not started after the
    /// first failure.
    #[error("{}", failed_text(*failed, *total, errors, not_started))]
    Failed {
        /// How many failed.
        failed: usize,
        /// How many were attempted.
        total: usize,
        /// Each failure's full text.
        errors: Vec<String>,
        /// Assets not started because a download had failed.
        not_started: Vec<String>,
    },
}

fn nearest_text(nearest: &[String]) -> String {
    if nearest.is_empty() {
        String::new()
    } else {
        format!("; nearest existing release tags: {}", quoted(nearest))
    }
}

fn draft_text(draft_only: bool) -> String {
    if draft_only {
        "\nhint: only a draft release has this tag; set `include-drafts: true` (the token needs push access to see drafts)".to_string()
    } else {
        "\nhint: check the tag's spelling (tags are case-sensitive); drafts are only found with `include-drafts: true` and a token with push access".to_string()
    }
}

/// Lists every failure, its `hint:` lines gathered at the end (once each) so the runner's
/// report prints them last.
fn failed_text(failed: usize, total: usize, errors: &[String], not_started: &[String]) -> String {
    let mut lines = vec![format!("{failed} of {total} downloads failed:")];
    let mut hints: Vec<String> = Vec::new();
    for e in errors {
        let mut first = true;
        for line in e.lines() {
            match line.trim_start().strip_prefix("hint: ") {
                Some(h) => {
                    if !hints.iter().any(|x| x == h) {
                        hints.push(h.to_string());
                    }
                }
                None if first => {
                    lines.push(format!("- {line}"));
                    first = false;
                }
                None => lines.push(format!("  {line}")),
            }
        }
    }
    if !not_started.is_empty() {
        const SHOWN: usize = 10;
        let mut names = quoted(&not_started[..not_started.len().min(SHOWN)]);
        if not_started.len() > SHOWN {
            names.push_str(&format!(" and {} more", not_started.len() - SHOWN));
        }
        lines.push(format!(
            "{} not started after the first failure: {names}",
            not_started.len()
        ));
    }
    lines.extend(hints.into_iter().map(|h| format!("hint: {h}")));
    lines.join("\n")
}

/// The event as a message names it: `the `push` event`, or `the run (no event payload)`.
fn event_text(event: &str) -> String {
    if event == "no event" {
        "the run (no event payload)".to_string()
    } else {
        format!("the `{}` event", excerpt(event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_listed_with_hints_last() {
        let e = FetchError::Failed {
            failed: 2,
            total: 5,
            errors: vec![
                "`a` broke\nhint: retry".into(),
                "`b` broke\nmore\nhint: retry".into(),
            ],
            not_started: Vec::new(),
        };
        assert_eq!(
            e.to_string(),
            "2 of 5 downloads failed:\n- `a` broke\n- `b` broke\n  more\nhint: retry"
        );
        let e = FetchError::Failed {
            failed: 1,
            total: 2,
            errors: vec!["`a` stalled\nhint: try later".into()],
            not_started: (0..12).map(|i| format!("f{i}.whl")).collect(),
        };
        assert_eq!(
            e.to_string(),
            "1 of 2 downloads failed:\n- `a` stalled\n12 not started after the first failure: `f0.whl`, `f1.whl`, `f2.whl`, `f3.whl`, `f4.whl`, `f5.whl`, `f6.whl`, `f7.whl`, `f8.whl`, `f9.whl` and 2 more\nhint: try later"
        );
    }

    #[test]
    fn unknown_tag_lists_the_nearest() {
        let e = FetchError::UnknownTag {
            tag: "v1.2.4".into(),
            nearest: vec!["v1.2.3".into(), "v1.2.0".into()],
            draft_only: false,
        };
        assert!(
            e.to_string()
                .starts_with("no release has the tag `v1.2.4`; nearest existing release tags: `v1.2.3`, `v1.2.0`\nhint:"),
            "{e}"
        );
    }
}
