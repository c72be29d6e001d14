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

/// Hashes a file in 64 KiB chunks, so memory stays flat whatever its size.
pub fn hash_file(path: &Path) -> Result<Hashes, DistError> {
    let io = |source| DistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut sha = Sha256::new();
    let mut blake = Blake2b::<U32>::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        sha.update(&buf[..n]);
        blake.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Hashes {
        sha256: hex::encode(sha.finalize()),
        blake2_256: hex::encode(blake.finalize()),
        size,
    })
}
