//! The release work the GitHub-side tools share, with no knowledge of action inputs: each tool's
//! `request.rs` turns inputs into one of the typed requests here, and its `report.rs` turns the
//! result into outputs and a step summary.
//!
//! - [`bump`]: read the version from source and compare it with the last release, tag or commit
//!   (version-bump);
//! - [`draft`]: one draft release per version, every file attached once, a `SHA256SUMS` manifest,
//!   duplicates reconciled (draft-release);
//! - [`fetch`]: exactly the released bytes, verified against GitHub's digest and the manifest
//!   (fetch-assets);
//! - [`nightly`]: one published pre-release per build on a channel of dev versions, pruned by
//!   "the newest N builds OR younger than D days", with a static simple index (nightly).

/// The checksums manifest's usual asset name: the `checksums` input's default in draft-release
/// and fetch-assets, in `sha256sum` format.
pub const MANIFEST: &str = "SHA256SUMS";

pub mod bump;
pub mod draft;
pub mod fetch;
pub mod nightly;
