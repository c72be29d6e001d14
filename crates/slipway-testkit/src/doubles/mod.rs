//! Well-behaved doubles of the other services slipway talks to, each a small file on
//! [`serve::Server`](crate::serve::Server): a handler (what the service answers) and a struct
//! (the running double and what a test asks it). The fake GitHub is bigger and has a module of
//! its own ([`crate::github`]); misbehaving servers are [`crate::hostile`]'s.
//!
//! - [`index`]: a package index taking uploads at `/legacy/` and listing them at `/simple/`,
//!   with a hook for faults and a connection cut half-way through an upload.
//! - [`oidc`]: trusted publishing's two sides: GitHub's OIDC token endpoint
//!   (`ACTIONS_ID_TOKEN_REQUEST_URL`) and an index's `/_/oidc/audience` and
//!   `/_/oidc/mint-token`; [`oidc::github_claims`] makes a GitHub Actions job's claims.
//! - [`sigstore`]: a fake Fulcio (CA with an embedded-SCT CT log key) and a fake Rekor (v1
//!   transparency log, `dsse` entries, RFC 6962 proofs), and the trusted root that verifies
//!   what they sign, for PEP 740 attestations.
//!
//! To add a double: a file here with a handler that answers a [`Request`](crate::serve::Request)
//! with a [`Reply`](crate::serve::Reply), and a struct that starts a `Server` with it.

pub mod index;
pub mod oidc;
pub mod sigstore;
