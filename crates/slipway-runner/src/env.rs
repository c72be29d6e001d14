//! Every environment variable slipway reads, named once.
//!
//! The runner passes these into a container action (see DESIGN.md, "The runner contract").
//! Locally, a user may set any of them by hand; [`Env`] is a snapshot so tests can build one.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// `true` when running inside GitHub Actions: workflow commands (`::error::`) are emitted.
pub const GITHUB_ACTIONS: &str = "GITHUB_ACTIONS";
/// `owner/name` of the repository that runs the workflow.
pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// REST API base URL (`https://api.github.com`, or GHES' `https://HOST/api/v3`).
pub const GITHUB_API_URL: &str = "GITHUB_API_URL";
/// Web base URL (`https://github.com`).
pub const GITHUB_SERVER_URL: &str = "GITHUB_SERVER_URL";
/// Commit SHA that triggered the workflow.
pub const GITHUB_SHA: &str = "GITHUB_SHA";
/// Full ref (`refs/heads/main`, `refs/tags/v1.0`).
pub const GITHUB_REF: &str = "GITHUB_REF";
/// Short ref name (`main`, `v1.0`).
pub const GITHUB_REF_NAME: &str = "GITHUB_REF_NAME";
/// Event name (`push`, `release`, `workflow_dispatch`, `pull_request`).
pub const GITHUB_EVENT_NAME: &str = "GITHUB_EVENT_NAME";
/// Path of the event payload JSON.
pub const GITHUB_EVENT_PATH: &str = "GITHUB_EVENT_PATH";
/// File that step outputs are appended to.
pub const GITHUB_OUTPUT: &str = "GITHUB_OUTPUT";
/// File that the step summary (markdown) is appended to.
pub const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";
/// The workspace directory (the container's working directory).
pub const GITHUB_WORKSPACE: &str = "GITHUB_WORKSPACE";
/// Workflow run id.
pub const GITHUB_RUN_ID: &str = "GITHUB_RUN_ID";
/// Attempt number of the run (re-runs increase it).
pub const GITHUB_RUN_ATTEMPT: &str = "GITHUB_RUN_ATTEMPT";
/// The job's id in the workflow file (`jobs.<id>`; matrix cells share it).
pub const GITHUB_JOB: &str = "GITHUB_JOB";
/// `1` when the run has debug logging enabled.
pub const RUNNER_DEBUG: &str = "RUNNER_DEBUG";
/// A temporary directory emptied at the start and end of each job.
pub const RUNNER_TEMP: &str = "RUNNER_TEMP";
/// OIDC token request URL; present only with `permissions: id-token: write`.
pub const ACTIONS_ID_TOKEN_REQUEST_URL: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// Bearer token for [`ACTIONS_ID_TOKEN_REQUEST_URL`].
pub const ACTIONS_ID_TOKEN_REQUEST_TOKEN: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// Local runs only: fallback for the `token` input (the runner does not pass it into containers).
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// Local runs only: the GitHub CLI's token variable, second fallback for `token`.
pub const GH_TOKEN: &str = "GH_TOKEN";
/// Tuning: total attempts per HTTP request, GitHub and index alike (default 5).
pub const SLIPWAY_RETRY_ATTEMPTS: &str = "SLIPWAY_RETRY_ATTEMPTS";
/// Tuning: scale every retry wait to this many milliseconds (default: real backoff, 1 s doubling).
pub const SLIPWAY_RETRY_UNIT_MS: &str = "SLIPWAY_RETRY_UNIT_MS";
/// Time bound: seconds to wait for a TCP/TLS connection (default 10).
pub const SLIPWAY_CONNECT_TIMEOUT: &str = "SLIPWAY_CONNECT_TIMEOUT";
/// Time bound: seconds a peer may send nothing, the wait for an answer included (default 60).
pub const SLIPWAY_SILENT_TIMEOUT: &str = "SLIPWAY_SILENT_TIMEOUT";
/// Time bound: the low-speed rule's rate in bytes per second (default 1024; 0 turns it off).
pub const SLIPWAY_LOW_SPEED_LIMIT: &str = "SLIPWAY_LOW_SPEED_LIMIT";
/// Time bound: the low-speed rule's window in seconds (default 30).
pub const SLIPWAY_LOW_SPEED_TIME: &str = "SLIPWAY_LOW_SPEED_TIME";
/// Time bound: seconds one logical call may take, retries included (default 300; a transfer gets
/// its size divided by the low-speed limit on top).
pub const SLIPWAY_DEADLINE: &str = "SLIPWAY_DEADLINE";
/// Time bound: seconds pypi-publish's read-back waits for the index to serve what was uploaded
/// (default 120; 0 reads once).
pub const SLIPWAY_VERIFY_WAIT: &str = "SLIPWAY_VERIFY_WAIT";
/// Set to `1` by the umbrella action (`uses: OWNER/slipway@v1`), which declares every tool's
/// inputs without defaults: there an empty input means "not given" and takes the tool's default.
pub const SLIPWAY_UMBRELLA: &str = "SLIPWAY_UMBRELLA";
/// Prefix of action inputs: `INPUT_<NAME>` with NAME upper-cased, spaces to `_`, hyphens kept.
pub const INPUT_PREFIX: &str = "INPUT_";

/// A snapshot of the process environment (or a hand-made one in tests).
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Captures the current process environment; variables that are not valid UTF-8 are skipped.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// Builds an environment from pairs (tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Returns the variable's value, even when it is empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Returns the variable's value, or `None` when it is unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    /// Sets a variable in the snapshot (tests, and local defaults).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// True inside a GitHub Actions job.
    pub fn in_actions(&self) -> bool {
        self.get(GITHUB_ACTIONS) == Some("true")
    }

    /// True when the run asked for debug logs (`RUNNER_DEBUG=1`).
    pub fn debug(&self) -> bool {
        self.get(RUNNER_DEBUG) == Some("1")
    }

    /// The path of a variable that names a file, if set.
    pub fn path(&self, name: &str) -> Option<PathBuf> {
        self.get(name).map(PathBuf::from)
    }
}

/// The environment variable an input arrives in: `INPUT_` + the name upper-cased, with spaces
/// turned into `_` and hyphens kept (`dry-run` → `INPUT_DRY-RUN`), exactly as the runner does.
pub fn input_var(name: &str) -> String {
    let mut out = String::with_capacity(INPUT_PREFIX.len() + name.len());
    out.push_str(INPUT_PREFIX);
    out.extend(name.chars().map(|c| {
        if c == ' ' {
            '_'
        } else {
            c.to_ascii_uppercase()
        }
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_keep_hyphens() {
        assert_eq!(input_var("dry-run"), "INPUT_DRY-RUN");
        assert_eq!(input_var("my input"), "INPUT_MY_INPUT");
        assert_eq!(input_var("api-url"), "INPUT_API-URL");
    }

    #[test]
    fn empty_is_unset_for_get_but_not_raw() {
        let env = Env::from_pairs([("A", ""), ("B", "x")]);
        assert_eq!(env.raw("A"), Some(""));
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get("B"), Some("x"));
    }
}
