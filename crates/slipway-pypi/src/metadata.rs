//! Core metadata as the legacy upload API wants it: the field table (form name, multi-use, the
//! Metadata-Version that introduced it) and the form fields of one dist. The checks PyPI applies
//! before it accepts an upload are in [`crate::preflight`].

/// The Metadata-Version values the field table covers (`packaging.metadata` knows them), oldest
/// first. 2.6 (PEP 808) added no field.
pub const KNOWN_METADATA_VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
];

/// The Metadata-Version values PyPI accepts today (`SUPPORTED_METADATA_VERSIONS` in its upload
/// code); for a version the table knows, anything else is refused by PyPI and TestPyPI.
pub const PYPI_METADATA_VERSIONS: &[&str] =
    &["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];

/// A `Metadata-Version` value as `(major, minor)`, when it has that shape (`2.1`).
pub fn parse_metadata_version(value: &str) -> Option<(u32, u32)> {
    let (major, minor) = value.trim().split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Where a declared Metadata-Version stands against the field table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStanding {
    /// In the table.
    Known,
    /// Newer than every version in the table: the newest known version's fields are sent.
    Newer,
    /// Not in the table but not newer either (`2.0`, which no specification defines).
    Unknown,
    /// Not `major.minor` at all.
    Malformed,
}

/// Where `value` stands against [`KNOWN_METADATA_VERSIONS`].
pub fn version_standing(value: &str) -> VersionStanding {
    let Some(parsed) = parse_metadata_version(value) else {
        return VersionStanding::Malformed;
    };
    let newest = KNOWN_METADATA_VERSIONS
        .iter()
        .filter_map(|v| parse_metadata_version(v))
        .max()
        .unwrap_or((0, 0));
    if KNOWN_METADATA_VERSIONS
        .iter()
        .any(|v| parse_metadata_version(v) == Some(parsed))
    {
        VersionStanding::Known
    } else if parsed > newest {
        VersionStanding::Newer
    } else {
        VersionStanding::Unknown
    }
}

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
/// Metadata-Version are left out (PyPI would answer 400) and listed in `omitted_newer`; a
/// version newer than the table gets every field the table knows, a malformed one every field.
pub fn metadata_form(meta: &DistMetadata) -> MetadataForm {
    let declared = parse_metadata_version(meta.metadata_version());
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
        let added = parse_metadata_version(spec.added);
        if let (Some(declared), Some(added)) = (declared, added)
            && added > declared
        {
            let label = format!("{} ({})", spec.header, spec.added);
            if !form.omitted_newer.contains(&label) {
                form.omitted_newer.push(label);
            }
            continue;
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

/// PEP 503 normalisation (the one in `slipway-dist`, checked against `packaging.utils`).
pub use slipway_dist::normalize_name;

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
    fn versions_newer_than_the_table_send_every_known_field() {
        assert_eq!(version_standing("2.4"), VersionStanding::Known);
        assert_eq!(version_standing("2.6"), VersionStanding::Known);
        assert_eq!(version_standing("2.7"), VersionStanding::Newer);
        assert_eq!(version_standing("10.0"), VersionStanding::Newer);
        assert_eq!(version_standing("2.0"), VersionStanding::Unknown);
        assert_eq!(version_standing("2"), VersionStanding::Malformed);
        assert_eq!(version_standing("2.x"), VersionStanding::Malformed);
        let fields = [
            ("Name", "demo"),
            ("Version", "1.0"),
            ("License-Expression", "MIT"),
            ("Import-Name", "demo"),
            ("Provides-Extra", "x"),
        ];
        let form = |mv: &str| {
            let mut all = vec![("Metadata-Version", mv)];
            all.extend(fields);
            metadata_form(&meta(&all, None))
        };
        let newer = form("2.10");
        assert_eq!(newer.fields.len(), 6);
        assert!(newer.omitted_newer.is_empty());
        let old = form("2.0");
        assert_eq!(
            old.omitted_newer,
            [
                "License-Expression (2.4)",
                "Import-Name (2.5)",
                "Provides-Extra (2.1)"
            ]
        );
        assert_eq!(form("2.5").omitted_newer, Vec::<String>::new());
        assert_eq!(form("2.4").omitted_newer, ["Import-Name (2.5)"]);
    }

    #[test]
    fn names_normalise() {
        // As packaging.utils.canonicalize_name: a trailing separator stays as `-`.
        assert_eq!(normalize_name("Foo.Bar__baz-"), "foo-bar-baz-");
        assert_eq!(normalize_name("a-_.b"), "a-b");
    }
}
