//! The local side: the dists in `packages-dir`, their metadata checked the way PyPI checks it,
//! their hashes, their attestations, and the expected version — all before anything is sent.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use slipway_dist::{DistFile, DistKind, Hashes};
use slipway_runner::Commands;

use crate::metadata::{DistMetadata, metadata_form};
use crate::preflight::{self, DistFindings};

/// A dist ready to upload: its file name facts, metadata, hashes and optional attestation.
#[derive(Debug, Clone)]
pub struct LocalDist {
    /// What the file name says.
    pub file: DistFile,
    /// What the archive's METADATA/PKG-INFO says.
    pub metadata: DistMetadata,
    /// Digests and size, computed by reading the file once.
    pub hashes: Hashes,
    /// The `<dist>.publish.attestation` file beside it, when attestations are enabled.
    pub attestation: Option<PathBuf>,
}

impl LocalDist {
    /// The project name from the metadata.
    pub fn name(&self) -> &str {
        self.metadata.get("Name").unwrap_or(&self.file.name).trim()
    }

    /// The version from the metadata.
    pub fn version(&self) -> &str {
        self.metadata
            .get("Version")
            .unwrap_or(&self.file.version)
            .trim()
    }

    /// The upload form's fields for this dist, in order, without `content`; plus the headers
    /// left out because the declared Metadata-Version predates them.
    pub fn form_fields(&self) -> Result<FormFields, LocalError> {
        let meta = metadata_form(&self.metadata);
        let pyversion = match self.file.kind {
            DistKind::Wheel => self.file.python_tag.clone(),
            DistKind::Sdist => "source".to_string(),
        };
        let mut fields = vec![
            (":action".to_string(), "file_upload".to_string()),
            ("protocol_version".to_string(), "1".to_string()),
            (
                "filetype".to_string(),
                self.file.kind.filetype().to_string(),
            ),
            ("pyversion".to_string(), pyversion),
        ];
        fields.extend(meta.fields);
        fields.push(("sha256_digest".to_string(), self.hashes.sha256.clone()));
        fields.push((
            "blake2_256_digest".to_string(),
            self.hashes.blake2_256.clone(),
        ));
        if let Some(path) = &self.attestation {
            let text = std::fs::read_to_string(path).map_err(|source| LocalError::Io {
                path: path.clone(),
                source,
            })?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| LocalError::BadAttestation {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            fields.push((
                "attestations".to_string(),
                serde_json::Value::Array(vec![value]).to_string(),
            ));
        }
        Ok(FormFields {
            fields,
            omitted_newer: meta.omitted_newer,
        })
    }
}

/// The form fields of one upload and what was left out of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormFields {
    /// `(name, value)` pairs in the order sent, before `content`.
    pub fields: Vec<(String, String)>,
    /// Headers newer than the declared Metadata-Version (`License-File (2.4)`), not sent.
    pub omitted_newer: Vec<String>,
}

/// A problem with the local files, found before any upload.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// `packages-dir` does not exist or is not a directory.
    #[error(
        "the packages directory `{}` does not exist\nhint: build first (e.g. `python -m build`) or download the release's assets into it, or set `packages-dir`",
        .0.display()
    )]
    MissingDir(PathBuf),
    /// `packages-dir` holds no dists.
    #[error(
        "no distribution files (`*.whl`, `*.tar.gz`) in `{}`{}\nhint: build first (e.g. `python -m build`), or point `packages-dir` at the directory holding them",
        dir.display(),
        if ignored.is_empty() { String::new() } else { format!(" (ignored: {})", ignored.join(", ")) }
    )]
    NoDists {
        /// The directory.
        dir: PathBuf,
        /// The other files found there.
        ignored: Vec<String>,
    },
    /// A dist could not be read.
    #[error(transparent)]
    Dist(#[from] slipway_dist::DistError),
    /// Reading a file failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An attestation file that is not JSON.
    #[error("the attestation `{}` is not valid JSON: {reason}", path.display())]
    BadAttestation {
        /// The file.
        path: PathBuf,
        /// The parser's reason.
        reason: String,
    },
    /// Dists the index would refuse (or that are broken), found before any request.
    #[error(
        "{} the index would refuse; nothing was uploaded:\n{}\nhint: to send them anyway (a private index with other rules), set `verify-metadata: false`",
        if files.len() == 1 { format!("`{}` has problems", files[0].filename) } else { format!("{} dists have problems", files.len()) },
        preflight::render(files, true)
    )]
    Refused {
        /// Each dist with an error, and its findings.
        files: Vec<DistFindings>,
    },
    /// Dists whose version is not the expected one.
    #[error(
        "expected version `{expected}`, but {}; nothing was uploaded\nhint: publish the dists built for `{expected}` (a release and its PyPI version must agree), or fix `expected-version`",
        found.iter().map(|(f, v)| format!("`{f}` has version `{v}`")).collect::<Vec<_>>().join(", ")
    )]
    UnexpectedVersion {
        /// The expected version.
        expected: String,
        /// `(file, version)` of each dist that differs.
        found: Vec<(String, String)>,
    },
    /// `expected-version` is not a PEP 440 version.
    #[error(
        "`expected-version` `{0}` is not a valid PEP 440 version\nhint: write it as `1.2.3` (a leading `v` is accepted)"
    )]
    BadExpectedVersion(String),
}

/// What the local scan asks for.
#[derive(Debug, Clone, Default)]
pub struct LocalOptions {
    /// Refuse dists the index would refuse (else they are sent with a warning).
    pub verify_metadata: bool,
    /// The index is PyPI or TestPyPI, whose accepted Metadata-Versions are known.
    pub pypi: bool,
    /// Every dist must carry this version.
    pub expected_version: Option<String>,
    /// Send `<dist>.publish.attestation` files.
    pub attestations: bool,
}

