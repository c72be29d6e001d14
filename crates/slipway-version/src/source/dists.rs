//! The version the built dists in the dist dir agree on.

use super::{Ctx, Found, SourceKind};
use crate::VersionError;

/// The version every dist in the dist dir agrees on, read from their metadata.
pub(crate) fn dist(ctx: &Ctx<'_>) -> Result<Found, VersionError> {
    let Some(dir) = ctx.req.dist_dir.as_deref() else {
        return Err(VersionError::InvalidRequest {
            reason: "`version-source: dist` needs a directory of built dists".to_string(),
            hint: "set `dist-dir` (e.g. `dist`)".to_string(),
        });
    };
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(VersionError::NoDists { dir: shown });
    }
    let found = slipway_dist::find_dists(dir)?;
    let mut versions: Vec<(String, String)> = Vec::new();
    for dist in &found.dists {
        let (_, metadata) = slipway_dist::read_metadata(&dist.path)?;
        versions.push((dist.filename.clone(), metadata.version().to_string()));
    }
    let Some((first_file, first)) = versions.first().cloned() else {
        return Err(VersionError::NoDists { dir: shown });
    };
    let key = |v: &str| {
        crate::ParsedVersion::parse(v, crate::Scheme::Pep440)
            .map(|p| p.normalized())
            .unwrap_or_else(|_| v.to_string())
    };
    if versions.iter().any(|(_, v)| key(v) != key(&first)) {
        return Err(VersionError::DistsDisagree {
            dir: shown,
            versions,
        });
    }
    Ok(Found {
        version: first,
        kind: SourceKind::Dist,
        file: dir.join(first_file).display().to_string(),
        key: "Version".to_string(),
        files_read: Vec::new(),
    })
}
