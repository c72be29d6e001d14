//! slipway-testkit: work in progress.
