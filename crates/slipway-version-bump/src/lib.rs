//! slipway-version-bump: work in progress.
