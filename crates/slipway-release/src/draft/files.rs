//! The local side of a release: the files `files` names, checked before anything is uploaded,
//! hashed (before their upload when an asset of the same name needs comparing, otherwise while
//! they stream to GitHub), and the `SHA256SUMS` manifest written from the hashes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use slipway_github::github_asset_name;
use slipway_runner::excerpt;
use slipway_runner::progress::human_bytes;

/// GitHub refuses release assets of 2 GiB and more.
pub const MAX_ASSET_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A file to attach: where it is, the asset name GitHub will give it, and its hash once known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// The file on disk.
    pub path: PathBuf,
    /// The path as matched (relative to the workspace), for messages.
    pub shown: String,
    /// The asset name: the file name after GitHub's renaming rule.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex: `None` until the file is hashed, before its upload
    /// ([`hash_files`]) or while it streams to GitHub.
    pub sha256: Option<String>,
    /// True for the checksums manifest this run writes.
    pub manifest: bool,
}

/// Why the files cannot be released; every variant names the pattern or path.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// A pattern is not a valid glob.
    #[error(
        "`files` pattern `{}` is not a valid glob: {reason}\nhint: use shell-style globs such as `dist/*.whl`; separate patterns with newlines or commas",
        excerpt(pattern)
    )]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The glob parser's complaint.
        reason: String,
    },
    /// A pattern matched nothing (with `fail-on-unmatched-files: true`).
    #[error(
        "`files` pattern `{}` matches no file\nhint: build the distributions before this step, check the path (relative to the workspace), or set `fail-on-unmatched-files: false`",
        excerpt(pattern)
    )]
    Unmatched {
        /// The pattern.
        pattern: String,
    },
    /// No pattern matched anything.
    #[error(
        "no file matches `files` (`{}`): there is nothing to attach\nhint: build the distributions before this step (e.g. `uv build` or `python -m build`), or fix `files`",
        excerpt(patterns)
    )]
    NoFiles {
        /// The patterns, comma separated.
        patterns: String,
    },
    /// A pattern matched a directory.
    #[error(
        "`{path}` (matched by `files` pattern `{}`) is a directory, not a file\nhint: name the files inside it, e.g. `{path}/*`",
        excerpt(pattern)
    )]
    Directory {
        /// The directory.
        path: String,
        /// The pattern that matched it.
        pattern: String,
    },
    /// A match is neither a file nor a directory (a socket, a FIFO, a device).
    #[error("`{path}` is not a regular file\nhint: `files` may only name regular files")]
    NotAFile {
        /// The path.
        path: String,
    },
    /// A file (or a directory on the way to it) cannot be read.
    #[error(
        "cannot read `{path}`: {reason}\nhint: check that the file exists and is readable by the step (a broken symlink, or a build that failed halfway?)"
    )]
    Unreadable {
        /// The path.
        path: String,
        /// What the OS said.
        reason: String,
    },
    /// A file too big for a release asset.
    #[error(
        "`{path}` is {human} ({size} bytes); GitHub release assets must be smaller than 2 GiB\nhint: leave this file out of `files`, or split it"
    )]
    TooBig {
        /// The path.
        path: String,
        /// Its size.
        size: u64,
        /// The size for people.
        human: String,
    },
    /// Two different files would become the same asset.
    #[error(
        "`{first}` and `{second}` would both become the asset `{name}`\nhint: GitHub turns characters other than letters, digits and `-_.+` into `.`, so both names map to one asset; rename one of the files or narrow the `files` patterns"
    )]
    DuplicateName {
        /// The asset name both map to.
        name: String,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
    /// A file would have the name of the checksums manifest.
    #[error(
        "`{path}` would become the asset `{name}`, the name of the checksums manifest\nhint: set `checksums` to another name, or to an empty value to turn the manifest off"
    )]
    ClashesWithManifest {
        /// The asset name.
        name: String,
        /// The file.
        path: String,
    },
    /// The manifest could not be written.
    #[error("cannot write the checksums manifest `{path}`: {reason}")]
    Manifest {
        /// Where it was being written.
        path: String,
        /// What the OS said.
        reason: String,
    },
}

