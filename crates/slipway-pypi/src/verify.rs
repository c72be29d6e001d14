//! Read-back: after the uploads (and skips), the index's own simple page must serve every file
//! with the sha256 that was uploaded. An index's page may lag behind an upload (PyPI's CDN
//! purges within seconds, sometimes minutes), so a file not listed yet is looked for again,
//! for at most [`VerifyWait::wait`] (`SLIPWAY_VERIFY_WAIT`, default 120 s).

use std::time::{Duration, Instant};

use slipway_http::{Credential, Transport};
use slipway_runner::Env;
use slipway_runner::env::SLIPWAY_VERIFY_WAIT;
use url::Url;

use crate::index::{IndexError, Pages, Served};
use crate::publish::{FileReport, FileStatus};

/// The default longest wait for an index's pages to show what was uploaded.
pub const DEFAULT_VERIFY_WAIT: Duration = Duration::from_secs(120);
/// The longest pause between two reads of a page that does not show a file yet.
const MAX_PAUSE: Duration = Duration::from_secs(10);

/// How long the read-back waits for an index to serve what was uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyWait {
    /// The bound: past it, a file still not served is an error.
    pub wait: Duration,
}

impl Default for VerifyWait {
    fn default() -> Self {
        Self {
            wait: DEFAULT_VERIFY_WAIT,
        }
    }
}

impl VerifyWait {
    /// The default, or `SLIPWAY_VERIFY_WAIT` (seconds, fractions allowed; `0` reads once and
    /// does not wait). Another value is an error naming the variable.
    pub fn from_env(env: &Env) -> Result<Self, String> {
        let Some(value) = env
            .get(SLIPWAY_VERIFY_WAIT)
            .filter(|v| !v.trim().is_empty())
        else {
            return Ok(Self::default());
        };
        match value.trim().parse::<f64>() {
            Ok(secs) if secs.is_finite() && (0.0..1e6).contains(&secs) => Ok(Self {
                wait: Duration::from_secs_f64(secs),
            }),
            _ => Err(format!(
                "`{SLIPWAY_VERIFY_WAIT}` is `{}`, not a number of seconds\nhint: write e.g. `120` (the default) or `0.5`; `0` reads the index once without waiting",
                slipway_runner::quote::cut(value, 40)
            )),
        }
    }
}

/// One file to read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The project name (its page).
    pub name: String,
    /// The file name.
    pub filename: String,
    /// The sha256 uploaded.
    pub sha256: String,
    /// Its size (a file listed without a hash is read no further).
    pub size: u64,
}

impl Expected {
    /// The files of a publish that must be on the index: uploaded or skipped (a dry run's
    /// would-be uploads are not there).
    pub fn of(files: &[FileReport]) -> Vec<Self> {
        files
            .iter()
            .filter(|f| f.status != FileStatus::WouldUpload)
            .map(|f| Self {
                name: f.name.clone(),
                filename: f.filename.clone(),
                sha256: f.sha256.clone(),
                size: f.size,
            })
            .collect()
    }
}

/// One file the index serves with the expected sha256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// The file name.
    pub filename: String,
    /// The sha256 the index serves it with.
    pub sha256: String,
    /// Where it serves it.
    pub url: String,
}

