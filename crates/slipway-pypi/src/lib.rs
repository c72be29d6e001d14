//! slipway-pypi: work in progress.