/// What `files` matched: the files to attach, and what the run should say about them.
#[derive(Debug, Default)]
pub struct Collected {
    /// The files, checked (not hashed yet), sorted by asset name.
    pub files: Vec<LocalFile>,
    /// A warning for each pattern that matched nothing (with `fail-on-unmatched-files: false`).
    pub warnings: Vec<String>,
    /// A line for each file that is the same file as another under another name (a symlink):
    /// both are attached, each under its own name, and the run says so.
    pub aliases: Vec<String>,
}

/// The files matched by `patterns`, checked (not hashed yet), sorted by asset name. Patterns
/// are relative to the working directory (the workspace); `*` does not match a leading dot.
/// The same file matched twice under one asset name is one file; the same file under two
/// names (a symlink beside its target) is attached under both, and listed in `aliases`.
pub fn collect(
    patterns: &[String],
    fail_on_unmatched: bool,
    checksums: Option<&str>,
) -> Result<Collected, FilesError> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut collected = Collected::default();
    // (canonical path, asset name) → shown path: the same file matched twice is one file.
    let mut seen: BTreeMap<(PathBuf, String), String> = BTreeMap::new();
    let mut found: Vec<(PathBuf, String, u64, String)> = Vec::new();
    for pattern in patterns {
        let paths = glob::glob_with(pattern, options).map_err(|e| FilesError::BadPattern {
            pattern: pattern.clone(),
            reason: e.msg.to_string(),
        })?;
        let mut matched = 0;
        for entry in paths {
            let path = entry.map_err(|e| FilesError::Unreadable {
                path: e.path().display().to_string(),
                reason: e.error().to_string(),
            })?;
            matched += 1;
            let shown = path.display().to_string();
            let meta = std::fs::metadata(&path).map_err(|e| FilesError::Unreadable {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
            if meta.is_dir() {
                return Err(FilesError::Directory {
                    path: shown,
                    pattern: pattern.clone(),
                });
            }
            if !meta.is_file() {
                return Err(FilesError::NotAFile { path: shown });
            }
            if meta.len() >= MAX_ASSET_BYTES {
                return Err(FilesError::TooBig {
                    path: shown,
                    size: meta.len(),
                    human: human_bytes(meta.len()),
                });
            }
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = github_asset_name(&file_name);
            let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen
                .insert((canonical, name.clone()), shown.clone())
                .is_none()
            {
                found.push((path, shown, meta.len(), name));
            }
        }
        if matched == 0 {
            if fail_on_unmatched {
                return Err(FilesError::Unmatched {
                    pattern: pattern.clone(),
                });
            }
            collected.warnings.push(format!(
                "`files` pattern `{}` matches no file",
                excerpt(pattern)
            ));
        }
    }
    if found.is_empty() {
        return Err(FilesError::NoFiles {
            patterns: patterns.join(", "),
        });
    }
    // Files reached under more than one asset name: each name is attached, and said.
    let mut names_of: BTreeMap<&PathBuf, Vec<(&str, &str)>> = BTreeMap::new();
    for ((canonical, name), shown) in &seen {
        names_of
            .entry(canonical)
            .or_default()
            .push((shown.as_str(), name.as_str()));
    }
    for names in names_of.values().filter(|n| n.len() > 1) {
        let listed: Vec<String> = names
            .iter()
            .map(|(shown, name)| format!("`{shown}` as `{name}`"))
            .collect();
        collected.aliases.push(format!(
            "{} are the same file (through a symlink); each name is attached as its own asset",
            listed.join(" and ")
        ));
    }
    let manifest_name = checksums.map(github_asset_name);
    let mut by_name: BTreeMap<String, (PathBuf, String, u64)> = BTreeMap::new();
    for (path, shown, size, name) in found {
        if manifest_name.as_deref() == Some(name.as_str()) {
            return Err(FilesError::ClashesWithManifest { name, path: shown });
        }
        if let Some((_, first, _)) = by_name.get(&name) {
            return Err(FilesError::DuplicateName {
                name,
                first: first.clone(),
                second: shown,
            });
        }
        by_name.insert(name, (path, shown, size));
    }
    // Every check that needs no reading is done; each file must open, so that an unreadable
    // one is refused before anything is uploaded (its bytes are read once, later).
    let mut files = Vec::with_capacity(by_name.len());
    for (name, (path, shown, size)) in by_name {
        if let Err(e) = std::fs::File::open(&path) {
            return Err(FilesError::Unreadable {
                path: shown,
                reason: e.to_string(),
            });
        }
        files.push(LocalFile {
            path,
            shown,
            name,
            size,
            sha256: None,
            manifest: false,
        });
    }
    collected.files = files;
    Ok(collected)
}

/// Hashes each file that `wanted` selects and has no hash yet (size updated to the bytes
/// read), on up to 4 threads: the files whose asset must be compared before anything is
/// uploaded. The others are hashed while they upload.
pub fn hash_files(
    files: &mut [LocalFile],
    wanted: impl Fn(&LocalFile) -> bool,
) -> Result<(), FilesError> {
    let todo: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].sha256.is_none() && wanted(&files[i]))
        .collect();
    for &i in &todo {
        if files[i].size >= 64 * 1024 * 1024 {
            tracing::info!(
                "hashing `{}` ({})",
                files[i].shown,
                human_bytes(files[i].size)
            );
        }
    }
    let hashed = hash_all(
        todo.iter()
            .map(|&i| (files[i].path.as_path(), files[i].size)),
    );
    for (i, hashed) in todo.into_iter().zip(hashed) {
        let file = &mut files[i];
        let (sha256, size) = hashed.map_err(|e| FilesError::Unreadable {
            path: file.shown.clone(),
            reason: e.to_string(),
        })?;
        file.sha256 = Some(sha256);
        file.size = size;
    }
    Ok(())
}

