//! The digests an upload sends (SHA-256 and BLAKE2b-256), computed for every dist before anything
//! is uploaded: one thread per digest, each reading the files on its own, so the two digests cost
//! the time of the slower one instead of their sum (the benchmark found this pass on the
//! critical path: the index is idle while it runs).

use std::path::{Path, PathBuf};

use blake2::Blake2b;
use blake2::digest::consts::U32;
use sha2::{Digest, Sha256};
use slipway_dist::{DistError, Hashes};

/// The file's digest with `hasher` and its size, errors naming the file.
fn digest_file<D: Digest>(path: &Path, hasher: D) -> Result<(String, u64), DistError> {
    slipway_dist::digest_file(path, hasher).map_err(|source| DistError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The SHA-256, BLAKE2b-256 and size of each file, in the order given; the first error in
/// that order when a file cannot be read (or changed size between the two reads).
pub(crate) fn hash_files(paths: &[PathBuf]) -> Result<Vec<Hashes>, DistError> {
    let (sha, blake) = std::thread::scope(|s| {
        let blake = s.spawn(|| {
            paths
                .iter()
                .map(|p| digest_file(p, Blake2b::<U32>::new()))
                .collect::<Vec<_>>()
        });
        let sha: Vec<_> = paths
            .iter()
            .map(|p| digest_file(p, Sha256::new()))
            .collect();
        (sha, blake.join())
    });
    let blake = blake.map_err(|_| DistError::Io {
        path: paths.first().cloned().unwrap_or_default(),
        source: std::io::Error::other("the hashing thread failed"),
    })?;
    let mut out = Vec::with_capacity(paths.len());
    for ((path, sha), blake) in paths.iter().zip(sha).zip(blake) {
        let ((sha256, size), (blake2_256, blake_size)) = (sha?, blake?);
        if size != blake_size {
            return Err(DistError::Io {
                path: path.clone(),
                source: std::io::Error::other(format!(
                    "the file changed while it was hashed ({size} then {blake_size} bytes)"
                )),
            });
        }
        out.push(Hashes {
            sha256,
            blake2_256,
            size,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("slipway-hashing-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn same_digests_as_the_one_pass_hasher_in_order() {
        let dir = TempDir::new("order");
        let mut paths = Vec::new();
        for (i, size) in [
            0usize,
            3,
            slipway_dist::HASH_CHUNK + 11,
            2 * slipway_dist::HASH_CHUNK,
        ]
        .into_iter()
        .enumerate()
        {
            let path = dir.path().join(format!("f{i}.whl"));
            let bytes: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
            std::fs::write(&path, bytes).unwrap();
            paths.push(path);
        }
        let got = hash_files(&paths).unwrap();
        let want: Vec<Hashes> = paths
            .iter()
            .map(|p| slipway_dist::hash_file(p).unwrap())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = TempDir::new("missing");
        let ok = dir.path().join("a.whl");
        std::fs::write(&ok, b"abc").unwrap();
        let missing = dir.path().join("b.whl");
        match hash_files(&[ok, missing.clone()]) {
            Err(DistError::Io { path, source }) => {
                assert_eq!(path, missing);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }
}
