//! The validated request, built from the inputs (and the event payload when no release is named).

use std::path::{Component, Path, PathBuf};

use slipway_runner::{Action, HintExt};

use slipway_github::GitHub;
use slipway_release::fetch::names::NameFilter;
use slipway_release::fetch::{Fetch, FetchError, Selector};

/// A validated request, built from the inputs (and the event payload when no release is named).
#[derive(Debug)]
pub struct Request {
    /// What to fetch.
    pub fetch: Fetch,
    /// The client for `repository` at `api-url`.
    pub github: GitHub,
    /// Progress as log lines (Actions) or a live line (a terminal).
    pub in_actions: bool,
}

fn parse_id(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            "expected a release's numeric id, e.g. `123456789`\nhint: the id is the number at the end of the release's API URL (`…/releases/{id}`), e.g. the `release-id` output of draft-release; to choose a release by its tag, use `tag`".to_string()
        })
}

/// `path` with `.` and `..` parts folded away, without looking at the disk.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where `dir` leads when it is relative: resolved against `base` one part at a time, each
/// symlink followed as the kernel would (a dangling one by its target's text). `Err` holds
/// where it leads when that is outside `base`.
fn resolve_inside(base: &Path, dir: &Path) -> Result<PathBuf, PathBuf> {
    let root = std::fs::canonicalize(base).unwrap_or_else(|_| base.to_path_buf());
    let mut at = root.clone();
    for part in dir.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(name) => {
                let next = at.join(name);
                let is_link =
                    std::fs::symlink_metadata(&next).is_ok_and(|m| m.file_type().is_symlink());
                at = if is_link {
                    std::fs::canonicalize(&next).unwrap_or_else(|_| {
                        let target = std::fs::read_link(&next).unwrap_or_default();
                        lexical(&at.join(target))
                    })
                } else {
                    next
                };
            }
            Component::RootDir | Component::Prefix(_) => return Ok(dir.to_path_buf()),
        }
    }
    if at.starts_with(&root) {
        Ok(at)
    } else {
        Err(at)
    }
}

impl Request {
    /// Reads and validates every input; errors name the input and the value. With no `tag`,
    /// `release-id` or `latest`, the release comes from the event: a `release` event's
    /// release, or a `workflow_dispatch` input named `tag`.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        let i = &action.inputs;
        let tag = i.string("tag");
        if let Some(tag) = &tag {
            slipway_version::validate_tag(tag).map_err(|e| i.invalid("tag", tag, e.to_string()))?;
        }
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
            .map_err(|e| i.invalid("patterns", &e.glob, e.explain("patterns")))?;
        let filter = NameFilter::new(&patterns, &exclude)
            .map_err(|e| i.invalid("exclude", &e.glob, e.explain("exclude")))?;
        let dir = PathBuf::from(i.or_default("dir"));
        if !dir.is_absolute() {
            let workspace = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
            if let Err(leads_to) = resolve_inside(&workspace, &dir) {
                return Err(FetchError::DirOutsideWorkspace {
                    dir,
                    leads_to,
                    workspace,
                }
                .into());
            }
        }
        if dir.exists() && !dir.is_dir() {
            return Err(FetchError::DirIsFile { dir }.into());
        }
        let max_parallel = i.max_parallel()?;
        let tag_template = i.or_default("tag-template");
        slipway_version::render_tag(&tag_template, "0.0.0")
            .map_err(|e| i.invalid("tag-template", &tag_template, e.to_string()))?;
        let fetch = Fetch {
            selector,
            include_drafts: i.bool("include-drafts")?,
            patterns,
            exclude,
            filter,
            dir,
            verify: i.bool("verify")?,
            checksums: i.string("checksums"),
            max_parallel,
            fail_on_empty: i.bool("fail-on-empty")?,
            tag_template,
            dry_run: i.bool("dry-run")?,
        };
        Ok(Self {
            fetch,
            github: slipway_github::client_from_inputs(i, &action.commands)?,
            in_actions: action.env.in_actions(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_must_stay_inside_the_base() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("ws");
        std::fs::create_dir_all(base.join("real")).unwrap();
        std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("outside"), base.join("out")).unwrap();
        std::os::unix::fs::symlink("real", base.join("in")).unwrap();
        std::os::unix::fs::symlink("../gone", base.join("dangling")).unwrap();
        let root = std::fs::canonicalize(&base).unwrap();
        let inside = |d: &str| resolve_inside(&base, Path::new(d));
        assert_eq!(inside("dist"), Ok(root.join("dist")));
        assert_eq!(inside("./a/../dist"), Ok(root.join("dist")));
        assert_eq!(inside("in/x"), Ok(root.join("real/x")));
        assert_eq!(inside("."), Ok(root.clone()));
        assert_eq!(inside("../ws/dist"), Ok(root.join("dist")));
        let outside = std::fs::canonicalize(tmp.path().join("outside")).unwrap();
        assert_eq!(inside("out/dist"), Err(outside.join("dist")));
        assert_eq!(inside("in/../../x"), Err(root.parent().unwrap().join("x")));
        assert_eq!(inside("dangling"), Err(root.parent().unwrap().join("gone")));
        assert_eq!(inside("../x"), Err(root.parent().unwrap().join("x")));
    }
}
