//! Finding the dist files in a directory.

use std::path::{Path, PathBuf};

use crate::filename::has_dist_suffix;
use crate::{DistError, DistFile, DistKind};

/// The result of [`find_dists`]: the dists, and every other entry (so callers can mention them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundDists {
    /// Distribution files: sdists first, then wheels, each group sorted by file name.
    pub dists: Vec<DistFile>,
    /// Everything else in the directory (`SHA256SUMS`, `*.publish.attestation`, subdirectories…), sorted.
    pub ignored: Vec<PathBuf>,
}

/// Lists the dist files directly in `dir` (not recursively). A file with a dist suffix
/// (`.whl`, `.tar.gz`, `.zip`) whose name does not parse is an error, not silently skipped.
pub fn find_dists(dir: &Path) -> Result<FoundDists, DistError> {
    let io = |source| DistError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut found = FoundDists::default();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        let is_file = std::fs::metadata(&path)
            .map_err(|source| DistError::Io {
                path: path.clone(),
                source,
            })?
            .is_file();
        let name = entry.file_name();
        let dist_like = name
            .to_str()
            .is_some_and(|n| !n.starts_with('.') && has_dist_suffix(n));
        if is_file && dist_like {
            found.dists.push(DistFile::from_path(&path)?);
        } else {
            found.ignored.push(path);
        }
    }
    found.dists.sort_by(|a, b| {
        let rank = |d: &DistFile| matches!(d.kind, DistKind::Wheel);
        (rank(a), &a.filename).cmp(&(rank(b), &b.filename))
    });
    found.ignored.sort();
    Ok(found)
}
