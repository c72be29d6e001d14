//! The metadata rules PyPI applies to an upload form (`packaging.metadata` validation plus
//! PyPI's own: local versions, lengths, URLs, e-mail addresses, classifiers, direct references,
//! `Dynamic`, `License` with `License-Expression`). They run on the fields that are sent.

use std::str::FromStr;

use slipway_dist::{DistFile, Finding, normalize_name};

use super::Context;
use super::classifiers::{self, Known};
use super::requirement::{Requirement, Target};
use crate::metadata::{
    DistMetadata, FIELDS, MetadataForm, PYPI_METADATA_VERSIONS, VersionStanding, version_standing,
};

const REBUILD: &str =
    "fix the project's metadata (pyproject.toml, setup.cfg or setup.py) and rebuild the dists";

/// Every metadata finding for one dist: `meta` as read, `form` as it would be sent.
pub fn check(
    meta: &DistMetadata,
    form: &MetadataForm,
    file: &DistFile,
    ctx: &Context,
) -> Vec<Finding> {
    let mut out = Vec::new();
    metadata_version(meta.metadata_version(), ctx, &mut out);
    identity(meta, file, &mut out);
    for spec in FIELDS.iter().filter(|s| !s.multi) {
        let count = meta
            .fields
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(spec.header))
            .count();
        if count > 1 {
            out.push(Finding::error(
                "repeated-field",
                format!("`{}` occurs {count} times; it may occur once", spec.header),
                REBUILD,
            ));
        }
    }
    for (name, value) in &form.fields {
        field(name, value, &mut out);
    }
    let get = |k: &str| {
        form.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    if get("license").is_some_and(|v| !v.is_empty())
        && get("license_expression").is_some_and(|v| !v.is_empty())
    {
        out.push(Finding::error(
            "license",
            "`License` and `License-Expression` are both set; PyPI refuses `License` next to `License-Expression` (PEP 639)",
            "keep only `license = \"<SPDX expression>\"` in pyproject.toml (drop the `License` text / `license = {text = …}`) and rebuild",
        ));
    }
    let mut labels: Vec<&str> = Vec::new();
    for (_, value) in form.fields.iter().filter(|(k, _)| k == "project_urls") {
        let label = value
            .split_once(',')
            .map_or(value.as_str(), |(l, _)| l)
            .trim();
        if labels.contains(&label) {
            out.push(Finding::error(
                "project-url",
                format!("the `Project-URL` label `{label}` appears twice"),
                "give each project URL its own label in `[project.urls]` and rebuild",
            ));
        }
        labels.push(label);
    }
    out
}

fn metadata_version(mv: &str, ctx: &Context, out: &mut Vec<Finding>) {
    let accepted = PYPI_METADATA_VERSIONS.join(", ");
    let newest = crate::metadata::KNOWN_METADATA_VERSIONS
        .last()
        .copied()
        .unwrap_or_default();
    match version_standing(mv) {
        VersionStanding::Known if ctx.pypi && !PYPI_METADATA_VERSIONS.contains(&mv) => out.push(Finding::error(
            "metadata-version",
            format!("PyPI does not accept `Metadata-Version: {mv}` yet (it accepts {accepted})"),
            format!("build with a backend release that writes Metadata-Version {} or lower until PyPI accepts {mv} (other indexes get the file as it is)", PYPI_METADATA_VERSIONS.last().copied().unwrap_or_default()),
        )),
        VersionStanding::Known => {}
        VersionStanding::Malformed => out.push(Finding::error(
            "metadata-version",
            format!("`Metadata-Version: {mv}` is not a `major.minor` version"),
            REBUILD,
        )),
        VersionStanding::Unknown if ctx.pypi => out.push(Finding::error(
            "metadata-version",
            format!("PyPI refuses `Metadata-Version: {mv}`: no specification defines it (PyPI accepts {accepted})"),
            "rebuild the dists with a current build backend",
        )),
        VersionStanding::Unknown => out.push(Finding::warning(
            "metadata-version",
            format!("`Metadata-Version: {mv}` is not defined by any specification; the fields of the versions before it are sent"),
            "rebuild the dists with a current build backend",
        )),
        VersionStanding::Newer => out.push(Finding::warning(
            "metadata-version",
            format!("`Metadata-Version: {mv}` is newer than the versions this slipway knows (up to {newest}): it is sent with the fields {newest} defines, other fields are left out"),
            "update slipway to a release that knows this Metadata-Version",
        )),
    }
}

