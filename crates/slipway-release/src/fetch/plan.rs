//! From a release to the list of downloads: the assets the patterns select (names checked
//! before anything is written), the checksums manifest, and what each file must hash to.

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use slipway_github::{Asset, GitHub, Release};
use slipway_runner::Commands;

use super::Fetch;
use super::download::{Expected, Fetched, Fetcher, Outcome};
use super::error::FetchError;
use super::manifest::{Lookup, Manifest};
use super::names::unsafe_reason;

/// A checksums file larger than this is not one (a line per file, ~100 bytes each).
const MANIFEST_MAX: u64 = 16 * 1024 * 1024;

/// One asset to bring into `dir`.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// The asset.
    pub asset: Asset,
    /// The hashes it must have.
    pub expected: Expected,
    /// The manifest lists it twice with different hashes (the job fails).
    pub conflict: bool,
}

/// The manifest as loaded, and where its bytes came from.
#[derive(Debug)]
struct LoadedManifest {
    asset: Asset,
    bytes: Vec<u8>,
    sha256: String,
    /// Read from a verified copy already in `dir` rather than downloaded.
    local: bool,
    /// The patterns select it, so it goes into `dir` like the other files.
    selected: bool,
}

/// Everything to do for one release.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The downloads, in asset order (the manifest excluded once loaded).
    pub jobs: Vec<Job>,
    manifest: Option<LoadedManifest>,
    manifest_name: String,
}

impl Plan {
    /// Lists the release's assets and decides what to fetch; refuses unsafe names and (with
    /// `fail-on-empty`) an empty selection before anything is written.
    pub(super) async fn make(
        gh: &GitHub,
        release: &Release,
        request: &Fetch,
        commands: &Commands,
    ) -> anyhow::Result<Self> {
        let assets = gh.list_assets(release.id).await.with_context(|| {
            format!(
                "cannot list the assets of release `{}` (id {})",
                release.tag_name, release.id
            )
        })?;
        let (uploaded, unfinished): (Vec<Asset>, Vec<Asset>) =
            assets.into_iter().partition(Asset::is_uploaded);
        for a in unfinished
            .iter()
            .filter(|a| request.filter.matches(&a.name))
        {
            commands.warning(&format!(
                "skipping `{}`: its upload never finished (state `{}`)",
                a.name, a.state
            ));
        }
        let selected: Vec<&Asset> = uploaded
            .iter()
            .filter(|a| request.filter.matches(&a.name))
            .collect();
        let refused: Vec<String> = selected
            .iter()
            .filter(|a| unsafe_reason(&a.name).is_some())
            .map(|a| a.name.clone())
            .collect();
        if !refused.is_empty() {
            return Err(FetchError::UnsafeNames { names: refused }.into());
        }
        if selected.is_empty() {
            let err = FetchError::NothingMatched {
                tag: release.tag_name.clone(),
                patterns: request.patterns.clone(),
                exclude: request.exclude.clone(),
                available: uploaded.iter().map(|a| a.name.clone()).collect(),
            };
            if request.fail_on_empty {
                return Err(err.into());
            }
            let text = err.to_string();
            commands.warning(text.lines().next().unwrap_or(&text));
        }
        let manifest_name = request
            .checksums
            .clone()
            .unwrap_or_else(|| super::MANIFEST.into());
        let manifest_asset = request
            .checksums
            .as_ref()
            .and_then(|name| uploaded.iter().find(|a| &a.name == name));
        let manifest = match manifest_asset {
            Some(asset) if !selected.is_empty() => {
                let selected = selected.iter().any(|a| a.id == asset.id);
                Some(load_manifest(gh, asset, request, selected).await?)
            }
            _ => None,
        };
        let parsed = manifest.as_ref().map(|m| {
            let parsed = Manifest::parse(&String::from_utf8_lossy(&m.bytes));
            for line in parsed.malformed.iter().take(5) {
                commands.warning(&format!(
                    "`{manifest_name}`: ignoring a line that is not `<sha256>  <name>`: `{line}`"
                ));
            }
            parsed
        });
        let mut jobs = Vec::new();
        for asset in selected {
            if manifest.as_ref().is_some_and(|m| m.asset.id == asset.id) {
                continue;
            }
            let digest = asset.sha256().map(str::to_ascii_lowercase);
            let lookup = parsed
                .as_ref()
                .map(|p| p.lookup(&asset.name))
                .unwrap_or(Lookup::Absent);
            let (from_manifest, conflict) = match lookup {
                Lookup::Hash(h) => (Some(h.to_string()), false),
                Lookup::Conflict => (None, true),
                Lookup::Absent => (None, false),
            };
            if parsed.is_some() && lookup == Lookup::Absent {
                commands.warning(&format!(
                    "`{}` is not listed in `{manifest_name}`",
                    asset.name
                ));
            }
            let expected = Expected {
                digest,
                manifest: from_manifest,
            };
            if request.verify && !conflict && expected == Expected::default() {
                commands.warning(&format!(
                    "`{}` cannot be verified: the release records no digest for it and no `{manifest_name}` lists it; it is taken as downloaded",
                    asset.name
                ));
            }
            jobs.push(Job {
                asset: asset.clone(),
                expected,
                conflict,
            });
        }
        Ok(Self {
            jobs,
            manifest,
            manifest_name,
        })
    }

