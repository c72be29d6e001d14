//! Core metadata as the legacy upload API wants it: the field table (form name, multi-use, the
//! Metadata-Version that introduced it), the form fields of one dist, and the checks PyPI applies
//! before it accepts an upload.

use std::str::FromStr;

/// The Metadata-Version values PyPI knows (`packaging.metadata`), oldest first.
pub const KNOWN_METADATA_VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
];

/// One core-metadata field and how it travels in the upload form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The header as written in METADATA/PKG-INFO (`Requires-Dist`).
    pub header: &'static str,
    /// The form field name (`requires_dist`).
    pub form: &'static str,
    /// Whether the field may occur more than once (sent repeated).
    pub multi: bool,
    /// The Metadata-Version that introduced the field.
    pub added: &'static str,
}

const fn f(
    header: &'static str,
    form: &'static str,
    multi: bool,
    added: &'static str,
) -> FieldSpec {
    FieldSpec {
        header,
        form,
        multi,
        added,
    }
}

/// Every core-metadata field, in the order of the specification, with its upload-form name.
pub const FIELDS: &[FieldSpec] = &[
    f("Metadata-Version", "metadata_version", false, "1.0"),
    f("Name", "name", false, "1.0"),
    f("Version", "version", false, "1.0"),
    f("Dynamic", "dynamic", true, "2.2"),
    f("Platform", "platform", true, "1.0"),
    f("Supported-Platform", "supported_platform", true, "1.1"),
    f("Summary", "summary", false, "1.0"),
    f("Description", "description", false, "1.0"),
    f(
        "Description-Content-Type",
        "description_content_type",
        false,
        "2.1",
    ),
    f("Keywords", "keywords", false, "1.0"),
    f("Home-page", "home_page", false, "1.0"),
    f("Download-URL", "download_url", false, "1.1"),
    f("Author", "author", false, "1.0"),
    f("Author-email", "author_email", false, "1.0"),
    f("Maintainer", "maintainer", false, "1.2"),
    f("Maintainer-email", "maintainer_email", false, "1.2"),
    f("License", "license", false, "1.0"),
    f("License-Expression", "license_expression", false, "2.4"),
    f("License-File", "license_file", true, "2.4"),
    f("Classifier", "classifiers", true, "1.1"),
    f("Requires-Dist", "requires_dist", true, "1.2"),
    f("Requires-Python", "requires_python", false, "1.2"),
    f("Requires-External", "requires_external", true, "1.2"),
    f("Project-URL", "project_urls", true, "1.2"),
    f("Provides-Extra", "provides_extra", true, "2.1"),
    f("Provides-Dist", "provides_dist", true, "1.2"),
    f("Obsoletes-Dist", "obsoletes_dist", true, "1.2"),
    f("Import-Name", "import_name", true, "2.5"),
    f("Import-Namespace", "import_namespace", true, "2.5"),
    f("Requires", "requires", true, "1.1"),
    f("Provides", "provides", true, "1.1"),
    f("Obsoletes", "obsoletes", true, "1.1"),
];

/// The spec of a header, matched case-insensitively (`home-page` and `Home-Page` both occur).
pub fn field_spec(header: &str) -> Option<&'static FieldSpec> {
    FIELDS
        .iter()
        .find(|s| s.header.eq_ignore_ascii_case(header))
}

fn version_index(version: &str) -> Option<usize> {
    KNOWN_METADATA_VERSIONS.iter().position(|v| *v == version)
}

/// The metadata of one dist, as read from its METADATA/PKG-INFO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistMetadata {
    /// Every header in file order (name as written, value unfolded).
    pub fields: Vec<(String, String)>,
    /// The description: the message body, or the `Description` header when there is no body.
    pub description: Option<String>,
}

impl DistMetadata {
    /// The first value of a header (case-insensitive), if present.
    pub fn get(&self, header: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(header))
            .map(|(_, v)| v.as_str())
    }

    /// The declared Metadata-Version, trimmed (empty when missing).
    pub fn metadata_version(&self) -> &str {
        self.get("Metadata-Version").unwrap_or("").trim()
    }
}

