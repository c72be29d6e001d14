//! slipway-draft-release: work in progress.