    /// The error for a job whose manifest entry is ambiguous.
    pub(super) fn conflict_error(&self, job: &Job) -> FetchError {
        FetchError::AmbiguousManifest {
            manifest: self.manifest_name.clone(),
            name: job.asset.name.clone(),
        }
    }

    /// Puts the manifest into `dir` when the patterns select it, from the bytes already
    /// loaded (it is not downloaded twice); `None` when it is not selected.
    pub(super) async fn manifest_file(
        &self,
        fetcher: &Fetcher<'_>,
    ) -> Option<Result<Fetched, FetchError>> {
        let m = self.manifest.as_ref().filter(|m| m.selected)?;
        let expected = Expected {
            digest: m.asset.sha256().map(str::to_ascii_lowercase),
            manifest: None,
        };
        if m.local {
            let verification = expected.verification(fetcher.verify);
            return Some(Ok(Fetched {
                name: m.asset.name.clone(),
                path: fetcher.dir.join(&m.asset.name),
                size: m.bytes.len() as u64,
                sha256: Some(m.sha256.clone()),
                verification,
                outcome: Outcome::AlreadyPresent,
            }));
        }
        Some(
            fetcher
                .place(&m.asset, &m.bytes, &m.sha256, &expected)
                .await,
        )
    }
}

/// Reads the manifest: from a copy in `dir` whose hash matches the asset's digest, else by
/// downloading it, checked against its digest.
async fn load_manifest(
    gh: &GitHub,
    asset: &Asset,
    request: &Fetch,
    selected: bool,
) -> Result<LoadedManifest, FetchError> {
    let name = asset.name.as_str();
    if asset.size > MANIFEST_MAX {
        return Err(FetchError::ManifestTooLarge {
            name: name.to_string(),
            size: asset.size,
        });
    }
    let digest = asset.sha256().map(str::to_ascii_lowercase);
    let local = request.dir.join(name);
    if let Some(d) = &digest {
        let small =
            std::fs::symlink_metadata(&local).is_ok_and(|m| m.is_file() && m.len() <= MANIFEST_MAX);
        if let Some(bytes) = small.then(|| std::fs::read(&local).ok()).flatten() {
            let sha256 = hex::encode(Sha256::digest(&bytes));
            if &sha256 == d {
                tracing::info!("`{name}` is already in place with the right hash");
                return Ok(LoadedManifest {
                    asset: asset.clone(),
                    bytes,
                    sha256,
                    local: true,
                    selected,
                });
            }
        }
    }
    let mut bytes: Vec<u8> = Vec::new();
    gh.download_asset(asset, &mut bytes, |_| {})
        .await
        .map_err(|source| FetchError::Download {
            name: name.to_string(),
            source,
        })?;
    if bytes.len() as u64 > MANIFEST_MAX {
        return Err(FetchError::ManifestTooLarge {
            name: name.to_string(),
            size: bytes.len() as u64,
        });
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if request.verify
        && let Some(d) = digest.filter(|d| *d != sha256)
    {
        return Err(FetchError::HashMismatch {
            name: name.to_string(),
            source_name: "the asset's GitHub digest".into(),
            expected: d,
            actual: sha256,
        });
    }
    Ok(LoadedManifest {
        asset: asset.clone(),
        bytes,
        sha256,
        local: false,
        selected,
    })
}
