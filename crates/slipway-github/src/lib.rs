//! slipway-github: work in progress.
