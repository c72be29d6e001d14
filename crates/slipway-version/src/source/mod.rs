//! Reading a project's version from its source files, without running Python.

mod backends;
mod cargo;
mod dists;
mod file;
mod module;
mod package;
mod python;
mod setuptools;
mod toml_util;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::VersionError;
use crate::files::{Files, Tracked, join, normalize};

/// Where to look for the version (`version-source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SourceKind {
    /// Try every source below in order (the dist source only when a dist dir is given).
    #[default]
    Auto,
    /// `[project].version` in pyproject.toml (static).
    Pep621,
    /// `[tool.poetry].version`.
    Poetry,
    /// `[tool.hatch.version].path` (+ optional `pattern`).
    Hatch,
    /// `[tool.pdm.version]` with `source = "file"`.
    Pdm,
    /// setuptools `attr:`/`file:` in pyproject.toml or setup.cfg, or setup.cfg's literal.
    Setuptools,
    /// flit: the module's `__version__`.
    Flit,
    /// A literal `version="…"` in setup.py's `setup(…)`.
    SetupPy,
    /// `__version__`/`VERSION` in the package (or in `version-file`).
    Module,
    /// Cargo.toml `[package].version` (or the workspace's).
    Cargo,
    /// The metadata of the built dists in the dist dir.
    Dist,
    /// `version-file` + `version-pattern`.
    File,
}

impl SourceKind {
    /// The canonical input spelling (`setup.py`, `pep621`…), as used in outputs and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Auto => "auto",
            SourceKind::Pep621 => "pep621",
            SourceKind::Poetry => "poetry",
            SourceKind::Hatch => "hatch",
            SourceKind::Pdm => "pdm",
            SourceKind::Setuptools => "setuptools",
            SourceKind::Flit => "flit",
            SourceKind::SetupPy => "setup.py",
            SourceKind::Module => "module",
            SourceKind::Cargo => "cargo",
            SourceKind::Dist => "dist",
            SourceKind::File => "file",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = VersionError;

    /// Parses an input value (case-insensitive); unknown values list the valid ones.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => SourceKind::Auto,
            "pep621" | "project" => SourceKind::Pep621,
            "poetry" => SourceKind::Poetry,
            "hatch" => SourceKind::Hatch,
            "pdm" => SourceKind::Pdm,
            "setuptools" => SourceKind::Setuptools,
            "flit" => SourceKind::Flit,
            "setup.py" | "setuppy" => SourceKind::SetupPy,
            "module" => SourceKind::Module,
            "cargo" => SourceKind::Cargo,
            "dist" => SourceKind::Dist,
            "file" | "pattern" => SourceKind::File,
            _ => {
                return Err(VersionError::UnknownSourceKind {
                    value: s.to_string(),
                });
            }
        })
    }
}

/// What to read: the source kind and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRequest {
    /// Which source; [`SourceKind::Auto`] tries them in order.
    pub kind: SourceKind,
    /// The project directory, relative to the repository root (`.` by default).
    pub project_dir: String,
    /// A file holding the version (for `pattern`; for `module`, the module file), project-relative.
    pub version_file: Option<String>,
    /// A regex with one capture group around the version (for `pattern`).
    pub version_pattern: Option<String>,
    /// A local directory of built dists (for `dist`, and last in `auto`).
    pub dist_dir: Option<PathBuf>,
}

impl Default for SourceRequest {
    fn default() -> Self {
        SourceRequest {
            kind: SourceKind::Auto,
            project_dir: ".".to_string(),
            version_file: None,
            version_pattern: None,
            dist_dir: None,
        }
    }
}

/// A version and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The version, as written.
    pub version: String,
    /// The source that held it (never `Auto`).
    pub kind: SourceKind,
    /// The file, relative to the repository root (for dists: the dist's path).
    pub file: String,
    /// What in the file: `[project].version`, `__version__`, `[tool.poetry].version`, `Version`…
    pub key: String,
    /// Every existing file that was read (repository-relative), so a caller can fetch the same
    /// ones at another commit and run [`find_version`] on a [`crate::MapFiles`]. Empty for dists.
    pub files_read: Vec<String>,
}

impl Found {
    /// `file` and `key` together, e.g. `pyproject.toml [project].version`, for the `source` output.
    pub fn describe(&self) -> String {
        format!("{} {}", self.file, self.key)
    }
}

/// Shared state of one lookup: the files (tracked), the project dir, what was tried.
pub(crate) struct Ctx<'a> {
    files: Tracked<'a>,
    dir: String,
    req: &'a SourceRequest,
    tried: Vec<String>,
}

impl Ctx<'_> {
    /// A project-relative path made repository-relative.
    pub(crate) fn rel(&self, path: &str) -> String {
        join(&self.dir, path)
    }

    /// Reads a project-relative file.
    pub(crate) fn read(&self, path: &str) -> Result<Option<String>, VersionError> {
        self.files.read(&self.rel(path))
    }

    /// Lists a project-relative directory.
    pub(crate) fn list(&self, path: &str) -> Result<Option<Vec<String>>, VersionError> {
        self.files.list(&self.rel(path))
    }

    /// Notes something that was looked at without success, for [`VersionError::NotFound`].
    pub(crate) fn tried(&mut self, what: String) {
        self.tried.push(what);
    }

    /// Builds the result; an empty version is an error naming the file.
    pub(crate) fn found(
        &self,
        version: &str,
        kind: SourceKind,
        file: &str,
        key: impl Into<String>,
    ) -> Result<Found, VersionError> {
        let key = key.into();
        let version = version.trim();
        if version.is_empty() {
            return Err(VersionError::Unreadable {
                file: self.rel(file),
                reason: format!("`{key}` is empty"),
                hint: "set the version there".to_string(),
            });
        }
        Ok(Found {
            version: version.to_string(),
            kind,
            file: self.rel(file),
            key,
            files_read: self.files.files_read(),
        })
    }
}

/// Reads the project's version from its files as `req` says; errors name the file and, when
/// nothing matched, list everything that was tried.
pub fn find_version(files: &dyn Files, req: &SourceRequest) -> Result<Found, VersionError> {
    let dir = normalize(if req.project_dir.trim().is_empty() {
        "."
    } else {
        &req.project_dir
    });
    if dir != "." && files.list(&dir)?.is_none() {
        return Err(VersionError::MissingProjectDir { dir });
    }
    let mut ctx = Ctx {
        files: Tracked::new(files),
        dir,
        req,
        tried: Vec::new(),
    };
    let found = match req.kind {
        SourceKind::Dist => return dists::dist(&ctx),
        SourceKind::File => return file::pattern(&ctx),
        SourceKind::Auto => backends::auto(&mut ctx)?,
        kind => backends::explicit(&mut ctx, kind)?,
    };
    found.ok_or_else(|| VersionError::NotFound {
        dir: ctx.dir.clone(),
        tried: ctx.tried,
    })
}
