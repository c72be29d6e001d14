//! The list of slipway's tools and where their generated files live.

use std::path::PathBuf;

use slipway_runner::Tool;
use slipway_runner::docs::Runs;

/// Every tool, in pipeline order (the one list, `slipway_cli::TOOLS`).
pub fn tools() -> Vec<&'static Tool> {
    slipway_cli::TOOLS.to_vec()
}

/// The prebuilt image every released action runs, so no user job compiles Rust.
pub fn image() -> String {
    format!(
        "docker://ghcr.io/OWNER/slipway:v{}",
        env!("CARGO_PKG_VERSION")
    )
}

/// How one tool's action runs: the image's multi-call binary with the tool's name.
pub fn runs(tool: &Tool) -> Runs {
    Runs {
        image: image(),
        entrypoint: "/usr/local/bin/slipway".into(),
        args: vec![tool.name.into()],
        env: vec![],
    }
}

/// How the umbrella action runs: the tool named by its `tool` input, empty inputs taking defaults.
pub fn umbrella_runs() -> Runs {
    Runs {
        image: image(),
        entrypoint: "/usr/local/bin/slipway".into(),
        args: vec!["${{ inputs.tool }}".into()],
        env: vec![(slipway_runner::env::SLIPWAY_UMBRELLA.into(), "1".into())],
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}
