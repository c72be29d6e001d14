//! slipway-version: work in progress.