/// The metadata part of an upload form, and what was left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataForm {
    /// `(form name, value)` pairs in the order they are sent; list fields repeated.
    pub fields: Vec<(String, String)>,
    /// Headers left out because the declared Metadata-Version predates them (`License-File (2.4)`).
    pub omitted_newer: Vec<String>,
    /// Headers that are not core metadata and are not sent.
    pub unknown: Vec<String>,
}

/// Builds the metadata fields of the upload form: every known header in its snake_case form (list
/// fields repeated, in file order), the description last. Fields newer than the declared
/// Metadata-Version are left out (PyPI would answer 400) and listed in `omitted_newer`.
pub fn metadata_form(meta: &DistMetadata) -> MetadataForm {
    let declared = version_index(meta.metadata_version());
    let mut form = MetadataForm::default();
    for (header, value) in &meta.fields {
        let Some(spec) = field_spec(header) else {
            if !form.unknown.iter().any(|u| u.eq_ignore_ascii_case(header)) {
                form.unknown.push(header.clone());
            }
            continue;
        };
        if spec.header == "Description" {
            continue;
        }
        let added = version_index(spec.added);
        if let (Some(declared), Some(added)) = (declared, added) {
            if added > declared {
                let label = format!("{} ({})", spec.header, spec.added);
                if !form.omitted_newer.contains(&label) {
                    form.omitted_newer.push(label);
                }
                continue;
            }
        }
        if !spec.multi && form.fields.iter().any(|(k, _)| k == spec.form) {
            // A single-use field given twice: PyPI rejects it; verification reports it.
            continue;
        }
        form.fields.push((spec.form.to_string(), value.clone()));
    }
    if let Some(description) = &meta.description {
        form.fields
            .push(("description".to_string(), description.clone()));
    }
    form
}

/// What PyPI would reject in a dist's metadata, found before any upload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataProblem {
    /// A required header is absent or empty.
    #[error("the required field `{0}` is missing")]
    Missing(&'static str),
    /// The Metadata-Version is not one PyPI knows.
    #[error(
        "`Metadata-Version: {0}` is not a known metadata version (known: 1.0, 1.1, 1.2, 2.1 to 2.6)"
    )]
    UnknownMetadataVersion(String),
    /// The version does not parse as PEP 440.
    #[error("the version `{version}` is not a valid PEP 440 version: {reason}")]
    InvalidVersion {
        /// The version as written.
        version: String,
        /// The parser's reason.
        reason: String,
    },
    /// The file name and the metadata disagree on the name.
    #[error("the file name says project `{filename}` but the metadata says `{metadata}`")]
    NameMismatch {
        /// Name from the file name.
        filename: String,
        /// Name from the metadata.
        metadata: String,
    },
    /// The file name and the metadata disagree on the version.
    #[error("the file name says version `{filename}` but the metadata says `{metadata}`")]
    VersionMismatch {
        /// Version from the file name.
        filename: String,
        /// Version from the metadata.
        metadata: String,
    },
    /// The Description-Content-Type is not one PyPI renders.
    #[error(
        "`Description-Content-Type: {0}` is not valid (PyPI accepts text/plain, text/x-rst or text/markdown, with an optional charset=UTF-8 and, for markdown, variant=GFM or CommonMark)"
    )]
    ContentType(String),
    /// A single-use field occurs more than once.
    #[error("the field `{0}` occurs more than once")]
    Repeated(String),
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn valid_content_type(value: &str) -> bool {
    let mut parts = value.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    if !matches!(mime.as_str(), "text/plain" | "text/x-rst" | "text/markdown") {
        return false;
    }
    for param in parts.filter(|p| !p.is_empty()) {
        let Some((key, val)) = param.split_once('=') else {
            return false;
        };
        let (key, val) = (
            key.trim().to_ascii_lowercase(),
            val.trim().trim_matches('"'),
        );
        match key.as_str() {
            "charset" if val.eq_ignore_ascii_case("utf-8") => {}
            "variant" if mime == "text/markdown" && matches!(val, "GFM" | "CommonMark") => {}
            _ => return false,
        }
    }
    true
}

