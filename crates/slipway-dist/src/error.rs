//! The one error type of this crate; every variant names the file it is about.

use std::path::PathBuf;

/// What went wrong with which distribution file.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The file name is not a wheel or sdist name.
    #[error("`{}` is not a valid distribution file name: {reason}", path.display())]
    BadFilename {
        /// The file.
        path: PathBuf,
        /// What is wrong with the name.
        reason: String,
    },
    /// Reading the file (or listing the directory) failed.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The archive is corrupt or not an archive of the kind its name says.
    #[error("`{}` is not a readable {format} archive: {reason}", path.display())]
    BadArchive {
        /// The file.
        path: PathBuf,
        /// `zip` or `tar.gz`.
        format: &'static str,
        /// What the archive reader reported.
        reason: String,
    },
    /// The archive has no core metadata where the specifications put it.
    #[error("`{}` has no core metadata: expected `{expected}` in the archive", path.display())]
    MissingMetadata {
        /// The file.
        path: PathBuf,
        /// The member that was looked for.
        expected: String,
    },
    /// The core metadata text is malformed.
    #[error("invalid core metadata{}: {reason}", origin.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default())]
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
