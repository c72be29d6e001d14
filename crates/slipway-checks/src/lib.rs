//! The list of slipway's tools and where their generated files live.

use std::path::PathBuf;

use slipway_runner::Tool;
use slipway_runner::docs::Runs;

/// Every tool, in pipeline order, with the icon its action shows on the Marketplace.
pub fn tools() -> Vec<(&'static Tool, &'static str)> {
    vec![
        (&slipway_version_bump::TOOL, "tag"),
        (&slipway_draft_release::TOOL, "package"),
        (&slipway_fetch_assets::TOOL, "download"),
        (&slipway_pypi_publish::TOOL, "upload-cloud"),
    ]
}

/// The image every released action runs: prebuilt, so no user job compiles Rust.
pub fn runs(tool: &Tool) -> Runs {
    Runs {
        image: format!("docker://ghcr.io/OWNER/slipway:v{}", env!("CARGO_PKG_VERSION")),
        entrypoint: format!("/usr/local/bin/{}", tool.name),
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