fn same_version(a: &str, b: &str) -> bool {
    match (
        pep440_rs::Version::from_str(a.trim()),
        pep440_rs::Version::from_str(b.trim()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// Finds, reads, checks and hashes the dists in `dir`, sdists first. Non-dists are ignored
/// with a notice; no dists at all, unreadable dists, dists the index would refuse (every rule
/// [`preflight`] knows, for every dist, before anything is sent) and a version other than the
/// expected one are errors. Nothing touches the network.
pub fn scan(
    dir: &Path,
    options: &LocalOptions,
    commands: &Commands,
) -> Result<Vec<LocalDist>, LocalError> {
    if !dir.is_dir() {
        return Err(LocalError::MissingDir(dir.to_path_buf()));
    }
    if let Some(expected) = &options.expected_version {
        pep440_rs::Version::from_str(expected.trim())
            .map_err(|_| LocalError::BadExpectedVersion(expected.clone()))?;
    }
    let found = slipway_dist::find_dists(dir)?;
    let attestation_of = |d: &DistFile| {
        let mut name = d.path.as_os_str().to_owned();
        name.push(".publish.attestation");
        PathBuf::from(name)
    };
    let attestations: Vec<PathBuf> = found.dists.iter().map(attestation_of).collect();
    let mut ignored = Vec::new();
    for entry in &found.ignored {
        if options.attestations && attestations.contains(&entry.path) {
            continue;
        }
        let name = entry
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        commands.notice(&format!(
            "ignoring `{}` in `{}`: {}",
            name.escape_debug(),
            dir.display(),
            entry.reason
        ));
        ignored.push(name);
    }
    if found.dists.is_empty() {
        return Err(LocalError::NoDists {
            dir: dir.to_path_buf(),
            ignored,
        });
    }
    let ctx = preflight::Context { pypi: options.pypi };
    let mut read = Vec::new();
    for file in &found.dists {
        let inspected = slipway_dist::inspect(&file.path)?;
        let metadata = DistMetadata {
            fields: inspected.metadata.fields().to_vec(),
            description: inspected.metadata.description().map(str::to_string),
        };
        read.push((inspected, metadata));
    }
    let mut all: Vec<DistFindings> = read
        .iter()
        .map(|(inspected, meta)| {
            let form = metadata_form(meta);
            if !form.unknown.is_empty() {
                commands.notice(&format!(
                    "`{}`: not core metadata, so not sent: {}",
                    inspected.file.filename,
                    form.unknown.join(", ")
                ));
            }
            DistFindings {
                filename: inspected.file.filename.clone(),
                findings: preflight::check_dist(inspected, meta, &form, &ctx),
            }
        })
        .collect();
    let pairs: Vec<_> = read.iter().map(|(i, m)| (i, m)).collect();
    all.extend(preflight::check_set(&pairs));
    report_findings(all, options.verify_metadata, commands)?;
    let mut dists = Vec::new();
    for (inspected, metadata) in read {
        let file = inspected.file;
        let attestation =
            Some(attestation_of(&file)).filter(|p| options.attestations && p.is_file());
        dists.push(LocalDist {
            file,
            metadata,
            hashes: Hashes {
                sha256: String::new(),
                blake2_256: String::new(),
                size: 0,
            },
            attestation,
        });
    }
    if let Some(expected) = &options.expected_version {
        let found: Vec<(String, String)> = dists
            .iter()
            .filter(|d| !same_version(d.version(), expected))
            .map(|d| (d.file.filename.clone(), d.version().to_string()))
            .collect();
        if !found.is_empty() {
            return Err(LocalError::UnexpectedVersion {
                expected: expected.clone(),
                found,
            });
        }
    }
    // Hash last: everything cheap has been checked. Each digest is computed on its own thread.
    let paths: Vec<PathBuf> = dists.iter().map(|d| d.file.path.clone()).collect();
    for (dist, hashes) in dists.iter_mut().zip(crate::hashing::hash_files(&paths)?) {
        dist.hashes = hashes;
    }
    Ok(dists)
}

/// Prints warnings; errors fail the scan, or with `verify-metadata: false` become warnings
/// that say the file is sent anyway.
fn report_findings(
    all: Vec<DistFindings>,
    verify: bool,
    commands: &Commands,
) -> Result<(), LocalError> {
    let mut refused = Vec::new();
    for dist in all {
        for f in &dist.findings {
            if !f.is_error() {
                commands.warning(&format!("`{}`: {f}\nhint: {}", dist.filename, f.hint));
            } else if !verify {
                commands.warning(&format!(
                    "`{}`: {f}; sent anyway because `verify-metadata` is false (PyPI would refuse it)",
                    dist.filename
                ));
            }
        }
        if verify && dist.findings.iter().any(slipway_dist::Finding::is_error) {
            refused.push(dist);
        }
    }
    if refused.is_empty() {
        Ok(())
    } else {
        Err(LocalError::Refused { files: refused })
    }
}

/// The form fields for the debug log: `name=value`, long values cut (the description, an
/// attestation). The form holds no secret.
pub fn describe_form(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| {
            let short: String = v.chars().take(60).collect();
            let cut = if short.len() < v.len() { "…" } else { "" };
            format!("{k}={short:?}{cut}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The version the dists carry: the one version, or the distinct versions comma-separated.
pub fn common_version(dists: &[LocalDist]) -> String {
    let mut versions: Vec<&str> = Vec::new();
    for d in dists {
        if !versions.contains(&d.version()) {
            versions.push(d.version());
        }
    }
    versions.join(", ")
}
