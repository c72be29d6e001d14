//! slipway-fetch-assets: work in progress.
