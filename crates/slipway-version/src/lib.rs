//! "What is this project's version?", answered without running Python.
//!
//! - [`ParsedVersion`] parses and orders versions under PEP 440 or SemVer; [`bump_kind`] says
//!   which part changed between two versions.
//! - [`render_tag`] / [`version_from_tag`] map versions to tags and back through a template;
//!   [`validate_tag`] is the one check of a tag name (git's ref-name rules).
//! - [`find_version`] reads the version from a project's files ([`LocalFiles`] for the checkout,
//!   [`MapFiles`] for contents fetched at another commit), trying the build backends' own rules.

mod dev;
mod error;
mod files;
mod scheme;
mod source;
mod tag;
mod write;

pub use dev::{dev_number_from_time, dev_version};
pub use error::VersionError;

/// How a version becomes a tag unless a tool's `tag-template` says otherwise.
pub const DEFAULT_TAG_TEMPLATE: &str = "v{version}";
pub use files::{Files, LocalFiles, MapFiles};
pub use scheme::{BumpKind, ParsedVersion, Scheme, bump_kind};
pub use source::{Found, SourceKind, SourceRequest, find_version};
pub use tag::{MAX_TAG_PART_BYTES, render_tag, strip_v_prefix, validate_tag, version_from_tag};
pub use write::version_span;
