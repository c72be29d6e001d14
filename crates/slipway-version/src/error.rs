//! The one error type of this crate; every message names the file or value it is about.

/// git's ref-name rules (`git check-ref-format`), as the hint of every tag error states them.
const TAG_RULES: &str = "a tag follows git's rules for ref names: no spaces or control characters, none of `~ ^ : ? * [ \\`, no `..` or `@{`, no `/` at either end or twice in a row, no `.` at the end, and no `/`-separated part that starts with `.` or ends with `.lock`";

/// Why a version could not be read, parsed or rendered.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// A version string is not valid under the scheme.
    #[error("`{value}` is not a valid {scheme} version: {reason}")]
    InvalidVersion {
        /// The text that was parsed.
        value: String,
        /// `PEP 440` or `SemVer`.
        scheme: &'static str,
        /// What the parser reported.
        reason: String,
    },
    /// A tag template is malformed.
    #[error(
        "invalid tag template `{template}`: {reason}\nhint: write the tag with `{{version}}` where the version goes, e.g. `v{{version}}` or `release-{{version}}` (`{{major}}`, `{{minor}}` and `{{patch}}` may be used besides)"
    )]
    InvalidTemplate {
        /// The template.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A tag template that makes a tag git refuses (see [`crate::validate_tag`]).
    #[error(
        "invalid tag template `{template}`: it makes the tag `{tag}`, which is not a valid git tag name: {reason}\nhint: {TAG_RULES}"
    )]
    TemplateMakesBadTag {
        /// The template.
        template: String,
        /// The tag it made.
        tag: String,
        /// The first rule the tag breaks.
        reason: String,
    },
    /// A tag name that git refuses (see [`crate::validate_tag`]).
    #[error("`{tag}` is not a valid git tag name: {reason}\nhint: {TAG_RULES}")]
    InvalidTag {
        /// The tag.
        tag: String,
        /// The first rule it breaks.
        reason: String,
    },
    /// An unknown `version-source` value.
    #[error(
        "unknown version source `{value}`\nhint: use one of auto, pep621, poetry, hatch, pdm, setuptools, flit, setup.py, module, cargo, dist, file (with `version-file` and `version-pattern`)"
    )]
    UnknownSourceKind {
        /// The value given.
        value: String,
    },
    /// The request itself is incomplete (e.g. `pattern` without `version-pattern`).
    #[error("{reason}\nhint: {hint}")]
    InvalidRequest {
        /// What is missing or contradictory.
        reason: String,
        /// How to fix it.
        hint: String,
    },
    /// Reading a file or directory failed (other than it being absent).
    #[error("cannot read `{path}`: {reason}")]
    Io {
        /// The path, relative to the repository.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The project directory does not exist.
    #[error(
        "the project directory `{dir}` does not exist\nhint: set `project-dir` to the directory that holds pyproject.toml"
    )]
    MissingProjectDir {
        /// The directory, relative to the repository.
        dir: String,
    },
    /// A file the configuration points at does not exist.
    #[error("`{file}` does not exist ({what})")]
    MissingFile {
        /// The file, relative to the repository.
        file: String,
        /// Who pointed at it (e.g. "`[tool.hatch.version].path` in `pyproject.toml`").
        what: String,
    },
    /// A TOML file does not parse.
    #[error("`{file}` is not valid TOML at {file}:{line}:{column}: {message}")]
    Toml {
        /// The file, relative to the repository.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A file has the version in a form that cannot be read without running code.
    #[error("cannot read the version from `{file}`: {reason}\nhint: {hint}")]
    Unreadable {
        /// The file, relative to the repository.
        file: String,
        /// What was found instead of a literal.
        reason: String,
        /// How to fix it.
        hint: String,
    },
    /// The version cannot be written back where it was read.
    #[error("cannot write the version into `{file}`: {reason}\nhint: {hint}")]
    NotWritable {
        /// The file, relative to the repository.
        file: String,
        /// Why not.
        reason: String,
        /// What to do instead.
        hint: String,
    },
    /// The version is derived from git tags at build time, so the source does not hold it.
    #[error(
        "the version is derived from git tags by {tool}, so it cannot be read from the source files\nhint: use `version-source: dist` after the build step (or pass the version explicitly)"
    )]
    FromGitTags {
        /// The tool, e.g. `setuptools_scm`, `hatch-vcs`.
        tool: String,
    },
    /// A `version-pattern` is not a usable regex.
    #[error(
        "invalid version pattern `{pattern}`: {reason}\nhint: a regex with exactly one capture group around the version, e.g. `version = \"([^\"]+)\"`"
    )]
    InvalidPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `version-pattern` matched nothing.
    #[error("the version pattern `{pattern}` does not match anything in `{file}`")]
    PatternNoMatch {
        /// The file, relative to the repository.
        file: String,
        /// The pattern.
        pattern: String,
    },
    /// Nothing the source kind looks at holds a version.
    #[error("no version found in `{dir}`; tried:\n{}\nhint: set `version-source` (and `version-file`/`version-pattern`) to say where the version is", tried.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n"))]
    NotFound {
        /// The project directory.
        dir: String,
        /// What was looked at, one line each.
        tried: Vec<String>,
    },
    /// Built dists disagree on the version.
    #[error("the dists in `{dir}` have different versions: {}\nhint: clean the directory before building", versions.iter().map(|(f, v)| format!("`{f}` has `{v}`")).collect::<Vec<_>>().join(", "))]
    DistsDisagree {
        /// The dist directory.
        dir: String,
        /// (file name, version) per dist.
        versions: Vec<(String, String)>,
    },
    /// A dist directory holds no dists.
    #[error(
        "no wheel or sdist in `{dir}`\nhint: run the build step before this one, or set `dist-dir`"
    )]
    NoDists {
        /// The dist directory.
        dir: String,
    },
    /// Reading a dist failed.
    #[error(transparent)]
    Dist(#[from] slipway_dist::DistError),
}
