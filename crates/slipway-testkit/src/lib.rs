//! slipway-testkit: the real-parts test kit every slipway crate tests with (dev-only).
//!
//! - [`serve`]: the one HTTP server stack of the well-behaved doubles (hyper on loopback, a
//!   task a connection, every request recorded), and which stack is for what.
//! - [`github`]: a stateful fake of GitHub's REST API (releases, assets, tags, contents) on
//!   local ports, faithful to the documented behaviour, with fault injection and a request log.
//! - [`doubles`]: smaller doubles on [`serve`]: a package index; trusted publishing's OIDC
//!   endpoints (GitHub's token endpoint, one token an audience, with a job's claims; the index's
//!   audience and mint-token); Sigstore's Fulcio (CA, embedded SCT) and Rekor (transparency log,
//!   RFC 6962 proofs), with the trusted root that verifies what they sign.
//! - [`hostile`]: a rule-based hostile HTTP server (black hole, stall, drip, endless bodies,
//!   redirects, echoed credentials), alone or as a reverse proxy in front of a real upstream,
//!   with a request log; it writes the wire itself, for misbehaviour below HTTP.
//! - [`real`]: the real parts: the Python tools in the workspace venv, fixture projects built by
//!   real build backends, pypiserver and devpi-server on loopback, pip installing from them.
//! - [`harness`]: runs a built binary the way the Actions runner runs a container action
//!   (`INPUT_*` variables, `GITHUB_OUTPUT`, event.json) and parses what it wrote.
//! - [`snapshot`]: the one filter set for snapshot tests (ports, temporary paths, timings, dates),
//!   so an error message or a step summary snapshot changes only when its wording does.

pub mod doubles;
pub mod github;
pub mod harness;
pub mod hostile;
pub mod real;
pub mod serve;
pub mod snapshot;
