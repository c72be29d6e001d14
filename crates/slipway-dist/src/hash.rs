//! Streaming digests for index uploads.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use blake2::Blake2b;
use blake2::digest::consts::U32;
use sha2::{Digest, Sha256};

use crate::DistError;

/// A file's digests and size, as the upload API and the simple index report them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hashes {
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// BLAKE2b with a 32-byte output (PyPI's `blake2_256_digest`), lowercase hex.
    pub blake2_256: String,
    /// Size in bytes.
    pub size: u64,
}

/// Bytes read per call when hashing: large reads keep system calls few; memory stays flat whatever the size.
pub const HASH_CHUNK: usize = 256 * 1024;

/// Streams the file at `path` through `feed`, one chunk at a time; returns its size. The one
/// place files are read for hashing (dists, release assets, upload digests).
pub fn read_chunks(path: &Path, mut feed: impl FnMut(&[u8])) -> std::io::Result<u64> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; HASH_CHUNK];
    let mut size = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(size),
            Ok(n) => {
                feed(&buf[..n]);
                size += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The file's digest with `hasher` (lowercase hex) and its size, read once.
pub fn digest_file<D: Digest>(path: &Path, mut hasher: D) -> std::io::Result<(String, u64)> {
    let size = read_chunks(path, |chunk| hasher.update(chunk))?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// A file's SHA-256 and BLAKE2b-256 in one pass, so memory stays flat whatever its size.
pub fn hash_file(path: &Path) -> Result<Hashes, DistError> {
    let mut sha = Sha256::new();
    let mut blake = Blake2b::<U32>::new();
    let size = read_chunks(path, |chunk| {
        sha.update(chunk);
        blake.update(chunk);
    })
    .map_err(|source| DistError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Hashes {
        sha256: hex::encode(sha.finalize()),
        blake2_256: hex::encode(blake.finalize()),
        size,
    })
}
