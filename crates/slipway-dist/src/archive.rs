//! Reading a dist's core metadata, and checking its archive the way PyPI checks it: a wheel's
//! `.dist-info` (`WHEEL`, `METADATA`, `RECORD`, `entry_points.txt`) and compression, an sdist's
//! single top-level directory holding `PKG-INFO`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path};

use crate::filename::normalize_name;
use crate::{CoreMetadata, DistError, DistFile, DistKind, Finding};

/// Metadata larger than this is refused rather than read into memory (PyPI's limits are far lower).
const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;
/// PyPI refuses a zip that decompresses to more than this *and* more than 50 times its size.
const ZIP_BOMB_MIN: u64 = 64 * 1024 * 1024;
const ZIP_BOMB_RATIO: u64 = 50;

/// A dist read for publishing: its name facts, metadata, and what its archive holds.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// What the file name says.
    pub file: DistFile,
    /// The core metadata.
    pub metadata: CoreMetadata,
    /// The archive member the metadata came from.
    pub metadata_member: String,
    /// The file members (not directories) of the archive, as named in it.
    pub members: Vec<String>,
    /// Where `License-File` paths are relative to: a wheel's `{name}-{version}.dist-info/licenses`,
    /// an sdist's top-level directory.
    pub license_root: Option<String>,
    /// What is wrong with the archive (errors and warnings), found without the index.
    pub findings: Vec<Finding>,
}

/// Reads a dist's core metadata: a wheel's `{name}-{version}.dist-info/METADATA`, an sdist's
/// top-level `{dir}/PKG-INFO`.
pub fn read_metadata(path: &Path) -> Result<(DistFile, CoreMetadata), DistError> {
    let inspected = inspect(path)?;
    Ok((inspected.file, inspected.metadata))
}

/// Reads a dist's metadata and checks its archive (see the module documentation). A file that
/// cannot be read at all, or has no metadata, is an error; everything else is a finding.
pub fn inspect(path: &Path) -> Result<Inspected, DistError> {
    let dist = DistFile::from_path(path)?;
    let io = |source| DistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let zip_sdist = dist.filename.to_ascii_lowercase().ends_with(".zip");
    let read = match dist.kind {
        DistKind::Wheel => read_wheel(&dist, file)?,
        DistKind::Sdist if zip_sdist => read_zip_sdist(&dist, file)?,
        DistKind::Sdist => read_tar_sdist(&dist, file)?,
    };
    let origin = format!("{}!{}", path.display(), read.member);
    let text = String::from_utf8(read.bytes).map_err(|e| DistError::BadMetadata {
        origin: Some(origin.clone()),
        reason: format!("it is not UTF-8 ({e})"),
    })?;
    let metadata = CoreMetadata::parse(&text).map_err(|e| e.with_origin(origin))?;
    Ok(Inspected {
        file: dist,
        metadata,
        metadata_member: read.member,
        members: read.members,
        license_root: read.license_root,
        findings: read.findings,
    })
}

/// What reading one archive produced.
struct ReadArchive {
    member: String,
    bytes: Vec<u8>,
    members: Vec<String>,
    license_root: Option<String>,
    findings: Vec<Finding>,
}

fn bad_archive(dist: &DistFile, format: &'static str, reason: impl ToString) -> DistError {
    DistError::BadArchive {
        path: dist.path.clone(),
        format,
        reason: reason.to_string(),
    }
}

fn read_limited(
    dist: &DistFile,
    format: &'static str,
    member: &str,
    reader: impl Read,
) -> Result<Vec<u8>, DistError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad_archive(dist, format, format!("reading `{member}`: {e}")))?;
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(DistError::BadMetadata {
            origin: Some(format!("{}!{member}", dist.path.display())),
            reason: format!("it is larger than {MAX_METADATA_BYTES} bytes"),
        });
    }
    Ok(bytes)
}

type Zip = zip::ZipArchive<BufReader<File>>;

fn open_zip(dist: &DistFile, file: File) -> Result<Zip, DistError> {
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad_archive(dist, "zip", e))
}

fn read_zip_member(dist: &DistFile, archive: &mut Zip, member: &str) -> Result<Vec<u8>, DistError> {
    let entry = archive
        .by_name(member)
        .map_err(|e| bad_archive(dist, "zip", format!("opening `{member}`: {e}")))?;
    read_limited(dist, "zip", member, entry)
}

const REBUILD: &str = "rebuild the dist with a current build backend (e.g. `python -m build`) instead of editing or repacking the archive";