/// Checks what PyPI checks before accepting a file: required fields, a known Metadata-Version,
/// a PEP 440 version, a valid Description-Content-Type, single-use fields used once, and the
/// file name agreeing with the metadata on name and version. Returns every problem found.
pub fn verify_metadata(
    meta: &DistMetadata,
    filename_name: &str,
    filename_version: &str,
) -> Vec<MetadataProblem> {
    let mut problems = Vec::new();
    for required in ["Metadata-Version", "Name", "Version"] {
        if meta.get(required).is_none_or(|v| v.trim().is_empty()) {
            problems.push(MetadataProblem::Missing(required));
        }
    }
    let mv = meta.metadata_version();
    if !mv.is_empty() && version_index(mv).is_none() {
        problems.push(MetadataProblem::UnknownMetadataVersion(mv.to_string()));
    }
    let name = meta.get("Name").unwrap_or("").trim();
    let version = meta.get("Version").unwrap_or("").trim();
    let parsed = if version.is_empty() {
        None
    } else {
        match pep440_rs::Version::from_str(version) {
            Ok(v) => Some(v),
            Err(e) => {
                problems.push(MetadataProblem::InvalidVersion {
                    version: version.to_string(),
                    reason: e.to_string(),
                });
                None
            }
        }
    };
    if !name.is_empty() && normalize_name(name) != normalize_name(filename_name) {
        problems.push(MetadataProblem::NameMismatch {
            filename: filename_name.to_string(),
            metadata: name.to_string(),
        });
    }
    if let Some(parsed) = parsed {
        let same = pep440_rs::Version::from_str(filename_version)
            .map(|f| f == parsed)
            .unwrap_or(false);
        if !same {
            problems.push(MetadataProblem::VersionMismatch {
                filename: filename_version.to_string(),
                metadata: version.to_string(),
            });
        }
    }
    if let Some(ct) = meta.get("Description-Content-Type") {
        if !valid_content_type(ct) {
            problems.push(MetadataProblem::ContentType(ct.to_string()));
        }
    }
    for spec in FIELDS.iter().filter(|s| !s.multi) {
        let count = meta
            .fields
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(spec.header))
            .count();
        if count > 1 {
            problems.push(MetadataProblem::Repeated(spec.header.to_string()));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(fields: &[(&str, &str)], description: Option<&str>) -> DistMetadata {
        DistMetadata {
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            description: description.map(str::to_string),
        }
    }

    #[test]
    fn form_repeats_lists_and_drops_newer_fields() {
        let m = meta(
            &[
                ("Metadata-Version", "2.1"),
                ("Name", "demo"),
                ("Version", "1.0"),
                ("Classifier", "A"),
                ("Classifier", "B"),
                ("License-File", "LICENSE"),
                ("Project-URL", "Home, https://x"),
                ("home-page", "https://h"),
                ("X-Custom", "1"),
            ],
            Some("body"),
        );
        let form = metadata_form(&m);
        let names: Vec<&str> = form.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "metadata_version",
                "name",
                "version",
                "classifiers",
                "classifiers",
                "project_urls",
                "home_page",
                "description"
            ]
        );
        assert_eq!(form.omitted_newer, ["License-File (2.4)"]);
        assert_eq!(form.unknown, ["X-Custom"]);
    }

    #[test]
    fn verification_finds_what_pypi_rejects() {
        let ok = meta(
            &[
                ("Metadata-Version", "2.4"),
                ("Name", "My.Pkg"),
                ("Version", "1.0.0"),
                (
                    "Description-Content-Type",
                    "text/markdown; charset=UTF-8; variant=GFM",
                ),
            ],
            None,
        );
        assert_eq!(verify_metadata(&ok, "my_pkg", "1.0"), []);
        let bad = meta(
            &[
                ("Metadata-Version", "3.0"),
                ("Name", "other"),
                ("Version", "1.0-banana"),
                ("Summary", "a"),
                ("Summary", "b"),
                ("Description-Content-Type", "text/html"),
            ],
            None,
        );
        let problems = verify_metadata(&bad, "demo", "1.0");
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(matches!(
            problems[0],
            MetadataProblem::UnknownMetadataVersion(_)
        ));
        let missing = verify_metadata(&meta(&[], None), "demo", "1.0");
        assert_eq!(missing.len(), 3);
    }

    #[test]
    fn names_normalise() {
        assert_eq!(normalize_name("Foo.Bar__baz-"), "foo-bar-baz");
        assert_eq!(normalize_name("a-_.b"), "a-b");
    }
}
