//! Promotion from a staging index: before anything is signed or uploaded, every dist must be
//! on the staging index with the same sha256, so what reaches production is exactly what was
//! tested there. The staging index is read through the shared transport (PEP 691 JSON, HTML
//! fallback, see [`crate::index`]) with its own credentials only: the production index's never
//! go to the staging origin.

use std::fmt;

use slipway_http::Transport;
use slipway_runner::Commands;
use url::Url;

use crate::dists::LocalDist;
use crate::http::Credentials;
use crate::index::{IndexError, Pages, Served};

/// The staging index to promote from.
#[derive(Debug, Clone)]
pub struct PromoteFrom {
    /// Its simple API (`https://test.pypi.org/simple/`), without credentials.
    pub index: Url,
    /// Credentials written into the `promote-from` URL, sent to that origin only.
    pub auth: Option<Credentials>,
}

/// The proof that one dist is on the staging index with the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Proof {
    /// The file name.
    pub filename: String,
    /// Its sha256, the same locally and on staging.
    pub sha256: String,
    /// Where the staging index serves it.
    pub found_at: String,
}

/// One dist that is not on the staging index as it is locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discrepancy {
    /// The staging index does not list the file.
    Missing {
        /// The file name.
        filename: String,
        /// The local file's sha256.
        local: String,
    },
    /// The staging index serves other bytes under the name.
    Differs {
        /// The file name.
        filename: String,
        /// The local file's sha256.
        local: String,
        /// What the staging index serves.
        staging: String,
    },
    /// The staging index serves a longer file under the name (listed without a hash).
    Longer {
        /// The file name.
        filename: String,
        /// The local file's sha256.
        local: String,
    },
}

impl fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { filename, local } => write!(
                f,
                "`{filename}`: not on the staging index (local sha256 `{local}`)"
            ),
            Self::Differs {
                filename,
                local,
                staging,
            } => write!(
                f,
                "`{filename}`: other bytes on the staging index (staging sha256 `{staging}`, local sha256 `{local}`)"
            ),
            Self::Longer { filename, local } => write!(
                f,
                "`{filename}`: other bytes on the staging index (its file is longer; local sha256 `{local}`)"
            ),
        }
    }
}

/// Why the dists cannot be promoted (nothing was uploaded).
#[derive(Debug, thiserror::Error)]
pub enum PromoteError {
    /// Some dists are not on the staging index with the same bytes.
    #[error(
        "not promoting: {} of {total} file(s) are not on the staging index `{index}` with the same bytes; nothing was uploaded:\n{}\nhint: promote exactly the files the staging job published (download its artifact, or fetch-assets from the same release); a rebuild has other bytes, so publish it to staging first and test it there",
        found.len(),
        list(found)
    )]
    NotOnStaging {
        /// The staging index, as shown.
        index: String,
        /// How many dists were checked.
        total: usize,
        /// Each file that failed the check.
        found: Vec<Discrepancy>,
    },
    /// The staging index could not be read (after the transport's retries).
    #[error(
        "not promoting: cannot read the staging index `{index}`: {source}; nothing was uploaded\nhint: check `promote-from` is the staging index's simple API (e.g. `https://test.pypi.org/simple/`) and re-run when it answers"
    )]
    Index {
        /// The staging index, as shown.
        index: String,
        /// Why.
        #[source]
        source: IndexError,
    },
}

fn list(found: &[Discrepancy]) -> String {
    found
        .iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks every dist is on the staging index with its sha256; returns the proof of each, or
/// every discrepancy at once.
pub async fn check(
    transport: &Transport,
    from: &PromoteFrom,
    dists: &[LocalDist],
    commands: &Commands,
) -> Result<Vec<Proof>, PromoteError> {
    if let Some(auth) = &from.auth {
        auth.register(commands);
    }
    let shown = transport.show(&from.index);
    let credential = from.auth.as_ref().map(|a| a.for_origin(&from.index));
    let mut proofs = Vec::new();
    let mut found = Vec::new();
    let mut pages = Pages::new(transport, &from.index, credential);
    for dist in dists {
        let filename = dist.file.filename.clone();
        let local = dist.hashes.sha256.clone();
        let answer = pages
            .served(dist.name(), &filename, dist.hashes.size)
            .await
            .map_err(|source| PromoteError::Index {
                index: shown.clone(),
                source,
            })?;
        match answer {
            Served::Sha256 { sha256, url } if sha256 == local => {
                tracing::info!("`{filename}`: on the staging index with sha256 {sha256} ({url})");
                proofs.push(Proof {
                    filename,
                    sha256,
                    found_at: url,
                });
            }
            Served::Sha256 { sha256, .. } => found.push(Discrepancy::Differs {
                filename,
                local,
                staging: sha256,
            }),
            Served::Longer { .. } => found.push(Discrepancy::Longer { filename, local }),
            Served::Absent { redirected_to } => {
                if let Some(to) = redirected_to {
                    commands.notice(&format!(
                        "the staging index redirects `{}` to another host (`{to}`): taken as not on staging",
                        dist.name()
                    ));
                }
                found.push(Discrepancy::Missing { filename, local });
            }
        }
    }
    if found.is_empty() {
        Ok(proofs)
    } else {
        Err(PromoteError::NotOnStaging {
            index: shown,
            total: dists.len(),
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_discrepancy_names_the_file_and_its_digests() {
        let err = PromoteError::NotOnStaging {
            index: "http://127.0.0.1:1/simple/".into(),
            total: 3,
            found: vec![
                Discrepancy::Missing {
                    filename: "a.whl".into(),
                    local: "aa".into(),
                },
                Discrepancy::Differs {
                    filename: "b.tar.gz".into(),
                    local: "bb".into(),
                    staging: "cc".into(),
                },
            ],
        }
        .to_string();
        assert!(err.contains("2 of 3 file(s)"), "{err}");
        assert!(err.contains("`a.whl`: not on the staging index (local sha256 `aa`)"));
        assert!(
            err.contains("staging sha256 `cc`, local sha256 `bb`"),
            "{err}"
        );
        assert!(err.contains("nothing was uploaded") && err.contains("\nhint: "));
    }
}