/// The zip-level checks PyPI makes on wheels and zip sdists: only stored or deflated members,
/// and no zip bomb.
fn zip_findings(dist: &DistFile, archive: &mut Zip) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut unpacked = 0u64;
    let mut odd = Vec::new();
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else {
            continue;
        };
        unpacked += entry.size();
        if !matches!(
            entry.compression(),
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
        ) {
            let name = entry
                .name()
                .map(std::borrow::Cow::into_owned)
                .unwrap_or_default();
            odd.push(format!("`{name}` ({})", entry.compression()));
        }
    }
    if !odd.is_empty() {
        odd.truncate(3);
        findings.push(Finding::error(
            "zip-compression",
            format!(
                "members are compressed with a method PyPI refuses (only stored and deflate are accepted): {}",
                odd.join(", ")
            ),
            REBUILD,
        ));
    }
    let size = std::fs::metadata(&dist.path)
        .map(|m| m.len())
        .unwrap_or(0)
        .max(1);
    if unpacked > ZIP_BOMB_MIN && unpacked / size > ZIP_BOMB_RATIO {
        findings.push(Finding::error(
            "zip-ratio",
            format!(
                "it unpacks to {unpacked} bytes, more than {ZIP_BOMB_RATIO} times its size: PyPI refuses it as a possible zip bomb"
            ),
            "keep large generated data out of the dist, or store it compressed in a file of its own",
        ));
    }
    findings
}

fn read_wheel(dist: &DistFile, file: File) -> Result<ReadArchive, DistError> {
    let mut archive = open_zip(dist, file)?;
    let members: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(std::borrow::Cow::into_owned)
        .collect();
    let mut findings = zip_findings(dist, &mut archive);
    // PyPI looks for the `.dist-info` directory spelled exactly as the file name starts.
    let mut parts = dist.filename.splitn(3, '-');
    let dist_info = format!(
        "{}-{}.dist-info",
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default()
    );
    let expected = format!("{dist_info}/METADATA");
    // Tools differ on case and escaping: fall back to the top-level `*.dist-info/METADATA` whose
    // name normalizes the same (and say PyPI will not find it).
    let wanted = normalize_name(&dist.name);
    let member = members
        .iter()
        .filter(|n| {
            n.strip_suffix(".dist-info/METADATA")
                .filter(|dir| !dir.contains('/'))
                .and_then(|dir| dir.rsplit_once('-'))
                .is_some_and(|(name, _)| normalize_name(name) == wanted)
        })
        .min_by_key(|n| **n != expected)
        .cloned();
    let Some(member) = member else {
        return Err(DistError::MissingMetadata {
            path: dist.path.clone(),
            expected,
        });
    };
    let has = |name: &str| members.iter().any(|m| m == name);
    let mut missing: Vec<String> = ["WHEEL", "METADATA", "RECORD"]
        .iter()
        .map(|f| format!("{dist_info}/{f}"))
        .filter(|m| !has(m))
        .collect();
    let bytes = read_zip_member(dist, &mut archive, &member)?;
    let record_name = format!("{dist_info}/RECORD");
    if has(&record_name) {
        let record = read_zip_member(dist, &mut archive, &record_name)?;
        let checked = String::from_utf8(record)
            .map_err(|_| "it is not UTF-8".to_string())
            .and_then(|text| crate::wheel::check_record(&text, &members, &dist_info));
        if let Err(reason) = checked {
            findings.push(Finding::error(
                "wheel-record",
                format!("`{record_name}` does not describe the archive: {reason}"),
                REBUILD,
            ));
        }
    }
    let entry_points = format!("{dist_info}/entry_points.txt");
    if has(&entry_points) {
        let text = read_zip_member(dist, &mut archive, &entry_points)?;
        let checked = String::from_utf8(text)
            .map_err(|_| "it is not UTF-8".to_string())
            .and_then(|text| crate::wheel::check_entry_points(&text));
        if let Err(reason) = checked {
            findings.push(Finding::error(
                "wheel-entry-points",
                format!("`{entry_points}` is invalid: {reason}"),
                "fix the project's entry points (`[project.scripts]` / `[project.entry-points]`) and rebuild",
            ));
        }
    }
    if !missing.is_empty() {
        missing.iter_mut().for_each(|m| *m = format!("`{m}`"));
        findings.push(Finding::error(
            "wheel-contents",
            format!(
                "it lacks {} (PyPI looks for the `.dist-info` directory named exactly like the start of the file name)",
                missing.join(", ")
            ),
            REBUILD,
        ));
    }
    Ok(ReadArchive {
        member,
        bytes,
        members,
        license_root: Some(format!("{dist_info}/licenses")),
        findings,
    })
}

