//! Where source files come from: the local checkout, or a map of contents fetched elsewhere.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::VersionError;

/// Read access to a project's files by repository-relative path (`/`-separated).
pub trait Files {
    /// The file's text; `Ok(None)` when it does not exist.
    fn read(&self, rel_path: &str) -> Result<Option<String>, VersionError>;
    /// The names of a directory's entries; `Ok(None)` when the directory does not exist.
    fn list(&self, rel_dir: &str) -> Result<Option<Vec<String>>, VersionError>;
}

/// Files in a local directory (the checkout).
#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
    /// Files under `root`; relative paths are resolved against it.
    pub fn new(root: impl Into<PathBuf>) -> LocalFiles {
        LocalFiles { root: root.into() }
    }

    fn path(&self, rel: &str) -> PathBuf {
        let rel = normalize(rel);
        if rel == "." {
            self.root.clone()
        } else {
            self.root.join(rel)
        }
    }
}

fn io_error(rel: &str, e: &std::io::Error) -> VersionError {
    VersionError::Io {
        path: rel.to_string(),
        reason: e.to_string(),
    }
}

impl Files for LocalFiles {
    fn read(&self, rel_path: &str) -> Result<Option<String>, VersionError> {
        let path = self.path(rel_path);
        if path.is_dir() {
            return Ok(None);
        }
        match std::fs::read(&path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| VersionError::Io {
                    path: normalize(rel_path),
                    reason: "it is not UTF-8 text".to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(rel_path, &e)),
        }
    }

    fn list(&self, rel_dir: &str) -> Result<Option<Vec<String>>, VersionError> {
        let entries = match std::fs::read_dir(self.path(rel_dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => return Ok(None),
            Err(e) => return Err(io_error(rel_dir, &e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error(rel_dir, &e))?;
            names.extend(entry.file_name().to_str().map(str::to_string));
        }
        names.sort();
        Ok(Some(names))
    }
}

/// Files held in memory by relative path, e.g. fetched through the contents API at another commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapFiles(pub BTreeMap<String, String>);

impl Files for MapFiles {
    fn read(&self, rel_path: &str) -> Result<Option<String>, VersionError> {
        Ok(self.0.get(&normalize(rel_path)).cloned())
    }

    /// Directories exist when some file is under them; the root always exists.
    fn list(&self, rel_dir: &str) -> Result<Option<Vec<String>>, VersionError> {
        let dir = normalize(rel_dir);
        let prefix = if dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        let names: BTreeSet<String> = self
            .0
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('/').next())
            .map(str::to_string)
            .collect();
        Ok((dir == "." || !names.is_empty()).then(|| names.into_iter().collect()))
    }
}

/// Lexically normalizes a relative path: `/`-separated, no `.` or empty parts, `..` applied; `.` for the root.
pub(crate) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Joins a relative path onto a directory and normalizes the result.
pub(crate) fn join(dir: &str, rel: &str) -> String {
    normalize(&format!("{dir}/{rel}"))
}

/// A [`Files`] wrapper that remembers every file read that existed, in order, once each.
pub(crate) struct Tracked<'a> {
    inner: &'a dyn Files,
    read: RefCell<Vec<String>>,
}

impl<'a> Tracked<'a> {
    pub(crate) fn new(inner: &'a dyn Files) -> Tracked<'a> {
        Tracked {
            inner,
            read: RefCell::new(Vec::new()),
        }
    }

    /// Reads a file (path normalized) and records it when present.
    pub(crate) fn read(&self, rel_path: &str) -> Result<Option<String>, VersionError> {
        let path = normalize(rel_path);
        let text = self.inner.read(&path)?;
        if text.is_some() && !self.read.borrow().contains(&path) {
            self.read.borrow_mut().push(path);
        }
        Ok(text)
    }

    /// Lists a directory (path normalized).
    pub(crate) fn list(&self, rel_dir: &str) -> Result<Option<Vec<String>>, VersionError> {
        self.inner.list(&normalize(rel_dir))
    }

    /// The files read so far.
    pub(crate) fn files_read(&self) -> Vec<String> {
        self.read.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("./a//b/./c"), "a/b/c");
        assert_eq!(normalize("a/../b"), "b");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(join(".", "pyproject.toml"), "pyproject.toml");
        assert_eq!(join("sub/dir", "../VERSION"), "sub/VERSION");
    }

    #[test]
    fn map_files_lists_directories() {
        let map = MapFiles(BTreeMap::from([
            ("a/b.py".to_string(), String::new()),
            ("a/c/d.py".to_string(), String::new()),
            ("e".to_string(), String::new()),
        ]));
        assert_eq!(
            map.list(".").unwrap(),
            Some(vec!["a".to_string(), "e".to_string()])
        );
        assert_eq!(
            map.list("./a").unwrap(),
            Some(vec!["b.py".to_string(), "c".to_string()])
        );
        assert_eq!(map.list("x").unwrap(), None);
        assert_eq!(map.read("./e").unwrap(), Some(String::new()));
        assert_eq!(map.read("f").unwrap(), None);
    }
}
