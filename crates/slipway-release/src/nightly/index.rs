//! The static simple repository of a nightly channel: PEP 503 HTML and PEP 691 JSON pages
//! listing every kept build's dists, each linked to its release asset's download URL with
//! `#sha256=` and `data-requires-python`, ready for GitHub Pages.
//!
//! Hashes come from GitHub's asset `digest`, or from the build's `SHA256SUMS`; `Requires-Python`
//! comes from a marker each build carries in its release notes ([`body_marker`]), written from
//! the dists' metadata when the build is made, so older builds are never downloaded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use slipway_dist::DistFile;

/// Where a build's metadata hides in its release notes.
const MARKER: &str = "<!-- slipway-nightly: ";

/// One dist the index lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexFile {
    /// The PEP 503 normalized project name.
    pub project: String,
    /// The file name.
    pub filename: String,
    /// The release asset's `browser_download_url`.
    pub url: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// `Requires-Python` from the dist's metadata, when known.
    pub requires_python: Option<String>,
}

/// The pages written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The directory (`<index-dir>`).
    pub dir: PathBuf,
    /// The projects listed (normalized names).
    pub projects: Vec<String>,
    /// How many files are listed.
    pub files: usize,
}

/// The PEP 503 normalized project of an asset name that is a wheel or an sdist; `None` for
/// anything else (the manifest, other files).
pub fn project_of(asset_name: &str) -> Option<String> {
    DistFile::from_path(Path::new(asset_name))
        .ok()
        .map(|d| d.normalized_name())
}

/// The release-notes marker recording each dist's `Requires-Python` (file name → specifier),
/// invisible when the notes are rendered. `>` is escaped so the comment cannot end early.
pub fn body_marker(requires_python: &BTreeMap<String, String>) -> String {
    let text = serde_json::to_string(&json!({ "requires-python": requires_python }))
        .unwrap_or_default()
        .replace('>', "\\u003e")
        .replace('<', "\\u003c");
    format!("{MARKER}{text} -->")
}

/// The `Requires-Python` values recorded in release notes by [`body_marker`]; empty when the
/// notes have none.
pub fn read_marker(body: Option<&str>) -> BTreeMap<String, String> {
    let parsed = body
        .and_then(|b| b.split_once(MARKER))
        .and_then(|(_, rest)| rest.split_once(" -->"))
        .and_then(|(text, _)| serde_json::from_str::<serde_json::Value>(text).ok());
    parsed
        .and_then(|v| {
            serde_json::from_value::<BTreeMap<String, String>>(v.get("requires-python")?.clone())
                .ok()
        })
        .unwrap_or_default()
}

/// Escapes text for HTML content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

const HEAD: &str =
    "<!DOCTYPE html>\n<html>\n<head>\n<meta name=\"pypi:repository-version\" content=\"1.0\">\n";

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

/// Writes `<dir>/simple/index.html` and `index.json` (the projects) and, for each project,
/// `<dir>/simple/<project>/index.html` and `index.json` (its files, sorted by name). The
/// `simple/` directory is written afresh: pages of projects no longer listed go.
pub fn write_index(dir: &Path, files: &[IndexFile]) -> std::io::Result<Written> {
    let mut by_project: BTreeMap<&str, Vec<&IndexFile>> = BTreeMap::new();
    for f in files {
        by_project.entry(&f.project).or_default().push(f);
    }
    let simple = dir.join("simple");
    if simple.exists() {
        std::fs::remove_dir_all(&simple)?;
    }
    let mut root = format!("{HEAD}<title>Simple index</title>\n</head>\n<body>\n");
    for project in by_project.keys() {
        let p = html_escape(project);
        root.push_str(&format!("<a href=\"{p}/\">{p}</a><br/>\n"));
    }
    root.push_str("</body>\n</html>\n");
    write(&simple.join("index.html"), &root)?;
    let projects: Vec<serde_json::Value> =
        by_project.keys().map(|p| json!({ "name": p })).collect();
    let root_json = json!({ "meta": { "api-version": "1.0" }, "projects": projects });
    write(&simple.join("index.json"), &format!("{root_json:#}\n"))?;
    for (project, mut listed) in by_project.clone() {
        listed.sort_by(|a, b| a.filename.cmp(&b.filename));
        listed.dedup_by(|a, b| a.filename == b.filename);
        let title = html_escape(project);
        let mut page = format!(
            "{HEAD}<title>Links for {title}</title>\n</head>\n<body>\n<h1>Links for {title}</h1>\n"
        );
        for f in &listed {
            let href = html_escape(&format!("{}#sha256={}", f.url, f.sha256));
            let requires = f
                .requires_python
                .as_deref()
                .map(|r| format!(" data-requires-python=\"{}\"", html_escape(r)))
                .unwrap_or_default();
            page.push_str(&format!(
                "<a href=\"{href}\"{requires}>{}</a><br/>\n",
                html_escape(&f.filename)
            ));
        }
        page.push_str("</body>\n</html>\n");
        write(&simple.join(project).join("index.html"), &page)?;
        let entries: Vec<serde_json::Value> = listed
            .iter()
            .map(|f| {
                let mut e = json!({
                    "filename": f.filename,
                    "url": f.url,
                    "hashes": { "sha256": f.sha256 },
                });
                if let Some(r) = &f.requires_python {
                    e["requires-python"] = json!(r);
                }
                e
            })
            .collect();
        let page_json =
            json!({ "meta": { "api-version": "1.0" }, "name": project, "files": entries });
        write(
            &simple.join(project).join("index.json"),
            &format!("{page_json:#}\n"),
        )?;
    }
    Ok(Written {
        dir: dir.to_path_buf(),
        projects: by_project.keys().map(|p| (*p).to_string()).collect(),
        files: files.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_round_trips_and_cannot_close_the_comment() {
        let mut m = BTreeMap::new();
        m.insert(
            "w-1.0-py3-none-any.whl".to_string(),
            ">=3.9, !=3.10.*-->".to_string(),
        );
        let body = format!("Nightly build.\n\n{}\n", body_marker(&m));
        assert_eq!(body.matches("-->").count(), 1, "{body}");
        assert_eq!(read_marker(Some(&body)), m);
        assert!(read_marker(Some("no marker")).is_empty());
        assert!(read_marker(None).is_empty());
    }

    #[test]
    fn pages_list_each_file_with_its_hash_and_escaped_requires_python() {
        let dir = tempfile::tempdir().unwrap();
        let files = [IndexFile {
            project: "my-pkg".into(),
            filename: "my_pkg-1.0.dev1-py3-none-any.whl".into(),
            url:
                "https://h/o/r/releases/download/nightly-1.0.dev1/my_pkg-1.0.dev1-py3-none-any.whl"
                    .into(),
            sha256: "ab".repeat(32),
            requires_python: Some(">=3.9".into()),
        }];
        let written = write_index(dir.path(), &files).unwrap();
        assert_eq!(written.projects, ["my-pkg"]);
        let page = std::fs::read_to_string(dir.path().join("simple/my-pkg/index.html")).unwrap();
        assert!(page.contains(&format!("#sha256={}\" data-requires-python=\"&gt;=3.9\">my_pkg-1.0.dev1-py3-none-any.whl</a>", "ab".repeat(32))), "{page}");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("simple/my-pkg/index.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(json["files"][0]["requires-python"], ">=3.9");
        let root = std::fs::read_to_string(dir.path().join("simple/index.html")).unwrap();
        assert!(root.contains("<a href=\"my-pkg/\">my-pkg</a>"), "{root}");
    }
}