fn identity(meta: &DistMetadata, file: &DistFile, out: &mut Vec<Finding>) {
    let name = meta.get("Name").unwrap_or_default();
    let version = meta.get("Version").unwrap_or_default();
    if !slipway_dist::is_valid_project_name(name) {
        out.push(Finding::error(
            "name",
            format!("`Name: {name}` is not a valid project name"),
            "a project name is ASCII letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit",
        ));
    } else if normalize_name(name) != normalize_name(&file.name) {
        out.push(Finding::error(
            "name-mismatch",
            format!("the file name says project `{}` but the metadata says `{name}`", file.name),
            "publish the files the build backend wrote for this project; do not rename dists to another project",
        ));
    }
    match pep440_rs::Version::from_str(version.trim()) {
        Err(e) => out.push(Finding::error(
            "version",
            format!("`Version: {version}` is not a valid PEP 440 version: {e}"),
            "use a PEP 440 version such as `1.2.3`, `1.2.3rc1` or `1.2.3.post1`",
        )),
        Ok(parsed) => {
            if pep440_rs::Version::from_str(&file.version).map_or(true, |f| f != parsed) {
                out.push(Finding::error(
                    "version-mismatch",
                    format!("the file name says version `{}` but the metadata says `{version}`", file.version),
                    "publish the files the build backend wrote for this version; do not rename dists",
                ));
            }
            if parsed.is_local() {
                let local = version.split_once('+').map_or("", |(_, l)| l);
                out.push(Finding::error(
                    "local-version",
                    format!("the version `{version}` has a local part (`+{local}`), which PyPI refuses"),
                    "build without the local part for PyPI (local versions are for private indexes: set `verify-metadata: false` there)",
                ));
            }
        }
    }
}

/// Python's `str.splitlines` boundaries, which `packaging` refuses in `Summary`.
fn has_line_break(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    })
}

/// An absolute `http(s)` URL, as PyPI's `is_valid_uri` accepts it.
pub fn valid_url(value: &str) -> bool {
    let chars_ok = value
        .chars()
        .all(|c| c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c));
    chars_ok && url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Why a `Description-Content-Type` is refused (`packaging`'s rules); `None` when valid.
pub fn invalid_content_type(value: &str) -> Option<String> {
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    if !matches!(mime.as_str(), "text/plain" | "text/x-rst" | "text/markdown") {
        return Some("the type must be `text/plain`, `text/x-rst` or `text/markdown`".into());
    }
    for param in parts.map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, val)) = param.split_once('=') else {
            return Some(format!("the parameter `{param}` has no `=`"));
        };
        let key = key.trim().to_ascii_lowercase();
        let val = val.trim().trim_matches('"');
        if key == "charset" && !val.eq_ignore_ascii_case("utf-8") {
            return Some(format!("the only charset allowed is UTF-8, not `{val}`"));
        }
        if key == "variant" && mime == "text/markdown" && !matches!(val, "GFM" | "CommonMark") {
            return Some(format!(
                "the Markdown variant must be `GFM` or `CommonMark`, not `{val}`"
            ));
        }
    }
    None
}

const DYNAMIC_ALLOWED: &[&str] = &[
    "platform",
    "supported-platform",
    "summary",
    "description",
    "description-content-type",
    "keywords",
    "home-page",
    "download-url",
    "author",
    "author-email",
    "maintainer",
    "maintainer-email",
    "license",
    "license-expression",
    "license-file",
    "classifier",
    "requires-dist",
    "requires-python",
    "requires-external",
    "project-url",
    "provides-extra",
    "provides-dist",
    "obsoletes-dist",
    "requires",
    "provides",
    "obsoletes",
    "import-name",
    "import-namespace",
];

const PY_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

fn identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

fn requirement(header: &'static str, value: &str, out: &mut Vec<Finding>) {
    match Requirement::from_str(value) {
        Err(e) => out.push(Finding::error(
            "requirement",
            format!("`{header}: {value}` is not a valid PEP 508 requirement: {e}"),
            REBUILD,
        )),
        Ok(Requirement { target: Target::Url(url), name }) => out.push(Finding::error(
            "direct-url",
            format!("`{header}: {value}` points at a URL (`{url}`); PyPI refuses direct references"),
            format!("depend on `{name}` by version from an index (e.g. `{name}>=1.0`) and publish it there, or publish to an index that allows direct references with `verify-metadata: false`"),
        )),
        Ok(_) => {}
    }
}