/// Why the read-back failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A file is not served (after the wait).
    #[error(
        "read-back: the index `{index}` does not serve {} (looked for {} s): {}\nhint: check `index-url` is the simple API of the index uploaded to (`repository-url`), that the index publishes uploads at once (not after a review), and re-run later if its pages are cached longer (`SLIPWAY_VERIFY_WAIT`, default 120 s); `verify-uploaded: false` turns the read-back off",
        missing.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
        bound.as_secs_f64(),
        "they were uploaded (or found there before), but its simple page does not list them"
    )]
    NotServed {
        /// The index, as shown.
        index: String,
        /// How long the read-back looked (`SLIPWAY_VERIFY_WAIT`).
        bound: Duration,
        /// The files it does not list.
        missing: Vec<String>,
    },
    /// A file is served with other bytes than those uploaded.
    #[error(
        "read-back: the index `{index}` serves `{filename}` with {served}, but the uploaded file has sha256 `{expected}`\nhint: the index does not serve the bytes uploaded; check `index-url` belongs to `repository-url`, and do not announce this release until the index serves the right file"
    )]
    OtherBytes {
        /// The index, as shown.
        index: String,
        /// The file name.
        filename: String,
        /// What the index serves (`sha256 `…``, or a longer file).
        served: String,
        /// The sha256 uploaded.
        expected: String,
    },
    /// The index could not be read (after the transport's retries).
    #[error(
        "read-back: cannot read the index `{index}`: {source}\nhint: the files were uploaded; re-run the job to read them back (uploaded files are skipped), or check `index-url`"
    )]
    Index {
        /// The index, as shown.
        index: String,
        /// Why.
        #[source]
        source: IndexError,
    },
}

/// Reads every `expected` file back from `index`, looking again (pauses from a quarter second
/// doubling to 10 s) until each is listed or `wait` has passed; returns what the index serves.
pub async fn read_back(
    transport: &Transport,
    index: &Url,
    credential: Option<Credential>,
    expected: &[Expected],
    wait: VerifyWait,
) -> Result<Vec<Verified>, VerifyError> {
    let shown = transport.show(index);
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    let mut verified: Vec<Verified> = Vec::new();
    loop {
        let mut missing = Vec::new();
        // Each pass reads each project's page once, afresh.
        let mut pages = Pages::new(transport, index, credential.clone());
        for file in expected {
            if verified.iter().any(|v| v.filename == file.filename) {
                continue;
            }
            let answer = pages
                .served(&file.name, &file.filename, file.size)
                .await
                .map_err(|source| VerifyError::Index {
                    index: shown.clone(),
                    source,
                })?;
            let other = |served: String| VerifyError::OtherBytes {
                index: shown.clone(),
                filename: file.filename.clone(),
                served,
                expected: file.sha256.clone(),
            };
            match answer {
                Served::Sha256 { sha256, url } if sha256 == file.sha256 => {
                    tracing::info!("read-back: `{}` served at {url}", file.filename);
                    verified.push(Verified {
                        filename: file.filename.clone(),
                        sha256,
                        url,
                    });
                }
                Served::Sha256 { sha256, .. } => return Err(other(format!("sha256 `{sha256}`"))),
                Served::Longer { .. } => return Err(other("a longer file".into())),
                Served::Absent { .. } => missing.push(file.filename.clone()),
            }
        }
        let waited = started.elapsed();
        if missing.is_empty() {
            // In the order given, whatever order they appeared in.
            verified.sort_by_key(|v| expected.iter().position(|e| e.filename == v.filename));
            return Ok(verified);
        }
        if waited >= wait.wait {
            return Err(VerifyError::NotServed {
                index: shown,
                bound: wait.wait,
                missing,
            });
        }
        let nap = pause.min(wait.wait - waited);
        tracing::info!(
            "read-back: {} not listed yet; looking again in {:.1} s",
            missing.join(", "),
            nap.as_secs_f64()
        );
        // Not a retry: the index answered; its page has not caught up yet (SLIPWAY_VERIFY_WAIT).
        tokio::time::sleep(nap).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_comes_from_the_environment() {
        let env = |v: &str| Env::from_pairs([(SLIPWAY_VERIFY_WAIT, v)]);
        assert_eq!(VerifyWait::from_env(&env("")), Ok(VerifyWait::default()));
        assert_eq!(
            VerifyWait::from_env(&env("0.5")).unwrap().wait,
            Duration::from_millis(500)
        );
        assert_eq!(
            VerifyWait::from_env(&env("0")).unwrap().wait,
            Duration::ZERO
        );
        let err = VerifyWait::from_env(&env("soon")).unwrap_err();
        assert!(err.contains("`SLIPWAY_VERIFY_WAIT` is `soon`") && err.contains("hint:"));
        assert!(VerifyWait::from_env(&env("-1")).is_err());
    }
}
