//! Reading core metadata out of wheels (zip) and sdists (`.tar.gz`, legacy `.zip`), streaming.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Component, Path};

use crate::filename::normalize_name;
use crate::{CoreMetadata, DistError, DistFile, DistKind};

/// Metadata larger than this is refused rather than read into memory (PyPI's limits are far lower).
const MAX_METADATA_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a dist's core metadata: a wheel's `{name}-{version}.dist-info/METADATA`, an sdist's
/// top-level `{dir}/PKG-INFO`. Only the central directory and that one member are read.
pub fn read_metadata(path: &Path) -> Result<(DistFile, CoreMetadata), DistError> {
    let dist = DistFile::from_path(path)?;
    let io = |source| DistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let (member, bytes) = match dist.kind {
        DistKind::Wheel => read_wheel(&dist, file)?,
        DistKind::Sdist if dist.filename.to_ascii_lowercase().ends_with(".zip") => {
            read_zip_sdist(&dist, file)?
        }
        DistKind::Sdist => read_tar_sdist(&dist, file)?,
    };
    let origin = format!("{}!{member}", path.display());
    let text = String::from_utf8(bytes).map_err(|e| DistError::BadMetadata {
        origin: Some(origin.clone()),
        reason: format!("it is not UTF-8 ({e})"),
    })?;
    let metadata = CoreMetadata::parse(&text).map_err(|e| e.with_origin(origin))?;
    Ok((dist, metadata))
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

fn open_zip(dist: &DistFile, file: File) -> Result<zip::ZipArchive<BufReader<File>>, DistError> {
    zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad_archive(dist, "zip", e))
}

fn read_zip_member(
    dist: &DistFile,
    archive: &mut zip::ZipArchive<BufReader<File>>,
    member: &str,
) -> Result<Vec<u8>, DistError> {
    let entry = archive
        .by_name(member)
        .map_err(|e| bad_archive(dist, "zip", format!("opening `{member}`: {e}")))?;
    read_limited(dist, "zip", member, entry)
}

fn read_wheel(dist: &DistFile, file: File) -> Result<(String, Vec<u8>), DistError> {
    let mut archive = open_zip(dist, file)?;
    let expected = format!("{}-{}.dist-info/METADATA", dist.name, dist.version);
    // The dist-info directory is usually spelled as in the file name; tools differ on case and
    // escaping, so fall back to the top-level `*.dist-info/METADATA` whose name normalizes the same.
    let wanted = normalize_name(&dist.name);
    let member = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .filter(|n| {
            n.strip_suffix(".dist-info/METADATA")
                .filter(|dir| !dir.contains('/'))
                .and_then(|dir| dir.rsplit_once('-'))
                .is_some_and(|(name, _)| normalize_name(name) == wanted)
        })
        .min_by_key(|n| *n != expected);
    let Some(member) = member else {
        return Err(DistError::MissingMetadata {
            path: dist.path.clone(),
            expected,
        });
    };
    let bytes = read_zip_member(dist, &mut archive, &member)?;
    Ok((member, bytes))
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

fn read_zip_sdist(dist: &DistFile, file: File) -> Result<(String, Vec<u8>), DistError> {
    let mut archive = open_zip(dist, file)?;
    let member = archive
        .file_names()
        .filter_map(Result::ok)
        .find(|n| is_top_level_pkg_info(Path::new(n.as_ref())))
        .map(|n| n.into_owned());
    let Some(member) = member else {
        return Err(DistError::MissingMetadata {
            path: dist.path.clone(),
            expected: pkg_info_expected(dist),
        });
    };
    let bytes = read_zip_member(dist, &mut archive, &member)?;
    Ok((member, bytes))
}

fn read_tar_sdist(dist: &DistFile, file: File) -> Result<(String, Vec<u8>), DistError> {
    let gz = flate2::read::GzDecoder::new(BufReader::new(file));
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| bad_archive(dist, "tar.gz", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| bad_archive(dist, "tar.gz", e))?;
        let name = entry
            .path()
            .map_err(|e| bad_archive(dist, "tar.gz", e))?
            .into_owned();
        if entry.header().entry_type().is_file() && is_top_level_pkg_info(&name) {
            let member = name.to_string_lossy().into_owned();
            let bytes = read_limited(dist, "tar.gz", &member, entry)?;
            return Ok((member, bytes));
        }
    }
    Err(DistError::MissingMetadata {
        path: dist.path.clone(),
        expected: pkg_info_expected(dist),
    })
}
