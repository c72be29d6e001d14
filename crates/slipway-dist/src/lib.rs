//! Python distribution files, read without Python.
//!
//! - [`DistFile::from_path`] parses a wheel or sdist file *name* (PEP 427/491, PEP 625, legacy sdists).
//! - [`CoreMetadata::parse`] parses core metadata (`METADATA` / `PKG-INFO`) exactly as Python's
//!   `email` parser reads it, with the core-metadata continuation conventions.
//! - [`read_metadata`] pulls that metadata out of a wheel or sdist; [`inspect`] also checks the
//!   archive the way PyPI does and reports [`Finding`]s.
//! - [`find_dists`] lists the dists in a directory; [`hash_file`] streams a file through the
//!   digests an index upload needs.

mod archive;
mod error;
mod filename;
mod find;
mod finding;
mod hash;
mod metadata;
mod wheel;

pub use archive::{Inspected, inspect, read_metadata};
pub use error::DistError;

/// Where build frontends (`python -m build`, `uv build`) put dists, and where the tools look.
pub const DIST_DIR: &str = "dist";
pub use filename::{
    DistFile, DistKind, filename_name_part, is_valid_project_name, normalize_name,
    pep625_sdist_filename,
};
pub use find::{FoundDists, Ignored, find_dists};
pub use finding::{Finding, Severity};
pub use hash::{HASH_CHUNK, Hashes, digest_file, hash_file, read_chunks};
pub use metadata::CoreMetadata;
