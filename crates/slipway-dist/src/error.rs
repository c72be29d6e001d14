//! The one error type of this crate; every variant names the file it is about.

use std::path::PathBuf;

/// What went wrong with which distribution file.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The file name is not a wheel or sdist name.
    #[error(
        "`{}` is not a valid distribution file name: {reason}\nhint: publish the files your build backend wrote, under the names it gave them (`{{name}}-{{version}}.tar.gz`, `{{name}}-{{version}}(-{{build}})?-{{python}}-{{abi}}-{{platform}}.whl`); move other files out of the directory",
        path.display()
    )]
    BadFilename {
        /// The file.
        path: PathBuf,
        /// What is wrong with the name.
        reason: String,
    },
    /// The file name holds a character no index accepts (space, newline, control character, path
    /// separator): refused before anything can put it into an upload's headers.
    #[error(
        "`{shown}` is not a usable distribution file name: it contains {what}\nhint: rename the file to the name the build backend gave it (no spaces or control characters; e.g. `{{name}}-{{version}}.tar.gz`), or move it out of the directory"
    )]
    UnsafeFilename {
        /// The file.
        path: PathBuf,
        /// The file name with control characters escaped (`\n`), safe to print.
        shown: String,
        /// What it contains (`a space`, `a newline`…).
        what: String,
    },
    /// Reading the file (or listing the directory) failed.
    #[error(
        "cannot read `{}`: {source}\nhint: check that it exists and this user can read it (a symlink must point at an existing file)",
        path.display()
    )]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The archive is corrupt or not an archive of the kind its name says.
    #[error(
        "`{}` is not a readable {format} archive: {reason}\nhint: publish the file the build backend wrote (rebuild it with `python -m build`); a damaged download shows as a sha256 that differs from the build's",
        path.display()
    )]
    BadArchive {
        /// The file.
        path: PathBuf,
        /// `zip` or `tar.gz`.
        format: &'static str,
        /// What the archive reader reported.
        reason: String,
    },
    /// The archive has no core metadata where the specifications put it.
    #[error(
        "`{}` has no core metadata: expected `{expected}` in the archive\nhint: rebuild the dist with a current build backend (e.g. `python -m build`); an index cannot accept a dist without it",
        path.display()
    )]
    MissingMetadata {
        /// The file.
        path: PathBuf,
        /// The member that was looked for.
        expected: String,
    },
    /// The core metadata text is malformed.
    #[error(
        "invalid core metadata{}: {reason}\nhint: the build backend wrote metadata an index cannot read; rebuild with a current version of it",
        origin.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default()
    )]
    BadMetadata {
        /// `<dist file>!<member>` when the metadata came from an archive; `None` for bare text.
        origin: Option<String>,
        /// What is wrong.
        reason: String,
    },
}

impl DistError {
    /// Attaches the archive and member the metadata came from to a [`DistError::BadMetadata`].
    pub(crate) fn with_origin(self, origin: String) -> Self {
        match self {
            DistError::BadMetadata { reason, .. } => DistError::BadMetadata {
                origin: Some(origin),
                reason,
            },
            other => other,
        }
    }
}