/// The path's normal components (`./a/b/` → `["a", "b"]`).
fn components(name: &str) -> Vec<String> {
    Path::new(name)
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// The longest common leading directory of every member (Python's `os.path.commonpath`).
fn common_path(names: &[String]) -> String {
    let mut common: Option<Vec<String>> = None;
    for name in names {
        let parts = components(name);
        common = Some(match common {
            None => parts,
            Some(c) => c
                .into_iter()
                .zip(parts)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_default().join("/")
}

/// The checks on an sdist's layout: one top-level directory holding `PKG-INFO`, named as the
/// file (PEP 625; a warning, PyPI does not check it yet).
fn layout_findings(dist: &DistFile, names: &[String], top: &str, found: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    if top.is_empty() {
        findings.push(Finding::error(
            "sdist-layout",
            "it does not have exactly one top-level directory (PyPI requires `{name}-{version}/` holding everything)",
            REBUILD,
        ));
    } else if !found {
        findings.push(Finding::error(
            "sdist-layout",
            format!("it has no `{top}/PKG-INFO`"),
            REBUILD,
        ));
    }
    let stem = dist
        .filename
        .strip_suffix(".tar.gz")
        .unwrap_or(&dist.filename);
    if !top.is_empty() && top != stem && !names.is_empty() {
        findings.push(Finding::warning(
            "sdist-layout",
            format!(
                "it unpacks into `{top}/`, not `{stem}/` as PEP 625 asks (PyPI accepts it today)"
            ),
            REBUILD,
        ));
    }
    findings
}

fn read_zip_sdist(dist: &DistFile, file: File) -> Result<ReadArchive, DistError> {
    let mut archive = open_zip(dist, file)?;
    let members: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(std::borrow::Cow::into_owned)
        .collect();
    let mut findings = zip_findings(dist, &mut archive);
    let top = common_path(&members);
    let member = members
        .iter()
        .find(|n| is_top_level_pkg_info(Path::new(n.as_str())))
        .cloned();
    let Some(member) = member else {
        return Err(DistError::MissingMetadata {
            path: dist.path.clone(),
            expected: pkg_info_expected(dist),
        });
    };
    let bytes = read_zip_member(dist, &mut archive, &member)?;
    let found = components(&member) == components(&format!("{top}/PKG-INFO"));
    findings.extend(
        layout_findings(dist, &members, &top, found)
            .into_iter()
            .filter(super::finding::Finding::is_error),
    );
    Ok(ReadArchive {
        member,
        bytes,
        members,
        license_root: Some(top).filter(|t| !t.is_empty()),
        findings,
    })
}

/// Is `name` exactly `{dir}/PKG-INFO` (a top-level directory's, not a nested one)?
fn is_top_level_pkg_info(name: &Path) -> bool {
    let parts: Vec<_> = name
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    matches!(parts.as_slice(), [Component::Normal(_), Component::Normal(f)] if *f == "PKG-INFO")
}

fn pkg_info_expected(dist: &DistFile) -> String {
    format!("{}-{}/PKG-INFO", dist.name, dist.version)
}

/// Reads the whole tarball (PyPI does too): every member name, sparse members, and the first
/// top-level `PKG-INFO`.
fn read_tar_sdist(dist: &DistFile, file: File) -> Result<ReadArchive, DistError> {
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 2];
    let gzip = reader.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    if !gzip {
        return Err(bad_archive(
            dist,
            "tar.gz",
            "it is not gzip-compressed (PyPI accepts only gzip-compressed tarballs as sdists)",
        ));
    }
    let chained = std::io::Cursor::new(magic).chain(reader);
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(chained));
    let entries = archive
        .entries()
        .map_err(|e| bad_archive(dist, "tar.gz", e))?;
    let mut names = Vec::new();
    let mut files = Vec::new();
    let mut sparse = Vec::new();
    let mut pkg_info: Option<(String, Vec<u8>)> = None;
    for entry in entries {
        let entry = entry.map_err(|e| bad_archive(dist, "tar.gz", e))?;
        let name = entry
            .path()
            .map_err(|e| bad_archive(dist, "tar.gz", e))?
            .to_string_lossy()
            .into_owned();
        let kind = entry.header().entry_type();
        if kind.is_gnu_sparse() {
            sparse.push(name.clone());
        }
        if kind.is_file() {
            files.push(name.clone());
            if pkg_info.is_none() && is_top_level_pkg_info(Path::new(&name)) {
                let bytes = read_limited(dist, "tar.gz", &name, entry)?;
                pkg_info = Some((name.clone(), bytes));
            }
        }
        names.push(name);
    }
    let Some((member, bytes)) = pkg_info else {
        return Err(DistError::MissingMetadata {
            path: dist.path.clone(),
            expected: pkg_info_expected(dist),
        });
    };
    let top = common_path(&names);
    let found = components(&member) == components(&format!("{top}/PKG-INFO"));
    let mut findings = layout_findings(dist, &names, &top, found);
    if !sparse.is_empty() {
        findings.push(Finding::error(
            "sdist-layout",
            format!("it has sparse members, which PyPI refuses: `{}`", sparse[0]),
            REBUILD,
        ));
    }
    Ok(ReadArchive {
        member,
        bytes,
        members: files,
        license_root: Some(top).filter(|t| !t.is_empty()),
        findings,
    })
}
