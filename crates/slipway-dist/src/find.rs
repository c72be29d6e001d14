//! Finding the dist files in a directory.

use std::path::{Path, PathBuf};

use crate::filename::has_dist_suffix;
use crate::{DistError, DistFile, DistKind};

/// The result of [`find_dists`]: the dists, and every other entry (so callers can mention them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundDists {
    /// Distribution files: sdists first, then wheels, each group sorted by file name.
    pub dists: Vec<DistFile>,
    /// Everything else in the directory (`SHA256SUMS`, `*.publish.attestation`, subdirectories,
    /// broken symlinks…), sorted by path.
    pub ignored: Vec<Ignored>,
}

/// An entry of the directory that is not a dist, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ignored {
    /// The entry.
    pub path: PathBuf,
    /// `not a wheel or sdist`, `a directory`, `a symlink to a missing file`, `a symlink loop`…
    pub reason: String,
}

/// Why an entry whose metadata cannot be read is unusable, in words.
fn unreadable(path: &Path, error: &std::io::Error) -> String {
    let symlink = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match error.kind() {
        std::io::ErrorKind::NotFound if symlink => "a symlink to a missing file".to_string(),
        _ if symlink && error.raw_os_error() == Some(40) => "a symlink loop".to_string(),
        _ => format!("unreadable ({error})"),
    }
}

/// Lists the dist files directly in `dir` (not recursively). A file with a dist suffix
/// (`.whl`, `.tar.gz`, `.zip`) whose name does not parse, or that cannot be read (a broken
/// symlink), is an error, not silently skipped; any other entry is ignored, whatever it is.
pub fn find_dists(dir: &Path) -> Result<FoundDists, DistError> {
    let io = |source| DistError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut found = FoundDists::default();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let name = entry.file_name();
        let dist_like = name
            .to_str()
            .is_some_and(|n| !n.starts_with('.') && has_dist_suffix(n));
        let reason = match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && dist_like => {
                found.dists.push(DistFile::from_path(&path)?);
                continue;
            }
            Ok(m) if m.is_dir() => "a directory".to_string(),
            Ok(m) if !m.is_file() => "not a regular file".to_string(),
            Ok(_) => "not a wheel or sdist".to_string(),
            Err(e) if dist_like => {
                let reason = unreadable(&path, &e);
                return Err(DistError::Io {
                    source: std::io::Error::new(e.kind(), format!("it is {reason}")),
                    path,
                });
            }
            Err(e) => unreadable(&path, &e),
        };
        found.ignored.push(Ignored { path, reason });
    }
    found.dists.sort_by(|a, b| {
        let rank = |d: &DistFile| matches!(d.kind, DistKind::Wheel);
        (rank(a), &a.filename).cmp(&(rank(b), &b.filename))
    });
    found.ignored.sort();
    Ok(found)
}
