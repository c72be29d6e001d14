//! Pre-flight: every rule PyPI applies to an upload that can be checked without the index,
//! run on every dist before the first request. File names ([`names`]), archives
//! ([`slipway_dist::inspect`]), and the metadata as it will be sent ([`fields`]).

pub mod classifiers;
pub mod email;
pub mod fields;
pub mod license;
pub mod names;
pub mod requirement;

use slipway_dist::{DistKind, Finding, Inspected, normalize_name};

use crate::metadata::{DistMetadata, MetadataForm};

/// What the rules need to know about the destination.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The index is PyPI or TestPyPI (whose accepted Metadata-Versions are known).
    pub pypi: bool,
}

/// One dist's findings, named by its file.
#[derive(Debug, Clone)]
pub struct DistFindings {
    /// The file name.
    pub filename: String,
    /// What is wrong with it.
    pub findings: Vec<Finding>,
}

/// Every finding for one dist: its archive, its file name, its metadata as `form` sends it,
/// and the `License-File` entries the archive must hold.
pub fn check_dist(
    inspected: &Inspected,
    meta: &DistMetadata,
    form: &MetadataForm,
    ctx: &Context,
) -> Vec<Finding> {
    let mut findings = inspected.findings.clone();
    let name = meta.get("Name").unwrap_or_default();
    let version = meta.get("Version").unwrap_or_default();
    findings.extend(names::check(&inspected.file, name, version));
    findings.extend(fields::check(meta, form, &inspected.file, ctx));
    if inspected.metadata.has_two_descriptions() {
        findings.push(Finding::warning(
            "description",
            "the metadata has both a `Description` header and a body; the body is sent as the description",
            "rebuild with a current build backend, which writes the description once",
        ));
    }
    if let Some(root) = &inspected.license_root {
        for (_, file) in form.fields.iter().filter(|(k, _)| k == "license_file") {
            let wanted = format!("{root}/{file}");
            if !inspected
                .members
                .iter()
                .any(|m| m.trim_start_matches("./") == wanted)
            {
                findings.push(Finding::error(
                    "license-file",
                    format!(
                        "`License-File: {file}` is not in the archive (PyPI looks for `{wanted}`)"
                    ),
                    "rebuild with a current build backend, which copies the license files it lists",
                ));
            }
        }
    }
    findings
}

/// Findings across the dists: PyPI takes one sdist per release.
pub fn check_set(dists: &[(&Inspected, &DistMetadata)]) -> Vec<DistFindings> {
    let mut out = Vec::new();
    let mut seen: Vec<(String, String, &str)> = Vec::new();
    for (inspected, meta) in dists.iter().filter(|(i, _)| i.file.kind == DistKind::Sdist) {
        let key = (
            normalize_name(meta.get("Name").unwrap_or_default()),
            meta.get("Version").unwrap_or_default().trim().to_string(),
        );
        if let Some((_, _, first)) = seen.iter().find(|(n, v, _)| (n, v) == (&key.0, &key.1)) {
            out.push(DistFindings {
                filename: inspected.file.filename.clone(),
                findings: vec![Finding::error(
                    "one-sdist",
                    format!("`{first}` is an sdist of the same release; PyPI takes one sdist per release"),
                    "publish one sdist per version (delete the extra one, e.g. a `.zip` next to the `.tar.gz`)",
                )],
            });
        } else {
            seen.push((key.0, key.1, &inspected.file.filename));
        }
    }
    out
}

/// The findings as report lines: `` `file`: [rule] message `` with the fix as a `hint:` line
/// that names the file too (the runner gathers hints at the end of the report).
pub fn render(findings: &[DistFindings], errors: bool) -> String {
    let mut lines = Vec::new();
    for dist in findings {
        for f in dist.findings.iter().filter(|f| f.is_error() == errors) {
            lines.push(format!("  - `{}`: {f}", dist.filename));
            lines.push(format!("hint: `{}`: {}", dist.filename, f.hint));
        }
    }
    lines.join("\n")
}