/// The lowercase hex SHA-256 of `file`, read from disk on a blocking thread (for a file whose
/// hash is needed after all, e.g. to compare with another run's upload).
pub async fn sha256_of(file: &LocalFile) -> Result<String, FilesError> {
    let path = file.path.clone();
    let hashed = tokio::task::spawn_blocking(move || sha256_file(&path))
        .await
        .unwrap_or_else(|_| Err(std::io::Error::other("the hashing thread failed")));
    hashed
        .map(|(sha, _)| sha)
        .map_err(|e| FilesError::Unreadable {
            path: file.shown.clone(),
            reason: e.to_string(),
        })
}

/// A file's SHA-256 (lowercase hex) and size, or why it could not be read.
type Hashed = std::io::Result<(String, u64)>;

/// The lowercase hex SHA-256 and the size of the file at `path`, read once.
/// Only SHA-256: GitHub's digests and the manifest need nothing else.
fn sha256_file(path: &Path) -> Hashed {
    slipway_dist::digest_file(path, <sha2::Sha256 as sha2::Digest>::new())
}

/// The SHA-256 and size of each `(path, expected size)`, in the order given, hashed on as many
/// threads as there are CPUs (at most 4), largest files first so no thread is left alone with a
/// big file at the end: hashing is the CPU-bound part of a release, and nothing else runs yet.
fn hash_all<'a>(files: impl Iterator<Item = (&'a Path, u64)>) -> Vec<Hashed> {
    let files: Vec<(&Path, u64)> = files.collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].1));
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .clamp(1, 4)
        .min(files.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Hashed>>> =
        files.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let work = || {
        loop {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&i) = order.get(k) else { return };
            let hashed = sha256_file(files[i].0);
            if let Ok(mut slot) = results[i].lock() {
                *slot = Some(hashed);
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..workers {
            s.spawn(work);
        }
        work();
    });
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(std::io::Error::other("the hashing thread failed")))
        })
        .collect()
}

