//! slipway-dist: work in progress.
