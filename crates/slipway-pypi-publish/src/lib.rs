//! slipway-pypi-publish: work in progress.