/// The manifest text in `sha256sum`'s format: `<sha256>  <name>\n` per file, sorted by name;
/// `None` while a file's hash is not known yet.
pub fn manifest_text(files: &[LocalFile]) -> Option<String> {
    let mut lines: Vec<(&str, &str)> = files
        .iter()
        .filter(|f| !f.manifest)
        .map(|f| Some((f.name.as_str(), f.sha256.as_deref()?)))
        .collect::<Option<_>>()?;
    lines.sort();
    Some(
        lines
            .iter()
            .map(|(name, sha)| format!("{sha}  {name}\n"))
            .collect(),
    )
}

/// Writes the manifest for `files` (every one hashed) as `name` into `dir` and returns it as
/// one more file.
pub fn write_manifest(
    dir: &Path,
    name: &str,
    files: &[LocalFile],
) -> Result<LocalFile, FilesError> {
    use sha2::Digest as _;
    let asset = github_asset_name(name);
    let path = dir.join(&asset);
    let Some(text) = manifest_text(files) else {
        return Err(FilesError::Manifest {
            path: path.display().to_string(),
            reason: "a file's hash is not known yet".into(),
        });
    };
    std::fs::write(&path, &text).map_err(|e| FilesError::Manifest {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(LocalFile {
        shown: asset.clone(),
        path,
        name: asset,
        size: text.len() as u64,
        sha256: Some(hex::encode(sha2::Sha256::digest(text.as_bytes()))),
        manifest: true,
    })
}

/// The media type an asset is uploaded with (GitHub shows it; downloads do not depend on it).
pub fn content_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".whl") || lower.ends_with(".zip") {
        "application/zip"
    } else if lower.ends_with(".tar.gz") || lower.ends_with(".tgz") {
        "application/gzip"
    } else if lower.ends_with(".json") {
        "application/json"
    } else if lower.ends_with(".txt") || lower.ends_with("sums") || lower.ends_with(".sha256") {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, sha: &str) -> LocalFile {
        LocalFile {
            path: PathBuf::from(name),
            shown: name.into(),
            name: name.into(),
            size: 1,
            sha256: Some(sha.into()),
            manifest: false,
        }
    }

    #[test]
    fn hash_all_keeps_the_order_and_reports_each_failure() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().unwrap();
        let sizes = [
            0usize,
            1,
            slipway_dist::HASH_CHUNK + 7,
            3 * slipway_dist::HASH_CHUNK,
            5,
        ];
        let mut paths = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let path = dir.path().join(format!("f{i}"));
            let bytes: Vec<u8> = (0..*size).map(|b| (b * 31 + i) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            paths.push((
                path,
                hex::encode(sha2::Sha256::digest(&bytes)),
                *size as u64,
            ));
        }
        let missing = dir.path().join("missing");
        let mut input: Vec<(&Path, u64)> =
            paths.iter().map(|(p, _, s)| (p.as_path(), *s)).collect();
        input.insert(2, (missing.as_path(), 10));
        let got = hash_all(input.into_iter());
        assert_eq!(got.len(), sizes.len() + 1);
        assert_eq!(
            got[2].as_ref().unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
        let ok: Vec<(String, u64)> = got
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, r)| r.unwrap())
            .collect();
        let want: Vec<(String, u64)> = paths.into_iter().map(|(_, h, s)| (h, s)).collect();
        assert_eq!(ok, want);
    }

    #[test]
    fn manifest_is_sha256sum_format_sorted_by_name() {
        let text = manifest_text(&[file("b.whl", "22"), file("a.tar.gz", "11")]);
        assert_eq!(text.as_deref(), Some("11  a.tar.gz\n22  b.whl\n"));
        let mut unknown = file("c.whl", "");
        unknown.sha256 = None;
        assert_eq!(manifest_text(&[file("a.tar.gz", "11"), unknown]), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("x-1.0-py3-none-any.whl"), "application/zip");
        assert_eq!(content_type("x-1.0.tar.gz"), "application/gzip");
        assert_eq!(content_type("SHA256SUMS"), "text/plain");
        assert_eq!(content_type("x.bin"), "application/octet-stream");
    }
}