fn field(name: &str, value: &str, out: &mut Vec<Finding>) {
    match name {
        "summary" => {
            if value.chars().count() > 512 {
                out.push(Finding::error(
                    "summary",
                    format!("`Summary` has {} characters; PyPI allows at most 512", value.chars().count()),
                    "shorten `description` in pyproject.toml (the one-line summary) to 512 characters; the long text belongs in the readme",
                ));
            }
            if has_line_break(value) {
                out.push(Finding::error(
                    "summary",
                    "`Summary` spans more than one line; PyPI requires a single line",
                    "make `description` in pyproject.toml (the summary) one line",
                ));
            }
        }
        "description_content_type" => {
            if let Some(why) = invalid_content_type(value) {
                out.push(Finding::error(
                    "description-content-type",
                    format!("`Description-Content-Type: {value}` is invalid: {why}"),
                    "use `text/markdown`, `text/x-rst` or `text/plain` (a readme ending in .md, .rst or .txt sets it)",
                ));
            }
        }
        "home_page" | "download_url" if !value.is_empty() && !valid_url(value) => {
            let header = if name == "home_page" { "Home-page" } else { "Download-URL" };
            out.push(Finding::error(
                "url",
                format!("`{header}: {value}` is not a valid http(s) URL"),
                "give a full `https://` URL in `[project.urls]`, or none (old setuptools wrote `UNKNOWN`: rebuild with a current one)",
            ));
        }
        "author_email" | "maintainer_email" => {
            let header = if name == "author_email" { "Author-email" } else { "Maintainer-email" };
            for (address, why, refused) in super::email::check_field(value) {
                let message = format!("`{header}` has an invalid e-mail address `{address}`: {why}");
                let hint = "fix the e-mail address in `authors`/`maintainers` of pyproject.toml and rebuild";
                out.push(if refused {
                    Finding::error("email", message, hint)
                } else {
                    Finding::warning("email", format!("{message} (PyPI does not check lists of addresses)"), hint)
                });
            }
        }
        "license_expression" => {
            if let Some(why) = super::license::invalid_expression(value) {
                out.push(Finding::error(
                    "license-expression",
                    format!("`License-Expression: {value}` is invalid: {why}"),
                    "write `license` in pyproject.toml as an SPDX expression such as `MIT` or `Apache-2.0 OR MIT` (https://spdx.org/licenses/)",
                ));
            }
        }
        "classifiers" => classifier(value, out),
        "requires_dist" => requirement("Requires-Dist", value, out),
        "provides_dist" => requirement("Provides-Dist", value, out),
        "obsoletes_dist" => requirement("Obsoletes-Dist", value, out),
        "requires_python" => {
            if let Some(bad) = super::requirement::invalid_specifier(value) {
                out.push(Finding::error(
                    "requires-python",
                    format!("`Requires-Python: {value}` is not a valid version specifier (`{bad}`)"),
                    "write `requires-python` as PEP 440 specifiers, e.g. `>=3.9`",
                ));
            }
        }
        "provides_extra" if !slipway_dist::is_valid_project_name(value) => out.push(Finding::error(
            "extra",
            format!("`Provides-Extra: {value}` is not a valid extra name"),
            "name extras with ASCII letters, digits, `.`, `_`, `-` (starting and ending with a letter or digit)",
        )),
        "project_urls" => project_url(value, out),
        "dynamic" => {
            let lower = value.trim().to_ascii_lowercase();
            if matches!(lower.as_str(), "name" | "version" | "metadata-version") {
                out.push(Finding::error(
                    "dynamic",
                    format!("`Dynamic: {value}` is not allowed: name and version must be fixed in the sdist"),
                    "let the build backend write the final name and version into PKG-INFO (a current backend does) and rebuild",
                ));
            } else if !DYNAMIC_ALLOWED.contains(&lower.as_str()) {
                out.push(Finding::error(
                    "dynamic",
                    format!("`Dynamic: {value}` does not name a field that may be dynamic"),
                    REBUILD,
                ));
            }
        }
        "license_file" => {
            let why = if value.contains("..") {
                Some("it must not contain `..`")
            } else if value.contains('*') {
                Some("it must be a resolved path, not a glob")
            } else if value.starts_with('/') || value.starts_with('\\') || value.get(1..2) == Some(":") {
                Some("it must be relative")
            } else if value.contains('\\') {
                Some("it must use `/` as separator")
            } else {
                None
            };
            if let Some(why) = why {
                out.push(Finding::error(
                    "license-file",
                    format!("`License-File: {value}` is invalid: {why}"),
                    "list license files as relative paths in `license-files` and rebuild",
                ));
            }
        }
        "import_name" | "import_namespace" => {
            let (path, option) = value.split_once(';').unwrap_or((value, ""));
            let path = path.trim_end();
            let bad_part = path.split('.').find(|p| !identifier(p) || PY_KEYWORDS.contains(p));
            let bad_option = value.contains(';') && option.trim() != "private";
            if !(path.is_empty() && name == "import_name") && (bad_part.is_some() || bad_option) {
                out.push(Finding::error(
                    "import-name",
                    format!("`{}: {value}` is not a dotted Python name (optionally `; private`)", if name == "import_name" { "Import-Name" } else { "Import-Namespace" }),
                    REBUILD,
                ));
            }
        }
        _ => {}
    }
}

