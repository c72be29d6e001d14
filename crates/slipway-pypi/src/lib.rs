//! Uploading Python distributions to PyPI or any index with the legacy upload API.
//!
//! [`publish()`] is the whole job: the local dists are found, read and checked ([`dists`]), the
//! credentials come from a token or trusted publishing ([`oidc`]), then each file is compared
//! with what the index already has ([`index`]) and streamed with a retry policy ([`upload`]).
//! [`metadata`] holds the core-metadata field table and builds the form; [`preflight`] applies
//! every rule PyPI's upload code applies that can be checked locally, to every dist, before the
//! first request.

/// The user name of API tokens and minted trusted-publishing tokens on PyPI-like indexes.
pub const TOKEN_USER: &str = "__token__";

pub mod attest;
pub mod dists;
pub mod gate;
mod hashing;
pub mod http;
pub mod index;
pub mod metadata;
pub mod oidc;
pub mod preflight;
pub mod promote;
pub mod publish;
pub mod upload;
pub mod urls;
pub mod verify;

pub use dists::{LocalDist, LocalError, LocalOptions};
pub use http::{Credentials, Patience};
pub use oidc::{Claims, OidcEnv, TrustedPublishingError};
pub use promote::{PromoteError, PromoteFrom, Proof};
pub use publish::{
    FileReport, FileStatus, PublishError, PublishReport, PublishRequest, TrustedPublishing,
    UploadError, publish,
};
pub use slipway_http::{RetryPolicy, TimeBounds};
pub use urls::{
    PYPI_UPLOAD_URL, TESTPYPI_UPLOAD_URL, UrlError, derive_index_url, display_input_url,
    parse_secure_url, typed_userinfo, userinfo, without_userinfo,
};
pub use verify::{Verified, VerifyError, VerifyWait};
