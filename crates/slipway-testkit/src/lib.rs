//! slipway-testkit: the real-parts test kit every slipway crate tests with (dev-only).
//!
//! - [`github`]: a stateful fake of GitHub's REST API (releases, assets, tags, contents) on
//!   local ports, faithful to the documented behaviour, with fault injection and a request log.
//! - [`hostile`]: a rule-based hostile HTTP server (black hole, stall, drip, endless bodies,
//!   redirects, echoed credentials), alone or as a reverse proxy in front of a real upstream,
//!   with a request log.
//! - [`harness`]: runs a built binary the way the Actions runner runs a container action
//!   (`INPUT_*` variables, `GITHUB_OUTPUT`, event.json) and parses what it wrote.

pub mod github;
pub mod harness;
pub mod hostile;