fn classifier(value: &str, out: &mut Vec<Finding>) {
    if value.starts_with("Private ::") {
        out.push(Finding::error(
            "classifier",
            format!("the classifier `{value}` marks the project private: PyPI refuses every `Private ::` classifier"),
            "remove the `Private ::` classifier to publish on PyPI (it is there to prevent exactly that), or publish to a private index with `verify-metadata: false`",
        ));
        return;
    }
    match classifiers::lookup(value) {
        Known::Current => {}
        Known::Deprecated(instead) => out.push(Finding::error(
            "classifier",
            format!("the classifier `{value}` is deprecated; PyPI refuses it"),
            if instead.is_empty() {
                "remove it from `classifiers`".to_string()
            } else {
                format!("use {} instead", instead.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" or "))
            },
        )),
        Known::Unknown => out.push(Finding::warning(
            "classifier",
            format!(
                "the classifier `{value}` is not in the trove classifier list this slipway knows (trove-classifiers {}); PyPI refuses classifiers it does not know",
                classifiers::list_version()
            ),
            "check its spelling against https://pypi.org/classifiers/ (it may be newer than this slipway's list)",
        )),
    }
}

fn project_url(value: &str, out: &mut Vec<Finding>) {
    let (label, url) = value.split_once(',').unwrap_or((value, ""));
    let (label, url) = (label.trim(), url.trim());
    let why = if label.is_empty() {
        Some("it has no label".to_string())
    } else if label.chars().count() > 32 {
        Some(format!("the label `{label}` is longer than 32 characters"))
    } else if url.is_empty() {
        Some("it has no URL (`Label, https://…`)".to_string())
    } else if !valid_url(url) {
        Some(format!("`{url}` is not a valid http(s) URL"))
    } else {
        None
    };
    if let Some(why) = why {
        out.push(Finding::error(
            "project-url",
            format!("`Project-URL: {value}` is invalid: {why}"),
            "give each entry of `[project.urls]` a label of at most 32 characters and a full `https://` URL, then rebuild",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        for ok in [
            "text/markdown",
            "text/markdown; charset=UTF-8; variant=GFM",
            "TEXT/X-RST; charset=utf-8",
            "text/plain; variant=anything",
            "text/markdown; variant=\"CommonMark\"",
            "text/markdown; foo=bar",
        ] {
            assert_eq!(invalid_content_type(ok), None, "{ok}");
        }
        for bad in [
            "text/html",
            "text",
            "text/markdown; charset=latin-1",
            "text/markdown; variant=gfm",
            "text/markdown; GFM",
        ] {
            assert!(invalid_content_type(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(valid_url("https://example.org/a?b=c#d"));
        assert!(valid_url("http://localhost:8080"));
        for bad in [
            "UNKNOWN",
            "ftp://x.org",
            "https://x.org/a b",
            "example.org",
            "https://x.org/ü",
        ] {
            assert!(!valid_url(bad), "{bad}");
        }
    }
}
